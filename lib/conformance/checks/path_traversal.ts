/**
 * `path-traversal` — no request name leads out of the served directory. Cited as a security
 * requirement: RFC 1350's security considerations ("care must be taken in the rights
 * granted to a TFTP server process so as not to violate the security of the server hosts
 * file system") and RFC 1123 4.2.3.4 (access control over which pathnames are allowed).
 * RFC 1123 words the access control as a SHOULD, but a server configured with a root that
 * serves files outside it is a vulnerability (any host can read any file the process can),
 * not a style choice: the level is `must` and an escape fails.
 *
 * The fixtures put `outside/secret.txt` and `root-private/secret.txt` (both holding the
 * outside marker) beside the served `root/`; `root-private` starts with the root's name, so
 * a server that checks the resolved path with a bare prefix test serves it. Sent, each from
 * its own port, all at once: an octet RRQ for every escape form of {@linkcode ESCAPES} —
 * `../`, `..\`, `sub/../../`, `/../`, `//..`, `./../`, `....//`, deep `../` runs to
 * `/etc/passwd`, absolute Unix and Windows paths, percent-encoded forms (which must be taken
 * literally: `%2e%2e` is not `..`), the root-prefix sibling, names with control characters
 * (a server that strips them would resolve `../`), and a 500-byte name (`./` repeated, then
 * `../outside/secret.txt`; the request is 509 bytes, within the 512 allowed), against servers
 * that truncate long names. A NUL cannot be part of a name on the wire (it ends the field).
 * The requests are raw bytes (the names are not valid for the strict codec). The first
 * answer to each is recorded; a DATA is answered with ERROR 0 to end that transfer.
 *
 * Verdicts: `fail` when any answer carries the outside marker, or any DATA arrives for a
 * name of at most 255 bytes (every such name resolves outside the root, or to nothing inside
 * it); `warn` when only the 500-byte name got DATA without the marker (the server cut it
 * short, e.g. atftpd at about 256 bytes, and served what the shortened name leads to: the
 * served directory itself, as an empty file); `pass` otherwise, recording for each form
 * whether it got ERROR 1, ERROR 2, another ERROR or no answer.
 *
 * @module
 */

import { OPCODE } from "../../tftp/packet/mod.ts";
import { type CheckOutcome, type ConformanceCheck, defineCheck } from "../check.ts";
import { OUTSIDE_MARKER } from "../fixtures.ts";
import { abandon, describeDatagram, rawRequest, startDownload } from "./_helpers.ts";

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
  "../root-private/secret.txt",
  "sub/../../root-private/secret.txt",
  "..\x01/outside/secret.txt",
  "\x1b../outside/secret.txt",
  "../outside/secret.txt\r\n",
  "/" + "./".repeat(239) + "../outside/secret.txt",
];

const latin1 = new TextDecoder("latin1");
/** Names longer than this (bytes) test truncation: DATA without the marker is a `warn`. */
const LONG_NAME = 255;

/** A name as quoted in details: JSON, with a long one shortened and its length given. */
function label(name: string): string {
  if (name.length <= 60) return JSON.stringify(name);
  return `${JSON.stringify(`${name.slice(0, 12)}...${name.slice(-24)}`)} (${name.length} bytes)`;
}

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
  rfc: "RFC 1350 security, RFC 1123 4.2.3.4",
  level: "must",
  async run(ctx): Promise<CheckOutcome> {
    const waitMs = ctx.ms(2000);
    const answers = await Promise.all(ESCAPES.map(async (name) => {
      const probe = await ctx.openProbe();
      const request = rawRequest(OPCODE.RRQ, [name, "octet"]);
      const { first } = await startDownload(ctx, request, { probe, timeoutMs: waitMs });
      if (first?.packet?.opcode === OPCODE.DATA) await abandon(probe, first.from);
      return { name, first };
    }));
    const escapes: string[] = [];
    const truncated: string[] = [];
    const byAnswer = new Map<string, string[]>();
    const measured: Record<string, string> = {};
    for (const { name, first } of answers) {
      const packet = first?.packet;
      const answer = first === undefined
        ? "no answer"
        : packet?.opcode === OPCODE.ERROR
        ? `ERROR ${packet.code}`
        : describeDatagram(first);
      measured[label(name)] = first === undefined ? answer : describeDatagram(first);
      const leaked = first !== undefined && latin1.decode(first.bytes).includes(OUTSIDE_MARKER);
      if (!leaked && packet?.opcode === OPCODE.DATA && name.length > LONG_NAME) {
        truncated.push(`${label(name)} -> ${describeDatagram(first!)}`);
      } else if (leaked || packet?.opcode === OPCODE.DATA) {
        const what = leaked ? "the outside marker" : "DATA";
        escapes.push(`${label(name)} -> ${describeDatagram(first!)} (${what})`);
      } else {
        byAnswer.set(answer, [...(byAnswer.get(answer) ?? []), label(name)]);
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
    if (truncated.length > 0) {
      return {
        status: "warn",
        detail: `no name escaped the root, but ${truncated.join("; ")} without the outside ` +
          `content: the server cuts over-long names short and serves what the rest names ` +
          `instead of refusing them; ${summary.join("; ")}`,
        measured,
      };
    }
    return {
      status: "pass",
      detail: `none of ${ESCAPES.length} escape forms was served: ${summary.join("; ")}`,
      measured,
    };
  },
});

export default check;
