/**
 * `path-traversal` — no request name leads out of the served directory (RFC 1123 4.2.3.4
 * asks servers for access control over which pathnames are allowed, RFC 1350's security
 * considerations for care with the rights a TFTP server grants; a server configured with a
 * root that serves files outside it defeats both, so this check fails rather than warns).
 *
 * The fixtures put `outside/secret.txt` (holding the outside marker) beside the served
 * `root/`. Sent, each from its own port, all at once: an octet RRQ for every escape form of
 * {@linkcode ESCAPES} — `../`, `..\`, `sub/../../`, `/../`, `//..`, `./../`, `....//`, deep
 * `../` runs to `/etc/passwd`, absolute Unix and Windows paths, and percent-encoded forms
 * (which must be taken literally: `%2e%2e` is not `..`). The first answer to each is
 * recorded; a DATA is answered with ERROR 0 to end that transfer.
 *
 * Verdicts: `fail` when any answer carries the outside marker, or any DATA arrives (every
 * name resolves outside the root, or to nothing inside it); `pass` otherwise, recording for
 * each form whether it got ERROR 1, ERROR 2, another ERROR or no answer.
 *
 * @module
 */

import { OPCODE } from "../../tftp/packet/mod.ts";
import { type CheckOutcome, type ConformanceCheck, defineCheck } from "../check.ts";
import { OUTSIDE_MARKER } from "../fixtures.ts";
import { abandon, describeDatagram, rrq, startDownload } from "./_helpers.ts";

/** Names that lead out of the served root when a server resolves them naively. */
export const ESCAPES: readonly string[] = [
  "../outside/secret.txt",
  "..\\outside\\secret.txt",
  "sub/../../outside/secret.txt",
  "sub\\..\\..\\outside\\secret.txt",
  "/../outside/secret.txt",
  "//../outside/secret.txt",
  "./../outside/secret.txt",
  "..//outside/secret.txt",
  "....//outside/secret.txt",
  "sub/./../../outside/secret.txt",
  "../../../../../../../../../../../../etc/passwd",
  "/etc/passwd",
  "C:\\Windows\\win.ini",
  "C:/Windows/win.ini",
  "%2e%2e/outside/secret.txt",
  "%2e%2e%2foutside%2fsecret.txt",
  "..%2foutside%2fsecret.txt",
  "..%5coutside%5csecret.txt",
];

const latin1 = new TextDecoder("latin1");

/**
 * The `path-traversal` check.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import check, { ESCAPES } from "./path_traversal.ts";
 * assert.equal(check.id, "path-traversal");
 * assert.ok(ESCAPES.includes("../outside/secret.txt"));
 * ```
 */
const check: ConformanceCheck = defineCheck({
  id: "path-traversal",
  title: "No request name escapes the served directory (../, ..\\, absolute, encoded)",
  rfc: "RFC 1123 4.2.3.4",
  level: "must",
  async run(ctx): Promise<CheckOutcome> {
    const waitMs = ctx.ms(2000);
    const answers = await Promise.all(ESCAPES.map(async (name) => {
      const probe = await ctx.openProbe();
      const { first } = await startDownload(ctx, rrq(name), { probe, timeoutMs: waitMs });
      if (first?.packet?.opcode === OPCODE.DATA) await abandon(probe, first.from);
      return { name, first };
    }));
    const escapes: string[] = [];
    const byAnswer = new Map<string, string[]>();
    const measured: Record<string, string> = {};
    for (const { name, first } of answers) {
      const packet = first?.packet;
      const answer = first === undefined
        ? "no answer"
        : packet?.opcode === OPCODE.ERROR
        ? `ERROR ${packet.code}`
        : describeDatagram(first);
      measured[name] = first === undefined ? answer : describeDatagram(first);
      const leaked = first !== undefined && latin1.decode(first.bytes).includes(OUTSIDE_MARKER);
      if (leaked || packet?.opcode === OPCODE.DATA) {
        const what = leaked ? "the outside marker" : "DATA";
        escapes.push(`${JSON.stringify(name)} -> ${describeDatagram(first!)} (${what})`);
      } else {
        byAnswer.set(answer, [...(byAnswer.get(answer) ?? []), JSON.stringify(name)]);
      }
    }
    if (escapes.length > 0) {
      return {
        status: "fail",
        detail: `${escapes.length} of ${ESCAPES.length} names escaped the root: ` +
          escapes.join("; "),
        measured,
      };
    }
    const summary = [...byAnswer].map(([answer, names]) => `${answer} for ${names.join(", ")}`);
    return {
      status: "pass",
      detail: `none of ${ESCAPES.length} escape forms was served: ${summary.join("; ")}`,
      measured,
    };
  },
});

export default check;
