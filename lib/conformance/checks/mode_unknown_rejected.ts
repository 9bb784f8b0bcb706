/**
 * `mode-unknown-rejected` — modes other than netascii, octet and mail (RFC 1350 §5 defines
 * only these; §7 lists "an incorrectly formed packet" among the causes of an ERROR, and
 * code 4, Illegal TFTP operation, is the one for it). A server that serves `binary` or
 * `ascii` as if they were octet hides client bugs and may convert (or not) unexpectedly.
 *
 * Sent: `RRQ "512-byte.bin" binary` and `RRQ "512-byte.bin" ascii`, each from its own port,
 * then a wait of 2 s (scaled) for each first answer.
 *
 * Verdicts: `pass` when both are refused with ERROR 4; `warn` when one is served (DATA or
 * OACK; the transfer is then cancelled with ERROR 0), refused with another code, or not
 * answered at all.
 *
 * @module
 */

import { type CheckOutcome, type ConformanceCheck, defineCheck } from "../check.ts";
import { abandon, describeDatagram, isError, rrq, startDownload } from "./_helpers.ts";

const NAME = "512-byte.bin";
const MODES = ["binary", "ascii"];
/** Wait for each answer, before scaling. */
const ANSWER_MS = 2000;

/**
 * The `mode-unknown-rejected` check.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import check from "./mode_unknown_rejected.ts";
 * assert.equal(check.id, "mode-unknown-rejected");
 * ```
 */
const check: ConformanceCheck = defineCheck({
  id: "mode-unknown-rejected",
  title: "Unknown modes are refused with ERROR 4",
  rfc: "RFC 1350 §5, §7",
  level: "interop",
  async run(ctx): Promise<CheckOutcome> {
    const answers = await Promise.all(MODES.map(async (mode) => {
      const { probe, first } = await startDownload(ctx, rrq(NAME, { mode }), {
        timeoutMs: ctx.ms(ANSWER_MS),
      });
      if (first !== undefined && !isError(first)) await abandon(probe, first.from);
      return { mode, first };
    }));
    const lines = answers.map(({ mode, first }) =>
      `RRQ ${JSON.stringify(NAME)} ${mode} -> ${
        first === undefined ? `nothing within ${ctx.ms(ANSWER_MS)} ms` : describeDatagram(first)
      }`
    );
    const measured = Object.fromEntries(
      answers.map((
        { mode, first },
      ) => [mode, first === undefined ? null : describeDatagram(first)]),
    );
    const seen = lines.join("; ");
    if (answers.every(({ first }) => isError(first, 4))) {
      return { status: "pass", detail: `${seen}: both refused`, measured };
    }
    const served = answers.filter(({ first }) => first !== undefined && !isError(first));
    const why = served.length > 0
      ? `the server accepted the unknown mode ${JSON.stringify(served[0].mode)}`
      : answers.some(({ first }) => first === undefined)
      ? "no ERROR, so the client learns nothing and times out"
      : "refused, but not with code 4 (Illegal TFTP operation)";
    return { status: "warn", detail: `${seen}: ${why}`, measured };
  },
});

export default check;
