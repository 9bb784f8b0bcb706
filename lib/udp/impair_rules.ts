/**
 * Decisions for the fault-injecting UDP proxy ({@linkcode startImpairProxy} in `impair.ts`):
 * what happens to each datagram — pass, drop, duplicate or delay. Pure: rules see the bytes,
 * the direction and a per-direction index, and keep their own state; randomness comes from a
 * seeded {@linkcode Prng}, so a rule fed the same datagrams decides the same way.
 *
 * Rules compose with {@linkcode combineRules}: every rule sees every datagram (stateful rules
 * keep counting), and the first decision other than `"pass"` wins.
 *
 * Targeted faults: {@linkcode dropNth}, {@linkcode dropBlock}, {@linkcode dropAck},
 * {@linkcode dropFinalAck}, {@linkcode dropFirstOfEachKind}, {@linkcode duplicateEvery},
 * {@linkcode delayEvery}. A lossy link: {@linkcode impairProfile} (or {@linkcode randomLoss}).
 *
 * @module
 */

import { OPCODE } from "../tftp/packet/constants.ts";
import { decodePacket } from "../tftp/packet/decode.ts";
import type { Packet } from "../tftp/packet/packet.ts";
import { Prng } from "../sim/prng.ts";

/** `up`: client to server; `down`: server to client. */
export type ImpairDirection = "up" | "down";

/** One datagram as a rule sees it. */
export interface ImpairDatagram {
  /** Which way it travels. */
  readonly direction: ImpairDirection;
  /** The datagram; valid only during the call (copy what you keep). */
  readonly bytes: Uint8Array;
  /** How many datagrams went this way before this one (0 for the first). */
  readonly index: number;
}

/**
 * A datagram forwarded later. Delayed datagrams going the same way leave in the order they
 * arrived (a shorter delay waits behind a longer one), except those marked `reorder`.
 */
export interface ImpairDelay {
  /** How long to hold the datagram back, in milliseconds. */
  readonly delayMs: number;
  /** Send it twice when the delay is over. @default {false} */
  readonly duplicate?: boolean;
  /** Hold it back on its own, outside the in-order queue, so later datagrams overtake it. @default {false} */
  readonly reorder?: boolean;
}

/** What happens to a datagram: forwarded, lost, sent twice, or forwarded later. */
export type ImpairAction = "pass" | "drop" | "duplicate" | ImpairDelay;

/** Decides per datagram. */
export interface ImpairRule {
  /** The decision for `datagram`. */
  (datagram: ImpairDatagram): ImpairAction;
}

/** A test on a decoded TFTP packet. */
export type PacketMatch = (packet: Packet) => boolean;

/** Which directions a rule acts on. */
export type ImpairDirections = ImpairDirection | "both";

function checkDirection(direction: unknown): asserts direction is ImpairDirections {
  if (direction !== "up" && direction !== "down" && direction !== "both") {
    throw new TypeError(`direction must be "up", "down" or "both", got ${String(direction)}`);
  }
}

function checkCount(name: string, value: number, min: number): void {
  if (!Number.isInteger(value) || value < min) {
    throw new RangeError(`${name} must be an integer >= ${min}, got ${value}`);
  }
}

function applies(directions: ImpairDirections, datagram: ImpairDatagram): boolean {
  return directions === "both" || directions === datagram.direction;
}

/** Decodes a datagram, or `undefined` when it is not a well-formed TFTP packet. */
function decodeOrUndefined(bytes: Uint8Array): Packet | undefined {
  try {
    return decodePacket(bytes);
  } catch {
    return undefined;
  }
}

/**
 * Matches a read request.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { isRrq } from "./impair_rules.ts";
 * assert.ok(isRrq({ opcode: 1, filename: "f", mode: "octet", options: {} }));
 * ```
 */
export function isRrq(packet: Packet): boolean {
  return packet.opcode === OPCODE.RRQ;
}

/**
 * Matches a write request.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { isWrq } from "./impair_rules.ts";
 * assert.ok(isWrq({ opcode: 2, filename: "f", mode: "octet", options: {} }));
 * ```
 */
export function isWrq(packet: Packet): boolean {
  return packet.opcode === OPCODE.WRQ;
}

/**
 * Matches an OACK.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { isOack } from "./impair_rules.ts";
 * assert.ok(isOack({ opcode: 6, options: { blksize: "512" } }));
 * ```
 */
export function isOack(packet: Packet): boolean {
  return packet.opcode === OPCODE.OACK;
}

/**
 * Matches DATA, or only DATA with wire block number `block`.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { isData } from "./impair_rules.ts";
 * const data1 = { opcode: 3 as const, block: 1, data: new Uint8Array(0) };
 * assert.ok(isData()(data1) && isData(1)(data1) && !isData(2)(data1));
 * ```
 */
export function isData(block?: number): PacketMatch {
  return (p) => p.opcode === OPCODE.DATA && (block === undefined || p.block === block);
}

/**
 * Matches ACK, or only ACK of wire block number `block`.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { isAck } from "./impair_rules.ts";
 * assert.ok(isAck(0)({ opcode: 4, block: 0 }) && !isAck(1)({ opcode: 4, block: 0 }));
 * ```
 */
export function isAck(block?: number): PacketMatch {
  return (p) => p.opcode === OPCODE.ACK && (block === undefined || p.block === block);
}

/** Options of {@linkcode dropNth}. */
export interface DropNthOptions {
  /** Which match to drop first, counting from 1. @default {1} */
  nth?: number;
  /** How many consecutive matches to drop from there. @default {1} */
  count?: number;
}

/**
 * Drops the `nth` datagram going `direction` that decodes to a packet matching `match`
 * (and the `count - 1` matches after it); everything else passes.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { encodeAck } from "../tftp/packet/encode.ts";
 * import { dropNth, isAck } from "./impair_rules.ts";
 * const rule = dropNth("up", isAck(1));
 * const ack1 = { direction: "up" as const, bytes: encodeAck(1), index: 0 };
 * assert.equal(rule(ack1), "drop");
 * assert.equal(rule({ ...ack1, index: 1 }), "pass"); // only the first one
 * ```
 */
export function dropNth(
  direction: ImpairDirections,
  match: PacketMatch,
  options: DropNthOptions = {},
): ImpairRule {
  checkDirection(direction);
  const nth = options.nth ?? 1;
  const count = options.count ?? 1;
  checkCount("nth", nth, 1);
  checkCount("count", count, 1);
  let seen = 0;
  return (datagram) => {
    if (!applies(direction, datagram)) return "pass";
    const packet = decodeOrUndefined(datagram.bytes);
    if (!packet || !match(packet)) return "pass";
    seen++;
    return seen >= nth && seen < nth + count ? "drop" : "pass";
  };
}

/**
 * Sends every datagram going `direction` that matches `match` twice.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { encodeAck, encodeData } from "../tftp/packet/encode.ts";
 * import { duplicateEvery, isData } from "./impair_rules.ts";
 * const rule = duplicateEvery("down", isData());
 * assert.equal(rule({ direction: "down", bytes: encodeData(1, new Uint8Array(3)), index: 0 }), "duplicate");
 * assert.equal(rule({ direction: "down", bytes: encodeAck(1), index: 1 }), "pass");
 * ```
 */
export function duplicateEvery(direction: ImpairDirections, match: PacketMatch): ImpairRule {
  checkDirection(direction);
  return (datagram) => {
    if (!applies(direction, datagram)) return "pass";
    const packet = decodeOrUndefined(datagram.bytes);
    return packet && match(packet) ? "duplicate" : "pass";
  };
}

/**
 * Delays every datagram going `direction` that matches `match` by `delayMs`.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { encodeAck } from "../tftp/packet/encode.ts";
 * import { delayEvery, isAck } from "./impair_rules.ts";
 * const rule = delayEvery("up", isAck(), 30);
 * assert.deepEqual(rule({ direction: "up", bytes: encodeAck(4), index: 9 }), { delayMs: 30 });
 * ```
 */
export function delayEvery(
  direction: ImpairDirections,
  match: PacketMatch,
  delayMs: number,
): ImpairRule {
  checkDirection(direction);
  if (!(delayMs >= 0) || !Number.isFinite(delayMs)) {
    throw new RangeError(`delayMs must be a finite number >= 0, got ${delayMs}`);
  }
  return (datagram) => {
    if (!applies(direction, datagram)) return "pass";
    const packet = decodeOrUndefined(datagram.bytes);
    return packet && match(packet) ? { delayMs } : "pass";
  };
}

/** Options of {@linkcode randomLoss}. */
export interface RandomLossOptions {
  /** Which directions lose datagrams. @default {"both"} */
  direction?: ImpairDirections;
}

/**
 * Drops each datagram with probability `probability`, from a generator seeded with `seed`.
 * The generator advances once per datagram in the chosen directions.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { randomLoss } from "./impair_rules.ts";
 * const a = randomLoss(7, 0.5), b = randomLoss(7, 0.5);
 * const d = { direction: "up" as const, bytes: new Uint8Array([0, 4, 0, 1]), index: 0 };
 * for (let i = 0; i < 20; i++) assert.equal(a(d), b(d));
 * ```
 */
export function randomLoss(
  seed: number,
  probability: number,
  options: RandomLossOptions = {},
): ImpairRule {
  if (!(probability >= 0 && probability <= 1)) {
    throw new RangeError(`probability must be between 0 and 1, got ${probability}`);
  }
  const direction = options.direction ?? "both";
  checkDirection(direction);
  const prng = new Prng(seed);
  return (datagram) => {
    if (!applies(direction, datagram)) return "pass";
    return prng.chance(probability) ? "drop" : "pass";
  };
}

/**
 * Drops the first final ACK of a transfer: the ACK of the first DATA shorter than the block
 * size, travelling the other way. Learns the block size from the OACK (512 without one).
 * Follows one transfer: use a fresh rule per transfer.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { encodeAck, encodeData } from "../tftp/packet/encode.ts";
 * import { dropFinalAck } from "./impair_rules.ts";
 * const rule = dropFinalAck();
 * assert.equal(rule({ direction: "down", bytes: encodeData(1, new Uint8Array(512)), index: 0 }), "pass");
 * assert.equal(rule({ direction: "up", bytes: encodeAck(1), index: 0 }), "pass");
 * assert.equal(rule({ direction: "down", bytes: encodeData(2, new Uint8Array(5)), index: 1 }), "pass");
 * assert.equal(rule({ direction: "up", bytes: encodeAck(2), index: 1 }), "drop");
 * assert.equal(rule({ direction: "up", bytes: encodeAck(2), index: 2 }), "pass");
 * ```
 */
export function dropFinalAck(): ImpairRule {
  let blksize = 512;
  let final: { direction: ImpairDirection; block: number } | undefined;
  let dropped = false;
  return (datagram) => {
    if (dropped) return "pass";
    const packet = decodeOrUndefined(datagram.bytes);
    if (!packet) return "pass";
    if (packet.opcode === OPCODE.OACK && packet.options.blksize !== undefined) {
      blksize = Number(packet.options.blksize);
    } else if (packet.opcode === OPCODE.DATA && !final && packet.data.length < blksize) {
      final = { direction: datagram.direction, block: packet.block };
    } else if (
      packet.opcode === OPCODE.ACK && final && final.direction !== datagram.direction &&
      packet.block === final.block
    ) {
      dropped = true;
      return "drop";
    }
    return "pass";
  };
}

/**
 * Combines rules: each sees every datagram, in order; the first decision that is not
 * `"pass"` wins.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { encodeData } from "../tftp/packet/encode.ts";
 * import { combineRules, dropNth, duplicateEvery, isData } from "./impair_rules.ts";
 * const rule = combineRules(dropNth("down", isData(1)), duplicateEvery("down", isData()));
 * const data1 = { direction: "down" as const, bytes: encodeData(1, new Uint8Array(9)), index: 0 };
 * assert.equal(rule(data1), "drop");
 * assert.equal(rule({ ...data1, index: 1 }), "duplicate");
 * ```
 */
export function combineRules(...rules: ImpairRule[]): ImpairRule {
  for (const [i, rule] of rules.entries()) {
    if (typeof rule !== "function") {
      throw new TypeError(`rules[${i}] must be a function, got ${typeof rule}`);
    }
  }
  return (datagram) => {
    let action: ImpairAction = "pass";
    for (const rule of rules) {
      const next = rule(datagram);
      if (action === "pass") action = next;
    }
    return action;
  };
}

function checkBlock(name: string, value: number): void {
  if (!Number.isInteger(value) || value < 0 || value > 65535) {
    throw new RangeError(`${name} must be an integer between 0 and 65535, got ${value}`);
  }
}

/** Drops the first datagram matching `match` in each direction. */
function dropFirstEachWay(match: PacketMatch): ImpairRule {
  const dropped = { up: false, down: false };
  return (datagram) => {
    if (dropped[datagram.direction]) return "pass";
    const packet = decodeOrUndefined(datagram.bytes);
    if (!packet || !match(packet)) return "pass";
    dropped[datagram.direction] = true;
    return "drop";
  };
}

/**
 * Drops the first DATA with wire block number `block` in each direction it appears (once
 * downstream for a download, once upstream for an upload). The rule counts over its whole
 * life: use a fresh one per transfer to hit every transfer.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { encodeData } from "../tftp/packet/encode.ts";
 * import { dropBlock } from "./impair_rules.ts";
 * const rule = dropBlock(2);
 * const data2 = { direction: "down" as const, bytes: encodeData(2, new Uint8Array(4)), index: 0 };
 * assert.equal(rule(data2), "drop");
 * assert.equal(rule(data2), "pass"); // the retransmission gets through
 * assert.equal(rule({ ...data2, direction: "up" }), "drop");
 * ```
 */
export function dropBlock(block: number): ImpairRule {
  checkBlock("block", block);
  return dropFirstEachWay(isData(block));
}

/**
 * Drops the first ACK of wire block number `block` in each direction it appears.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { encodeAck } from "../tftp/packet/encode.ts";
 * import { dropAck } from "./impair_rules.ts";
 * const rule = dropAck(0);
 * const ack0 = { direction: "up" as const, bytes: encodeAck(0), index: 0 };
 * assert.equal(rule({ ...ack0, bytes: encodeAck(1) }), "pass");
 * assert.equal(rule(ack0), "drop");
 * assert.equal(rule(ack0), "pass");
 * ```
 */
export function dropAck(block: number): ImpairRule {
  checkBlock("block", block);
  return dropFirstEachWay(isAck(block));
}

/**
 * Drops the first RRQ, the first WRQ, the first OACK, the first DATA, the first ACK and the
 * first ERROR it sees, in whichever direction each comes: every kind of packet is lost once.
 * (A lost ERROR is not sent again: the peer that should have received it times out.)
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { encodeAck, encodeData } from "../tftp/packet/encode.ts";
 * import { dropFirstOfEachKind } from "./impair_rules.ts";
 * const rule = dropFirstOfEachKind();
 * const at = (bytes: Uint8Array) => ({ direction: "down" as const, bytes, index: 0 });
 * assert.equal(rule(at(encodeData(1, new Uint8Array(1)))), "drop");
 * assert.equal(rule(at(encodeData(1, new Uint8Array(1)))), "pass");
 * assert.equal(rule(at(encodeAck(1))), "drop");
 * ```
 */
export function dropFirstOfEachKind(): ImpairRule {
  const dropped = new Set<number>();
  return (datagram) => {
    const packet = decodeOrUndefined(datagram.bytes);
    if (!packet || dropped.has(packet.opcode)) return "pass";
    dropped.add(packet.opcode);
    return "drop";
  };
}

/** Faults of one direction for {@linkcode impairProfile}. */
export interface Faults {
  /** Probability (0..1) that a datagram is lost. @default {0} */
  loss?: number;
  /** Probability (0..1) that a datagram is sent twice. @default {0} */
  duplicate?: number;
  /**
   * Probability (0..1) that a datagram is held back by an extra random delay (between half
   * of `reorderMs` and all of it), so that later ones overtake it. @default {0}
   */
  reorder?: number;
  /** Delay of every datagram, in milliseconds. @default {0} */
  delayMs?: number;
  /**
   * Extra random delay of every datagram, uniform in [0, `jitterMs`) milliseconds. Jitter
   * alone never reorders: a datagram waits for the one before it. @default {0}
   */
  jitterMs?: number;
  /** The longest extra hold-back of a reordered datagram, in milliseconds. @default {40} */
  reorderMs?: number;
}

/** Directions of {@linkcode impairProfile}; a direction left out is not impaired. */
export interface ImpairProfileOptions {
  /** Faults of datagrams from the client to the server. @default {{}} */
  up?: Faults;
  /** Faults of datagrams from the server to the client. @default {{}} */
  down?: Faults;
}

const FAULT_KEYS = ["loss", "duplicate", "reorder", "delayMs", "jitterMs", "reorderMs"] as const;
const PROFILE_KEYS = ["up", "down"];

function checkKeys(what: string, value: object, known: readonly string[]): void {
  for (const key of Object.keys(value)) {
    if (!known.includes(key)) {
      throw new TypeError(`${what} has no option ${JSON.stringify(key)}; known: ${known}`);
    }
  }
}

function resolveFaults(direction: ImpairDirection, faults: Faults | undefined): Required<Faults> {
  if (faults === undefined) faults = {};
  if (typeof faults !== "object" || faults === null) {
    throw new TypeError(`${direction} must be an object of faults, got ${String(faults)}`);
  }
  checkKeys(direction, faults, FAULT_KEYS);
  const resolved = { loss: 0, duplicate: 0, reorder: 0, delayMs: 0, jitterMs: 0, reorderMs: 40 };
  for (const key of FAULT_KEYS) {
    const value = faults[key] ?? resolved[key];
    const probability = !key.endsWith("Ms");
    const ok = typeof value === "number" && value >= 0 &&
      (probability ? value <= 1 : Number.isFinite(value));
    if (!ok) {
      throw new RangeError(
        `${direction}.${key} must be ${
          probability ? "a probability between 0 and 1" : "a finite number of ms >= 0"
        }, got ${String(value)}`,
      );
    }
    resolved[key] = value;
  }
  return resolved;
}

/** Seed of the down-direction generator, derived from the profile's seed. */
const DOWN_SEED_MIX = 0x5bd1e995;

/**
 * Seeded network conditions per direction: loss, duplication, reordering, delay and jitter,
 * like a lossy link. Every datagram draws the same five numbers from its direction's
 * generator whatever happens to it, so the fate of the k-th datagram going one way depends
 * only on `seed` and k (not on the other direction or on earlier fates).
 *
 * A lost datagram is dropped; otherwise it is sent twice with probability `duplicate`, and
 * held back by `delayMs` plus jitter, plus a reordering hold-back with probability `reorder`.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { encodeAck } from "../tftp/packet/encode.ts";
 * import { impairProfile } from "./impair_rules.ts";
 * const a = impairProfile(7, { up: { loss: 0.3 }, down: { delayMs: 20 } });
 * const b = impairProfile(7, { up: { loss: 0.3 }, down: { delayMs: 20 } });
 * const ack = { direction: "up" as const, bytes: encodeAck(1), index: 0 };
 * for (let i = 0; i < 20; i++) assert.equal(a({ ...ack, index: i }), b({ ...ack, index: i }));
 * assert.deepEqual(a({ ...ack, direction: "down" }), { delayMs: 20 });
 * ```
 */
export function impairProfile(seed: number, options: ImpairProfileOptions = {}): ImpairRule {
  if (!Number.isInteger(seed) || seed < 0 || seed > 0xffffffff) {
    throw new RangeError(`seed must be an integer between 0 and 4294967295, got ${seed}`);
  }
  if (typeof options !== "object" || options === null) {
    throw new TypeError(`options must be an object, got ${String(options)}`);
  }
  checkKeys("options", options, PROFILE_KEYS);
  const ways = {
    up: { faults: resolveFaults("up", options.up), prng: new Prng(seed) },
    down: { faults: resolveFaults("down", options.down), prng: new Prng(seed ^ DOWN_SEED_MIX) },
  };
  return (datagram) => {
    const { faults, prng } = ways[datagram.direction];
    const lost = prng.next() < faults.loss;
    const twice = prng.next() < faults.duplicate;
    const late = prng.next() < faults.reorder;
    const jitter = prng.next() * faults.jitterMs;
    const extra = faults.reorderMs * (0.5 + prng.next() / 2);
    if (lost) return "drop";
    const delayMs = faults.delayMs + jitter;
    const duplicate = twice ? { duplicate: true } : {};
    if (late) return { delayMs: delayMs + extra, reorder: true, ...duplicate };
    if (faults.delayMs > 0 || faults.jitterMs > 0) return { delayMs, ...duplicate };
    return twice ? "duplicate" : "pass";
  };
}
