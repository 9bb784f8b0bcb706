import assert from "node:assert/strict";
import {
  decodeRawName,
  encodeRequest,
  encodeResponseHeader,
  MAX_HEADER_BYTES,
  requestParser,
  responseParser,
} from "./frame.ts";
import { TcpFrameError } from "./errors.ts";

const bytes = (text: string) => new TextEncoder().encode(text);

Deno.test("encodeRequest writes GET, the UTF-8 name and a newline", () => {
  assert.deepEqual(encodeRequest("dir/é.bin"), bytes("GET dir/é.bin\n"));
  assert.deepEqual(
    encodeRequest("a"),
    new Uint8Array([0x47, 0x45, 0x54, 0x20, 0x61, 0x0a]),
  );
});

Deno.test("encodeRequest refuses names the protocol cannot carry", () => {
  assert.throws(() => encodeRequest(""), { name: "RangeError", message: "name must not be empty" });
  assert.throws(() => encodeRequest("a\nb"), {
    message: 'name must not contain NUL, CR or LF, got "a\\nb"',
  });
  assert.throws(() => encodeRequest("a\0"), RangeError);
  assert.throws(() => encodeRequest("a\r"), RangeError);
  assert.throws(() => encodeRequest("x".repeat(1025)), {
    message: "name must be at most 1024 bytes, got 1025",
  });
  assert.equal(encodeRequest("x".repeat(1024)).length, 1029);
});

Deno.test("encodeResponseHeader writes exact status lines", () => {
  assert.deepEqual(encodeResponseHeader({ status: "OK", size: 0 }), bytes("OK 0\n"));
  assert.deepEqual(
    encodeResponseHeader({ status: "OK", size: 2 ** 53 - 1 }),
    bytes("OK 9007199254740991\n"),
  );
  assert.deepEqual(
    encodeResponseHeader({ status: "DENIED", message: "Access violation: x" }),
    bytes("DENIED Access violation: x\n"),
  );
  assert.deepEqual(
    encodeResponseHeader({ status: "ERROR", message: "Bad" }),
    bytes("ERROR Bad\n"),
  );
  assert.throws(() => encodeResponseHeader({ status: "OK", size: -1 }), RangeError);
  assert.throws(() => encodeResponseHeader({ status: "OK", size: 1.5 }), RangeError);
  assert.throws(() => encodeResponseHeader({ status: "ERROR", message: "" }), RangeError);
  assert.throws(() => encodeResponseHeader({ status: "ERROR", message: "a\nb" }), RangeError);
  assert.throws(
    () => encodeResponseHeader({ status: "ERROR", message: "m".repeat(MAX_HEADER_BYTES) }),
    RangeError,
  );
});

Deno.test("requestParser takes the request one byte at a time", () => {
  const parser = requestParser();
  const wire = bytes("GET a/b.txt\n");
  for (let i = 0; i < wire.length - 1; i++) {
    assert.equal(parser.push(wire.subarray(i, i + 1)), undefined);
  }
  const parsed = parser.push(wire.subarray(wire.length - 1));
  assert.equal(parsed?.header, "a/b.txt");
  assert.equal(parsed?.rest.length, 0);
  assert.throws(() => parser.push(bytes("x")), /already returned/);
});

Deno.test("responseParser splits a merged header and body", () => {
  const parsed = responseParser().push(bytes("OK 5\nhello"));
  assert.deepEqual(parsed?.header, { status: "OK", size: 5 });
  assert.deepEqual(parsed?.rest, bytes("hello"));
  const split = responseParser();
  assert.equal(split.push(bytes("NOT_FO")), undefined);
  assert.equal(split.push(bytes("UND File ")), undefined);
  assert.deepEqual(split.push(bytes("not found\n"))?.header, {
    status: "NOT_FOUND",
    message: "File not found",
  });
  assert.deepEqual(responseParser().push(bytes("OK 0\n")), {
    header: { status: "OK", size: 0 },
    rest: new Uint8Array(),
  });
});

Deno.test("responseParser rejects garbage with TcpFrameError", () => {
  const bad = [
    "HTTP/1.1 200 OK\n",
    "OK\n",
    "OK \n",
    "OK -1\n",
    "OK 01\n",
    "OK 1e3\n",
    "OK 99999999999999999\n",
    "OK 5 \n",
    "ok 5\n",
    "DENIED\n",
    "ERROR \n",
    "ERROR a\rb\n",
  ];
  for (const line of bad) {
    assert.throws(() => responseParser().push(bytes(line)), TcpFrameError, line);
  }
  assert.throws(() => responseParser().push(new Uint8Array([0x4f, 0x4b, 0x20, 0xff, 0x0a])), {
    name: "TcpFrameError",
    message: "Response header is not valid UTF-8",
  });
});

Deno.test("requestParser rejects garbage and over-long lines", () => {
  for (const line of ["PUT a\n", "GET \n", "GET a\0b\n", "GET a\r\n", "get a\n"]) {
    assert.throws(() => requestParser().push(bytes(line)), TcpFrameError, line);
  }
  const parser = requestParser();
  assert.equal(parser.push(new Uint8Array(MAX_HEADER_BYTES).fill(0x41)), undefined);
  assert.throws(() => parser.push(bytes("A")), {
    name: "TcpFrameError",
    message: `Header line is longer than ${MAX_HEADER_BYTES} bytes`,
  });
  // The longest legal request fits.
  const longest = encodeRequest("n".repeat(1024));
  assert.equal(requestParser().push(longest)?.header, "n".repeat(1024));
});

Deno.test("decodeRawName trims one trailing newline and CR", () => {
  assert.equal(decodeRawName(bytes("boot.bin")), "boot.bin");
  assert.equal(decodeRawName(bytes("boot.bin\n")), "boot.bin");
  assert.equal(decodeRawName(bytes("boot.bin\r\nrest")), "boot.bin");
  assert.equal(decodeRawName(bytes("文件.txt")), "文件.txt");
  assert.throws(() => decodeRawName(bytes("\r\n")), TcpFrameError);
  assert.throws(() => decodeRawName(new Uint8Array([0xc3])), TcpFrameError);
});
