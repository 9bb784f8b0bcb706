/**
 * `unknown-tid` — packets from a stranger (RFC 1350 §4): "If a source TID does not match,
 * the packet should be discarded as erroneously sent from somewhere else. An error packet
 * should be sent to the source of the incorrect packet, while not disturbing the
 * transfer." §2 adds that a wrong source port is the only error that does not end a
 * transfer.
 *
 * Sent: `RRQ "1024-byte.bin" octet` from the client port; once DATA 1 arrives, `ACK 1` from a
 * second (stranger) port to the server's TID; then, after a short wait, the client finishes
 * the download lock-step.
 *
 * Verdicts: `fail` when the stranger's ACK moved the transfer on (DATA 2 before the client
 * acknowledged DATA 1, or any DATA to the stranger), when the client's transfer was aborted
 * or did not complete with the fixture's bytes; `warn` when the transfer went on undisturbed
 * but the stranger got no ERROR 5 (nothing, or another code); `pass` when the stranger got
 * ERROR 5 and the transfer completed intact.
 *
 * @module
 */

import { OPCODE } from "../../tftp/packet/mod.ts";
import { type CheckOutcome, type ConformanceCheck, defineCheck } from "../check.ts";
import {
  compareBytes,
  describeDatagram,
  describeDatagrams,
  finishDownload,
  isData,
  isError,
  rrq,
  startDownload,
} from "./_helpers.ts";

const NAME = "1024-byte.bin";
/** How long the stranger waits for its ERROR 5, before scaling. */
const STRANGER_MS = 1000;

/**
 * The `unknown-tid` check.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import check from "./unknown_tid.ts";
 * assert.equal(check.id, "unknown-tid");
 * ```
 */
const check: ConformanceCheck = defineCheck({
  id: "unknown-tid",
  title: "A packet from an unknown port gets ERROR 5 and leaves the transfer alone",
  rfc: "RFC 1350 §4",
  level: "must",
  async run(ctx): Promise<CheckOutcome> {
    const fixture = ctx.fixtures.get(NAME);
    const client = await ctx.openProbe();
    const stranger = await ctx.openProbe();
    const request = `RRQ ${JSON.stringify(NAME)} octet`;
    const { first } = await startDownload(ctx, rrq(NAME), { probe: client });
    if (!isData(first, 1)) {
      const got = first === undefined ? "no answer" : describeDatagram(first);
      return { status: "fail", detail: `${request} -> ${got}, not DATA 1` };
    }
    const tid = first.from;
    await stranger.send({ opcode: OPCODE.ACK, block: 1 }, tid);
    const answer = await stranger.receive({ timeoutMs: ctx.ms(STRANGER_MS) });
    const meanwhile = await client.collect(0, tid);
    const measured = {
      serverPort: tid.port,
      strangerPort: stranger.port,
      strangerGot: answer === undefined ? null : describeDatagram(answer),
    };
    const toStranger = answer === undefined ? "nothing" : describeDatagram(answer);
    const lead = `${request} -> DATA 1 from port ${tid.port}; ACK 1 from stranger port ` +
      `${stranger.port} -> ${toStranger}`;
    if (isData(answer) || stranger.others.some((d) => isData(d))) {
      return {
        status: "fail",
        detail: `${lead}: the server sent DATA to the stranger, taking its ACK as the client's`,
        measured,
      };
    }
    const moved = meanwhile.find((d) => !isData(d, 1));
    if (moved !== undefined) {
      const why = isData(moved)
        ? "the stranger's ACK moved the transfer on before the client acknowledged DATA 1"
        : "the client's transfer was disturbed";
      return {
        status: "fail",
        detail: `${lead}; meanwhile the client got ${describeDatagram(moved)}: ${why}`,
        measured,
      };
    }
    const done = await finishDownload(client, tid, {
      chunks: [first.packet.data],
      timeoutMs: ctx.ms(2000),
    });
    const rest = `then the client's ACK 1 -> ${describeDatagrams(done.received)}`;
    if (done.result !== "ok") {
      return {
        status: "fail",
        detail: `${lead}; ${rest}: ${done.detail} (the transfer must go on undisturbed)`,
        measured,
      };
    }
    const wrong = compareBytes(done.data, fixture.bytes());
    if (wrong !== undefined) {
      return { status: "fail", detail: `${lead}; ${rest}: the file differs, ${wrong}`, measured };
    }
    if (!isError(answer, 5) || answer.from.port !== tid.port) {
      const got = answer === undefined
        ? `no answer within ${ctx.ms(STRANGER_MS)} ms`
        : `${toStranger} from port ${answer.from.port}`;
      return {
        status: "warn",
        detail: `${lead}; ${rest}: the transfer went on undisturbed, but the stranger got ` +
          `${got} instead of ERROR 5 from the TID (RFC 1350 §4: an error packet should be ` +
          `sent to the source of the incorrect packet)`,
        measured,
      };
    }
    return {
      status: "pass",
      detail: `${lead}; ${rest}: the stranger got ERROR 5, the transfer went on intact`,
      measured,
    };
  },
});

export default check;
