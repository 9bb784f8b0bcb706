/**
 * `error-ends-transfer` — an ERROR ends the transfer (RFC 1350 §2, §7): "Most errors cause
 * termination of the connection. An error is signalled by sending an error packet. This
 * packet is not acknowledged, and not retransmitted"; the side that receives it stops.
 *
 * Sent: `RRQ "1024-byte.bin" octet` and ACK 1; DATA 2 is not acknowledged until the server
 * has sent something again (which measures its retransmission timeout T, waiting at most
 * 10 s, scaled); then ERROR 0 goes to its TID, and everything its host sends to the client
 * is watched for three times T (at least 1 s, at most 15 s, scaled), so that a server that
 * ignored the ERROR would have retransmitted at least once, even with a doubled timeout.
 * Datagrams that arrive within a grace after the ERROR left (T, at most 100 ms, scaled) are
 * left out: the server may have sent them before the ERROR reached it.
 *
 * Verdicts: `pass` when nothing came after the grace; `fail` when DATA came again (the server
 * ignored the ERROR and went on) or anything else did (an ERROR must not be acknowledged or
 * answered); `skip` when DATA 2 was never retransmitted, so silence after the ERROR would
 * prove nothing.
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
import { canonicalHost } from "../probe.ts";
import { describeDatagram, describeDatagrams, holdAtData2, isData, roundMs } from "./_helpers.ts";

const NAME = "1024-byte.bin";
const MESSAGE = "Conformance check: transfer cancelled";
/** Longest wait for the retransmission of DATA 2, before scaling. */
const RETRANSMIT_MS = 10_000;
/** The watch window is this many times the retransmission timeout... */
const TIMES = 3;
/** ...but at least this long... */
const MIN_WATCH_MS = 1000;
/** ...and at most this long, before scaling. */
const MAX_WATCH_MS = 15_000;
/** Datagrams this soon after the ERROR (at most; before scaling) may have crossed it. */
const GRACE_MS = 100;

/**
 * The `error-ends-transfer` check.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import check from "./error_ends_transfer.ts";
 * assert.equal(check.id, "error-ends-transfer");
 * ```
 */
const check: ConformanceCheck = defineCheck({
  id: "error-ends-transfer",
  title: "After the client's ERROR the server sends nothing more",
  rfc: "RFC 1350 §2, §7",
  level: "must",
  limitMs: 40_000,
  async run(ctx): Promise<CheckOutcome> {
    const request = `RRQ ${JSON.stringify(NAME)} octet`;
    const held = await holdAtData2(ctx, NAME);
    if ("missing" in held) {
      return { status: "skip", detail: `${held.missing}: no transfer to end` };
    }
    const { probe, server, tid, second } = held;
    const notData1 = (d: ReceivedDatagram) => !isData(d, 1); // a late DATA 1 is stale
    const again = await probe.receive({
      timeoutMs: ctx.ms(RETRANSMIT_MS),
      from: tid,
      match: notData1,
    });
    const errorAt = probe.nowMs();
    await probe.send({ opcode: OPCODE.ERROR, code: 0, message: MESSAGE }, tid);
    const timeoutMs = again === undefined ? undefined : again.atMs - second.atMs;
    const watchMs = timeoutMs === undefined
      ? ctx.ms(MIN_WATCH_MS)
      : Math.min(Math.max(TIMES * timeoutMs, ctx.ms(MIN_WATCH_MS)), ctx.ms(MAX_WATCH_MS));
    const graceMs = Math.min(timeoutMs ?? Infinity, ctx.ms(GRACE_MS));
    const all = (await probe.collect(watchMs)).filter((d) =>
      canonicalHost(d.from.hostname) === server.hostname
    );
    const after = all.filter((d) => d.atMs >= errorAt + graceMs);
    const crossed = all.length - after.length;
    const measured = {
      retransmitAfterMs: timeoutMs === undefined ? null : roundMs(timeoutMs),
      watchedMs: roundMs(watchMs),
      graceMs: roundMs(graceMs),
      withinGrace: crossed,
      afterError: after.length,
      arrivedMs: all.map((d) => roundMs(d.atMs - errorAt)),
    };
    const before = `DATA 1, ACK 1 -> DATA 2, no ACK -> ${
      again === undefined
        ? `nothing within ${ctx.ms(RETRANSMIT_MS)} ms`
        : `${describeDatagram(again)} after ${roundMs(again.atMs - second.atMs)} ms`
    }`;
    const ignored = crossed === 0
      ? ""
      : ` (and ${crossed} datagram${crossed === 1 ? "" : "s"} within ${
        roundMs(graceMs)
      } ms, which may have crossed the ERROR)`;
    const lead = `${request} -> ${before}; ERROR 0 to port ${tid.port} -> ${
      describeDatagrams(after)
    } within ${roundMs(watchMs)} ms${ignored}`;
    if (after.length > 0) {
      const why = after.some((d) => isData(d))
        ? "the server kept sending after the client's ERROR"
        : "an ERROR is never acknowledged or answered";
      return { status: "fail", detail: `${lead}: ${why} (RFC 1350 §2, §7)`, measured };
    }
    if (again === undefined) {
      return {
        status: "skip",
        detail: `${lead}: DATA 2 was never sent again, so the silence after the ERROR does ` +
          `not show that the ERROR stopped anything`,
        measured,
      };
    }
    return { status: "pass", detail: `${lead}: the transfer ended`, measured };
  },
});

export default check;
