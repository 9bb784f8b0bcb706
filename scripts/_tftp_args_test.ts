import assert from "node:assert/strict";
import { parseCommandLine, remoteBaseName, usage, UsageError } from "./_tftp_args.ts";

Deno.test("get: defaults and the output named after the remote file", () => {
  assert.deepEqual(parseCommandLine(["get", "tftp://127.0.0.1:6969/pxe/boot.0"]), {
    command: "get",
    urlText: "tftp://127.0.0.1:6969/pxe/boot.0",
    url: { hostname: "127.0.0.1", port: 6969, path: "pxe/boot.0", mode: "octet" },
    output: "boot.0",
    transfer: {
      blksize: undefined,
      windowsize: undefined,
      timeoutS: undefined,
      retries: undefined,
      giveUpMs: undefined,
      tsize: true,
      noOptions: false,
      mode: undefined,
      busyPollUs: undefined,
    },
    json: false,
    quiet: false,
    trace: false,
    pcap: undefined,
  });
});

Deno.test("get: every transfer flag, options after and before positionals", () => {
  const cmd = parseCommandLine([
    "get",
    "--blksize",
    "512",
    "tftp://[::1]/a.txt;mode=netascii",
    "-",
    "--windowsize=8",
    "--timeout",
    "3",
    "--retries",
    "0",
    "--give-up",
    "0",
    "--no-tsize",
    "--no-options",
    "--mode",
    "octet",
    "--json",
    "-q",
    "--trace",
    "--busy-poll",
    "50",
  ]);
  assert.equal(cmd.command, "get");
  if (cmd.command !== "get") return;
  assert.equal(cmd.output, "-");
  assert.equal(cmd.url.hostname, "::1");
  assert.equal(cmd.url.mode, "netascii");
  assert.deepEqual(cmd.transfer, {
    blksize: 512,
    windowsize: 8,
    timeoutS: 3,
    retries: 0,
    giveUpMs: 0,
    tsize: false,
    noOptions: true,
    mode: "octet",
    busyPollUs: 50,
  });
  assert.deepEqual([cmd.json, cmd.quiet, cmd.trace], [true, true, true]);
});

Deno.test("--tsize and --no-tsize: the last one wins", () => {
  const tsize = (...flags: string[]) => {
    const cmd = parseCommandLine(["put", "a", "tftp://h/a", ...flags]);
    return cmd.command === "put" && cmd.transfer.tsize;
  };
  assert.equal(tsize(), true);
  assert.equal(tsize("--no-tsize"), false);
  assert.equal(tsize("--no-tsize", "--tsize"), true);
  assert.equal(tsize("--tsize", "--no-tsize"), false);
});

Deno.test("put: stdin and the URL", () => {
  const cmd = parseCommandLine(["put", "-", "tftp://host.example:70/up/x.cfg"]);
  assert.equal(cmd.command, "put");
  if (cmd.command !== "put") return;
  assert.equal(cmd.input, "-");
  assert.deepEqual(cmd.url, {
    hostname: "host.example",
    port: 70,
    path: "up/x.cfg",
    mode: "octet",
  });
});

Deno.test("serve: defaults and every server flag", () => {
  assert.deepEqual(parseCommandLine(["serve", "/srv/tftp"]), {
    command: "serve",
    root: "/srv/tftp",
    server: {
      hostname: "0.0.0.0",
      port: 69,
      allowOverwrite: false,
      allowCreate: false,
      portRange: undefined,
      maxBlksize: undefined,
      maxWindowsize: undefined,
      timeoutMs: undefined,
      retries: undefined,
      giveUpMs: undefined,
      maxTransfers: undefined,
      maxTransfersPerClient: undefined,
      requestsPerSecond: undefined,
      unansweredBurst: undefined,
      maxWriteBytes: undefined,
      graceMs: 5000,
      busyPollUs: undefined,
      readChunkBytes: undefined,
      fileCacheBytes: undefined,
      fileCacheMaxFileBytes: undefined,
    },
    json: false,
    quiet: false,
    trace: false,
    pcap: undefined,
  });
  const cmd = parseCommandLine([
    "serve",
    "root",
    "--host",
    "[::1]",
    "--port",
    "0",
    "--write",
    "--create",
    "--port-range",
    "50000-50100",
    "--max-blksize",
    "1468",
    "--max-windowsize",
    "16",
    "--timeout",
    "2",
    "--retries",
    "9",
    "--give-up",
    "60",
    "--max-transfers",
    "2000",
    "--max-per-client",
    "500",
    "--rate",
    "1000",
    "--unanswered-burst",
    "4",
    "--max-write-size",
    "16MiB",
    "--grace",
    "0",
    "--busy-poll",
    "20",
    "--read-chunk",
    "16K",
    "--cache",
    "0",
    "--cache-file-max",
    "8M",
    "--json",
  ]);
  assert.equal(cmd.command, "serve");
  if (cmd.command !== "serve") return;
  assert.deepEqual(cmd.server, {
    hostname: "::1",
    port: 0,
    allowOverwrite: true,
    allowCreate: true,
    portRange: [50000, 50100],
    maxBlksize: 1468,
    maxWindowsize: 16,
    timeoutMs: 2000,
    retries: 9,
    giveUpMs: 60_000,
    maxTransfers: 2000,
    maxTransfersPerClient: 500,
    requestsPerSecond: 1000,
    unansweredBurst: 4,
    maxWriteBytes: 16 * 2 ** 20,
    graceMs: 0,
    busyPollUs: 20,
    readChunkBytes: 16384,
    fileCacheBytes: 0,
    fileCacheMaxFileBytes: 8 * 2 ** 20,
  });
  assert.equal(cmd.json, true);
  const size = (text: string) => {
    const parsed = parseCommandLine(["serve", "r", "--max-write-size", text]);
    return parsed.command === "serve" ? parsed.server.maxWriteBytes : undefined;
  };
  assert.deepEqual(["1000", "512K", "4g", "2GiB", "1TB"].map(size), [
    1000,
    512 * 1024,
    4 * 2 ** 30,
    2 * 2 ** 30,
    2 ** 40,
  ]);
  assert.throws(
    () => size("1.5M"),
    (e: Error) =>
      e.message ===
        '--max-write-size must be a number of bytes like 1048576, 512K or 4G, got "1.5M"',
  );
  assert.throws(() => size("999999999999999T"), /--max-write-size is too large/);
});

Deno.test("help: every spelling, and --help wins over other problems", () => {
  const cases: [string[], string | undefined][] = [
    [["--help"], undefined],
    [["-h"], undefined],
    [["help"], undefined],
    [["help", "serve"], "serve"],
    [["get", "--help"], "get"],
    [["put", "-h", "--bogus"], "put"],
    [["serve", "--bogus", "--help"], "serve"],
    [["--json", "--help"], undefined],
  ];
  for (const [args, topic] of cases) {
    assert.deepEqual(parseCommandLine(args), { command: "help", topic }, args.join(" "));
  }
});

Deno.test("usage errors: exact messages", () => {
  const cases: [string[], string][] = [
    [[], "Missing command: expected get, put or serve"],
    [["fetch"], 'Unknown command "fetch"'],
    [["--json"], 'Expected a command (get, put, serve) before "--json"'],
    [["help", "x"], 'Unknown command "x"'],
    [["help", "get", "put"], "Too many arguments: expected help [command]"],
    [["get"], "Missing arguments: expected get <url> [output]"],
    [["get", "tftp://h/a", "b", "c"], "Too many arguments: expected get <url> [output]"],
    [["put", "a"], "Missing arguments: expected put <input> <url>"],
    [["serve", "a", "b"], "Too many arguments: expected serve <root>"],
    [["get", "tftp://h/a", "--bogus"], 'Unknown option "--bogus" for get'],
    [["get", "tftp://h/a", "-z"], 'Unknown option "-z" for get'],
    [["serve", ".", "--blksize", "512"], 'Unknown option "--blksize" for serve'],
    [["put", "a", "tftp://h/a", "--host", "x"], 'Unknown option "--host" for put'],
    [["get", "tftp://h/a", "--blksize"], "Option --blksize needs a value"],
    [["get", "tftp://h/a", "--json=1"], "Option --json takes no value"],
    [
      ["get", "tftp://h/a", "--blksize", "-5"],
      'Option --blksize needs a value; write --blksize=-VALUE for one with "-"',
    ],
    [["get", "tftp://h/a", "--blksize", "7"], "--blksize must be between 8 and 65464, got 7"],
    [
      ["get", "tftp://h/a", "--blksize", "65465"],
      "--blksize must be between 8 and 65464, got 65465",
    ],
    [["get", "tftp://h/a", "--blksize=1e3"], '--blksize must be a whole number, got "1e3"'],
    [["get", "tftp://h/a", "--windowsize", "0"], "--windowsize must be between 1 and 65535, got 0"],
    [
      ["get", "tftp://h/a", "--busy-poll", "10001"],
      "--busy-poll must be between 0 and 10000, got 10001",
    ],
    [["get", "tftp://h/a", "--timeout", "256"], "--timeout must be between 1 and 255, got 256"],
    [
      ["serve", "r", "--cache-file-max", "0"],
      "--cache-file-max must be above 0 bytes, got 0",
    ],
    [
      ["serve", "r", "--read-chunk", "500"],
      "--read-chunk must be between 512 and 262144 bytes, got 500",
    ],
    [
      ["serve", "r", "--read-chunk", "1M"],
      "--read-chunk must be between 512 and 262144 bytes, got 1M",
    ],
    [
      ["serve", "r", "--read-chunk", "lots"],
      '--read-chunk must be a number of bytes like 1048576, 512K or 4G, got "lots"',
    ],
    [["get", "tftp://h/a", "--retries", "1001"], "--retries must be between 0 and 1000, got 1001"],
    [["serve", ".", "--give-up", "3601"], "--give-up must be between 0 and 3600, got 3601"],
    [["get", "tftp://h/a", "--mode", "mail"], '--mode must be octet or netascii, got "mail"'],
    [["get", "http://h/a"], 'Invalid TFTP URL "http://h/a": it must start with "tftp://"'],
    [
      ["put", "a", "tftp://h:0/a"],
      'Invalid TFTP URL "tftp://h:0/a": port must be between 1 and 65535, got 0',
    ],
    [["get", "tftp://h/x/.."], 'Cannot name a local file after "x/..": give [output]'],
    [["serve", ".", "--port", "65536"], "--port must be between 0 and 65535, got 65536"],
    [["serve", ".", "--host="], "--host must not be empty"],
    [
      ["serve", ".", "--port-range", "9-8"],
      '--port-range must be LOW-HIGH with 1 <= LOW <= HIGH <= 65535, got "9-8"',
    ],
    [
      ["serve", ".", "--port-range", "0-8"],
      '--port-range must be LOW-HIGH with 1 <= LOW <= HIGH <= 65535, got "0-8"',
    ],
    [["get", "tftp://h/a", "--pcap"], "Option --pcap needs a value"],
    [["get", "tftp://h/a", "--pcap", "-"], '--pcap needs a file name, got "-"'],
    [["serve", ".", "--pcap="], '--pcap needs a file name, got ""'],
    [["serve", ".", "--max-blksize", "7"], "--max-blksize must be between 8 and 65464, got 7"],
    [
      ["serve", ".", "--max-windowsize", "0"],
      "--max-windowsize must be between 1 and 65535, got 0",
    ],
  ];
  for (const [args, message] of cases) {
    assert.throws(() => parseCommandLine(args), (error: unknown) => {
      assert.ok(error instanceof UsageError, `${args.join(" ")}: ${error}`);
      assert.equal(error.message, message, args.join(" "));
      return true;
    });
  }
});

Deno.test("--pcap FILE on get, put and serve", () => {
  const pcap = (...args: string[]) => {
    const cmd = parseCommandLine(args);
    return cmd.command !== "help" && cmd.pcap;
  };
  assert.equal(pcap("get", "tftp://h/a", "--pcap", "get.pcap"), "get.pcap");
  assert.equal(pcap("put", "--pcap=put.pcap", "a", "tftp://h/a"), "put.pcap");
  assert.equal(pcap("serve", ".", "--pcap", "dir/serve.pcap"), "dir/serve.pcap");
  assert.equal(pcap("get", "tftp://h/a", "--pcap", "a.pcap", "--pcap", "b.pcap"), "b.pcap");
  assert.ok(usage("get").includes("--pcap FILE"));
  assert.ok(usage("serve").includes("--pcap FILE"));
});

Deno.test("a lone - and anything after -- are arguments, not options", () => {
  const cmd = parseCommandLine(["put", "--", "-", "tftp://h/--help"]);
  assert.equal(cmd.command === "put" && cmd.input, "-");
  assert.equal(cmd.command === "put" && cmd.url.path, "--help");
});

Deno.test("remoteBaseName: the last path segment, refusing ones that name no file", () => {
  assert.equal(remoteBaseName("boot.bin"), "boot.bin");
  assert.equal(remoteBaseName("/srv/pxe/boot.bin"), "boot.bin");
  for (const bad of [".", "a/..", "a\\b"]) assert.throws(() => remoteBaseName(bad), UsageError);
});

Deno.test("usage: the whole text names every flag; a topic keeps to its own", () => {
  const all = usage();
  for (
    const flag of [
      "--blksize",
      "--windowsize",
      "--timeout",
      "--retries",
      "--no-tsize",
      "--no-options",
      "--mode",
      "--json",
      "--trace",
      "--pcap FILE",
      "--quiet",
      "--host",
      "--port",
      "--write",
      "--create",
      "--port-range",
      "--max-blksize",
      "--max-windowsize",
      "Exit status",
      "tftp://host[:port]/path",
    ]
  ) {
    assert.ok(all.includes(flag), flag);
  }
  assert.ok(all.endsWith("\n") && !all.endsWith("\n\n"));
  assert.ok(usage("get").includes("tftp.ts get <url> [output]"));
  assert.ok(!usage("get").includes("tftp.ts put"));
  assert.ok(!usage("get").includes("--max-blksize"));
  assert.ok(usage("serve").includes("--max-blksize") && !usage("serve").includes("--no-tsize"));
  for (const line of all.split("\n")) assert.ok(line.length <= 92, `line too long: ${line}`);
});
