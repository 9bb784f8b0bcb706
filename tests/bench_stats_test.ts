/**
 * The peer benchmark's pure parts: the statistics and table of bench/_stats.ts, and the plan
 * of cells in bench/_peer_runs.ts (the comparison table, cell by cell). No sockets,
 * no processes, no permissions.
 */

import assert from "node:assert/strict";
import {
  compareVariants,
  formatSummary,
  formatTable,
  megabytesPerSecond,
  ratioOfMedians,
  runOrder,
  summarize,
  verdict,
} from "../bench/_stats.ts";
import { clientCpu, label, planCells } from "../bench/_peer_runs.ts";

Deno.test("summarize gives the median, min and max whatever the order", () => {
  assert.deepEqual(summarize([5]), { n: 1, median: 5, min: 5, max: 5 });
  assert.deepEqual(summarize([9, 1, 5, 3, 7]), { n: 5, median: 5, min: 1, max: 9 });
  assert.deepEqual(summarize([10, 2, 4, 8]), { n: 4, median: 6, min: 2, max: 10 });
  assert.equal(summarize([]), undefined);
  const values = [3, 1, 2];
  summarize(values);
  assert.deepEqual(values, [3, 1, 2], "the input is not sorted in place");
});

Deno.test("summarize refuses values that are not finite numbers", () => {
  assert.throws(() => summarize([1, NaN]), {
    name: "RangeError",
    message: "Measurements must be finite numbers, got null",
  });
  assert.throws(() => summarize([Infinity]), { name: "RangeError" });
});

Deno.test("ratioOfMedians divides medians and has no answer without both sides", () => {
  assert.equal(ratioOfMedians(summarize([1, 100, 3]), summarize([2, 1, 9])), 1.5);
  assert.equal(ratioOfMedians(undefined, summarize([1])), undefined);
  assert.equal(ratioOfMedians(summarize([1]), summarize([0])), undefined);
});

Deno.test("megabytesPerSecond counts 10^6 bytes per second", () => {
  assert.equal(megabytesPerSecond(16 * 1024 * 1024, 1000), 16.777216);
  assert.equal(megabytesPerSecond(0, 5), 0);
  assert.throws(() => megabytesPerSecond(1, -1), {
    name: "RangeError",
    message: "Duration must be above 0 ms, got -1",
  });
  assert.throws(() => megabytesPerSecond(1, NaN), { name: "RangeError" });
});

Deno.test("runOrder alternates the direction of every round", () => {
  assert.deepEqual(runOrder(2, 5), [0, 1, 1, 0, 0, 1, 1, 0, 0, 1]);
  assert.deepEqual(runOrder(4, 2), [0, 1, 2, 3, 3, 2, 1, 0]);
  assert.deepEqual(runOrder(1, 3), [0, 0, 0]);
  assert.deepEqual(runOrder(3, 0), []);
  for (const variants of [2, 3, 4]) {
    const counts = new Array(variants).fill(0);
    for (const i of runOrder(variants, 7)) counts[i]++;
    assert.deepEqual(counts, new Array(variants).fill(7), "every variant runs once a round");
  }
  assert.throws(() => runOrder(0, 1), {
    name: "RangeError",
    message: "runOrder needs at least 1 variant and 0 or more rounds, got [0,1]",
  });
  assert.throws(() => runOrder(2, 1.5), { name: "RangeError" });
});

Deno.test("formatSummary prints median [min-max] with fixed decimals", () => {
  assert.equal(formatSummary(summarize([12.345, 10, 20.04])), "12.3 [10.0-20.0]");
  assert.equal(formatSummary(summarize([1]), 2), "1.00 [1.00-1.00]");
  assert.equal(formatSummary(undefined), "-");
});

Deno.test("formatTable pads columns, aligns numbers right, trims line ends", () => {
  const text = formatTable([
    ["group", "cell", "MB/s", "met"],
    ["lock-step", "512", "7.1 [7.0-7.3]", "yes"],
    ["sweep", "65464 x 64", "812.0 [800.1-820.9]"],
  ], { rightAligned: [2] });
  assert.equal(
    text,
    [
      "group      cell                       MB/s  met",
      "---------  ----------  -------------------  ---",
      "lock-step  512               7.1 [7.0-7.3]  yes",
      "sweep      65464 x 64  812.0 [800.1-820.9]",
      "",
    ].join("\n"),
  );
  assert.equal(formatTable([["a", "b"]], { gap: " | " }), "a | b\n- | -\n");
  assert.equal(formatTable([]), "");
});

Deno.test("compareVariants draws every row from the same measurements", () => {
  const rows = compareVariants([[10, 10, 10], [20, 30], [], [5, 5]], [
    { name: "base", a: 0, b: 0 },
    { name: "faster", a: 1, b: 0, target: 1 },
    { name: "nothing", a: 2, b: 0, target: 1 },
    { name: "slower", a: 3, b: 0, target: 1 },
  ]);
  assert.deepEqual(rows.map((r) => [r.name, r.ratio, r.met]), [
    ["base", 1, undefined],
    ["faster", 2.5, true],
    ["nothing", undefined, undefined],
    ["slower", 0.5, false],
  ]);
  assert.equal(rows[2].aSummary, undefined);
  assert.deepEqual(rows[3].bSummary, { n: 3, median: 10, min: 10, max: 10 });
  assert.deepEqual(rows.map((r) => verdict(r, "COLLAPSE")), ["base", "yes", "FAILED", "COLLAPSE"]);
  assert.equal(verdict(rows[3]), "no");
});

Deno.test("a ratio exactly at the target meets it", () => {
  const [row] = compareVariants([[15], [10]], [{ name: "x", a: 0, b: 1, target: 1.5 }]);
  assert.equal(row.met, true);
  assert.equal(verdict(row), "yes");
});

Deno.test("the full plan has the issue's cells in order", () => {
  const cells = planCells(false);
  const names = cells.map((c) =>
    `${c.group} ${c.placement} ${c.rows.map((r) => r.name).join(",")} | ${
      c.variants.map(label).join(" vs ")
    } | ${c.rows.map((r) => r.target ?? "-").join(",")}`
  );
  assert.deepEqual(names, [
    "lock-step same server 512 busybox,server 512 busybox busy-poll | busybox -> ours vs busybox -> tftpd-hpa vs busybox -> ours-busy | 1,1",
    "lock-step same server 512 atftp,server 512 atftp busy-poll | atftp -> ours vs atftp -> tftpd-hpa vs atftp -> ours-busy | 1,1",
    "lock-step same client 512,client 512 busy-poll | ours -> tftpd-hpa vs busybox -> tftpd-hpa vs ours-busy -> tftpd-hpa | 1,1",
    "lock-step split server 512 busybox,server 512 busybox busy-poll | busybox -> ours vs busybox -> tftpd-hpa vs busybox -> ours-busy | 1,1",
    "lock-step split server 512 atftp,server 512 atftp busy-poll | atftp -> ours vs atftp -> tftpd-hpa vs atftp -> ours-busy | 1,1",
    "lock-step split client 512,client 512 busy-poll | ours -> tftpd-hpa vs busybox -> tftpd-hpa vs ours-busy -> tftpd-hpa | 1,1",
    "lock-step same server 1468 busybox,server 1468 busybox busy-poll | busybox -> ours vs busybox -> tftpd-hpa vs busybox -> ours-busy | 1,1",
    "lock-step same server 1468 atftp,server 1468 atftp busy-poll | atftp -> ours vs atftp -> tftpd-hpa vs atftp -> ours-busy | 1,1",
    "lock-step same client 1468,client 1468 busy-poll | ours -> tftpd-hpa vs busybox -> tftpd-hpa vs ours-busy -> tftpd-hpa | 1,1",
    "lock-step split server 1468 busybox,server 1468 busybox busy-poll | busybox -> ours vs busybox -> tftpd-hpa vs busybox -> ours-busy | 1,1",
    "lock-step split server 1468 atftp,server 1468 atftp busy-poll | atftp -> ours vs atftp -> tftpd-hpa vs atftp -> ours-busy | 1,1",
    "lock-step split client 1468,client 1468 busy-poll | ours -> tftpd-hpa vs busybox -> tftpd-hpa vs ours-busy -> tftpd-hpa | 1,1",
    "windowed same 1468 x 16,1468 x 16 busy-poll | ours -> ours w16 vs atftp -> atftpd w16 vs ours-busy -> ours-busy w16 | 1.5,1.5",
    "windowed split 1468 x 16,1468 x 16 busy-poll | ours -> ours w16 vs atftp -> atftpd w16 vs ours-busy -> ours-busy w16 | 1.5,1.5",
    "windowed same 1468 x 64,1468 x 64 busy-poll | ours -> ours w64 vs atftp -> atftpd w64 vs ours-busy -> ours-busy w64 | 1.5,1.5",
    "windowed split 1468 x 64,1468 x 64 busy-poll | ours -> ours w64 vs atftp -> atftpd w64 vs ours-busy -> ours-busy w64 | 1.5,1.5",
    "65464 same server busybox,server busybox busy-poll | busybox -> ours vs busybox -> tftpd-hpa vs busybox -> ours-busy | 1,1",
    "65464 split server busybox,server busybox busy-poll | busybox -> ours vs busybox -> tftpd-hpa vs busybox -> ours-busy | 1,1",
    "65464 same server atftp,server atftp busy-poll | atftp -> ours vs atftp -> tftpd-hpa vs atftp -> ours-busy | 1,1",
    "65464 split server atftp,server atftp busy-poll | atftp -> ours vs atftp -> tftpd-hpa vs atftp -> ours-busy | 1,1",
    ...[512, 1468, 8192, 65464].map((bs) =>
      `sweep split ${bs} x 1,${bs} x 4,${bs} x 16,${bs} x 64 | ` +
      `ours -> ours vs ours -> ours w4 vs ours -> ours w16 vs ours -> ours w64 | -,1,1,1`
    ),
  ]);
  for (const cell of cells) {
    for (const row of cell.rows) {
      const [a, b] = [cell.variants[row.a], cell.variants[row.b]];
      assert.equal(a.blksize, b.blksize, `${cell.group} ${row.name}: same blksize on both sides`);
    }
    if (cell.group === "sweep") {
      assert.deepEqual(cell.rows.map((r) => r.b), [0, 0, 0, 0], "each window against lock-step");
      assert.equal(cell.variants[0].windowsize, 1);
    }
  }
});

Deno.test("the quick plan is a small subset: one of each kind, split placement", () => {
  const cells = planCells(true);
  assert.deepEqual(cells.map((c) => `${c.group} ${c.rows.map((r) => r.name).join(",")}`), [
    "lock-step server 1468 busybox,server 1468 busybox busy-poll",
    "lock-step client 1468,client 1468 busy-poll",
    "windowed 1468 x 16,1468 x 16 busy-poll",
    "65464 server busybox,server busybox busy-poll",
    "sweep 1468 x 1,1468 x 16",
  ]);
  assert.ok(cells.every((c) => c.placement === "split"));
  assert.equal(clientCpu("same"), 0);
  assert.equal(clientCpu("split"), 1);
});
