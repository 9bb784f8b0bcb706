import assert from "node:assert/strict";
import { showControlCharacters } from "./visible.ts";

Deno.test("showControlCharacters escapes Cc except tab, nothing else", () => {
  assert.equal(showControlCharacters("plain 你好 €"), "plain 你好 €");
  assert.equal(
    showControlCharacters("\t\0\x07\x1b\r\x7f\x80\x9f\xa0"),
    "\t\\x00\\x07\\x1b\\x0d\\x7f\\x80\\x9f\xa0",
  );
  assert.equal(showControlCharacters(""), "");
});
