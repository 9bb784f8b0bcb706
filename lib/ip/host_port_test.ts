import assert from "node:assert/strict";
import { parseHostPort } from "./host_port.ts";

Deno.test("parseHostPort accepts host:port and [v6]:port only", () => {
  assert.deepEqual(parseHostPort("127.0.0.1:7070"), { hostname: "127.0.0.1", port: 7070 });
  assert.deepEqual(parseHostPort("[::1]:1"), { hostname: "::1", port: 1 });
  assert.deepEqual(parseHostPort("files.lan:65535"), { hostname: "files.lan", port: 65535 });
  for (const bad of ["127.0.0.1", "::1:80", "host:0", "host:65536", "host:", ":80", "h:8x"]) {
    assert.throws(() => parseHostPort(bad), {
      name: "TypeError",
      message: `address must be host:port or [v6]:port, got ${JSON.stringify(bad)}`,
    });
  }
});
