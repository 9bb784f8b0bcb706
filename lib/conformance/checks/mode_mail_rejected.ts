/**
 * `mode-mail-rejected` — the obsolete mail mode (RFC 1123 4.2.2.1): "The transfer mode
 * "mail" SHOULD NOT be supported." RFC 1350 §5 also says mail mode names a recipient
 * instead of a file and is only for write requests, so an RRQ in mail mode is never right.
 *
 * Sent: `RRQ "512-byte.bin" mail`, then a wait of 2 s (scaled) for the first answer.
 *
 * Verdicts: `pass` when it is refused with an ERROR (the code is recorded; 4, Illegal TFTP
 * operation, is the usual one); `warn` when the file is served (DATA or OACK; the transfer
 * is then cancelled with ERROR 0) or nothing comes back (the client learns nothing and
 * times out).
 *
 * @module
 */

import { type CheckOutcome, type ConformanceCheck, defineCheck } from "../check.ts";
import { abandon, describeDatagram, isError, rrq, startDownload } from "./_helpers.ts";

const NAME = "512-byte.bin";
/** Wait for the answer, before scaling. */
const ANSWER_MS = 2000;

/**
 * The `mode-mail-rejected` check.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import check from "./mode_mail_rejected.ts";
 * assert.equal(check.id, "mode-mail-rejected");
 * ```
 */
const check: ConformanceCheck = defineCheck({
  id: "mode-mail-rejected",
  title: "Mail mode is refused",
  rfc: "RFC 1123 4.2.2.1",
  level: "should",
  async run(ctx): Promise<CheckOutcome> {
    const { probe, first } = await startDownload(ctx, rrq(NAME, { mode: "mail" }), {
      timeoutMs: ctx.ms(ANSWER_MS),
    });
    const seen = `RRQ ${JSON.stringify(NAME)} mail -> ${
      first === undefined ? `nothing within ${ctx.ms(ANSWER_MS)} ms` : describeDatagram(first)
    }`;
    const measured = { answer: first === undefined ? null : describeDatagram(first) };
    if (first === undefined) {
      return {
        status: "warn",
        detail: `${seen}: no ERROR, so the client learns nothing and times out`,
        measured,
      };
    }
    if (isError(first)) return { status: "pass", detail: `${seen}: refused`, measured };
    await abandon(probe, first.from);
    return {
      status: "warn",
      detail: `${seen}: the server accepted mail mode (RFC 1123 4.2.2.1: mail SHOULD NOT be ` +
        `supported; RFC 1350 allows it only for write requests)`,
      measured,
    };
  },
});

export default check;
