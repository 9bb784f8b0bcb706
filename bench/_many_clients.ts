/**
 * The load of bench/live_memory.ts, in its own process: `deno run --allow-all
 * bench/_many_clients.ts URL EXPECTED_FILE COUNT BLKSIZE WINDOWSIZE` runs COUNT `tftpGet` of
 * URL at once, compares every byte with EXPECTED_FILE as it arrives, and prints one JSON line:
 * `{ "ok": N, "failed": N, "errors": { text: count } }`.
 *
 * @module
 */

import { checkedGet } from "./_checked_get.ts";

if (import.meta.main) {
  const [url, expectedPath, count, blksize, windowsize] = Deno.args;
  const expected = await Deno.readFile(expectedPath);
  const options = { blksize: Number(blksize), windowsize: Number(windowsize) };
  const results = await Promise.allSettled(
    Array.from({ length: Number(count) }, () => checkedGet(url, expected, options)),
  );
  const errors: Record<string, number> = {};
  let ok = 0;
  for (const r of results) {
    if (r.status === "fulfilled") ok++;
    else {
      const text = String((r.reason as Error)?.message ?? r.reason).replace(/[0-9]+/g, "N");
      errors[text] = (errors[text] ?? 0) + 1;
    }
  }
  console.log(JSON.stringify({ ok, failed: results.length - ok, errors }));
}
