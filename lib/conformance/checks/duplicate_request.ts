/**
 * `duplicate-request` — a repeated request (common practice; RFC 1350 §4 has the server pick
 * one TID per transfer): a client that retransmits its RRQ before the first answer arrives
 * sends the same request twice from the same port. A careful server starts one transfer;
 * otherwise two TIDs send DATA 1, and the client answers the second with ERROR 5 while that
 * transfer retransmits until it gives up.
 *
 * Sent: `RRQ "1024-byte.bin" octet` twice, back to back, from one port. Everything from the
 * server's host is watched for 500 ms (scaled) after the first DATA 1 without acknowledging,
 * then the download is finished lock-step with the first TID and the host is watched for
 * another 500 ms (a second transfer may start late); a second TID, if any, is cancelled with
 * ERROR 0.
 *
 * Verdicts: `pass` when all DATA came from one TID and the file arrived intact; `warn` when
 * a second TID started a second transfer; `fail` when the download did not complete intact.
 *
 * @module
 */

import { encodePacket } from "../../tftp/packet/mod.ts";
import { type CheckOutcome, type ConformanceCheck, defineCheck } from "../check.ts";
import { canonicalHost } from "../probe.ts";
import {
  abandon,
  compareBytes,
  describeDatagram,
  describeDatagrams,
  finishDownload,
  isData,
  rrq,
  startDownload,
} from "./_helpers.ts";

const NAME = "1024-byte.bin";
/** How long to watch for a second TID before acknowledging, before scaling. */
const WATCH_MS = 500;

/**
 * The `duplicate-request` check.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import check from "./duplicate_request.ts";
 * assert.equal(check.id, "duplicate-request");
 * ```
 */
const check: ConformanceCheck = defineCheck({
  id: "duplicate-request",
  title: "The same request twice from one port starts one transfer",
  rfc: "RFC 1350 §4",
  level: "interop",
  async run(ctx): Promise<CheckOutcome> {
    const fixture = ctx.fixtures.get(NAME);
    const probe = await ctx.openProbe();
    const bytes = encodePacket(rrq(NAME));
    await probe.send(bytes);
    const { first, server } = await startDownload(ctx, bytes, { probe });
    const request = `RRQ ${JSON.stringify(NAME)} octet, twice from port ${probe.port}`;
    if (!isData(first, 1)) {
      const got = first === undefined ? "no answer" : describeDatagram(first);
      return { status: "fail", detail: `${request} -> ${got}, not DATA 1` };
    }
    const tid = first.from;
    const early = (await probe.collect(ctx.ms(WATCH_MS))).filter((d) =>
      canonicalHost(d.from.hostname) === server.hostname
    );
    const done = await finishDownload(probe, tid, {
      chunks: [first.packet.data],
      timeoutMs: ctx.ms(2000),
    });
    const rest = await probe.collect(ctx.ms(WATCH_MS)); // a late second transfer
    const fromHost = [first, ...early, ...done.received, ...probe.others, ...rest].filter((d) =>
      canonicalHost(d.from.hostname) === server.hostname
    );
    const ports = [...new Set(fromHost.filter((d) => isData(d)).map((d) => d.from.port))];
    for (const port of ports) if (port !== tid.port) await abandon(probe, { ...tid, port });
    const measured = { tids: ports, datagrams: fromHost.length };
    const opening = new Map<string, number>();
    for (const d of [first, ...early]) {
      const line = `${describeDatagram(d)} from port ${d.from.port}`;
      opening.set(line, (opening.get(line) ?? 0) + 1);
    }
    const lines = [...opening].map(([line, n]) => n > 1 ? `${line} (${n} copies)` : line);
    const seen = `${request} -> ${lines.join(", ")}; ACK 1 to port ${tid.port} -> ${
      describeDatagrams(done.received)
    }`;
    const wrong = done.result === "ok" ? compareBytes(done.data, fixture.bytes()) : done.detail;
    if (wrong !== undefined) return { status: "fail", detail: `${seen}: ${wrong}`, measured };
    if (ports.length > 1) {
      return {
        status: "warn",
        detail: `${seen}: DATA came from ports ${ports.join(" and ")}, two transfers for one ` +
          `client port (a client answers the second with ERROR 5; a server should recognise ` +
          `a repeated request)`,
        measured,
      };
    }
    return {
      status: "pass",
      detail: `${seen}: one transfer, from port ${tid.port}, file intact`,
      measured,
    };
  },
});

export default check;
