/**
 * `retransmit-identical` — retransmission on timeout (RFC 1350 §2, RFC 1123 4.2.3.2): when
 * an ACK does not come, the sender times out and sends the same packet again; RFC 1350
 * keeps "just one packet on hand for retransmission", so the copy is the identical datagram.
 *
 * Sent, as two downloads of `1024-byte.bin` running side by side from two ports: one never
 * acknowledges DATA 1, the other acknowledges DATA 1 and then not DATA 2. Each waits (at
 * most 15 s, scaled) for the next datagram from the server's TID, compares it with the
 * original, then acknowledges and finishes the download lock-step. The first DATA and a
 * block in the middle of a transfer are often sent by different code paths.
 *
 * Verdicts: `pass` when both blocks came again with exactly the same bytes and both
 * downloads then completed intact (the intervals are measured); `fail` when a copy differs
 * (the first different byte is named), when no copy came in time (RFC 1123 4.2.3.2 requires
 * a retransmission timeout), or when a transfer broke.
 *
 * @module
 */

import { OPCODE } from "../../tftp/packet/mod.ts";
import {
  type CheckContext,
  type CheckOutcome,
  type ConformanceCheck,
  defineCheck,
} from "../check.ts";
import {
  abandon,
  compareBytes,
  describeDatagram,
  describeDatagrams,
  finishDownload,
  isData,
  roundMs,
  rrq,
  startDownload,
} from "./_helpers.ts";

const NAME = "1024-byte.bin";
/** Longest wait for the retransmission, before scaling. */
const WAIT_MS = 15_000;

interface Trial {
  /** What happened, in packets. */
  line: string;
  /** Why it failed, if it did. */
  problem?: string;
  /** The retransmission interval. */
  afterMs: number | null;
}

/** A download that withholds the ACK of `block` (1 or 2) until that DATA comes again. */
async function withhold(ctx: CheckContext, block: 1 | 2): Promise<Trial> {
  const fixture = ctx.fixtures.get(NAME);
  const request = `RRQ ${JSON.stringify(NAME)} octet`;
  const { probe, first } = await startDownload(ctx, rrq(NAME));
  if (!isData(first, 1)) {
    const got = first === undefined ? "no answer" : describeDatagram(first);
    return { line: `${request} -> ${got}`, problem: "not DATA 1", afterMs: null };
  }
  const tid = first.from;
  let original = first;
  let line = `${request} -> DATA 1`;
  if (block === 2) {
    await probe.send({ opcode: OPCODE.ACK, block: 1 }, tid);
    const second = await probe.receive({
      timeoutMs: ctx.ms(3000),
      from: tid,
      match: (d) => !isData(d, 1), // a late copy of DATA 1 is not the answer
    });
    line += `, ACK 1 -> ${second === undefined ? "nothing" : describeDatagram(second)}`;
    if (!isData(second, 2)) {
      await abandon(probe, tid);
      return { line, problem: "not DATA 2", afterMs: null };
    }
    original = second;
  }
  const copy = await probe.receive({
    timeoutMs: ctx.ms(WAIT_MS),
    from: tid,
    match: (d) => !(block === 2 && isData(d, 1)),
  });
  if (copy === undefined) {
    await abandon(probe, tid);
    return {
      line: `${line}, then no ACK -> nothing within ${ctx.ms(WAIT_MS)} ms`,
      problem: `DATA ${block} was not retransmitted (RFC 1123 4.2.3.2: the sender ` +
        `retransmits after an adaptive timeout)`,
      afterMs: null,
    };
  }
  const afterMs = roundMs(copy.atMs - original.atMs);
  line += `, then no ACK -> ${describeDatagram(copy)} after ${afterMs} ms`;
  const differs = compareBytes(copy.bytes, original.bytes);
  if (differs !== undefined) {
    await abandon(probe, tid);
    const shown = copy.bytes.length <= 8 ? ` (${[...copy.bytes].map(hex).join(" ")})` : "";
    return {
      line: line + shown,
      problem: `the copy of DATA ${block} is not the same datagram: ${differs}`,
      afterMs,
    };
  }
  const chunks = [first.packet.data];
  if (block === 2 && isData(original)) chunks.push(original.packet.data);
  const done = await finishDownload(probe, tid, { chunks, timeoutMs: ctx.ms(2000) });
  line += ` (identical); ACK ${block} -> ${describeDatagrams(done.received)}`;
  const wrong = done.result === "ok" ? compareBytes(done.data, fixture.bytes()) : done.detail;
  return wrong === undefined ? { line, afterMs } : { line, problem: wrong, afterMs };
}

function hex(byte: number): string {
  return byte.toString(16).padStart(2, "0");
}

/**
 * The `retransmit-identical` check.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import check from "./retransmit_identical.ts";
 * assert.equal(check.id, "retransmit-identical");
 * ```
 */
const check: ConformanceCheck = defineCheck({
  id: "retransmit-identical",
  title: "A DATA whose ACK is missing is sent again, byte for byte",
  rfc: "RFC 1350 §2, RFC 1123 4.2.3.2",
  level: "must",
  limitMs: 40_000,
  async run(ctx): Promise<CheckOutcome> {
    const trials = await Promise.all([withhold(ctx, 1), withhold(ctx, 2)]);
    const measured = {
      data1RetransmitAfterMs: trials[0].afterMs,
      data2RetransmitAfterMs: trials[1].afterMs,
    };
    const seen = trials.map((t) => t.line).join("; ");
    const problems = trials.flatMap((t) => t.problem === undefined ? [] : [t.problem]);
    if (problems.length > 0) {
      return { status: "fail", detail: `${seen}: ${problems.join("; ")}`, measured };
    }
    return {
      status: "pass",
      detail: `${seen}: both retransmissions were identical, both files intact`,
      measured,
    };
  },
});

export default check;
