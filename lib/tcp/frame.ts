/**
 * Wire format of the framed TCP file service. Pure: bytes in, values out.
 *
 * ```text
 * request   GET <name>\n            name: UTF-8, 1..1024 bytes, no NUL, CR or LF
 * response  OK <size>\n<size bytes> size: decimal, no sign, no leading zero
 *           NOT_FOUND <message>\n   the file does not exist
 *           DENIED <message>\n      the name is refused (outside the root, not a file)
 *           ERROR <message>\n       anything else (bad request, I/O error)
 * ```
 *
 * The server closes the connection after the body. A client tells the four outcomes apart:
 * a refusal status, `OK 0` (an empty file), `OK <size>` followed by exactly `size` bytes,
 * or fewer than `size` bytes before end of stream (the connection dropped mid-file).
 * Header lines are at most {@linkcode MAX_HEADER_BYTES} bytes, newline included.
 *
 * @module
 */

import { TcpFrameError, type TcpRefusal } from "./errors.ts";

/** The statuses of a response header. */
export const TCP_STATUS = {
  /** The file follows: `OK <size>`. */
  OK: "OK",
  /** No such file: `NOT_FOUND <message>`. */
  NOT_FOUND: "NOT_FOUND",
  /** The name is refused: `DENIED <message>`. */
  DENIED: "DENIED",
  /** Any other failure: `ERROR <message>`. */
  ERROR: "ERROR",
} as const;
/** One of {@linkcode TCP_STATUS}. */
export type TcpStatus = typeof TCP_STATUS[keyof typeof TCP_STATUS];

/** Longest requested name, in UTF-8 bytes. */
export const MAX_NAME_BYTES = 1024;
/** Longest header line (request or response), in bytes, newline included. */
export const MAX_HEADER_BYTES = 1100;

/** A response header: a size for `OK`, a message for a refusal. */
export type ResponseHeader =
  | { status: "OK"; size: number }
  | { status: TcpRefusal; message: string };

/** A parsed header and the bytes that followed it in the input. */
export interface Parsed<T> {
  /** The decoded header. */
  header: T;
  /** The bytes after the newline (the start of the body); may be empty. */
  rest: Uint8Array;
}

const encoder = new TextEncoder();
const decoder = new TextDecoder("utf-8", { fatal: true, ignoreBOM: true });
const LF = 0x0a;
const FORBIDDEN_IN_NAME = /[\0\r\n]/;
const FORBIDDEN_IN_MESSAGE = /[\0\r\n]/;
const SIZE = /^(0|[1-9][0-9]{0,15})$/;

function checkName(name: string): Uint8Array {
  if (typeof name !== "string") throw new TypeError(`name must be a string, got ${typeof name}`);
  if (name === "") throw new RangeError("name must not be empty");
  if (FORBIDDEN_IN_NAME.test(name)) {
    throw new RangeError(`name must not contain NUL, CR or LF, got ${JSON.stringify(name)}`);
  }
  if (!name.isWellFormed()) throw new RangeError("name must be well-formed Unicode");
  const bytes = encoder.encode(name);
  if (bytes.length > MAX_NAME_BYTES) {
    throw new RangeError(`name must be at most ${MAX_NAME_BYTES} bytes, got ${bytes.length}`);
  }
  return bytes;
}

/**
 * Encodes a request line `GET <name>\n`; throws RangeError for a name the protocol cannot
 * carry (empty, NUL/CR/LF, over {@linkcode MAX_NAME_BYTES}).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { encodeRequest } from "./frame.ts";
 * assert.deepEqual(encodeRequest("a.txt"), new TextEncoder().encode("GET a.txt\n"));
 * ```
 */
export function encodeRequest(name: string): Uint8Array {
  const bytes = checkName(name);
  const out = new Uint8Array(bytes.length + 5);
  out.set(encoder.encode("GET "));
  out.set(bytes, 4);
  out[out.length - 1] = LF;
  return out;
}

/**
 * Encodes a response header line. Throws RangeError for a size that is not a safe
 * non-negative integer or a message that is empty, holds NUL/CR/LF or makes the line too long.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { encodeResponseHeader } from "./frame.ts";
 * const text = (h: Uint8Array) => new TextDecoder().decode(h);
 * assert.equal(text(encodeResponseHeader({ status: "OK", size: 0 })), "OK 0\n");
 * assert.equal(
 *   text(encodeResponseHeader({ status: "NOT_FOUND", message: "File not found" })),
 *   "NOT_FOUND File not found\n",
 * );
 * ```
 */
export function encodeResponseHeader(header: ResponseHeader): Uint8Array {
  if (header.status === "OK") {
    const { size } = header;
    if (!Number.isSafeInteger(size) || size < 0) {
      throw new RangeError(`size must be a non-negative safe integer, got ${size}`);
    }
    return encoder.encode(`OK ${size}\n`);
  }
  const { status, message } = header;
  if (status !== "NOT_FOUND" && status !== "DENIED" && status !== "ERROR") {
    throw new RangeError(`status must be one of ${Object.keys(TCP_STATUS)}, got ${status}`);
  }
  if (typeof message !== "string" || message === "" || FORBIDDEN_IN_MESSAGE.test(message)) {
    throw new RangeError(`message must be non-empty without NUL, CR or LF, got ${message}`);
  }
  const line = encoder.encode(`${status} ${message}\n`);
  if (line.length > MAX_HEADER_BYTES) {
    throw new RangeError(`header must be at most ${MAX_HEADER_BYTES} bytes, got ${line.length}`);
  }
  return line;
}

function decodeText(line: Uint8Array, what: string): string {
  try {
    return decoder.decode(line);
  } catch (cause) {
    throw new TcpFrameError(`${what} is not valid UTF-8`, { cause });
  }
}

/** Decodes a request line (without its newline). */
function decodeRequestLine(line: Uint8Array): string {
  const text = decodeText(line, "Request");
  if (!text.startsWith("GET ")) {
    throw new TcpFrameError(`Request must start with "GET ", got ${JSON.stringify(text)}`);
  }
  const name = text.slice(4);
  if (name === "") throw new TcpFrameError("Request names no file");
  if (FORBIDDEN_IN_NAME.test(name)) throw new TcpFrameError("Request name contains NUL or CR");
  return name;
}

/** Decodes a response header line (without its newline). */
function decodeResponseLine(line: Uint8Array): ResponseHeader {
  const text = decodeText(line, "Response header");
  const space = text.indexOf(" ");
  const status = space < 0 ? text : text.slice(0, space);
  const value = space < 0 ? "" : text.slice(space + 1);
  if (status === "OK") {
    if (!SIZE.test(value) || !Number.isSafeInteger(Number(value))) {
      throw new TcpFrameError(`Response size is not a decimal size: ${JSON.stringify(value)}`);
    }
    return { status, size: Number(value) };
  }
  if (status !== "NOT_FOUND" && status !== "DENIED" && status !== "ERROR") {
    throw new TcpFrameError(`Unknown response status ${JSON.stringify(status.slice(0, 32))}`);
  }
  if (value === "" || FORBIDDEN_IN_MESSAGE.test(value)) {
    throw new TcpFrameError(`Response ${status} has no valid message`);
  }
  return { status, message: value };
}

/**
 * Collects bytes until a newline, then decodes that line as a header. Feed it chunks as they
 * arrive: `push` returns `undefined` while it needs more bytes, then the header and the bytes
 * after the newline. Throws {@linkcode TcpFrameError} on garbage or once the line exceeds
 * {@linkcode MAX_HEADER_BYTES} without a newline; after a header or an error it is spent.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { HeaderParser } from "./frame.ts";
 * const lines = new HeaderParser((line) => line.length);
 * assert.deepEqual(lines.push(new Uint8Array([1, 2, 10, 9])), {
 *   header: 2,
 *   rest: new Uint8Array([9]),
 * });
 * ```
 */
export class HeaderParser<T> {
  #decode: (line: Uint8Array) => T;
  #buffer = new Uint8Array(MAX_HEADER_BYTES);
  #length = 0;
  #spent = false;

  /** Creates a parser that decodes the line with `decode` (use the factory functions). */
  constructor(decode: (line: Uint8Array) => T) {
    this.#decode = decode;
  }

  /** Adds bytes; returns the header once a whole line arrived, else `undefined`. */
  push(chunk: Uint8Array): Parsed<T> | undefined {
    if (this.#spent) throw new Error("HeaderParser already returned a header or failed");
    const newline = chunk.indexOf(LF);
    const take = newline < 0 ? chunk.length : newline + 1;
    if (this.#length + take > MAX_HEADER_BYTES) {
      this.#spent = true;
      throw new TcpFrameError(`Header line is longer than ${MAX_HEADER_BYTES} bytes`);
    }
    this.#buffer.set(chunk.subarray(0, take), this.#length);
    this.#length += take;
    if (newline < 0) return undefined;
    this.#spent = true;
    const header = this.#decode(this.#buffer.subarray(0, this.#length - 1));
    return { header, rest: chunk.subarray(take) };
  }
}

/**
 * A parser for the server side: yields the requested name.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { requestParser } from "./frame.ts";
 * const parser = requestParser();
 * const bytes = new TextEncoder().encode("GET dir/a.bin\n");
 * assert.equal(parser.push(bytes.subarray(0, 6)), undefined);
 * assert.equal(parser.push(bytes.subarray(6))?.header, "dir/a.bin");
 * ```
 */
export function requestParser(): HeaderParser<string> {
  return new HeaderParser(decodeRequestLine);
}

/**
 * A parser for the client side: yields the response header and the first body bytes.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { responseParser } from "./frame.ts";
 * const got = responseParser().push(new TextEncoder().encode("OK 3\nabc"));
 * assert.deepEqual(got?.header, { status: "OK", size: 3 });
 * assert.equal(got?.rest.length, 3);
 * ```
 */
export function responseParser(): HeaderParser<ResponseHeader> {
  return new HeaderParser(decodeResponseLine);
}

/**
 * Decodes the bare file name a classic raw-mode client sends: the bytes up to the first
 * newline (or all of them), with one trailing CR removed. Throws {@linkcode TcpFrameError}
 * for invalid UTF-8 or an empty name.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { decodeRawName } from "./frame.ts";
 * assert.equal(decodeRawName(new TextEncoder().encode("a.txt\r\n")), "a.txt");
 * assert.equal(decodeRawName(new TextEncoder().encode("a.txt")), "a.txt");
 * ```
 */
export function decodeRawName(bytes: Uint8Array): string {
  const newline = bytes.indexOf(LF);
  let end = newline < 0 ? bytes.length : newline;
  if (end > 0 && bytes[end - 1] === 0x0d) end--;
  const name = decodeText(bytes.subarray(0, end), "Name");
  if (name === "") throw new TcpFrameError("Raw request names no file");
  return name;
}
