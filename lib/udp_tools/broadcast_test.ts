import assert from "node:assert/strict";
import {
  BROADCAST_HOST,
  LIMITED_BROADCAST,
  resolveBroadcastHost,
  sendBroadcast,
} from "./broadcast.ts";

Deno.test("broadcast: <broadcast> is 255.255.255.255, anything else is unchanged", () => {
  assert.equal(BROADCAST_HOST, "<broadcast>");
  assert.equal(LIMITED_BROADCAST, "255.255.255.255");
  assert.equal(resolveBroadcastHost("<broadcast>"), "255.255.255.255");
  for (const host of ["192.0.2.255", "255.255.255.255", "localhost", "::1", "<BROADCAST>", ""]) {
    assert.equal(resolveBroadcastHost(host), host);
  }
});

Deno.test("broadcast: options are checked before any socket is opened", async () => {
  const payload = new Uint8Array(1);
  const cases: [Parameters<typeof sendBroadcast>, string][] = [
    [
      [{ hostname: "<broadcast>", port: 0 }, payload],
      "to.port must be a whole number from 1 to 65535, got 0",
    ],
    [
      [{ hostname: "x", port: 65536 }, payload],
      "to.port must be a whole number from 1 to 65535, got 65536",
    ],
    [
      [{ hostname: "x", port: 9 }, payload, { waitMs: NaN }],
      "waitMs must be a finite number of at least 0, got NaN",
    ],
    [
      [{ hostname: "x", port: 9 }, payload, { maxReplies: 0 }],
      "maxReplies must be a whole number of at least 1, got 0",
    ],
    [
      [{ hostname: "x", port: 9 }, payload, { maxReplies: 1.5 }],
      "maxReplies must be a whole number of at least 1, got 1.5",
    ],
    [
      [{ hostname: "x", port: 9 }, payload, { port: -1 }],
      "port must be a whole number from 0 to 65535, got -1",
    ],
  ];
  for (const [args, message] of cases) {
    await assert.rejects(sendBroadcast(...args), { name: "RangeError", message });
  }
  const reason = new Error("already stopped");
  await assert.rejects(
    sendBroadcast({ hostname: "x", port: 9 }, payload, { signal: AbortSignal.abort(reason) }),
    (error) => error === reason,
  );
});
