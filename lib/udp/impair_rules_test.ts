import assert from "node:assert/strict";
import { encodeAck, encodeData, encodeError, encodePacket } from "../tftp/packet/encode.ts";
import { OPCODE } from "../tftp/packet/constants.ts";
import {
  combineRules,
  delayEvery,
  dropAck,
  dropBlock,
  dropFinalAck,
  dropFirstOfEachKind,
  dropNth,
  duplicateEvery,
  type ImpairAction,
  type ImpairDatagram,
  type ImpairDirection,
  impairProfile,
  type ImpairRule,
  isAck,
  isData,
  isOack,
  isRrq,
  isWrq,
  randomLoss,
} from "./impair_rules.ts";

const rrq = encodePacket({ opcode: OPCODE.RRQ, filename: "f", mode: "octet", options: {} });
const wrq = encodePacket({ opcode: OPCODE.WRQ, filename: "f", mode: "octet", options: {} });
const oack = (blksize: number) =>
  encodePacket({ opcode: OPCODE.OACK, options: { blksize: String(blksize) } });
const data = (block: number, size: number) => encodeData(block, new Uint8Array(size));

/** Feeds datagrams through a rule with per-direction indexes, as the proxy does. */
function feed(rule: ImpairRule, list: [ImpairDirection, Uint8Array][]): ImpairAction[] {
  const index = { up: 0, down: 0 };
  return list.map(([direction, bytes]) => rule({ direction, bytes, index: index[direction]++ }));
}

Deno.test("packet predicates match opcodes and block numbers", () => {
  const packets = [rrq, wrq, oack(512), data(1, 3), encodeAck(1), encodeError(1, "x")];
  const rule = (match: Parameters<typeof dropNth>[1]) => {
    const r = dropNth("both", match, { count: 100 });
    return feed(r, packets.map((p) => ["up", p]));
  };
  assert.deepEqual(rule(isRrq), ["drop", "pass", "pass", "pass", "pass", "pass"]);
  assert.deepEqual(rule(isWrq), ["pass", "drop", "pass", "pass", "pass", "pass"]);
  assert.deepEqual(rule(isOack), ["pass", "pass", "drop", "pass", "pass", "pass"]);
  assert.deepEqual(rule(isData()), ["pass", "pass", "pass", "drop", "pass", "pass"]);
  assert.deepEqual(rule(isData(2)), ["pass", "pass", "pass", "pass", "pass", "pass"]);
  assert.deepEqual(rule(isAck(1)), ["pass", "pass", "pass", "pass", "drop", "pass"]);
  assert.deepEqual(rule(isAck(0)), ["pass", "pass", "pass", "pass", "pass", "pass"]);
});

Deno.test("dropNth drops only the nth match in its direction, count times", () => {
  const rule = dropNth("down", isData(), { nth: 2, count: 2 });
  const actions = feed(rule, [
    ["down", data(1, 512)],
    ["up", data(9, 512)], // wrong direction: not counted
    ["down", encodeAck(1)], // not DATA: not counted
    ["down", data(2, 512)],
    ["down", data(3, 512)],
    ["down", data(4, 512)],
  ]);
  assert.deepEqual(actions, ["pass", "pass", "pass", "drop", "drop", "pass"]);
});

Deno.test("dropNth ignores bytes that are not TFTP packets", () => {
  const rule = dropNth("up", () => true);
  assert.deepEqual(feed(rule, [["up", new Uint8Array([0, 9])], ["up", rrq]]), ["pass", "drop"]);
});

Deno.test("dropNth rejects bad arguments", () => {
  assert.throws(() => dropNth("sideways" as "up", isRrq), TypeError);
  assert.throws(() => dropNth("up", isRrq, { nth: 0 }), /nth must be an integer >= 1, got 0/);
  assert.throws(() => dropNth("up", isRrq, { count: 1.5 }), RangeError);
});

Deno.test("duplicateEvery and delayEvery act on every match in their direction", () => {
  const dup = duplicateEvery("down", isData());
  assert.deepEqual(
    feed(dup, [["down", data(1, 1)], ["up", data(1, 1)], ["down", encodeAck(1)], [
      "down",
      data(2, 0),
    ]]),
    ["duplicate", "pass", "pass", "duplicate"],
  );
  const delay = delayEvery("up", isAck(), 25);
  assert.deepEqual(feed(delay, [["up", encodeAck(3)], ["down", encodeAck(3)]]), [
    { delayMs: 25 },
    "pass",
  ]);
  assert.throws(() => delayEvery("up", isAck(), -1), /delayMs must be a finite number >= 0/);
});

Deno.test("randomLoss is reproducible per seed and near its probability", () => {
  const list: [ImpairDirection, Uint8Array][] = Array.from(
    { length: 2000 },
    (_, i) => [i % 2 ? "up" : "down", encodeAck(i)],
  );
  const a = feed(randomLoss(42, 0.1), list);
  const b = feed(randomLoss(42, 0.1), list);
  const c = feed(randomLoss(43, 0.1), list);
  assert.deepEqual(a, b);
  assert.notDeepEqual(a, c);
  const drops = a.filter((x) => x === "drop").length;
  assert.ok(drops > 140 && drops < 260, `expected about 200 drops, got ${drops}`);
  const upOnly = feed(randomLoss(42, 1, { direction: "up" }), list);
  assert.deepEqual(upOnly, list.map(([d]) => (d === "up" ? "drop" : "pass")));
  assert.deepEqual(feed(randomLoss(1, 0), list).filter((x) => x !== "pass"), []);
  assert.throws(() => randomLoss(1, 1.5), /probability must be between 0 and 1, got 1.5/);
});

Deno.test("dropFinalAck drops the first ACK of the short DATA, learning blksize from OACK", () => {
  const download = feed(dropFinalAck(), [
    ["up", rrq],
    ["down", oack(8)],
    ["up", encodeAck(0)],
    ["down", data(1, 8)],
    ["up", encodeAck(1)],
    ["down", data(2, 3)], // 3 < 8: final
    ["up", encodeAck(2)], // dropped
    ["down", data(2, 3)],
    ["up", encodeAck(2)], // passes
  ]);
  assert.deepEqual(download, [
    "pass",
    "pass",
    "pass",
    "pass",
    "pass",
    "pass",
    "drop",
    "pass",
    "pass",
  ]);
  // An upload: DATA goes up, the final ACK comes down; plain 512-byte blocks.
  const upload = feed(dropFinalAck(), [
    ["up", wrq],
    ["down", encodeAck(0)],
    ["up", data(1, 512)],
    ["down", encodeAck(1)],
    ["up", data(2, 0)],
    ["up", encodeAck(2)], // wrong direction for this transfer's final ACK
    ["down", encodeAck(2)],
  ]);
  assert.deepEqual(upload, ["pass", "pass", "pass", "pass", "pass", "pass", "drop"]);
});

Deno.test("combineRules lets every rule see every datagram; first non-pass wins", () => {
  const seen: ImpairDatagram[] = [];
  const spy: ImpairRule = (d) => {
    seen.push(d);
    return "pass";
  };
  const rule = combineRules(
    dropNth("down", isData(1)),
    duplicateEvery("down", isData()),
    spy,
  );
  const actions = feed(rule, [["down", data(1, 512)], ["down", data(1, 512)], ["up", rrq]]);
  assert.deepEqual(actions, ["drop", "duplicate", "pass"]);
  assert.equal(seen.length, 3);
  assert.deepEqual(seen.map((d) => d.index), [0, 1, 0]);
  assert.equal(combineRules()({ direction: "up", bytes: rrq, index: 0 }), "pass");
  assert.throws(() => combineRules(undefined as unknown as ImpairRule), /rules\[0\] must be/);
});

Deno.test("dropBlock drops the first DATA of that block once in each direction", () => {
  const rule = dropBlock(2);
  const actions = feed(rule, [
    ["down", data(1, 512)],
    ["down", data(2, 512)], // dropped
    ["up", encodeAck(2)], // an ACK 2 is not DATA 2
    ["down", data(2, 512)], // the retransmission passes
    ["up", data(2, 512)], // first DATA 2 going up: dropped
    ["up", data(2, 512)],
    ["down", data(3, 0)],
  ]);
  assert.deepEqual(actions, ["pass", "drop", "pass", "pass", "drop", "pass", "pass"]);
  assert.deepEqual(feed(dropBlock(0), [["down", data(0, 1)], ["down", data(0, 1)]]), [
    "drop",
    "pass",
  ]);
  assert.throws(() => dropBlock(65536), /block must be an integer between 0 and 65535, got 65536/);
  assert.throws(() => dropBlock(-1), RangeError);
  assert.throws(() => dropBlock(1.5), RangeError);
});

Deno.test("dropAck drops the first ACK of that block once in each direction", () => {
  const actions = feed(dropAck(1), [
    ["up", encodeAck(0)],
    ["up", data(1, 3)],
    ["up", encodeAck(1)], // dropped
    ["up", encodeAck(1)],
    ["down", encodeAck(1)], // dropped: first one going down
    ["down", encodeAck(1)],
  ]);
  assert.deepEqual(actions, ["pass", "pass", "drop", "pass", "drop", "pass"]);
  assert.throws(() => dropAck(70000), /block must be an integer between 0 and 65535/);
});

Deno.test("dropFirstOfEachKind drops each opcode's first packet once, either way", () => {
  const actions = feed(dropFirstOfEachKind(), [
    ["up", rrq], // first RRQ
    ["up", rrq],
    ["down", oack(512)], // first OACK
    ["down", oack(512)],
    ["up", encodeAck(0)], // first ACK
    ["down", data(1, 512)], // first DATA
    ["up", encodeAck(1)],
    ["down", data(2, 5)],
    ["up", new Uint8Array([0, 9, 1])], // not TFTP: passes, remembers nothing
    ["up", wrq], // first WRQ
    ["up", data(1, 1)], // DATA already dropped once (going down)
    ["down", encodeError(2, "no")], // first ERROR
    ["up", encodeError(0, "bye")],
    ["up", wrq],
  ]);
  assert.deepEqual(actions, [
    "drop",
    "pass",
    "drop",
    "pass",
    "drop",
    "drop",
    "pass",
    "pass",
    "pass",
    "drop",
    "pass",
    "drop",
    "pass",
    "pass",
  ]);
});

Deno.test("impairProfile: exact decisions for a scripted sequence, per seed", () => {
  const list: [ImpairDirection, Uint8Array][] = [];
  for (let block = 1; block <= 12; block++) {
    list.push(["down", data(block, 512)], ["up", encodeAck(block)]);
  }
  const profile = () =>
    impairProfile(7, {
      up: { loss: 0.3 },
      down: { loss: 0.2, duplicate: 0.2, reorder: 0.2, delayMs: 5, jitterMs: 4, reorderMs: 40 },
    });
  const actions = feed(profile(), list);
  // Same seed, same decisions; the other direction's traffic does not shift them.
  assert.deepEqual(feed(profile(), list), actions);
  const downOnly = feed(profile(), list.filter(([d]) => d === "down"));
  assert.deepEqual(downOnly, actions.filter((_, i) => list[i][0] === "down"));
  const rounded = actions.map((a) =>
    typeof a === "object" ? { ...a, delayMs: Math.round(a.delayMs * 1000) / 1000 } : a
  );
  assert.deepEqual(rounded, EXPECTED_SEED_7);
  // Every downstream datagram that survives is held back: delayMs + jitter (+ reordering).
  for (const [i, a] of actions.entries()) {
    if (list[i][0] === "up") assert.ok(a === "pass" || a === "drop", `up ${i}: ${a}`);
    else if (typeof a === "object") {
      const limit = a.reorder ? [5 + 20, 5 + 4 + 40] : [5, 9];
      assert.ok(a.delayMs >= limit[0] && a.delayMs < limit[1], `down ${i}: ${a.delayMs}`);
    } else assert.equal(a, "drop");
  }
  assert.notDeepEqual(feed(impairProfile(8, { up: { loss: 0.3 } }), list), actions);
});

/** The decisions of the scripted sequence above for seed 7 (delays rounded to 1 µs). */
const EXPECTED_SEED_7: ImpairAction[] = [
  { delayMs: 7.227 },
  "pass",
  { delayMs: 5.465 },
  "drop",
  { delayMs: 8.257 },
  "pass",
  { delayMs: 8.446 },
  "pass",
  { delayMs: 7.104, duplicate: true },
  "drop",
  "drop",
  "pass",
  { delayMs: 6.988, duplicate: true },
  "drop",
  { delayMs: 5.928, duplicate: true },
  "pass",
  { delayMs: 8.885 },
  "pass",
  { delayMs: 38.583, reorder: true, duplicate: true },
  "pass",
  { delayMs: 41.251, reorder: true },
  "drop",
  { delayMs: 5.13 },
  "pass",
];

Deno.test("impairProfile: certain faults give exact decisions", () => {
  const acks: [ImpairDirection, Uint8Array][] = [1, 2, 3].flatMap((b) => [
    ["up", encodeAck(b)] as [ImpairDirection, Uint8Array],
    ["down", encodeAck(b)] as [ImpairDirection, Uint8Array],
  ]);
  const once = (options: Parameters<typeof impairProfile>[1]) =>
    feed(impairProfile(1, options), acks);
  assert.deepEqual(once({}), ["pass", "pass", "pass", "pass", "pass", "pass"]);
  assert.deepEqual(once({ up: { loss: 1, duplicate: 1 } }), [
    "drop",
    "pass",
    "drop",
    "pass",
    "drop",
    "pass",
  ]);
  assert.deepEqual(once({ down: { duplicate: 1 } }), [
    "pass",
    "duplicate",
    "pass",
    "duplicate",
    "pass",
    "duplicate",
  ]);
  const delayed = { delayMs: 10 };
  assert.deepEqual(once({ up: delayed, down: { ...delayed, duplicate: 1 } }), [
    delayed,
    { ...delayed, duplicate: true },
    delayed,
    { ...delayed, duplicate: true },
    delayed,
    { ...delayed, duplicate: true },
  ]);
  // Reordering alone: held back between reorderMs / 2 and reorderMs; the rest pass at once.
  for (const action of once({ up: { reorder: 1, reorderMs: 10 } })) {
    if (action === "pass") continue;
    assert.ok(typeof action === "object" && action.reorder === true, JSON.stringify(action));
    assert.ok(action.delayMs >= 5 && action.delayMs < 10, `${action.delayMs}`);
  }
  // Jitter alone: a delay below jitterMs, and in order (no reorder flag).
  for (const action of once({ down: { jitterMs: 3 } }).filter((_, i) => i % 2 === 1)) {
    assert.ok(typeof action === "object" && action.reorder === undefined);
    assert.ok(action.delayMs >= 0 && action.delayMs < 3, `${action.delayMs}`);
  }
});

Deno.test("impairProfile rejects bad seeds and faults", () => {
  assert.throws(
    () => impairProfile(-1),
    /seed must be an integer between 0 and 4294967295, got -1/,
  );
  assert.throws(() => impairProfile(1.5), RangeError);
  assert.throws(
    () => impairProfile(1, { up: { loss: 1.5 } }),
    /up.loss must be a probability between 0 and 1, got 1.5/,
  );
  assert.throws(
    () => impairProfile(1, { down: { delayMs: Infinity } }),
    /down.delayMs must be a finite number of ms >= 0, got Infinity/,
  );
  assert.throws(() => impairProfile(1, { down: { jitterMs: -2 } }), RangeError);
  assert.throws(() => impairProfile(1, { up: { loss: NaN } }), RangeError);
  assert.throws(
    () => impairProfile(1, { up: { los: 0.1 } as never }),
    /up has no option "los"/,
  );
  assert.throws(() => impairProfile(1, { sideways: {} } as never), /options has no option/);
  assert.throws(() => impairProfile(1, { up: 3 } as never), /up must be an object of faults/);
});
