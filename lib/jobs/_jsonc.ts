/**
 * A small JSONC reader: JSON (RFC 8259) plus `//` and `/* *\/` comments and trailing commas,
 * as in VS Code settings and `deno.json`. Pure.
 *
 * A recursive-descent parser rather than a comment stripper in front of `JSON.parse`: V8's
 * syntax errors give a position for some mistakes and none for others, and `JSON.parse`
 * silently keeps the last of two equal keys. Here every error carries a line and column
 * (1-based, counted in UTF-16 code units) and a duplicate key is an error. A leading byte
 * order mark is skipped. Objects are plain objects; a `"__proto__"` key is an own property.
 *
 * @module
 */

/** The text is not valid JSONC: `line` and `column` (1-based) point at the problem. */
export class JsoncSyntaxError extends Error {
  /** 1-based line of the problem. */
  readonly line: number;
  /** 1-based column of the problem, in UTF-16 code units. */
  readonly column: number;
  /** What is wrong, without the position. */
  readonly reason: string;
  /** Creates the error; `message` reads `Line 2, column 5: <reason>`. */
  constructor(reason: string, line: number, column: number) {
    super(`Line ${line}, column ${column}: ${reason}`);
    this.name = "JsoncSyntaxError";
    this.reason = reason;
    this.line = line;
    this.column = column;
  }
}

/** Deepest nesting of arrays and objects accepted, so a hostile file cannot overflow the stack. */
const MAX_DEPTH = 512;
const NUMBER_RE = /-?(?:0|[1-9][0-9]*)(?:\.[0-9]+)?(?:[eE][+-]?[0-9]+)?/y;
const ESCAPES: Record<string, string> = {
  '"': '"',
  "\\": "\\",
  "/": "/",
  b: "\b",
  f: "\f",
  n: "\n",
  r: "\r",
  t: "\t",
};

class Reader {
  #text: string;
  pos = 0;
  constructor(text: string) {
    this.#text = text;
    if (text.charCodeAt(0) === 0xfeff) this.pos = 1;
  }

  fail(reason: string, at = this.pos): never {
    const before = this.#text.slice(0, at);
    const line = before.split("\n").length;
    const column = at - (before.lastIndexOf("\n") + 1) + 1;
    throw new JsoncSyntaxError(reason, line, column);
  }

  /** Skips white space and comments; returns the next character ("" at the end). */
  peek(): string {
    const text = this.#text;
    while (this.pos < text.length) {
      const c = text[this.pos];
      if (c === " " || c === "\t" || c === "\n" || c === "\r") {
        this.pos++;
      } else if (c === "/" && text[this.pos + 1] === "/") {
        const end = text.indexOf("\n", this.pos);
        this.pos = end === -1 ? text.length : end;
      } else if (c === "/" && text[this.pos + 1] === "*") {
        const end = text.indexOf("*/", this.pos + 2);
        if (end === -1) this.fail("unterminated /* comment");
        this.pos = end + 2;
      } else {
        return c;
      }
    }
    return "";
  }

  found(): string {
    const c = this.peek();
    return c === "" ? "the end of the text" : JSON.stringify(c);
  }

  value(depth: number): unknown {
    const c = this.peek();
    if (c === "{") return this.object(depth + 1);
    if (c === "[") return this.array(depth + 1);
    if (c === '"') return this.string();
    if (c === "-" || (c >= "0" && c <= "9")) return this.number();
    for (const [word, value] of [["true", true], ["false", false], ["null", null]] as const) {
      if (this.#text.startsWith(word, this.pos)) {
        this.pos += word.length;
        return value;
      }
    }
    return this.fail(`expected a value, found ${this.found()}`);
  }

  object(depth: number): Record<string, unknown> {
    if (depth > MAX_DEPTH) this.fail(`nesting is deeper than ${MAX_DEPTH} levels`);
    this.pos++; // {
    const result: Record<string, unknown> = {};
    while (this.peek() !== "}") {
      if (this.peek() !== '"') {
        this.fail(`expected a property name in quotes, found ${this.found()}`);
      }
      const keyAt = this.pos;
      const key = this.string();
      if (Object.hasOwn(result, key)) this.fail(`duplicate key ${JSON.stringify(key)}`, keyAt);
      if (this.peek() !== ":") {
        this.fail(`expected ":" after a property name, found ${this.found()}`);
      }
      this.pos++;
      const value = this.value(depth);
      Object.defineProperty(result, key, {
        value,
        enumerable: true,
        writable: true,
        configurable: true,
      });
      const next = this.peek();
      if (next === ",") this.pos++;
      else if (next !== "}") {
        this.fail(`expected "," or "}" after a property value, found ${this.found()}`);
      }
    }
    this.pos++; // }
    return result;
  }

  array(depth: number): unknown[] {
    if (depth > MAX_DEPTH) this.fail(`nesting is deeper than ${MAX_DEPTH} levels`);
    this.pos++; // [
    const result: unknown[] = [];
    while (this.peek() !== "]") {
      result.push(this.value(depth));
      const next = this.peek();
      if (next === ",") this.pos++;
      else if (next !== "]") {
        this.fail(`expected "," or "]" after an array element, found ${this.found()}`);
      }
    }
    this.pos++; // ]
    return result;
  }

  string(): string {
    const text = this.#text;
    const start = this.pos;
    let out = "";
    this.pos++; // "
    for (;;) {
      if (this.pos >= text.length) this.fail("unterminated string", start);
      const c = text[this.pos];
      if (c === '"') break;
      if (c.charCodeAt(0) < 0x20) this.fail("control character in a string: escape it");
      if (c !== "\\") {
        out += c;
        this.pos++;
        continue;
      }
      const e = text[this.pos + 1] ?? "";
      if (e === "u") {
        const hex = text.slice(this.pos + 2, this.pos + 6);
        if (!/^[0-9A-Fa-f]{4}$/.test(hex)) this.fail("\\u must be followed by four hex digits");
        out += String.fromCharCode(parseInt(hex, 16));
        this.pos += 6;
      } else if (Object.hasOwn(ESCAPES, e)) {
        out += ESCAPES[e];
        this.pos += 2;
      } else {
        this.fail(`invalid escape ${JSON.stringify("\\" + e)}`);
      }
    }
    this.pos++; // "
    return out;
  }

  number(): number {
    NUMBER_RE.lastIndex = this.pos;
    const match = NUMBER_RE.exec(this.#text);
    if (match === null) this.fail("invalid number");
    const next = this.#text[this.pos + match[0].length] ?? "";
    if (/[0-9A-Za-z.+\-]/.test(next)) this.fail("invalid number", this.pos + match[0].length);
    this.pos += match[0].length;
    return Number(match[0]);
  }

  end(): void {
    if (this.peek() !== "") this.fail(`unexpected ${this.found()} after the value`);
  }
}

/**
 * Parses JSONC text (JSON with comments and trailing commas). Throws a
 * {@linkcode JsoncSyntaxError} with the line and column of the first problem.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { parseJsonc } from "./_jsonc.ts";
 * assert.deepEqual(parseJsonc('{ "url": "tftp://h/a", // note\n "n": [1, 2,], }'), {
 *   url: "tftp://h/a",
 *   n: [1, 2],
 * });
 * assert.throws(() => parseJsonc('{\n  "a": 1\n  "b": 2\n}'), /Line 3, column 3: expected ","/);
 * ```
 */
export function parseJsonc(text: string): unknown {
  const reader = new Reader(text);
  const value = reader.value(0);
  reader.end();
  return value;
}
