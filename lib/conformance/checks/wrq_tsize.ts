/**
 * `wrq-tsize` — the transfer size option on a write (RFC 2349 "Transfer Size Option": in a
 * WRQ the client gives the size of the file, in octets, and the server echoes it in the
 * OACK; it may refuse a file too large with ERROR 3).
 *
 * Sent (with `--writable` only): `WRQ "conformance-wrq-tsize-XXXXXXXX.bin" octet
 * tsize=2000` and 2000 bytes, then an RRQ of the same name; the bytes read back are compared
 * with the bytes sent.
 *
 * When the WRQ is refused with a code other than 3, the same upload without tsize is tried as
 * a control (under another name): a server that refuses every WRQ (dnsmasq answers ERROR 4
 * "unsupported request") says nothing about tsize.
 *
 * Verdicts: `skip` when the WRQ is answered with ACK 0 or an OACK without tsize (the server
 * does not support tsize on writes), or refused and the control is refused too (writes are
 * not enabled on it); `warn` when 2000 bytes are refused with ERROR 3; `fail` when the OACK
 * gives another size, the WRQ with tsize is refused while the control is accepted, the
 * upload does not complete or the file read back differs; `pass` otherwise.
 *
 * @module
 */

import { Prng } from "../../sim/prng.ts";
import { OPCODE } from "../../tftp/packet/mod.ts";
import { type CheckOutcome, type ConformanceCheck, defineCheck } from "../check.ts";
import { fromServer, roundTrip, uniqueName, uploadDescribed } from "./_option_helpers.ts";

const SIZE = 2000;

/**
 * The `wrq-tsize` check.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import check from "./wrq_tsize.ts";
 * assert.equal(check.id, "wrq-tsize");
 * assert.equal(check.writable, true);
 * ```
 */
const check: ConformanceCheck = defineCheck({
  id: "wrq-tsize",
  title: "WRQ with tsize gets the size echoed in the OACK",
  rfc: "RFC 2349",
  level: "must",
  writable: true,
  async run(ctx): Promise<CheckOutcome> {
    const name = uniqueName(ctx.writePrefix, "wrq-tsize");
    const data = new Prng(0x5754).bytes(SIZE);
    const trip = await roundTrip(ctx, name, { data, options: { tsize: String(SIZE) } });
    const { record, line } = trip.up;
    const given = record.oack?.tsize;
    const measured = { name, oackTsize: given ?? null };
    if (trip.refused !== undefined) {
      if (record.error?.code === 3) {
        return { status: "warn", detail: `${SIZE} bytes refused as too large: ${line}`, measured };
      }
      const control = await uploadDescribed(ctx, uniqueName(ctx.writePrefix, "wrq-control"), {
        data,
      });
      const controlRefused = fromServer(control.record)[0]?.packet?.opcode === OPCODE.ERROR;
      const both = `${line}; without tsize: ${control.line}`;
      if (controlRefused || control.record.result !== "ok") {
        return {
          status: "skip",
          detail: `server refused the upload, with and without tsize: ${both}`,
          measured,
        };
      }
      return {
        status: "fail",
        detail: `the tsize option caused an ERROR, while the same upload without it was ` +
          `accepted: ${both}`,
        measured,
      };
    }
    const first = fromServer(record)[0]?.packet;
    if (first?.opcode === OPCODE.ACK) {
      return {
        status: "skip",
        detail:
          `server does not support tsize on writes: answered the WRQ with ACK ${first.block}, ` +
          `no OACK (${line})`,
        measured,
      };
    }
    if (record.oack !== undefined && given === undefined) {
      return {
        status: "skip",
        detail: `server does not support tsize on writes: ${line}`,
        measured,
      };
    }
    if (given !== undefined && given !== String(SIZE)) {
      return {
        status: "fail",
        detail: `the OACK gives tsize ${
          JSON.stringify(given)
        } for a WRQ with tsize ${SIZE}: ${line}`,
        measured,
      };
    }
    if (trip.problem !== undefined) {
      return { status: "fail", detail: `${trip.problem}; ${line}`, measured };
    }
    return { status: "pass", detail: `${line}; then ${trip.down!.line}`, measured };
  },
});

export default check;
