/**
 * `new-tid` — transfer identifiers (RFC 1350 §4): the server answers a request from a port
 * of its own choosing (its TID) and "the two chosen TIDs are then used for the remainder of
 * the transfer"; TIDs "should be randomly chosen, so that the probability that the same
 * number is chosen twice in immediate succession is very low".
 *
 * Sent: two complete downloads of `1024-byte.bin` (3 DATA each), one after the other, each
 * from a fresh client port.
 *
 * Verdicts: `fail` when a transfer's packets come from more than one server port (a client
 * pins the first one and answers the others with ERROR 5) or a transfer does not complete;
 * `warn` when the server answers from its request port (it then serves one client at a
 * time and mixes requests with transfer packets) or both transfers got the same TID;
 * `pass` otherwise.
 *
 * @module
 */

import {
  type CheckOutcome,
  type ConformanceCheck,
  defineCheck,
  type ScriptedTransferRecord,
} from "../check.ts";
import { canonicalHost, resolveAddress } from "../probe.ts";
import { describeDatagram, describeDatagrams } from "./_helpers.ts";

const NAME = "1024-byte.bin";

/**
 * The `new-tid` check.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import check from "./new_tid.ts";
 * assert.equal(check.id, "new-tid");
 * ```
 */
const check: ConformanceCheck = defineCheck({
  id: "new-tid",
  title: "The server answers from a new port and keeps it for the whole transfer",
  rfc: "RFC 1350 §4",
  level: "must",
  async run(ctx): Promise<CheckOutcome> {
    const server = await resolveAddress(ctx.server);
    const records: ScriptedTransferRecord[] = [];
    for (let i = 0; i < 2; i++) records.push(await ctx.download(NAME));
    const tids = records.map((r) => r.serverPort ?? null);
    const measured = { requestPort: server.port, tids };
    for (const [i, got] of records.entries()) {
      const which = i === 0 ? "first" : "second";
      const seen = `RRQ ${JSON.stringify(NAME)} octet (${which}) -> ${
        describeDatagrams(got.received)
      }`;
      const moved = got.received.find((d) =>
        canonicalHost(d.from.hostname) === server.hostname && d.from.port !== got.serverPort
      );
      if (moved !== undefined) {
        return {
          status: "fail",
          detail: `${seen}: the transfer began from port ${got.serverPort}, then ` +
            `${describeDatagram(moved)} came from port ${moved.from.port} (RFC 1350 §4: the ` +
            `TIDs are used for the remainder of the transfer)`,
          measured,
        };
      }
      if (got.result !== "ok") {
        return { status: "fail", detail: `${seen}: ${got.detail}`, measured };
      }
    }
    if (tids.includes(server.port)) {
      return {
        status: "warn",
        detail: `the server answered from its request port ${server.port} instead of a new ` +
          `TID: it cannot tell a new request from a transfer packet and serves one client at ` +
          `a time`,
        measured,
      };
    }
    if (tids[0] === tids[1]) {
      return {
        status: "warn",
        detail: `two transfers in a row both came from port ${tids[0]} (RFC 1350 §4: TIDs ` +
          `should be random, so a late packet of one transfer cannot enter the next)`,
        measured,
      };
    }
    return {
      status: "pass",
      detail: `two downloads of ${NAME}, each answered from its own port (${tids[0]}, then ` +
        `${tids[1]}; requests to ${server.port}), every DATA from that port`,
      measured,
    };
  },
});

export default check;
