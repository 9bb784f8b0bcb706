/**
 * `wrq-duplicate-data` — a duplicate DATA is acknowledged again but written once (RFC 1350
 * §2 and §6: a lost ACK makes the client send the same DATA again; the receiver answers it
 * with the same ACK, and the block is part of the file once; RFC 1123 4.2.3.1 on duplicates).
 *
 * Sent (with `--writable` only), lock-step from one port: `WRQ
 * "conformance-wrq-duplicate-XXXXXXXX.bin" octet`, DATA 1 (512 bytes), then DATA 1 again
 * once ACK 1 came, then DATA 2 (512 bytes) and DATA 3 (100 bytes), each sent again after
 * 2 s without its ACK (at most 3 times). Then an RRQ of the same name: the 1124 bytes read
 * back must equal the bytes sent.
 *
 * Verdicts: `skip` when the server refuses the WRQ at once with ERROR (writes are not
 * enabled on it); `fail` when the file read back differs (the duplicate was written twice,
 * for instance), the server ends the transfer with ERROR, or the upload stalls; `warn` when
 * the duplicate DATA 1 got no ACK 1 again within 2 s (the transfer still completes, but a
 * client whose ACK was lost waits for retransmissions); `pass` otherwise.
 *
 * @module
 */

import { Prng } from "../../sim/prng.ts";
import { OPCODE, type Packet } from "../../tftp/packet/mod.ts";
import {
  type Address,
  type CheckOutcome,
  type ConformanceCheck,
  defineCheck,
  type Probe,
} from "../check.ts";
import { abandon, describeDatagram, describePacket, startDownload } from "./_helpers.ts";
import { downloadDescribed, notIntact, uniqueName } from "./_option_helpers.ts";

const SIZES = [512, 512, 100] as const;
const TRIES = 3;

/** Sends `packet` until ACK `block` comes (at most {@linkcode TRIES} times). */
async function sendUntilAcked(
  probe: Probe,
  tid: Address,
  packet: Packet & { block: number },
  timeoutMs: number,
): Promise<{ ack?: string; other?: string }> {
  for (let attempt = 0; attempt < TRIES; attempt++) {
    await probe.send(packet, tid);
    const answer = await probe.receive({
      timeoutMs,
      from: tid,
      match: (d) => d.packet?.opcode !== OPCODE.ACK || d.packet.block === packet.block,
    });
    if (answer === undefined) continue;
    if (answer.packet?.opcode === OPCODE.ACK) return { ack: describeDatagram(answer) };
    return { other: describeDatagram(answer) };
  }
  return {};
}

/**
 * The `wrq-duplicate-data` check.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import check from "./wrq_duplicate_data.ts";
 * assert.equal(check.id, "wrq-duplicate-data");
 * assert.equal(check.writable, true);
 * ```
 */
const check: ConformanceCheck = defineCheck({
  id: "wrq-duplicate-data",
  title: "A duplicate DATA during an upload is ACKed again and written once",
  rfc: "RFC 1350",
  level: "must",
  writable: true,
  async run(ctx): Promise<CheckOutcome> {
    const name = uniqueName(ctx.writePrefix, "wrq-duplicate");
    const data = new Prng(0x5744).bytes(SIZES.reduce((a, b) => a + b, 0));
    const blocks = SIZES.map((_, i) => data.subarray(i * 512, i * 512 + SIZES[i]));
    const probe = await ctx.openProbe();
    const timeoutMs = ctx.ms(2000);
    const wrq = { opcode: OPCODE.WRQ, filename: name, mode: "octet", options: {} } as const;
    const { first } = await startDownload(ctx, wrq, { probe, timeoutMs });
    const steps = [`${describePacket(wrq)} -> ${first ? describeDatagram(first) : "no answer"}`];
    if (first === undefined) {
      return { status: "fail", detail: `no answer to the WRQ within ${timeoutMs} ms` };
    }
    if (first.packet?.opcode === OPCODE.ERROR) {
      return { status: "skip", detail: `server refused the upload: ${steps[0]}` };
    }
    const tid = first.from;
    if (first.packet?.opcode !== OPCODE.ACK || first.packet.block !== 0) {
      await abandon(probe, tid);
      return { status: "fail", detail: `a WRQ is answered with ACK 0: ${steps[0]}` };
    }
    const send = async (block: number) => {
      const packet = { opcode: OPCODE.DATA, block, data: blocks[block - 1] } as const;
      const got = await sendUntilAcked(probe, tid, packet, timeoutMs);
      steps.push(`${describePacket(packet)} -> ${got.ack ?? got.other ?? "no ACK"}`);
      return got;
    };
    const problems: string[] = [];
    const warnings: string[] = [];
    const measured: Record<string, unknown> = { name };
    const sent1 = await send(1);
    if (sent1.ack === undefined) problems.push("DATA 1 was never acknowledged");
    if (problems.length === 0) {
      // The duplicate: sent once, its answer awaited once (no retransmission of it).
      const packet = { opcode: OPCODE.DATA, block: 1, data: blocks[0] } as const;
      // A late ACK 1 (answering a retry of our DATA 1) must not pass for the answer.
      const stale = await probe.collect(0, tid);
      if (stale.length > 0) measured.staleBeforeDuplicate = stale.map(describeDatagram);
      await probe.send(packet, tid);
      const sentAt = performance.now();
      const again = await probe.receive({ timeoutMs, from: tid });
      const answer = again === undefined ? "no ACK" : describeDatagram(again);
      steps.push(`again ${describePacket(packet)} -> ${answer}`);
      measured.duplicateAnsweredAfterMs = again === undefined
        ? null
        : Math.round(performance.now() - sentAt);
      if (again?.packet?.opcode === OPCODE.ERROR) {
        problems.push(`the duplicate DATA 1 was answered with ${answer}`);
      } else if (again?.packet?.opcode !== OPCODE.ACK || again.packet.block !== 1) {
        warnings.push(`the duplicate DATA 1 got ${answer} instead of ACK 1 again`);
      }
    }
    for (const block of [2, 3]) {
      if (problems.length > 0) break;
      const got = await send(block);
      if (got.ack === undefined) {
        problems.push(`DATA ${block} got ${got.other ?? `no ACK after ${TRIES} tries`}`);
      }
    }
    if (problems.length > 0) {
      await abandon(probe, tid);
      return { status: "fail", detail: `${problems.join("; ")}: ${steps.join("; ")}`, measured };
    }
    const down = await downloadDescribed(ctx, name);
    steps.push(down.line);
    const wrong = notIntact(down.record, data);
    if (wrong !== undefined) {
      return {
        status: "fail",
        detail: `the file read back differs from the ${data.length} bytes sent (${wrong}): ` +
          steps.join("; "),
        measured,
      };
    }
    if (warnings.length > 0) {
      return { status: "warn", detail: `${warnings.join("; ")}: ${steps.join("; ")}`, measured };
    }
    return { status: "pass", detail: steps.join("; "), measured };
  },
});

export default check;
