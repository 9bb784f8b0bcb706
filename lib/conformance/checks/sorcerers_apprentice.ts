/**
 * `sorcerers-apprentice` — the Sorcerer's Apprentice Syndrome (RFC 1123 4.2.3.1):
 * "Implementations MUST contain the fix for this problem: the sender (i.e., the side
 * originating the DATA packets) must never resend the current DATA packet on receipt of a
 * duplicate ACK." Otherwise one delayed ACK doubles every later packet of the transfer.
 *
 * Sent: `RRQ "4404-byte.bin" octet` (9 DATA at 512 bytes). When DATA 2, DATA 3 and DATA 4
 * arrive, the client first sends the previous ACK again (the delayed duplicate of RFC 1123's
 * example), then the right ACK at once; every other block is acknowledged normally. The time
 * each duplicate ACK left is noted on the probe's clock, after a 1 ms pause that lets the
 * probe read (and time-stamp) whatever the socket already holds.
 *
 * A second copy of a tested block that was read before its duplicate ACK left cannot be an
 * answer to it: it is the server's ordinary timeout retransmission (a server with a short
 * adaptive timeout, on a loaded machine, may queue both copies before the client reads the
 * first). It is ignored. A copy read after the duplicate ACK left is suspect; since it may
 * still have been queued just before, a suspect run is repeated once with a new download that
 * tests DATA 5, 6 and 7, and only a second suspect run fails.
 *
 * Verdicts: `pass` when no tested block came again after its duplicate ACK and the file
 * arrived intact; `fail` when a tested block came again after its duplicate ACK in both runs
 * (a retransmission triggered by a duplicate ACK), or the duplicate ACK broke the transfer.
 * `measured` holds, per run, the copies of each tested block, when each copy arrived and
 * when each duplicate ACK was sent (ms on the probe's clock).
 *
 * @module
 */

import { OPCODE } from "../../tftp/packet/mod.ts";
import {
  type CheckContext,
  type CheckOutcome,
  type ConformanceCheck,
  defineCheck,
  type ReceivedDatagram,
} from "../check.ts";
import {
  compareBytes,
  describeDatagram,
  describeDatagrams,
  finishDownload,
  type Finished,
  isData,
  roundMs,
  rrq,
  startDownload,
} from "./_helpers.ts";

const NAME = "4404-byte.bin";
/** Blocks after which the previous ACK is sent again; the repeat tests the second set. */
const TESTED = [[2, 3, 4], [5, 6, 7]];

/** Pause before each duplicate ACK, so that copies already queued are read first. */
const SETTLE_MS = 1;

/** One download with duplicate ACKs after the `tested` blocks. */
interface Run {
  /** Why the download did not start, if it did not. */
  refused?: string;
  /** Every datagram from the server's host, the first included, in order. */
  received: ReceivedDatagram[];
  /** How the download ended. */
  done?: Finished;
  /** Tested blocks that came again after their duplicate ACK left. */
  suspect: number[];
  /** Copies, arrival times and duplicate-ACK times per tested block, for `measured`. */
  measured: Record<string, unknown>;
}

async function experiment(ctx: CheckContext, tested: readonly number[]): Promise<Run> {
  const { probe, first } = await startDownload(ctx, rrq(NAME));
  if (!isData(first, 1)) {
    const got = first === undefined ? "no answer" : describeDatagram(first);
    return { refused: `${got}, not DATA 1`, received: [], suspect: [], measured: {} };
  }
  const tid = first.from;
  const sentAt = new Map<number, number>();
  const done = await finishDownload(probe, tid, {
    chunks: [first.packet.data],
    timeoutMs: ctx.ms(2000),
    beforeAck: async (block) => {
      if (!tested.includes(block)) return;
      await settle(); // datagrams already queued are read (and stamped) before the ACK
      const at = probe.nowMs();
      await probe.send({ opcode: OPCODE.ACK, block: block - 1 }, tid);
      sentAt.set(block, at);
    },
  });
  const received = [first, ...done.received];
  const suspect: number[] = [];
  const measured: Record<string, unknown> = {};
  for (const n of tested) {
    const times = received.filter((d) => isData(d, n) && d.from.port === tid.port).map((d) =>
      d.atMs
    );
    const dupAt = sentAt.get(n);
    if (dupAt !== undefined && times.slice(1).some((t) => t >= dupAt)) suspect.push(n);
    measured[n] = {
      copies: times.length,
      arrivedMs: times.map(roundMs),
      duplicateAckMs: dupAt === undefined ? null : roundMs(dupAt),
    };
  }
  return { received, done, suspect, measured };
}

/** Lets the event loop read what the socket already holds. */
function settle(): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, SETTLE_MS));
}

/** `1, 2 and 3`. */
function words(numbers: readonly number[]): string {
  return numbers.slice(0, -1).join(", ") + ` and ${numbers[numbers.length - 1]}`;
}

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
    const runs: Run[] = [];
    for (const tested of TESTED) {
      const run = await experiment(ctx, tested);
      runs.push(run);
      if (run.refused !== undefined) {
        return { status: "fail", detail: `${request} -> ${run.refused}` };
      }
      if (run.suspect.length === 0) break;
    }
    const measured = { runs: runs.map((r) => r.measured) };
    const last = runs[runs.length - 1];
    const seen = `${request} -> ${describeDatagrams(last.received, 8)}`;
    if (last.suspect.length > 0) {
      const n = last.suspect[0];
      const times = last.received.filter((d) => isData(d, n)).map((d) => d.atMs);
      const earlier = runs.length > 1
        ? ` (on the first download DATA ${runs[0].suspect.join(", ")} came again likewise)`
        : "";
      return {
        status: "fail",
        detail: `${seen}: after DATA ${n} arrived the client sent ACK ${n - 1} again, then ` +
          `ACK ${n}, and DATA ${n} came again ${roundMs(times[1] - times[0])} ms after the ` +
          `first copy, after the duplicate ACK left${earlier}: an answer to the duplicate ACK ` +
          `(RFC 1123 4.2.3.1: the sender must never resend the current DATA on receipt of a ` +
          `duplicate ACK)` +
          (last.suspect.length > 1 ? `; likewise DATA ${last.suspect.slice(1).join(", ")}` : ""),
        measured,
      };
    }
    const done = last.done!;
    const wrong = done.result === "ok" ? compareBytes(done.data, fixture.bytes()) : done.detail;
    if (wrong !== undefined) {
      return {
        status: "fail",
        detail: `${seen}: ${wrong} (a duplicate ACK must not disturb the transfer)`,
        measured,
      };
    }
    const tested = TESTED[runs.length - 1];
    const retried = runs.length > 1
      ? ` (a first download saw DATA ${runs[0].suspect.join(", ")} again just after the ` +
        `duplicate ACK, likely a queued timeout retransmission; this second one did not)`
      : "";
    return {
      status: "pass",
      detail: `${seen}: duplicate ACKs ${words(tested.map((n) => n - 1))} (each sent just ` +
        `before the right ACK) got no answer; DATA ${words(tested)} did not come again after ` +
        `them, file intact${retried}`,
      measured,
    };
  },
});

export default check;
