/**
 * `block-boundary` — where a transfer ends (RFC 1350 §6, RFC 2348): the last DATA is the
 * first one shorter than the block size, so a file whose size is an exact multiple of the
 * block size ends with a DATA carrying 0 bytes.
 *
 * Sent, each as a complete lock-step download (octet):
 * - `511-byte.bin`, `512-byte.bin`, `513-byte.bin`, `1024-byte.bin` without options: 1, 2, 2
 *   and 3 DATA whose last carries 511, 0, 1 and 0 bytes;
 * - `4404-byte.bin` with `blksize=1468` (3 x 1468): 4 DATA, the last with 0 bytes. When the
 *   server negotiates another blksize (or none), the expected blocks follow from the size it
 *   uses, and the detail says the multiple-of-blksize case was then covered at 512 only.
 *
 * Verdicts: `pass` when every download completes with the fixture's bytes, the expected
 * number of DATA, full blocks up to the last and the expected last size; `fail` otherwise
 * (a missing final 0-byte DATA leaves RFC 1350 clients waiting for more).
 *
 * @module
 */

import { type CheckOutcome, type ConformanceCheck, defineCheck } from "../check.ts";
import { compareBytes, dataBlocks, describeDatagrams } from "./_helpers.ts";

interface Case {
  name: string;
  options: Record<string, string>;
}

const CASES: readonly Case[] = [
  { name: "511-byte.bin", options: {} },
  { name: "512-byte.bin", options: {} },
  { name: "513-byte.bin", options: {} },
  { name: "1024-byte.bin", options: {} },
  { name: "4404-byte.bin", options: { blksize: "1468" } },
];

/**
 * The `block-boundary` check.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import check from "./block_boundary.ts";
 * assert.equal(check.id, "block-boundary");
 * ```
 */
const check: ConformanceCheck = defineCheck({
  id: "block-boundary",
  title: "A transfer ends with the first short DATA, 0 bytes after an exact multiple",
  rfc: "RFC 1350 §6, RFC 2348",
  level: "must",
  async run(ctx): Promise<CheckOutcome> {
    const problems: string[] = [];
    const seen: string[] = [];
    const measured: Record<string, unknown> = {};
    let note = "";
    for (const { name, options } of CASES) {
      const fixture = ctx.fixtures.get(name);
      const got = await ctx.download(name, { options });
      const asked = Object.entries(options).map(([k, v]) => ` ${k}=${v}`).join("");
      const line = `RRQ ${JSON.stringify(name)} octet${asked} -> ${
        describeDatagrams(got.received, 4)
      }`;
      if (got.result !== "ok") {
        problems.push(`${line}: ${got.detail}`);
        continue;
      }
      const granted = got.oack?.blksize;
      const blksize = granted === undefined ? 512 : Number(granted);
      if (options.blksize !== undefined && granted !== options.blksize) {
        note = granted === undefined
          ? ` The server ignored blksize=${options.blksize}, so ${name} came in 512-byte ` +
            `blocks; the exact-multiple case is covered by 512 and 1024 bytes.`
          : fixture.size % blksize === 0
          ? ` The server lowered blksize to ${granted}; ${name} is a multiple of it too.`
          : ` The server lowered blksize to ${granted}, of which ${name} is no multiple; the ` +
            `exact-multiple case is covered at 512 only.`;
      }
      const blocks = dataBlocks(got.received, got.serverPort);
      const count = Math.floor(fixture.size / blksize) + 1;
      const last = fixture.size % blksize;
      measured[name] = { blksize, dataPackets: blocks.length, lastBytes: blocks.at(-1)?.size };
      seen.push(`${name}: ${blocks.length} DATA, last ${blocks.at(-1)?.size} B`);
      const wrong = compareBytes(got.data, fixture.bytes());
      if (wrong !== undefined) problems.push(`${line}: the file differs, ${wrong}`);
      else if (blocks.length !== count || blocks.at(-1)?.size !== last) {
        problems.push(
          `${line}: expected ${count} DATA at blksize ${blksize}, the last with ${last} bytes`,
        );
      } else if (blocks.slice(0, -1).some((b) => b.size !== blksize)) {
        problems.push(`${line}: a DATA before the last is not ${blksize} bytes`);
      }
    }
    if (problems.length > 0) {
      return { status: "fail", detail: problems.join("; ") + note, measured };
    }
    return { status: "pass", detail: seen.join("; ") + "." + note, measured };
  },
});

export default check;
