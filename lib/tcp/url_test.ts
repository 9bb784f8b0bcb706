import assert from "node:assert/strict";
import { DEFAULT_TCP_PORT, formatTcpUrl, parseTcpUrl, type TcpUrl } from "./url.ts";

const VALID: [string, TcpUrl][] = [
  ["tcp://127.0.0.1:7070/boot/kernel", { hostname: "127.0.0.1", port: 7070, name: "boot/kernel" }],
  ["TCP://Files.lan/a", { hostname: "Files.lan", port: 6000, name: "a" }],
  ["tcp://[::1]:1/x", { hostname: "::1", port: 1, name: "x" }],
  ["tcp://[::1]/x", { hostname: "::1", port: 6000, name: "x" }],
  ["tcp://[2001:db8::ffff:192.0.2.1]:65535/x", {
    hostname: "2001:db8::ffff:192.0.2.1",
    port: 65535,
    name: "x",
  }],
  ["tcp://[1:2:3:4:5:6:7:8]:9/x", { hostname: "1:2:3:4:5:6:7:8", port: 9, name: "x" }],
  ["tcp://h:6000/my%20file%2Ebin", { hostname: "h", port: 6000, name: "my file.bin" }],
  ["tcp://h:6000/%E6%96%87%E4%BB%B6", { hostname: "h", port: 6000, name: "文件" }],
  ["tcp://h:6000//abs/path", { hostname: "h", port: 6000, name: "/abs/path" }],
  ["tcp://h:6000/a;b=c:d@e", { hostname: "h", port: 6000, name: "a;b=c:d@e" }],
  ["tcp://h:6000/dir/", { hostname: "h", port: 6000, name: "dir/" }],
  ["tcp://my_host.example.:8/f", { hostname: "my_host.example.", port: 8, name: "f" }],
];

for (const [text, expected] of VALID) {
  Deno.test(`parseTcpUrl accepts ${text}`, () => {
    assert.deepEqual(parseTcpUrl(text), expected);
  });
}

const INVALID: [string, string][] = [
  ["http://h/f", `it must start with "tcp://"`],
  ["tcp:h/f", `it must start with "tcp://"`],
  ["tcp://h:6000", `there is no "/" and file name after the host`],
  ["tcp://h:6000/", "the file name is empty"],
  ["tcp:///f", "the host is empty"],
  ["tcp://:6000/f", "the host is empty"],
  ["tcp://h:0/f", `the port must be 1 to 65535, got "0"`],
  ["tcp://h:65536/f", `the port must be 1 to 65535, got "65536"`],
  ["tcp://h:/f", `the port must be 1 to 65535, got ""`],
  ["tcp://h:x/f", `the port must be 1 to 65535, got "x"`],
  ["tcp://h:123456/f", `the port must be 1 to 65535, got "123456"`],
  ["tcp://u@h:1/f", "user information is not allowed"],
  ["tcp://h:1/f?x=1", "a query is not allowed"],
  ["tcp://h:1/f#top", "a fragment is not allowed"],
  ["tcp://::1:6000/f", "an IPv6 address must be in square brackets"],
  ["tcp://[::1:6000/f", `"[" of the IPv6 address has no "]"`],
  ["tcp://[::1]x/f", `unexpected "x" after the IPv6 address`],
  ["tcp://[1.2.3.4]/f", `"1.2.3.4" in brackets is not an IPv6 address`],
  ["tcp://[1::2::3]/f", `"1::2::3" is not a valid IPv6 address`],
  ["tcp://[1:2:3:4:5:6:7]/f", `"1:2:3:4:5:6:7" is not a valid IPv6 address`],
  ["tcp://[::12345]/f", `"::12345" is not a valid IPv6 address`],
  ["tcp://256.1.1.1:1/f", `"256.1.1.1" is not a valid IPv4 address`],
  ["tcp://1.2.3:1/f", `"1.2.3" is not a valid IPv4 address`],
  ["tcp://-bad.host:1/f", `"-bad.host" is not a valid host name`],
  ["tcp://h:1/a b", `" " must be percent-encoded`],
  ["tcp://h:1/文件", `"文" must be percent-encoded`],
  ["tcp://h:1/a%2", "a % is not followed by two hex digits"],
  ["tcp://h:1/a%zz", "a % is not followed by two hex digits"],
  ["tcp://h:1/%C3", "percent-escapes are not valid UTF-8"],
  ["tcp://h:1/a%0Ab", "the file name contains NUL, CR or LF"],
  ["tcp://h:1/a%00", "the file name contains NUL, CR or LF"],
  [`tcp://h:1/${"x".repeat(1025)}`, "the file name is 1025 bytes, at most 1024 are allowed"],
];

for (const [text, reason] of INVALID) {
  Deno.test(`parseTcpUrl refuses ${text.slice(0, 40)}`, () => {
    assert.throws(() => parseTcpUrl(text), {
      name: "TypeError",
      message: `Invalid TCP URL ${JSON.stringify(text)}: ${reason}`,
    });
  });
}

Deno.test("parseTcpUrl takes a URL object and a name of exactly 1024 bytes", () => {
  assert.deepEqual(parseTcpUrl(new URL("tcp://[::1]:7/a b/c")), {
    hostname: "::1",
    port: 7,
    name: "a b/c",
  });
  const name = "é".repeat(512);
  assert.equal(parseTcpUrl(`tcp://h/${encodeURIComponent(name)}`).name, name);
  assert.equal(DEFAULT_TCP_PORT, 6000);
  // @ts-expect-error: a wrong type from untyped callers
  assert.throws(() => parseTcpUrl(42), { message: "TCP URL must be a string, got number" });
});

Deno.test("formatTcpUrl writes the port, brackets and escapes; parse reads it back", () => {
  const cases: [TcpUrl, string][] = [
    [
      { hostname: "127.0.0.1", port: 6000, name: "boot/kernel" },
      "tcp://127.0.0.1:6000/boot/kernel",
    ],
    [{ hostname: "::1", port: 7, name: "a b?#%.bin" }, "tcp://[::1]:7/a%20b%3F%23%25.bin"],
    [{ hostname: "h", port: 1, name: "文件" }, "tcp://h:1/%E6%96%87%E4%BB%B6"],
    [{ hostname: "h", port: 1, name: "//x/" }, "tcp://h:1///x/"],
  ];
  for (const [url, text] of cases) {
    assert.equal(formatTcpUrl(url), text);
    assert.deepEqual(parseTcpUrl(text), url);
  }
});

Deno.test("formatTcpUrl refuses values with no URL", () => {
  const base = { hostname: "h", port: 1, name: "n" };
  assert.throws(() => formatTcpUrl({ ...base, hostname: "[::1]" }), {
    name: "TypeError",
    message:
      'Cannot format TCP URL: hostname "[::1]" is invalid: give IPv6 addresses without brackets',
  });
  assert.throws(() => formatTcpUrl({ ...base, hostname: "a b" }), TypeError);
  assert.throws(() => formatTcpUrl({ ...base, port: 0 }), {
    name: "RangeError",
    message: "Cannot format TCP URL: port must be an integer between 1 and 65535, got 0",
  });
  assert.throws(() => formatTcpUrl({ ...base, name: "" }), {
    message: 'Cannot format TCP URL: name "" is invalid: the file name is empty',
  });
  assert.throws(() => formatTcpUrl({ ...base, name: "a\nb" }), TypeError);
  assert.throws(() => formatTcpUrl({ ...base, name: "\ud800" }), {
    message: 'Cannot format TCP URL: name "\\ud800" is invalid: it is not well-formed Unicode',
  });
});
