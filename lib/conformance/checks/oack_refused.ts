/**
 * `oack-refused` — a client may refuse an OACK (RFC 2347 "Negotiation Protocol": if the
 * client rejects the OACK, it sends an ERROR with code 8 and the transfer is terminated;
 * RFC 1350 §7: an ERROR ends the transfer and is neither acknowledged nor retransmitted).
 * UEFI firmware does exactly this to learn a file's size before the real download.
 *
 * Sent: `RRQ "1024-byte.bin" octet tsize=0 blksize=1468 timeout=1` (what UEFI firmware asks
 * for, tsize and blksize; timeout 1 makes a server that missed
 * the ERROR retransmit its OACK within about a second); the OACK is answered with
 * `ERROR 8 "Option negotiation refused"` from the same port, then everything from the
 * server's TID is collected for 2.5 s (6 s when timeout was not acknowledged: the server's
 * own retransmission time is unknown). Then a new `RRQ "1024-byte.bin" octet tsize=0` from a
 * fresh port must be served completely, with the fixture's bytes.
 *
 * Verdicts: `skip` when the first request gets no OACK (nothing to refuse); `fail` when
 * anything but an ERROR arrives from the TID after the ERROR 8 (the transfer went on), or the
 * new request is not served intact; `warn` when only ERRORs came back (an ERROR is never
 * answered, RFC 1350 §7, but the transfer did stop); `pass` otherwise.
 *
 * @module
 */

import { ERROR_CODE, OPCODE } from "../../tftp/packet/mod.ts";
import { type CheckOutcome, type ConformanceCheck, defineCheck } from "../check.ts";
import {
  abandon,
  describeDatagram,
  describeDatagrams,
  describePacket,
  rrq,
  startDownload,
} from "./_helpers.ts";
import { downloadDescribed, notIntact } from "./_option_helpers.ts";

const FILE = "1024-byte.bin";

/**
 * The `oack-refused` check.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import check from "./oack_refused.ts";
 * assert.equal(check.id, "oack-refused");
 * ```
 */
const check: ConformanceCheck = defineCheck({
  id: "oack-refused",
  title: "An OACK refused with ERROR 8 ends the transfer; the next request is served",
  rfc: "RFC 2347",
  level: "must",
  async run(ctx): Promise<CheckOutcome> {
    const probe = await ctx.openProbe();
    const request = rrq(FILE, { options: { tsize: "0", blksize: "1468", timeout: "1" } });
    const { first } = await startDownload(ctx, request, { probe, timeoutMs: ctx.ms(2000) });
    const sent = describePacket(request);
    if (first === undefined) {
      return { status: "skip", detail: `${sent} -> no answer within ${ctx.ms(2000)} ms` };
    }
    const tid = first.from;
    if (first.packet?.opcode !== OPCODE.OACK) {
      if (first.packet?.opcode === OPCODE.DATA) await abandon(probe, tid);
      return {
        status: "skip",
        detail: `no OACK to refuse: ${sent} -> ${describeDatagram(first)}`,
      };
    }
    const refusal = {
      opcode: OPCODE.ERROR,
      code: ERROR_CODE.OPTION_REFUSED,
      message: "Option negotiation refused",
    } as const;
    await probe.send(refusal, tid);
    const timeoutAcknowledged = first.packet.options.timeout === "1";
    const waitMs = ctx.ms(timeoutAcknowledged ? 2500 : 6000);
    const after = await probe.collect(waitMs, tid);
    const transcript = `${sent} -> ${describeDatagram(first)}; ${describePacket(refusal)} -> ` +
      `${after.length === 0 ? "silence" : describeDatagrams(after)} for ${waitMs} ms`;
    const measured: Record<string, unknown> = {
      oack: first.packet.options,
      afterRefusal: after.map(describeDatagram),
    };

    const again = await downloadDescribed(ctx, FILE, { options: { tsize: "0" } });
    const wrong = notIntact(again.record, ctx.fixtures.get(FILE).bytes());
    const problems: string[] = [];
    const wentOn = after.filter((datagram) => datagram.packet?.opcode !== OPCODE.ERROR);
    if (after.length > 0) {
      measured.afterRefusalMs = after.map((datagram) => Math.round(datagram.atMs - first.atMs));
    }
    if (wentOn.length > 0) {
      const delays = wentOn.map((datagram) => Math.round(datagram.atMs - first.atMs));
      problems.push(
        `the server went on after ERROR 8: ${describeDatagram(wentOn[0])} came ` +
          `${delays[0]} ms after its OACK`,
      );
    }
    if (wrong !== undefined) {
      problems.push(`the next request was not served: ${wrong}`);
    }
    const detail = `${transcript}; then ${again.line}`;
    if (problems.length > 0) {
      return { status: "fail", detail: `${problems.join("; ")} (${detail})`, measured };
    }
    if (after.length > 0) {
      return {
        status: "warn",
        detail: `the server answered the ERROR 8 with ${describeDatagram(after[0])} (an ERROR ` +
          `is never answered, RFC 1350 §7), but the transfer stopped (${detail})`,
        measured,
      };
    }
    return { status: "pass", detail, measured };
  },
});

export default check;
