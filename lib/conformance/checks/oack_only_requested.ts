/**
 * `oack-only-requested` — the OACK carries only options the client asked for (RFC 2347,
 * "Negotiation Protocol": the server must not include in the OACK any option the client did
 * not request, only the client may start a negotiation, and options the server does not
 * support are left out of the OACK and must not cause an ERROR).
 *
 * Sent, each as a complete download:
 * 1. `RRQ "512-byte.bin" octet` without options: DATA 1 must come, not an OACK.
 * 2. `RRQ "1024-byte.bin" octet tsize=0`: an OACK may hold `tsize` only.
 * 3. `RRQ "1024-byte.bin" octet blksize=1024 x-tftpkit-probe=1` (an option no server knows):
 *    an OACK may hold `blksize` only, and the unknown option must not be answered with ERROR.
 *
 * Verdicts: `fail` when any OACK names an option that was not requested (names compared
 * case-insensitively), when an OACK answers the request without options, when the unknown
 * option is answered with ERROR, or when a download does not complete with the fixture's
 * bytes; `skip` when no request got an OACK (the server negotiates no options, so there is
 * no OACK to judge); `pass` otherwise.
 *
 * @module
 */

import { type CheckOutcome, type ConformanceCheck, defineCheck } from "../check.ts";
import { downloadDescribed, notIntact } from "./_option_helpers.ts";

const UNKNOWN = "x-tftpkit-probe";

/**
 * The `oack-only-requested` check.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import check from "./oack_only_requested.ts";
 * assert.equal(check.id, "oack-only-requested");
 * assert.equal(check.level, "must");
 * ```
 */
const check: ConformanceCheck = defineCheck({
  id: "oack-only-requested",
  title: "The OACK carries only options the client requested",
  rfc: "RFC 2347",
  level: "must",
  async run(ctx): Promise<CheckOutcome> {
    const cases: { name: string; options: Record<string, string> }[] = [
      { name: "512-byte.bin", options: {} },
      { name: "1024-byte.bin", options: { tsize: "0" } },
      { name: "1024-byte.bin", options: { blksize: "1024", [UNKNOWN]: "1" } },
    ];
    const lines: string[] = [];
    const problems: string[] = [];
    const acknowledged: Record<string, string>[] = [];
    let oacks = 0;
    for (const { name, options } of cases) {
      const { record, line } = await downloadDescribed(ctx, name, { options });
      lines.push(line);
      const asked = new Set(Object.keys(options).map((key) => key.toLowerCase()));
      if (record.oack !== undefined) {
        oacks++;
        acknowledged.push({ ...record.oack });
        const extra = Object.keys(record.oack).filter((key) => !asked.has(key));
        if (asked.size === 0) {
          problems.push(`an OACK answered a request without options (${line})`);
        } else if (extra.length > 0) {
          problems.push(`the OACK names ${extra.join(", ")}, which was not requested (${line})`);
        }
      }
      if (record.error !== undefined) {
        const what = asked.has(UNKNOWN)
          ? `the unknown option ${UNKNOWN} caused ERROR ${record.error.code}`
          : `the request was refused with ERROR ${record.error.code}`;
        problems.push(`${what} (${line})`);
      } else {
        const wrong = notIntact(record, ctx.fixtures.get(name).bytes());
        if (wrong !== undefined) problems.push(`${name} did not arrive intact: ${wrong} (${line})`);
      }
    }
    const measured = { oacks: acknowledged };
    if (problems.length > 0) {
      return { status: "fail", detail: problems.join("; "), measured };
    }
    if (oacks === 0) {
      return {
        status: "skip",
        detail: `server negotiates no options: every request was answered with DATA 1 and no ` +
          `OACK (${lines.join("; ")})`,
        measured,
      };
    }
    return {
      status: "pass",
      detail: `every OACK named only requested options: ${lines.join("; ")}`,
      measured,
    };
  },
});

export default check;
