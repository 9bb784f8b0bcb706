/**
 * The TFTP conformance suite: the plugin contract of a check ({@linkcode defineCheck},
 * {@linkcode CheckContext}), the fixture files a server under test serves, the raw probe
 * socket, the runner ({@linkcode runConformance}), and the table, JSON and JUnit reports.
 *
 * @example
 * ```ts ignore
 * import { formatReportTable, runConformance } from "./mod.ts";
 * import { BUILTIN_CHECKS } from "./checks/mod.ts";
 * const report = await runConformance(BUILTIN_CHECKS, {
 *   server: { hostname: "127.0.0.1", port: 6969 },
 *   url: "tftp://127.0.0.1:6969/",
 * });
 * console.log(formatReportTable(report));
 * ```
 *
 * @module
 */

export * from "./check.ts";
export * from "./fixtures.ts";
export * from "./probe.ts";
export * from "./context.ts";
export * from "./select.ts";
export * from "./runner.ts";
export * from "./summary.ts";
export * from "./report.ts";
export * from "./report_json.ts";
export * from "./report_junit.ts";
export * from "./plugins.ts";
export * from "./checks/mod.ts";
