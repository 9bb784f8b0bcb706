/**
 * `wrq-basic` — a plain upload is stored exactly (RFC 1350 §2 and §6: WRQ, ACK 0, then
 * lock-step DATA/ACK until a DATA shorter than 512 bytes; the file written is the bytes
 * sent).
 *
 * Sent (with `--writable` only): `WRQ "conformance-wrq-basic-XXXXXXXX.bin" octet` without
 * options and 1500 bytes in DATA 1-3 (512, 512, 476), then `RRQ` of the same name; the bytes
 * read back are compared with the bytes sent. The random suffix keeps every run's file new
 * (servers usually refuse to overwrite).
 *
 * Verdicts: `skip` when the server refuses the WRQ at once with ERROR (writes are not
 * enabled on it); `fail` when the upload does not complete, or the file read back differs;
 * `pass` otherwise.
 *
 * @module
 */

import { Prng } from "../../sim/prng.ts";
import { type CheckOutcome, type ConformanceCheck, defineCheck } from "../check.ts";
import { roundTrip, uniqueName } from "./_option_helpers.ts";

const SIZE = 1500;

/**
 * The `wrq-basic` check.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import check from "./wrq_basic.ts";
 * assert.equal(check.id, "wrq-basic");
 * assert.equal(check.writable, true);
 * ```
 */
const check: ConformanceCheck = defineCheck({
  id: "wrq-basic",
  title: "An upload (WRQ) is stored exactly and reads back identical",
  rfc: "RFC 1350",
  level: "must",
  writable: true,
  async run(ctx): Promise<CheckOutcome> {
    const name = uniqueName(ctx.writePrefix, "wrq-basic");
    const data = new Prng(0x5752).bytes(SIZE);
    const trip = await roundTrip(ctx, name, { data });
    if (trip.refused !== undefined) {
      return { status: "skip", detail: `server refused the upload: ${trip.refused}` };
    }
    const measured = { name, bytes: SIZE, uploadMs: Math.round(trip.up.record.ms) };
    if (trip.problem !== undefined) {
      return { status: "fail", detail: `${trip.problem}; ${trip.up.line}`, measured };
    }
    return { status: "pass", detail: `${trip.up.line}; then ${trip.down!.line}`, measured };
  },
});

export default check;
