/**
 * `error-not-found` — a request that cannot be granted (RFC 1350 §7, appendix): "If a
 * request can not be granted ... an ERROR packet (opcode 5) is sent"; the error code for a
 * missing file is 1, "File not found".
 *
 * Sent: `RRQ "conformance-no-such-file.bin" octet` (a name the fixtures never create).
 *
 * Verdicts: `pass` on ERROR 1; `warn` on an ERROR with another code (e.g. 2, which some
 * servers send so as not to reveal which names exist: clients then report the wrong cause);
 * `fail` when no ERROR comes (no answer: the client waits for its full timeout) or when DATA
 * comes for a file that does not exist.
 *
 * @module
 */

import { type CheckOutcome, type ConformanceCheck, defineCheck } from "../check.ts";
import { describeDatagrams } from "./_helpers.ts";

const NAME = "conformance-no-such-file.bin";

/**
 * The `error-not-found` check.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import check from "./error_not_found.ts";
 * assert.equal(check.id, "error-not-found");
 * ```
 */
const check: ConformanceCheck = defineCheck({
  id: "error-not-found",
  title: "A missing file is refused with ERROR 1",
  rfc: "RFC 1350 §7",
  level: "must",
  async run(ctx): Promise<CheckOutcome> {
    const got = await ctx.download(NAME);
    const seen = `RRQ ${JSON.stringify(NAME)} octet -> ${describeDatagrams(got.received)}`;
    const measured = { errorCode: got.error?.code ?? null, message: got.error?.message ?? null };
    if (got.error === undefined) {
      const why = got.result === "timeout"
        ? "no ERROR came (RFC 1350 §7: a request that cannot be granted is answered with " +
          "an ERROR packet)"
        : `the server did not refuse a file that does not exist (${got.detail})`;
      return { status: "fail", detail: `${seen}: ${why}`, measured };
    }
    if (got.error.code !== 1) {
      return {
        status: "warn",
        detail: `${seen}: refused, but with code ${got.error.code} instead of 1 (File not ` +
          `found), so clients report the wrong cause`,
        measured,
      };
    }
    return { status: "pass", detail: `${seen}`, measured };
  },
});

export default check;
