/**
 * Lint step: the pure folders (wire format, engine, simulation) must not touch I/O, timers,
 * clocks or randomness. Run by `deno task lint`; exits 1 and names each offending line.
 *
 * @module
 */

const PURE = ["lib/tftp/packet", "lib/tftp/engine", "lib/sim", "lib/ip", "lib/text"];
const PURE_FILES = [
  "lib/bytes.ts",
  "lib/tftp/errors.ts",
  "lib/tftp/url.ts",
  "lib/tftp/trace.ts",
  "lib/tftp/server_path.ts",
  // lib/pcap/writer.ts writes files: only the format is pure.
  "lib/pcap/format.ts",
  "lib/pcap/_ip.ts",
  "lib/conformance/check.ts",
  "lib/jobs/types.ts",
  "lib/jobs/config.ts",
  "lib/jobs/_config_check.ts",
  "lib/jobs/_config_error.ts",
  "lib/jobs/_config_job.ts",
  "lib/jobs/_config_schedule.ts",
  "lib/jobs/_jsonc.ts",
  "lib/jobs/template.ts",
  "lib/jobs/backoff.ts",
  "lib/jobs/schedule.ts",
  "lib/jobs/scheduler.ts",
  "lib/conformance/report.ts",
  "lib/conformance/report_json.ts",
  "lib/conformance/report_junit.ts",
  "lib/udp/impair_rules.ts",
  "lib/tcp/frame.ts",
  "lib/tcp/url.ts",
  "lib/udp_tools/ipmsg.ts",
  "lib/tcp/_shared_input.ts",
  "lib/tcp/errors.ts",
];
const FORBIDDEN =
  /\bDeno\.|\bsetTimeout\b|\bsetInterval\b|\bDate\.now\b|\bperformance\.now\b|\bMath\.random\b|\bnew Date\(\s*\)|\bDate\(\s*\)/;

async function* sources(): AsyncGenerator<string> {
  for (const dir of PURE) {
    for await (const entry of Deno.readDir(dir)) {
      if (entry.isFile && entry.name.endsWith(".ts") && !entry.name.endsWith("_test.ts")) {
        yield `${dir}/${entry.name}`;
      }
    }
  }
  yield* PURE_FILES;
}

let problems = 0;
for await (const path of sources()) {
  const lines = (await Deno.readTextFile(path)).split("\n");
  lines.forEach((line, i) => {
    const code = line.trimStart();
    if (code.startsWith("*") || code.startsWith("//") || code.startsWith("/*")) return;
    if (FORBIDDEN.test(code)) {
      console.error(
        `${path}:${i + 1}: pure code must not use I/O, timers, clocks or randomness: ${code}`,
      );
      problems++;
    }
  });
}
if (problems > 0) Deno.exit(1);
console.log("pure folders are free of I/O, timers, clocks and randomness");
