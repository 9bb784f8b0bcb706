/**
 * `conformance`: probes a running TFTP server for conformance (issue 5).
 *
 * ```sh
 * deno task conformance fixtures /srv/conformance      # then serve /srv/conformance/root
 * deno task conformance run tftp://127.0.0.1:6969/ --json report.json
 * deno task conformance list --plugin ./my_check.ts
 * ```
 *
 * Run `deno task conformance --help` for the options. This file only wires the parsed command
 * line (`_conformance_args.ts`) to the runner, the reports and the plugin loader of
 * `lib/conformance/`.
 *
 * @module
 */

import { join } from "node:path";
import { BUILTIN_CHECKS } from "../lib/conformance/checks/mod.ts";
import type { ConformanceCheck } from "../lib/conformance/check.ts";
import { FIXTURES, writeFixtures } from "../lib/conformance/fixtures.ts";
import { loadPlugins, mergeChecks } from "../lib/conformance/plugins.ts";
import { formatReportTable, formatResultLine } from "../lib/conformance/report.ts";
import { formatReportJson } from "../lib/conformance/report_json.ts";
import { formatReportJunit } from "../lib/conformance/report_junit.ts";
import { runConformance } from "../lib/conformance/runner.ts";
import { selectChecks } from "../lib/conformance/select.ts";
import { summarize } from "../lib/conformance/summary.ts";
import {
  type ConformanceCommand,
  conformanceUsage,
  parseConformanceCommandLine,
  UsageError,
} from "./_conformance_args.ts";
import { enterUserFolder, err, onStopSignal, out, reportFailure, type StopSignal } from "./_cli.ts";

type RunCommand = Extract<ConformanceCommand, { command: "run" }>;

const SIGNAL_EXIT = { SIGINT: 130, SIGTERM: 143 } as const;

/** The built-in checks and the plugins' checks. */
async function allChecks(plugins: readonly string[]): Promise<ConformanceCheck[]> {
  return mergeChecks(BUILTIN_CHECKS, await loadPlugins(plugins));
}

/** An unknown id in `--only` or `--skip` is a usage error that names the flag. */
function checkSelection(checks: readonly ConformanceCheck[], cmd: RunCommand): void {
  for (const [flag, ids] of [["--only", cmd.only], ["--skip", cmd.skip]] as const) {
    try {
      selectChecks(checks, flag === "--only" ? { only: ids } : { skip: ids });
    } catch (error) {
      if (!(error instanceof RangeError)) throw error;
      throw new UsageError(error.message.replace(/^(Unknown check ids? [^;]*)/, `$1 in ${flag}`));
    }
  }
}

async function writeReport(flag: string, path: string, text: string): Promise<void> {
  try {
    await Deno.writeTextFile(path, text);
  } catch (error) {
    throw new Error(
      `Cannot write the ${flag} report to ${JSON.stringify(path)}: ${(error as Error).message}`,
      { cause: error },
    );
  }
}

async function run(cmd: RunCommand): Promise<number> {
  const checks = await allChecks(cmd.plugins);
  checkSelection(checks, cmd);
  const toStderr = cmd.json === "-";
  const print = toStderr ? err : out;
  const terminal = toStderr ? Deno.stderr.isTerminal() : Deno.stdout.isTerminal();
  const color = terminal && !Deno.noColor && !cmd.noColor;
  const controller = new AbortController();
  let stoppedBy: StopSignal | undefined;
  const stopListening = onStopSignal((signal) => {
    stoppedBy = signal;
    controller.abort(new Error(`Interrupted by ${signal}`));
  });
  let report;
  try {
    const count = selectChecks(checks, cmd).length;
    print(`Running ${count} check${count === 1 ? "" : "s"} against ${cmd.url}\n`);
    report = await runConformance(checks, {
      server: cmd.server,
      url: cmd.url,
      only: cmd.only,
      skip: cmd.skip,
      writable: cmd.writable,
      timeoutScale: cmd.timeoutScale,
      signal: controller.signal,
      onResult: (result) => print(formatResultLine(result, { color, log: cmd.verbose })),
    });
  } catch (error) {
    if (!stoppedBy) throw error;
    err(`error: Interrupted by ${stoppedBy}\n`);
    return SIGNAL_EXIT[stoppedBy];
  } finally {
    stopListening();
  }
  print(`\n${formatReportTable(report, { color })}`);
  if (cmd.json === "-") out(formatReportJson(report));
  else if (cmd.json !== undefined) await writeReport("--json", cmd.json, formatReportJson(report));
  if (cmd.junit !== undefined) await writeReport("--junit", cmd.junit, formatReportJunit(report));
  return summarize(report).counts.fail > 0 ? 1 : 0;
}

async function list(plugins: readonly string[]): Promise<number> {
  const checks = await allChecks(plugins);
  if (checks.length === 0) {
    out("No checks.\n");
    return 0;
  }
  const width = (pick: (check: ConformanceCheck) => string) =>
    Math.max(...checks.map((check) => pick(check).length));
  const idWidth = width((check) => check.id);
  const levelWidth = width((check) => check.level);
  const rfcWidth = width((check) => check.rfc);
  for (const check of checks) {
    const title = check.writable ? `${check.title} (needs --writable)` : check.title;
    out(
      `${check.id.padEnd(idWidth)}  ${check.level.padEnd(levelWidth)}  ${
        check.rfc.padEnd(rfcWidth)
      }  ${title}\n`,
    );
  }
  return 0;
}

async function fixtures(dir: string): Promise<number> {
  const { root } = await writeFixtures(dir);
  const rows = FIXTURES.all.map((fixture) => {
    const path = join(root, ...fixture.name.split("/"));
    const what = fixture.kind === "symlink"
      ? `-> ${fixture.target}`
      : `${fixture.size} byte${fixture.size === 1 ? "" : "s"}`;
    return [path, what, fixture.purpose];
  });
  const pathWidth = Math.max(...rows.map(([path]) => path.length));
  const whatWidth = Math.max(...rows.map(([, what]) => what.length));
  out(`Wrote ${rows.length} fixtures:\n`);
  for (const [path, what, purpose] of rows) {
    out(`  ${path.padEnd(pathWidth)}  ${what.padEnd(whatWidth)}  ${purpose}\n`);
  }
  out(
    `\nServe ${root} with the server under test, for example:\n` +
      `  deno task tftp serve ${root} --host 127.0.0.1 --port 6969 --create\n` +
      `Then run (--writable: the upload checks, which need a server that creates files):\n` +
      `  deno task conformance run tftp://127.0.0.1:6969/ --writable\n`,
  );
  return 0;
}

async function main(args: string[]): Promise<number> {
  try {
    const cmd = parseConformanceCommandLine(args);
    if (cmd.command === "help") {
      out(conformanceUsage());
      return 0;
    }
    if (cmd.command === "run") return await run(cmd);
    if (cmd.command === "list") return await list(cmd.plugins);
    return await fixtures(cmd.dir);
  } catch (error) {
    return reportFailure(error, (error as Error).message.split("\n")[0]);
  }
}

if (import.meta.main) {
  enterUserFolder();
  Deno.exit(await main(Deno.args));
}
