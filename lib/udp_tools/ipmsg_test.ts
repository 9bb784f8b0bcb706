import assert from "node:assert/strict";
import { Prng } from "../sim/prng.ts";
import {
  decodeIpmsg,
  encodeIpmsg,
  IPMSG_COMMAND,
  IPMSG_MODE_MASK,
  IPMSG_PORT,
  type IpmsgMessage,
  IpmsgSyntaxError,
} from "./ipmsg.ts";

const ascii = (text: string) => new TextEncoder().encode(text);
const NIHAO_GBK = [0xc4, 0xe3, 0xba, 0xc3];

const HELLO: IpmsgMessage = {
  packetNo: 1700000000,
  user: "tftpkit",
  host: "tftpkit",
  command: IPMSG_COMMAND.SENDMSG,
  text: "你好 at 10:30",
};

Deno.test("ipmsg: constants from ipmsg.h", () => {
  assert.equal(IPMSG_PORT, 2425);
  assert.equal(IPMSG_COMMAND.SENDMSG, 32);
  assert.equal(IPMSG_COMMAND.RECVMSG, 33);
  assert.equal(IPMSG_COMMAND.BR_ENTRY, 1);
  assert.equal(IPMSG_COMMAND.UTF8OPT, 0x800000);
  assert.equal((IPMSG_COMMAND.SENDMSG | IPMSG_COMMAND.SENDCHECKOPT) & IPMSG_MODE_MASK, 32);
});

Deno.test("ipmsg: encodes gbk by default, exact bytes, ':' in the text kept", () => {
  assert.deepEqual(
    encodeIpmsg(HELLO),
    new Uint8Array([
      ...ascii("1:1700000000:tftpkit:tftpkit:32:"),
      ...NIHAO_GBK,
      ...ascii(" at 10:30"),
    ]),
  );
});

Deno.test("ipmsg: extension after a NUL, Chinese user and host, version given", () => {
  const bytes = encodeIpmsg({
    version: "1_lbt6_0#128#000C29D68D8F#0#0#0#4001#9",
    packetNo: 5,
    user: "你",
    host: "好",
    command: 0x120,
    text: "",
    extension: "group",
  });
  assert.deepEqual(
    bytes,
    new Uint8Array([
      ...ascii("1_lbt6_0#128#000C29D68D8F#0#0#0#4001#9:5:"),
      0xc4,
      0xe3,
      0x3a,
      0xba,
      0xc3,
      ...ascii(":288:\0group"),
    ]),
  );
  assert.deepEqual(decodeIpmsg(bytes), {
    version: "1_lbt6_0#128#000C29D68D8F#0#0#0#4001#9",
    packetNo: 5,
    user: "你",
    host: "好",
    command: 0x120,
    text: "",
    extension: "group",
  });
});

Deno.test("ipmsg: UTF8OPT means utf-8 unless an encoding is given; gb18030 four-byte", () => {
  const command = IPMSG_COMMAND.SENDMSG | IPMSG_COMMAND.UTF8OPT;
  const message = { ...HELLO, packetNo: 1, command, text: "你" };
  const utf8 = encodeIpmsg(message);
  assert.deepEqual(
    utf8,
    new Uint8Array([...ascii("1:1:tftpkit:tftpkit:8388640:"), 0xe4, 0xbd, 0xa0]),
  );
  assert.equal(decodeIpmsg(utf8).text, "你");
  const gb18030 = encodeIpmsg({ ...HELLO, packetNo: 2, text: "😀" }, { encoding: "gb18030" });
  assert.deepEqual(
    gb18030,
    new Uint8Array([...ascii("1:2:tftpkit:tftpkit:32:"), 0x94, 0x39, 0xfc, 0x36]),
  );
  assert.equal(decodeIpmsg(gb18030, { encoding: "gb18030" }).text, "😀");
});

Deno.test("ipmsg: characters gbk cannot write: '?' or, with fatal, TextEncodingError", () => {
  const message = { ...HELLO, packetNo: 3, text: "a😀" };
  assert.deepEqual(encodeIpmsg(message), ascii("1:3:tftpkit:tftpkit:32:a?"));
  assert.throws(() => encodeIpmsg(message, { fatal: true }), { name: "TextEncodingError" });
});

Deno.test("ipmsg: decode round-trips encode", () => {
  for (const message of [HELLO, { ...HELLO, text: "", extension: "" }, { ...HELLO, user: "" }]) {
    assert.deepEqual(decodeIpmsg(encodeIpmsg(message)), { version: "1", ...message });
  }
});

Deno.test("ipmsg: decode without and with NUL after the text", () => {
  assert.deepEqual(decodeIpmsg(new Uint8Array([...ascii("1:9:u:h:32:"), ...NIHAO_GBK])), {
    version: "1",
    packetNo: 9,
    user: "u",
    host: "h",
    command: 32,
    text: "你好",
  });
  const withNul = decodeIpmsg(ascii("1:9:u:h:32:a:b\0\0x"));
  assert.equal(withNul.text, "a:b");
  assert.equal(withNul.extension, "\0x");
  assert.equal(decodeIpmsg(new Uint8Array([...ascii("1:9:u:h:32:"), 0xc4])).text, "\uFFFD");
  assert.throws(
    () => decodeIpmsg(new Uint8Array([...ascii("1:9:u:h:32:"), 0xc4]), { fatal: true }),
    { name: "TextEncodingError", message: "Bytes are not valid gbk" },
  );
});

Deno.test("ipmsg: encode refuses fields that would break the format", () => {
  const cases: [Partial<IpmsgMessage>, new (message: string) => Error, string][] = [
    [{ user: "a:b" }, TypeError, 'user must not contain ":" or NUL, got "a:b"'],
    [{ host: "h\0" }, TypeError, 'host must not contain ":" or NUL, got "h\\u0000"'],
    [{ version: "" }, TypeError, "version must not be empty"],
    [{ version: "1:2" }, TypeError, 'version must not contain ":" or NUL, got "1:2"'],
    [{ text: "a\0b" }, TypeError, "text must not contain NUL"],
    [
      { packetNo: -1 },
      RangeError,
      "packetNo must be a whole number from 0 to 9007199254740991, got -1",
    ],
    [
      { packetNo: 1.5 },
      RangeError,
      "packetNo must be a whole number from 0 to 9007199254740991, got 1.5",
    ],
    [
      { packetNo: 2 ** 53 },
      RangeError,
      "packetNo must be a whole number from 0 to 9007199254740991, got 9007199254740992",
    ],
    [
      { command: 2 ** 32 },
      RangeError,
      "command must be a whole number from 0 to 4294967295, got 4294967296",
    ],
  ];
  for (const [change, type, message] of cases) {
    assert.throws(() => encodeIpmsg({ ...HELLO, ...change }), (error: Error) => {
      assert.ok(error instanceof type, `${error.name} for ${JSON.stringify(change)}`);
      assert.equal(error.message, message);
      return true;
    });
  }
});

Deno.test("ipmsg: decode refuses malformed packets with clear errors", () => {
  const cases: [string, new (message: string) => Error, string][] = [
    ["", IpmsgSyntaxError, 'IPMSG packet must have 6 fields separated by ":", got 1'],
    ["1:2:u:h:32", IpmsgSyntaxError, 'IPMSG packet must have 6 fields separated by ":", got 5'],
    [":2:u:h:32:x", IpmsgSyntaxError, "IPMSG version must not be empty"],
    ["1::u:h:32:x", IpmsgSyntaxError, 'IPMSG packetNo must be decimal digits, got ""'],
    ["1:-2:u:h:32:x", IpmsgSyntaxError, 'IPMSG packetNo must be decimal digits, got "-2"'],
    ["1:2:u:h:0x20:x", IpmsgSyntaxError, 'IPMSG command must be decimal digits, got "0x20"'],
    [
      "1:9007199254740992:u:h:32:x",
      RangeError,
      "IPMSG packetNo must be at most 9007199254740991, got 9007199254740992",
    ],
    [
      "1:2:u:h:4294967296:x",
      RangeError,
      "IPMSG command must be at most 4294967295, got 4294967296",
    ],
  ];
  for (const [text, type, message] of cases) {
    assert.throws(() => decodeIpmsg(ascii(text)), (error: Error) => {
      assert.ok(error instanceof type, `${error.name} for ${JSON.stringify(text)}`);
      assert.equal(error.message, message);
      return true;
    });
  }
  assert.ok(new IpmsgSyntaxError("x") instanceof TypeError);
});

Deno.test("ipmsg: random and mutated bytes either decode and re-encode, or raise a typed error", () => {
  const prng = new Prng(0x2425);
  const base = encodeIpmsg(HELLO);
  let decoded = 0;
  for (let i = 0; i < 2000; i++) {
    let bytes: Uint8Array;
    if (i % 2 === 0) {
      bytes = base.slice();
      for (let k = 0; k <= prng.int(4); k++) {
        bytes[prng.int(bytes.length)] = prng.chance(0.5) ? 0x3a : prng.int(256);
      }
    } else {
      bytes = prng.bytes(prng.int(40));
    }
    try {
      const message = decodeIpmsg(bytes, { fatal: true });
      decoded++;
      const again = encodeIpmsg(message, { fatal: true });
      assert.deepEqual(decodeIpmsg(again, { fatal: true }), message, `case ${i}`);
      // Equal bytes unless a number had leading zeros.
      if (again.length === bytes.length) assert.deepEqual(again, bytes, `case ${i}`);
    } catch (error) {
      const name = (error as Error).name;
      assert.ok(
        ["IpmsgSyntaxError", "RangeError", "TextEncodingError"].includes(name),
        `case ${i}: ${name}`,
      );
    }
  }
  assert.ok(decoded > 100, `only ${decoded} decoded`);
});
