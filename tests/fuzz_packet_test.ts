/**
 * Seeded fuzzing of the wire decoder and of the server's request path (admission, option
 * negotiation, the first datagram of the transfer machine). Every input comes from
 * tests/_fuzz_gen.ts and a fixed seed; a failure message names the generator, the input's
 * index and its bytes in hex, so it can be replayed.
 */

import assert from "node:assert/strict";
import { Prng } from "../lib/sim/prng.ts";
import { PacketSyntaxError } from "../lib/tftp/errors.ts";
import { OPCODE } from "../lib/tftp/packet/constants.ts";
import { decodePacket } from "../lib/tftp/packet/decode.ts";
import { encodePacket } from "../lib/tftp/packet/encode.ts";
import { acceptOack } from "../lib/tftp/packet/options.ts";
import type { Packet, TftpOptions } from "../lib/tftp/packet/packet.ts";
import {
  admitRequest,
  openServerTransfer,
  type ServerTransferOptions,
  type TftpRequest,
} from "../lib/tftp/engine/admission.ts";
import { Sender } from "../lib/tftp/engine/sender.ts";
import type { Peer } from "../lib/tftp/engine/types.ts";
import { admissibleRequest, FUZZ_GENERATORS, fuzzDatagram, randomPacket } from "./_fuzz_gen.ts";

const SEED = 20261201;
const PEER: Peer = { hostname: "192.0.2.7", port: 2070 };
/** Server-side paths an ERROR text must never show. */
const SERVER_PATHS = [new URL("..", import.meta.url).pathname, "/tmp/", "/home/", "/root/"];

function hex(bytes: Uint8Array): string {
  const shown = Array.from(bytes.subarray(0, 96), (b) => b.toString(16).padStart(2, "0"));
  return shown.join("") + (bytes.length > 96 ? `... (${bytes.length} bytes)` : "");
}

/** Runs `check`; a failure is rethrown naming the input, its index and its bytes. */
function withInput(what: string, i: number, bytes: Uint8Array, check: () => void): void {
  try {
    check();
  } catch (error) {
    throw new Error(`${what} #${i} ${hex(bytes)}: ${(error as Error).message}`, { cause: error });
  }
}

/** The packet, or `undefined` for a PacketSyntaxError; any other exception fails the test. */
function decodeOrReject(bytes: Uint8Array, what: string): Packet | undefined {
  try {
    return decodePacket(bytes);
  } catch (error) {
    if (error instanceof PacketSyntaxError && error.name === "PacketSyntaxError") {
      assert.ok(error.message.length > 0, `${what}: empty PacketSyntaxError message`);
      return undefined;
    }
    throw new Error(`${what}: decodePacket threw ${error}`, { cause: error });
  }
}

/** decode(encode(p)) equals p, and the encoding is a fixed point. */
function checkRoundTrip(packet: Packet, what: string): void {
  const encoded = encodePacket(packet);
  const again = decodePacket(encoded);
  assert.deepEqual(again, packet, `${what}: round trip of ${hex(encoded)}`);
  assert.deepEqual(encodePacket(again), encoded, `${what}: encoding is not stable`);
}

Deno.test("decoder: 105,000 seeded inputs (7 generators x 15,000) decode or throw PacketSyntaxError, and round-trip", () => {
  const prng = new Prng(SEED);
  let inputs = 0;
  for (const generator of FUZZ_GENERATORS) {
    let decoded = 0;
    for (let i = 0; i < 15_000; i++) {
      const bytes = generator.make(prng);
      inputs++;
      withInput(generator.name, i, bytes, () => {
        const packet = decodeOrReject(bytes, "decode");
        if (packet === undefined) return;
        decoded++;
        checkRoundTrip(packet, "round trip");
      });
    }
    // Each generator reaches both outcomes, except valid packets and ERRORs (an ERROR's text
    // needs neither NUL nor valid UTF-8), which always decode.
    const always = generator.name === "valid packet" || generator.name === "hostile ERROR";
    if (always) assert.equal(decoded, 15_000, generator.name);
    else assert.ok(decoded > 0 && decoded < 15_000, `${generator.name}: ${decoded} decoded`);
  }
  assert.equal(inputs, 105_000);
});

Deno.test("decoder: 20,000 random packet objects survive encode then decode unchanged", () => {
  const prng = new Prng(SEED + 1);
  for (let i = 0; i < 20_000; i++) {
    const packet = randomPacket(prng);
    const what = `packet #${i} ${JSON.stringify(packet)}`;
    const decoded = decodeOrReject(encodePacket(packet), what);
    assert.ok(decoded !== undefined, `${what}: did not decode`);
    assert.deepEqual(decoded, packet, what);
  }
});

/** A decimal option value as the RFCs mean it, or undefined. */
function decimal(value: string | undefined): number | undefined {
  if (value === undefined || !/^[0-9]{1,20}$/.test(value)) return undefined;
  const n = Number(value);
  return Number.isSafeInteger(n) ? n : undefined;
}

/** Checks an OACK against the request and the server's limits, independently of the code. */
function checkOack(
  request: TftpRequest,
  policy: ServerTransferOptions,
  oack: TftpOptions,
  what: string,
): void {
  const asked = (name: string) => decimal(request.options[name]);
  const maxBlksize = policy.maxBlksize ?? 65464;
  const maxWindowsize = policy.maxWindowsize ?? 64;
  for (const [name, value] of Object.entries(oack)) {
    assert.ok(Object.hasOwn(request.options, name), `${what}: OACK ${name} was not asked for`);
    assert.match(value, /^[0-9]+$/, `${what}: OACK ${name}=${JSON.stringify(value)}`);
    const n = Number(value);
    const a = asked(name);
    assert.ok(a !== undefined, `${what}: OACK ${name} for unusable ${request.options[name]}`);
    switch (name) {
      case "blksize":
        assert.ok(n >= 8 && n <= 65464 && n <= a && n <= maxBlksize, `${what}: blksize ${n}`);
        break;
      case "windowsize": {
        const blksize = Number(oack.blksize ?? 512);
        const receiving = request.kind === "write" ? Math.max(1, Math.floor(65536 / blksize)) : n;
        assert.ok(
          n >= 1 && n <= 65535 && n <= a && n <= maxWindowsize && n <= receiving,
          `${what}: windowsize ${n}`,
        );
        break;
      }
      case "timeout":
        assert.ok(n >= 1 && n <= 255 && n === a, `${what}: timeout ${n}`);
        break;
      case "tsize":
        if (request.kind === "write") assert.equal(n, a, `${what}: tsize of a write`);
        else {
          assert.equal(request.mode, "octet", `${what}: tsize in netascii`);
          assert.equal(n, policy.fileSize, `${what}: tsize of a read`);
        }
        break;
      default:
        assert.fail(`${what}: OACK holds unknown option ${name}`);
    }
  }
  // What was asked for with a usable value is granted (never refused silently).
  const granted = (name: string) => Object.hasOwn(oack, name);
  assert.equal(granted("blksize"), (asked("blksize") ?? 0) >= 8, `${what}: blksize granted`);
  assert.equal(granted("windowsize"), (asked("windowsize") ?? 0) >= 1, `${what}: windowsize`);
  const timeout = asked("timeout");
  assert.equal(granted("timeout"), timeout !== undefined && timeout >= 1 && timeout <= 255);
  const tsizeUsable = asked("tsize") !== undefined &&
    (request.kind === "write" || (request.mode === "octet" && policy.fileSize !== undefined));
  assert.equal(granted("tsize"), tsizeUsable, `${what}: tsize granted`);
}

function randomPolicy(prng: Prng): ServerTransferOptions {
  return {
    fileSize: prng.chance(0.8) ? prng.int(prng.chance(0.5) ? 100 : 2 ** 31) : undefined,
    maxBlksize: prng.chance(0.5) ? 8 + prng.int(65464 - 7) : undefined,
    maxWindowsize: prng.chance(0.5) ? 1 + prng.int(65535) : undefined,
  };
}

/** Checks one admitted request all the way to the first datagram of its transfer. */
function checkTransferStart(prng: Prng, request: TftpRequest, bytes: Uint8Array, what: string) {
  const decoded = decodePacket(bytes);
  assert.ok(decoded.opcode === OPCODE.RRQ || decoded.opcode === OPCODE.WRQ, what);
  if (decoded.opcode !== OPCODE.RRQ && decoded.opcode !== OPCODE.WRQ) return;
  assert.equal(request.kind, decoded.opcode === OPCODE.RRQ ? "read" : "write", what);
  assert.equal(request.filename, decoded.filename, what);
  assert.equal(request.mode, decoded.mode.toLowerCase(), what);
  assert.ok(request.mode === "octet" || request.mode === "netascii", what);
  assert.deepEqual(request.options, decoded.options, what);
  assert.deepEqual(request.peer, PEER, what);

  const policy = randomPolicy(prng);
  // openServerTransfer documents no exception for an admitted request: any throw fails here.
  const machine = openServerTransfer(1000, request, policy);
  if (machine instanceof Sender) {
    machine.offer(1000, prng.bytes(prng.int(1200)));
    machine.finish(1000);
  }
  const first = machine.pollTransmit();
  assert.ok(first !== undefined, `${what}: no first datagram`);
  assert.deepEqual(first.to, PEER, what);
  const packet = decodePacket(first.bytes);
  const event = machine.pollEvent();
  assert.equal(event?.type, "negotiated", what);
  if (packet.opcode === OPCODE.OACK) {
    checkOack(request, policy, packet.options, `${what} policy=${JSON.stringify(policy)}`);
    // A client of ours accepts what our server grants, and runs with the same options.
    const accepted = acceptOack(request.options, packet.options);
    if (event?.type === "negotiated") assert.deepEqual(event.options, accepted, what);
  } else {
    checkOack(request, policy, {}, `${what} policy=${JSON.stringify(policy)}`);
    const expected = request.kind === "read" ? OPCODE.DATA : OPCODE.ACK;
    assert.equal(packet.opcode, expected, `${what}: first datagram`);
    if (packet.opcode === OPCODE.DATA) {
      assert.ok(packet.block === 1 && packet.data.length <= 512, what);
    }
    if (packet.opcode === OPCODE.ACK) assert.equal(packet.block, 0, what);
  }
}

/** Admission, then for a request the machine and its first datagram. */
function checkRequestPath(prng: Prng, bytes: Uint8Array, counts: Record<string, number>): void {
  const what = "request path";
  const packet = decodeOrReject(bytes, what);
  const admission = admitRequest(PEER, bytes);
  counts[admission.kind]++;
  switch (admission.kind) {
    case "reply": {
      const reply = decodePacket(admission.bytes);
      assert.equal(reply.opcode, OPCODE.ERROR, what);
      if (reply.opcode !== OPCODE.ERROR) break;
      assert.ok(reply.code >= 0 && reply.code <= 8, `${what}: code ${reply.code}`);
      assert.equal(reply.message, admission.reason, what);
      assert.match(reply.message, /^[\x20-\x7e]{1,255}$/, `${what}: ERROR text`);
      for (const path of SERVER_PATHS) assert.ok(!reply.message.includes(path), what);
      break;
    }
    case "ignore":
      assert.equal(packet?.opcode, OPCODE.ERROR, `${what}: ignored ${admission.reason}`);
      break;
    case "request":
      checkTransferStart(prng, admission.request, bytes, what);
      break;
    default:
      assert.fail(`${what}: admission ${JSON.stringify(admission)}`);
  }
}

Deno.test("server request path: 100,000 seeded inputs never throw; replies are clean ERRORs; OACKs hold only what was asked, within range", () => {
  const prng = new Prng(SEED + 2);
  const counts = { reply: 0, ignore: 0, request: 0 };
  for (let i = 0; i < 100_000; i++) {
    const bytes = i % 2 === 0 ? fuzzDatagram(prng) : admissibleRequest(prng);
    withInput("input", i, bytes, () => checkRequestPath(prng, bytes, counts));
  }
  assert.equal(counts.reply + counts.ignore + counts.request, 100_000);
  // Every outcome is reached, and most admissible requests are admitted.
  assert.ok(counts.ignore > 0 && counts.reply > 0, JSON.stringify(counts));
  assert.ok(counts.request > 40_000, JSON.stringify(counts));
});
