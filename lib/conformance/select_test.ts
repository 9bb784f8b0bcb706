import assert from "node:assert/strict";
import { type ConformanceCheck, defineCheck } from "./check.ts";
import { selectChecks } from "./select.ts";

function check(id: string): ConformanceCheck {
  return defineCheck({
    id,
    title: `Title of ${id}`,
    rfc: "RFC 1350",
    level: "must",
    run: () => Promise.resolve({ status: "pass", detail: "" }),
  });
}

const CHECKS = ["a", "b", "c", "d"].map(check);
const ids = (selected: readonly ConformanceCheck[]) => selected.map((c) => c.id);

Deno.test("selectChecks: only and skip keep the checks' order", () => {
  assert.deepEqual(ids(selectChecks(CHECKS)), ["a", "b", "c", "d"]);
  assert.deepEqual(ids(selectChecks(CHECKS, { only: ["d", "b"] })), ["b", "d"]);
  assert.deepEqual(ids(selectChecks(CHECKS, { skip: ["a", "c"] })), ["b", "d"]);
  assert.deepEqual(ids(selectChecks(CHECKS, { only: ["a", "b"], skip: ["a"] })), ["b"]);
  assert.deepEqual(ids(selectChecks(CHECKS, { only: [] })), []);
  assert.deepEqual(ids(selectChecks([])), []);
});

Deno.test("selectChecks: unknown ids and duplicates are refused", () => {
  assert.throws(() => selectChecks(CHECKS, { only: ["a", "zz"] }), {
    name: "RangeError",
    message: 'Unknown check id "zz"; known ids: a, b, c, d',
  });
  assert.throws(() => selectChecks(CHECKS, { only: ["x"], skip: ["y", "x"] }), {
    name: "RangeError",
    message: 'Unknown check ids "x", "y"; known ids: a, b, c, d',
  });
  assert.throws(() => selectChecks([], { only: ["a"] }), {
    name: "RangeError",
    message: 'Unknown check id "a"; known ids: (none)',
  });
  assert.throws(() => selectChecks([CHECKS[0], CHECKS[1], CHECKS[0]]), {
    name: "TypeError",
    message: 'Check id "a" is used by two checks',
  });
});
