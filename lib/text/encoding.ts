/**
 * Text encodings for chat peers: UTF-8 and the Chinese GBK / GB18030 encodings of the WHATWG
 * Encoding Standard. Pure: no I/O.
 *
 * Decoding uses the platform `TextDecoder`. `TextEncoder` only writes UTF-8, so the GBK and
 * GB18030 encoders invert the platform decoder instead of shipping tables: on first use the
 * 23 940 two-byte codes (lead 0x81..0xFE, trail 0x40..0x7E and 0x80..0xFE) are decoded in one
 * call, and on the first GB18030 character outside them the 39 420 four-byte BMP codes are.
 * Encoding then follows the Encoding Standard's gb18030 encoder
 * (https://encoding.spec.whatwg.org/#gb18030-encoder):
 *
 * 1. ASCII is one byte; U+E5E5 cannot be written (0xA3 0xA0 decodes to U+3000).
 * 2. gbk only: U+20AC (€) is the single byte 0x80.
 * 3. The 18 private-use code points GB18030-2022 moved (U+E78D..U+E796, U+E81E, ...) keep their
 *    GB18030-2005 two-byte codes. This table is one-way: those bytes now decode to U+FE10..,
 *    U+9FB4.., the only characters written that do not decode back to themselves.
 * 4. A two-byte code; when two decode to the same code point, the first pointer (the lower
 *    bytes) wins: U+3000 is 0xA1 0xA1, not 0xA3 0xA0. Two-byte codes win over four-byte ones
 *    (U+FE10 is 0xA6 0xD9, not 0x84 0x31 0x82 0x36).
 * 5. gbk stops here: anything else cannot be written.
 * 6. gb18030: a four-byte code, from the lowest BMP pointer (0..39419) that decodes to the code
 *    point, or pointer 189000 + (code point - 0x10000) above the BMP. Pointer p is the bytes
 *    0x81 + p / 12600, 0x30 + p / 1260 % 10, 0x81 + p / 10 % 126, 0x30 + p % 10.
 *
 * Lone surrogates cannot be written in gbk and gb18030; in utf-8 they become U+FFFD like
 * `TextEncoder`. A byte order mark is kept as U+FEFF in both directions.
 *
 * @module
 */

import { fourByteTable, twoByteTable, writeFourByte } from "./_gb_tables.ts";

/**
 * The text encodings this module reads and writes, by their WHATWG names.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { TEXT_ENCODINGS } from "./encoding.ts";
 * assert.deepEqual(TEXT_ENCODINGS, ["utf-8", "gbk", "gb18030"]);
 * ```
 */
export const TEXT_ENCODINGS = ["utf-8", "gbk", "gb18030"] as const;

/** One of {@linkcode TEXT_ENCODINGS}. */
export type TextEncodingName = typeof TEXT_ENCODINGS[number];

/** Accepted labels. gb2312 is read as gbk, its superset, as the Encoding Standard does. */
const LABELS: ReadonlyMap<string, TextEncodingName> = new Map([
  ["utf-8", "utf-8"],
  ["utf8", "utf-8"],
  ["gbk", "gbk"],
  ["x-gbk", "gbk"],
  ["cp936", "gbk"],
  ["ms936", "gbk"],
  ["windows-936", "gbk"],
  ["gb2312", "gbk"],
  ["gb_2312", "gbk"],
  ["csgb2312", "gbk"],
  ["gb18030", "gb18030"],
  ["cp54936", "gb18030"],
  ["windows-54936", "gb18030"],
]);

/**
 * Reads an encoding label, ignoring case and surrounding spaces: utf-8 (utf8), gbk (x-gbk,
 * cp936, ms936, windows-936, and gb2312, gb_2312, csgb2312 which the Encoding Standard reads
 * as gbk) or gb18030 (cp54936, windows-54936).
 *
 * @throws {RangeError} For any other label.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { parseTextEncoding } from "./encoding.ts";
 * assert.equal(parseTextEncoding("CP936"), "gbk");
 * assert.throws(() => parseTextEncoding("big5"), RangeError);
 * ```
 */
export function parseTextEncoding(label: string): TextEncodingName {
  const name = LABELS.get(label.trim().toLowerCase());
  if (name === undefined) throw encodingRangeError(label);
  return name;
}

/** Options of {@linkcode TextEncodingError}. */
export interface TextEncodingErrorOptions extends ErrorOptions {
  /**
   * The character that cannot be written; leave it out when bytes could not be read.
   *
   * @default {undefined}
   */
  codePoint?: number;
}

/**
 * Text that cannot be written in an encoding, or bytes that are not valid in it. The message
 * reads `Character "€" (U+20AC) cannot be written in gbk` or `Bytes are not valid gbk`.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { TextEncodingError } from "./encoding.ts";
 * const err = new TextEncodingError("gbk", { codePoint: 0x1f600 });
 * assert.equal(err.name, "TextEncodingError");
 * assert.equal(err.message, 'Character "😀" (U+1F600) cannot be written in gbk');
 * ```
 */
export class TextEncodingError extends Error {
  /** The encoding that was being written or read. */
  readonly encoding: TextEncodingName;
  /** The character that cannot be written; absent for bytes that cannot be read. */
  readonly codePoint?: number;

  /** Creates the error; its message names the character, or the invalid bytes. */
  constructor(encoding: TextEncodingName, options: TextEncodingErrorOptions = {}) {
    const { codePoint } = options;
    super(
      codePoint === undefined
        ? `Bytes are not valid ${encoding}`
        : `Character ${JSON.stringify(String.fromCodePoint(codePoint))} (U+${
          codePoint.toString(16).toUpperCase().padStart(4, "0")
        }) cannot be written in ${encoding}`,
      options,
    );
    this.name = "TextEncodingError";
    this.encoding = encoding;
    this.codePoint = codePoint;
  }
}

/** Options of {@linkcode encodeText}. */
export interface EncodeTextOptions {
  /**
   * Throw a {@linkcode TextEncodingError} on a character the encoding cannot write, instead
   * of writing "?" for it.
   *
   * @default {false}
   */
  fatal?: boolean;
}

/**
 * Encodes text; see the module notes for the exact GBK / GB18030 rules. The first GBK or
 * GB18030 call builds the tables from the platform decoder (a few tens of milliseconds).
 *
 * @throws {TextEncodingError} With `fatal`, for a character the encoding cannot write.
 * @throws {RangeError} For an unknown encoding name.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { encodeText } from "./encoding.ts";
 * assert.deepEqual(encodeText("你好", "gbk"), new Uint8Array([0xc4, 0xe3, 0xba, 0xc3]));
 * assert.deepEqual(encodeText("😀", "gbk"), new Uint8Array([0x3f]));
 * assert.deepEqual(encodeText("😀", "gb18030"), new Uint8Array([0x94, 0x39, 0xfc, 0x36]));
 * ```
 */
export function encodeText(
  text: string,
  encoding: TextEncodingName,
  options: EncodeTextOptions = {},
): Uint8Array {
  checkEncoding(encoding);
  if (encoding === "utf-8") return new TextEncoder().encode(text);
  const fatal = options.fatal ?? false;
  const gbk = encoding === "gbk";
  const twoByte = twoByteTable();
  // Worst case per UTF-16 code unit: 2 bytes in gbk, 4 in gb18030 (a pair is 4 bytes).
  const out = new Uint8Array(text.length * (gbk ? 2 : 4));
  let n = 0;
  for (let i = 0; i < text.length; i++) {
    let cp = text.charCodeAt(i);
    if (cp < 0x80) {
      out[n++] = cp;
      continue;
    }
    if (cp >= 0xd800 && cp <= 0xdbff) {
      const low = text.charCodeAt(i + 1);
      if (low >= 0xdc00 && low <= 0xdfff) {
        cp = 0x10000 + ((cp - 0xd800) << 10) + (low - 0xdc00);
        i++;
      }
    }
    if (gbk && cp === 0x20ac) {
      out[n++] = 0x80;
      continue;
    }
    const code = cp > 0xffff ? twoByte.astral.get(cp) ?? 0 : twoByte.bmp[cp];
    if (code !== 0) {
      out[n++] = code >> 8;
      out[n++] = code & 0xff;
      continue;
    }
    const pointer = gbk ? -1 : cp > 0xffff ? 189000 + cp - 0x10000 : fourByteTable()[cp] - 1;
    if (pointer >= 0) {
      writeFourByte(out, n, pointer);
      n += 4;
      continue;
    }
    if (fatal) throw new TextEncodingError(encoding, { codePoint: cp });
    out[n++] = 0x3f; // "?"
  }
  return out.slice(0, n);
}

/** Options of {@linkcode decodeText}. */
export interface DecodeTextOptions {
  /**
   * Throw a {@linkcode TextEncodingError} on malformed bytes instead of decoding them as
   * U+FFFD.
   *
   * @default {false}
   */
  fatal?: boolean;
}

/**
 * Decodes bytes with the platform decoder. A leading byte order mark is kept, so
 * `decodeText(encodeText(s, e), e) === s`.
 *
 * @throws {TextEncodingError} With `fatal`, for malformed bytes.
 * @throws {RangeError} For an unknown encoding name.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { decodeText } from "./encoding.ts";
 * assert.equal(decodeText(new Uint8Array([0xd6, 0xd0, 0xce, 0xc4]), "gbk"), "中文");
 * assert.equal(decodeText(new Uint8Array([0xd6]), "gbk"), "\uFFFD");
 * assert.throws(() => decodeText(new Uint8Array([0xd6]), "gbk", { fatal: true }), {
 *   name: "TextEncodingError",
 *   message: "Bytes are not valid gbk",
 * });
 * ```
 */
export function decodeText(
  bytes: Uint8Array,
  encoding: TextEncodingName,
  options: DecodeTextOptions = {},
): string {
  checkEncoding(encoding);
  const fatal = options.fatal ?? false;
  const decoder = new TextDecoder(encoding, { fatal, ignoreBOM: true });
  try {
    return decoder.decode(bytes);
  } catch (cause) {
    if (fatal && cause instanceof TypeError) throw new TextEncodingError(encoding, { cause });
    throw cause;
  }
}

function checkEncoding(encoding: string): void {
  if (!(TEXT_ENCODINGS as readonly string[]).includes(encoding)) {
    throw encodingRangeError(encoding);
  }
}

function encodingRangeError(label: string): RangeError {
  return new RangeError(
    `encoding must be one of ${TEXT_ENCODINGS.join(", ")}, got ${JSON.stringify(label)}`,
  );
}
