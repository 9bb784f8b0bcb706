/**
 * Text for chat tools: UTF-8, GBK and GB18030 encoding and decoding without dependencies, and
 * line framing over byte streams. Pure: no I/O.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { decodeText, encodeLine } from "./mod.ts";
 * assert.equal(decodeText(encodeLine("中文", { encoding: "gb18030" }), "gb18030"), "中文\n");
 * ```
 *
 * @module
 */

export * from "./encoding.ts";
export * from "./lines.ts";
export * from "./visible.ts";
