/**
 * `deno task demo`: the tour a newcomer runs. It starts a TFTP server on a loopback
 * ephemeral port over generated sample files, downloads each one with the real client
 * (progress bar, a short packet trace), verifies every byte with SHA-256, shows two refused
 * requests, and says what happened. Everything lives in temporary directories removed at the
 * end.
 *
 * @module
 */

import { serveTftp, TftpError, tftpGet, type TransferResult } from "../mod.ts";
import { formatBytes, formatRate, ProgressBar } from "../lib/cli/progress.ts";
import { formatTrace } from "../lib/tftp/trace.ts";
import { sha256Hex } from "../lib/bytes.ts";

const SAMPLES: ReadonlyArray<{ name: string; size: number; why: string }> = [
  { name: "empty.bin", size: 0, why: "an empty file is one DATA packet with 0 bytes" },
  {
    name: "exact-512.bin",
    size: 512,
    why: "exactly one block: a 0-byte DATA must follow (the 516-byte case)",
  },
  { name: "exact-1024.bin", size: 1024, why: "two full blocks, then a 0-byte DATA 3" },
  {
    name: "firmware-4MiB.bin",
    size: 4 * 1024 * 1024,
    why: "a few MB with blksize 1468 and a window of 8",
  },
];

function sampleBytes(size: number, seed: number): Uint8Array<ArrayBuffer> {
  const out = new Uint8Array(size);
  let x = seed >>> 0 || 1;
  for (let i = 0; i < size; i++) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    out[i] = x & 0xff;
  }
  return out;
}

function describe(result: TransferResult): string {
  const { stats } = result;
  const o = stats.options;
  const rate = stats.elapsedMs > 0 && result.bytes > 0
    ? formatRate(result.bytes / (stats.elapsedMs / 1000))
    : "-";
  return `blksize ${o.blksize}, windowsize ${o.windowsize}, ${
    stats.datagramsSent + stats.datagramsReceived
  } datagrams, ` +
    `${stats.retransmits} retransmits, ${stats.elapsedMs.toFixed(1)} ms, ${rate}`;
}

const say = (line = "") => console.log(line);
const root = await Deno.makeTempDir({ prefix: "tftpkit-demo-root-" });
const downloads = await Deno.makeTempDir({ prefix: "tftpkit-demo-out-" });
let failures = 0;
try {
  const expected = new Map<string, string>();
  for (const [i, sample] of SAMPLES.entries()) {
    const bytes = sampleBytes(sample.size, i + 1);
    await Deno.writeFile(`${root}/${sample.name}`, bytes);
    expected.set(sample.name, await sha256Hex(bytes));
  }
  await using server = serveTftp({ root, hostname: "127.0.0.1", port: 0 });
  const base = `tftp://127.0.0.1:${server.addr.port}`;
  say(
    `tftpkit demo: a TFTP server is listening on 127.0.0.1:${server.addr.port}, serving ${SAMPLES.length} generated files`,
  );
  say();

  for (const sample of SAMPLES) {
    const traced = sample.name === "exact-1024.bin";
    const big = sample.size > 1024 * 1024;
    say(`GET ${sample.name} (${formatBytes(sample.size)}): ${sample.why}`);
    if (traced) {
      say("  packet trace, lock-step at blksize 512 (-> sent by the client, <- received):");
    }
    const bar = big && Deno.stderr.isTerminal()
      ? new ProgressBar({ label: sample.name, total: sample.size })
      : undefined;
    const result = await tftpGet(`${base}/${sample.name}`, `${downloads}/${sample.name}`, {
      ...(traced ? { blksize: 512, windowsize: 1 } : big ? { windowsize: 8 } : {}),
      onDatagram: traced
        ? (dir, peer, bytes) => say(`    ${formatTrace(dir, peer, bytes)}`)
        : undefined,
      onProgress: bar ? (p) => bar.update(p.bytes) : undefined,
    });
    bar?.done();
    const got = await sha256Hex(await Deno.readFile(`${downloads}/${sample.name}`));
    const ok = got === expected.get(sample.name);
    if (!ok) failures++;
    say(
      `  ${ok ? "ok" : "MISMATCH"}: ${formatBytes(result.bytes)}, sha-256 ${got.slice(0, 16)}... ${
        ok ? "matches" : "differs"
      }`,
    );
    say(`  ${describe(result)}`);
    say();
  }

  for (
    const [name, meaning] of [["no-such-file.bin", "a missing file"], [
      "../../etc/passwd",
      "a path that escapes the root",
    ]]
  ) {
    try {
      await tftpGet(`${base}/${name}`, `${downloads}/refused.bin`, { retries: 2 });
      failures++;
      say(`GET ${name}: unexpectedly succeeded`);
    } catch (error) {
      if (!(error instanceof TftpError)) throw error;
      const leftover = await Deno.stat(`${downloads}/refused.bin`).then(() => true, () => false);
      if (leftover) failures++;
      say(
        `GET ${name} (${meaning}): refused with "${error.message}"${
          leftover ? " BUT a file was left" : ", no file left behind"
        }`,
      );
    }
  }
  say();
  say(
    failures === 0
      ? `All ${SAMPLES.length} downloads verified byte for byte; both bad requests were refused cleanly.`
      : `${failures} problem(s) found.`,
  );
  say("Next: `npx --prefer-offline -y deno@2.9.5 task tftp --help` for the command line");
  say("(`deno task tftp --help` where Deno is installed), and README.md for the library.");
} finally {
  await Deno.remove(root, { recursive: true }).catch(() => {});
  await Deno.remove(downloads, { recursive: true }).catch(() => {});
}
if (failures > 0) Deno.exit(1);
