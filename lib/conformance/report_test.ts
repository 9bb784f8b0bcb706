import assert from "node:assert/strict";
import { formatReportTable, formatResultLine, groupByRfc } from "./report.ts";
import { formatReportJson, toJsonReport } from "./report_json.ts";
import { formatReportJunit } from "./report_junit.ts";
import type { CheckResult, RunReport } from "./runner.ts";

function result(id: string, rfc: string, more: Partial<CheckResult> = {}): CheckResult {
  return {
    id,
    title: `Title ${id}`,
    rfc,
    level: "must",
    status: "pass",
    detail: "ok",
    ms: 1,
    ...more,
  };
}

const REPORT: RunReport = {
  server: "tftp://127.0.0.1:6969/",
  started: "2024-01-01T00:00:00.000Z",
  durationMs: 2345,
  checks: [
    result("blksize-range", "RFC 2348", {
      status: "warn",
      level: "should",
      detail: "no OACK",
      ms: 12,
    }),
    result("rrq-basic", "RFC 1350", { measured: { blocks: 3 }, ms: 5 }),
    result("backoff", "RFC 1123 4.2.3.2", {
      status: "fail",
      detail: "intervals 1000, 1000, 1000 ms: no backoff",
      ms: 3001,
      log: ["retransmit at 1000 ms"],
    }),
    result("wrq-basic", "RFC 1350", { status: "skip", detail: "needs --writable", ms: 0 }),
    result("plugin-x", "vendor note", { level: "interop" }),
    result("rollover", "RFC 1350", { status: "fail", detail: "stuck at 65535", serverDown: true }),
    result("windowsize", "RFC 7440", { log: [] }),
    result("uri", "RFC 3617"),
    result("tsize-rrq", "RFC 2349"),
    result("oack-only-requested", "RFC 2347"),
    result("another", "RFC 906"),
  ],
};

Deno.test("groupByRfc: the RFC order of the report, then the others alphabetically", () => {
  assert.deepEqual(
    groupByRfc(REPORT.checks).map((g) => [g.rfc, g.checks.map((c) => c.id)]),
    [
      ["RFC 1350", ["rrq-basic", "wrq-basic", "rollover"]],
      ["RFC 1123", ["backoff"]],
      ["RFC 2347", ["oack-only-requested"]],
      ["RFC 2348", ["blksize-range"]],
      ["RFC 2349", ["tsize-rrq"]],
      ["RFC 7440", ["windowsize"]],
      ["RFC 3617", ["uri"]],
      ["RFC 906", ["another"]],
      ["vendor note", ["plugin-x"]],
    ],
  );
  assert.deepEqual(
    groupByRfc([result("a", "rfc1350"), result("b", " RFC-1350 section 6 ")]).map((g) => g.rfc),
    ["RFC 1350"],
  );
});

Deno.test("formatReportTable: grouped rows, wrapped details, score and the server-down line", () => {
  const report: RunReport = {
    ...REPORT,
    checks: [
      result("rrq-basic", "RFC 1350", { ms: 5 }),
      result("backoff", "RFC 1123 4.2.3.2", {
        status: "fail",
        level: "should",
        title: "Backoff",
        detail: "the intervals were 1000 1000 1000 ms and never grew, which breaks the rule\n" +
          "second line",
        ms: 3001,
      }),
      result("rollover", "RFC 1350", {
        status: "warn",
        detail: "",
        serverDown: true,
        log: ["a", "b\nc"],
      }),
      result("wrq-basic", "RFC 1350", { status: "skip", detail: "needs --writable", ms: 0 }),
    ],
  };
  assert.equal(
    formatReportTable(report, { width: 60 }),
    [
      "Conformance of tftp://127.0.0.1:6969/ (started 2024-01-01T00:00:00.000Z, 2.3 s)",
      "",
      "RFC 1350",
      "  PASS  rrq-basic  must    Title rrq-basic     5 ms",
      "        ok",
      "  WARN  rollover   must    Title rollover      1 ms",
      "  SKIP  wrq-basic  must    Title wrq-basic     0 ms",
      "        needs --writable",
      "",
      "RFC 1123",
      "  FAIL  backoff    should  Backoff          3001 ms",
      "        the intervals were 1000 1000 1000 ms and never grew,",
      "        which breaks the rule",
      "        second line",
      "",
      "1 passed, 1 failed, 1 warning, 1 skipped (must: 1/2)",
      'SERVER DOWN: the server stopped answering after check "rollover"; the verdicts after it ' +
      "are not reliable",
      "",
    ].join("\n"),
  );
  const withLog = formatReportTable(report, { width: 60, log: true });
  assert.ok(withLog.includes(
    "  WARN  rollover   must    Title rollover      1 ms\n" +
      "        | a\n        | b\n        | c\n  SKIP",
  ));
});

Deno.test("formatReportTable: colours, no checks, and later server-down checks", () => {
  const empty = formatReportTable({ ...REPORT, checks: [], durationMs: 7 }, { color: true });
  assert.equal(
    empty,
    "Conformance of tftp://127.0.0.1:6969/ (started 2024-01-01T00:00:00.000Z, 7 ms)\n\n" +
      "No checks ran.\n\n" +
      "\x1b[1m0 passed, 0 failed, 0 warnings, 0 skipped (must: 0/0)\x1b[0m\n",
  );
  const down = {
    ...REPORT,
    checks: ["a", "b", "c"].map((id) =>
      result(id, "RFC 1350", { status: "fail", serverDown: true })
    ),
  };
  const text = formatReportTable(down, { color: true });
  assert.ok(
    text.includes("\n\x1b[1mRFC 1350\x1b[0m\n  \x1b[31mFAIL\x1b[0m  a  must  Title a  1 ms\n"),
  );
  assert.ok(text.endsWith(
    '\x1b[1;31mSERVER DOWN: the server stopped answering after check "a" (and did not answer ' +
      "after 2 later checks); the verdicts after it are not reliable\x1b[0m\n",
  ));
  const statuses = formatReportTable(REPORT, { color: true });
  for (const colored of ["\x1b[32mPASS", "\x1b[33mWARN", "\x1b[90mSKIP", "\x1b[31mFAIL"]) {
    assert.ok(statuses.includes(`  ${colored}\x1b[0m  `), colored);
  }
  assert.ok(!formatReportTable(REPORT).includes("\x1b"));
});

Deno.test("formatReportTable and formatResultLine: server text cannot drive the terminal", () => {
  const hostile = result("path-leak", "RFC 1350", {
    title: "Error texts\x1b[2J",
    detail: 'got ERROR 2 "/srv/tftp\x1b]0;owned\x07" \u202eevil',
    log: ["\x9b31m"],
  });
  const table = formatReportTable({ ...REPORT, checks: [hostile] }, { log: true });
  // deno-lint-ignore no-control-regex -- looking for control characters is the point
  assert.ok(!/[\x00-\x09\x0b-\x1f\x7f-\x9f\u202e]/.test(table), table);
  assert.ok(table.includes('got ERROR 2 "/srv/tftp\\u001b]0;owned\\u0007" \\u202eevil'));
  assert.ok(table.includes("Error texts\\u001b[2J"));
  assert.ok(table.includes("| \\u009b31m"));
  const line = formatResultLine(hostile, { log: true });
  assert.equal(
    line,
    'PASS  path-leak  1 ms  got ERROR 2 "/srv/tftp\\u001b]0;owned\\u0007" \\u202eevil\n' +
      "        | \\u009b31m\n",
  );
});

Deno.test("formatResultLine: status colour, empty detail, one line", () => {
  assert.equal(
    formatResultLine(result("a", "RFC 1350", { status: "warn", detail: "", ms: 0 }), {
      color: true,
    }),
    "\x1b[33mWARN\x1b[0m  a  0 ms\n",
  );
  assert.equal(
    formatResultLine(result("a", "RFC 1350", { detail: "x\r\ny", log: ["hidden"] })),
    "PASS  a  1 ms  x / y\n",
  );
});

Deno.test("report JSON: exactly the contract's keys, in order, optional keys only when set", () => {
  const text = formatReportJson(REPORT);
  assert.ok(text.endsWith("}\n"));
  const parsed = JSON.parse(text);
  assert.deepEqual(Object.keys(parsed), ["server", "started", "durationMs", "checks"]);
  assert.equal(parsed.server, "tftp://127.0.0.1:6969/");
  assert.equal(parsed.started, "2024-01-01T00:00:00.000Z");
  assert.equal(parsed.durationMs, 2345);
  assert.equal(parsed.checks.length, REPORT.checks.length);
  const base = ["id", "title", "rfc", "level", "status", "detail", "ms"];
  const keys = parsed.checks.map((c: object) => Object.keys(c));
  assert.deepEqual(keys[0], base);
  assert.deepEqual(keys[1], [...base, "measured"]);
  assert.deepEqual(keys[2], [...base, "log"]);
  assert.deepEqual(keys[5], [...base, "serverDown"]);
  assert.deepEqual(keys[6], base, "an empty log is left out");
  assert.deepEqual(parsed.checks[1], {
    id: "rrq-basic",
    title: "Title rrq-basic",
    rfc: "RFC 1350",
    level: "must",
    status: "pass",
    detail: "ok",
    ms: 5,
    measured: { blocks: 3 },
  });
  assert.deepEqual(parsed.checks[2].log, ["retransmit at 1000 ms"]);
  assert.equal(parsed.checks[5].serverDown, true);
  assert.deepEqual(parsed, toJsonReport(REPORT));
  const withExtra = { ...REPORT, extra: 1, checks: [{ ...REPORT.checks[0], other: 2 }] };
  assert.deepEqual(Object.keys(toJsonReport(withExtra)), [
    "server",
    "started",
    "durationMs",
    "checks",
  ]);
  assert.deepEqual(Object.keys(toJsonReport(withExtra).checks[0]), base);
});

/**
 * A tiny XML well-formedness check: the declaration, balanced tags, quoted attributes without
 * raw `<`, text without raw `<` or `>`, only known entities, and no character XML forbids.
 * Returns the elements in document order.
 */
function parseXml(xml: string): { name: string; attrs: Record<string, string>; text: string }[] {
  assert.ok(xml.startsWith('<?xml version="1.0" encoding="UTF-8"?>\n'));
  // deno-lint-ignore no-control-regex -- looking for control characters is the point
  assert.ok(!/[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]/.test(xml), "forbidden character");
  const unescape = (s: string) => {
    assert.ok(!/&(?!(?:amp|lt|gt|quot|apos|#[0-9]+);)/.test(s), `bad entity in ${s}`);
    return s.replace(
      /&(amp|lt|gt|quot|apos|#[0-9]+);/g,
      (_, e: string) =>
        e.startsWith("#")
          ? String.fromCharCode(Number(e.slice(1)))
          : { amp: "&", lt: "<", gt: ">", quot: '"', apos: "'" }[e]!,
    );
  };
  const elements: { name: string; attrs: Record<string, string>; text: string }[] = [];
  const stack: { name: string; attrs: Record<string, string>; text: string }[] = [];
  const body = xml.slice(xml.indexOf("\n") + 1);
  const tokens = body.split(/(<[^>]*>)/);
  for (const token of tokens) {
    if (!token.startsWith("<")) {
      assert.ok(!token.includes(">") && !token.includes("<"), `raw markup in text ${token}`);
      if (stack.length > 0) stack[stack.length - 1].text += unescape(token);
      else assert.equal(token.trim(), "", "text outside the root");
      continue;
    }
    const close = /^<\/([a-z-]+)>$/.exec(token);
    if (close) {
      assert.equal(stack.pop()?.name, close[1], `unbalanced </${close[1]}>`);
      continue;
    }
    const open = /^<([a-z-]+)((?:\s+[a-z]+="[^"<]*")*)\s*(\/?)>$/.exec(token);
    assert.ok(open, `malformed tag ${token}`);
    const attrs: Record<string, string> = {};
    for (const [, name, value] of open[2].matchAll(/([a-z]+)="([^"]*)"/g)) {
      assert.ok(!(name in attrs), `duplicate attribute ${name}`);
      attrs[name] = unescape(value);
    }
    const element = { name: open[1], attrs, text: "" };
    elements.push(element);
    if (open[3] !== "/") stack.push(element);
  }
  assert.deepEqual(stack, [], "unclosed tags");
  return elements;
}

Deno.test("report JUnit: one suite per RFC, failure, skipped, warn as system-out", () => {
  const elements = parseXml(formatReportJunit(REPORT));
  const root = elements[0];
  assert.equal(root.name, "testsuites");
  assert.deepEqual(root.attrs, {
    name: "TFTP conformance of tftp://127.0.0.1:6969/",
    tests: "11",
    failures: "2",
    errors: "0",
    skipped: "1",
    time: "2.345",
    timestamp: "2024-01-01T00:00:00.000Z",
  });
  const suites = elements.filter((e) => e.name === "testsuite");
  assert.deepEqual(suites.map((s) => [s.attrs.name, s.attrs.tests, s.attrs.failures]), [
    ["RFC 1350", "3", "1"],
    ["RFC 1123", "1", "1"],
    ["RFC 2347", "1", "0"],
    ["RFC 2348", "1", "0"],
    ["RFC 2349", "1", "0"],
    ["RFC 7440", "1", "0"],
    ["RFC 3617", "1", "0"],
    ["RFC 906", "1", "0"],
    ["vendor note", "1", "0"],
  ]);
  assert.equal(suites[0].attrs.skipped, "1");
  assert.equal(suites[0].attrs.time, "0.006");
  const cases = elements.filter((e) => e.name === "testcase");
  assert.deepEqual(cases.map((c) => c.attrs.name).slice(0, 4), [
    "rrq-basic",
    "wrq-basic",
    "rollover",
    "backoff",
  ]);
  assert.deepEqual(cases[3].attrs, { classname: "RFC 1123", name: "backoff", time: "3.001" });
  const failures = elements.filter((e) => e.name === "failure");
  assert.deepEqual(failures.map((f) => [f.attrs.message, f.attrs.type, f.text]), [
    ["stuck at 65535", "must", "stuck at 65535"],
    [
      "intervals 1000, 1000, 1000 ms: no backoff",
      "must",
      "intervals 1000, 1000, 1000 ms: no backoff",
    ],
  ]);
  const skipped = elements.filter((e) => e.name === "skipped");
  assert.deepEqual(skipped.map((s) => s.attrs.message), ["needs --writable"]);
  const outs = elements.filter((e) => e.name === "system-out").map((e) => e.text);
  assert.deepEqual(outs, [
    "SERVER DOWN: the server stopped answering after this check",
    "retransmit at 1000 ms",
    "WARN: no OACK",
  ]);
  const properties = elements.filter((e) => e.name === "property").slice(9, 12);
  assert.deepEqual(properties.map((p) => [p.attrs.name, p.attrs.value]), [
    ["title", "Title backoff"],
    ["level", "must"],
    ["rfc", "RFC 1123 4.2.3.2"],
  ]);
});

Deno.test("report JUnit: markup and control characters are escaped or removed", () => {
  const nasty = result("path-leak", "vendor <\"&'>\tnote", {
    status: "fail",
    title: "a\x00b\x1bc\ud800d\uffffe",
    detail: 'ERROR 2 "</failure><x>&amp;"\r\nline\ttwo',
    log: ["]]> <![CDATA[ x"],
  });
  const xml = formatReportJunit({ ...REPORT, server: "tftp://[::1]:69/?<&>", checks: [nasty] });
  const elements = parseXml(xml);
  assert.equal(elements[0].attrs.name, "TFTP conformance of tftp://[::1]:69/?<&>");
  const suite = elements.find((e) => e.name === "testsuite")!;
  assert.equal(suite.attrs.name, "vendor <\"&'>\tnote");
  assert.ok(xml.includes('<testsuite name="vendor &lt;&quot;&amp;&apos;&gt;&#9;note"'));
  const title = elements.find((e) => e.name === "property")!;
  assert.equal(title.attrs.value, "abcde");
  const failure = elements.find((e) => e.name === "failure")!;
  assert.equal(failure.attrs.message, 'ERROR 2 "</failure><x>&amp;"');
  assert.equal(failure.text, 'ERROR 2 "</failure><x>&amp;"\r\nline\ttwo');
  assert.ok(xml.includes("&#13;\nline\ttwo</failure>"));
  const out = elements.find((e) => e.name === "system-out")!;
  assert.equal(out.text, "]]> <![CDATA[ x");
  // A valid surrogate pair survives.
  const emoji = parseXml(formatReportJunit({
    ...REPORT,
    checks: [result("e", "RFC 1350", { status: "fail", detail: "\u{1f600}" })],
  }));
  assert.equal(emoji.find((e) => e.name === "failure")!.text, "\u{1f600}");
});
