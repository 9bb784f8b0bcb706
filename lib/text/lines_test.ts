import assert from "node:assert/strict";
import { encodeLine, readLines, type ReadLinesOptions } from "./lines.ts";
import { encodeText, TEXT_ENCODINGS, type TextEncodingName } from "./encoding.ts";
import { Prng } from "../sim/prng.ts";

const utf8 = (text: string) => new TextEncoder().encode(text);

/** `bytes` cut at the given offsets (ascending). */
function split(bytes: Uint8Array, at: number[]): Uint8Array[] {
  const chunks = [];
  let start = 0;
  for (const end of [...at, bytes.length]) {
    chunks.push(bytes.slice(start, end));
    start = end;
  }
  return chunks;
}

function collect(chunks: Uint8Array[], options?: ReadLinesOptions): Promise<string[]> {
  return Array.fromAsync(readLines(ReadableStream.from(chunks), options));
}

/** What the whole-stream platform decoder makes of the lines. */
function reference(bytes: Uint8Array, encoding: TextEncodingName): string[] {
  const lines = new TextDecoder(encoding, { ignoreBOM: true }).decode(bytes).split("\n");
  const last = lines.pop()!;
  return [...lines.map((line) => line.endsWith("\r") ? line.slice(0, -1) : line), last]
    .filter((_, i, all) => i < all.length - 1 || last !== "");
}

Deno.test("readLines ends lines at LF and CRLF and keeps empty and final lines", async () => {
  const cases: [string, string[]][] = [
    ["", []],
    ["a", ["a"]],
    ["a\n", ["a"]],
    ["a\nb\r\nc", ["a", "b", "c"]],
    ["\n", [""]],
    ["\r\n", [""]],
    ["\n\n\r\n", ["", "", ""]],
    ["a\rb\n", ["a\rb"]],
    ["x\r", ["x\r"]],
    ["x\r\r\n", ["x\r"]],
    ["\uFEFFbom\n", ["\uFEFFbom"]],
  ];
  for (const [text, lines] of cases) {
    assert.deepEqual(await collect([utf8(text)]), lines, JSON.stringify(text));
    // One byte at a time gives the same lines.
    const bytes = utf8(text);
    assert.deepEqual(await collect(split(bytes, [...bytes.keys()].slice(1))), lines);
  }
});

Deno.test("readLines handles every split point of a GBK and a GB18030 sample", async () => {
  const text = "你好\r\n世界 ok€\n\n中文";
  const lines = ["你好", "世界 ok€", "", "中文"];
  for (const encoding of ["gbk", "gb18030"] as const) {
    const sample = encodeText(encoding === "gb18030" ? text + "😀\u0080" : text, encoding);
    const expected = encoding === "gb18030" ? [...lines.slice(0, 3), "中文😀\u0080"] : lines;
    assert.deepEqual(await collect([sample], { encoding }), expected);
    for (let i = 0; i <= sample.length; i++) {
      for (let j = i; j <= sample.length; j += 3) {
        const chunks = split(sample, [i, j]);
        assert.deepEqual(await collect(chunks, { encoding }), expected, `${encoding} ${i} ${j}`);
      }
    }
  }
});

Deno.test("readLines merges several lines from one chunk and empty chunks", async () => {
  const chunks = [utf8("one\ntwo\r\nthr"), new Uint8Array(), utf8("ee\n\nfour"), new Uint8Array()];
  assert.deepEqual(await collect(chunks), ["one", "two", "three", "", "four"]);
});

Deno.test("readLines cuts over-long lines between characters", async () => {
  const options = { maxLineBytes: 4 };
  assert.deepEqual(await collect([utf8("abcdef\nxy")], options), ["abcd", "ef", "xy"]);
  assert.deepEqual(await collect([utf8("abcd\nabcd\r\n")], options), ["abcd", "abcd"]);
  // "ab" + 3-byte "你" would be 5 bytes: the piece ends before "你".
  assert.deepEqual(await collect([utf8("ab你好\n")], options), ["ab", "你", "好"]);
  assert.deepEqual(await collect([utf8("😀😀a")], options), ["😀", "😀", "a"]);
  // A CR at the limit waits for the next chunk to tell whether it ends the line.
  assert.deepEqual(await collect([utf8("abcd\r"), utf8("\n")], options), ["abcd"]);
  assert.deepEqual(await collect([utf8("abcd\r"), utf8("e\n")], options), ["abcd", "\re"]);
  assert.deepEqual(await collect([utf8("abcd\r")], options), ["abcd", "\r"]);
  const gbk = encodeText("一二三四五\n", "gbk");
  for (let i = 0; i <= gbk.length; i++) {
    const pieces = await collect(split(gbk, [i]), { encoding: "gbk", maxLineBytes: 5 });
    assert.deepEqual(pieces, ["一二", "三四", "五"], `split at ${i}`);
  }
  const gb18030 = encodeText("a😀😀\n", "gb18030");
  const pieces = await collect([gb18030], { encoding: "gb18030", maxLineBytes: 7 });
  assert.deepEqual(pieces, ["a😀", "😀"]);
});

Deno.test("readLines cuts malformed bytes where the decoder ends each sequence", async () => {
  const a = [0x61, 0x61, 0x61];
  const cases: [TextEncodingName, number[], string[]][] = [
    // Lead and digit, then LF: the lead alone is malformed and "0" is read again.
    ["gb18030", [...a, 0x81, 0x30, 0x0a], ["aaa\uFFFD", "0"]],
    // ...but at the end of the stream both bytes are one malformed sequence.
    ["gb18030", [...a, 0x81, 0x30], ["aaa", "\uFFFD"]],
    ["gbk", [0x61, 0x61, 0x81, 0x30, 0x81, 0x0a], ["aa\uFFFD0", "\uFFFD"]],
    ["gbk", [...a, 0x81, 0x2f, 0x0a], ["aaa\uFFFD", "/"]],
    ["gbk", [...a, 0x81, 0xff, 0x0a], ["aaa", "\uFFFD"]],
    ["gb18030", [...a, 0x81, 0x30, 0x81, 0x41, 0x0a], ["aaa\uFFFD", "0\u4E04"]],
    ["gb18030", [0x61, 0x61, 0x81, 0x30, 0x81, 0x30, 0x0d, 0x0a], ["aa", "\u0080"]],
    ["utf-8", [...a, 0xe0, 0x80, 0x0a], ["aaa\uFFFD", "\uFFFD"]],
    ["utf-8", [...a, 0xed, 0xa0, 0x80, 0x0a], ["aaa\uFFFD", "\uFFFD\uFFFD"]],
    ["utf-8", [...a, 0xf4, 0x90, 0x80, 0x0a], ["aaa\uFFFD", "\uFFFD\uFFFD"]],
    ["utf-8", [...a, 0xe4, 0xb8, 0x0a], ["aaa", "\uFFFD"]],
    ["utf-8", [...a, 0xe4, 0xb8, 0x61, 0x0a], ["aaa", "\uFFFDa"]],
  ];
  for (const [encoding, list, expected] of cases) {
    const bytes = new Uint8Array(list);
    assert.equal(expected.join(""), reference(bytes, encoding).join(""));
    for (let i = 0; i <= bytes.length; i++) {
      const pieces = await collect(split(bytes, [i]), { encoding, maxLineBytes: 4 });
      assert.deepEqual(pieces, expected, `${encoding} ${list} split at ${i}`);
    }
  }
});

Deno.test("readLines delivers pieces of an endless line without waiting for its end", async () => {
  let pulls = 0;
  const stream = new ReadableStream<Uint8Array>({
    pull(controller) {
      pulls++;
      controller.enqueue(new Uint8Array(1000).fill(0x61));
    },
  });
  const pieces = [];
  for await (const piece of readLines(stream, { maxLineBytes: 4096 })) {
    pieces.push(piece);
    if (pieces.length === 3) break;
  }
  assert.deepEqual(pieces, ["a".repeat(4096), "a".repeat(4096), "a".repeat(4096)]);
  assert.ok(pulls <= 14, `pulled ${pulls} chunks`);
  assert.equal(stream.locked, false);
  await stream.cancel();
});

Deno.test("readLines matches the whole-stream decoder on random bytes in any chunking", async () => {
  for (const encoding of TEXT_ENCODINGS) {
    for (let seed = 1; seed <= 200; seed++) {
      const prng = new Prng(seed);
      // Mostly high bytes, digits, CR and LF, to hit multi-byte and malformed sequences.
      const alphabet = [0x0a, 0x0d, 0x30, 0x39, 0x41, 0x7f, 0x80, 0x81, 0xa0, 0xc3, 0xe4, 0xfe];
      const bytes = new Uint8Array(prng.int(60));
      for (let i = 0; i < bytes.length; i++) {
        bytes[i] = prng.chance(0.5) ? alphabet[prng.int(alphabet.length)] : prng.int(256);
      }
      const cuts = [...bytes.keys()].filter(() => prng.chance(0.3)).sort((a, b) => a - b);
      const expected = reference(bytes, encoding);
      const where = `${encoding} seed ${seed}`;
      assert.deepEqual(await collect(split(bytes, cuts), { encoding }), expected, where);
      // Small pieces: the same pieces whatever the chunking, and together the same text.
      const maxLineBytes = 4 + prng.int(6);
      const whole = await collect([bytes], { encoding, maxLineBytes });
      assert.deepEqual(await collect(split(bytes, cuts), { encoding, maxLineBytes }), whole, where);
      assert.equal(whole.join(""), expected.join(""), where);
    }
  }
});

Deno.test("readLines pieces of valid text fit maxLineBytes and never split a character", async () => {
  for (const encoding of TEXT_ENCODINGS) {
    for (let seed = 1; seed <= 20; seed++) {
      const prng = new Prng(seed);
      const pool = ["a", "\r", "\n", "é", "中", "€", "😀", "\u0080", "\uFFFD"];
      let text = "";
      while (text.length < 80) text += pool[prng.int(encoding === "gbk" ? 6 : pool.length)];
      const bytes = encodeText(text, encoding, { fatal: true });
      const maxLineBytes = 4 + prng.int(5);
      const cuts = [...bytes.keys()].filter(() => prng.chance(0.2));
      const pieces = await collect(split(bytes, cuts), { encoding, maxLineBytes });
      for (const piece of pieces) {
        assert.ok(!piece.includes("\n"), piece);
        const size = encodeText(piece, encoding, { fatal: true }).length;
        assert.ok(size <= maxLineBytes, `${encoding} seed ${seed}: ${size} > ${maxLineBytes}`);
      }
      // A split character would show up as U+FFFD here.
      assert.equal(pieces.join(""), reference(bytes, encoding).join(""), `seed ${seed}`);
    }
  }
});

Deno.test("readLines releases the reader when the consumer stops early", async () => {
  const stream = ReadableStream.from([utf8("a\nb\n"), utf8("c\n")]);
  for await (const line of readLines(stream)) {
    assert.equal(line, "a");
    break;
  }
  assert.equal(stream.locked, false);
  // The rest of the first chunk was read and is dropped; the stream still holds the rest.
  const reader = stream.getReader();
  assert.deepEqual(await reader.read(), { done: false, value: utf8("c\n") });
  assert.deepEqual(await reader.read(), { done: true, value: undefined });
});

Deno.test("readLines passes a stream error on and releases the reader", async () => {
  let sent = false;
  const stream = new ReadableStream<Uint8Array>({
    pull(controller) {
      if (sent) controller.error(new Error("Connection reset"));
      else controller.enqueue(utf8("a\nb"));
      sent = true;
    },
  });
  const seen: string[] = [];
  await assert.rejects(async () => {
    for await (const line of readLines(stream)) seen.push(line);
  }, { message: "Connection reset" });
  assert.deepEqual(seen, ["a"]);
  assert.equal(stream.locked, false);
});

Deno.test("readLines refuses bad options at once, before locking the stream", () => {
  const stream = ReadableStream.from([utf8("a")]);
  assert.throws(() => readLines(stream, { encoding: "latin1" as "utf-8" }), {
    name: "RangeError",
    message: 'encoding must be one of utf-8, gbk, gb18030, got "latin1"',
  });
  for (const [value, shown] of [[3, "3"], [4.5, "4.5"], [NaN, "NaN"]] as const) {
    assert.throws(() => readLines(stream, { maxLineBytes: value }), {
      name: "RangeError",
      message: `maxLineBytes must be an integer of at least 4, got ${shown}`,
    });
  }
  assert.equal(stream.locked, false);
});

Deno.test("encodeLine appends the terminator in the chosen encoding", () => {
  assert.deepEqual(encodeLine("hi"), new Uint8Array([0x68, 0x69, 0x0a]));
  assert.deepEqual(encodeLine("", { encoding: "gbk" }), new Uint8Array([0x0a]));
  assert.deepEqual(
    encodeLine("你好", { encoding: "gbk", terminator: "\r\n" }),
    new Uint8Array([0xc4, 0xe3, 0xba, 0xc3, 0x0d, 0x0a]),
  );
  assert.deepEqual(encodeLine("😀", { encoding: "gbk" }), new Uint8Array([0x3f, 0x0a]));
  assert.deepEqual(
    encodeLine("😀", { encoding: "gb18030" }),
    new Uint8Array([0x94, 0x39, 0xfc, 0x36, 0x0a]),
  );
  assert.deepEqual(
    encodeLine("é", { terminator: "\r\n" }),
    new Uint8Array([0xc3, 0xa9, 0x0d, 0x0a]),
  );
  assert.throws(() => encodeLine("a", { terminator: "\r" as "\n" }), {
    name: "RangeError",
    message: 'terminator must be "\\n" or "\\r\\n", got "\\r"',
  });
});
