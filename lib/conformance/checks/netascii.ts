/**
 * `netascii` — the netascii transfer mode (RFC 1350 §5 and its appendix; Telnet NVT, RFC
 * 764/854): on the wire every line ends in CR LF and a CR that is not part of a line end is
 * sent as CR NUL. A server sending a local (LF-terminated) text file therefore turns each LF
 * into CR LF and each CR into CR NUL; a CR LF pair in the file is a CR followed by a line
 * end, so it goes out as CR NUL CR LF.
 *
 * Sent: `RRQ "netascii.txt" netascii`, a complete download. The fixture mixes LF, CR LF and
 * bare CR line ends; on the wire a CR LF straddles DATA 1/2 and a CR NUL straddles DATA 2/3.
 *
 * Verdicts: `pass` when the bytes on the wire are exactly the NVT form of the fixture;
 * `warn` when the server leaves CR LF pairs of the file as they are (a receiver then loses
 * those CRs) but converts everything else; `fail` when the server refuses netascii (RFC 1123
 * 4.2.2.1 and its requirement summary list the netascii and octet modes as MUST, mail as
 * SHOULD NOT), ends the
 * transfer with an ERROR after DATA began, or sends the file unconverted (as in octet mode) or
 * converted in any other way (the first difference is named).
 *
 * @module
 */

import { NetasciiEncoder, OPCODE } from "../../tftp/packet/mod.ts";
import { type CheckOutcome, type ConformanceCheck, defineCheck } from "../check.ts";
import { compareBytes, describeDatagrams } from "./_helpers.ts";

const NAME = "netascii.txt";
const CR = 0x0d;
const LF = 0x0a;

/** LF -> CR LF and bare CR -> CR NUL, but a CR LF of the file kept as it is. */
function keepCrLf(text: Uint8Array): Uint8Array {
  const out: number[] = [];
  for (let i = 0; i < text.length; i++) {
    const byte = text[i];
    if (byte === CR && text[i + 1] === LF) {
      out.push(CR, LF);
      i++;
    } else if (byte === LF) out.push(CR, LF);
    else if (byte === CR) out.push(CR, 0);
    else out.push(byte);
  }
  return new Uint8Array(out);
}

/**
 * The `netascii` check.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import check from "./netascii.ts";
 * assert.equal(check.id, "netascii");
 * ```
 */
const check: ConformanceCheck = defineCheck({
  id: "netascii",
  title: "netascii mode sends LF as CR LF and CR as CR NUL",
  rfc: "RFC 1350 §5, RFC 1123 4.2.2.1",
  level: "must",
  async run(ctx): Promise<CheckOutcome> {
    const fixture = ctx.fixtures.get(NAME);
    const text = fixture.bytes();
    const wire = new NetasciiEncoder().encode(text);
    const got = await ctx.download(NAME, { mode: "netascii" });
    const seen = `RRQ ${JSON.stringify(NAME)} netascii -> ${describeDatagrams(got.received, 4)}`;
    const measured = { fileBytes: text.length, wireBytes: wire.length, gotBytes: got.data.length };
    if (got.result === "error") {
      const began = got.received.some((d) => d.packet?.opcode === OPCODE.DATA);
      return {
        status: "fail",
        detail: began
          ? `${seen}: the server ended the netascii transfer with an ERROR after DATA began`
          : `${seen}: netascii mode is refused (RFC 1123 4.2.2.1: netascii is a MUST)`,
        measured,
      };
    }
    if (got.result !== "ok") return { status: "fail", detail: `${seen}: ${got.detail}`, measured };
    const wrong = compareBytes(got.data, wire);
    if (wrong === undefined) {
      return {
        status: "pass",
        detail: `${seen}: ${text.length} bytes of text became exactly the ${wire.length} NVT ` +
          `bytes (LF -> CR LF, CR -> CR NUL, also across DATA boundaries)`,
        measured,
      };
    }
    if (compareBytes(got.data, text) === undefined) {
      return {
        status: "fail",
        detail: `${seen}: the file came unconverted, as in octet mode (expected ${wire.length} ` +
          `NVT bytes with CR LF line ends)`,
        measured,
      };
    }
    if (compareBytes(got.data, keepCrLf(text)) === undefined) {
      return {
        status: "warn",
        detail: `${seen}: LF and bare CR were converted, but the file's CR LF pairs went out ` +
          `as CR LF instead of CR NUL CR LF, so a receiver turns them into LF and loses the CR`,
        measured,
      };
    }
    return {
      status: "fail",
      detail: `${seen}: not the NVT form of the file: ${wrong}`,
      measured,
    };
  },
});

export default check;
