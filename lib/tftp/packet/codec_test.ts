import assert from "node:assert/strict";
import { PacketSyntaxError } from "../errors.ts";
import { Prng } from "../../sim/prng.ts";
import { OPCODE } from "./constants.ts";
import { decodePacket } from "./decode.ts";
import { encodeAck, encodeData, encodeError, encodePacket } from "./encode.ts";
import type { Packet } from "./packet.ts";

/** Bytes from a string where every char is one byte (use \x escapes for binary). */
function raw(s: string): Uint8Array {
  const out = new Uint8Array(s.length);
  for (let i = 0; i < s.length; i++) out[i] = s.charCodeAt(i);
  return out;
}

function isSyntaxError(err: unknown): boolean {
  return err instanceof PacketSyntaxError && err.code === 4 && err.name === "PacketSyntaxError";
}

const SAMPLES: Packet[] = [
  { opcode: OPCODE.RRQ, filename: "boot.bin", mode: "octet", options: {} },
  {
    opcode: OPCODE.RRQ,
    filename: "pxelinux.0",
    mode: "netascii",
    options: { blksize: "1468", tsize: "0", windowsize: "8", timeout: "3" },
  },
  { opcode: OPCODE.WRQ, filename: "dir/café ☃.txt", mode: "octet", options: { tsize: "99" } },
  { opcode: OPCODE.DATA, block: 1, data: new Uint8Array([1, 2, 3, 0, 255]) },
  { opcode: OPCODE.DATA, block: 65535, data: new Uint8Array(0) },
  { opcode: OPCODE.DATA, block: 0, data: new Uint8Array(512).fill(0xaa) },
  { opcode: OPCODE.ACK, block: 0 },
  { opcode: OPCODE.ACK, block: 258 },
  { opcode: OPCODE.ACK, block: 65535 },
  { opcode: OPCODE.ERROR, code: 1, message: "File not found" },
  { opcode: OPCODE.ERROR, code: 0, message: "" },
  { opcode: OPCODE.ERROR, code: 65535, message: "Ünïcode ✓" },
  { opcode: OPCODE.OACK, options: { blksize: "1024" } },
  { opcode: OPCODE.OACK, options: { blksize: "8", tsize: "123456789", windowsize: "65535" } },
];

Deno.test("decode(encode(p)) equals p for every packet type", () => {
  for (const packet of SAMPLES) {
    assert.deepEqual(decodePacket(encodePacket(packet)), packet, JSON.stringify(packet));
  }
});

Deno.test("encoders produce the exact bytes of RFC 1350 / RFC 2347", () => {
  assert.deepEqual(
    encodePacket({ opcode: OPCODE.RRQ, filename: "a.txt", mode: "octet", options: {} }),
    raw("\x00\x01a.txt\x00octet\x00"),
  );
  assert.deepEqual(
    encodePacket({
      opcode: OPCODE.WRQ,
      filename: "f",
      mode: "netascii",
      options: { blksize: "1468", tsize: "0" },
    }),
    raw("\x00\x02f\x00netascii\x00blksize\x001468\x00tsize\x000\x00"),
  );
  assert.deepEqual(encodeAck(258), new Uint8Array([0, 4, 1, 2]));
  assert.deepEqual(encodeAck(0), new Uint8Array([0, 4, 0, 0]));
  assert.deepEqual(encodeData(1, new Uint8Array([65, 66])), new Uint8Array([0, 3, 0, 1, 65, 66]));
  assert.deepEqual(encodeData(0x1234, new Uint8Array(0)), new Uint8Array([0, 3, 0x12, 0x34]));
  assert.deepEqual(encodeError(1, "File not found"), raw("\x00\x05\x00\x01File not found\x00"));
  assert.deepEqual(encodeError(8, ""), new Uint8Array([0, 5, 0, 8, 0]));
  assert.deepEqual(
    encodePacket({ opcode: OPCODE.OACK, options: { blksize: "1468" } }),
    raw("\x00\x06blksize\x001468\x00"),
  );
  // UTF-8 on the wire.
  assert.deepEqual(
    encodePacket({ opcode: OPCODE.RRQ, filename: "é", mode: "octet", options: {} }),
    raw("\x00\x01\xc3\xa9\x00octet\x00"),
  );
});

Deno.test("encoders refuse what cannot be put on the wire", () => {
  const rrq = { opcode: OPCODE.RRQ, mode: "octet", options: {} } as const;
  assert.throws(() => encodePacket({ ...rrq, filename: "" }), TypeError);
  assert.throws(() => encodePacket({ ...rrq, filename: "a\0b" }), TypeError);
  assert.throws(() => encodePacket({ ...rrq, filename: "a", mode: "oc\0tet" }), TypeError);
  assert.throws(() => encodePacket({ ...rrq, filename: "a", options: { "": "1" } }), TypeError);
  assert.throws(() => encodePacket({ ...rrq, filename: "a", options: { x: "1\0" } }), TypeError);
  assert.throws(() => encodeAck(65536), RangeError);
  assert.throws(() => encodeAck(-1), RangeError);
  assert.throws(() => encodeAck(1.5), RangeError);
  assert.throws(() => encodeData(70000, new Uint8Array(0)), RangeError);
  assert.throws(() => encodeError(65536, "x"), RangeError);
  // A NUL inside an ERROR text would end it early: it is replaced by a space.
  assert.deepEqual(encodeError(0, "a\0b"), raw("\x00\x05\x00\x00a b\x00"));
});

Deno.test("option names are case-insensitive; the first of a repeated option wins", () => {
  const packet = decodePacket(
    raw("\x00\x01f\x00OCTET\x00BlkSize\x001468\x00TSIZE\x000\x00blksize\x00512\x00"),
  );
  assert.deepEqual(packet, {
    opcode: OPCODE.RRQ,
    filename: "f",
    mode: "OCTET", // the mode is kept as sent; admission compares it case-insensitively
    options: { blksize: "1468", tsize: "0" },
  });
  assert.deepEqual(
    decodePacket(raw("\x00\x06WindowSize\x004\x00WINDOWSIZE\x008\x00")),
    { opcode: OPCODE.OACK, options: { windowsize: "4" } },
  );
});

Deno.test("a request of exactly 512 bytes decodes, and trailing NUL padding is accepted", () => {
  const filename = "x".repeat(512 - 2 - 1 - "octet".length - 1);
  const bytes = encodePacket({ opcode: OPCODE.RRQ, filename, mode: "octet", options: {} });
  assert.equal(bytes.length, 512);
  assert.deepEqual(decodePacket(bytes), {
    opcode: OPCODE.RRQ,
    filename,
    mode: "octet",
    options: {},
  });
  assert.deepEqual(decodePacket(raw("\x00\x02f\x00octet\x00blksize\x008\x00\x00\x00")), {
    opcode: OPCODE.WRQ,
    filename: "f",
    mode: "octet",
    options: { blksize: "8" },
  });
});

Deno.test("an empty option value is valid anywhere, and padding is not mistaken for one", () => {
  const rrq = (tail: string) => decodePacket(raw(`\x00\x01f\x00octet\x00${tail}`));
  const options = (tail: string) => (rrq(tail) as { options: unknown }).options;
  // RFC 2090 asks for multicast with an empty value.
  assert.deepEqual(options("multicast\x00\x00"), { multicast: "" });
  assert.deepEqual(options("multicast\x00\x00blksize\x00512\x00"), {
    multicast: "",
    blksize: "512",
  });
  assert.deepEqual(options("blksize\x00512\x00multicast\x00\x00"), {
    blksize: "512",
    multicast: "",
  });
  // Padding after a complete list: one, two or three extra NULs.
  assert.deepEqual(options("blksize\x00512\x00\x00"), { blksize: "512" });
  assert.deepEqual(options("blksize\x00512\x00\x00\x00"), { blksize: "512" });
  assert.deepEqual(options("multicast\x00\x00\x00\x00"), { multicast: "" });
  assert.deepEqual(options("\x00\x00\x00"), {});
  // An integer-like option name moves first in a JS object; the round trip still holds.
  const packet = rrq("a\x00\x008\x00x\x00");
  assert.deepEqual(decodePacket(encodePacket(packet)), packet);
});

Deno.test("DATA payload is a view into the datagram; an ERROR without final NUL is accepted", () => {
  const bytes = new Uint8Array([0, 3, 0, 9, 7, 8]);
  const packet = decodePacket(bytes);
  assert.equal(packet.opcode, OPCODE.DATA);
  if (packet.opcode !== OPCODE.DATA) return;
  assert.equal(packet.block, 9);
  assert.equal(packet.data.buffer, bytes.buffer);
  assert.deepEqual(packet.data, new Uint8Array([7, 8]));

  assert.deepEqual(decodePacket(raw("\x00\x05\x00\x02Denied")), {
    opcode: OPCODE.ERROR,
    code: 2,
    message: "Denied",
  });
  assert.deepEqual(decodePacket(new Uint8Array([0, 5, 0, 4])), {
    opcode: OPCODE.ERROR,
    code: 4,
    message: "",
  });
  // Text after the first NUL is ignored; invalid UTF-8 in the text is tolerated.
  assert.deepEqual(decodePacket(raw("\x00\x05\x01\x00ab\x00cd\x00")), {
    opcode: OPCODE.ERROR,
    code: 256,
    message: "ab",
  });
  assert.deepEqual(decodePacket(raw("\x00\x05\x00\x00\xff\x00")), {
    opcode: OPCODE.ERROR,
    code: 0,
    message: "\ufffd",
  });
});

const MALFORMED: [string, Uint8Array, RegExp][] = [
  ["empty datagram", new Uint8Array(0), /0 bytes is too short/],
  ["1 byte", new Uint8Array([0]), /too short/],
  ["3 bytes", new Uint8Array([0, 4, 0]), /3 bytes is too short/],
  ["opcode 0", new Uint8Array([0, 0, 0, 0]), /Unknown opcode 0/],
  ["opcode 7", new Uint8Array([0, 7, 0, 1]), /Unknown opcode 7/],
  ["opcode 255", new Uint8Array([0, 255, 0, 1]), /Unknown opcode 255/],
  ["opcode 257", new Uint8Array([1, 1, 0, 1]), /Unknown opcode 257/],
  ["RRQ without final NUL", raw("\x00\x01f\x00octet"), /RRQ does not end with a NUL/],
  ["WRQ without final NUL", raw("\x00\x02f\x00octet\x00blksize\x00512"), /WRQ does not end/],
  ["RRQ with empty filename", raw("\x00\x01\x00octet\x00"), /RRQ has an empty filename/],
  ["RRQ without mode", raw("\x00\x01file\x00"), /RRQ has no mode/],
  ["RRQ with empty mode", raw("\x00\x01file\x00\x00"), /RRQ has an empty mode/],
  ["option without value", raw("\x00\x01f\x00octet\x00blksize\x00"), /option "blksize" has no/],
  ["option with empty name", raw("\x00\x01f\x00octet\x00\x00512\x00"), /empty name/],
  ["invalid UTF-8 filename", raw("\x00\x01\xff\xfe\x00octet\x00"), /not valid UTF-8/],
  ["overlong UTF-8 filename", raw("\x00\x01\xc0\xaf\x00octet\x00"), /not valid UTF-8/],
  ["invalid UTF-8 option", raw("\x00\x01f\x00octet\x00\xe2\x82\x00a\x00"), /not valid UTF-8/],
  ["OACK without final NUL", raw("\x00\x06blksize\x00512"), /OACK does not end/],
  ["OACK option without value", raw("\x00\x06blksize\x00"), /OACK option "blksize" has no/],
];

Deno.test("malformed datagrams raise PacketSyntaxError with code 4", () => {
  for (const [what, bytes, message] of MALFORMED) {
    assert.throws(() => decodePacket(bytes), (err: unknown) => {
      assert.ok(isSyntaxError(err), `${what}: got ${err}`);
      assert.match((err as Error).message, message, what);
      return true;
    });
  }
});

Deno.test("a padded ACK decodes: its block number is all that counts", () => {
  assert.deepEqual(decodePacket(new Uint8Array([0, 4, 0, 1, 0])), { opcode: OPCODE.ACK, block: 1 });
  assert.deepEqual(decodePacket(new Uint8Array([0, 4, 1, 2, 9, 9, 9])), {
    opcode: OPCODE.ACK,
    block: 258,
  });
});

Deno.test("an OACK without options is refused both ways (RFC 2347)", () => {
  assert.throws(() => decodePacket(new Uint8Array([0, 6, 0, 0])), /OACK carries no options/);
  assert.throws(() => encodePacket({ opcode: OPCODE.OACK, options: {} }), TypeError);
});

// --- Fuzz -------------------------------------------------------------------------------------

const NAMES = [
  "boot.bin",
  "x",
  "café.bin",
  "文件/固件.img",
  "😀",
  "a b\tc",
  "\u00ff\u0100",
  "..\\x",
];
const MODES = ["octet", "netascii", "OCTET", "NetASCII", "mail", "binary", "é"];
const OPTION_NAMES = ["blksize", "tsize", "timeout", "windowsize", "BlkSize", "rollover", "ÿ名"];
const OPTION_VALUES = [
  "0",
  "1",
  "8",
  "512",
  "65464",
  "65535",
  "65536",
  "99999999999999999999999999",
  "18446744073709551616",
  "-1",
  " 512",
  "abc",
  "５１２",
];

function pick<T>(prng: Prng, list: readonly T[]): T {
  return list[prng.int(list.length)];
}

function randomOptions(prng: Prng): Record<string, string> {
  const options: Record<string, string> = {};
  const n = prng.int(5);
  for (let i = 0; i < n; i++) options[pick(prng, OPTION_NAMES)] = pick(prng, OPTION_VALUES);
  return options;
}

/** A valid packet of a random type, encoded. */
function validPacket(prng: Prng): Uint8Array {
  switch (1 + prng.int(6)) {
    case 1:
    case 2:
      return encodePacket({
        opcode: prng.chance(0.5) ? OPCODE.RRQ : OPCODE.WRQ,
        filename: pick(prng, NAMES),
        mode: pick(prng, MODES),
        options: randomOptions(prng),
      });
    case 3:
      return encodeData(prng.int(0x10000), prng.bytes(prng.chance(0.1) ? 600 : prng.int(20)));
    case 4:
      return encodeAck(prng.chance(0.2) ? pick(prng, [0, 65535]) : prng.int(0x10000));
    case 5:
      return encodeError(prng.int(prng.chance(0.5) ? 9 : 0x10000), pick(prng, NAMES));
    default:
      return encodePacket({ opcode: OPCODE.OACK, options: { ...randomOptions(prng), x: "1" } });
  }
}

function mutate(prng: Prng, input: Uint8Array): Uint8Array {
  let bytes = input;
  const rounds = 1 + prng.int(3);
  for (let r = 0; r < rounds; r++) {
    const at = prng.int(bytes.length + 1);
    switch (prng.int(6)) {
      case 0: // truncate
        bytes = bytes.slice(0, at);
        break;
      case 1: // flip a byte
        if (bytes.length > 0) {
          bytes = bytes.slice();
          bytes[at % bytes.length] ^= 1 << prng.int(8);
        }
        break;
      case 2: // overwrite with a random byte (often a high, non-ASCII one)
        if (bytes.length > 0) {
          bytes = bytes.slice();
          bytes[at % bytes.length] = prng.chance(0.5) ? 0x80 + prng.int(0x80) : prng.int(256);
        }
        break;
      case 3: { // insert a NUL
        const out = new Uint8Array(bytes.length + 1);
        out.set(bytes.subarray(0, at));
        out.set(bytes.subarray(at), at + 1);
        bytes = out;
        break;
      }
      case 4: { // remove a NUL (or any byte when there is none)
        let nul = bytes.indexOf(0, at);
        if (nul === -1) nul = bytes.indexOf(0);
        const cut = nul === -1 ? at : nul;
        if (cut < bytes.length) {
          bytes = new Uint8Array([...bytes.subarray(0, cut), ...bytes.subarray(cut + 1)]);
        }
        break;
      }
      default: // append junk
        bytes = new Uint8Array([...bytes, ...prng.bytes(1 + prng.int(4))]);
    }
  }
  return bytes;
}

const REENCODED = new Set<number>([OPCODE.RRQ, OPCODE.WRQ, OPCODE.OACK, OPCODE.ACK, OPCODE.DATA]);

Deno.test("fuzz: 100000 random and mutated datagrams decode or raise PacketSyntaxError", () => {
  const seed = 20240611;
  const prng = new Prng(seed);
  const counts = { decoded: 0, rejected: 0, reencoded: 0 };
  for (let i = 0; i < 100_000; i++) {
    let bytes: Uint8Array;
    const shape = prng.int(10);
    if (shape === 0) bytes = prng.bytes(prng.int(40));
    else if (shape === 1) bytes = new Uint8Array([0, prng.int(8), ...prng.bytes(prng.int(30))]);
    else if (shape === 2) bytes = validPacket(prng);
    else bytes = mutate(prng, validPacket(prng));
    const where = `seed ${seed}, input ${i}: [${bytes.join(",")}]`;
    let packet: Packet;
    try {
      packet = decodePacket(bytes);
    } catch (err) {
      if (!isSyntaxError(err)) assert.fail(`${where} threw ${err}`);
      counts.rejected++;
      continue;
    }
    counts.decoded++;
    if (!REENCODED.has(packet.opcode)) continue;
    let again: Packet;
    try {
      again = decodePacket(encodePacket(packet));
    } catch (err) {
      assert.fail(`${where} decoded to ${JSON.stringify(packet)} but did not re-encode: ${err}`);
    }
    assert.deepEqual(again, packet, where);
    counts.reencoded++;
  }
  // The generator reaches both outcomes in quantity, so the checks above mean something.
  assert.ok(counts.decoded > 20_000, JSON.stringify(counts));
  assert.ok(counts.rejected > 20_000, JSON.stringify(counts));
  assert.ok(counts.reencoded > 15_000, JSON.stringify(counts));
});
