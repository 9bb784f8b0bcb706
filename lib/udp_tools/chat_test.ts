import assert from "node:assert/strict";
import { openUdpChat, UdpNoPeerError } from "./chat.ts";

Deno.test("chat: options are checked before any socket is opened", async () => {
  await assert.rejects(openUdpChat({ encoding: "latin1" as "utf-8" }), {
    name: "RangeError",
    message: 'encoding must be one of utf-8, gbk, gb18030, got "latin1"',
  });
  await assert.rejects(openUdpChat({ peer: { hostname: "127.0.0.1", port: 0 } }), {
    name: "RangeError",
    message: "peer.port must be a whole number from 1 to 65535, got 0",
  });
  await assert.rejects(openUdpChat({ port: 70000 }), {
    name: "RangeError",
    message: "port must be a whole number from 0 to 65535, got 70000",
  });
});

Deno.test("chat: UdpNoPeerError says why nothing can be sent", () => {
  const error = new UdpNoPeerError();
  assert.equal(error.name, "UdpNoPeerError");
  assert.equal(
    error.message,
    "Nobody to send to yet: no peer was given and no message has arrived",
  );
  assert.ok(error instanceof Error);
});
