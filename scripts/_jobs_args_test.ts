import assert from "node:assert/strict";
import {
  DEFAULT_CHECK_COUNT,
  DEFAULT_GRACE_SECONDS,
  jobsUsage,
  MAX_CHECK_COUNT,
  parseJobsCommandLine,
} from "./_jobs_args.ts";
import { UsageError } from "./_cli_args.ts";

function usageError(args: string[], message: string): void {
  assert.throws(
    () => parseJobsCommandLine(args),
    (error) => error instanceof UsageError && error.message === message,
    `${JSON.stringify(args)} -> ${message}`,
  );
}

const COMMANDS = "run, once, check, status";

Deno.test("jobs args: defaults of every command", () => {
  assert.deepEqual([DEFAULT_GRACE_SECONDS, DEFAULT_CHECK_COUNT, MAX_CHECK_COUNT], [30, 3, 1000]);
  assert.deepEqual(parseJobsCommandLine(["run", "jobs.jsonc"]), {
    command: "run",
    file: "jobs.jsonc",
    json: false,
    graceMs: 30_000,
  });
  assert.deepEqual(parseJobsCommandLine(["once", "jobs.jsonc"]), {
    command: "once",
    file: "jobs.jsonc",
    jobs: [],
    json: false,
  });
  assert.deepEqual(parseJobsCommandLine(["check", "jobs.jsonc"]), {
    command: "check",
    file: "jobs.jsonc",
    count: 3,
    json: false,
  });
  assert.deepEqual(parseJobsCommandLine(["status", "jobs.jsonc"]), {
    command: "status",
    file: "jobs.jsonc",
    json: false,
  });
});

Deno.test("jobs args: every option", () => {
  assert.deepEqual(parseJobsCommandLine(["run", "--json", "j.json", "--grace", "2.5"]), {
    command: "run",
    file: "j.json",
    json: true,
    graceMs: 2500,
  });
  assert.deepEqual(parseJobsCommandLine(["once", "j.json", "b", "--json", "a"]), {
    command: "once",
    file: "j.json",
    jobs: ["b", "a"],
    json: true,
  });
  assert.deepEqual(parseJobsCommandLine(["check", "j.json", "--count", "1000", "--json"]), {
    command: "check",
    file: "j.json",
    count: 1000,
    json: true,
  });
  assert.deepEqual(parseJobsCommandLine(["status", "--json", "j.json"]), {
    command: "status",
    file: "j.json",
    json: true,
  });
  // After "--", a job may start with a dash.
  assert.deepEqual(parseJobsCommandLine(["once", "j.json", "--", "-odd"]), {
    command: "once",
    file: "j.json",
    jobs: ["-odd"],
    json: false,
  });
});

Deno.test("jobs args: help wins", () => {
  for (
    const args of [["--help"], ["-h"], ["help"], ["run", "--nope", "-h"], ["check", "--help"]]
  ) {
    assert.deepEqual(parseJobsCommandLine(args), { command: "help" }, JSON.stringify(args));
  }
  // After "--" it is an operand.
  assert.deepEqual(parseJobsCommandLine(["once", "j", "--", "--help"]), {
    command: "once",
    file: "j",
    jobs: ["--help"],
    json: false,
  });
});

Deno.test("jobs args: usage errors", () => {
  usageError([], `Missing command: expected ${COMMANDS}`);
  usageError(["go"], `Unknown command "go": expected ${COMMANDS}`);
  usageError(["--json"], `Expected a command (${COMMANDS}) before "--json"`);
  usageError(["help", "run"], `Unknown command "help": expected ${COMMANDS}`);
  usageError(["run"], "Missing <file>: run <file>");
  usageError(["once"], "Missing <file>: once <file>");
  usageError(["check", "--json"], "Missing <file>: check <file>");
  usageError(["status"], "Missing <file>: status <file>");
  usageError(["run", ""], "<file> must not be empty");
  usageError(["run", "a", "b"], 'Unexpected argument: "b"');
  usageError(["check", "a", "b"], 'Unexpected argument: "b"');
  usageError(["status", "a", "b"], 'Unexpected argument: "b"');
  usageError(["once", "a", "x", ""], "[job] must not be empty");
  usageError(["once", "a", "x", "y", "x"], 'Job "x" given twice');
  usageError(["run", "a", "--count", "3"], 'Unknown option "--count" for run');
  usageError(["once", "a", "--grace", "3"], 'Unknown option "--grace" for once');
  usageError(["status", "a", "--count", "3"], 'Unknown option "--count" for status');
  usageError(["check", "a", "--grace", "3"], 'Unknown option "--grace" for check');
  usageError(["run", "a", "--grace"], "Option --grace needs a value");
  usageError(["check", "a", "--count", "-1"], "Option --count needs a value");
  usageError(["once", "a", "--json=1"], "Option --json takes no value");
  usageError(
    ["run", "a", "--grace", "0"],
    '--grace must be a number of seconds above 0 and at most 86400, got "0"',
  );
  for (const count of ["0", "1001", "2.5", "x", "", "00000"]) {
    usageError(
      ["check", "a", "--count", count],
      `--count must be a whole number from 1 to 1000, got ${JSON.stringify(count)}`,
    );
  }
});

Deno.test("jobs args: the usage text names every command and option", () => {
  const usage = jobsUsage();
  for (
    const text of [
      "jobs.ts run <file> [--json] [--grace S]",
      "jobs.ts once <file> [job...] [--json]",
      "jobs.ts check <file> [--count N] [--json]",
      "jobs.ts status <file> [--json]",
      "(default\n                       30)",
      "1 to 1000\n                       (default 3)",
      "130  once",
    ]
  ) {
    assert.ok(usage.includes(text), text);
  }
  assert.ok(usage.split("\n").every((line) => line.length <= 100));
});
