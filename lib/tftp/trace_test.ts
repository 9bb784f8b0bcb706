import assert from "node:assert/strict";
import { formatTrace } from "./trace.ts";
import { concatBytes } from "../bytes.ts";

const V4 = { hostname: "127.0.0.1", port: 40123 };
const V6 = { hostname: "::1", port: 40123 };

/** Builds a datagram: numbers are 16-bit big-endian, strings are UTF-8 plus NUL. */
function datagram(...parts: (number | string | Uint8Array)[]): Uint8Array {
  const chunks = parts.map((part) =>
    typeof part === "number"
      ? new Uint8Array([part >> 8, part & 0xff])
      : typeof part === "string"
      ? new TextEncoder().encode(`${part}\0`)
      : part
  );
  return concatBytes(chunks);
}

Deno.test("formatTrace describes requests with options and size", () => {
  const rrq = datagram(1, "boot.bin", "octet", "blksize", "1468", "tsize", "0");
  assert.equal(
    formatTrace("send", { hostname: "127.0.0.1", port: 69 }, rrq),
    `-> 127.0.0.1:69     RRQ  "boot.bin" octet blksize=1468 tsize=0  (38 B)`,
  );
  const wrq = datagram(2, "up/load.txt", "NetASCII");
  assert.equal(
    formatTrace("recv", V4, wrq),
    `<- 127.0.0.1:40123  WRQ  "up/load.txt" NetASCII  (23 B)`,
  );
});

Deno.test("formatTrace describes DATA, ACK, OACK and ERROR", () => {
  assert.equal(
    formatTrace("recv", V4, datagram(3, 1, new Uint8Array(1468))),
    "<- 127.0.0.1:40123  DATA block=1 len=1468",
  );
  assert.equal(
    formatTrace("send", V4, datagram(3, 65535)),
    "-> 127.0.0.1:40123  DATA block=65535 len=0",
  );
  assert.equal(formatTrace("send", V6, datagram(4, 1)), "-> [::1]:40123      ACK  block=1");
  assert.equal(
    formatTrace("recv", V4, datagram(6, "blksize", "1468", "tsize", "1048576")),
    "<- 127.0.0.1:40123  OACK blksize=1468 tsize=1048576",
  );
  // An OACK with no options is malformed (RFC 2347).
  assert.equal(
    formatTrace("recv", V4, new Uint8Array([0, 6, 0, 0])),
    "<- 127.0.0.1:40123  MALFORMED (4 B): OACK carries no options",
  );
  assert.equal(
    formatTrace("recv", V4, datagram(5, 1, "File not found")),
    `<- 127.0.0.1:40123  ERROR code=1 "File not found"`,
  );
  assert.equal(formatTrace("recv", V4, datagram(5, 0, "")), `<- 127.0.0.1:40123  ERROR code=0 ""`);
});

Deno.test("formatTrace reports bytes that do not decode", () => {
  assert.equal(
    formatTrace("recv", V4, new Uint8Array([0, 4, 0])),
    "<- 127.0.0.1:40123  MALFORMED (3 B): Datagram of 3 bytes is too short for TFTP",
  );
  assert.equal(
    formatTrace("recv", V4, datagram(9, 0)),
    "<- 127.0.0.1:40123  MALFORMED (4 B): Unknown opcode 9",
  );
  // A padded ACK is an ACK: the padding is ignored.
  assert.equal(formatTrace("recv", V4, datagram(4, 1, 2)), "<- 127.0.0.1:40123  ACK  block=1");
});

Deno.test("formatTrace quotes hostile strings so they stay on one harmless line", () => {
  const rrq = datagram(1, 'a"b\n\x1b[2J', "oc tet", "x=y", "\u009b31m", "\u202eevil", "ok");
  assert.equal(
    formatTrace("recv", V4, rrq),
    String
      .raw`<- 127.0.0.1:40123  RRQ  "a\"b\n\u001b[2J" "oc tet" "x=y"="\u009b31m" "\u202eevil"=ok  (39 B)`,
  );
  assert.equal(
    formatTrace("recv", V4, datagram(5, 2, "no\r\u0085\x7f")),
    String.raw`<- 127.0.0.1:40123  ERROR code=2 "no\r\u0085\u007f"`,
  );
  const badOption = datagram(6, "\u009b");
  assert.equal(
    formatTrace("recv", V4, badOption),
    String.raw`<- 127.0.0.1:40123  MALFORMED (5 B): OACK option "\u009b" has no value`,
  );
});

Deno.test("formatTrace keeps long peers readable and checks the direction", () => {
  const peer = { hostname: "2001:db8::1234:5678", port: 65535 };
  assert.equal(
    formatTrace("send", peer, datagram(4, 7)),
    "-> [2001:db8::1234:5678]:65535  ACK  block=7",
  );
  assert.throws(() => formatTrace("out" as "send", V4, datagram(4, 7)), {
    name: "TypeError",
    message: `Direction must be "send" or "recv", got "out"`,
  });
});
