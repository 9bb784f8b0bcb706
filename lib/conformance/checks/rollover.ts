/**
 * `rollover` — block numbers past 65535 (RFC 1350 §5: block numbers are 16 bits; RFC 2348
 * makes small blocks possible): common practice wraps from 65535 to 0, so files of more
 * than 65535 blocks can be sent. Some servers wrap to 1 instead (clients that know this
 * negotiate it with a `rollover` option), which clients expecting 0 reject.
 *
 * Sent: `RRQ "rollover.bin" octet blksize=8` (65536 x 8 + 100 bytes: 65549 DATA at blksize
 * 8), as a complete lock-step download.
 *
 * Verdicts: `skip` when the server does not grant blksize 8 (no OACK, another size, or an
 * ERROR): the file is then too few blocks to wrap; `pass` when DATA 65535 is followed by
 * DATA 0 and the whole file arrives intact; `warn` when DATA 65535 is followed by DATA 1, or
 * the download fails (the detail says after which block and whether before, at or past the
 * wrap); `fail` only when bytes arrive wrong (corrupt, or a complete transfer of the wrong
 * size).
 *
 * @module
 */

import { type CheckOutcome, type ConformanceCheck, defineCheck } from "../check.ts";
import { compareBytes, dataBlocks, describeDatagrams } from "./_helpers.ts";

const NAME = "rollover.bin";

/**
 * The `rollover` check.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import check from "./rollover.ts";
 * assert.equal(check.id, "rollover");
 * ```
 */
const check: ConformanceCheck = defineCheck({
  id: "rollover",
  title: "Block numbers wrap from 65535 to 0",
  rfc: "RFC 1350 §5, RFC 2348",
  level: "interop",
  limitMs: 180_000,
  async run(ctx): Promise<CheckOutcome> {
    const fixture = ctx.fixtures.get(NAME);
    const got = await ctx.download(NAME, { options: { blksize: "8" } });
    const request = `RRQ ${JSON.stringify(NAME)} octet blksize=8`;
    const blocks = dataBlocks(got.received, got.serverPort);
    const seen = `${request} -> ${describeDatagrams(got.received, 3)}`;
    const at = blocks.findIndex((b) => b.block === 65535);
    const after = at >= 0 ? blocks[at + 1]?.block : undefined;
    const measured = {
      oack: got.oack ?? null,
      dataPackets: blocks.length,
      afterBlock65535: after ?? null,
      ms: Math.round(got.ms),
    };
    const granted = got.oack?.blksize;
    if (granted !== "8" && blocks.length < 65536) {
      const why = got.error !== undefined
        ? `the server refused blksize=8 (${got.detail})`
        : granted === undefined
        ? "the server does not support blksize: no OACK"
        : `the server granted blksize ${granted}, not 8`;
      return {
        status: "skip",
        detail: `${seen}: ${why}, so the file is too few blocks to wrap`,
        measured,
      };
    }
    const wrong = compareBytes(got.data, fixture.bytes().subarray(0, got.data.length));
    if (wrong !== undefined) {
      return { status: "fail", detail: `${seen}: the bytes differ, ${wrong}`, measured };
    }
    if (after === 1) {
      return {
        status: "warn",
        detail: `${seen}: DATA 65535 was followed by DATA 1; common practice (and clients ` +
          `that do not negotiate a rollover option) expect DATA 0`,
        measured,
      };
    }
    if (got.result !== "ok") {
      const last = blocks[blocks.length - 1];
      const where = last === undefined
        ? "before any DATA"
        : `after DATA ${last.block} (${blocks.length} blocks, ${got.data.length} of ` +
          `${fixture.size} bytes)`;
      const wrap = blocks.length < 65535
        ? `, before the wrap at block 65535`
        : blocks.length === 65535
        ? `, exactly at the wrap`
        : `, past the wrap`;
      return {
        status: "warn",
        detail: `${seen}: the download stopped ${where}${wrap}: ${got.detail}`,
        measured,
      };
    }
    if (got.data.length !== fixture.size || after !== 0) {
      return {
        status: "fail",
        detail: `${seen}: ${got.data.length} of ${fixture.size} bytes arrived`,
        measured,
      };
    }
    return {
      status: "pass",
      detail: `${seen}: DATA 65535 then DATA 0, ${blocks.length} DATA, file intact`,
      measured,
    };
  },
});

export default check;
