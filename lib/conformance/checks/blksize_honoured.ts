/**
 * `blksize-honoured` — the DATA blocks have exactly the negotiated size (RFC 2348: the
 * blocksize the OACK gives is the number of octets in each block; RFC 1350 §6: a block
 * shorter than that ends the transfer, so every block but the last must be full).
 *
 * Sent, each as a complete download (octet):
 * - `RRQ "4404-byte.bin" blksize=1468` (3 full blocks and a final 0-byte DATA);
 * - `RRQ "1024-byte.bin" blksize=1000` (an uncommon size: 1000 bytes, then 24);
 * - `RRQ "513-byte.bin" blksize=8` (64 full 8-byte blocks, then 1 byte).
 * Each DATA from the server's TID is measured against the blksize of the OACK (which may be
 * lower than asked: `blksize-range` judges that).
 *
 * Verdicts: `fail` when a DATA other than the last is not exactly the negotiated size, the
 * last is not shorter, or the bytes differ from the fixture; `skip` when no OACK carried
 * blksize (the server does not negotiate it); `pass` when every block had the right size.
 *
 * @module
 */

import {
  type CheckOutcome,
  type CheckStatus,
  type ConformanceCheck,
  defineCheck,
} from "../check.ts";
import { type Block, dataBlocks } from "./_helpers.ts";
import { downloadDescribed, notIntact, worst } from "./_option_helpers.ts";

const TRIALS: readonly { file: string; blksize: number }[] = [
  { file: "4404-byte.bin", blksize: 1468 },
  { file: "1024-byte.bin", blksize: 1000 },
  { file: "513-byte.bin", blksize: 8 },
];

/** What is wrong with the block sizes, or `undefined` when they fit `blksize` exactly. */
function wrongSize(blocks: readonly Block[], blksize: number, total: number): string | undefined {
  const expectedBlocks = Math.floor(total / blksize) + 1;
  for (const [i, { block, size }] of blocks.entries()) {
    const last = i === expectedBlocks - 1;
    const want = last ? total % blksize : blksize;
    if (size !== want) {
      return `DATA ${block} carries ${size} bytes where ${want} were due at blksize ${blksize}`;
    }
  }
  if (blocks.length !== expectedBlocks) {
    return `${blocks.length} DATA arrived where ${expectedBlocks} were due at blksize ${blksize}`;
  }
  return undefined;
}

/**
 * The `blksize-honoured` check.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import check from "./blksize_honoured.ts";
 * assert.equal(check.id, "blksize-honoured");
 * ```
 */
const check: ConformanceCheck = defineCheck({
  id: "blksize-honoured",
  title: "DATA blocks are exactly the negotiated blksize",
  rfc: "RFC 2348",
  level: "must",
  async run(ctx): Promise<CheckOutcome> {
    const verdicts: CheckStatus[] = [];
    const notes: string[] = [];
    const measured: Record<string, unknown> = {};
    for (const { file, blksize } of TRIALS) {
      const options = { blksize: String(blksize) };
      const { record, line } = await downloadDescribed(ctx, file, { options });
      const given = record.oack?.blksize;
      const granted = given !== undefined && /^\d{1,6}$/.test(given) ? Number(given) : undefined;
      const blocks = dataBlocks(record.received, record.serverPort);
      measured[`${file} blksize=${blksize}`] = {
        oack: given ?? null,
        blocks: blocks.length,
        sizes: [...new Set(blocks.map(({ size }) => size))],
      };
      if (granted === undefined || granted < 8 || granted > blksize) {
        const why = given === undefined
          ? "not negotiated"
          : `OACK blksize ${JSON.stringify(given)} is unusable (blksize-range judges it)`;
        verdicts.push("skip");
        notes.push(`${why}: ${line}`);
        continue;
      }
      const fixture = ctx.fixtures.get(file);
      const wrong = wrongSize(blocks, granted, fixture.size) ??
        notIntact(record, fixture.bytes());
      if (wrong !== undefined) {
        verdicts.push("fail");
        notes.push(`${wrong}: ${line}`);
      } else {
        verdicts.push("pass");
        notes.push(line);
      }
    }
    const status = worst(verdicts);
    if (status === "skip") {
      return {
        status,
        detail: `server does not negotiate blksize: ${notes.join("; ")}`,
        measured,
      };
    }
    return { status, detail: notes.join("; "), measured };
  },
});

export default check;
