/**
 * `backoff` — exponential backoff (RFC 1123 4.2.3.2): TFTP must use an adaptive timeout, and
 * "at least an exponential backoff of retransmission timeout is necessary" so that a
 * congested path is not hammered at a constant rate.
 *
 * Sent: `RRQ "1024-byte.bin" octet`, ACK 1, then nothing: DATA 2 is never acknowledged.
 * Every datagram the server's TID sends after DATA 2 (but a late DATA 1) counts as a
 * retransmission attempt and is timed, until three were seen, the server gave up (ERROR),
 * or 20 s (scaled) passed since DATA 2; then ERROR 0 ends the transfer. Whether the copies
 * are identical is the `retransmit-identical` check's business.
 *
 * Verdicts: `pass` when the second interval is at least 1.5 times the first and no later
 * interval shrinks (doubling up to a cap passes); `warn` when the intervals do not grow
 * (a constant timeout); `skip` when fewer than two retransmissions came (nothing to
 * compare). The intervals in ms are in `measured`.
 *
 * @module
 */

import { OPCODE } from "../../tftp/packet/mod.ts";
import {
  type CheckOutcome,
  type ConformanceCheck,
  defineCheck,
  type ReceivedDatagram,
} from "../check.ts";
import {
  abandon,
  describeDatagram,
  isData,
  isError,
  roundMs,
  rrq,
  startDownload,
} from "./_helpers.ts";

const NAME = "1024-byte.bin";
/** How long to watch for retransmissions after DATA 2, before scaling. */
const WATCH_MS = 20_000;
/** Retransmissions wanted. */
const WANTED = 3;
/** The second interval must be at least this many times the first. */
const GROWTH = 1.5;

/**
 * The `backoff` check.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import check from "./backoff.ts";
 * assert.equal(check.id, "backoff");
 * ```
 */
const check: ConformanceCheck = defineCheck({
  id: "backoff",
  title: "Retransmission intervals grow (exponential backoff)",
  rfc: "RFC 1123 4.2.3.2",
  level: "should",
  limitMs: 40_000,
  async run(ctx): Promise<CheckOutcome> {
    const request = `RRQ ${JSON.stringify(NAME)} octet`;
    const { probe, first } = await startDownload(ctx, rrq(NAME));
    if (!isData(first, 1)) {
      const got = first === undefined ? "no answer" : describeDatagram(first);
      return { status: "skip", detail: `${request} -> ${got}, not DATA 1: nothing to time` };
    }
    const tid = first.from;
    await probe.send({ opcode: OPCODE.ACK, block: 1 }, tid);
    const notData1 = (d: ReceivedDatagram) => !isData(d, 1); // a late DATA 1 is no attempt
    const second = await probe.receive({ timeoutMs: ctx.ms(3000), from: tid, match: notData1 });
    if (!isData(second, 2)) {
      await abandon(probe, tid);
      const got = second === undefined ? "nothing" : describeDatagram(second);
      return {
        status: "skip",
        detail: `${request} -> DATA 1, ACK 1 -> ${got}, not DATA 2: nothing to time`,
      };
    }
    const times = [second.atMs];
    const copies: string[] = [];
    const until = performance.now() + ctx.ms(WATCH_MS);
    let ended: string | undefined;
    while (copies.length < WANTED) {
      const left = until - performance.now();
      if (left <= 0) break;
      const got = await probe.receive({ timeoutMs: left, from: tid, match: notData1 });
      if (got === undefined) break;
      if (isError(got)) {
        ended = describeDatagram(got);
        break;
      }
      times.push(got.atMs);
      copies.push(describeDatagram(got));
    }
    if (ended === undefined) await abandon(probe, tid);
    const intervals = times.slice(1).map((t, i) => roundMs(t - times[i]));
    const measured = { intervalsMs: intervals, retransmissions: intervals.length };
    const sameCopies = copies.every((c) => c === copies[0]) && copies[0] !== undefined;
    const what = sameCopies ? `${copies[0]} again` : copies.join(", ");
    const lead = `${request} -> DATA 1, ACK 1 -> DATA 2, never acknowledged -> ` +
      (intervals.length === 0 ? "no retransmission" : `${what}, after ${intervals.join(", ")} ms`) +
      (ended === undefined ? "" : `, then ${ended}`);
    if (intervals.length < 2) {
      return {
        status: "skip",
        detail: `${lead} (within ${ctx.ms(WATCH_MS)} ms): two intervals are needed to see ` +
          `whether they grow`,
        measured,
      };
    }
    const grows = intervals[1] >= GROWTH * intervals[0] &&
      intervals.slice(2).every((ms, i) => ms >= 0.9 * intervals[i + 1]);
    if (!grows) {
      return {
        status: "warn",
        detail: `${lead}: the intervals do not grow (RFC 1123 4.2.3.2: at least an ` +
          `exponential backoff of the retransmission timeout is necessary)`,
        measured,
      };
    }
    return { status: "pass", detail: `${lead}: the timeout backs off`, measured };
  },
});

export default check;
