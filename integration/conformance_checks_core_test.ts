// The core conformance checks (RFC 1350 / RFC 1123: lib/conformance/checks/) against our own
// server, which must pass every one, and against a small scripted fake server on loopback
// whose quirks (one at a time) must make each check fail, warn or skip: proof that every
// check can tell a broken server from a good one.
// Run with: deno test --allow-all integration/conformance_checks_core_test.ts
//
// Every server, socket and temporary directory is closed or removed by `await using`; every
// wait of the fake server is bounded by its timeout and retry count, every check by its own
// scaled deadlines.
import assert from "node:assert/strict";
import { encodeError, encodePacket, NetasciiEncoder, OPCODE, serveTftp } from "../mod.ts";
import type { CheckOutcome, ConformanceCheck } from "../lib/conformance/check.ts";
import { createCheckContext } from "../lib/conformance/context.ts";
import { FIXTURES, writeFixtures } from "../lib/conformance/fixtures.ts";
import { RawPeer, within } from "./_fixture.ts";
import backoff from "../lib/conformance/checks/backoff.ts";
import blockBoundary from "../lib/conformance/checks/block_boundary.ts";
import duplicateRequest from "../lib/conformance/checks/duplicate_request.ts";
import errorEndsTransfer from "../lib/conformance/checks/error_ends_transfer.ts";
import errorNotFound from "../lib/conformance/checks/error_not_found.ts";
import malformedRequest from "../lib/conformance/checks/malformed_request.ts";
import modeCaseInsensitive from "../lib/conformance/checks/mode_case_insensitive.ts";
import modeMailRejected from "../lib/conformance/checks/mode_mail_rejected.ts";
import modeUnknownRejected from "../lib/conformance/checks/mode_unknown_rejected.ts";
import netascii from "../lib/conformance/checks/netascii.ts";
import newTid from "../lib/conformance/checks/new_tid.ts";
import request512 from "../lib/conformance/checks/request_512.ts";
import retransmitIdentical from "../lib/conformance/checks/retransmit_identical.ts";
import rollover from "../lib/conformance/checks/rollover.ts";
import rrqBasic from "../lib/conformance/checks/rrq_basic.ts";
import rrqEmpty from "../lib/conformance/checks/rrq_empty.ts";
import sorcerersApprentice from "../lib/conformance/checks/sorcerers_apprentice.ts";
import unknownOpcode from "../lib/conformance/checks/unknown_opcode.ts";
import unknownTid from "../lib/conformance/checks/unknown_tid.ts";

const SHUTDOWN_MS = 5000;
/** Deadlines of the checks against the fake server: a tenth (loopback answers at once). */
const FAKE_SCALE = 0.1;

/** Runs `check` against 127.0.0.1:`port` within its own time limit. */
async function run(
  check: ConformanceCheck,
  port: number,
  options: { timeoutScale?: number } = {},
): Promise<CheckOutcome> {
  const timeoutScale = options.timeoutScale ?? 1;
  await using ctx = createCheckContext({ server: { hostname: "127.0.0.1", port }, timeoutScale });
  const limit = (check.limitMs ?? 30_000) * timeoutScale + 5000;
  return await within(check.run(ctx), limit, `check ${check.id}`);
}

/** Ports, times and addresses replaced, so that details compare exactly. */
function normalize(detail: string): string {
  return detail
    .replace(/\bports? \d+( and \d+)?/g, (m) => m.replace(/\d+/g, "P"))
    .replace(/\(\d+, then \d+; requests to \d+\)/, "(P, then P; requests to P)")
    .replace(/\d+(\.\d+)?((, \d+(\.\d+)?)*) ms/g, "T ms")
    .replace(/intact in \d+ ms/g, "intact in T ms");
}

// ---------------------------------------------------------------------------------------
// Our server: every check passes.

Deno.test("core conformance checks: our server passes every one", async (t) => {
  const base = await Deno.makeTempDir({ prefix: "tftpkit_checks_core_" });
  const { root } = await writeFixtures(base);
  const server = serveTftp({
    root,
    hostname: "127.0.0.1",
    port: 0,
    initialRtoMs: 200,
    minRtoMs: 100,
  });
  const port = server.addr.port;
  const passes = async (check: ConformanceCheck, detail: string | RegExp) => {
    await t.step(check.id, async () => {
      const out = await run(check, port);
      assert.equal(out.status, "pass", out.detail);
      if (typeof detail === "string") assert.equal(normalize(out.detail), detail);
      else assert.match(out.detail, detail);
    });
  };
  try {
    await passes(
      rrqBasic,
      'RRQ "513-byte.bin" octet -> DATA 1 (512 B), DATA 2 (1 B): 513 bytes intact, lock-step ' +
        "from port P",
    );
    await passes(
      rrqEmpty,
      'RRQ "0-byte.bin" octet -> DATA 1 (0 B): one 4-byte DATA 1, then nothing',
    );
    await passes(
      blockBoundary,
      "511-byte.bin: 1 DATA, last 511 B; 512-byte.bin: 2 DATA, last 0 B; 513-byte.bin: 2 DATA, " +
        "last 1 B; 1024-byte.bin: 3 DATA, last 0 B; 4404-byte.bin: 4 DATA, last 0 B.",
    );
    await passes(
      newTid,
      "two downloads of 1024-byte.bin, each answered from its own port (P, then P; requests " +
        "to P), every DATA from that port",
    );
    await passes(
      unknownTid,
      /^RRQ "1024-byte\.bin" octet -> DATA 1 from port \d+; ACK 1 from stranger port \d+ -> ERROR 5 "Unknown transfer ID"; then the client's ACK 1 -> (DATA 1 \(512 B\), )*DATA 2 \(512 B\), DATA 3 \(0 B\): the stranger got ERROR 5, the transfer went on intact$/,
    );
    await passes(
      retransmitIdentical,
      'RRQ "1024-byte.bin" octet -> DATA 1, then no ACK -> DATA 1 (512 B) after T ms ' +
        '(identical); ACK 1 -> DATA 2 (512 B), DATA 3 (0 B); RRQ "1024-byte.bin" octet -> ' +
        "DATA 1, ACK 1 -> DATA 2 (512 B), then no ACK -> DATA 2 (512 B) after T ms " +
        "(identical); ACK 2 -> DATA 3 (0 B): both retransmissions were identical, both files " +
        "intact",
    );
    await passes(
      backoff,
      'RRQ "1024-byte.bin" octet -> DATA 1, ACK 1 -> DATA 2, never acknowledged -> DATA 2 ' +
        "(512 B) again, after T ms: the timeout backs off",
    );
    await passes(
      sorcerersApprentice,
      'RRQ "4404-byte.bin" octet -> DATA 1 (512 B), DATA 2 (512 B), DATA 3 (512 B), DATA 4 ' +
        "(512 B), DATA 5 (512 B), DATA 6 (512 B), DATA 7 (512 B) ... DATA 9 (308 B): duplicate " +
        "ACKs 1, 2 and 3 (each sent just before the right ACK) got no answer; DATA 2, 3 and 4 did " +
        "not come again after them, file intact",
    );
    await passes(
      errorNotFound,
      'RRQ "conformance-no-such-file.bin" octet -> ERROR 1 "File not found"',
    );
    await passes(
      errorEndsTransfer,
      'RRQ "1024-byte.bin" octet -> DATA 1, ACK 1 -> DATA 2, no ACK -> DATA 2 (512 B) after ' +
        "T ms; ERROR 0 to port P -> nothing within T ms: the transfer ended",
    );
    await passes(
      modeCaseInsensitive,
      'RRQ "513-byte.bin" OCTET, RRQ "513-byte.bin" OcTeT, RRQ "netascii.txt" NETASCII, RRQ ' +
        '"netascii.txt" NetAscii: each served like its lower-case mode',
    );
    await passes(
      modeMailRejected,
      'RRQ "512-byte.bin" mail -> ERROR 4 "Mail mode is not supported": refused',
    );
    await passes(
      modeUnknownRejected,
      'RRQ "512-byte.bin" binary -> ERROR 4 "Unknown transfer mode \\"binary\\""; RRQ ' +
        '"512-byte.bin" ascii -> ERROR 4 "Unknown transfer mode \\"ascii\\"": both refused',
    );
    await passes(
      unknownOpcode,
      [0, 7, 99, 65535].map((n) =>
        `opcode ${n} + "512-byte.bin" octet -> ERROR 4 "Malformed request: Unknown opcode ${n}"`
      ).join("; ") + "; then a normal RRQ: 512-byte.bin arrived intact in T ms",
    );
    await passes(
      malformedRequest,
      '1 byte (00) -> ERROR 4 "Malformed request: Datagram of 1 bytes is too short for TFTP"; ' +
        '3 bytes (00 01 61) -> ERROR 4 "Malformed request: Datagram of 3 bytes is too short ' +
        'for TFTP"; RRQ "512-byte.bin" with no NUL at all -> ERROR 4 "Malformed request: RRQ ' +
        'does not end with a NUL byte"; RRQ "512-byte.bin" octet without the final NUL -> ' +
        'ERROR 4 "Malformed request: RRQ does not end with a NUL byte"; RRQ "512-byte.bin" ' +
        'octet blksize (no value) -> ERROR 4 "Malformed request: RRQ option \\"blksize\\" has ' +
        'no value"; RRQ "512-byte.bin" octet blksize=1024 without the final NUL -> ERROR 4 ' +
        '"Malformed request: RRQ does not end with a NUL byte"; then a normal RRQ: ' +
        "512-byte.bin arrived intact in T ms",
    );
    await passes(
      netascii,
      'RRQ "netascii.txt" netascii -> DATA 1 (512 B), DATA 2 (512 B), DATA 3 (512 B), DATA 4 ' +
        "(27 B): 1512 bytes of text became exactly the 1563 NVT bytes (LF -> CR LF, CR -> CR " +
        "NUL, also across DATA boundaries)",
    );
    await passes(
      duplicateRequest,
      /^RRQ "1024-byte\.bin" octet, twice from port \d+ -> DATA 1 \(512 B\) from port (\d+)( \(\d copies\))?; ACK 1 to port \1 -> DATA 2 \(512 B\), DATA 3 \(0 B\): one transfer, from port \1, file intact$/,
    );
    await passes(
      request512,
      'RRQ "512-byte.bin" octet xpad1=x ... xpad54 (512 bytes) -> DATA 1 (512 B), ' +
        "DATA 2 (0 B): served intact",
    );
    await passes(
      rollover,
      'RRQ "rollover.bin" octet blksize=8 -> OACK blksize=8, DATA 1 (8 B) ... DATA 13 (4 B): ' +
        "DATA 65535 then DATA 0, 65549 DATA, file intact",
    );
  } finally {
    try {
      await within(server.shutdown(), SHUTDOWN_MS, "server shutdown");
    } finally {
      await Deno.remove(base, { recursive: true });
    }
  }
});

// ---------------------------------------------------------------------------------------
// A fake server with quirks, one at a time.

/** How the fake server misbehaves; with none set it behaves well. */
interface Quirks {
  /** Resend the current DATA when the previous ACK comes again (Sorcerer's Apprentice). */
  sas?: boolean;
  /** Like `sas`, but only in the first transfer. */
  sasFirstOnly?: boolean;
  /** Send every DATA twice at once (a timeout retransmission queued before the client read). */
  doubleData?: boolean;
  /** Never back off: every retransmission after the same timeout. */
  constantTimeout?: boolean;
  /** Wait these intervals (ms) before the retransmissions, in order, instead of doubling. */
  intervals?: readonly number[];
  /** Send DATA from this block on from a second port. */
  switchPortAt?: number;
  /** Take an ACK from any port as the client's. */
  acceptStrangers?: boolean;
  /** Send nothing to a stranger (no ERROR 5). */
  silentToStrangers?: boolean;
  /** Keep retransmitting after the client's ERROR. */
  ignoreClientError?: boolean;
  /** Send the current packet once more when the client's ERROR comes (as if they crossed). */
  oneMoreOnError?: boolean;
  /** Only lower-case modes are known. */
  caseSensitiveModes?: boolean;
  /** Serve every mode as octet. */
  acceptAnyMode?: boolean;
  /** The code for a missing file. @default {1} */
  notFoundCode?: number;
  /** Leave out the final 0-byte DATA. */
  noFinalEmpty?: boolean;
  /** Number blocks 65535, 1, 2 ... */
  rolloverTo1?: boolean;
  /** Ignore every option (no OACK). */
  noOptions?: boolean;
  /** An OACK (blksize=512) even for requests without options. */
  oackAlways?: boolean;
  /** A repeated request from the same port starts another transfer. */
  noDedupe?: boolean;
  /** Requests longer than this are dropped. */
  maxRequestBytes?: number;
  /** Serve requests without the final NUL or with a dangling option name. */
  lenient?: boolean;
  /** Stop answering anything after a packet that is not a valid request. */
  dieAfterBadPacket?: boolean;
  /** Send netascii files unconverted. */
  netasciiAsOctet?: boolean;
  /** Stop sending (give up silently) after this DATA block. */
  stopAfter?: number;
  /** Refuse netascii with ERROR 4. */
  noNetascii?: boolean;
  /** Retransmissions carry one byte changed. */
  mutateRetransmit?: boolean;
  /** The content served for a fixture. @default {its bytes} */
  content?: (name: string, bytes: Uint8Array) => Uint8Array;
}

/**
 * A {@linkcode RawPeer} on 127.0.0.1 for the fake server: sends that never throw, a receive
 * that gives the sender's port (`null` once closed) and an idempotent close.
 */
class Socket extends RawPeer {
  #closed = false;

  async sendTo(bytes: Uint8Array, port: number): Promise<void> {
    if (!this.#closed) await this.send(bytes, port).catch(() => {});
  }

  /** The next datagram, `undefined` after `ms`, `null` once closed. */
  async next(ms: number): Promise<{ bytes: Uint8Array; port: number } | undefined | null> {
    if (this.#closed) return null;
    const got = await this.receiveBytes(ms).catch(() => null);
    return got && { bytes: got.bytes, port: got.from.port };
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    await this[Symbol.asyncDispose]();
  }
}

const FAKE_TIMEOUT_MS = 100;
const FAKE_RETRIES = 5;
const text = new TextDecoder();

/** The fake server: a request loop on 127.0.0.1 and one sender per accepted RRQ. */
class FakeServer implements AsyncDisposable {
  readonly #listener = new Socket();
  readonly #quirks: Quirks;
  readonly #sockets = new Set<Socket>();
  readonly #transfers = new Set<Promise<void>>();
  readonly #active = new Set<string>();
  readonly #loop: Promise<void>;
  #started = 0;
  #dead = false;

  constructor(quirks: Quirks) {
    this.#quirks = quirks;
    this.#loop = this.#run();
  }

  get port(): number {
    return this.#listener.port;
  }

  async #run(): Promise<void> {
    for (;;) {
      const got = await this.#listener.next(60_000);
      if (got === null) return;
      if (got !== undefined && !this.#dead) await this.#request(got.bytes, got.port);
    }
  }

  async #refuse(port: number, code: number, message: string): Promise<void> {
    if (this.#quirks.dieAfterBadPacket && code === 4) this.#dead = true;
    else await this.#listener.sendTo(encodeError(code, message), port);
  }

  async #request(bytes: Uint8Array, port: number): Promise<void> {
    const q = this.#quirks;
    const opcode = bytes.length >= 2 ? (bytes[0] << 8) | bytes[1] : -1;
    if (bytes.length < 4 || opcode !== OPCODE.RRQ) {
      return await this.#refuse(port, 4, "Illegal TFTP operation");
    }
    if (bytes.length > (q.maxRequestBytes ?? Infinity)) return;
    const terminated = bytes[bytes.length - 1] === 0;
    const fields = text.decode(bytes.subarray(2, terminated ? -1 : undefined)).split("\0");
    if ((!terminated || fields.length < 2 || fields.length % 2 !== 0) && !q.lenient) {
      return await this.#refuse(port, 4, "Malformed request");
    }
    const [name, mode = "octet", ...rest] = fields;
    const options: Record<string, string> = {};
    for (let i = 0; i + 1 < rest.length; i += 2) options[rest[i].toLowerCase()] = rest[i + 1];
    const known = q.caseSensitiveModes ? mode : mode.toLowerCase();
    const refused = known === "netascii" && q.noNetascii;
    if ((known !== "octet" && known !== "netascii" && !q.acceptAnyMode) || refused) {
      return await this.#refuse(port, 4, "Unknown mode");
    }
    const fixture = FIXTURES.all.find((f) => f.name === name && f.kind === "file");
    if (fixture === undefined) return await this.#refuse(port, q.notFoundCode ?? 1, "Not found");
    const key = `${port} ${text.decode(bytes)}`;
    if (this.#active.has(key) && !q.noDedupe) return;
    this.#active.add(key);
    let data = (q.content ?? ((_, b) => b))(name, fixture.bytes());
    if (known === "netascii" && !q.netasciiAsOctet) data = new NetasciiEncoder().encode(data);
    const sas = q.sas === true || (q.sasFirstOnly === true && this.#started === 0);
    this.#started++;
    const transfer = this.#send(port, data, options, sas).finally(() => {
      this.#active.delete(key);
      this.#transfers.delete(transfer);
    });
    this.#transfers.add(transfer);
  }

  #socket(): Socket {
    const socket = new Socket();
    this.#sockets.add(socket);
    return socket;
  }

  /** Sends `data` to the client at `client` lock-step; returns when done or given up. */
  async #send(client: number, data: Uint8Array, options: Record<string, string>, sas: boolean) {
    const q = this.#quirks;
    const tid = this.#socket();
    const other = q.switchPortAt === undefined ? tid : this.#socket();
    try {
      const blksize = q.noOptions || options.blksize === undefined ? 512 : Number(options.blksize);
      if (q.oackAlways || (!q.noOptions && options.blksize !== undefined)) {
        const oack = encodePacket({ opcode: OPCODE.OACK, options: { blksize: String(blksize) } });
        const step = { client, packet: oack, block: 0, previous: -1, sas };
        if (!await this.#exchange(tid, step)) return;
      }
      const full = Math.floor(data.length / blksize);
      const count = q.noFinalEmpty && data.length % blksize === 0 ? full : full + 1;
      for (let n = 1; n <= count; n++) {
        const block = q.rolloverTo1 ? ((n - 1) % 65535) + 1 : n & 0xffff;
        const previous = n === 1 ? 0 : q.rolloverTo1 ? ((n - 2) % 65535) + 1 : (n - 1) & 0xffff;
        if (n > (q.stopAfter ?? Infinity)) return;
        const chunk = data.subarray((n - 1) * blksize, n * blksize);
        const from = n >= (q.switchPortAt ?? Infinity) ? other : tid;
        const packet = encodePacket({ opcode: OPCODE.DATA, block, data: chunk });
        if (q.doubleData) await from.sendTo(packet, client);
        if (!await this.#exchange(from, { client, packet, block, previous, sas })) return;
      }
    } finally {
      for (const socket of [tid, other]) {
        this.#sockets.delete(socket);
        await socket.close();
      }
    }
  }

  /** Sends `packet` until ACK `block` comes; false when the transfer ends instead. */
  async #exchange(
    tid: Socket,
    step: { client: number; packet: Uint8Array; block: number; previous: number; sas: boolean },
  ): Promise<boolean> {
    const { client, packet, block, previous, sas } = step;
    const q = this.#quirks;
    let timeoutMs = q.intervals?.[0] ?? FAKE_TIMEOUT_MS;
    let deadline = performance.now() + timeoutMs;
    let retries = 0;
    await tid.sendTo(packet, client);
    for (;;) {
      const got = await tid.next(Math.max(0, deadline - performance.now()));
      if (got === null) return false;
      if (got === undefined) {
        if (retries++ === FAKE_RETRIES) return false;
        const copy = packet.slice();
        if (q.mutateRetransmit) copy[copy.length - 1] ^= 0xff;
        await tid.sendTo(copy, client);
        if (q.intervals) timeoutMs = q.intervals[retries] ?? timeoutMs;
        else if (!q.constantTimeout) timeoutMs *= 2;
        deadline = performance.now() + timeoutMs;
        continue;
      }
      const op = (got.bytes[0] << 8) | got.bytes[1];
      const acked = (got.bytes[2] << 8) | got.bytes[3];
      if (got.port !== client && !q.acceptStrangers) {
        if (!q.silentToStrangers) await tid.sendTo(encodeError(5, "Unknown transfer ID"), got.port);
        continue;
      }
      if (op === OPCODE.ERROR && q.oneMoreOnError) await tid.sendTo(packet, client);
      if (op === OPCODE.ERROR && !q.ignoreClientError) return false;
      if (op !== OPCODE.ACK) continue;
      if (acked === block) return true;
      if (acked === previous && sas) await tid.sendTo(packet, client);
    }
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.#listener.close();
    await this.#loop;
    await Promise.all([...this.#sockets].map((socket) => socket.close()));
    await Promise.all([...this.#transfers]);
  }
}

/** Runs `check` against a fake server with `quirks`, its deadlines scaled by `scale`. */
async function against(
  check: ConformanceCheck,
  quirks: Quirks,
  scale = FAKE_SCALE,
): Promise<CheckOutcome> {
  await using fake = new FakeServer(quirks);
  return await run(check, fake.port, { timeoutScale: scale });
}

Deno.test("core conformance checks: the well-behaved fake server passes", async (t) => {
  const checks = [
    rrqBasic,
    rrqEmpty,
    blockBoundary,
    newTid,
    unknownTid,
    retransmitIdentical,
    backoff,
    sorcerersApprentice,
    errorNotFound,
    errorEndsTransfer,
    modeCaseInsensitive,
    modeMailRejected,
    modeUnknownRejected,
    unknownOpcode,
    malformedRequest,
    netascii,
    duplicateRequest,
    request512,
  ];
  for (const check of checks) {
    await t.step(check.id, async () => {
      const out = await against(check, {});
      // mail is not one of the fake's modes, so it is refused like any unknown mode.
      assert.equal(out.status, "pass", out.detail);
    });
  }
});

/** One quirk and the verdict it must cause. */
interface Negative {
  check: ConformanceCheck;
  quirks: Quirks;
  status: CheckOutcome["status"];
  /** The detail, normalized ({@linkcode normalize}), or a pattern it matches. */
  detail: string | RegExp;
  /** Deadlines scale, when the fake's answer must fit a window (default: FAKE_SCALE). */
  scale?: number;
}

const NEGATIVES: readonly Negative[] = [
  {
    check: rrqBasic,
    quirks: { oackAlways: true },
    status: "fail",
    detail: 'RRQ "513-byte.bin" octet -> OACK blksize=512, DATA 1 (512 B), DATA 2 (1 B): an ' +
      "OACK answered a request without options (RFC 2347 sends OACK only to acknowledge " +
      "requested options; an RFC 1350 client expects DATA 1)",
  },
  {
    check: rrqEmpty,
    quirks: { content: (name, bytes) => name === "0-byte.bin" ? new Uint8Array([65]) : bytes },
    status: "fail",
    detail: 'RRQ "0-byte.bin" octet -> DATA 1 (1 B): expected exactly one DATA 1 with 0 bytes',
  },
  {
    check: blockBoundary,
    quirks: { noFinalEmpty: true },
    status: "fail",
    detail: 'RRQ "512-byte.bin" octet -> DATA 1 (512 B): no DATA 2 within T ms, after 3 ' +
      'retransmits; RRQ "1024-byte.bin" octet -> DATA 1 (512 B), DATA 2 (512 B): no DATA 3 ' +
      'within T ms, after 3 retransmits; RRQ "4404-byte.bin" octet blksize=1468 -> OACK ' +
      "blksize=1468, DATA 1 (1468 B), DATA 2 (1468 B), DATA 3 (1468 B): no DATA 4 within T " +
      "ms, after 3 retransmits",
  },
  {
    check: newTid,
    quirks: { switchPortAt: 2 },
    status: "fail",
    detail: 'RRQ "1024-byte.bin" octet (first) -> DATA 1 (512 B), DATA 2 (512 B), DATA 2 ' +
      "(512 B), DATA 2 (512 B), DATA 2 (512 B): the transfer began from port P, then DATA 2 " +
      "(512 B) came from port P (RFC 1350 §4: the TIDs are used for the remainder of the " +
      "transfer)",
  },
  {
    check: unknownTid,
    quirks: { acceptStrangers: true },
    status: "fail",
    detail:
      /^RRQ "1024-byte\.bin" octet -> DATA 1 from port \d+; ACK 1 from stranger port \d+ -> nothing; meanwhile the client got DATA 2 \(512 B\): the stranger's ACK moved the transfer on before the client acknowledged DATA 1$/,
  },
  {
    check: unknownTid,
    quirks: { silentToStrangers: true },
    status: "warn",
    detail:
      /^RRQ "1024-byte\.bin" octet -> DATA 1 from port \d+; ACK 1 from stranger port \d+ -> nothing; then the client's ACK 1 -> .*DATA 3 \(0 B\): the transfer went on undisturbed, but the stranger got no answer within 100 ms instead of ERROR 5 from the TID \(RFC 1350 §4: an error packet should be sent to the source of the incorrect packet\)$/,
  },
  {
    check: retransmitIdentical,
    quirks: { mutateRetransmit: true },
    status: "fail",
    detail:
      /: the copy of DATA 1 is not the same datagram: byte 515 is 0x[0-9a-f]{2} instead of 0x[0-9a-f]{2}; the copy of DATA 2 is not the same datagram: byte 515 is 0x[0-9a-f]{2} instead of 0x[0-9a-f]{2}$/,
  },
  {
    check: backoff,
    quirks: { constantTimeout: true },
    status: "fail",
    detail: 'RRQ "1024-byte.bin" octet -> DATA 1, ACK 1 -> DATA 2, never acknowledged -> DATA 2 ' +
      "(512 B) again, after T ms: the intervals do not grow (RFC 1123 4.2.3.2: a TFTP " +
      "implementation MUST use an adaptive timeout; at least an exponential backoff is " +
      "necessary)",
  },
  {
    // dnsmasq: 1 + 2^(n/2) s counted in whole seconds, a tenth: 2, 2, 3, 3, 5 s (a 3 s
    // step can fire after 2 s).
    check: backoff,
    quirks: { intervals: [200, 200, 240, 240, 500] },
    status: "pass",
    detail:
      /^RRQ "1024-byte\.bin" octet -> DATA 1, ACK 1 -> DATA 2, never acknowledged -> DATA 2 \(512 B\) again, after ([\d.]+, ){4}[\d.]+ ms: the timeout backs off$/,
  },
  {
    check: sorcerersApprentice,
    quirks: { sas: true },
    status: "fail",
    detail: 'RRQ "4404-byte.bin" octet -> DATA 1 (512 B), DATA 2 (512 B), DATA 3 (512 B), DATA 4 ' +
      "(512 B), DATA 5 (512 B), DATA 5 (512 B), DATA 6 (512 B) ... DATA 9 (308 B): after DATA 5 " +
      "arrived the client sent ACK 4 again, then ACK 5, and DATA 5 came again T ms after the " +
      "first copy, after the duplicate ACK left (on the first download DATA 2, 3, 4 came again " +
      "likewise): an answer to the duplicate ACK (RFC 1123 4.2.3.1: the sender must never " +
      "resend the current DATA on receipt of a duplicate ACK); likewise DATA 6, 7",
  },
  {
    check: sorcerersApprentice,
    quirks: { doubleData: true },
    status: "pass",
    detail:
      /: duplicate ACKs 1, 2 and 3 \(each sent just before the right ACK\) got no answer; DATA 2, 3 and 4 did not come again after them, file intact$/,
  },
  {
    check: sorcerersApprentice,
    quirks: { sasFirstOnly: true },
    status: "pass",
    detail:
      /: duplicate ACKs 4, 5 and 6 \(each sent just before the right ACK\) got no answer; DATA 5, 6 and 7 did not come again after them, file intact \(a first download saw DATA 2, 3, 4 again just after the duplicate ACK, likely a queued timeout retransmission; this second one did not\)$/,
  },
  {
    check: errorNotFound,
    quirks: { notFoundCode: 2 },
    status: "warn",
    detail: 'RRQ "conformance-no-such-file.bin" octet -> ERROR 2 "Not found": refused, but with ' +
      "code 2 instead of 1 (File not found), so clients report the wrong cause",
  },
  {
    check: errorEndsTransfer,
    quirks: { ignoreClientError: true, constantTimeout: true },
    status: "fail",
    detail:
      /^RRQ "1024-byte\.bin" octet -> DATA 1, ACK 1 -> DATA 2, no ACK -> DATA 2 \(512 B\) after [\d.]+ ms; ERROR 0 to port \d+ -> (DATA 2 \(512 B\), )+DATA 2 \(512 B\) within [\d.]+ ms: the server kept sending after the client's ERROR \(RFC 1350 §2, §7\)$/,
  },
  {
    check: errorEndsTransfer,
    quirks: { oneMoreOnError: true },
    // The fake answers the ERROR with one more DATA, which must land within the grace that
    // counts it as crossed: 100 ms unscaled (at a tenth, 10 ms, a loaded machine missed it).
    scale: 1,
    status: "pass",
    detail:
      /^RRQ "1024-byte\.bin" octet -> DATA 1, ACK 1 -> DATA 2, no ACK -> DATA 2 \(512 B\) after [\d.]+ ms; ERROR 0 to port \d+ -> nothing within [\d.]+ ms \(and 1 datagram within [\d.]+ ms, which may have crossed the ERROR\): the transfer ended$/,
  },
  {
    check: modeCaseInsensitive,
    quirks: { caseSensitiveModes: true },
    status: "fail",
    detail: 'RRQ "513-byte.bin" OCTET -> ERROR 4 "Unknown mode", while octet was served; RRQ ' +
      '"513-byte.bin" OcTeT -> ERROR 4 "Unknown mode", while octet was served; RRQ ' +
      '"netascii.txt" NETASCII -> ERROR 4 "Unknown mode", while netascii was served; RRQ ' +
      '"netascii.txt" NetAscii -> ERROR 4 "Unknown mode", while netascii was served (RFC 1350 ' +
      "§5: modes are case-insensitive)",
  },
  {
    check: modeMailRejected,
    quirks: { acceptAnyMode: true },
    status: "warn",
    detail: 'RRQ "512-byte.bin" mail -> DATA 1 (512 B): the server accepted mail mode (RFC 1123 ' +
      "4.2.2.1: mail SHOULD NOT be supported; RFC 1350 allows it only for write requests)",
  },
  {
    check: modeUnknownRejected,
    quirks: { acceptAnyMode: true },
    status: "warn",
    detail: 'RRQ "512-byte.bin" binary -> DATA 1 (512 B); RRQ "512-byte.bin" ascii -> DATA 1 ' +
      '(512 B): the server accepted the unknown mode "binary"',
  },
  {
    check: unknownOpcode,
    quirks: { dieAfterBadPacket: true },
    status: "fail",
    detail: [0, 7, 99, 65535].map((n) => `opcode ${n} + "512-byte.bin" octet -> silence`)
      .join("; ") +
      "; then a normal RRQ: 512-byte.bin: no answer to the RRQ within T ms, after 3 " +
      "retransmits: the server stopped serving",
  },
  {
    check: malformedRequest,
    quirks: { dieAfterBadPacket: true },
    status: "fail",
    detail:
      /; then a normal RRQ: 512-byte\.bin: no answer to the RRQ within 200 ms, after 3 retransmits: the server stopped serving$/,
  },
  {
    check: malformedRequest,
    quirks: { lenient: true },
    status: "warn",
    detail: '1 byte (00) -> ERROR 4 "Illegal TFTP operation"; 3 bytes (00 01 61) -> ERROR 4 ' +
      '"Illegal TFTP operation"; RRQ "512-byte.bin" with no NUL at all -> DATA 1 (512 B); RRQ ' +
      '"512-byte.bin" octet without the final NUL -> DATA 1 (512 B); RRQ "512-byte.bin" octet ' +
      'blksize (no value) -> DATA 1 (512 B); RRQ "512-byte.bin" octet blksize=1024 without the ' +
      'final NUL -> OACK blksize=1024: RRQ "512-byte.bin" with no NUL at all is malformed, yet ' +
      "the server answered as if it were a valid request (ERROR 4 expected)",
  },
  {
    check: netascii,
    quirks: { netasciiAsOctet: true },
    status: "fail",
    detail: 'RRQ "netascii.txt" netascii -> DATA 1 (512 B), DATA 2 (512 B), DATA 3 (488 B): ' +
      "the file came unconverted, as in octet mode (expected 1563 NVT bytes with CR LF line " +
      "ends)",
  },
  {
    check: netascii,
    quirks: { noNetascii: true },
    status: "fail",
    detail: 'RRQ "netascii.txt" netascii -> ERROR 4 "Unknown mode": netascii mode is refused ' +
      "(RFC 1123 4.2.2.1: netascii is a MUST)",
  },
  {
    check: duplicateRequest,
    quirks: { noDedupe: true },
    status: "warn",
    detail:
      /^RRQ "1024-byte\.bin" octet, twice from port \d+ -> DATA 1 \(512 B\) from port (\d+), DATA 1 \(512 B\) from port (\d+).*: DATA came from ports \1 and \2, two transfers for one client port/,
  },
  {
    check: request512,
    quirks: { maxRequestBytes: 511 },
    status: "fail",
    detail: 'RRQ "512-byte.bin" octet xpad1=x ... xpad54 (512 bytes) -> nothing: no ' +
      "answer to the RRQ within T ms, after 3 retransmits; the same request padded to 128 " +
      "bytes -> served: a 512-byte request is legal (RFC 2347: the maximum size of a request " +
      "packet is 512 octets)",
  },
  {
    check: rollover,
    quirks: { noOptions: true },
    status: "skip",
    detail: 'RRQ "rollover.bin" octet blksize=8 -> DATA 1 (512 B), DATA 2 (512 B) ... DATA 1025 ' +
      "(100 B): the server does not support blksize: no OACK, so the file is too few blocks " +
      "to wrap",
  },
  {
    check: rollover,
    quirks: { stopAfter: 100 },
    status: "warn",
    detail:
      /^RRQ "rollover\.bin" octet blksize=8 -> OACK blksize=8, DATA 1 \(8 B\) \.\.\. DATA 100 \(8 B\): the download stopped after DATA 100 \(100 blocks, 800 of 524388 bytes\), before the wrap at block 65535: no DATA 101 within \d+ ms/,
  },
  {
    check: rollover,
    quirks: { rolloverTo1: true },
    status: "warn",
    detail:
      'RRQ "rollover.bin" octet blksize=8 -> OACK blksize=8, DATA 1 (8 B) ... DATA 1 (8 B): ' +
      "DATA 65535 was followed by DATA 1; common practice (and clients that do not negotiate a " +
      "rollover option) expect DATA 0",
  },
];

Deno.test("core conformance checks: each quirk of the fake server is caught", async (t) => {
  for (const { check, quirks, status, detail, scale } of NEGATIVES) {
    await t.step(
      `${check.id} ${JSON.stringify(quirks, (_, v) => v instanceof Function ? "fn" : v)}`,
      async () => {
        const out = await against(check, quirks, scale);
        assert.equal(out.status, status, out.detail);
        if (typeof detail === "string") assert.equal(normalize(out.detail), detail);
        else assert.match(out.detail, detail);
      },
    );
  }
});
