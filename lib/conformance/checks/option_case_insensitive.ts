/**
 * `option-case-insensitive` — option names are case-insensitive (RFC 2347, "Packet
 * Formats": each option name and value is "case-insensitive ASCII"). A server must
 * recognise `BLKSIZE` and `TSize` as it recognises `blksize` and `tsize`; the names in its
 * OACK may be spelled in any case (the suite compares them case-insensitively and records
 * the spelling).
 *
 * Sent, each as a complete download of `1024-byte.bin` (octet):
 * 1. `blksize=1024 tsize=0` (the baseline: what the server accepts in lower case);
 * 2. `BLKSIZE=1024 TSIZE=0`;
 * 3. `BlkSize=1024 TSize=0`.
 *
 * Verdicts: `skip` when the baseline OACK holds neither option (nothing to compare);
 * `fail` when an option acknowledged in lower case is not acknowledged in another spelling
 * (ignored, or refused with ERROR), or when a download does not complete with the fixture's
 * bytes; `pass` when every spelling got the same options acknowledged.
 *
 * @module
 */

import { OPCODE } from "../../tftp/packet/mod.ts";
import { type CheckOutcome, type ConformanceCheck, defineCheck } from "../check.ts";
import { downloadDescribed, fromServer, notIntact, oackSpellings } from "./_option_helpers.ts";

const FILE = "1024-byte.bin";

const SPELLINGS: readonly Record<string, string>[] = [
  { blksize: "1024", tsize: "0" },
  { BLKSIZE: "1024", TSIZE: "0" },
  { BlkSize: "1024", TSize: "0" },
];

/**
 * The `option-case-insensitive` check.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import check from "./option_case_insensitive.ts";
 * assert.equal(check.id, "option-case-insensitive");
 * ```
 */
const check: ConformanceCheck = defineCheck({
  id: "option-case-insensitive",
  title: "Option names are accepted in any case (BLKSIZE, TSize)",
  rfc: "RFC 2347",
  level: "must",
  async run(ctx): Promise<CheckOutcome> {
    const expected = ctx.fixtures.get(FILE).bytes();
    const lines: string[] = [];
    const problems: string[] = [];
    const spelledByServer: string[][] = [];
    let baseline: string[] | undefined;
    for (const options of SPELLINGS) {
      const { record, line } = await downloadDescribed(ctx, FILE, { options });
      lines.push(line);
      const oack = fromServer(record).find((d) => d.packet?.opcode === OPCODE.OACK);
      spelledByServer.push(oack === undefined ? [] : oackSpellings(oack.bytes));
      const accepted = Object.keys(record.oack ?? {}).filter((key) => key in SPELLINGS[0]).sort();
      if (baseline === undefined) {
        baseline = accepted;
        if (accepted.length === 0) {
          return {
            status: "skip",
            detail: `server acknowledges neither blksize nor tsize in lower case: ${line}`,
          };
        }
      } else {
        const lost = baseline.filter((key) => !accepted.includes(key));
        if (lost.length > 0) {
          const names = Object.keys(options).filter((name) => lost.includes(name.toLowerCase()));
          const were = lost.length > 1 ? "were" : "was";
          problems.push(
            `${names.join(" and ")} not acknowledged, though ${lost.join(" and ")} in lower ` +
              `case ${were}: ${line}`,
          );
        }
      }
      const wrong = record.error === undefined ? notIntact(record, expected) : undefined;
      if (wrong !== undefined) problems.push(`${FILE} did not arrive intact: ${wrong} (${line})`);
    }
    const measured = { acknowledged: baseline, oackNames: spelledByServer };
    if (problems.length > 0) return { status: "fail", detail: problems.join("; "), measured };
    return {
      status: "pass",
      detail: `every spelling got ${baseline!.join(" and ")} acknowledged: ${lines.join("; ")}`,
      measured,
    };
  },
});

export default check;
