/**
 * `symlink-escape` — a symlink inside the served directory that points outside it is not
 * followed (RFC 1123 4.2.3.4: a server SHOULD have configurable access control over the
 * pathnames it serves; a link that resolves outside the root reaches files the operator did
 * not publish).
 *
 * The fixtures hold `escape-link.bin`, a relative symlink to `../outside/secret.txt`, whose
 * target holds the outside marker. Sent: `RRQ "escape-link.bin" octet`; the first answer is
 * recorded, and a DATA is answered with ERROR 0 to end the transfer.
 *
 * This is a SHOULD: following links is a deliberate feature of some servers, and a chroot
 * makes the same link harmless (it then resolves inside the root, to a file that does not
 * exist). Verdicts: `warn` when DATA arrives (with or without the marker) or an ERROR carries
 * the marker; `pass` when the request is refused with an ERROR or not answered.
 *
 * @module
 */

import { OPCODE } from "../../tftp/packet/mod.ts";
import { type CheckOutcome, type ConformanceCheck, defineCheck } from "../check.ts";
import { OUTSIDE_MARKER } from "../fixtures.ts";
import { abandon, describeDatagram, rrq, startDownload } from "./_helpers.ts";

const LINK = "escape-link.bin";

/**
 * The `symlink-escape` check.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import check from "./symlink_escape.ts";
 * assert.equal(check.id, "symlink-escape");
 * ```
 */
const check: ConformanceCheck = defineCheck({
  id: "symlink-escape",
  title: "A symlink pointing outside the served directory is not followed",
  rfc: "RFC 1123 4.2.3.4",
  level: "should",
  async run(ctx): Promise<CheckOutcome> {
    const name = ctx.fixtures.get(LINK).name;
    const probe = await ctx.openProbe();
    const waitMs = ctx.ms(2000);
    const { first } = await startDownload(ctx, rrq(name), { probe, timeoutMs: waitMs });
    const sent = `RRQ ${JSON.stringify(name)} octet`;
    if (first === undefined) {
      return { status: "pass", detail: `not served: ${sent} -> no answer within ${waitMs} ms` };
    }
    const line = `${sent} -> ${describeDatagram(first)}`;
    const measured = { answer: describeDatagram(first) };
    const marker = new TextDecoder("latin1").decode(first.bytes).includes(OUTSIDE_MARKER);
    if (first.packet?.opcode === OPCODE.DATA) {
      await abandon(probe, first.from);
      const what = marker ? "the outside file's content (the marker)" : "DATA";
      return {
        status: "warn",
        detail: `the link to ../outside/secret.txt was followed: ${line} carries ${what}`,
        measured,
      };
    }
    if (marker) {
      return { status: "warn", detail: `the answer reveals the outside file: ${line}`, measured };
    }
    return { status: "pass", detail: `not served: ${line}`, measured };
  },
});

export default check;
