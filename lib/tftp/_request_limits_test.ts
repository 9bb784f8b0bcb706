import assert from "node:assert/strict";
import {
  type Admitted,
  type Refusal,
  RequestLimits,
  type RequestLimitSettings,
} from "./_request_limits.ts";

const WIDE: RequestLimitSettings = {
  maxTransfers: 1000,
  maxTransfersPerClient: 1000,
  requestsPerSecond: 1000,
  unansweredBurst: 1000,
  maxClients: 1000,
};

function refusal(result: Admitted | Refusal): Refusal {
  assert.ok("answer" in result, "expected a refusal");
  return result;
}

function admitted(result: Admitted | Refusal): Admitted {
  assert.ok("address" in result, `expected admission, got ${JSON.stringify(result)}`);
  return result;
}

Deno.test("request rate: a burst of twice the rate, then silence, refilled over time", () => {
  const limits = new RequestLimits({ ...WIDE, requestsPerSecond: 10 });
  for (let i = 0; i < 20; i++) limits.end(admitted(limits.admit(0, "a")), true);
  assert.deepEqual(refusal(limits.admit(0, "a")), {
    answer: "silent",
    reason: "Request rate over 10/s",
  });
  admitted(limits.admit(0, "b")); // another address has its own bucket
  assert.equal(refusal(limits.admit(99, "a")).answer, "silent", "0.99 tokens after 99 ms");
  admitted(limits.admit(200, "a")); // 2 tokens after 200 ms (the refused one cost nothing)
});

Deno.test("unanswered transfers: a small budget per address, refunded by answers", () => {
  const limits = new RequestLimits({ ...WIDE, unansweredBurst: 3 });
  const spoofed = [0, 1, 2].map(() => admitted(limits.admit(0, "victim")));
  for (const one of spoofed) limits.end(one, false);
  assert.deepEqual(refusal(limits.admit(0, "victim")), {
    answer: "silent",
    reason: "Too many unanswered transfers to this address",
  });
  const later = admitted(limits.admit(1000, "victim")); // one token a second
  limits.end(later, true); // this one answered: its token comes back
  admitted(limits.admit(1000, "victim"));
  assert.equal(refusal(limits.admit(1000, "victim")).answer, "silent");
});

Deno.test("running transfers: a total cap and a per-address cap answer ERROR; ends free them", () => {
  const limits = new RequestLimits({ ...WIDE, maxTransfers: 3, maxTransfersPerClient: 2 });
  const a1 = admitted(limits.admit(0, "a"));
  admitted(limits.admit(0, "a"));
  assert.deepEqual(refusal(limits.admit(0, "a")), {
    answer: "error",
    reason: "Too many transfers from your address (2 at once)",
  });
  admitted(limits.admit(0, "b"));
  assert.deepEqual(refusal(limits.admit(0, "c")), {
    answer: "error",
    reason: "Server busy: 3 transfers running, try again later",
    busy: true,
  });
  assert.equal(limits.running, 3);
  limits.end(a1, true);
  admitted(limits.admit(0, "c"));
  assert.equal(limits.running, 3);
});

Deno.test("address table: bounded, forgets the oldest idle address, never a running one", () => {
  const limits = new RequestLimits({ ...WIDE, maxClients: 3, requestsPerSecond: 1 });
  const running = admitted(limits.admit(0, "busy"));
  limits.end(admitted(limits.admit(0, "x")), true);
  limits.end(admitted(limits.admit(0, "x")), true);
  assert.equal(refusal(limits.admit(0, "x")).answer, "silent", "x used its burst of 2");
  limits.end(admitted(limits.admit(0, "y")), true);
  limits.end(admitted(limits.admit(0, "z")), true); // forgets x, the oldest idle one
  assert.equal(limits.clients, 3);
  limits.end(admitted(limits.admit(0, "x")), true); // x is new again
  const full = new RequestLimits({ ...WIDE, maxClients: 1 });
  admitted(full.admit(0, "busy"));
  assert.deepEqual(refusal(full.admit(0, "other")), {
    answer: "silent",
    reason: "Too many client addresses remembered",
  });
  limits.end(running, true);
});

Deno.test("replies to malformed requests share the request rate", () => {
  const limits = new RequestLimits({ ...WIDE, requestsPerSecond: 2 });
  assert.deepEqual([1, 2, 3].map(() => limits.allowReply(0, "a")), [true, true, true]);
  limits.end(admitted(limits.admit(0, "a")), true);
  assert.equal(limits.allowReply(0, "a"), false);
  assert.equal(refusal(limits.admit(0, "a")).answer, "silent");
  assert.equal(limits.allowReply(500, "a"), true);
});
