import assert from "node:assert/strict";
import {
  decodeText,
  encodeText,
  parseTextEncoding,
  TEXT_ENCODINGS,
  TextEncodingError,
} from "./encoding.ts";
import { Prng } from "../sim/prng.ts";

const hex = (bytes: Uint8Array) =>
  Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join(" ");
const platform = (bytes: number[], encoding = "gb18030") =>
  new TextDecoder(encoding, { ignoreBOM: true }).decode(new Uint8Array(bytes));

/** The 18 private-use code points written with their GB18030-2005 codes, which now decode to
 *  other characters (Encoding Standard gb18030 encoder, step 5). */
const PUA_2005 = [
  0xe78d,
  0xe78e,
  0xe78f,
  0xe790,
  0xe791,
  0xe792,
  0xe793,
  0xe794,
  0xe795,
  0xe796,
  0xe81e,
  0xe826,
  0xe82b,
  0xe82c,
  0xe832,
  0xe843,
  0xe854,
  0xe864,
];

/** Every two-byte code in pointer order, decoded one call at a time (independent of the
 *  bulk decoding the encoder uses). */
function twoByteCodes(): { bytes: number[]; text: string }[] {
  const decoder = new TextDecoder("gb18030", { fatal: true });
  const codes = [];
  for (let lead = 0x81; lead <= 0xfe; lead++) {
    for (let trail = 0x40; trail <= 0xfe; trail++) {
      if (trail === 0x7f) continue;
      codes.push({ bytes: [lead, trail], text: decoder.decode(new Uint8Array([lead, trail])) });
    }
  }
  return codes;
}

Deno.test("parseTextEncoding reads labels in any case", () => {
  assert.deepEqual(TEXT_ENCODINGS, ["utf-8", "gbk", "gb18030"]);
  const cases: [string, string][] = [
    ["utf-8", "utf-8"],
    ["UTF8", "utf-8"],
    [" gbk ", "gbk"],
    ["GBK", "gbk"],
    ["x-gbk", "gbk"],
    ["CP936", "gbk"],
    ["ms936", "gbk"],
    ["windows-936", "gbk"],
    ["GB2312", "gbk"],
    ["gb_2312", "gbk"],
    ["csgb2312", "gbk"],
    ["gb18030", "gb18030"],
    ["GB18030", "gb18030"],
    ["cp54936", "gb18030"],
    ["windows-54936", "gb18030"],
  ];
  for (const [label, name] of cases) assert.equal(parseTextEncoding(label), name, label);
  for (const label of ["", "big5", "utf-16", "gb 18030", "latin1"]) {
    assert.throws(() => parseTextEncoding(label), {
      name: "RangeError",
      message: `encoding must be one of utf-8, gbk, gb18030, got ${JSON.stringify(label)}`,
    });
  }
});

Deno.test("encodeText writes known GBK and GB18030 vectors", () => {
  const vectors: [string, string, string][] = [
    ["你好", "gbk", "c4 e3 ba c3"],
    ["你好", "gb18030", "c4 e3 ba c3"],
    ["中文", "gbk", "d6 d0 ce c4"],
    ["a 中b", "gb18030", "61 20 d6 d0 62"],
    ["€", "gbk", "80"],
    ["€", "gb18030", "a2 e3"],
    ["\u0080", "gb18030", "81 30 81 30"],
    ["😀", "gb18030", "94 39 fc 36"],
    ["\u{10000}", "gb18030", "90 30 81 30"],
    ["\u{10FFFF}", "gb18030", "e3 32 9a 35"],
    ["\uFFFD", "gb18030", "84 31 a4 37"],
    ["\uFFFF", "gb18030", "84 31 a4 39"],
    // Two codes decode to U+3000; the first pointer wins.
    ["\u3000", "gbk", "a1 a1"],
    // Encoding Standard test vectors (web-platform-tests gb18030-encoder).
    ["\u4E02", "gb18030", "81 40"],
    ["\uE4C6", "gb18030", "a1 40"],
    ["\uE4C5", "gb18030", "fe fe"],
    ["💩", "gb18030", "94 39 da 33"],
    ["\uE7C7", "gb18030", "81 35 f4 37"],
    ["\uE7C8", "gb18030", "83 36 c8 30"],
    ["\u2026", "gb18030", "a1 ad"],
    ["\uFF5E", "gb18030", "a1 ab"],
    // GB18030-2022: the two-byte code wins over the four-byte one.
    ["\uFE10\uFE12\uFE11", "gb18030", "a6 d9 a6 da a6 db"],
    ["\uFE10", "gbk", "a6 d9"],
    ["\u9FB4", "gb18030", "fe 59"],
    // ...and the private-use characters keep their GB18030-2005 codes.
    ["\uE78D\uE78E\uE796\uE81E\uE864", "gb18030", "a6 d9 a6 da a6 f3 fe 59 fe a0"],
    ["\uE78D", "gbk", "a6 d9"],
    ["héllo", "utf-8", "68 c3 a9 6c 6c 6f"],
  ];
  for (const [text, encoding, bytes] of vectors) {
    const name = parseTextEncoding(encoding);
    assert.equal(hex(encodeText(text, name)), bytes, `${JSON.stringify(text)} in ${encoding}`);
  }
  // The four-byte results agree with the platform decoder.
  assert.equal(platform([0x94, 0x39, 0xfc, 0x36]), "😀");
  assert.equal(platform([0x81, 0x30, 0x81, 0x30]), "\u0080");
  assert.equal(platform([0xc4, 0xe3, 0xba, 0xc3], "gbk"), "你好");
  assert.equal(platform([0x80], "gbk"), "€");
  assert.equal(platform([0xa6, 0xd9]), "\uFE10");
  assert.equal(platform([0x84, 0x31, 0x82, 0x36]), "\uFE10");
});

Deno.test("every two-byte code round-trips in gbk and gb18030", () => {
  let codes = 0;
  for (const { bytes, text } of twoByteCodes()) {
    // 0xA3 0xA0 decodes to U+3000 too, which is written as 0xA1 0xA1; gbk writes € as 0x80.
    const own = hex(new Uint8Array(bytes));
    const expected = own === "a3 a0" ? "a1 a1" : own;
    for (const encoding of ["gbk", "gb18030"] as const) {
      const written = hex(encodeText(text, encoding, { fatal: true }));
      assert.equal(written, encoding === "gbk" && own === "a2 e3" ? "80" : expected, own);
      assert.equal(decodeText(new Uint8Array(bytes), encoding, { fatal: true }), text);
    }
    codes++;
  }
  assert.equal(codes, 23940);
});

Deno.test("every BMP character round-trips in gb18030, except the documented ones", () => {
  const changed: number[] = [];
  let written = 0;
  for (let cp = 0x80; cp <= 0xffff; cp++) {
    if (cp >= 0xd800 && cp <= 0xdfff) continue;
    const text = String.fromCharCode(cp);
    if (cp === 0xe5e5) {
      assert.throws(() => encodeText(text, "gb18030", { fatal: true }), TextEncodingError);
      continue;
    }
    const bytes = encodeText(text, "gb18030", { fatal: true });
    assert.ok(bytes.length === 2 || bytes.length === 4, cp.toString(16));
    if (decodeText(bytes, "gb18030", { fatal: true }) !== text) changed.push(cp);
    written++;
  }
  assert.deepEqual(changed, PUA_2005);
  assert.equal(written, 0x10000 - 0x80 - 0x800 - 1);
});

Deno.test("gbk writes exactly the characters with a two-byte code, the euro and the PUA table", () => {
  const expected = new Set<number>(PUA_2005);
  for (const { text } of twoByteCodes()) expected.add(text.codePointAt(0)!);
  let written = 0;
  for (let cp = 0x80; cp <= 0xffff; cp++) {
    if (cp >= 0xd800 && cp <= 0xdfff) continue;
    const text = String.fromCharCode(cp);
    const bytes = encodeText(text, "gbk");
    if (!expected.has(cp)) {
      assert.equal(hex(bytes), "3f", cp.toString(16));
      continue;
    }
    written++;
    assert.equal(bytes.length, cp === 0x20ac ? 1 : 2, cp.toString(16));
    const back = decodeText(bytes, "gbk", { fatal: true });
    assert.equal(back === text, !PUA_2005.includes(cp), cp.toString(16));
  }
  assert.equal(written, 23939 + 18);
});

Deno.test("a seeded sample of BMP and astral text round-trips in every encoding", () => {
  for (const seed of [1, 2, 3]) {
    const prng = new Prng(seed);
    const codePoints: number[] = [];
    while (codePoints.length < 5000) {
      const cp = prng.chance(0.5) ? 0x10000 + prng.int(0x100000) : prng.int(0x10000);
      if ((cp >= 0xd800 && cp <= 0xdfff) || cp === 0xe5e5 || PUA_2005.includes(cp)) continue;
      codePoints.push(cp);
    }
    const text = String.fromCodePoint(...codePoints);
    for (const encoding of TEXT_ENCODINGS) {
      if (encoding === "gbk") continue;
      const bytes = encodeText(text, encoding, { fatal: true });
      assert.equal(decodeText(bytes, encoding, { fatal: true }), text, `seed ${seed} ${encoding}`);
    }
    // Astral characters are always four bytes in gb18030, and agree with the decoder one by one.
    for (const cp of codePoints.filter((cp) => cp > 0xffff).slice(0, 200)) {
      const bytes = encodeText(String.fromCodePoint(cp), "gb18030");
      assert.equal(bytes.length, 4);
      assert.equal(platform([...bytes]).codePointAt(0), cp, `seed ${seed} U+${cp.toString(16)}`);
    }
  }
});

Deno.test("unmappable characters become ? or throw with fatal", () => {
  assert.equal(hex(encodeText("a😀b", "gbk")), "61 3f 62");
  assert.equal(hex(encodeText("\uE5E5", "gb18030")), "3f");
  assert.equal(hex(encodeText("\u0080é", "gbk")), "3f a8 a6");
  assert.throws(() => encodeText("a😀b", "gbk", { fatal: true }), (err) => {
    assert.ok(err instanceof TextEncodingError);
    assert.equal(err.name, "TextEncodingError");
    assert.equal(err.message, 'Character "😀" (U+1F600) cannot be written in gbk');
    assert.equal(err.encoding, "gbk");
    assert.equal(err.codePoint, 0x1f600);
    return true;
  });
  assert.throws(() => encodeText("\uE5E5", "gb18030", { fatal: true }), {
    message: 'Character "\uE5E5" (U+E5E5) cannot be written in gb18030',
  });
});

Deno.test("lone surrogates are ? in gbk and gb18030 and U+FFFD in utf-8", () => {
  assert.equal(hex(encodeText("a\uD800b\uDC00", "gbk")), "61 3f 62 3f");
  assert.equal(hex(encodeText("\uDBFF\uD83D\uDE00", "gb18030")), "3f 94 39 fc 36");
  assert.equal(hex(encodeText("\uD800", "utf-8")), "ef bf bd");
  assert.equal(hex(encodeText("\uD800", "utf-8", { fatal: true })), "ef bf bd");
  assert.throws(() => encodeText("x\uDC00", "gb18030", { fatal: true }), {
    name: "TextEncodingError",
    message: 'Character "\\udc00" (U+DC00) cannot be written in gb18030',
  });
});

Deno.test("decodeText replaces or rejects malformed bytes and keeps a byte order mark", () => {
  const malformed = new Uint8Array([0x41, 0x81, 0x30, 0x42]);
  assert.equal(decodeText(malformed, "gb18030"), "A\uFFFD0B");
  assert.throws(() => decodeText(malformed, "gb18030", { fatal: true }), (err) => {
    assert.ok(err instanceof TextEncodingError);
    assert.equal(err.message, "Bytes are not valid gb18030");
    assert.equal(err.encoding, "gb18030");
    assert.equal(err.codePoint, undefined);
    assert.ok(err.cause instanceof TypeError);
    return true;
  });
  assert.throws(() => decodeText(new Uint8Array([0xff]), "utf-8", { fatal: true }), {
    message: "Bytes are not valid utf-8",
  });
  assert.equal(decodeText(new Uint8Array([0xef, 0xbb, 0xbf, 0x41]), "utf-8"), "\uFEFFA");
  assert.equal(decodeText(encodeText("\uFEFFA", "utf-8"), "utf-8"), "\uFEFFA");
  assert.equal(decodeText(new Uint8Array([0x80]), "gbk"), "€");
  assert.equal(decodeText(new Uint8Array(), "gbk"), "");
});

Deno.test("unknown encoding names are refused", () => {
  const bad = "latin1" as "utf-8";
  const message = 'encoding must be one of utf-8, gbk, gb18030, got "latin1"';
  assert.throws(() => encodeText("a", bad), { name: "RangeError", message });
  assert.throws(() => decodeText(new Uint8Array([0x61]), bad), { name: "RangeError", message });
});
