import assert from "node:assert/strict";
import { localAddressFor, resolveHost } from "./socket.ts";

Deno.test("resolveHost: IPv6 literals come back in canonical form", async () => {
  for (
    const [literal, canonical] of [
      ["::1", "::1"],
      ["0:0:0:0:0:0:0:1", "::1"],
      ["0000::0001", "::1"],
      ["2001:DB8:0:0:0:0:0:1", "2001:db8::1"],
      ["::ffff:7f00:1", "::ffff:127.0.0.1"],
      ["::FFFF:127.0.0.1", "::ffff:127.0.0.1"],
    ]
  ) {
    assert.equal(await resolveHost(literal), canonical, literal);
  }
  assert.equal(await resolveHost("192.0.2.1"), "192.0.2.1");
  assert.equal(await resolveHost("LocalHost"), "127.0.0.1");
});

Deno.test("resolveHost: IPv6 zone IDs are refused with a TypeError", async () => {
  await assert.rejects(
    resolveHost("fe80::1%eth0"),
    new TypeError(
      'IPv6 zone IDs are not supported yet, got "fe80::1%eth0": use an address without "%"',
    ),
  );
});

Deno.test("localAddressFor: a resolved loopback literal binds to loopback", async () => {
  assert.equal(localAddressFor(await resolveHost("0:0:0:0:0:0:0:1")), "::1");
  assert.equal(localAddressFor(await resolveHost("::ffff:127.0.0.1")), "::");
  assert.equal(localAddressFor("127.0.0.5"), "127.0.0.1");
  assert.equal(localAddressFor("192.0.2.1"), "0.0.0.0");
});
