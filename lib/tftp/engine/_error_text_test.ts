import assert from "node:assert/strict";
import { errorText, MAX_ERROR_TEXT_CHARS } from "./_error_text.ts";

Deno.test("errorText: printable ASCII passes unchanged", () => {
  const text = 'Expected DATA 7, got opcode 6 ~ "quoted" \\ {}';
  assert.equal(errorText(text), text);
  assert.equal(errorText(""), "");
});

Deno.test("errorText: control, DEL, non-ASCII and astral characters are escaped", () => {
  assert.equal(errorText("a\tb\x7f"), "a\\u0009b\\u007f");
  assert.equal(errorText("größe✓"), "gr\\u00f6\\u00dfe\\u2713");
  assert.equal(errorText("😀"), "\\ud83d\\ude00");
});

Deno.test("errorText: long texts are cut to 200 characters ending in ...", () => {
  assert.equal(MAX_ERROR_TEXT_CHARS, 200);
  assert.equal(errorText("x".repeat(200)), "x".repeat(200));
  assert.equal(errorText("x".repeat(201)), `${"x".repeat(197)}...`);
  assert.equal(errorText("é".repeat(40)), `${"\\u00e9".repeat(32)}\\u00e...`);
});
