/**
 * `backoff` — adaptive timeout with exponential backoff (RFC 1123 4.2.3.2, "Timeout
 * Algorithms": "A TFTP implementation MUST use an adaptive timeout"; its IMPLEMENTATION note:
 * "At least an exponential backoff of retransmission timeout is necessary").
 *
 * Level: the requirement keyword is MUST, and the RFC itself names exponential backoff as the
 * least that satisfies it. Seen from outside, the only adaptation a client can observe is how
 * the interval reacts to loss; an interval that stays the same however many packets are lost
 * is not adaptive by any reading, so this check is `must` and constant intervals fail. How
 * the timeout adapts to a measured round trip is not judged (it cannot be seen reliably).
 *
 * Sent: `RRQ "1024-byte.bin" octet`, ACK 1, then nothing: DATA 2 is never acknowledged.
 * Every datagram the server's TID sends after DATA 2 (but a late DATA 1) counts as a
 * retransmission attempt and is timed, until three were seen and their intervals grow, six
 * were seen, the server gave up (ERROR), or 20 s (scaled) passed since DATA 2; then ERROR 0
 * ends the transfer. Watching past three is for servers that count time in whole seconds:
 * dnsmasq's third attempt comes after 2.0-3.0 s, so only its fifth (after 5 s) shows the
 * growth reliably. Whether the copies are identical is the `retransmit-identical` check's
 * business.
 *
 * Verdicts: `pass` when the intervals grow: the last is at least 1.4 times the first (5 ms of
 * jitter allowed; doubling, doubling up to a cap, and dnsmasq's slower `1 + 2^(n/2)` s all
 * pass; see {@linkcode backsOff}); `fail` when they do not grow (a constant timeout); `skip`
 * when fewer than two retransmissions came (nothing to compare). The intervals in ms are in
 * `measured`.
 *
 * @module
 */

import {
  type CheckOutcome,
  type ConformanceCheck,
  defineCheck,
  type ReceivedDatagram,
} from "../check.ts";
import { abandon, describeDatagram, holdAtData2, isData, isError, roundMs } from "./_helpers.ts";

const NAME = "1024-byte.bin";
/** How long to watch for retransmissions after DATA 2, before scaling. */
const WATCH_MS = 20_000;
/** Retransmissions wanted at least. */
const WANTED = 3;
/** Retransmissions watched at most, while the intervals do not yet grow. */
const MOST = 6;
/** The last interval must be at least this many times the first. */
const GROWTH = 1.4;
/** Timing jitter allowed (not scaled: it is the client's clock). */
const SLACK_MS = 5;

/**
 * Whether retransmission `intervals` (ms, in order) back off: the last is at least 1.4 times
 * the first, allowing 5 ms of jitter. Last against first, rather than each step, because real
 * backoffs grow in uneven steps (dnsmasq waits 2, 2, 3, 3, 5 s: `1 + 2^(n/2)`) and short
 * timeouts jitter on a loaded machine.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { backsOff } from "./backoff.ts";
 * assert.ok(backsOff([50, 100, 200])); // doubling
 * assert.ok(backsOff([58, 92, 160])); // doubling, with jitter on 50 ms timeouts
 * assert.ok(backsOff([1000, 2000, 2000])); // doubling up to a cap
 * assert.ok(backsOff([2008, 2004, 3006])); // dnsmasq: 1 + 2^(n/2) s
 * assert.ok(!backsOff([50, 50, 50])); // constant
 * assert.ok(!backsOff([50, 62, 50])); // constant, with jitter
 * assert.ok(!backsOff([5005, 5007, 5005])); // atftpd: constant 5 s
 * assert.ok(!backsOff([100, 105, 110])); // barely growing
 * ```
 *
 * @param intervals At least two intervals between retransmissions.
 * @returns Whether they grow.
 */
export function backsOff(intervals: readonly number[]): boolean {
  return intervals[intervals.length - 1] + SLACK_MS >= GROWTH * intervals[0];
}

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
  level: "must",
  limitMs: 40_000,
  async run(ctx): Promise<CheckOutcome> {
    const request = `RRQ ${JSON.stringify(NAME)} octet`;
    const held = await holdAtData2(ctx, NAME);
    if ("missing" in held) {
      return { status: "skip", detail: `${held.missing}: nothing to time` };
    }
    const { probe, tid, second } = held;
    const notData1 = (d: ReceivedDatagram) => !isData(d, 1); // a late DATA 1 is no attempt
    const times = [second.atMs];
    const copies: string[] = [];
    const until = performance.now() + ctx.ms(WATCH_MS);
    let ended: string | undefined;
    const gaps = () => times.slice(1).map((t, i) => roundMs(t - times[i]));
    while (copies.length < MOST) {
      if (copies.length >= WANTED && backsOff(gaps())) break;
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
    const intervals = gaps();
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
    if (!backsOff(intervals)) {
      return {
        status: "fail",
        detail: `${lead}: the intervals do not grow (RFC 1123 4.2.3.2: a TFTP implementation ` +
          `MUST use an adaptive timeout; at least an exponential backoff is necessary)`,
        measured,
      };
    }
    return { status: "pass", detail: `${lead}: the timeout backs off`, measured };
  },
});

export default check;
