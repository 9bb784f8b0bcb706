import assert from "node:assert/strict";
import { JobsConfigError, type JobSpec, parseJobsConfig } from "./config.ts";

const BASE = {
  name: "sw1",
  source: "tftp://192.0.2.1/sw1.cfg",
  dest: "b/{job}/{date}_{time}.cfg",
  schedule: "30 2 * * *",
};
const DEFAULTS: JobSpec = {
  ...BASE,
  options: {},
  timezone: "UTC",
  retries: 2,
  retryDelayMs: 5000,
  maxRetryDelayMs: 300_000,
  timeoutMs: 120_000,
  keep: 0,
  onlyIfChanged: false,
};

function parse(value: unknown, fileName?: string) {
  return parseJobsConfig(JSON.stringify(value), { baseDir: "/cfg", fileName });
}

function job(change: Record<string, unknown>) {
  return { jobs: [{ ...BASE, ...change }] };
}

Deno.test("parseJobsConfig fills every default", () => {
  assert.deepEqual(parse({ jobs: [BASE] }), {
    concurrency: 4,
    log: "/cfg/jobs.log.jsonl",
    baseDir: "/cfg",
    jobs: [DEFAULTS],
  });
});

Deno.test("parseJobsConfig reads every field, converting seconds to ms", () => {
  const config = parse({
    concurrency: 256,
    log: "logs/fetch.jsonl",
    jobs: [{
      ...BASE,
      source: "tftp://[::1]:6969/sw1.cfg;mode=netascii",
      options: { blksize: 65464, windowsize: 65535, timeout: 255, retries: 100 },
      timezone: "Europe/Berlin",
      retries: 20,
      retryDelaySeconds: 0.5,
      maxRetryDelaySeconds: 86400,
      timeoutSeconds: 1.25,
      sha256: "AB".repeat(32),
      size: 0,
      keep: 10000,
      onlyIfChanged: true,
    }, { ...BASE, name: "fw.img_2", source: "tcp://files.lan:7000/fw/image.bin" }],
  }, "site.jobs.jsonc");
  assert.equal(config.concurrency, 256);
  assert.equal(config.log, "/cfg/logs/fetch.jsonl");
  assert.deepEqual(config.jobs[0], {
    ...BASE,
    source: "tftp://[::1]:6969/sw1.cfg;mode=netascii",
    options: { blksize: 65464, windowsize: 65535, timeout: 255, retries: 100 },
    timezone: "Europe/Berlin",
    retries: 20,
    retryDelayMs: 500,
    maxRetryDelayMs: 86_400_000,
    timeoutMs: 1250,
    sha256: "ab".repeat(32),
    size: 0,
    keep: 10000,
    onlyIfChanged: true,
  });
  assert.deepEqual(config.jobs[1], {
    ...DEFAULTS,
    name: "fw.img_2",
    source: "tcp://files.lan:7000/fw/image.bin",
  });
});

Deno.test("parseJobsConfig names the default log after the file and keeps an absolute log", () => {
  assert.equal(parse({ jobs: [BASE] }, "site.jobs.jsonc").log, "/cfg/site.jobs.log.jsonl");
  assert.equal(parse({ jobs: [BASE] }, "jobs").log, "/cfg/jobs.log.jsonl");
  assert.equal(parse({ jobs: [BASE], log: "/var/log/j.jsonl" }).log, "/var/log/j.jsonl");
  const relative = parseJobsConfig(JSON.stringify({ jobs: [BASE] }), { baseDir: "conf" });
  assert.equal(relative.log, "conf/jobs.log.jsonl");
});

Deno.test("parseJobsConfig normalises schedules, shorthands and time zones", () => {
  const cases: [string, string, string, string][] = [
    [" 30\t2  * * 1-5 ", "UTC", "30 2 * * 1-5", "UTC"],
    ["@MIDNIGHT", "europe/berlin", "@daily", "Europe/Berlin"],
    ["@annually", "Asia/Kolkata", "@yearly", "Asia/Kolkata"],
    ["@hourly", "Etc/UTC", "@hourly", "Etc/UTC"],
    ["@daily", "utc", "@daily", "UTC"],
    ["@weekly", "UTC", "@weekly", "UTC"],
    ["@monthly", "UTC", "@monthly", "UTC"],
    ["0 0 29 2 *", "UTC", "0 0 29 2 *", "UTC"],
    ["0 0 L * *", "UTC", "0 0 L * *", "UTC"],
  ];
  for (const [schedule, timezone, wantSchedule, wantZone] of cases) {
    const [spec] = parse(job({ schedule, timezone })).jobs;
    assert.deepEqual([spec.schedule, spec.timezone], [wantSchedule, wantZone], schedule);
  }
});

Deno.test("parseJobsConfig defaults maxRetryDelaySeconds to retryDelaySeconds when larger", () => {
  const [spec] = parse(job({ retryDelaySeconds: 600 })).jobs;
  assert.deepEqual([spec.retryDelayMs, spec.maxRetryDelayMs], [600_000, 600_000]);
  const [same] = parse(job({ retryDelaySeconds: 7, maxRetryDelaySeconds: 7 })).jobs;
  assert.deepEqual([same.retryDelayMs, same.maxRetryDelayMs], [7000, 7000]);
});

Deno.test("parseJobsConfig allows a fixed dest, and one shared dest when it has {job}", () => {
  const config = parse({
    jobs: [
      { ...BASE, dest: "/srv/sw1.cfg", keep: 5 },
      { ...BASE, name: "sw2", dest: "b/{job}.cfg" },
      { ...BASE, name: "sw3", dest: "b/{job}.cfg" },
    ],
  });
  assert.deepEqual(config.jobs.map((spec) => spec.dest), [
    "/srv/sw1.cfg",
    "b/{job}.cfg",
    "b/{job}.cfg",
  ]);
});

Deno.test("parseJobsConfig reads JSONC: comments, trailing commas, strings with //", () => {
  const text = `// jobs
{
  /* all */ "concurrency": 2,
  "jobs": [
    {
      "name": "sw1", // core
      "source": "tftp://192.0.2.1//etc/sw1.cfg",
      "dest": "b/{job}/{date}.cfg",
      "schedule": "*/15 * * * *",
    },
  ],
}
`;
  const config = parseJobsConfig(text, { baseDir: "/cfg" });
  assert.equal(config.concurrency, 2);
  assert.equal(config.jobs[0].source, "tftp://192.0.2.1//etc/sw1.cfg");
});

Deno.test("parseJobsConfig gives line and column for JSON syntax errors", () => {
  const text = '{\n  "jobs": [\n    { "name": "a" "source": "x" }\n  ]\n}';
  assert.throws(() => parseJobsConfig(text, { baseDir: "/", fileName: "jobs.jsonc" }), (e) => {
    assert.ok(e instanceof JobsConfigError);
    assert.equal(
      e.message,
      'Invalid JSON in "jobs.jsonc" at line 3, column 19: expected "," or "}" after a property value, found "\\""',
    );
    assert.equal(e.job, undefined);
    assert.equal(e.field, undefined);
    assert.equal((e.cause as Error).name, "JsoncSyntaxError");
    return true;
  });
  assert.throws(() => parseJobsConfig('{"jobs": [], "jobs": []}', { baseDir: "/" }), {
    message: 'Invalid JSON in "jobs.json" at line 1, column 14: duplicate key "jobs"',
  });
});

const LONG = "name, source, options, dest, schedule, timezone, retries, retryDelaySeconds, " +
  "maxRetryDelaySeconds, timeoutSeconds, sha256, size, keep, onlyIfChanged";
const FIELDS = "(minute hour day-of-month month day-of-week)";
const ERRORS: [unknown, string | undefined, string | undefined, string][] = [
  [
    [],
    undefined,
    undefined,
    'The jobs file must hold an object with a "jobs" array, got an empty array',
  ],
  ["x", undefined, undefined, 'The jobs file must hold an object with a "jobs" array, got "x"'],
  [{}, undefined, "jobs", 'field "jobs" must be a non-empty array of jobs, got nothing'],
  [
    { jobs: [] },
    undefined,
    "jobs",
    'field "jobs" must be a non-empty array of jobs, got an empty array',
  ],
  [
    { jobs: {} },
    undefined,
    "jobs",
    'field "jobs" must be a non-empty array of jobs, got an object',
  ],
  [{ job: [BASE] }, undefined, "job", 'unknown field "job" (did you mean "jobs"?)'],
  [
    { jobs: [BASE], concurency: 3 },
    undefined,
    "concurency",
    'unknown field "concurency" (did you mean "concurrency"?)',
  ],
  [
    { jobs: [BASE], zzz: 3 },
    undefined,
    "zzz",
    'unknown field "zzz" (known fields: concurrency, log, jobs)',
  ],
  [
    { jobs: [BASE], concurrency: 0 },
    undefined,
    "concurrency",
    'field "concurrency" must be a whole number from 1 to 256, got 0',
  ],
  [
    { jobs: [BASE], concurrency: 257 },
    undefined,
    "concurrency",
    'field "concurrency" must be a whole number from 1 to 256, got 257',
  ],
  [
    { jobs: [BASE], concurrency: 1.5 },
    undefined,
    "concurrency",
    'field "concurrency" must be a whole number from 1 to 256, got 1.5',
  ],
  [{ jobs: [BASE], log: "" }, undefined, "log", 'field "log" must be a non-empty string, got ""'],
  [{ jobs: [BASE], log: "a\0b" }, undefined, "log", 'field "log" must not contain a NUL character'],
  [{ jobs: [BASE, 3] }, "#2", undefined, "job #2: must be an object, got 3"],
  [{ jobs: [null] }, "#1", undefined, "job #1: must be an object, got null"],
  [
    job({ name: undefined }),
    "#1",
    "name",
    'job #1: field "name" is required (letters, digits, ".", "_" or "-")',
  ],
  [
    job({ name: "a b" }),
    "#1",
    "name",
    'job #1: field "name" must be 1 to 64 letters, digits, ".", "_" or "-" (not "." or ".."), got "a b"',
  ],
  [
    job({ name: ".." }),
    "#1",
    "name",
    'job #1: field "name" must be 1 to 64 letters, digits, ".", "_" or "-" (not "." or ".."), got ".."',
  ],
  [
    job({ name: "x".repeat(65) }),
    "#1",
    "name",
    `job #1: field "name" must be 1 to 64 letters, digits, ".", "_" or "-" (not "." or ".."), got "${
      "x".repeat(65)
    }"`,
  ],
  [
    { jobs: [BASE, { ...BASE, name: "b" }, BASE] },
    "sw1",
    "name",
    'job "sw1": field "name" must be unique, job #1 has it too',
  ],
  [
    job({ schedule: undefined, schedul: "x" }),
    "sw1",
    "schedul",
    'job "sw1": unknown field "schedul" (did you mean "schedule"?)',
  ],
  [
    job({ only_if_changed: true }),
    "sw1",
    "only_if_changed",
    'job "sw1": unknown field "only_if_changed" (did you mean "onlyIfChanged"?)',
  ],
  [job({ Keep: 1 }), "sw1", "Keep", 'job "sw1": unknown field "Keep" (did you mean "keep"?)'],
  [
    job({ timeout: 3 }),
    "sw1",
    "timeout",
    'job "sw1": unknown field "timeout" (did you mean "timeoutSeconds"?)',
  ],
  [
    job({ retryDelayMs: 3 }),
    "sw1",
    "retryDelayMs",
    'job "sw1": unknown field "retryDelayMs" (did you mean "retryDelaySeconds"?)',
  ],
  [
    job({ blksize: 512 }),
    "sw1",
    "blksize",
    'job "sw1": unknown field "blksize" (transfer options go in "options")',
  ],
  [job({ xyz: 3 }), "sw1", "xyz", `job "sw1": unknown field "xyz" (known fields: ${LONG})`],
  [
    job({ source: undefined }),
    "sw1",
    "source",
    'job "sw1": field "source" is required (like "tftp://192.0.2.10/sw1.cfg")',
  ],
  [
    job({ source: "http://h/x" }),
    "sw1",
    "source",
    'job "sw1": field "source" must be a tftp:// or tcp:// URL, got "http://h/x"',
  ],
  [
    job({ source: "192.0.2.1/x" }),
    "sw1",
    "source",
    'job "sw1": field "source" must be a tftp:// or tcp:// URL, got "192.0.2.1/x"',
  ],
  [
    job({ source: "tftp://h" }),
    "sw1",
    "source",
    'job "sw1": field "source" must be a valid tftp:// URL: Invalid TFTP URL "tftp://h": there is no "/" and file name after the host',
  ],
  [
    job({ source: "tftp://h/a;mode=mail" }),
    "sw1",
    "source",
    'job "sw1": field "source" must be a valid tftp:// URL: Invalid TFTP URL "tftp://h/a;mode=mail": mail mode is not supported',
  ],
  [
    job({ source: "tcp://h:99999/x" }),
    "sw1",
    "source",
    'job "sw1": field "source" must be a valid tcp:// URL: Invalid TCP URL "tcp://h:99999/x": the port must be 1 to 65535, got "99999"',
  ],
  [
    job({ source: "tcp://h/x", options: {} }),
    "sw1",
    "options",
    'job "sw1": field "options" is only for tftp:// sources',
  ],
  [
    job({ options: [] }),
    "sw1",
    "options",
    'job "sw1": field "options" must be an object like { "blksize": 1468 }, got an empty array',
  ],
  [
    job({ options: { blocksize: 512 } }),
    "sw1",
    "options.blocksize",
    'job "sw1": unknown field "options.blocksize" (did you mean "blksize"?)',
  ],
  [
    job({ options: { tsize: 0 } }),
    "sw1",
    "options.tsize",
    'job "sw1": unknown field "options.tsize" (known fields: blksize, windowsize, timeout, retries)',
  ],
  [
    job({ options: { blksize: 7 } }),
    "sw1",
    "options.blksize",
    'job "sw1": field "options.blksize" must be a whole number from 8 to 65464, got 7',
  ],
  [
    job({ options: { blksize: 65465 } }),
    "sw1",
    "options.blksize",
    'job "sw1": field "options.blksize" must be a whole number from 8 to 65464, got 65465',
  ],
  [
    job({ options: { windowsize: 0 } }),
    "sw1",
    "options.windowsize",
    'job "sw1": field "options.windowsize" must be a whole number from 1 to 65535, got 0',
  ],
  [
    job({ options: { timeout: 256 } }),
    "sw1",
    "options.timeout",
    'job "sw1": field "options.timeout" must be a whole number from 1 to 255, got 256',
  ],
  [
    job({ options: { retries: "5" } }),
    "sw1",
    "options.retries",
    'job "sw1": field "options.retries" must be a whole number from 0 to 100, got "5"',
  ],
  [
    job({ dest: undefined }),
    "sw1",
    "dest",
    'job "sw1": field "dest" is required (a path template like "backups/{job}/{date}_{time}.cfg")',
  ],
  [job({ dest: 5 }), "sw1", "dest", 'job "sw1": field "dest" must be a non-empty string, got 5'],
  [
    job({ dest: "b/{hh}.cfg" }),
    "sw1",
    "dest",
    'job "sw1": field "dest" has an unknown token "{hh}" (known: {job} {date} {time} {yyyy} {mm} {dd} {HH} {MM} {SS})',
  ],
  [
    job({ dest: "b/{job.cfg" }),
    "sw1",
    "dest",
    'job "sw1": field "dest" has a "{" or "}" that is not part of a token, got "b/{job.cfg"',
  ],
  [
    job({ dest: "b/}{job}" }),
    "sw1",
    "dest",
    'job "sw1": field "dest" has a "{" or "}" that is not part of a token, got "b/}{job}"',
  ],
  [
    job({ dest: "b/{job}/" }),
    "sw1",
    "dest",
    'job "sw1": field "dest" must name a file, not a folder, got "b/{job}/"',
  ],
  [
    { jobs: [{ ...BASE, dest: "x.cfg" }, { ...BASE, name: "sw2", dest: "x.cfg" }] },
    "sw2",
    "dest",
    'job "sw2": field "dest" must contain {job} or differ from job "sw1"\'s, got "x.cfg"',
  ],
  [
    job({ timezone: "Mars/Olympus" }),
    "sw1",
    "timezone",
    'job "sw1": field "timezone" must be an IANA time zone like "Europe/Berlin" or "UTC", got "Mars/Olympus"',
  ],
  [
    job({ timezone: "+05:30" }),
    "sw1",
    "timezone",
    'job "sw1": field "timezone" must be an IANA time zone like "Europe/Berlin" or "UTC", got "+05:30"',
  ],
  [
    job({ timezone: "" }),
    "sw1",
    "timezone",
    'job "sw1": field "timezone" must be a non-empty string, got ""',
  ],
  [
    job({ schedule: undefined }),
    "sw1",
    "schedule",
    'job "sw1": field "schedule" is required (like "30 2 * * *")',
  ],
  [
    job({ schedule: "0 30 2 * * *" }),
    "sw1",
    "schedule",
    `job "sw1": field "schedule" must have 5 fields ${FIELDS} without seconds, got "0 30 2 * * *"`,
  ],
  [
    job({ schedule: "30 2 * *" }),
    "sw1",
    "schedule",
    `job "sw1": field "schedule" must have 5 fields ${FIELDS}, got 4 in "30 2 * *"`,
  ],
  [
    job({ schedule: "  " }),
    "sw1",
    "schedule",
    `job "sw1": field "schedule" must have 5 fields ${FIELDS}, got 0 in "  "`,
  ],
  [
    job({ schedule: "@reboot" }),
    "sw1",
    "schedule",
    'job "sw1": field "schedule" must be a 5-field cron expression or one of @hourly, @daily, @midnight, @weekly, @monthly, @yearly, @annually, got "@reboot"',
  ],
  [
    job({ schedule: "61 2 * * *" }),
    "sw1",
    "schedule",
    'job "sw1": field "schedule" must be a valid cron expression, got "61 2 * * *" (invalid value for minute: 61)',
  ],
  [
    job({ schedule: "0 0 * * 8" }),
    "sw1",
    "schedule",
    'job "sw1": field "schedule" must be a valid cron expression, got "0 0 * * 8" (invalid value for dayOfWeek: 8)',
  ],
  [
    job({ schedule: "0 0 30 2 *" }),
    "sw1",
    "schedule",
    'job "sw1": field "schedule" must match some date, got "0 0 30 2 *"',
  ],
  [
    job({ retries: -1 }),
    "sw1",
    "retries",
    'job "sw1": field "retries" must be a whole number from 0 to 20, got -1',
  ],
  [
    job({ retries: 21 }),
    "sw1",
    "retries",
    'job "sw1": field "retries" must be a whole number from 0 to 20, got 21',
  ],
  [
    job({ retries: "3" }),
    "sw1",
    "retries",
    'job "sw1": field "retries" must be a whole number from 0 to 20, got "3"',
  ],
  [
    job({ retryDelaySeconds: 0 }),
    "sw1",
    "retryDelaySeconds",
    'job "sw1": field "retryDelaySeconds" must be a number of seconds from 0.001 to 86400, got 0',
  ],
  [
    job({ maxRetryDelaySeconds: 86401 }),
    "sw1",
    "maxRetryDelaySeconds",
    'job "sw1": field "maxRetryDelaySeconds" must be a number of seconds from 0.001 to 86400, got 86401',
  ],
  [
    job({ retryDelaySeconds: 10, maxRetryDelaySeconds: 5 }),
    "sw1",
    "maxRetryDelaySeconds",
    'job "sw1": field "maxRetryDelaySeconds" must be at least retryDelaySeconds (10), got 5',
  ],
  [
    job({ timeoutSeconds: 0.5 }),
    "sw1",
    "timeoutSeconds",
    'job "sw1": field "timeoutSeconds" must be a number of seconds from 1 to 86400, got 0.5',
  ],
  [
    job({ timeoutSeconds: null }),
    "sw1",
    "timeoutSeconds",
    'job "sw1": field "timeoutSeconds" must be a number of seconds from 1 to 86400, got null',
  ],
  [
    job({ sha256: "abc" }),
    "sw1",
    "sha256",
    'job "sw1": field "sha256" must be 64 hexadecimal digits, got "abc"',
  ],
  [
    job({ sha256: "g".repeat(64) }),
    "sw1",
    "sha256",
    `job "sw1": field "sha256" must be 64 hexadecimal digits, got "${"g".repeat(64)}"`,
  ],
  [
    job({ size: -1 }),
    "sw1",
    "size",
    'job "sw1": field "size" must be a whole number of bytes, got -1',
  ],
  [
    job({ keep: 10001 }),
    "sw1",
    "keep",
    'job "sw1": field "keep" must be a whole number from 0 to 10000, got 10001',
  ],
  [
    job({ onlyIfChanged: "yes" }),
    "sw1",
    "onlyIfChanged",
    'job "sw1": field "onlyIfChanged" must be true or false, got "yes"',
  ],
];

Deno.test("parseJobsConfig names the job and the field of each mistake", () => {
  for (const [value, wantJob, wantField, message] of ERRORS) {
    assert.throws(() => parse(value), (error: unknown) => {
      assert.ok(error instanceof JobsConfigError, message);
      assert.equal(error.name, "JobsConfigError");
      assert.equal(error.message, message);
      assert.deepEqual([error.job, error.field], [wantJob, wantField], message);
      return true;
    });
  }
});

Deno.test("parseJobsConfig shortens long values in messages", () => {
  assert.throws(() => parse(job({ source: "ftp://" + "x".repeat(200) })), {
    message: `job "sw1": field "source" must be a tftp:// or tcp:// URL, got "ftp://${
      "x".repeat(69)
    }..."`,
  });
});
