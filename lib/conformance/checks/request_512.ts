/**
 * `request-512` — the largest request (RFC 2347): "The maximum size of a request packet is
 * 512 octets", so a server must accept a request of exactly 512 bytes; a server that reads
 * requests into a smaller buffer cuts the last NUL off and refuses or ignores it.
 *
 * Sent: `RRQ "512-byte.bin" octet` padded to exactly 512 bytes with many short options
 * unknown to every server, `xpad1=x`, `xpad2=x` ... (RFC 2347: unknown options are ignored;
 * many short ones rather than one long value, since servers cap option values, not
 * counts), as a complete download. When that fails, the same request padded to only 128
 * bytes is tried, to tell the size from the padding options.
 *
 * Verdicts: `pass` when the 512-byte request was served with the right bytes; `fail` when it
 * was refused or not answered while the 128-byte one is served; `skip` when the short one
 * fails too (the server rejects the padding option itself, so the size cannot be tested).
 *
 * @module
 */

import { encodePacket, MAX_REQUEST_BYTES } from "../../tftp/packet/mod.ts";
import { type CheckOutcome, type ConformanceCheck, defineCheck } from "../check.ts";
import { compareBytes, describeDatagrams, rrq } from "./_helpers.ts";

const NAME = "512-byte.bin";
const PAD = "xpad";
const SHORT_BYTES = 128;

/** Short unknown options that pad an RRQ for {@linkcode NAME} to exactly `size` bytes. */
function padding(size: number): Record<string, string> {
  const options: Record<string, string> = {};
  let left = size - encodePacket(rrq(NAME)).length;
  for (let i = 1; left > 0; i++) {
    const name = `${PAD}${i}`;
    const fixed = name.length + 2; // the name, its NUL and the value's NUL
    // Each option takes one "x"; the last takes what remains (at least one, at most ~20).
    const value = left - fixed < 2 * (fixed + 1) ? "x".repeat(left - fixed) : "x";
    options[name] = value;
    left -= fixed + value.length;
  }
  return options;
}

/**
 * The `request-512` check.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import check from "./request_512.ts";
 * assert.equal(check.id, "request-512");
 * ```
 */
const check: ConformanceCheck = defineCheck({
  id: "request-512",
  title: "A request of exactly 512 bytes is served",
  rfc: "RFC 2347",
  level: "must",
  async run(ctx): Promise<CheckOutcome> {
    const fixture = ctx.fixtures.get(NAME);
    const options = padding(MAX_REQUEST_BYTES);
    const size = encodePacket(rrq(NAME, { options })).length;
    const got = await ctx.download(NAME, { options });
    const count = Object.keys(options).length;
    const seen = `RRQ ${JSON.stringify(NAME)} octet ${PAD}1=x ... ${PAD}${count} (${size} ` +
      `bytes) -> ${describeDatagrams(got.received, 4)}`;
    const measured = { requestBytes: size, paddingOptions: count, oack: got.oack ?? null };
    const wrong = got.result === "ok" ? compareBytes(got.data, fixture.bytes()) : got.detail;
    if (wrong === undefined) {
      const echoed = Object.keys(got.oack ?? {}).some((k) => k.startsWith(PAD))
        ? ` (the OACK echoed the unknown option, which RFC 2347 forbids: see ` +
          `oack-only-requested)`
        : "";
      return { status: "pass", detail: `${seen}: served intact${echoed}`, measured };
    }
    if (got.result === "ok") {
      return { status: "fail", detail: `${seen}: the file differs, ${wrong}`, measured };
    }
    const short = await ctx.download(NAME, { options: padding(SHORT_BYTES) });
    const control = `the same request padded to ${SHORT_BYTES} bytes -> ${
      short.result === "ok" ? "served" : short.detail
    }`;
    if (short.result !== "ok") {
      return {
        status: "skip",
        detail: `${seen}: ${got.detail}; ${control}: the server refuses the padding option ` +
          `itself, so the request size cannot be tested`,
        measured,
      };
    }
    return {
      status: "fail",
      detail: `${seen}: ${got.detail}; ${control}: a 512-byte request is legal (RFC 2347: ` +
        `the maximum size of a request packet is 512 octets)`,
      measured,
    };
  },
});

export default check;
