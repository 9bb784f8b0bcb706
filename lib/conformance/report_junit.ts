/**
 * The JUnit XML report of a conformance run (`conformance.ts run URL --junit FILE`), for CI
 * systems: one `<testsuite>` per RFC (grouped as in the table), one `<testcase>` per check,
 * named by its id (ids never change, so CI history follows them). A `fail` has a `<failure>`,
 * a `skip` a `<skipped>`, a `warn` passes with `WARN: detail` in `<system-out>`; the title,
 * level and full RFC reference are testcase properties, log lines go to `<system-out>`.
 *
 * Text is escaped for XML 1.0; characters XML cannot hold (C0 controls other than tab, LF and
 * CR; lone surrogates; U+FFFE and U+FFFF) are removed. Pure.
 *
 * @module
 */

import type { CheckResult, RunReport } from "./runner.ts";
import { groupByRfc } from "./report.ts";

const NOT_XML_RE =
  // deno-lint-ignore no-control-regex -- removing control characters is the point
  /[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]|[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/g;

const ENTITIES: Record<string, string> = {
  "&": "&amp;",
  "<": "&lt;",
  ">": "&gt;",
  '"': "&quot;",
  "'": "&apos;",
  "\t": "&#9;",
  "\n": "&#10;",
  "\r": "&#13;",
};

/** Text content: markup characters escaped, CR kept as `&#13;` (parsers turn a raw one into LF). */
function text(value: string): string {
  return value.replace(NOT_XML_RE, "").replace(/[&<>\r]/g, (c) => ENTITIES[c]);
}

/** An attribute value in double quotes: tabs and line breaks kept as character references. */
function attr(value: string): string {
  return value.replace(NOT_XML_RE, "").replace(/[&<>"'\t\n\r]/g, (c) => ENTITIES[c]);
}

function seconds(ms: number): string {
  return (ms / 1000).toFixed(3);
}

function testcase(check: CheckResult, suite: string): string[] {
  const head = `    <testcase classname="${attr(suite)}" name="${attr(check.id)}" time="${
    seconds(check.ms)
  }">`;
  const lines = [head, "      <properties>"];
  for (
    const [name, value] of [["title", check.title], ["level", check.level], ["rfc", check.rfc]]
  ) {
    lines.push(`        <property name="${name}" value="${attr(value)}"/>`);
  }
  lines.push("      </properties>");
  const firstLine = check.detail.split(/\r?\n/)[0];
  if (check.status === "fail") {
    lines.push(
      `      <failure message="${attr(firstLine)}" type="${attr(check.level)}">${
        text(check.detail)
      }</failure>`,
    );
  } else if (check.status === "skip") {
    lines.push(`      <skipped message="${attr(check.detail)}"/>`);
  }
  const out = [
    ...check.status === "warn" ? [`WARN: ${check.detail}`] : [],
    ...check.serverDown ? ["SERVER DOWN: the server stopped answering after this check"] : [],
    ...check.log ?? [],
  ];
  if (out.length > 0) lines.push(`      <system-out>${text(out.join("\n"))}</system-out>`);
  lines.push("    </testcase>");
  return lines;
}

/**
 * The report as JUnit XML: `<testsuites>` with one `<testsuite>` per RFC group.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { formatReportJunit } from "./report_junit.ts";
 * const xml = formatReportJunit({
 *   server: "tftp://127.0.0.1:69/",
 *   started: "2024-01-01T00:00:00.000Z",
 *   durationMs: 20,
 *   checks: [{
 *     id: "error-not-found", title: "Missing file", rfc: "RFC 1350", level: "must",
 *     status: "fail", detail: 'got ERROR 0 "<no such file>"', ms: 20,
 *   }],
 * });
 * assert.ok(xml.startsWith('<?xml version="1.0" encoding="UTF-8"?>\n<testsuites'));
 * assert.ok(xml.includes('<testsuite name="RFC 1350" tests="1" failures="1" errors="0" skipped="0"'));
 * assert.ok(xml.includes("&quot;&lt;no such file&gt;&quot;"));
 * ```
 *
 * @param report The run's report.
 * @returns The XML document, ending with a newline.
 */
export function formatReportJunit(report: RunReport): string {
  const count = (checks: readonly CheckResult[], status: CheckResult["status"]) =>
    checks.filter((check) => check.status === status).length;
  const all = report.checks;
  const lines = [
    '<?xml version="1.0" encoding="UTF-8"?>',
    `<testsuites name="${attr(`TFTP conformance of ${report.server}`)}" tests="${all.length}" ` +
    `failures="${count(all, "fail")}" errors="0" skipped="${count(all, "skip")}" time="${
      seconds(report.durationMs)
    }" timestamp="${attr(report.started)}">`,
  ];
  for (const group of groupByRfc(all)) {
    const ms = group.checks.reduce((sum, check) => sum + check.ms, 0);
    lines.push(
      `  <testsuite name="${attr(group.rfc)}" tests="${group.checks.length}" failures="${
        count(group.checks, "fail")
      }" errors="0" skipped="${count(group.checks, "skip")}" time="${seconds(ms)}" ` +
        `timestamp="${attr(report.started)}">`,
    );
    for (const check of group.checks) lines.push(...testcase(check, group.rfc));
    lines.push("  </testsuite>");
  }
  lines.push("</testsuites>");
  return lines.map((line) => `${line}\n`).join("");
}
