import assert from "node:assert/strict";
import { splitUrlAuthority, urlHostProblem } from "./url_host.ts";

Deno.test("urlHostProblem accepts host names, strict IPv4 and IPv6 literals", () => {
  for (
    const good of [
      "localhost",
      "files.lan.",
      "_srv.example",
      "a".repeat(63),
      "127.0.0.1",
      "::",
      "::1",
      "1:2:3:4:5:6:7:8",
      "1::8",
      "::ffff:192.0.2.1",
      "1:2:3:4:5:6:1.2.3.4",
    ]
  ) {
    assert.equal(urlHostProblem(good), undefined, good);
  }
});

Deno.test("urlHostProblem says what is wrong", () => {
  const cases: [string, string][] = [
    ["", "the host is empty"],
    ["1.2.3", '"1.2.3" is not a valid IPv4 address'],
    ["010.0.0.1", '"010.0.0.1" is not a valid IPv4 address'],
    ["1.2.3.256", '"1.2.3.256" is not a valid IPv4 address'],
    ["1:2:3:4:5:6:7", '"1:2:3:4:5:6:7" is not a valid IPv6 address'],
    ["1::2::3", '"1::2::3" is not a valid IPv6 address'],
    ["1.2.3.4::", '"1.2.3.4::" is not a valid IPv6 address'],
    ["::1.2.3.4:5", '"::1.2.3.4:5" is not a valid IPv6 address'],
    ["12345::", '"12345::" is not a valid IPv6 address'],
    ["-bad.lan", '"-bad.lan" is not a valid host name'],
    ["a..b", '"a..b" is not a valid host name'],
    ["a".repeat(64), `${JSON.stringify("a".repeat(64))} is not a valid host name`],
  ];
  for (const [host, reason] of cases) assert.equal(urlHostProblem(host), reason, host);
});

Deno.test("urlHostProblem takes an IPv6 zone only when asked to", () => {
  assert.equal(urlHostProblem("fe80::1%eth0", { zone: true }), undefined);
  assert.equal(urlHostProblem("fe80::1%eth0"), '"fe80::1%eth0" is not a valid IPv6 address');
  assert.equal(urlHostProblem("fe80::1%", { zone: true }), '"" is not a valid IPv6 zone');
  assert.equal(urlHostProblem("fe80::1%a%b", { zone: true }), '"a" is not a valid IPv6 zone');
  assert.equal(urlHostProblem("fe80::1%a b", { zone: true }), '"a b" is not a valid IPv6 zone');
  assert.equal(urlHostProblem("x%1:2", { zone: true }), '"x" is not a valid IPv6 address');
});

Deno.test("splitUrlAuthority splits host and port text, brackets for IPv6", () => {
  assert.deepEqual(splitUrlAuthority("h:7"), { hostname: "h", port: "7" });
  assert.deepEqual(splitUrlAuthority("h:"), { hostname: "h", port: "" });
  assert.deepEqual(splitUrlAuthority("h:x"), { hostname: "h", port: "x" });
  assert.deepEqual(splitUrlAuthority("[::1]"), { hostname: "::1", port: undefined });
  assert.deepEqual(splitUrlAuthority("[fe80::1%25en0]:69", { zone: true }), {
    hostname: "fe80::1%en0",
    port: "69",
  });
  const cases: [string, string, boolean?][] = [
    ["u@h", "user information is not allowed"],
    ["[::1", '"[" of the IPv6 address has no "]"'],
    ["[h]", '"h" in brackets is not an IPv6 address'],
    ["[::1]x", 'unexpected "x" after the IPv6 address'],
    ["::1", "an IPv6 address must be in square brackets"],
    ["[fe80::1%en0]", 'the IPv6 zone must be written as "%25zone"', true],
    ["[fe80::1%25en0]", '"fe80::1%25en0" is not a valid IPv6 address'],
    [":7", "the host is empty"],
  ];
  for (const [authority, problem, zone] of cases) {
    assert.deepEqual(splitUrlAuthority(authority, { zone }), { problem }, authority);
  }
});
