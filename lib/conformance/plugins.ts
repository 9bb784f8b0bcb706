/**
 * Loading plugin checks (`conformance.ts run URL --plugin ./my_check.ts`): each file is
 * imported, its default export and every named export that looks like a check (an object
 * with `id` and `run`) are validated with {@linkcode defineCheck}, and ids must be unique
 * across plugins and built-in checks.
 *
 * A plugin runs inside the conformance process with its permissions: load only code you
 * trust.
 *
 * @module
 */

import { isAbsolute, resolve } from "node:path";
import { pathToFileURL } from "node:url";
import { type ConformanceCheck, defineCheck } from "./check.ts";

/** Where each loaded plugin check came from, e.g. `plugin "./a.ts" (export default)`. */
const SOURCES = new WeakMap<ConformanceCheck, string>();

/** A specifier with a scheme of two or more letters (`file:`, `data:`, `https:`), not `C:\`. */
const URL_RE = /^[a-z][a-z0-9+.-]+:/i;

function firstLine(error: unknown): string {
  const message = error instanceof Error ? error.message : String(error);
  return message.split("\n")[0].trim();
}

function looksLikeCheck(value: unknown): boolean {
  return typeof value === "object" && value !== null && "id" in value && "run" in value;
}

/**
 * The module URL of a plugin path: a URL (`file:`, `data:`, `https:` ...) stays as given; a
 * path is resolved against `cwd` and turned into a `file:` URL.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { pluginUrl } from "./plugins.ts";
 * assert.equal(pluginUrl("checks/my check.ts", "/home/me"), "file:///home/me/checks/my%20check.ts");
 * assert.equal(pluginUrl("/opt/c.ts", "/home/me"), "file:///opt/c.ts");
 * assert.equal(pluginUrl("https://example.com/c.ts", "/home/me"), "https://example.com/c.ts");
 * ```
 *
 * @param path The path or URL as the user wrote it.
 * @param cwd The directory relative paths start from.
 * @returns The URL to import.
 */
export function pluginUrl(path: string, cwd: string): string {
  if (URL_RE.test(path)) return path;
  return pathToFileURL(isAbsolute(path) ? path : resolve(cwd, path)).href;
}

/** Options of {@linkcode loadPlugins}. */
export interface LoadPluginsOptions {
  /** The directory relative paths start from. @default {Deno.cwd()} */
  cwd?: string;
}

/**
 * Imports each plugin and returns its checks, validated and frozen: per file the default
 * export first, then the named exports in alphabetical order (the order of the module
 * namespace); an object exported twice counts once. Throws a TypeError that names the plugin
 * when a file cannot be imported, exports no check, exports an invalid check, or when two
 * checks share an id.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { loadPlugins } from "./plugins.ts";
 * const source = `export default {
 *   id: "say-hello", title: "Hello", rfc: "RFC 1350", level: "interop",
 *   run: async () => ({ status: "pass", detail: "hello" }),
 * };`;
 * const [check] = await loadPlugins([`data:application/typescript,${encodeURIComponent(source)}`]);
 * assert.equal(check.id, "say-hello");
 * ```
 *
 * @param paths Plugin files (relative to `cwd`) or URLs, in order.
 * @param options Where relative paths start.
 * @returns The checks, in order.
 */
export async function loadPlugins(
  paths: readonly string[],
  options: LoadPluginsOptions = {},
): Promise<ConformanceCheck[]> {
  const cwd = options.cwd ?? Deno.cwd();
  const checks: ConformanceCheck[] = [];
  const seen = new Set<unknown>();
  for (const path of paths) {
    const name = `plugin ${JSON.stringify(path)}`;
    let module: Record<string, unknown>;
    try {
      module = await import(pluginUrl(path, cwd));
    } catch (error) {
      throw new TypeError(`Cannot load ${name}: ${firstLine(error)}`, { cause: error });
    }
    const exports = Object.keys(module).sort((a, b) =>
      a === "default" ? -1 : b === "default" ? 1 : a < b ? -1 : a > b ? 1 : 0
    );
    let found = 0;
    for (const key of exports) {
      const value = module[key];
      if (!looksLikeCheck(value)) {
        if (key === "default") {
          throw new TypeError(`${name}: the default export is not a check (no id and run)`);
        }
        continue;
      }
      found++;
      if (seen.has(value)) continue;
      seen.add(value);
      const where = `${name} (export ${key === "default" ? "default" : JSON.stringify(key)})`;
      let check: ConformanceCheck;
      try {
        check = defineCheck(value as ConformanceCheck);
      } catch (error) {
        throw new TypeError(`${where}: ${firstLine(error)}`, { cause: error });
      }
      SOURCES.set(check, where);
      checks.push(check);
    }
    if (found === 0) {
      throw new TypeError(
        `${name} exports no check: export default (or a named export) an object with id, ` +
          "title, rfc, level and run",
      );
    }
  }
  return mergeChecks([], checks);
}

function sourceOf(check: ConformanceCheck): string {
  return SOURCES.get(check) ?? "a built-in check";
}

/**
 * The built-in checks followed by the plugin checks; throws a TypeError naming both sources
 * when two checks share an id.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { defineCheck } from "./check.ts";
 * import { mergeChecks } from "./plugins.ts";
 * const make = (id: string) =>
 *   defineCheck({ id, title: id, rfc: "RFC 1350", level: "must", run: async () => ({ status: "pass", detail: "" }) });
 * assert.deepEqual(mergeChecks([make("a")], [make("b")]).map((c) => c.id), ["a", "b"]);
 * assert.throws(
 *   () => mergeChecks([make("a")], [make("a")]),
 *   /Check id "a" is defined twice: by a built-in check and by a built-in check/,
 * );
 * ```
 *
 * @param builtin The built-in checks.
 * @param plugins Checks from {@linkcode loadPlugins}.
 * @returns All of them, built-in first.
 */
export function mergeChecks(
  builtin: readonly ConformanceCheck[],
  plugins: readonly ConformanceCheck[],
): ConformanceCheck[] {
  const byId = new Map<string, ConformanceCheck>();
  for (const check of [...builtin, ...plugins]) {
    const other = byId.get(check.id);
    if (other !== undefined) {
      throw new TypeError(
        `Check id ${JSON.stringify(check.id)} is defined twice: by ${sourceOf(other)} and by ${
          sourceOf(check)
        }`,
      );
    }
    byId.set(check.id, check);
  }
  return [...byId.values()];
}
