/**
 * `rrq-empty` — an empty file (RFC 1350 §6): "The end of a transfer is marked by a DATA
 * packet that contains between 0 and 511 bytes of data", so a 0-byte file is exactly one
 * DATA 1 carrying no data (a 4-byte datagram), and nothing after it.
 *
 * Sent: `RRQ "0-byte.bin" octet`, ACK 1, then a short wait for anything more.
 *
 * Verdicts: `pass` when DATA 1 (0 B) is the only DATA; `fail` on an ERROR (empty files must
 * be served like any other), no answer, a non-empty DATA 1, or any further DATA.
 *
 * @module
 */

import { type CheckOutcome, type ConformanceCheck, defineCheck } from "../check.ts";
import { dataBlocks, describeDatagrams } from "./_helpers.ts";

const NAME = "0-byte.bin";
/** How long to watch for DATA after the final ACK, before scaling. */
const AFTER_MS = 300;

/**
 * The `rrq-empty` check.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import check from "./rrq_empty.ts";
 * assert.equal(check.id, "rrq-empty");
 * ```
 */
const check: ConformanceCheck = defineCheck({
  id: "rrq-empty",
  title: "An empty file is one DATA 1 with 0 bytes",
  rfc: "RFC 1350 §6",
  level: "must",
  async run(ctx): Promise<CheckOutcome> {
    const probe = await ctx.openProbe();
    const got = await ctx.download(NAME, { probe });
    const later = got.serverPort === undefined ? [] : await probe.collect(ctx.ms(AFTER_MS), {
      hostname: ctx.server.hostname,
      port: got.serverPort,
    });
    const received = [...got.received, ...later];
    const seen = `RRQ ${JSON.stringify(NAME)} octet -> ${describeDatagrams(received)}`;
    const blocks = dataBlocks(received, got.serverPort);
    const measured = { dataPackets: blocks.length, bytes: got.data.length };
    if (got.result !== "ok") return { status: "fail", detail: `${seen}: ${got.detail}`, measured };
    if (blocks.length !== 1 || blocks[0].block !== 1 || blocks[0].size !== 0) {
      return {
        status: "fail",
        detail: `${seen}: expected exactly one DATA 1 with 0 bytes`,
        measured,
      };
    }
    return { status: "pass", detail: `${seen}: one 4-byte DATA 1, then nothing`, measured };
  },
});

export default check;
