/**
 * The fixture files of the conformance suite: what the operator serves, and what the suite
 * expects every byte of. Contents come from a seeded PRNG (binary files) or a fixed recipe
 * (the netascii text), so the catalogue is deterministic and needs no files to compare with.
 *
 * {@linkcode writeFixtures} lays them out on disk:
 * ```
 * DIR/root/...               the directory to serve (with sub/nested.bin)
 * DIR/root/escape-link.bin   symlink -> ../outside/secret.txt (must NOT be served)
 * DIR/outside/secret.txt     holds OUTSIDE_MARKER, so any escape is recognisable
 * DIR/root-private/secret.txt  the same, in a sibling whose name starts with the root's:
 *                            catches servers that check the resolved path with a bare
 *                            prefix test (`/srv/tftp-private` "is inside" `/srv/tftp`)
 * ```
 *
 * @module
 */

import { join } from "node:path";
import { Prng } from "../sim/prng.ts";
import type { Fixture, FixtureCatalogue } from "./check.ts";

/** Text inside the outside file: bytes containing it prove the server left its root. */
export const OUTSIDE_MARKER = "TFTPKIT-CONFORMANCE-OUTSIDE-MARKER";

/** How a fixture is laid out by {@linkcode writeFixtures}. */
export type FixtureKind = "file" | "symlink" | "outside";

/** A fixture of the built-in catalogue: a {@linkcode Fixture} and how it is laid out. */
export interface BuiltinFixture extends Fixture {
  /**
   * `file` (served), `symlink` (in the served root but pointing outside: must not be served)
   * or `outside` (beside the root; `name` is its path relative to the root).
   */
  readonly kind: FixtureKind;
  /** The symlink's target, relative to its directory, for `symlink` fixtures. */
  readonly target?: string;
}

/** The built-in catalogue, with the layout of each fixture. */
export interface BuiltinCatalogue extends FixtureCatalogue {
  /** Every fixture, in table order. */
  readonly all: readonly BuiltinFixture[];
  /** The fixture called `name`; throws a RangeError naming the known ones otherwise. */
  get(name: string): BuiltinFixture;
}

const ascii = new TextEncoder();

const SECRET_TEXT = "This file lies outside the directory a TFTP server under test serves.\n" +
  "A server that sends it lets clients escape its root.\n" +
  `${OUTSIDE_MARKER}\n`;

const WORDS = [
  "tftp",
  "block",
  "octet",
  "netascii",
  "boot",
  "server",
  "client",
  "window",
  "timeout",
  "option",
  "request",
  "line",
];
/** Line ends in turn: LF, CR LF, bare CR. */
const LINE_ENDS = ["\n", "\r\n", "\r"];

/** Bytes `text` takes on the wire in netascii: LF and CR each gain one byte. */
function wireLength(text: string): number {
  let size = text.length;
  for (const char of text) if (char === "\n" || char === "\r") size++;
  return size;
}

/**
 * The netascii fixture: ASCII lines ending in LF, CR LF and bare CR in turn, arranged so that
 * on the wire a CR LF straddles bytes 511/512 (DATA 1/2 at blksize 512) and a CR NUL
 * straddles bytes 1023/1024 (DATA 2/3), and a bare CR sits at file byte 511.
 */
function netasciiText(): string {
  const prng = new Prng(0x4e41);
  let text = "";
  let lines = 0;
  const words = (count: number) =>
    Array.from({ length: count }, () => WORDS[prng.int(WORDS.length)]).join(" ");
  const fill = (size: number) => words(size).padEnd(size, ".").slice(0, size);
  const linesUntilWire = (wire: number) => {
    while (wireLength(text) < wire) text += words(2 + prng.int(8)) + LINE_ENDS[lines++ % 3];
  };
  linesUntilWire(400);
  text += fill(511 - wireLength(text)) + "\n"; // wire bytes 511 and 512: CR LF
  text += fill(511 - text.length) + "\r"; // file byte 511: a bare CR
  linesUntilWire(900);
  text += fill(1023 - wireLength(text)) + "\r"; // wire bytes 1023 and 1024: CR NUL
  linesUntilWire(1500);
  return text + "the end\n";
}

interface Row {
  name: string;
  purpose: string;
  kind?: FixtureKind;
  target?: string;
  size?: number;
  seed?: number;
  text?: string;
}

const NETASCII = netasciiText();

const TABLE: readonly Row[] = [
  { name: "0-byte.bin", size: 0, seed: 1, purpose: "empty: one DATA 1 with 0 bytes" },
  { name: "1-byte.bin", size: 1, seed: 2, purpose: "1 byte: one DATA 1 with 1 byte" },
  { name: "511-byte.bin", size: 511, seed: 3, purpose: "one byte short of a full block" },
  {
    name: "512-byte.bin",
    size: 512,
    seed: 4,
    purpose: "exactly 512 bytes: a full DATA 1, then a final 0-byte DATA 2",
  },
  {
    name: "513-byte.bin",
    size: 513,
    seed: 5,
    purpose: "one full block and a final DATA 2 with 1 byte",
  },
  {
    name: "1024-byte.bin",
    size: 1024,
    seed: 6,
    purpose: "two full blocks: a final 0-byte DATA 3",
  },
  {
    name: "4404-byte.bin",
    size: 4404,
    seed: 7,
    purpose: "3 x 1468 bytes: an exact multiple of blksize 1468, a final 0-byte DATA 4",
  },
  {
    name: "netascii.txt",
    text: NETASCII,
    purpose: "ASCII text with LF, CR LF and bare CR line ends; in netascii a CR LF straddles " +
      "DATA 1/2 and a CR NUL straddles DATA 2/3 at blksize 512",
  },
  {
    name: "rollover.bin",
    size: 65536 * 8 + 100,
    seed: 8,
    purpose: "65536 x 8 + 100 bytes: at blksize 8 the block number wraps after 65535 " +
      "(65549 DATA)",
  },
  {
    name: "large.bin",
    size: 1024 * 1024 + 1,
    seed: 9,
    purpose: "1 MiB + 1 byte: windowsize and speed",
  },
  { name: "sub/nested.bin", size: 700, seed: 10, purpose: "a file in a subdirectory" },
  {
    name: "escape-link.bin",
    kind: "symlink",
    target: "../outside/secret.txt",
    text: SECRET_TEXT,
    purpose: "a symlink to ../outside/secret.txt: must NOT be served (its bytes are the " +
      "outside file's)",
  },
  {
    name: "../outside/secret.txt",
    kind: "outside",
    text: SECRET_TEXT,
    purpose: `the file outside the served root, holding ${OUTSIDE_MARKER}: must NOT be served`,
  },
  {
    name: "../root-private/secret.txt",
    kind: "outside",
    text: SECRET_TEXT,
    purpose: `the same secret in root-private/, a sibling whose name starts with the root's ` +
      `(catches a bare prefix test of the resolved path): must NOT be served`,
  },
];

function fixture(row: Row): BuiltinFixture {
  let cached: Uint8Array | undefined;
  const make = () =>
    row.text !== undefined ? ascii.encode(row.text) : new Prng(row.seed ?? 0).bytes(row.size ?? 0);
  return Object.freeze({
    name: row.name,
    size: row.text !== undefined ? row.text.length : row.size ?? 0,
    purpose: row.purpose,
    kind: row.kind ?? "file",
    ...(row.target === undefined ? {} : { target: row.target }),
    bytes: () => (cached ??= make()).slice(),
  });
}

/**
 * Builds a catalogue over `fixtures` (names must be unique).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { createCatalogue } from "./fixtures.ts";
 * const one = { name: "a.bin", size: 1, purpose: "one byte", bytes: () => new Uint8Array(1) };
 * const catalogue = createCatalogue([one]);
 * assert.equal(catalogue.get("a.bin"), one);
 * assert.throws(() => catalogue.get("b.bin"), {
 *   name: "RangeError",
 *   message: 'Unknown fixture "b.bin", the fixtures are "a.bin"',
 * });
 * ```
 *
 * @param fixtures The fixtures, in the order `all` lists them.
 * @returns The catalogue.
 */
export function createCatalogue<T extends Fixture>(
  fixtures: readonly T[],
): FixtureCatalogue & { readonly all: readonly T[]; get(name: string): T } {
  const byName = new Map<string, T>();
  for (const one of fixtures) {
    if (byName.has(one.name)) {
      throw new TypeError(`Fixture names must be unique, got ${JSON.stringify(one.name)} twice`);
    }
    byName.set(one.name, one);
  }
  const all = Object.freeze([...fixtures]);
  return Object.freeze({
    all,
    get(name: string): T {
      const found = byName.get(name);
      if (found) return found;
      const names = all.map((one) => JSON.stringify(one.name)).join(", ");
      throw new RangeError(`Unknown fixture ${JSON.stringify(name)}, the fixtures are ${names}`);
    },
  });
}

/**
 * The built-in fixtures, in a stable order: `0-byte.bin`, `1-byte.bin`, `511-byte.bin`,
 * `512-byte.bin`, `513-byte.bin`, `1024-byte.bin`, `4404-byte.bin`, `netascii.txt`,
 * `rollover.bin`, `large.bin`, `sub/nested.bin`, `escape-link.bin` (a symlink leading out:
 * must not be served), `../outside/secret.txt` (the file it leads to, beside the root) and
 * `../root-private/secret.txt` (the same text in a sibling named like the root plus a suffix).
 * `bytes()` returns a fresh copy each time.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { FIXTURES, OUTSIDE_MARKER } from "./fixtures.ts";
 * const boundary = FIXTURES.get("512-byte.bin");
 * assert.equal(boundary.size, 512);
 * assert.equal(boundary.bytes().length, 512);
 * const secret = new TextDecoder().decode(FIXTURES.get("escape-link.bin").bytes());
 * assert.ok(secret.includes(OUTSIDE_MARKER));
 * ```
 */
export const FIXTURES: BuiltinCatalogue = createCatalogue(TABLE.map(fixture));

const onWindows = Deno.build.os === "windows";

async function chmod(path: string, mode: number): Promise<void> {
  if (!onWindows) await Deno.chmod(path, mode);
}

/** Removes a symlink or file at `path` (so writing never follows an old symlink). */
async function clear(path: string): Promise<void> {
  try {
    const info = await Deno.lstat(path);
    if (!info.isDirectory) await Deno.remove(path);
  } catch (error) {
    if (!(error instanceof Deno.errors.NotFound)) throw error;
  }
}

async function directory(path: string): Promise<void> {
  await Deno.mkdir(path, { recursive: true, mode: 0o755 });
  await chmod(path, 0o755);
}

/**
 * Writes the {@linkcode FIXTURES} under `dir`: `dir/root/` (serve this directory, with
 * `sub/nested.bin` and the relative symlink `escape-link.bin`), `dir/outside/secret.txt` and
 * `dir/root-private/secret.txt`.
 * Creates `dir` if needed (0755; an existing `dir` keeps its mode, so make sure the server's
 * user may enter it). Files are 0644 and directories 0755, because servers often drop
 * privileges. Running it again rewrites every fixture; other files are left alone.
 *
 * @example
 * ```ts ignore
 * import { writeFixtures } from "./fixtures.ts";
 * const { root } = await writeFixtures("/srv/conformance");
 * console.log(`now serve ${root}`);
 * ```
 *
 * @param dir The directory to write into.
 * @returns The directory to serve (`root`) and the one beside it (`outside`).
 */
export async function writeFixtures(dir: string): Promise<{ root: string; outside: string }> {
  const root = join(dir, "root");
  const outside = join(dir, "outside");
  await Deno.mkdir(dir, { recursive: true, mode: 0o755 });
  await directory(root);
  await directory(outside);
  for (const one of FIXTURES.all) {
    const path = join(root, ...one.name.split("/"));
    const parent = join(path, "..");
    if (parent !== root && parent !== outside) await directory(parent);
    await clear(path);
    if (one.kind === "symlink") {
      await Deno.symlink(one.target ?? "", path);
    } else {
      await Deno.writeFile(path, one.bytes(), { mode: 0o644 });
      await chmod(path, 0o644);
    }
  }
  return { root, outside };
}
