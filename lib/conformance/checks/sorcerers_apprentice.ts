/**
 * `sorcerers-apprentice` — the Sorcerer's Apprentice Syndrome (RFC 1123 4.2.3.1):
 * "Implementations MUST contain the fix for this problem: the sender (i.e., the side
 * originating the DATA packets) must never resend the current DATA packet on receipt of a
 * duplicate ACK." Otherwise one delayed ACK doubles every later packet of the transfer.
 *
 * Sent: `RRQ "4404-byte.bin" octet` (9 DATA at 512 bytes). When DATA 2, DATA 3 and DATA 4
 * arrive, the client first sends the previous ACK again (the delayed duplicate of RFC 1123's
 * example), then the right ACK at once; every other block is acknowledged normally. Because
 * the right ACK follows within a moment, a timeout cannot explain a second copy of the
 * block: only the duplicate ACK can.
 *
 * Verdicts: `pass` when DATA 2, 3 and 4 each came exactly once and the file arrived intact;
 * `fail` when any of them came again (a retransmission triggered by a duplicate ACK), or the
 * duplicate ACK broke the transfer.
 *
 * @module
 */

import { OPCODE } from "../../tftp/packet/mod.ts";
import { type CheckOutcome, type ConformanceCheck, defineCheck } from "../check.ts";
import {
  compareBytes,
  dataBlocks,
  describeDatagram,
  describeDatagrams,
  finishDownload,
  isData,
  roundMs,
  rrq,
  startDownload,
} from "./_helpers.ts";

const NAME = "4404-byte.bin";
/** Blocks after which the previous ACK is sent again. */
const TESTED = [2, 3, 4];

/**
 * The `sorcerers-apprentice` check.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import check from "./sorcerers_apprentice.ts";
 * assert.equal(check.id, "sorcerers-apprentice");
 * ```
 */
const check: ConformanceCheck = defineCheck({
  id: "sorcerers-apprentice",
  title: "A duplicate ACK never triggers a DATA retransmission",
  rfc: "RFC 1123 4.2.3.1",
  level: "must",
  async run(ctx): Promise<CheckOutcome> {
    const fixture = ctx.fixtures.get(NAME);
    const request = `RRQ ${JSON.stringify(NAME)} octet`;
    const { probe, first } = await startDownload(ctx, rrq(NAME));
    if (!isData(first, 1)) {
      const got = first === undefined ? "no answer" : describeDatagram(first);
      return { status: "fail", detail: `${request} -> ${got}, not DATA 1` };
    }
    const tid = first.from;
    const done = await finishDownload(probe, tid, {
      chunks: [first.packet.data],
      timeoutMs: ctx.ms(2000),
      beforeAck: async (block) => {
        if (TESTED.includes(block)) await probe.send({ opcode: OPCODE.ACK, block: block - 1 }, tid);
      },
    });
    const received = [first, ...done.received];
    const blocks = dataBlocks(received, tid.port);
    const copies = Object.fromEntries(
      TESTED.map((n) => [n, blocks.find((b) => b.block === n)?.copies ?? 0]),
    );
    const measured = { copies, dataPackets: received.filter((d) => isData(d)).length };
    const seen = `${request} -> ${describeDatagrams(received, 8)}`;
    const repeated = TESTED.filter((n) => copies[n] > 1);
    if (repeated.length > 0) {
      const n = repeated[0];
      const times = received.filter((d) => isData(d, n)).map((d) => d.atMs);
      return {
        status: "fail",
        detail: `${seen}: after DATA ${n} arrived the client sent ACK ${n - 1} again, then ` +
          `ACK ${n}, and DATA ${n} came again ${roundMs(times[1] - times[0])} ms after the ` +
          `first copy, an answer to the duplicate ACK (RFC 1123 4.2.3.1: the sender must ` +
          `never resend the current DATA on receipt of a duplicate ACK)` +
          (repeated.length > 1 ? `; likewise DATA ${repeated.slice(1).join(", ")}` : ""),
        measured,
      };
    }
    const wrong = done.result === "ok" ? compareBytes(done.data, fixture.bytes()) : done.detail;
    if (wrong !== undefined) {
      return {
        status: "fail",
        detail: `${seen}: ${wrong} (a duplicate ACK must not disturb the transfer)`,
        measured,
      };
    }
    return {
      status: "pass",
      detail: `${seen}: duplicate ACKs 1, 2 and 3 (each sent just before the right ACK) got ` +
        `no answer; DATA 2, 3 and 4 came once each, file intact`,
      measured,
    };
  },
});

export default check;
