/**
 * `windowsize` — the windowsize option (RFC 7440): the OACK value is between 1 and the
 * client's; the sender then sends up to that many DATA blocks before it waits for an ACK,
 * and an ACK of a block inside the window makes it send the next window starting right
 * after the acknowledged block (RFC 7440 §4: the receiver acknowledges the last block it
 * got in order, and the sender goes on from there).
 *
 * Sent: `RRQ "4404-byte.bin" octet windowsize=4` (9 blocks of 512 bytes, the last 308).
 * 1. ACK 0 for the OACK, then wait: blocks 1..W (W from the OACK) must come, and nothing
 *    beyond W before the next ACK (a quiet period of 200 ms is observed after the window).
 * 2. ACK m for a block in the middle of that window (m = W / 2, rounded down): blocks
 *    m+1..m+W must come next, nothing beyond m+W. What arrived after the quiet period but
 *    before ACK m left is drained first (by arrival time) and must hold no block beyond W.
 * 3. The transfer is completed, acknowledging each window's last block, and the bytes are
 *    compared with the fixture.
 *
 * Verdicts: `skip` when the RRQ is answered with DATA 1 or an OACK without windowsize (the
 * server does not support it); `fail` when the OACK value is outside 1..4, a block beyond the
 * window is sent before the ACK that allows it, the server does not resume right after the
 * middle ACK, the transfer stalls, or the bytes differ; `warn` when fewer than W blocks came
 * before the server waited (allowed, but it wastes the window), or the option was answered
 * with ERROR; `pass` otherwise (W = 1 is reported as lock-step).
 *
 * @module
 */

import { DEFAULT_BLKSIZE, OPCODE } from "../../tftp/packet/mod.ts";
import type { Address, CheckOutcome, ConformanceCheck, Probe, ReceivedDatagram } from "../check.ts";
import { defineCheck } from "../check.ts";
import { concatBytes } from "../../bytes.ts";
import { abandon, compareBytes, describeDatagram, rrq, startDownload } from "./_helpers.ts";

const FILE = "4404-byte.bin";
const ASKED = 4;
/** Most windows the completion phase waits for before calling the transfer stalled. */
const MAX_ROUNDS = 20;

/** Block numbers as runs: `1-4, 1-4, 5`. */
function runs(blocks: readonly number[]): string {
  if (blocks.length === 0) return "nothing";
  const parts: string[] = [];
  let start = blocks[0];
  let previous = start;
  for (const block of [...blocks.slice(1), NaN]) {
    if (block === previous + 1) {
      previous = block;
      continue;
    }
    parts.push(start === previous ? `${start}` : `${start}-${previous}`);
    start = previous = block;
  }
  return `DATA ${parts.join(", ")}`;
}

/** A transfer in progress: the blocks received so far and what each phase saw. */
class Window {
  readonly have = new Map<number, Uint8Array>();
  /** DATA blocks that arrived after the last gathering ended but before the latest ACK left. */
  early: number[] = [];
  error?: ReceivedDatagram;
  readonly #probe: Probe;
  readonly #tid: Address;

  constructor(probe: Probe, tid: Address) {
    this.#probe = probe;
    this.#tid = tid;
  }

  /** The highest block received with every block before it. */
  get contiguous(): number {
    let block = 0;
    while (this.have.has(block + 1)) block++;
    return block;
  }

  /**
   * Drains what is queued (into {@linkcode early}: it came before this ACK), sends ACK
   * `block`, then gathers DATA until every block in `wanted` arrived (or `timeoutMs`), then
   * for `quietMs` more. Returns the DATA block numbers that came after the ACK left, in
   * arrival order.
   */
  async ackAndGather(
    block: number,
    wanted: readonly number[],
    timing: { timeoutMs: number; quietMs: number },
  ): Promise<number[]> {
    const missing = new Set(wanted);
    const seen: number[] = [];
    let sentAt = Infinity;
    this.early = [];
    const take = (datagram: ReceivedDatagram) => {
      const packet = datagram.packet;
      if (packet?.opcode === OPCODE.ERROR) this.error ??= datagram;
      if (packet?.opcode !== OPCODE.DATA) return;
      if (datagram.atMs < sentAt) this.early.push(packet.block);
      else seen.push(packet.block);
      missing.delete(packet.block);
      if (!this.have.has(packet.block)) this.have.set(packet.block, packet.data.slice());
    };
    for (const datagram of await this.#probe.collect(0, this.#tid)) take(datagram);
    sentAt = this.#probe.nowMs();
    await this.#probe.send({ opcode: OPCODE.ACK, block }, this.#tid);
    const deadline = performance.now() + timing.timeoutMs;
    for (let i = 0; i < 1000 && missing.size > 0 && this.error === undefined; i++) {
      const left = deadline - performance.now();
      if (left <= 0) break;
      const datagram = await this.#probe.receive({ timeoutMs: left, from: this.#tid });
      if (datagram === undefined) break;
      take(datagram);
    }
    if (this.error === undefined) {
      for (const datagram of await this.#probe.collect(timing.quietMs, this.#tid)) take(datagram);
    }
    return seen;
  }
}

function range(from: number, to: number): number[] {
  return Array.from({ length: Math.max(0, to - from + 1) }, (_, i) => from + i);
}

/**
 * The `windowsize` check.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import check from "./windowsize.ts";
 * assert.equal(check.id, "windowsize");
 * ```
 */
const check: ConformanceCheck = defineCheck({
  id: "windowsize",
  title: "windowsize: at most W blocks per window, resume after the ACKed block",
  rfc: "RFC 7440",
  level: "must",
  async run(ctx): Promise<CheckOutcome> {
    const fixture = ctx.fixtures.get(FILE);
    const total = Math.floor(fixture.size / DEFAULT_BLKSIZE) + 1;
    const probe = await ctx.openProbe();
    const request = rrq(FILE, { options: { windowsize: String(ASKED) } });
    const sent = `RRQ ${JSON.stringify(FILE)} octet windowsize=${ASKED}`;
    const { first } = await startDownload(ctx, request, { probe, timeoutMs: ctx.ms(2000) });
    if (first === undefined) {
      return { status: "fail", detail: `${sent} -> no answer within ${ctx.ms(2000)} ms` };
    }
    const tid = first.from;
    const answer = `${sent} -> ${describeDatagram(first)}`;
    const packet = first.packet;
    if (packet?.opcode === OPCODE.ERROR) {
      return { status: "warn", detail: `${answer}: a valid windowsize was refused` };
    }
    if (packet?.opcode === OPCODE.DATA) {
      await abandon(probe, tid);
      return {
        status: "skip",
        detail: `server does not support windowsize: answered the RRQ with DATA ` +
          `${packet.block}, no OACK (${answer})`,
      };
    }
    if (packet?.opcode !== OPCODE.OACK) {
      await abandon(probe, tid);
      return { status: "fail", detail: `${answer}: an RRQ is answered with OACK or DATA 1` };
    }
    const given = packet.options.windowsize;
    if (given === undefined) {
      await abandon(probe, tid);
      return { status: "skip", detail: `server does not support windowsize: ${answer}` };
    }
    const w = /^\d{1,5}$/.test(given) ? Number(given) : NaN;
    if (!(w >= 1 && w <= ASKED)) {
      const message = "Option negotiation refused";
      await probe.send({ opcode: OPCODE.ERROR, code: 8, message }, tid);
      return {
        status: "fail",
        detail: `${answer}: the OACK value must be between 1 and the ${ASKED} requested`,
        measured: { windowsize: given },
      };
    }
    const timing = { timeoutMs: ctx.ms(2000), quietMs: ctx.ms(200) };
    const window = new Window(probe, tid);
    const steps: string[] = [answer];
    const problems: string[] = [];
    const warnings: string[] = [];
    const measured: Record<string, unknown> = { windowsize: w };

    // 1. The first window: blocks 1..w, nothing beyond before our next ACK.
    const firstWindow = await window.ackAndGather(0, range(1, w), timing);
    steps.push(`ACK 0 -> ${runs(firstWindow)}`);
    measured.afterAck0 = firstWindow;
    const beyond = firstWindow.filter((block) => block > w);
    const distinct = new Set(firstWindow).size;
    if (beyond.length > 0) {
      problems.push(`DATA ${beyond[0]} was sent before any ACK allowed it (windowsize ${w})`);
    } else if (distinct < w) {
      warnings.push(
        `only ${distinct} of the ${w} blocks of the window came before the server waited`,
      );
    }

    // 2. An ACK inside the window: the next window starts right after it.
    if (w >= 2 && problems.length === 0 && window.error === undefined && distinct === w) {
      const middle = Math.floor(w / 2);
      const next = await window.ackAndGather(
        middle,
        range(middle + 1, Math.min(middle + w, total)),
        timing,
      );
      steps.push(`ACK ${middle} -> ${runs(next)}`);
      measured.ackedInside = middle;
      measured.afterAckInside = next;
      measured.beforeAckInside = window.early;
      const unasked = window.early.filter((block) => block > w);
      const missing = range(middle + 1, Math.min(middle + w, total)).filter((b) =>
        !next.includes(b)
      );
      const over = next.filter((block) => block > middle + w);
      if (unasked.length > 0) {
        problems.push(
          `DATA ${unasked[0]} was sent before any ACK allowed it (windowsize ${w}; it came ` +
            `after the first window's quiet period, before ACK ${middle} left)`,
        );
      } else if (missing.length > 0) {
        problems.push(
          `after ACK ${middle} the server did not send DATA ${runs(missing).slice(5)} ` +
            `(a window starting right after the acknowledged block was due)`,
        );
      } else if (over.length > 0) {
        const allowed = `${middle + 1}-${middle + w}`;
        problems.push(`after ACK ${middle}, DATA ${over[0]} was sent beyond the window ${allowed}`);
      }
    } else if (w === 1) {
      steps.push("windowsize 1: lock-step, as RFC 1350");
    }

    // 3. Complete the transfer, one window at a time.
    for (let round = 0; round < MAX_ROUNDS && problems.length === 0; round++) {
      if (window.error !== undefined) break;
      const upto = window.contiguous;
      const last = window.have.get(upto);
      if (upto > 0 && last !== undefined && last.length < DEFAULT_BLKSIZE) {
        await probe.send({ opcode: OPCODE.ACK, block: upto }, tid);
        break;
      }
      const wanted = range(upto + 1, Math.min(upto + w, total));
      const got = await window.ackAndGather(upto, wanted, { ...timing, quietMs: 0 });
      steps.push(`ACK ${upto} -> ${runs(got)}`);
      if (got.length === 0) break;
    }
    if (window.error !== undefined) {
      problems.push(`the server ended the transfer: ${describeDatagram(window.error)}`);
    }
    if (problems.length === 0) {
      const blocks = [...window.have.keys()].sort((a, b) => a - b);
      const data = concatBytes(blocks.map((block) => window.have.get(block)!));
      const wrong = window.contiguous < total
        ? `the transfer stalled after DATA ${window.contiguous}`
        : compareBytes(data, fixture.bytes());
      if (wrong !== undefined) problems.push(wrong);
      else steps.push(`${fixture.size} bytes intact`);
    }
    if (problems.length > 0 || window.contiguous < total) await abandon(probe, tid);
    const transcript = steps.join("; ");
    if (problems.length > 0) {
      return { status: "fail", detail: `${problems.join("; ")}: ${transcript}`, measured };
    }
    if (warnings.length > 0) {
      return { status: "warn", detail: `${warnings.join("; ")}: ${transcript}`, measured };
    }
    return { status: "pass", detail: transcript, measured };
  },
});

export default check;
