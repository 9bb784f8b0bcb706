/**
 * `timeout-option` — the timeout option (RFC 2349 "Timeout Interval Option"): valid values
 * are 1 to 255 seconds inclusive, and the value in the OACK must match the client's. An
 * acknowledged timeout is then the server's retransmission interval.
 *
 * Sent:
 * 1. `RRQ "1-byte.bin" timeout=1` and `timeout=255` (complete downloads): an OACK timeout
 *    must equal the request; leaving it out is allowed.
 * 2. `RRQ "1-byte.bin" timeout=0` and `timeout=256`: these must not be acknowledged (left
 *    out of the OACK, or ERROR 8).
 * 3. When `timeout=1` was acknowledged: `RRQ "1024-byte.bin" timeout=1`, ACK 0 for the OACK,
 *    then no ACK for DATA 1. The times at which DATA 1 is sent again are measured (up to two
 *    retransmissions, within 6 s), then the transfer is ended with ERROR 0.
 *
 * Verdicts: `skip` when neither 1 nor 255 is acknowledged (the server does not support the
 * option); `fail` when an OACK changes the value or acknowledges 0 or 256; `warn` when the
 * first retransmission of DATA 1 does not come 0.7 to 1.7 s after the original (the option
 * was acknowledged but not used), or none comes; `pass` otherwise.
 *
 * @module
 */

import { OPCODE } from "../../tftp/packet/mod.ts";
import {
  type CheckContext,
  type CheckOutcome,
  type CheckStatus,
  type ConformanceCheck,
  defineCheck,
} from "../check.ts";
import { abandon, describeDatagram, isData, rrq, startDownload } from "./_helpers.ts";
import { downloadDescribed, worst } from "./_option_helpers.ts";

/** The first retransmission after `timeout=1` must come within these bounds, in ms. */
const INTERVAL_MS = { low: 700, high: 1700 } as const;

/** Retransmission times of DATA 1 after `timeout=1`: intervals in ms, or why there are none. */
async function measureIntervals(
  ctx: CheckContext,
): Promise<{ intervals: number[]; transcript: string } | { problem: string }> {
  const probe = await ctx.openProbe();
  const request = rrq("1024-byte.bin", { options: { timeout: "1" } });
  const { first } = await startDownload(ctx, request, { probe, timeoutMs: ctx.ms(2000) });
  if (first?.packet?.opcode !== OPCODE.OACK || first.packet.options.timeout !== "1") {
    const seen = first === undefined ? "no answer" : describeDatagram(first);
    if (first !== undefined) await abandon(probe, first.from);
    return { problem: `RRQ "1024-byte.bin" octet timeout=1 got ${seen}` };
  }
  const tid = first.from;
  await probe.send({ opcode: OPCODE.ACK, block: 0 }, tid);
  const isData1 = (datagram: Parameters<typeof isData>[0]) => isData(datagram, 1);
  const original = await probe.receive({ timeoutMs: ctx.ms(2000), from: tid, match: isData1 });
  if (original === undefined) {
    await abandon(probe, tid);
    return { problem: "no DATA 1 came after ACK 0" };
  }
  const times = [original.atMs];
  const until = performance.now() + ctx.ms(6000);
  // Up to two retransmissions, within `until` (and a bounded number of datagrams).
  for (let i = 0; i < 10 && times.length < 3; i++) {
    const left = until - performance.now();
    if (left <= 0) break;
    const next = await probe.receive({ timeoutMs: left, from: tid });
    if (next === undefined || next.packet?.opcode === OPCODE.ERROR) break;
    if (isData1(next)) times.push(next.atMs);
  }
  await abandon(probe, tid);
  const intervals = times.slice(1).map((t, i) => Math.round(t - times[i]));
  const transcript = `OACK timeout=1, ACK 0, DATA 1, then ${
    intervals.length === 0
      ? "no retransmission"
      : intervals.map((ms) => `DATA 1 again after ${ms} ms`).join(", ")
  }`;
  return { intervals, transcript };
}

/**
 * The `timeout-option` check.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import check from "./timeout_option.ts";
 * assert.equal(check.id, "timeout-option");
 * ```
 */
const check: ConformanceCheck = defineCheck({
  id: "timeout-option",
  title: "timeout 1..255 is echoed unchanged and used; 0 and 256 are not accepted",
  rfc: "RFC 2349",
  level: "must",
  limitMs: 30_000,
  async run(ctx): Promise<CheckOutcome> {
    const verdicts: CheckStatus[] = [];
    const notes: string[] = [];
    const measured: Record<string, unknown> = {};
    const echoed: number[] = [];
    for (const value of [1, 255, 0, 256]) {
      const options = { timeout: String(value) };
      const { record, line } = await downloadDescribed(ctx, "1-byte.bin", { options });
      const given = record.oack?.timeout;
      const valid = value >= 1 && value <= 255;
      measured[`timeout=${value}`] = record.error
        ? `ERROR ${record.error.code}`
        : given === undefined
        ? "not acknowledged"
        : `OACK timeout=${given}`;
      if (given === undefined) {
        verdicts.push("pass");
        notes.push(
          `timeout ${value} ${
            record.error ? `refused with ERROR ${record.error.code}` : "not acknowledged"
          }${valid ? "" : ", as it must be"}`,
        );
        continue;
      }
      if (!valid) {
        verdicts.push("fail");
        notes.push(`the out-of-range timeout ${value} was acknowledged: ${line}`);
      } else if (given !== String(value)) {
        verdicts.push("fail");
        notes.push(`the OACK changes timeout ${value} to ${JSON.stringify(given)}: ${line}`);
      } else {
        echoed.push(value);
        verdicts.push("pass");
        notes.push(`timeout ${value} echoed`);
      }
    }
    measured.echoed = echoed;
    if (echoed.length === 0 && !verdicts.includes("fail")) {
      return {
        status: "skip",
        detail: `server does not support the timeout option: ${notes.join("; ")}`,
        measured,
      };
    }
    if (echoed.includes(1)) {
      const got = await measureIntervals(ctx);
      if ("problem" in got) {
        verdicts.push("warn");
        notes.push(`could not measure the retransmission interval: ${got.problem}`);
      } else {
        measured.retransmitIntervalsMs = got.intervals;
        const firstMs = got.intervals[0];
        if (firstMs === undefined) {
          verdicts.push("warn");
          notes.push(
            `timeout 1 acknowledged, but DATA 1 was not sent again within ${
              ctx.ms(6000)
            } ms: ${got.transcript}`,
          );
        } else if (firstMs < INTERVAL_MS.low || firstMs > INTERVAL_MS.high) {
          verdicts.push("warn");
          notes.push(
            `timeout 1 acknowledged but not used: ${got.transcript} (about 1000 ms expected)`,
          );
        } else {
          verdicts.push("pass");
          notes.push(`timeout 1 used: ${got.transcript}`);
        }
      }
    }
    return { status: worst(verdicts), detail: notes.join("; "), measured };
  },
});

export default check;
