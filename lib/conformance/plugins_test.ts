// Plugins are loaded from data: URLs here, so these tests need no permissions; loading files
// by relative path is covered by integration/conformance_cli_test.ts.
import assert from "node:assert/strict";
import { defineCheck } from "./check.ts";
import { loadPlugins, mergeChecks, pluginUrl } from "./plugins.ts";

/** A plugin module with `source` as its code. */
function plugin(source: string): string {
  return `data:application/javascript,${encodeURIComponent(source)}`;
}

function checkSource(id: string, extra = ""): string {
  return `{ id: ${JSON.stringify(id)}, title: "Title ${id}", rfc: "RFC 1350", level: "must", ` +
    `run: () => Promise.resolve({ status: "pass", detail: "${id}" })${extra} }`;
}

Deno.test("loadPlugins: default first, then named checks alphabetically; other exports ignored", async () => {
  const url = plugin(`
    const shared = ${checkSource("shared-check")};
    export default ${checkSource("default-check", ", writable: true, limitMs: 5000")};
    export const zeta = ${checkSource("zeta-check")};
    export const alpha = shared;
    export const again = shared;
    export const helper = () => 1;
    export const VERSION = "1.0";
    export const notACheck = { id: "x" };
  `);
  const checks = await loadPlugins([url]);
  assert.deepEqual(checks.map((c) => c.id), ["default-check", "shared-check", "zeta-check"]);
  assert.equal(checks[0].writable, true);
  assert.equal(checks[0].limitMs, 5000);
  assert.ok(checks.every(Object.isFrozen));
  assert.deepEqual(await checks[2].run({} as never), { status: "pass", detail: "zeta-check" });
});

Deno.test("loadPlugins: several files keep their order; the same module twice counts once", async () => {
  const a = plugin(`export default ${checkSource("a-check")};`);
  const b = plugin(`export const b = ${checkSource("b-check")};`);
  assert.deepEqual((await loadPlugins([b, a, b])).map((c) => c.id), ["b-check", "a-check"]);
  assert.deepEqual(await loadPlugins([]), []);
});

Deno.test("loadPlugins: a duplicate id names both plugins", async () => {
  const a = plugin(`export default ${checkSource("same-id")};`);
  const b = plugin(`export const mine = ${checkSource("same-id")};`);
  await assert.rejects(loadPlugins([a, b]), {
    name: "TypeError",
    message: `Check id "same-id" is defined twice: by plugin ${
      JSON.stringify(a)
    } (export default) and by plugin ${JSON.stringify(b)} (export "mine")`,
  });
});

Deno.test("loadPlugins: clear errors for broken plugins", async () => {
  const cases: [string, (url: string) => string][] = [
    [
      "export const helper = 1;",
      (url) =>
        `plugin ${url} exports no check: export default (or a named export) an object with ` +
        "id, title, rfc, level and run",
    ],
    [
      "export default 42;",
      (url) => `plugin ${url}: the default export is not a check (no id and run)`,
    ],
    [
      `export const bad = ${checkSource("Bad Id")};`,
      (url) =>
        `plugin ${url} (export "bad"): check "Bad Id": id must be lower-case words joined by ` +
        'dashes, got "Bad Id"',
    ],
    [
      `export default { id: "no-level", title: "t", rfc: "RFC 1350", level: "may", run() {} };`,
      (url) =>
        `plugin ${url} (export default): check "no-level": level must be one of must, ` +
        'should, interop, got "may"',
    ],
    [
      'throw new Error("boom\\nsecond line");',
      (url) => `Cannot load plugin ${url}: boom`,
    ],
  ];
  for (const [source, message] of cases) {
    const url = plugin(source);
    await assert.rejects(loadPlugins([url]), {
      name: "TypeError",
      message: message(JSON.stringify(url)),
    });
  }
  const syntax = plugin("export default {");
  await assert.rejects(loadPlugins([syntax]), (error: Error) => {
    assert.ok(error.message.startsWith(`Cannot load plugin ${JSON.stringify(syntax)}: `));
    assert.ok(!error.message.includes("\n"));
    return true;
  });
});

Deno.test("mergeChecks: built-in first; a plugin reusing a built-in id names both", async () => {
  const builtin = defineCheck({
    id: "rrq-basic",
    title: "Basic",
    rfc: "RFC 1350",
    level: "must",
    run: () => Promise.resolve({ status: "pass", detail: "" }),
  });
  const url = plugin(`export const mine = ${checkSource("rrq-basic")};`);
  const plugins = await loadPlugins([url]);
  assert.throws(() => mergeChecks([builtin], plugins), {
    name: "TypeError",
    message: `Check id "rrq-basic" is defined twice: by a built-in check and by plugin ${
      JSON.stringify(url)
    } (export "mine")`,
  });
  const other = await loadPlugins([plugin(`export default ${checkSource("my-check")};`)]);
  assert.deepEqual(mergeChecks([builtin], other).map((c) => c.id), ["rrq-basic", "my-check"]);
});

Deno.test("pluginUrl: paths become file URLs against cwd; URLs stay", () => {
  assert.equal(pluginUrl("a.ts", "/w"), "file:///w/a.ts");
  assert.equal(pluginUrl("./x/../b c.ts", "/w/d"), "file:///w/d/b%20c.ts");
  assert.equal(pluginUrl("../up.ts", "/w/d"), "file:///w/up.ts");
  assert.equal(pluginUrl("/abs/#x.ts", "/w"), "file:///abs/%23x.ts");
  assert.equal(pluginUrl("file:///abs/p.ts", "/w"), "file:///abs/p.ts");
  assert.equal(pluginUrl("data:text/javascript,1", "/w"), "data:text/javascript,1");
});
