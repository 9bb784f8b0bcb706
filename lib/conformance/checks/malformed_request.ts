/**
 * `malformed-request` — broken request packets (RFC 1350 §5, §7; RFC 2347): every field of a
 * request ends in a NUL, options come in name/value pairs, and a datagram shorter than 4
 * bytes cannot be a TFTP packet. A malformed request is answered with ERROR 4 (Illegal TFTP
 * operation) or ignored, and the server keeps serving everyone else.
 *
 * Sent, each from its own port to the request port: 1 byte, 3 bytes (`00 01 61`), an RRQ
 * with no NUL at all, an RRQ without the NUL after the mode, an RRQ whose last option has a
 * name but no value, and an RRQ whose option value lacks its NUL. Answers are gathered for
 * 1 s (scaled); then a normal RRQ checks that the server still serves.
 *
 * Verdicts: `fail` when the server stopped answering afterwards; `warn` when a sample was
 * served (lenient parsing: the server guessed what was meant) or refused with an ERROR code
 * other than 4; `pass` when each got ERROR 4 or silence and the server still serves.
 *
 * @module
 */

import { type CheckOutcome, type ConformanceCheck, defineCheck } from "../check.ts";
import { rawRequest, type Sample, stoppedOutcome, trySamples } from "./_helpers.ts";

const NAME = "512-byte.bin";
const SAMPLES: readonly Sample[] = [
  { label: "1 byte (00)", bytes: new Uint8Array([0]) },
  { label: "3 bytes (00 01 61)", bytes: new Uint8Array([0, 1, 0x61]) },
  {
    label: `RRQ "${NAME}" with no NUL at all`,
    bytes: rawRequest(1, [NAME], { terminated: false }),
  },
  {
    label: `RRQ "${NAME}" octet without the final NUL`,
    bytes: rawRequest(1, [NAME, "octet"], { terminated: false }),
  },
  {
    label: `RRQ "${NAME}" octet blksize (no value)`,
    bytes: rawRequest(1, [NAME, "octet", "blksize"]),
  },
  {
    label: `RRQ "${NAME}" octet blksize=1024 without the final NUL`,
    bytes: rawRequest(1, [NAME, "octet", "blksize", "1024"], { terminated: false }),
  },
];
/** How long to gather answers, before scaling. */
const WINDOW_MS = 1000;

/**
 * The `malformed-request` check.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import check from "./malformed_request.ts";
 * assert.equal(check.id, "malformed-request");
 * ```
 */
const check: ConformanceCheck = defineCheck({
  id: "malformed-request",
  title: "Malformed requests get ERROR 4 or silence, and the server survives",
  rfc: "RFC 1350 §5, §7, RFC 2347",
  level: "must",
  async run(ctx): Promise<CheckOutcome> {
    const { seen, classes, live } = await trySamples(ctx, SAMPLES, {
      windowMs: ctx.ms(WINDOW_MS),
    });
    const measured = {
      answers: Object.fromEntries(SAMPLES.map((s, i) => [s.label, classes[i]])),
      alive: live.alive,
    };
    if (!live.alive) return { ...stoppedOutcome(seen, live), measured };
    const lenient = classes.findIndex((c) => c === "served" || c === "garbage");
    if (lenient >= 0) {
      return {
        status: "warn",
        detail: `${seen}: ${SAMPLES[lenient].label} is malformed, yet the server answered as ` +
          `if it were a valid request (ERROR 4 expected)`,
        measured,
      };
    }
    if (classes.includes("error")) {
      return {
        status: "warn",
        detail: `${seen}: refused, but not always with code 4 (Illegal TFTP operation)`,
        measured,
      };
    }
    return { status: "pass", detail: `${seen}; then a normal RRQ: ${live.detail}`, measured };
  },
});

export default check;
