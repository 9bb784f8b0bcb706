/**
 * `blksize-range` — the blksize option's limits (RFC 2348): valid values are 8 to 65464
 * octets inclusive, and the value in the OACK must be less than or equal to the client's.
 *
 * Sent, each as a complete download (octet, `blksize` only):
 * - `blksize=7` and `blksize=65465` (out of range): the server may refuse with ERROR 8,
 *   ignore the option (no blksize in the OACK, or DATA 1 at 512 bytes), or, for 65465,
 *   lower it to a valid value. An OACK with the out-of-range value itself, or with a larger
 *   one (7 "clamped" up to 8 is larger than the request), fails.
 * - `blksize=8` and `blksize=65464` (the limits): the OACK value must lie between 8 and the
 *   request; a larger value fails. Ignoring the option passes; an ERROR warns (a valid value
 *   was refused).
 * 7 and 8 use `1024-byte.bin` (129 DATA at blksize 8); 65464 and 65465 use `4404-byte.bin`.
 * Every completed download must carry the fixture's bytes.
 *
 * Verdicts: `skip` when no request got an OACK with blksize and none was refused with
 * ERROR 8 (the server does not negotiate blksize); otherwise the worst of the four answers.
 *
 * @module
 */

import { MAX_BLKSIZE, MIN_BLKSIZE } from "../../tftp/packet/mod.ts";
import {
  type CheckOutcome,
  type CheckStatus,
  type ConformanceCheck,
  defineCheck,
} from "../check.ts";
import { downloadDescribed, notIntact, worst } from "./_option_helpers.ts";

interface Trial {
  value: number;
  file: string;
}

const TRIALS: readonly Trial[] = [
  { value: MIN_BLKSIZE - 1, file: "1024-byte.bin" },
  { value: MIN_BLKSIZE, file: "1024-byte.bin" },
  { value: MAX_BLKSIZE, file: "4404-byte.bin" },
  { value: MAX_BLKSIZE + 1, file: "4404-byte.bin" },
];

/**
 * The `blksize-range` check.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import check from "./blksize_range.ts";
 * assert.equal(check.id, "blksize-range");
 * ```
 */
const check: ConformanceCheck = defineCheck({
  id: "blksize-range",
  title: "blksize 7 and 65465 are not accepted; 8 and 65464 are never raised",
  rfc: "RFC 2348",
  level: "must",
  async run(ctx): Promise<CheckOutcome> {
    const verdicts: CheckStatus[] = [];
    const notes: string[] = [];
    const measured: Record<string, string> = {};
    let negotiates = false;
    for (const { value, file } of TRIALS) {
      const options = { blksize: String(value) };
      const { record, line } = await downloadDescribed(ctx, file, { options });
      const valid = value >= MIN_BLKSIZE && value <= MAX_BLKSIZE;
      const given = record.oack?.blksize;
      const granted = given !== undefined && /^\d{1,6}$/.test(given) ? Number(given) : undefined;
      let status: CheckStatus;
      let why: string;
      if (record.error !== undefined) {
        const code = record.error.code;
        measured[value] = `ERROR ${code}`;
        if (code === 8) negotiates = true;
        if (valid) {
          [status, why] = ["warn", `the valid blksize ${value} was refused`];
        } else if (code === 8) {
          [status, why] = ["pass", `refused with ERROR 8`];
        } else {
          [status, why] = ["warn", `refused with ERROR ${code}; RFC 2347 reserves code 8 for this`];
        }
      } else if (given === undefined) {
        measured[value] = record.oack === undefined ? "no OACK" : "OACK without blksize";
        [status, why] = ["pass", "ignored (512-byte blocks)"];
      } else {
        negotiates = true;
        measured[value] = `OACK blksize=${given}`;
        if (granted === undefined || granted < MIN_BLKSIZE || granted > MAX_BLKSIZE) {
          [status, why] = [
            "fail",
            `the OACK gives blksize ${JSON.stringify(given)}, outside 8..65464`,
          ];
        } else if (granted > value) {
          [status, why] = ["fail", `the OACK raises blksize ${value} to ${granted}`];
        } else {
          [status, why] = ["pass", granted === value ? "accepted" : `lowered to ${granted}`];
        }
      }
      const wrong = notIntact(record, ctx.fixtures.get(file).bytes());
      if (record.error === undefined && status === "pass" && wrong !== undefined) {
        [status, why] = ["fail", `${why}, but ${file} did not arrive intact: ${wrong}`];
      }
      verdicts.push(status);
      notes.push(`blksize ${value}: ${why} (${line})`);
    }
    if (!negotiates) {
      return {
        status: "skip",
        detail: `server does not negotiate blksize: no OACK carried blksize and nothing was ` +
          `refused with ERROR 8 (${notes.join("; ")})`,
        measured,
      };
    }
    return { status: worst(verdicts), detail: notes.join("; "), measured };
  },
});

export default check;
