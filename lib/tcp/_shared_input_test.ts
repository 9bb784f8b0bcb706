import assert from "node:assert/strict";
import { SharedInput } from "./_shared_input.ts";

/** A source whose lines the test pushes by hand; counts the reads asked of it. */
function manualSource() {
  const waiting: ((result: IteratorResult<string>) => void)[] = [];
  const queued: IteratorResult<string>[] = [];
  const source = {
    reads: 0,
    push(line: string) {
      const result = { done: false, value: line } as const;
      const resolve = waiting.shift();
      if (resolve) resolve(result);
      else queued.push(result);
    },
    end() {
      const result = { done: true, value: undefined } as const;
      const resolve = waiting.shift();
      if (resolve) resolve(result);
      else queued.push(result);
    },
    [Symbol.asyncIterator]: () => ({
      next: () => {
        source.reads++;
        const result = queued.shift();
        return result
          ? Promise.resolve(result)
          : new Promise<IteratorResult<string>>((r) => waiting.push(r));
      },
    }),
  };
  return source;
}

const tick = () => new Promise((resolve) => setTimeout(resolve, 0));

Deno.test("SharedInput: a view left while reading loses no line; the next view gets it", async () => {
  const source = manualSource();
  const shared = new SharedInput(source);
  const first = shared.view();
  source.push("a");
  assert.deepEqual(await first.next(), { done: false, value: "a" });
  const pending = first.next(); // waits for a line that is not there yet
  await first.return!();
  assert.deepEqual(await pending, { done: true, value: undefined });
  assert.deepEqual(await first.next(), { done: true, value: undefined });
  source.push("b"); // typed while nobody listens
  const second = shared.view();
  assert.deepEqual(await second.next(), { done: false, value: "b" });
  source.push("c");
  source.end();
  assert.deepEqual(await second.next(), { done: false, value: "c" });
  assert.deepEqual(await second.next(), { done: true, value: undefined });
  assert.deepEqual(await shared.view().next(), { done: true, value: undefined });
  assert.equal(source.reads, 4);
});

Deno.test("SharedInput: ended() reads at most one line ahead and resolves at the end", async () => {
  const source = manualSource();
  const shared = new SharedInput(source);
  let ended = false;
  const watching = shared.ended().then(() => (ended = true));
  source.push("x");
  source.push("y");
  await tick();
  assert.equal(source.reads, 1); // "x" waits for a view; "y" is not read yet
  const view = shared.view();
  assert.deepEqual(await view.next(), { done: false, value: "x" });
  await tick();
  assert.equal(source.reads, 2);
  assert.equal(ended, false);
  assert.deepEqual(await view.next(), { done: false, value: "y" });
  source.end();
  await watching;
  assert.equal(ended, true);
  assert.deepEqual(await view.next(), { done: true, value: undefined });
});
