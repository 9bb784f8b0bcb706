/**
 * `unknown-opcode` — packets with an opcode TFTP does not define (RFC 1350 §5 defines 1 to
 * 5, RFC 2347 adds 6): such a packet "cannot be explained by a delay or duplication in the
 * network" (RFC 1350 §7), so the server answers ERROR 4 (Illegal TFTP operation) or ignores
 * it, and in any case keeps serving.
 *
 * Sent, each from its own port to the request port: opcodes 0, 7, 99 and 65535, each
 * followed by an otherwise valid read request body (`512-byte.bin`, `octet`), so that a
 * server that treats every opcode but WRQ as a read is caught. Answers are gathered for
 * 1 s (scaled); then a normal RRQ checks that the server still serves.
 *
 * Verdicts: `fail` when a sample was served (DATA or OACK: the opcode was ignored), answered
 * with garbage, or the server stopped answering afterwards; `warn` when it was refused with
 * an ERROR code other than 4; `pass` when each got ERROR 4 or silence and the server still
 * serves.
 *
 * @module
 */

import { type CheckOutcome, type ConformanceCheck, defineCheck } from "../check.ts";
import { rawRequest, type Sample, stoppedOutcome, trySamples } from "./_helpers.ts";

const OPCODES = [0, 7, 99, 65535];
/** How long to gather answers, before scaling. */
const WINDOW_MS = 1000;

/**
 * The `unknown-opcode` check.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import check from "./unknown_opcode.ts";
 * assert.equal(check.id, "unknown-opcode");
 * ```
 */
const check: ConformanceCheck = defineCheck({
  id: "unknown-opcode",
  title: "Unknown opcodes get ERROR 4 or silence, and the server survives",
  rfc: "RFC 1350 §5, §7",
  level: "must",
  async run(ctx): Promise<CheckOutcome> {
    const samples: Sample[] = OPCODES.map((opcode) => ({
      label: `opcode ${opcode} + "512-byte.bin" octet`,
      bytes: rawRequest(opcode, ["512-byte.bin", "octet"]),
    }));
    const { seen, classes, live } = await trySamples(ctx, samples, {
      windowMs: ctx.ms(WINDOW_MS),
    });
    const measured = {
      answers: Object.fromEntries(OPCODES.map((opcode, i) => [opcode, classes[i]])),
      alive: live.alive,
    };
    if (!live.alive) return { ...stoppedOutcome(seen, live), measured };
    const bad = classes.findIndex((c) => c === "served" || c === "garbage");
    if (bad >= 0) {
      return {
        status: "fail",
        detail: `${seen}: opcode ${OPCODES[bad]} is no request, yet the server answered as if ` +
          `it were one (RFC 1350 §7: an incorrectly formed packet is an error)`,
        measured,
      };
    }
    if (classes.includes("error")) {
      return {
        status: "warn",
        detail: `${seen}: refused, but not with code 4 (Illegal TFTP operation)`,
        measured,
      };
    }
    return {
      status: "pass",
      detail: `${seen}; then a normal RRQ: ${live.detail}`,
      measured,
    };
  },
});

export default check;
