import assert from "node:assert/strict";
import {
  formatBytes,
  formatDuration,
  formatRate,
  ProgressBar,
  type ProgressOptions,
} from "./progress.ts";

const MiB = 1024 * 1024;
const CLEAR = "\r\x1b[K";

/** A bar on a scripted clock; `out` collects every write. */
function scripted(options: ProgressOptions) {
  const clock = { t: 1000 };
  const out: string[] = [];
  const bar = new ProgressBar({ now: () => clock.t, write: (text) => out.push(text), ...options });
  return { clock, out, bar };
}

Deno.test("ProgressBar draws a scripted transfer with a known total", () => {
  const { clock, out, bar } = scripted({ total: 16 * MiB, label: "boot.bin" });
  bar.update(0); // first update always draws; no time has passed, so no rate yet
  clock.t = 1050;
  bar.update(1 * MiB); // 50 ms after the last draw: skipped
  clock.t = 2000;
  bar.update(3 * MiB);
  clock.t = 2099;
  bar.update(4 * MiB); // 99 ms: skipped
  clock.t = 2100;
  bar.update(7 * MiB);
  clock.t = 5000;
  bar.update(16 * MiB);
  clock.t = 5010;
  bar.done();
  bar.done(); // no second final line
  bar.update(1); // ignored after done
  assert.deepEqual(out, [
    `${CLEAR}boot.bin [..............................]   0% 0 B/16.0 MiB  0 B/s  ETA --:--`,
    `${CLEAR}boot.bin [#####.........................]  18% 3.0 MiB/16.0 MiB  3.0 MiB/s  ETA 0:04`,
    `${CLEAR}boot.bin [#############.................]  43% 7.0 MiB/16.0 MiB  6.4 MiB/s  ETA 0:01`,
    `${CLEAR}boot.bin [##############################] 100% 16.0 MiB/16.0 MiB  4.0 MiB/s  ETA 0:00`,
    `${CLEAR}boot.bin [##############################] 100% 16.0 MiB/16.0 MiB  4.0 MiB/s  in 0:04\n`,
  ]);
});

Deno.test("ProgressBar without a total shows bytes and rate only", () => {
  const { clock, out, bar } = scripted({ width: 10, intervalMs: 0 });
  clock.t = 1500;
  bar.update(512);
  clock.t = 1500; // intervalMs 0: every update draws, even at the same instant
  bar.update(768);
  clock.t = 63_000;
  bar.done();
  assert.deepEqual(out, [
    `${CLEAR}512 B  1.0 KiB/s`,
    `${CLEAR}768 B  1.5 KiB/s`,
    `${CLEAR}768 B  12 B/s  in 1:02\n`,
  ]);
});

Deno.test("ProgressBar handles an empty file and more bytes than the total", () => {
  const empty = scripted({ total: 0, width: 4 });
  empty.bar.done();
  assert.deepEqual(empty.out, [`${CLEAR}[####] 100% 0 B/0 B  0 B/s  in 0:00\n`]);

  const over = scripted({ total: 1000, width: 4, label: "x" });
  over.clock.t = 2000;
  over.bar.update(1500);
  over.clock.t = 2000;
  over.bar.done();
  assert.deepEqual(over.out, [
    `${CLEAR}x [####] 150% 1.5 KiB/1000 B  1.5 KiB/s  ETA 0:00`,
    `${CLEAR}x [####] 150% 1.5 KiB/1000 B  1.5 KiB/s  in 0:01\n`,
  ]);
});

Deno.test("ProgressBar rejects bad options and byte counts", () => {
  assert.throws(() => new ProgressBar({ total: -1, write: () => {} }), {
    name: "RangeError",
    message: "total must be a finite number >= 0, got -1",
  });
  assert.throws(() => new ProgressBar({ width: 0, write: () => {} }), {
    name: "RangeError",
    message: "width must be an integer >= 1, got 0",
  });
  assert.throws(() => new ProgressBar({ intervalMs: NaN, write: () => {} }), {
    name: "RangeError",
    message: "intervalMs must be a finite number >= 0, got NaN",
  });
  const { bar, out } = scripted({});
  assert.throws(() => bar.update(-5), {
    name: "RangeError",
    message: "bytes must be a finite number >= 0, got -5",
  });
  assert.deepEqual(out, []);
});

Deno.test("formatBytes picks the unit and precision", () => {
  const cases: [number, string][] = [
    [0, "0 B"],
    [512, "512 B"],
    [1023, "1023 B"],
    [1023.4, "1023 B"],
    [1023.5, "1.0 KiB"],
    [1024, "1.0 KiB"],
    [1536, "1.5 KiB"],
    [1023.95 * 1024, "1.0 MiB"],
    [7.2 * MiB, "7.2 MiB"],
    [16 * MiB, "16.0 MiB"],
    [4 * 1024 ** 3, "4.00 GiB"],
    [1.5 * 1024 ** 4, "1.50 TiB"],
    [2 ** 70, "1024.00 EiB"],
  ];
  for (const [n, text] of cases) assert.equal(formatBytes(n), text, `formatBytes(${n})`);
  for (const bad of [-1, NaN, Infinity]) {
    assert.throws(() => formatBytes(bad), {
      name: "RangeError",
      message: `Byte count must be a finite number >= 0, got ${bad}`,
    });
  }
});

Deno.test("formatRate appends /s", () => {
  assert.equal(formatRate(0), "0 B/s");
  assert.equal(formatRate(999.6), "1000 B/s");
  assert.equal(formatRate(12.3 * MiB), "12.3 MiB/s");
  assert.throws(() => formatRate(-1), {
    name: "RangeError",
    message: "Rate must be a finite number >= 0, got -1",
  });
});

Deno.test("formatDuration rounds to seconds and adds hours when needed", () => {
  const cases: [number, string][] = [
    [0, "0:00"],
    [4499, "0:04"],
    [4500, "0:05"],
    [5000, "0:05"],
    [59_499, "0:59"],
    [59_500, "1:00"],
    [3_599_000, "59:59"],
    [3_600_000, "1:00:00"],
    [3_723_000, "1:02:03"],
    [360_000_000, "100:00:00"],
  ];
  for (const [ms, text] of cases) assert.equal(formatDuration(ms), text, `formatDuration(${ms})`);
  assert.throws(() => formatDuration(-1), {
    name: "RangeError",
    message: "Duration must be a finite number >= 0, got -1",
  });
});
