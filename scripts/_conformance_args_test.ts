import assert from "node:assert/strict";
import {
  type ConformanceCommand,
  conformanceUsage,
  parseConformanceCommandLine as parse,
  parseServerUrl,
  UsageError,
} from "./_conformance_args.ts";

type Run = Extract<ConformanceCommand, { command: "run" }>;

function run(args: string[]): Run {
  const cmd = parse(["run", ...args]);
  assert.equal(cmd.command, "run");
  return cmd as Run;
}

function usageError(args: string[], message: string): void {
  assert.throws(() => parse(args), (error: unknown) => {
    assert.ok(error instanceof UsageError, `expected UsageError, got ${error}`);
    assert.equal(error.name, "UsageError");
    assert.equal(error.message, message);
    return true;
  });
}

Deno.test("conformance args: run defaults", () => {
  assert.deepEqual(run(["tftp://127.0.0.1:6969/"]), {
    command: "run",
    url: "tftp://127.0.0.1:6969/",
    server: { hostname: "127.0.0.1", port: 6969 },
    writable: false,
    only: undefined,
    skip: [],
    timeoutScale: 1,
    plugins: [],
    json: undefined,
    junit: undefined,
    verbose: false,
    noColor: false,
  });
});

Deno.test("conformance args: run with every option", () => {
  assert.deepEqual(
    run([
      "tftp://[::1]/",
      "--writable",
      "--only",
      "rrq-basic,new-tid",
      "--only=backoff",
      "--skip",
      "rollover",
      "--timeout-scale",
      "2.5",
      "--plugin",
      "a.ts",
      "--plugin=../b.ts",
      "--json",
      "-",
      "--junit",
      "out/junit.xml",
      "--verbose",
      "--no-color",
    ]),
    {
      command: "run",
      url: "tftp://[::1]:69/",
      server: { hostname: "::1", port: 69 },
      writable: true,
      only: ["rrq-basic", "new-tid", "backoff"],
      skip: ["rollover"],
      timeoutScale: 2.5,
      plugins: ["a.ts", "../b.ts"],
      json: "-",
      junit: "out/junit.xml",
      verbose: true,
      noColor: true,
    },
  );
  assert.equal(run(["tftp://h/", "--timeout-scale", ".5"]).timeoutScale, 0.5);
  assert.equal(run(["tftp://h/", "--timeout-scale", "100"]).timeoutScale, 100);
  assert.deepEqual(run(["tftp://h/", "--only", " a , b "]).only, ["a", "b"]);
});

Deno.test("parseServerUrl: a server URL, written one way", () => {
  assert.deepEqual(parseServerUrl("tftp://127.0.0.1/"), {
    url: "tftp://127.0.0.1:69/",
    server: { hostname: "127.0.0.1", port: 69 },
  });
  assert.equal(parseServerUrl("tftp://Server.example:1069").url, "tftp://Server.example:1069/");
  assert.deepEqual(parseServerUrl("tftp://[fe80::1%25eth0]:69/"), {
    url: "tftp://[fe80::1%25eth0]:69/",
    server: { hostname: "fe80::1%eth0", port: 69 },
  });
  const notServer = (text: string) =>
    `<tftp-url> must name only the server, e.g. tftp://127.0.0.1:69/, got ${JSON.stringify(text)}`;
  for (const text of ["tftp://h/boot.bin", "tftp://h//", "tftp://h/;mode=netascii", "tftp://h;x"]) {
    assert.throws(() => parseServerUrl(text), { name: "UsageError", message: notServer(text) });
  }
  assert.throws(() => parseServerUrl("tftp://h:0/"), {
    name: "UsageError",
    message: 'Invalid TFTP URL "tftp://h:0/": port must be between 1 and 65535, got 0',
  });
  assert.throws(() => parseServerUrl("tftp://a b/"), {
    message: `Invalid TFTP URL "tftp://a b/": "a b" is not a valid host name`,
  });
  assert.throws(() => parseServerUrl("http://h/"), {
    message: 'Invalid TFTP URL "http://h/": it must start with "tftp://"',
  });
  assert.throws(() => parseServerUrl("tftp://h/?x"), {
    message: 'Invalid TFTP URL "tftp://h/?x": a query is not allowed',
  });
  assert.throws(() => parseServerUrl("tftp://h/x#y"), {
    message: 'Invalid TFTP URL "tftp://h/x#y": a fragment is not allowed',
  });
  assert.throws(() => parseServerUrl("tftp:///"), {
    message: 'Invalid TFTP URL "tftp:///": the host is empty',
  });
});

Deno.test("conformance args: fixtures, list and help", () => {
  assert.deepEqual(parse(["fixtures", "/srv/conf"]), { command: "fixtures", dir: "/srv/conf" });
  assert.deepEqual(parse(["list"]), { command: "list", plugins: [] });
  assert.deepEqual(parse(["list", "--plugin", "x.ts", "--plugin", "y.ts"]), {
    command: "list",
    plugins: ["x.ts", "y.ts"],
  });
  for (
    const args of [["--help"], ["-h"], ["help"], ["run", "--help"], ["run", "bad", "-h"], [
      "nope",
      "--help",
    ]]
  ) {
    assert.deepEqual(parse(args), { command: "help" }, args.join(" "));
  }
  const text = conformanceUsage();
  assert.ok(text.startsWith("conformance.ts: probe a running TFTP server"));
  for (
    const flag of ["--writable", "--only ID,ID", "--skip ID,ID", "--plugin FILE", "--json FILE"]
  ) {
    assert.ok(text.includes(`  ${flag}`), flag);
  }
  assert.ok(text.endsWith("130  Interrupted by SIGINT (143: SIGTERM)\n"));
});

Deno.test("conformance args: usage errors", () => {
  usageError([], "Missing command: expected run, fixtures or list");
  usageError(["go"], 'Unknown command "go"');
  usageError(["--writable"], 'Expected a command (run, fixtures, list) before "--writable"');
  usageError(["help", "run"], 'Unexpected argument: "run"');
  usageError(["run"], "Missing <tftp-url>: run <tftp-url>");
  usageError(["run", "tftp://h/", "tftp://i/"], 'Unexpected argument: "tftp://i/"');
  usageError(["run", "tftp://h/", "--bogus"], 'Unknown option "--bogus" for run');
  usageError(["run", "tftp://h/", "--json"], "Option --json needs a value");
  usageError(["run", "tftp://h/", "--writable=yes"], "Option --writable takes no value");
  usageError(["run", "tftp://h/", "--json="], "--json must be a file name or -");
  usageError(
    ["run", "tftp://h/", "--junit", "-"],
    "--junit must be a file name (only --json can write to stdout)",
  );
  usageError(["run", "tftp://h/", "--plugin="], "--plugin must not be empty");
  usageError(
    ["run", "tftp://h/", "--only", "a,,b"],
    '--only must be check ids separated by commas, got "a,,b"',
  );
  usageError(
    ["run", "tftp://h/", "--skip", "a", "--skip", ""],
    '--skip must be check ids separated by commas, got "a,"',
  );
  for (const scale of ["0", "-1", "101", "1e3", "x", "", "0.0000001"]) {
    usageError(
      ["run", "tftp://h/", `--timeout-scale=${scale}`],
      `--timeout-scale must be a number above 0 and at most 100, got ${JSON.stringify(scale)}`,
    );
  }
  usageError(["fixtures"], "Missing <dir>: fixtures <dir>");
  usageError(["fixtures", "a", "b"], 'Unexpected argument: "b"');
  usageError(["fixtures", ""], "<dir> must not be empty");
  usageError(["fixtures", "a", "--force"], 'Unknown option "--force" for fixtures');
  usageError(["list", "extra"], 'Unexpected argument: "extra"');
  usageError(["list", "--", "--help"], 'Unexpected argument: "--help"');
  usageError(["list", "--writable"], 'Unknown option "--writable" for list');
});
