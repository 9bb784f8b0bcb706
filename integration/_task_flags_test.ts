import assert from "node:assert/strict";
import { taskV8Flags } from "./_task_flags.ts";

Deno.test("taskV8Flags: the tftp task's V8 flags, none for a task without them or no task", () => {
  const flags = taskV8Flags("tftp.ts");
  assert.equal(flags.length, 1);
  assert.match(flags[0], /^--v8-flags=--max-semi-space-size=\d+,--heap-growing-percent=\d+$/);
  assert.deepEqual(taskV8Flags("ip.ts"), []);
  assert.deepEqual(taskV8Flags("no_such_script.ts"), []);
});
