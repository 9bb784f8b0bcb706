/**
 * The V8 flags a `deno.json` task gives a script, for children that run our scripts the way a
 * user's `deno task` would. No side effects on import: unit tests import this without
 * permissions.
 *
 * @module
 */

/** A task's command: a string, or the object form `{ "command": ... }`. */
function commandOf(task: unknown): string {
  if (typeof task === "string") return task;
  const command = (task as { command?: unknown } | null)?.command;
  return typeof command === "string" ? command : "";
}

/**
 * The `--v8-flags=...` of the `deno.json` task that runs `scripts/<script>`, if any: children
 * run with the same V8 settings as a user's `deno task` (the `tftp` task sizes the garbage
 * collector for a server with many transfers).
 *
 * @example
 * ```ts ignore
 * taskV8Flags("tftp.ts"); // ["--v8-flags=--max-semi-space-size=4,..."]
 * ```
 */
export function taskV8Flags(script: string): string[] {
  const config = JSON.parse(Deno.readTextFileSync(new URL("../deno.json", import.meta.url)));
  const commands = Object.values(config.tasks ?? {}).map(commandOf);
  const command = commands.find((words) => words.split(/\s+/).includes(`scripts/${script}`));
  return command?.split(/\s+/).filter((word) => word.startsWith("--v8-flags=")) ?? [];
}
