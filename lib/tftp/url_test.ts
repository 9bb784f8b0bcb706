import assert from "node:assert/strict";
import { formatTftpUrl, parseTftpUrl, type TftpUrl } from "./url.ts";

const VALID: [string, TftpUrl][] = [
  ["tftp://example.com/boot.bin", {
    hostname: "example.com",
    port: 69,
    path: "boot.bin",
    mode: "octet",
  }],
  ["TFTP://localhost/a", { hostname: "localhost", port: 69, path: "a", mode: "octet" }],
  ["tftp://localhost:6969/dir/file;mode=netascii", {
    hostname: "localhost",
    port: 6969,
    path: "dir/file",
    mode: "netascii",
  }],
  ["tftp://[::1]:69/x", { hostname: "::1", port: 69, path: "x", mode: "octet" }],
  ["tftp://[::1]/x", { hostname: "::1", port: 69, path: "x", mode: "octet" }],
  ["tftp://[2001:db8::1]:1/x", { hostname: "2001:db8::1", port: 1, path: "x", mode: "octet" }],
  ["tftp://[::ffff:192.0.2.1]/x", {
    hostname: "::ffff:192.0.2.1",
    port: 69,
    path: "x",
    mode: "octet",
  }],
  ["tftp://[1:2:3:4:5:6:7:8]/x", {
    hostname: "1:2:3:4:5:6:7:8",
    port: 69,
    path: "x",
    mode: "octet",
  }],
  ["tftp://[fe80::1%25eth0]/x", { hostname: "fe80::1%eth0", port: 69, path: "x", mode: "octet" }],
  ["tftp://10.0.0.1:65535/x", { hostname: "10.0.0.1", port: 65535, path: "x", mode: "octet" }],
  ["tftp://h/my%20file%2Ebin", { hostname: "h", port: 69, path: "my file.bin", mode: "octet" }],
  ["tftp://h/caf%C3%A9", { hostname: "h", port: 69, path: "café", mode: "octet" }],
  ["tftp://h//abs/path", { hostname: "h", port: 69, path: "/abs/path", mode: "octet" }],
  ["tftp://h/f;MODE=NetAscii", { hostname: "h", port: 69, path: "f", mode: "netascii" }],
  ["tftp://h/f;mode=OCTET", { hostname: "h", port: 69, path: "f", mode: "octet" }],
  ["tftp://h/a%3Bb", { hostname: "h", port: 69, path: "a;b", mode: "octet" }],
  ["tftp://my_host.example./a:b@c", {
    hostname: "my_host.example.",
    port: 69,
    path: "a:b@c",
    mode: "octet",
  }],
];

for (const [text, expected] of VALID) {
  Deno.test(`parseTftpUrl accepts ${text}`, () => {
    assert.deepEqual(parseTftpUrl(text), expected);
  });
}

const INVALID: [string, string][] = [
  ["http://h/f", `Invalid TFTP URL "http://h/f": it must start with "tftp://"`],
  ["tftp:h/f", `Invalid TFTP URL "tftp:h/f": it must start with "tftp://"`],
  ["tftp://h", `Invalid TFTP URL "tftp://h": there is no "/" and file name after the host`],
  ["tftp://h/", `Invalid TFTP URL "tftp://h/": the file name is empty`],
  ["tftp://h/;mode=octet", `Invalid TFTP URL "tftp://h/;mode=octet": the file name is empty`],
  [
    "tftp://h/dir/",
    `Invalid TFTP URL "tftp://h/dir/": the file name is empty after the last "/" in "dir/"`,
  ],
  ["tftp://h/f;mode=mail", `Invalid TFTP URL "tftp://h/f;mode=mail": mail mode is not supported`],
  ["tftp://h/f;mode=MAIL", `Invalid TFTP URL "tftp://h/f;mode=MAIL": mail mode is not supported`],
  [
    "tftp://h/f;mode=binary",
    `Invalid TFTP URL "tftp://h/f;mode=binary": unknown mode "binary", expected octet or netascii`,
  ],
  ["tftp://h/f;type=i", `Invalid TFTP URL "tftp://h/f;type=i": unknown parameter "type=i"`],
  [
    "tftp://h/f;mode=octet;mode=octet",
    `Invalid TFTP URL "tftp://h/f;mode=octet;mode=octet": only one ;mode= parameter is allowed`,
  ],
  ["tftp://h:0/f", `Invalid TFTP URL "tftp://h:0/f": port must be between 1 and 65535, got 0`],
  [
    "tftp://h:65536/f",
    `Invalid TFTP URL "tftp://h:65536/f": port must be between 1 and 65535, got 65536`,
  ],
  [
    "tftp://h:/f",
    `Invalid TFTP URL "tftp://h:/f": port must be a number between 1 and 65535, got ""`,
  ],
  [
    "tftp://h:x1/f",
    `Invalid TFTP URL "tftp://h:x1/f": port must be a number between 1 and 65535, got "x1"`,
  ],
  ["tftp://user@h/f", `Invalid TFTP URL "tftp://user@h/f": user information is not allowed`],
  ["tftp://h/f?x=1", `Invalid TFTP URL "tftp://h/f?x=1": a query is not allowed`],
  ["tftp://h/f#top", `Invalid TFTP URL "tftp://h/f#top": a fragment is not allowed`],
  ["tftp://h/a%00b", `Invalid TFTP URL "tftp://h/a%00b": the file name contains a NUL character`],
  ["tftp://h/a%zz", `Invalid TFTP URL "tftp://h/a%zz": a % is not followed by two hex digits`],
  ["tftp://h/a%C3", `Invalid TFTP URL "tftp://h/a%C3": percent-escapes are not valid UTF-8`],
  ["tftp://h/a b", `Invalid TFTP URL "tftp://h/a b": " " must be percent-encoded`],
  ["tftp://h/caf\u00e9", `Invalid TFTP URL "tftp://h/café": "é" must be percent-encoded`],
  [
    "tftp://h/\u{1f600}",
    `Invalid TFTP URL "tftp://h/\u{1f600}": "\u{1f600}" must be percent-encoded`,
  ],
  ["tftp:///f", `Invalid TFTP URL "tftp:///f": the host is empty`],
  ["tftp://::1/f", `Invalid TFTP URL "tftp://::1/f": an IPv6 address must be in square brackets`],
  ["tftp://[::1/f", `Invalid TFTP URL "tftp://[::1/f": "[" of the IPv6 address has no "]"`],
  [
    "tftp://[1::2::3]/f",
    `Invalid TFTP URL "tftp://[1::2::3]/f": "1::2::3" is not a valid IPv6 address`,
  ],
  [
    "tftp://[1:2:3:4:5:6:7]/f",
    `Invalid TFTP URL "tftp://[1:2:3:4:5:6:7]/f": "1:2:3:4:5:6:7" is not a valid IPv6 address`,
  ],
  [
    "tftp://[::12345]/f",
    `Invalid TFTP URL "tftp://[::12345]/f": "::12345" is not a valid IPv6 address`,
  ],
  [
    "tftp://[::1.2.3.4:1]/f",
    `Invalid TFTP URL "tftp://[::1.2.3.4:1]/f": "::1.2.3.4:1" is not a valid IPv6 address`,
  ],
  [
    "tftp://[127.0.0.1]/f",
    `Invalid TFTP URL "tftp://[127.0.0.1]/f": "127.0.0.1" in brackets is not an IPv6 address`,
  ],
  ["tftp://[::1]x/f", `Invalid TFTP URL "tftp://[::1]x/f": unexpected "x" after the IPv6 address`],
  [
    "tftp://[fe80::1%eth0]/f",
    `Invalid TFTP URL "tftp://[fe80::1%eth0]/f": the IPv6 zone must be written as "%25zone"`,
  ],
  [
    "tftp://256.1.1.1/f",
    `Invalid TFTP URL "tftp://256.1.1.1/f": "256.1.1.1" is not a valid IPv4 address`,
  ],
  ["tftp://1.2.3/f", `Invalid TFTP URL "tftp://1.2.3/f": "1.2.3" is not a valid IPv4 address`],
  [
    "tftp://-bad.example/f",
    `Invalid TFTP URL "tftp://-bad.example/f": "-bad.example" is not a valid host name`,
  ],
  ["tftp://a..b/f", `Invalid TFTP URL "tftp://a..b/f": "a..b" is not a valid host name`],
];

for (const [text, message] of INVALID) {
  Deno.test(`parseTftpUrl rejects ${JSON.stringify(text)}`, () => {
    assert.throws(() => parseTftpUrl(text), { name: "TypeError", message });
  });
}

Deno.test("parseTftpUrl rejects a value that is not a string", () => {
  assert.throws(() => parseTftpUrl(42 as unknown as string), {
    name: "TypeError",
    message: "TFTP URL must be a string, got number",
  });
});

Deno.test("formatTftpUrl writes the canonical form", () => {
  assert.equal(
    formatTftpUrl({ hostname: "example.com", port: 69, path: "boot.bin", mode: "octet" }),
    "tftp://example.com/boot.bin",
  );
  assert.equal(
    formatTftpUrl({ hostname: "::1", port: 6969, path: "dir/a b", mode: "netascii" }),
    "tftp://[::1]:6969/dir/a%20b;mode=netascii",
  );
  assert.equal(
    formatTftpUrl({ hostname: "fe80::1%eth0", port: 69, path: "x;y?z#w%", mode: "octet" }),
    "tftp://[fe80::1%25eth0]/x%3By%3Fz%23w%25",
  );
  assert.equal(
    formatTftpUrl({ hostname: "h", port: 69, path: "/abs/caf\u00e9", mode: "octet" }),
    "tftp://h//abs/caf%C3%A9",
  );
});

Deno.test("formatTftpUrl rejects values that have no URI", () => {
  const base: TftpUrl = { hostname: "h", port: 69, path: "f", mode: "octet" };
  assert.throws(() => formatTftpUrl({ ...base, port: 0 }), {
    name: "RangeError",
    message: "Cannot format TFTP URL: port must be an integer between 1 and 65535, got 0",
  });
  assert.throws(() => formatTftpUrl({ ...base, port: 69.5 }), { name: "RangeError" });
  assert.throws(() => formatTftpUrl({ ...base, hostname: "[::1]" }), {
    name: "TypeError",
    message:
      `Cannot format TFTP URL: hostname "[::1]" is invalid: give IPv6 addresses without brackets`,
  });
  assert.throws(() => formatTftpUrl({ ...base, hostname: "a b" }), {
    name: "TypeError",
    message: `Cannot format TFTP URL: hostname "a b" is invalid: "a b" is not a valid host name`,
  });
  assert.throws(() => formatTftpUrl({ ...base, path: "" }), {
    name: "TypeError",
    message: `Cannot format TFTP URL: path "" is invalid: the file name is empty`,
  });
  assert.throws(() => formatTftpUrl({ ...base, path: "a\0b" }), {
    name: "TypeError",
    message:
      `Cannot format TFTP URL: path "a\\u0000b" is invalid: the file name contains a NUL character`,
  });
  assert.throws(() => formatTftpUrl({ ...base, path: "\ud800" }), {
    name: "TypeError",
    message: `Cannot format TFTP URL: path "\\ud800" is not valid Unicode`,
  });
  assert.throws(() => formatTftpUrl({ ...base, mode: "mail" as "octet" }), {
    name: "TypeError",
    message: `Cannot format TFTP URL: mode must be "octet" or "netascii", got "mail"`,
  });
});

Deno.test("parseTftpUrl(formatTftpUrl(x)) returns x", () => {
  const samples: TftpUrl[] = [
    ...VALID.map(([, url]) => url),
    { hostname: "h", port: 69, path: "100% ; ? # [x] {y} \\ \u00fc \u{1f600}", mode: "netascii" },
    { hostname: "192.0.2.7", port: 1, path: "//a//b", mode: "octet" },
    { hostname: "2001:db8::", port: 65535, path: "=&$+,'()*!:@~", mode: "octet" },
  ];
  for (const url of samples) {
    assert.deepEqual(parseTftpUrl(formatTftpUrl(url)), url);
  }
});

Deno.test("formatTftpUrl(parseTftpUrl(s)) returns canonical URIs unchanged", () => {
  for (
    const text of [
      "tftp://example.com/boot.bin",
      "tftp://[::1]:6969/dir/a%20b;mode=netascii",
      "tftp://10.0.0.1:65535//srv/x",
    ]
  ) {
    assert.equal(formatTftpUrl(parseTftpUrl(text)), text);
  }
});
