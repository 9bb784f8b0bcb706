import assert from "node:assert/strict";
import { type Slot, TransferSlots } from "./_transfer_slots.ts";
import type { Refusal } from "./_request_limits.ts";
import { Sender } from "./engine/sender.ts";
import { encodeAck } from "./packet/encode.ts";
import { CLIENT, LOCKSTEP } from "./engine/_script.ts";

const SETTINGS = {
  maxTransfers: 2,
  maxTransfersPerClient: 100,
  requestsPerSecond: 1000,
  unansweredBurst: 100,
  maxClients: 100,
};

function slot(result: Slot | Refusal): Slot {
  assert.ok(!("answer" in result), `expected a slot, got ${JSON.stringify(result)}`);
  return result;
}

function started(slots: TransferSlots, now: number, address: string): Slot {
  const s = slot(slots.admit(now, address));
  slots.start(s, new Sender(now, { peer: CLIENT, options: LOCKSTEP }), now);
  return s;
}

Deno.test("full: a transfer unanswered for 250 ms gives way; younger ones make refusals silent", () => {
  const slots = new TransferSlots(SETTINGS);
  const old = started(slots, 0, "a");
  started(slots, 100, "b");
  assert.deepEqual(slots.admit(200, "c"), {
    answer: "silent",
    reason: "Server busy: 2 transfers running, try again later",
    busy: true,
  });
  slot(slots.admit(250, "c")); // "a" waited 250 ms: it gives way
  assert.equal(old.evict.signal.aborted, true);
  assert.equal(old.released, true);
});

Deno.test("full of answered transfers: the refusal is an ERROR; ends free slots once", () => {
  const slots = new TransferSlots(SETTINGS);
  const a = started(slots, 0, "a");
  const b = started(slots, 0, "b");
  for (const s of [a, b]) {
    s.machine!.handleDatagram(1, CLIENT, encodeAck(1));
    slots.noteAnswer(s);
    assert.equal(s.admitted.refunded, true);
  }
  const refusal = slots.admit(1000, "c") as Refusal;
  assert.equal(refusal.answer, "error");
  slots.release(a, true);
  slots.release(a, true); // idempotent: one slot freed, not two
  slot(slots.admit(1000, "c"));
  assert.equal((slots.admit(1000, "d") as Refusal).answer, "error");
});
