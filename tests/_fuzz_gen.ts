/**
 * Seeded generators of hostile TFTP datagrams, shared by the fuzz tests and the flood bench:
 * fully random bytes, valid packets of every opcode, truncations, bit and byte mutations,
 * requests and OACKs with hostile option lists (huge, zero, negative, empty and duplicated
 * values, missing NULs, non-ASCII and invalid UTF-8 names, very long names) and ERRORs with
 * broken text. Every generator draws from the {@linkcode Prng} it is given, so a seed replays
 * the same datagrams.
 *
 * File names come from {@linkcode NAMES} and random text; none of them is
 * {@linkcode FLOOD_TARGET_NAME}, so a flood never asks for the real file by accident.
 *
 * @module
 */

import { concatBytes } from "../lib/bytes.ts";
import type { Prng } from "../lib/sim/prng.ts";
import { OPCODE } from "../lib/tftp/packet/constants.ts";
import { encodePacket } from "../lib/tftp/packet/encode.ts";
import type { Packet } from "../lib/tftp/packet/packet.ts";

/** The name of the one real file the flood bench serves; no generator produces it. */
export const FLOOD_TARGET_NAME = "flood-target.bin";

const utf8 = new TextEncoder();

/** Raw byte strings (names, modes, option names and values), some of them invalid UTF-8. */
const INVALID_UTF8: readonly number[][] = [
  [0xff],
  [0xc3], // a lead byte alone
  [0xc0, 0x80], // overlong NUL
  [0xed, 0xa0, 0x80], // a UTF-16 surrogate
  [0xf4, 0x90, 0x80, 0x80], // above U+10FFFF
  [0x80, 0x80],
];

/** File names a fuzzed request asks for. */
export const NAMES: readonly string[] = [
  "boot.bin",
  "pxelinux.0",
  "missing.txt",
  "a",
  ".",
  "..",
  "../etc/passwd",
  "/etc/passwd",
  "..\\..\\boot.ini",
  "C:\\Windows\\win.ini",
  "dir/../../x",
  "bööt.bin",
  "файл.cfg",
  "ブート.img",
  "😀.bin",
  "tab\tname",
  "bell\x07\x1b[2J",
  "del\x7f",
  " ",
  "\u202eevil.txt",
];
const MODES: readonly string[] = [
  "octet",
  "OCTET",
  "netascii",
  "NetASCII",
  "mail",
  "binary",
  "ascii",
  "octet ",
  "öctet",
  "oc\x01tet",
];
const OPTION_NAMES: readonly string[] = [
  "blksize",
  "BLKSIZE",
  "BlkSize",
  "windowsize",
  "WindowSize",
  "timeout",
  "TIMEOUT",
  "tsize",
  "TSize",
  "multicast",
  "rollover",
  "unknown",
  "__proto__",
  "constructor",
  "hasOwnProperty",
  "blksize2",
  "größe",
  "0",
];
const OPTION_VALUES: readonly string[] = [
  "99999999999999999999",
  "999999999999999999999999",
  "9007199254740991",
  "9007199254740992",
  "0",
  "00000000000000000512",
  "-1",
  "-512",
  "",
  "1",
  "7",
  "8",
  "512",
  "1468",
  "65464",
  "65465",
  "65535",
  "65536",
  "255",
  "256",
  "4294967296",
  "1e3",
  "0x200",
  "+5",
  "1.5",
  " 512",
  "512 ",
  "NaN",
  "Infinity",
  "٣",
];

function pick<T>(prng: Prng, list: readonly T[]): T {
  return list[prng.int(list.length)];
}

/** Random printable or arbitrary text of up to `max` characters. */
function randomText(prng: Prng, max: number): string {
  const n = prng.int(max + 1);
  let text = "";
  for (let i = 0; i < n; i++) {
    const r = prng.next();
    text += r < 0.7
      ? String.fromCharCode(0x20 + prng.int(95))
      : r < 0.9
      ? String.fromCharCode(0x80 + prng.int(0x700))
      : String.fromCodePoint(1 + prng.int(0x10fffe - 0x800)).replace(/[\ud800-\udfff]/g, "?");
  }
  return text;
}

/** Bytes of one string field: a known value, random text, a very long name or broken UTF-8. */
function fieldBytes(prng: Prng, pool: readonly string[]): Uint8Array {
  const r = prng.next();
  if (r < 0.6) return utf8.encode(pick(prng, pool));
  if (r < 0.75) return utf8.encode(randomText(prng, 24));
  if (r < 0.85) {
    const invalid = pick(prng, INVALID_UTF8);
    return new Uint8Array([...utf8.encode(pick(prng, pool)), ...invalid]);
  }
  if (r < 0.95) return utf8.encode("x".repeat(200 + prng.int(1800)));
  return utf8.encode(pick(prng, pool).replace(/./, "\0"));
}

const NUL = new Uint8Array(1);

/** Option name/value fields: hostile values, duplicated names (in other cases), odd counts. */
function optionFields(prng: Prng): Uint8Array[] {
  const parts: Uint8Array[] = [];
  const pairs = prng.int(7);
  for (let i = 0; i < pairs; i++) {
    const name = prng.chance(0.15) && i > 0
      ? utf8.encode(pick(prng, OPTION_NAMES).toUpperCase())
      : fieldBytes(prng, OPTION_NAMES);
    parts.push(name, NUL);
    if (prng.chance(0.05)) continue; // an option without its value
    const value = prng.chance(0.2)
      ? utf8.encode(String(prng.int(70000)))
      : fieldBytes(prng, OPTION_VALUES);
    parts.push(value, NUL);
  }
  return parts;
}

/** Ends a list of NUL-terminated fields: as is, without its last NUL, or with NUL padding. */
function ending(prng: Prng, parts: Uint8Array[]): Uint8Array {
  const bytes = concatBytes(parts);
  const r = prng.next();
  if (r < 0.1 && bytes.length > 2) return bytes.subarray(0, bytes.length - 1);
  if (r < 0.2) return concatBytes([bytes, new Uint8Array(1 + prng.int(4))]);
  return bytes;
}

function opcodeBytes(opcode: number): Uint8Array {
  return new Uint8Array([opcode >> 8, opcode & 0xff]);
}

/** An RRQ or WRQ with hostile fields and options. */
export function hostileRequest(prng: Prng): Uint8Array {
  const opcode = prng.chance(0.5) ? OPCODE.RRQ : OPCODE.WRQ;
  const parts = [opcodeBytes(opcode), fieldBytes(prng, NAMES), NUL, fieldBytes(prng, MODES), NUL];
  return ending(prng, [...parts, ...optionFields(prng)]);
}

/** An OACK with hostile options. */
export function hostileOack(prng: Prng): Uint8Array {
  return ending(prng, [opcodeBytes(OPCODE.OACK), ...optionFields(prng)]);
}

/** An ERROR with any code and text that may lack its NUL or be invalid UTF-8. */
export function hostileError(prng: Prng): Uint8Array {
  const code = prng.chance(0.5) ? prng.int(9) : prng.int(0x10000);
  const text = prng.chance(0.5) ? utf8.encode(randomText(prng, 40)) : prng.bytes(prng.int(40));
  const parts = [opcodeBytes(OPCODE.ERROR), opcodeBytes(code), text];
  if (prng.chance(0.7)) parts.push(NUL);
  return concatBytes(parts);
}

/**
 * A well-formed RRQ or WRQ in octet or netascii mode (so a server admits it) whose options
 * are hostile: huge, zero, negative, empty or non-numeric values, names repeated in other
 * cases, unknown and non-ASCII names.
 */
export function admissibleRequest(prng: Prng): Uint8Array {
  const opcode = prng.chance(0.5) ? OPCODE.RRQ : OPCODE.WRQ;
  const fields = [pick(prng, NAMES), pick(prng, MODES.slice(0, 4))];
  const pairs = prng.int(7);
  for (let i = 0; i < pairs; i++) {
    const name = prng.chance(0.15) && i > 0
      ? fields[fields.length - 2].toUpperCase()
      : prng.chance(0.9)
      ? pick(prng, OPTION_NAMES)
      : randomText(prng, 12) || "x";
    const r = prng.next();
    const value = r < 0.6
      ? pick(prng, OPTION_VALUES)
      : r < 0.9
      ? String(prng.int(r < 0.75 ? 300 : 70000))
      : randomText(prng, 10);
    fields.push(name, value);
  }
  const parts = [opcodeBytes(opcode)];
  for (const field of fields) parts.push(utf8.encode(field), NUL);
  return concatBytes(parts);
}

/** Random options with canonical (lower-case, distinct) names, as a packet object holds them. */
function packetOptions(prng: Prng, atLeastOne: boolean): Record<string, string> {
  const options: Record<string, string> = {};
  const n = prng.int(5) + (atLeastOne ? 1 : 0);
  for (let i = 0; i < n; i++) {
    const name = prng.chance(0.8)
      ? pick(prng, OPTION_NAMES).toLowerCase()
      : randomText(prng, 12).toLowerCase().replaceAll("\0", "") || "x";
    options[name] = prng.chance(0.8) ? pick(prng, OPTION_VALUES) : randomText(prng, 10);
  }
  return options;
}

/**
 * A random valid packet object of any opcode; `encodePacket` takes it, and decoding its
 * encoding gives it back.
 */
export function randomPacket(prng: Prng): Packet {
  switch (1 + prng.int(6)) {
    case 1:
    case 2:
      return {
        opcode: prng.chance(0.5) ? OPCODE.RRQ : OPCODE.WRQ,
        filename: prng.chance(0.7) ? pick(prng, NAMES) : randomText(prng, 40) || "f",
        mode: prng.chance(0.8) ? pick(prng, MODES) : randomText(prng, 10) || "octet",
        options: packetOptions(prng, false),
      };
    case 3: {
      const size = prng.chance(0.2) ? 512 : prng.int(prng.chance(0.1) ? 1500 : 64);
      return { opcode: OPCODE.DATA, block: prng.int(0x10000), data: prng.bytes(size) };
    }
    case 4:
      return { opcode: OPCODE.ACK, block: prng.int(0x10000) };
    case 5:
      return {
        opcode: OPCODE.ERROR,
        code: prng.chance(0.7) ? prng.int(9) : prng.int(0x10000),
        message: randomText(prng, 60),
      };
    default:
      return { opcode: OPCODE.OACK, options: packetOptions(prng, true) };
  }
}

/** Random bytes: often short, sometimes starting with a real opcode, rarely long. */
export function randomBytes(prng: Prng): Uint8Array {
  const r = prng.next();
  const size = r < 0.3 ? prng.int(6) : r < 0.95 ? prng.int(80) : prng.int(1200);
  const bytes = prng.bytes(size);
  if (size >= 2 && prng.chance(0.6)) {
    bytes[0] = 0;
    bytes[1] = prng.int(8);
  }
  return bytes;
}

/** A valid packet cut short at a random length (possibly 0). */
export function truncatedPacket(prng: Prng): Uint8Array {
  const bytes = encodePacket(randomPacket(prng));
  return bytes.subarray(0, prng.int(bytes.length));
}

/** A valid packet with one to four bit flips, byte changes, NULs, insertions or deletions. */
export function mutatedPacket(prng: Prng): Uint8Array {
  let bytes: Uint8Array = encodePacket(randomPacket(prng));
  const n = 1 + prng.int(4);
  for (let i = 0; i < n; i++) {
    const at = prng.int(bytes.length + 1);
    switch (prng.int(5)) {
      case 0:
        if (at < bytes.length) bytes[at] ^= 1 << prng.int(8);
        break;
      case 1:
        if (at < bytes.length) bytes[at] = prng.int(256);
        break;
      case 2:
        if (at < bytes.length) bytes[at] = 0;
        break;
      case 3:
        bytes = concatBytes([
          bytes.subarray(0, at),
          prng.bytes(1 + prng.int(3)),
          bytes.subarray(at),
        ]);
        break;
      default:
        bytes = concatBytes([bytes.subarray(0, at), bytes.subarray(at + 1 + prng.int(3))]);
    }
  }
  return bytes;
}

/** A named generator of datagrams. */
export interface FuzzGenerator {
  /** What it makes, for messages. */
  readonly name: string;
  /** Makes one datagram from `prng`. */
  readonly make: (prng: Prng) => Uint8Array;
}

/** Every generator, in a fixed order (a seed then always means the same inputs). */
export const FUZZ_GENERATORS: readonly FuzzGenerator[] = [
  { name: "random bytes", make: randomBytes },
  { name: "valid packet", make: (prng) => encodePacket(randomPacket(prng)) },
  { name: "truncated packet", make: truncatedPacket },
  { name: "mutated packet", make: mutatedPacket },
  { name: "hostile request", make: hostileRequest },
  { name: "hostile OACK", make: hostileOack },
  { name: "hostile ERROR", make: hostileError },
];

/** One datagram from a generator picked at random. */
export function fuzzDatagram(prng: Prng): Uint8Array {
  return FUZZ_GENERATORS[prng.int(FUZZ_GENERATORS.length)].make(prng);
}
