import assert from "node:assert/strict";
import { Prng } from "../sim/prng.ts";
import { JsoncSyntaxError, parseJsonc } from "./_jsonc.ts";

Deno.test("parseJsonc reads plain JSON exactly like JSON.parse", () => {
  const corpus = [
    "0",
    "-0",
    "-12.5e+3",
    "1E-2",
    '""',
    '"a\\"b\\\\c\\/d\\b\\f\\n\\r\\t\\u00e9\\uD83D\\ude00"',
    "true",
    "false",
    "null",
    "[]",
    "{}",
    ' { "a" : [ 1 , { "b" : null } ] , "c" : "x" } ',
    '{"url": "tftp://h/a//b", "c": "/* not a comment */"}',
    '"ü€😀"',
  ];
  for (const text of corpus) assert.deepEqual(parseJsonc(text), JSON.parse(text), text);
});

function randomValue(prng: Prng, depth: number): unknown {
  const kind = prng.int(depth > 3 ? 5 : 7);
  if (kind === 0) return null;
  if (kind === 1) return prng.chance(0.5);
  if (kind === 2) return (prng.next() - 0.5) * 10 ** prng.int(12);
  if (kind === 3) return prng.int(1000) - 500;
  if (kind === 4) {
    const chars = ['"', "\\", "/", "*", "\n", "\u0001", "a", "é", "😀", " ", ",", "{"];
    return Array.from({ length: prng.int(8) }, () => chars[prng.int(chars.length)]).join("");
  }
  if (kind === 5) return Array.from({ length: prng.int(4) }, () => randomValue(prng, depth + 1));
  const object: Record<string, unknown> = {};
  for (let i = prng.int(4); i > 0; i--) object[`k${prng.int(6)}`] = randomValue(prng, depth + 1);
  return object;
}

Deno.test("parseJsonc agrees with JSON.parse on 500 random documents, compact and indented", () => {
  const prng = new Prng(6);
  for (let i = 0; i < 500; i++) {
    const value = randomValue(prng, 0);
    for (const text of [JSON.stringify(value), JSON.stringify(value, null, "\t")]) {
      assert.deepEqual(parseJsonc(text), JSON.parse(text), `document ${i}: ${text}`);
    }
  }
});

Deno.test("parseJsonc skips comments and trailing commas but keeps them inside strings", () => {
  const text = [
    "\uFEFF// leading comment",
    "{ /* block",
    '   over lines */ "a": "// kept", // trailing',
    '  "b": ["/* kept */", 2,], /**/ "c": {"d": 1,},',
    "} // end without newline",
  ].join("\n");
  assert.deepEqual(parseJsonc(text), { a: "// kept", b: ["/* kept */", 2], c: { d: 1 } });
  assert.deepEqual(parseJsonc("[1/**/,/**/2]"), [1, 2]);
  assert.deepEqual(parseJsonc("1//x"), 1);
});

Deno.test("parseJsonc keeps a __proto__ key as an own property", () => {
  const value = parseJsonc('{"__proto__": {"polluted": true}}') as Record<string, unknown>;
  assert.equal(Object.getPrototypeOf(value), Object.prototype);
  assert.deepEqual(Object.keys(value), ["__proto__"]);
  assert.equal(({} as Record<string, unknown>).polluted, undefined);
});

const ERRORS: [string, string][] = [
  ["", "Line 1, column 1: expected a value, found the end of the text"],
  [
    '{\n  "a": 1\n  "b": 2\n}',
    'Line 3, column 3: expected "," or "}" after a property value, found "\\""',
  ],
  ["[1 2]", 'Line 1, column 4: expected "," or "]" after an array element, found "2"'],
  ["[1,,]", 'Line 1, column 4: expected a value, found ","'],
  ["[,]", 'Line 1, column 2: expected a value, found ","'],
  ["{,}", 'Line 1, column 2: expected a property name in quotes, found ","'],
  ["{a: 1}", 'Line 1, column 2: expected a property name in quotes, found "a"'],
  ["{'a': 1}", 'Line 1, column 2: expected a property name in quotes, found "\'"'],
  ['{"a" 1}', 'Line 1, column 6: expected ":" after a property name, found "1"'],
  ['{"a": 1, "a": 2}', 'Line 1, column 10: duplicate key "a"'],
  ['\n  "abc', "Line 2, column 3: unterminated string"],
  ['"a\tb"', "Line 1, column 3: control character in a string: escape it"],
  ['"\\x"', 'Line 1, column 2: invalid escape "\\\\x"'],
  ['"\\u12g4"', "Line 1, column 2: \\u must be followed by four hex digits"],
  ["01", "Line 1, column 2: invalid number"],
  ["1.", "Line 1, column 2: invalid number"],
  ["-", "Line 1, column 1: invalid number"],
  ["+1", 'Line 1, column 1: expected a value, found "+"'],
  ["NaN", 'Line 1, column 1: expected a value, found "N"'],
  ["tru", 'Line 1, column 1: expected a value, found "t"'],
  ["{} {}", 'Line 1, column 4: unexpected "{" after the value'],
  ["truex", 'Line 1, column 5: unexpected "x" after the value'],
  ["[1] /* open", "Line 1, column 5: unterminated /* comment"],
  ["/ 1", 'Line 1, column 1: expected a value, found "/"'],
  ["[", "Line 1, column 2: expected a value, found the end of the text"],
];

Deno.test("parseJsonc reports each mistake with its line and column", () => {
  for (const [text, message] of ERRORS) {
    assert.throws(() => parseJsonc(text), (error: unknown) => {
      assert.ok(error instanceof JsoncSyntaxError, text);
      assert.equal(error.name, "JsoncSyntaxError");
      assert.equal(error.message, message, JSON.stringify(text));
      assert.equal(error.message, `Line ${error.line}, column ${error.column}: ${error.reason}`);
      return true;
    });
  }
});

Deno.test("parseJsonc refuses nesting deeper than 512 levels instead of overflowing", () => {
  assert.equal((parseJsonc("[".repeat(512) + "]".repeat(512)) as unknown[]).length, 1);
  assert.throws(
    () => parseJsonc("[".repeat(513) + "]".repeat(513)),
    { message: "Line 1, column 513: nesting is deeper than 512 levels" },
  );
  assert.throws(() => parseJsonc('{"a":'.repeat(100_000)), /nesting is deeper than 512 levels/);
});
