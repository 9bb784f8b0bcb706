/**
 * `tsize-rrq` — the transfer size option on a read (RFC 2349 "Transfer Size Option"): the
 * client sends `tsize` 0 in the RRQ and the server returns the size of the file, in octets,
 * in the OACK.
 *
 * Sent, each as a complete download with `tsize=0`:
 * 1. `RRQ "4404-byte.bin" octet`: the OACK must say `tsize=4404`;
 * 2. `RRQ "0-byte.bin" octet`: `tsize=0`;
 * 3. `RRQ "netascii.txt" netascii`: the octets on the wire are not the size on disk (every
 *    LF and CR gains a byte), so a server may leave tsize out; if it gives one, the number
 *    of octets it then sends is exact (the conversion itself is the `netascii` check's
 *    business). A control download of the same file in netascii without tsize goes first:
 *    when that fails too, netascii is not judged here (a server without netascii support
 *    is not blamed on tsize).
 *
 * Verdicts: `skip` when the octet requests get no tsize back (the server does not support
 * it); `fail` when an octet OACK gives a size other than the file's, or a netascii OACK one
 * that is neither the octets sent nor the size on disk, or an octet download does not
 * complete with the fixture's bytes; `warn` when the netascii tsize is the size on disk
 * (clients that count the octets they receive see a different number), when the netascii
 * request is refused with ERROR rather than answered without tsize (RFC 2347: options a
 * server does not support are left out of the OACK and must not cause an ERROR), or when
 * one octet request got tsize back and the other did not; `pass` otherwise.
 *
 * @module
 */

import {
  type CheckOutcome,
  type CheckStatus,
  type ConformanceCheck,
  defineCheck,
} from "../check.ts";
import { downloadDescribed, notIntact, worst } from "./_option_helpers.ts";

/**
 * The `tsize-rrq` check.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import check from "./tsize_rrq.ts";
 * assert.equal(check.id, "tsize-rrq");
 * ```
 */
const check: ConformanceCheck = defineCheck({
  id: "tsize-rrq",
  title: "RRQ with tsize 0 gets the exact file size in the OACK",
  rfc: "RFC 2349",
  level: "must",
  async run(ctx): Promise<CheckOutcome> {
    const verdicts: CheckStatus[] = [];
    const notes: string[] = [];
    const measured: Record<string, string | null> = {};
    const options = { tsize: "0" };
    let octetGiven = 0;
    for (const name of ["4404-byte.bin", "0-byte.bin"]) {
      const fixture = ctx.fixtures.get(name);
      const { record, line } = await downloadDescribed(ctx, name, { options });
      const given = record.oack?.tsize;
      measured[name] = given ?? null;
      const wrong = notIntact(record, fixture.bytes());
      if (given === undefined) {
        verdicts.push(wrong === undefined ? "skip" : "fail");
        notes.push(wrong === undefined ? `no tsize: ${line}` : `${wrong}: ${line}`);
      } else if (given !== String(fixture.size)) {
        octetGiven++;
        verdicts.push("fail");
        notes.push(`tsize ${JSON.stringify(given)} for a file of ${fixture.size} bytes: ${line}`);
      } else if (wrong !== undefined) {
        octetGiven++;
        verdicts.push("fail");
        notes.push(`${name} did not arrive intact: ${wrong} (${line})`);
      } else {
        octetGiven++;
        verdicts.push("pass");
        notes.push(line);
      }
    }
    if (octetGiven === 0 && !verdicts.includes("fail")) {
      return {
        status: "skip",
        detail: `server does not support tsize: ${notes.join("; ")}`,
        measured,
      };
    }
    if (octetGiven === 1) {
      verdicts.push("warn");
      notes.push("tsize was given for one octet file and not the other");
    }
    const fixture = ctx.fixtures.get("netascii.txt");
    const control = await downloadDescribed(ctx, fixture.name, { mode: "netascii" });
    if (control.record.result !== "ok") {
      notes.push(
        `netascii not judged: without tsize it fails too (the netascii check judges that): ` +
          control.line,
      );
      return {
        status: worst(verdicts.filter((v) => v !== "skip")),
        detail: notes.join("; "),
        measured,
      };
    }
    const { record, line } = await downloadDescribed(ctx, fixture.name, {
      mode: "netascii",
      options,
    });
    const given = record.oack?.tsize;
    const carried = record.data.length;
    measured[`${fixture.name} (netascii)`] = given ?? null;
    if (record.error !== undefined && record.data.length === 0) {
      verdicts.push("warn");
      notes.push(
        `netascii refused instead of leaving tsize out of the OACK (RFC 2347: options a ` +
          `server does not support must not cause an ERROR; clients must retry): ${line}`,
      );
    } else if (record.result !== "ok") {
      notes.push(`netascii not judged, the download did not complete: ${line}`);
    } else if (given === undefined || given === String(carried)) {
      verdicts.push("pass");
      notes.push(line);
    } else if (given === String(fixture.size)) {
      verdicts.push("warn");
      notes.push(
        `netascii tsize ${given} is the size on disk; the transfer carried ${carried} ` +
          `octets: ${line}`,
      );
    } else {
      verdicts.push("fail");
      const echoed = given === "0" ? " (the request's 0 echoed back)" : "";
      notes.push(
        `netascii tsize ${JSON.stringify(given)}${echoed} is neither the ${carried} octets ` +
          `sent nor the ${fixture.size} bytes on disk: ${line}`,
      );
    }
    return {
      status: worst(verdicts.filter((v) => v !== "skip")),
      detail: notes.join("; "),
      measured,
    };
  },
});

export default check;
