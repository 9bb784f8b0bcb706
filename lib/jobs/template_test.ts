import assert from "node:assert/strict";
import { DEST_TOKENS, renderDest, templateTokens } from "./template.ts";

const ALL = "{job}/{yyyy}/{mm}/{dd}/{HH}{MM}{SS}/{date}T{time}";

function render(iso: string, timezone: string, template = "{date}_{time}"): string {
  return renderDest(template, { job: "sw1", at: new Date(iso), timezone });
}

Deno.test("renderDest fills every token in UTC, with 00 at midnight and leap days", () => {
  assert.equal(
    render("2026-01-01T00:00:00Z", "UTC", ALL),
    "sw1/2026/01/01/000000/2026-01-01T000000",
  );
  assert.equal(
    render("2026-02-28T23:59:59Z", "UTC", ALL),
    "sw1/2026/02/28/235959/2026-02-28T235959",
  );
  assert.equal(render("2028-02-29T12:34:56.999Z", "UTC"), "2028-02-29_123456");
  assert.equal(render("0999-05-06T07:08:09Z", "UTC"), "0999-05-06_070809");
});

Deno.test("renderDest uses the wall clock of Europe/Berlin across the spring change", () => {
  // 2026-03-29 01:00 UTC: 02:00 CET becomes 03:00 CEST; 02:xx local does not exist.
  assert.equal(render("2026-03-28T23:30:00Z", "Europe/Berlin"), "2026-03-29_003000");
  assert.equal(render("2026-03-29T00:59:59Z", "Europe/Berlin"), "2026-03-29_015959");
  assert.equal(render("2026-03-29T01:00:00Z", "Europe/Berlin"), "2026-03-29_030000");
  assert.equal(render("2026-03-29T22:00:00Z", "Europe/Berlin"), "2026-03-30_000000");
});

Deno.test("renderDest repeats 02:30 in Europe/Berlin on the autumn change", () => {
  // 2026-10-25 01:00 UTC: 03:00 CEST becomes 02:00 CET; 02:xx local happens twice.
  assert.equal(render("2026-10-25T00:30:00Z", "Europe/Berlin"), "2026-10-25_023000");
  assert.equal(render("2026-10-25T01:30:00Z", "Europe/Berlin"), "2026-10-25_023000");
  assert.equal(render("2026-10-25T00:30:00Z", "UTC"), "2026-10-25_003000");
  assert.equal(render("2026-10-25T01:30:00Z", "UTC"), "2026-10-25_013000");
  assert.equal(render("2026-10-24T22:00:00Z", "Europe/Berlin"), "2026-10-25_000000");
  assert.equal(render("2026-10-25T23:00:00Z", "Europe/Berlin"), "2026-10-26_000000");
});

Deno.test("renderDest handles the half-hour offset of Asia/Kolkata across a year end", () => {
  assert.equal(
    render("2026-12-31T18:29:59Z", "Asia/Kolkata", ALL),
    "sw1/2026/12/31/235959/2026-12-31T235959",
  );
  assert.equal(
    render("2026-12-31T18:30:00Z", "Asia/Kolkata", ALL),
    "sw1/2027/01/01/000000/2027-01-01T000000",
  );
});

Deno.test("renderDest keeps other text, repeats tokens and puts in the job name", () => {
  assert.equal(
    renderDest("/srv/{job}-{job}/a b{/{HH}}.cfg", {
      job: "core.sw-1_a",
      at: new Date("2026-06-01T09:00:00Z"),
      timezone: "UTC",
    }),
    "/srv/core.sw-1_a-core.sw-1_a/a b{/09}.cfg",
  );
  assert.equal(render("2026-06-01T09:00:00Z", "UTC", "fixed.cfg"), "fixed.cfg");
});

Deno.test("renderDest throws a RangeError for unknown tokens, zones and invalid dates", () => {
  const at = new Date("2026-06-01T00:00:00Z");
  assert.throws(() => renderDest("b/{hh}.cfg", { job: "a", at, timezone: "UTC" }), {
    name: "RangeError",
    message: 'Cannot render "b/{hh}.cfg": unknown token "{hh}"',
  });
  assert.throws(() => renderDest("b/{}.cfg", { job: "a", at, timezone: "UTC" }), {
    name: "RangeError",
    message: 'Cannot render "b/{}.cfg": unknown token "{}"',
  });
  assert.throws(
    () => renderDest("{date}", { job: "a", at: new Date(Number.NaN), timezone: "UTC" }),
    { name: "RangeError", message: 'Cannot render "{date}": the date is invalid' },
  );
  assert.throws(
    () => renderDest("{date}", { job: "a", at, timezone: "Mars/Olympus" }),
    { name: "RangeError" },
  );
});

Deno.test("templateTokens lists names between braces in order, known or not", () => {
  assert.deepEqual(templateTokens(ALL), [
    "job",
    "yyyy",
    "mm",
    "dd",
    "HH",
    "MM",
    "SS",
    "date",
    "time",
  ]);
  assert.deepEqual(templateTokens("a/{foo}/{{job}}/{}/{x"), ["foo", "job", ""]);
  assert.deepEqual(templateTokens("plain.cfg"), []);
  assert.deepEqual([...DEST_TOKENS].sort(), templateTokens(ALL).sort());
});
