/**
 * `mode-case-insensitive` — transfer mode names (RFC 1350 §5): "The mode field contains the
 * string "netascii", "octet", or "mail" (or any combination of upper and lower case, such as
 * "NETASCII", NetAscii", etc.)".
 *
 * Sent, each as a complete download: `513-byte.bin` in mode `octet` (the reference), then in
 * `OCTET` and `OcTeT`; `netascii.txt` in mode `netascii` (the reference), then in `NETASCII`
 * and `NetAscii`. Each spelling must give exactly the reference's bytes (whether the
 * netascii conversion itself is right is the `netascii` check's business).
 *
 * Verdicts: `pass` when every spelling was served like its lower-case reference; `fail`
 * when one was refused or gave other bytes. A server that refuses lower-case `netascii` does
 * not support netascii at all: only the octet spellings then count, and the detail says so;
 * `skip` when even lower-case `octet` fails.
 *
 * @module
 */

import { type CheckOutcome, type ConformanceCheck, defineCheck } from "../check.ts";
import { compareBytes } from "./_helpers.ts";

interface Case {
  name: string;
  mode: string;
  spellings: readonly string[];
}

const CASES: readonly Case[] = [
  { name: "513-byte.bin", mode: "octet", spellings: ["OCTET", "OcTeT"] },
  { name: "netascii.txt", mode: "netascii", spellings: ["NETASCII", "NetAscii"] },
];

/**
 * The `mode-case-insensitive` check.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import check from "./mode_case_insensitive.ts";
 * assert.equal(check.id, "mode-case-insensitive");
 * ```
 */
const check: ConformanceCheck = defineCheck({
  id: "mode-case-insensitive",
  title: "Mode names are accepted in any mix of upper and lower case",
  rfc: "RFC 1350 §5",
  level: "must",
  async run(ctx): Promise<CheckOutcome> {
    const problems: string[] = [];
    const served: string[] = [];
    const measured: Record<string, string> = {};
    let note = "";
    for (const { name, mode, spellings } of CASES) {
      const reference = await ctx.download(name, { mode });
      measured[mode] = reference.result === "ok" ? "served" : reference.detail;
      if (reference.result !== "ok") {
        const refused = `RRQ ${JSON.stringify(name)} ${mode} -> ${reference.detail}`;
        if (mode === "octet") {
          return {
            status: "skip",
            detail: `${refused}: without a lower-case reference there is nothing to compare`,
            measured,
          };
        }
        note = `; ${refused}: netascii is not supported at all, so only octet counts`;
        continue;
      }
      for (const spelling of spellings) {
        const got = await ctx.download(name, { mode: spelling });
        const line = `RRQ ${JSON.stringify(name)} ${spelling}`;
        const wrong = got.result === "ok"
          ? compareBytes(got.data, reference.data)
          : `${got.detail}, while ${mode} was served`;
        measured[spelling] = wrong === undefined ? "served" : wrong;
        if (wrong === undefined) served.push(line);
        else if (got.result === "ok") problems.push(`${line} -> ${wrong}, compared with ${mode}`);
        else problems.push(`${line} -> ${wrong}`);
      }
    }
    if (problems.length > 0) {
      return {
        status: "fail",
        detail: `${problems.join("; ")} (RFC 1350 §5: modes are case-insensitive)${note}`,
        measured,
      };
    }
    return {
      status: "pass",
      detail: `${served.join(", ")}: each served like its lower-case mode${note}`,
      measured,
    };
  },
});

export default check;
