import assert from "node:assert/strict";
import {
  NetasciiDecoder,
  netasciiDecodeStream,
  NetasciiEncoder,
  netasciiEncodeStream,
} from "./netascii.ts";
import { concatBytes } from "../../bytes.ts";

/** Bytes from a string of char codes below 256 (so "\0" and "\r" are single bytes). */
function bytes(text: string): Uint8Array {
  return Uint8Array.from(text, (c) => c.charCodeAt(0));
}

function encodeAll(input: Uint8Array): Uint8Array {
  const encoder = new NetasciiEncoder();
  return concatBytes([encoder.encode(input), encoder.flush()]);
}

function decodeChunks(chunks: Uint8Array[]): Uint8Array {
  const decoder = new NetasciiDecoder();
  const parts = chunks.map((chunk) => decoder.decode(chunk));
  parts.push(decoder.flush());
  return concatBytes(parts);
}

/** mulberry32: a small seeded PRNG returning floats in [0, 1). */
function mulberry32(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Splits `input` into chunks of random sizes 0..max (empty chunks included). */
function randomChunks(input: Uint8Array, random: () => number, max: number): Uint8Array[] {
  const chunks: Uint8Array[] = [];
  let at = 0;
  while (at < input.length) {
    const size = Math.floor(random() * (max + 1));
    chunks.push(input.subarray(at, at + size));
    at += size;
  }
  chunks.push(input.subarray(at));
  return chunks;
}

async function throughStream(
  chunks: Uint8Array[],
  stream: TransformStream<Uint8Array, Uint8Array>,
): Promise<Uint8Array> {
  return concatBytes(await Array.fromAsync(ReadableStream.from(chunks).pipeThrough(stream)));
}

const ENCODE_VECTORS: [string, string][] = [
  ["", ""],
  ["abc", "abc"],
  ["a\nb", "a\r\nb"],
  ["a\rb", "a\r\0b"],
  ["\r\n", "\r\0\r\n"],
  ["a\r", "a\r\0"],
  ["\n\n", "\r\n\r\n"],
  ["\r\r", "\r\0\r\0"],
  ["\0\r\0", "\0\r\0\0"],
  ["\n\r", "\r\n\r\0"],
];

Deno.test("NetasciiEncoder encodes the fixed vectors", () => {
  for (const [local, wire] of ENCODE_VECTORS) {
    assert.deepEqual(encodeAll(bytes(local)), bytes(wire), JSON.stringify(local));
  }
});

Deno.test("NetasciiDecoder decodes the fixed vectors in one chunk", () => {
  for (const [local, wire] of ENCODE_VECTORS) {
    assert.deepEqual(decodeChunks([bytes(wire)]), bytes(local), JSON.stringify(wire));
  }
});

Deno.test("NetasciiEncoder flush returns no bytes", () => {
  const encoder = new NetasciiEncoder();
  assert.deepEqual(encoder.encode(bytes("x\r")), bytes("x\r\0"));
  assert.equal(encoder.flush().length, 0);
});

Deno.test("NetasciiEncoder returns the input array when there is nothing to convert", () => {
  const encoder = new NetasciiEncoder();
  const plain = bytes("plain\0text");
  assert.equal(encoder.encode(plain), plain);
  const empty = new Uint8Array(0);
  assert.equal(encoder.encode(empty), empty);
  const withLf = bytes("a\n");
  assert.notEqual(encoder.encode(withLf), withLf);
});

Deno.test("NetasciiDecoder returns the input array when no CR is involved", () => {
  const decoder = new NetasciiDecoder();
  const plain = bytes("plain\n\0text");
  assert.equal(decoder.decode(plain), plain);
  decoder.decode(bytes("a\r"));
  const next = bytes("bc");
  const out = decoder.decode(next);
  assert.notEqual(out, next);
  assert.deepEqual(out, bytes("\rbc"));
});

Deno.test("NetasciiDecoder holds a CR at the end of a chunk", () => {
  const decoder = new NetasciiDecoder();
  assert.deepEqual(decoder.decode(bytes("ab\r")), bytes("ab"));
  assert.deepEqual(decoder.decode(new Uint8Array(0)), new Uint8Array(0));
  assert.deepEqual(decoder.decode(bytes("\ncd\r")), bytes("\ncd"));
  assert.deepEqual(decoder.decode(bytes("\0")), bytes("\r"));
});

Deno.test("NetasciiDecoder flush outputs a held CR as CR and resets", () => {
  const decoder = new NetasciiDecoder();
  assert.deepEqual(decoder.decode(bytes("a\r")), bytes("a"));
  assert.deepEqual(decoder.flush(), bytes("\r"));
  assert.equal(decoder.flush().length, 0);
  assert.deepEqual(decoder.decode(bytes("\n")), bytes("\n"));
  assert.deepEqual(decodeChunks([bytes("\r")]), bytes("\r"));
  assert.deepEqual(decodeChunks([]), new Uint8Array(0));
});

Deno.test("NetasciiDecoder keeps CR followed by another byte (lenient)", () => {
  assert.deepEqual(decodeChunks([bytes("\r"), bytes("x")]), bytes("\rx"));
  assert.deepEqual(decodeChunks([bytes("\rx")]), bytes("\rx"));
  assert.deepEqual(decodeChunks([bytes("a\rxb")]), bytes("a\rxb"));
  // The second CR of "\r\r\n" starts its own pair.
  assert.deepEqual(decodeChunks([bytes("\r\r\n")]), bytes("\r\n"));
  assert.deepEqual(decodeChunks([bytes("\r\r\0")]), bytes("\r\r"));
  assert.deepEqual(decodeChunks([bytes("\r\r")]), bytes("\r\r"));
});

Deno.test("NetasciiDecoder gives the same result split at every position", () => {
  const wires = [
    ...ENCODE_VECTORS.map(([, wire]) => wire),
    "x\r\0\r\n\r\ny\r",
    "\r\r\n\rz\r\0\0\n",
  ];
  for (const wire of wires) {
    const input = bytes(wire);
    const whole = decodeChunks([input]);
    for (let cut = 0; cut <= input.length; cut++) {
      const split = decodeChunks([input.subarray(0, cut), input.subarray(cut)]);
      assert.deepEqual(split, whole, `${JSON.stringify(wire)} cut at ${cut}`);
    }
  }
});

Deno.test("netascii round trip of 2000 seeded random arrays with random chunking", () => {
  const seed = 0x5eed1350;
  const random = mulberry32(seed);
  const alphabet = [0x0d, 0x0a, 0x00, 0x41];
  for (let n = 0; n < 2000; n++) {
    const length = Math.floor(random() * 64);
    const input = new Uint8Array(length);
    for (let i = 0; i < length; i++) {
      input[i] = random() < 0.75
        ? alphabet[Math.floor(random() * alphabet.length)]
        : Math.floor(random() * 256);
    }
    const encoder = new NetasciiEncoder();
    const wireParts = randomChunks(input, random, 8).map((chunk) => encoder.encode(chunk));
    wireParts.push(encoder.flush());
    const wire = concatBytes(wireParts);
    assert.deepEqual(wire, encodeAll(input), `seed ${seed} case ${n}: chunked encode differs`);
    const back = decodeChunks(randomChunks(wire, random, 8));
    assert.deepEqual(back, input, `seed ${seed} case ${n}: round trip differs`);
  }
});

Deno.test("netasciiEncodeStream matches NetasciiEncoder", async () => {
  const chunks = [bytes("a\n"), bytes(""), bytes("\r"), bytes("plain"), bytes("\r\n")];
  const expected = concatBytes(chunks.map((chunk) => new NetasciiEncoder().encode(chunk)));
  assert.deepEqual(expected, bytes("a\r\n\r\0plain\r\0\r\n"));
  assert.deepEqual(await throughStream(chunks, netasciiEncodeStream()), expected);
});

Deno.test("netasciiDecodeStream matches NetasciiDecoder, including a held CR", async () => {
  const vectors = [
    [bytes("a\r"), bytes("\nb\r"), bytes("\0c")],
    [bytes("x\r")],
    [bytes("\r"), bytes("x")],
    [bytes(""), bytes("plain")],
  ];
  for (const chunks of vectors) {
    assert.deepEqual(await throughStream(chunks, netasciiDecodeStream()), decodeChunks(chunks));
  }
  assert.deepEqual(
    await throughStream([bytes("a\r"), bytes("\nb\r"), bytes("\0c")], netasciiDecodeStream()),
    bytes("a\nb\rc"),
  );
  assert.deepEqual(await throughStream([bytes("x\r")], netasciiDecodeStream()), bytes("x\r"));
});

Deno.test("netascii streams round trip seeded random chunks", async () => {
  const random = mulberry32(764);
  for (let n = 0; n < 50; n++) {
    const input = Uint8Array.from({ length: Math.floor(random() * 200) }, () => {
      const r = random();
      return r < 0.2 ? 0x0d : r < 0.4 ? 0x0a : r < 0.5 ? 0x00 : Math.floor(random() * 256);
    });
    const wire = await throughStream(randomChunks(input, random, 16), netasciiEncodeStream());
    assert.deepEqual(wire, encodeAll(input), `case ${n}`);
    const back = await throughStream(randomChunks(wire, random, 16), netasciiDecodeStream());
    assert.deepEqual(back, input, `case ${n}`);
  }
});
