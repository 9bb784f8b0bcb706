import assert from "node:assert/strict";
import { encodeAck, encodeData, encodeError, encodePacket } from "../tftp/packet/encode.ts";
import { OPCODE } from "../tftp/packet/constants.ts";
import {
  combineRules,
  delayEvery,
  dropFinalAck,
  dropNth,
  duplicateEvery,
  type ImpairAction,
  type ImpairDatagram,
  type ImpairDirection,
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
