/**
 * `wrq-boundary` — uploads at the block boundaries (RFC 1350 §6: a DATA shorter than the
 * block size ends the transfer, so a file whose size is a multiple of the block size ends
 * with a 0-byte DATA, and an empty file is one 0-byte DATA 1; RFC 2348 for the negotiated
 * block size).
 *
 * Sent (with `--writable` only), each a WRQ of a new `conformance-wrq-boundary-*` name and
 * then an RRQ of it, the bytes read back compared with the bytes sent:
 * - 0 bytes (DATA 1 with 0 bytes), 512 bytes (DATA 1 full, DATA 2 with 0 bytes) and 513
 *   bytes (DATA 2 with 1 byte), without options;
 * - 2936 bytes with `blksize=1468` (two full blocks and a 0-byte DATA 3; when the server
 *   grants another blksize, the upload uses it and the detail says so).
 *
 * Verdicts: `skip` when the server refuses the first WRQ at once with ERROR (writes are not
 * enabled on it); `fail` when an upload does not complete (its final ACK does not come) or
 * a file read back differs; `pass` otherwise.
 *
 * @module
 */

import { Prng } from "../../sim/prng.ts";
import { type CheckOutcome, type ConformanceCheck, defineCheck } from "../check.ts";
import { roundTrip, uniqueName } from "./_option_helpers.ts";

const CASES: readonly { size: number; options: Record<string, string> }[] = [
  { size: 0, options: {} },
  { size: 512, options: {} },
  { size: 513, options: {} },
  { size: 2 * 1468, options: { blksize: "1468" } },
];

/**
 * The `wrq-boundary` check.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import check from "./wrq_boundary.ts";
 * assert.equal(check.id, "wrq-boundary");
 * assert.equal(check.writable, true);
 * ```
 */
const check: ConformanceCheck = defineCheck({
  id: "wrq-boundary",
  title: "Uploads of 0, 512, 513 bytes and a multiple of blksize end correctly",
  rfc: "RFC 1350",
  level: "must",
  writable: true,
  async run(ctx): Promise<CheckOutcome> {
    const lines: string[] = [];
    const problems: string[] = [];
    const measured: Record<string, string> = {};
    for (const [i, { size, options }] of CASES.entries()) {
      const name = uniqueName(ctx.writePrefix, `wrq-boundary-${size}`);
      const data = new Prng(0x5742 + size).bytes(size);
      const trip = await roundTrip(ctx, name, { data, options });
      if (trip.refused !== undefined) {
        if (i === 0) {
          return { status: "skip", detail: `server refused the upload: ${trip.refused}` };
        }
        problems.push(`${size} bytes: the WRQ was refused (${trip.refused})`);
        continue;
      }
      const granted = trip.up.record.oack?.blksize;
      measured[`${size} bytes`] = trip.problem === undefined ? "ok" : trip.problem;
      if (options.blksize !== undefined) {
        measured.blksize = granted ?? "not negotiated";
      }
      const note = options.blksize !== undefined && granted !== options.blksize
        ? ` (blksize ${granted ?? "not negotiated"}: not the multiple intended)`
        : "";
      if (trip.problem !== undefined) problems.push(`${size} bytes: ${trip.problem}${note}`);
      else lines.push(`${trip.up.line}${note}`);
    }
    if (problems.length > 0) {
      return { status: "fail", detail: problems.join("; "), measured };
    }
    return {
      status: "pass",
      detail: `all read back identical: ${lines.join("; ")}`,
      measured,
    };
  },
});

export default check;
