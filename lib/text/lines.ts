/**
 * Line framing for text chat over byte streams, in UTF-8, GBK or GB18030. Pure: web streams
 * only, no I/O of its own.
 *
 * Lines are split on the LF byte before decoding. That is safe in all three encodings: 0x0A is
 * never part of a multi-byte character (UTF-8 continuation bytes are 0x80..0xBF; GBK trail
 * bytes 0x40..0x7E and 0x80..0xFE; GB18030 four-byte codes use 0x30..0x39 and 0x81..0xFE).
 * A CR is likewise never inside a character, so dropping the CR of a CRLF is exact. Each line
 * decodes exactly as the whole stream would, malformed bytes included.
 *
 * @module
 */

import { encodeText, TEXT_ENCODINGS, type TextEncodingName } from "./encoding.ts";

/** Options of {@linkcode readLines}. */
export interface ReadLinesOptions {
  /**
   * The encoding of the stream.
   *
   * @default {"utf-8"}
   */
  encoding?: TextEncodingName;
  /**
   * A line longer than this many bytes (at least 4) is delivered in pieces of at most this
   * many bytes, cut between characters, so memory stays bounded.
   *
   * @default {65536}
   */
  maxLineBytes?: number;
}

const LF = 0x0a;
const CR = 0x0d;
const LF_BYTES = new Uint8Array([LF]);
const STREAM = { stream: true };

/** What follows the buffered bytes: unknown yet, a line feed, or the end of the stream. */
type Tail = "more" | "lf" | "eos";

/**
 * Yields each line of the byte stream without its terminator: "\n" and "\r\n" end a line
 * (a lone "\r" is text), and a final line without terminator is yielded at the end. Chunks
 * may split or merge lines and characters anywhere. Malformed bytes become U+FFFD; a byte
 * order mark is kept as U+FEFF.
 *
 * The generator holds the stream's reader while it runs and releases the lock when it ends,
 * fails or the consumer stops early, without cancelling the stream: the caller still owns it.
 * Lines are yielded once their whole chunk is processed; the rest of a chunk already read is
 * dropped on an early stop.
 *
 * @throws {RangeError} At once for an unknown encoding or a `maxLineBytes` below 4.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { readLines } from "./lines.ts";
 * const stream = ReadableStream.from([
 *   new Uint8Array([0xc4, 0xe3, 0xba]), // "你好\r\nok" in gbk, split inside "好"
 *   new Uint8Array([0xc3, 0x0d, 0x0a, 0x6f, 0x6b]),
 * ]);
 * assert.deepEqual(await Array.fromAsync(readLines(stream, { encoding: "gbk" })), ["你好", "ok"]);
 * ```
 */
export function readLines(
  stream: ReadableStream<Uint8Array>,
  options: ReadLinesOptions = {},
): AsyncGenerator<string> {
  const { encoding = "utf-8", maxLineBytes = 65536 } = options;
  if (!(TEXT_ENCODINGS as readonly string[]).includes(encoding)) {
    throw new RangeError(
      `encoding must be one of ${TEXT_ENCODINGS.join(", ")}, got ${JSON.stringify(encoding)}`,
    );
  }
  if (!Number.isSafeInteger(maxLineBytes) || maxLineBytes < 4) {
    throw new RangeError(`maxLineBytes must be an integer of at least 4, got ${maxLineBytes}`);
  }
  return lines(stream, encoding, maxLineBytes);
}

async function* lines(
  stream: ReadableStream<Uint8Array>,
  encoding: TextEncodingName,
  max: number,
): AsyncGenerator<string> {
  const unitEnd = encoding === "utf-8" ? utf8UnitEnd : gbUnitEnd;
  const decoder = new TextDecoder(encoding, { ignoreBOM: true });
  // The undelivered bytes of the current line; never more than max + 4 of them.
  let buf = new Uint8Array(Math.min(max + 4, 4096));
  let len = 0;

  // Decodes bytes that end where the stream's decoder ends a sequence. Bytes it still holds
  // then are a malformed sequence that the next byte ended; a LF ends it the same way (it is
  // invalid after any prefix) and is then decoded as itself.
  function decodeBeforeLf(bytes: Uint8Array): string {
    // Fast path: a decoder left holding bytes at the end would end its text with U+FFFD.
    const text = decoder.decode(bytes);
    if (!text.endsWith("\uFFFD")) return text;
    return (decoder.decode(bytes, STREAM) + decoder.decode(LF_BYTES)).slice(0, -1);
  }

  // Lines and pieces decoded from the current chunk, yielded once it is processed.
  const ready: string[] = [];

  // Moves the leading pieces of the line to ready while it is longer than max.
  function cut(tail: Tail): void {
    for (;;) {
      // A CR at the end may belong to a CRLF still to come: it does not count yet.
      const size = tail === "more" && buf[len - 1] === CR ? len - 1 : len;
      if (size <= max) return;
      let end = 0;
      for (;;) {
        const next = unitEnd(buf, end, len, tail);
        if (next < 0) return; // the character across the limit is not complete yet
        if (next > max) break;
        end = next;
      }
      ready.push(decodeBeforeLf(buf.subarray(0, end)));
      buf.copyWithin(0, end, len);
      len -= end;
    }
  }

  // Appends bytes in slices, cutting pieces as needed so the buffer stays bounded.
  function append(bytes: Uint8Array): void {
    for (let i = 0; i < bytes.length;) {
      if (len === buf.length) {
        const grown = new Uint8Array(Math.min(buf.length * 2, max + 4));
        grown.set(buf);
        buf = grown;
      }
      const take = Math.min(bytes.length - i, buf.length - len);
      buf.set(bytes.subarray(i, i + take), len);
      len += take;
      i += take;
      cut("more");
    }
  }

  // Ends the line whose bytes before the LF are `bytes` (after any buffered ones).
  function endLine(bytes: Uint8Array): void {
    if (len === 0) {
      const size = bytes.length > 0 && bytes[bytes.length - 1] === CR
        ? bytes.length - 1
        : bytes.length;
      if (size <= max) {
        ready.push(decodeBeforeLf(bytes.subarray(0, size))); // the common case: no copy
        return;
      }
    }
    append(bytes);
    if (len > 0 && buf[len - 1] === CR) len--;
    cut("lf");
    ready.push(decodeBeforeLf(buf.subarray(0, len)));
    len = 0;
  }

  const reader = stream.getReader();
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      let start = 0;
      for (let lf = value.indexOf(LF); lf >= 0; lf = value.indexOf(LF, start)) {
        endLine(value.subarray(start, lf));
        start = lf + 1;
      }
      append(value.subarray(start));
      for (const text of ready) yield text;
      ready.length = 0;
    }
    if (len > 0) {
      cut("eos");
      ready.push(decoder.decode(buf.subarray(0, len)));
      len = 0;
      for (const text of ready) yield text;
    }
  } finally {
    reader.releaseLock();
  }
}

/**
 * The end of the UTF-8 character (or malformed sequence, as the Encoding Standard's decoder
 * reports it) starting at `i`, or -1 when the bytes after `end` are needed to tell.
 */
function utf8UnitEnd(bytes: Uint8Array, i: number, end: number, tail: Tail): number {
  const lead = bytes[i];
  // The continuation count and the range allowed for the first continuation byte.
  let count = 0, lower = 0x80, upper = 0xbf;
  if (lead >= 0xc2 && lead <= 0xdf) count = 1;
  else if (lead >= 0xe0 && lead <= 0xef) {
    count = 2;
    if (lead === 0xe0) lower = 0xa0;
    if (lead === 0xed) upper = 0x9f;
  } else if (lead >= 0xf0 && lead <= 0xf4) {
    count = 3;
    if (lead === 0xf0) lower = 0x90;
    if (lead === 0xf4) upper = 0x8f;
  }
  for (let j = i + 1; j <= i + count; j++) {
    if (j >= end) return tail === "more" ? -1 : end;
    if (bytes[j] < lower || bytes[j] > upper) return j;
    lower = 0x80;
    upper = 0xbf;
  }
  return i + 1 + count;
}

/**
 * The end of the GBK / GB18030 character (or malformed sequence, as the Encoding Standard's
 * gb18030 decoder reports it) starting at `i`, or -1 when later bytes are needed to tell.
 * A line feed or CR after `end` ends a sequence like any other invalid byte; the end of the
 * stream ends it where it is.
 */
function gbUnitEnd(bytes: Uint8Array, i: number, end: number, tail: Tail): number {
  const lead = bytes[i];
  if (lead < 0x81 || lead > 0xfe) return i + 1;
  // Cut short by the end of the buffer: wait, or end with the stream, or (a LF follows)
  // report the lead alone and read the bytes after it again.
  const short = tail === "more" ? -1 : tail === "eos" ? end : i + 1;
  if (i + 1 >= end) return tail === "more" ? -1 : end;
  const second = bytes[i + 1];
  if (second >= 0x30 && second <= 0x39) {
    if (i + 2 >= end) return short;
    if (bytes[i + 2] < 0x81 || bytes[i + 2] > 0xfe) return i + 1;
    if (i + 3 >= end) return short;
    return bytes[i + 3] >= 0x30 && bytes[i + 3] <= 0x39 ? i + 4 : i + 1;
  }
  // Every two-byte code decodes (the tests check it); 0xFF as second byte is consumed with
  // the lead; any other ASCII second byte is read again on its own.
  if (second >= 0x80 || (second >= 0x40 && second <= 0x7e)) return i + 2;
  return i + 1;
}

/** Options of {@linkcode encodeLine}. */
export interface EncodeLineOptions {
  /**
   * The encoding to write.
   * @default {"utf-8"}
   */
  encoding?: TextEncodingName;
  /**
   * The line end to append.
   * @default {"\n"}
   */
  terminator?: "\n" | "\r\n";
}

/**
 * Encodes one line plus its terminator. Characters the encoding cannot write become "?".
 *
 * @param line The text of the line, without terminator.
 * @param options Encoding and terminator.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { encodeLine } from "./lines.ts";
 * assert.deepEqual(
 *   encodeLine("你好", { encoding: "gbk", terminator: "\r\n" }),
 *   new Uint8Array([0xc4, 0xe3, 0xba, 0xc3, 13, 10]),
 * );
 * assert.deepEqual(encodeLine("hi"), new Uint8Array([0x68, 0x69, 0x0a]));
 * ```
 */
export function encodeLine(line: string, options: EncodeLineOptions = {}): Uint8Array {
  const { encoding = "utf-8", terminator = "\n" } = options;
  if (terminator !== "\n" && terminator !== "\r\n") {
    throw new RangeError(`terminator must be "\\n" or "\\r\\n", got ${JSON.stringify(terminator)}`);
  }
  return encodeText(line + terminator, encoding);
}
