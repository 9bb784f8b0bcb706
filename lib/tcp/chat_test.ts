import assert from "node:assert/strict";
import { chatOverConnection, type TcpChatResult } from "./chat.ts";

/** One end of an in-memory connection: what `chatOverConnection` uses of a Deno.Conn. */
class FakeEnd {
  readonly readable: ReadableStream<Uint8Array>;
  /** Every byte this end wrote, in order. */
  written: number[] = [];
  peer!: FakeEnd;
  closed = false;
  #inbound!: ReadableStreamDefaultController<Uint8Array>;
  #inboundOpen = true;
  #outboundOpen = true;

  constructor() {
    this.readable = new ReadableStream({ start: (c) => void (this.#inbound = c) });
  }

  /** Bytes from the peer. */
  deliver(bytes: Uint8Array): void {
    if (this.#inboundOpen) this.#inbound.enqueue(bytes.slice());
  }

  /** End of stream from the peer (FIN). */
  end(): void {
    if (this.#inboundOpen) this.#inbound.close();
    this.#inboundOpen = false;
  }

  write(bytes: Uint8Array): Promise<number> {
    if (!this.#outboundOpen) return Promise.reject(new Error("Broken pipe"));
    this.written.push(...bytes);
    this.peer.deliver(bytes);
    return Promise.resolve(bytes.length);
  }

  closeWrite(): Promise<void> {
    this.#outboundOpen = false;
    this.peer.end();
    return Promise.resolve();
  }

  close(): void {
    if (this.closed) throw new Error("Bad resource ID");
    this.closed = true;
    if (this.#outboundOpen) void this.closeWrite();
    if (this.#inboundOpen) this.#inbound.error(new Error("Bad resource ID"));
    this.#inboundOpen = false;
  }

  /** As a Deno.Conn for the function under test. */
  get conn(): Deno.Conn {
    return this as unknown as Deno.Conn;
  }
}

async function* lines(...items: string[]): AsyncGenerator<string> {
  yield* items;
}

function pair(): [FakeEnd, FakeEnd] {
  const a = new FakeEnd();
  const b = new FakeEnd();
  a.peer = b;
  b.peer = a;
  return [a, b];
}

/** Resolves when `check` holds; polls on the microtask/timer queue, bounded. */
async function until(check: () => boolean, what: string): Promise<void> {
  for (let i = 0; i < 1000; i++) {
    if (check()) return;
    await new Promise((resolve) => setTimeout(resolve, 1));
  }
  throw new Error(`Timed out waiting for ${what}`);
}

Deno.test("chat: both sides send while they receive (ping-pong needs both at once)", async () => {
  const [a, b] = pair();
  const gotA: string[] = [];
  const gotB: string[] = [];
  let pingsDone = false;
  async function* pings() {
    for (let i = 1; i <= 3; i++) {
      yield `ping ${i} 你好`;
      await until(() => gotA.length === i, `pong ${i}`);
    }
    pingsDone = true;
  }
  async function* pongs() {
    for (let i = 1; i <= 3; i++) {
      await until(() => gotB.length === i, `ping ${i}`);
      yield `pong ${i} 中文`;
    }
    await until(() => pingsDone, "the pings to end"); // so that A ends the chat
  }
  const [ra, rb] = await Promise.all([
    chatOverConnection(a.conn, { input: pings(), onLine: (l) => gotA.push(l), encoding: "gbk" }),
    chatOverConnection(b.conn, { input: pongs(), onLine: (l) => gotB.push(l), encoding: "gbk" }),
  ]);
  assert.deepEqual(gotB, ["ping 1 你好", "ping 2 你好", "ping 3 你好"]);
  assert.deepEqual(gotA, ["pong 1 中文", "pong 2 中文", "pong 3 中文"]);
  assert.deepEqual(ra, { sentLines: 3, receivedLines: 3, endedBy: "local" });
  assert.deepEqual(rb, { sentLines: 3, receivedLines: 3, endedBy: "peer" });
  // gbk on the wire: "你好" is C4 E3 BA C3, each line ends with LF.
  const first = a.written.slice(0, 12);
  assert.deepEqual(first, [...new TextEncoder().encode("ping 1 "), 0xc4, 0xe3, 0xba, 0xc3, 0x0a]);
  assert.ok(a.closed && b.closed);
});

Deno.test("chat: the input ends first; the peer's last lines still arrive", async () => {
  const [a, b] = pair();
  const got: string[] = [];
  const chat = chatOverConnection(a.conn, { input: lines("bye"), onLine: (l) => got.push(l) });
  // The raw peer reads "bye\n" and end of stream, then answers and closes.
  await until(() => b.written.length === 0 && a.written.length === 4, "bye");
  const reader = b.readable.getReader();
  assert.deepEqual((await reader.read()).value, new TextEncoder().encode("bye\n"));
  assert.equal((await reader.read()).done, true);
  reader.releaseLock();
  await b.write(new TextEncoder().encode("see you\r\nlast words"));
  b.close();
  assert.deepEqual(await chat, { sentLines: 1, receivedLines: 2, endedBy: "local" });
  assert.deepEqual(got, ["see you", "last words"]);
});

Deno.test("chat: waiting for the peer after the input ended is bounded by lingerMs", async () => {
  const [a, b] = pair();
  const started = performance.now();
  const result = await chatOverConnection(a.conn, {
    input: lines(),
    onLine: () => {},
    lingerMs: 50,
  });
  assert.deepEqual(result, { sentLines: 0, receivedLines: 0, endedBy: "local" });
  assert.ok(performance.now() - started >= 40);
  assert.ok(a.closed);
  b.close();
});

Deno.test("chat: the peer closing ends the chat and leaves the pending input", async () => {
  const [a, b] = pair();
  let returned = 0;
  const never = new Promise<IteratorResult<string>>(() => {});
  const input: AsyncIterable<string> = {
    [Symbol.asyncIterator]: () => ({
      next: () => never,
      return: () => {
        returned++;
        return Promise.resolve({ done: true, value: undefined });
      },
    }),
  };
  const got: string[] = [];
  const chat = chatOverConnection(a.conn, { input, onLine: (l) => got.push(l) });
  await b.write(new TextEncoder().encode("hello\nbye\n"));
  b.close();
  const result: TcpChatResult = await chat;
  assert.deepEqual(result, { sentLines: 0, receivedLines: 2, endedBy: "peer" });
  assert.deepEqual(got, ["hello", "bye"]);
  assert.equal(returned, 1);
  assert.ok(a.closed);
});

Deno.test("chat: abort rejects with the reason; an onLine error is rethrown", async () => {
  const [a, b] = pair();
  const controller = new AbortController();
  const never = new Promise<IteratorResult<string>>(() => {});
  const input = { [Symbol.asyncIterator]: () => ({ next: () => never }) };
  const chat = chatOverConnection(a.conn, {
    input,
    onLine: () => {},
    signal: controller.signal,
  });
  controller.abort(new Error("stop now"));
  await assert.rejects(chat, { message: "stop now" });
  assert.ok(a.closed);
  b.close();

  const [c, d] = pair();
  const failing = chatOverConnection(c.conn, {
    input,
    onLine: (line) => {
      throw new Error(`cannot print ${line}`);
    },
  });
  await d.write(new TextEncoder().encode("x\n"));
  await assert.rejects(failing, { message: "cannot print x" });
  d.close();

  await assert.rejects(
    chatOverConnection(c.conn, { input, onLine: () => {}, lingerMs: 0 }),
    { name: "RangeError", message: "lingerMs must be a positive number, got 0" },
  );
});
