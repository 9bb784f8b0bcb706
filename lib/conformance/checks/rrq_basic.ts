/**
 * `rrq-basic` — a plain read request (RFC 1350 §2, §5, §6): an RRQ without options is
 * answered with DATA 1 (never an OACK, which RFC 2347 allows only in reply to options), the
 * blocks come lock-step in 512-byte DATA packets numbered from 1, and the file arrives
 * byte for byte.
 *
 * Sent: `RRQ "513-byte.bin" octet`, then ACK 1 and ACK 2 as the DATA arrive.
 *
 * Verdicts: `pass` when the first answer is DATA 1 (512 B), then DATA 2 (1 B), and the 513
 * bytes equal the fixture; `fail` on an ERROR, no answer, an OACK, other block sizes or
 * different bytes (RFC 1350 §6: every DATA but the last carries 512 bytes).
 *
 * @module
 */

import { type CheckOutcome, type ConformanceCheck, defineCheck } from "../check.ts";
import { compareBytes, dataBlocks, describeDatagrams, isData } from "./_helpers.ts";

const NAME = "513-byte.bin";

/**
 * The `rrq-basic` check.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import check from "./rrq_basic.ts";
 * assert.equal(check.id, "rrq-basic");
 * ```
 */
const check: ConformanceCheck = defineCheck({
  id: "rrq-basic",
  title: "A read request is answered with DATA 1 and the file arrives intact",
  rfc: "RFC 1350 §2, §6",
  level: "must",
  async run(ctx): Promise<CheckOutcome> {
    const fixture = ctx.fixtures.get(NAME);
    const got = await ctx.download(fixture.name);
    const seen = `RRQ ${JSON.stringify(NAME)} octet -> ${describeDatagrams(got.received)}`;
    const measured = {
      serverPort: got.serverPort ?? null,
      datagrams: got.received.length,
      ms: Math.round(got.ms),
    };
    if (got.oack !== undefined) {
      return {
        status: "fail",
        detail: `${seen}: an OACK answered a request without options (RFC 2347 sends OACK ` +
          `only to acknowledge requested options; an RFC 1350 client expects DATA 1)`,
        measured,
      };
    }
    if (got.result !== "ok") return { status: "fail", detail: `${seen}: ${got.detail}`, measured };
    const first = got.received.find((d) => d.from.port === got.serverPort);
    if (!isData(first, 1)) {
      return { status: "fail", detail: `${seen}: the first answer is not DATA 1`, measured };
    }
    const sizes = dataBlocks(got.received, got.serverPort).map((b) => b.size);
    const wrong = compareBytes(got.data, fixture.bytes());
    if (wrong !== undefined) {
      return { status: "fail", detail: `${seen}: the file differs, ${wrong}`, measured };
    }
    if (sizes.join(",") !== "512,1") {
      return {
        status: "fail",
        detail: `${seen}: expected DATA 1 (512 B) and DATA 2 (1 B), got blocks of ` +
          `${sizes.join(", ")} bytes`,
        measured,
      };
    }
    return {
      status: "pass",
      detail: `${seen}: ${fixture.size} bytes intact, lock-step from port ${got.serverPort}`,
      measured,
    };
  },
});

export default check;
