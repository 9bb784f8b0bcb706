// Path confinement end to end: one fixture tree, one table of escape attempts, each tried as a
// TFTP read (RRQ), a TFTP write (WRQ to a server with allowCreate and allowOverwrite) and a
// TCP read, framed and raw. The TCP file service has no upload path (serveTcpFiles only opens
// files for reading, and its framed protocol only knows GET), so its rows cover reads only.
//
// Requests are crafted byte for byte (a raw UDP peer, a raw TCP connection) so that names no
// well-behaved client sends (NUL, CR, LF, invalid UTF-8, over 512 bytes) reach the servers;
// the real clients serve the legitimate names at the end, after every escape attempt.
//
// Every row asserts: the exact TFTP ERROR (code and message), or, for a name that is a legal
// literal (`%2e%2e%2f` is not decoded), the exact file created inside the root; the exact
// framed TCP response; nothing at all from the raw TCP server; no reply holding a server path
// or a secret; the whole tree (sha-256 of every file, target of every link) unchanged but for
// that one created file.
//
// Tree (one Deno.makeTempDir, removed at the end):
//   root/top.txt, root/a..b, root/sub/f          served files (`a..b` is a legal name)
//   root/link-in -> sub/f                         a symlink that stays inside (allowed)
//   root/link-out -> ../outside/secret.txt        a file symlink out; link-abs: absolute target
//   root/dir-out -> ../outside                    a directory symlink out
//   root/sub/up -> ../..                          a nested directory symlink out
//   root/link-private -> ../root-private/secret   root-prefix siblings: a file ...
//   root/dir-root2 -> ../root2                    ... and a directory
//   root/dangling -> ../outside/nothing           broken (a write through it would create it)
//   root/loop -> loop                             a symlink loop
//   root/fifo                                     a named pipe (made with mkfifo)
//   outside/secret.txt, root-private/secret, root2/x     unique secret markers
import assert from "node:assert/strict";
import { join } from "node:path";
import { decodePacket, encodeError, OPCODE, serveTftp, type TransferRecord } from "../mod.ts";
import { tftpGetBytes, tftpPut } from "../lib/tftp/client.ts";
import { serveTcpFiles } from "../lib/tcp/server.ts";
import { tcpGet } from "../lib/tcp/client.ts";
import { concatBytes, sha256Hex } from "../lib/bytes.ts";
import { GIVE_UP, RawPeer, waitUntil, within } from "./_fixture.ts";

const utf8 = new TextEncoder();
const text = (bytes: Uint8Array) => new TextDecoder().decode(bytes);

type Refusal = { code: number; message: string };
/** A legal literal name: the write creates exactly this file (relative to the root). */
type Created = { created: string };
interface Row {
  label: string;
  /** Sent as is: a string is encoded as UTF-8. */
  name: string | Uint8Array;
  /** The TFTP RRQ answer. */
  read: Refusal;
  /** The TFTP WRQ answer. @default {read} */
  write?: Refusal | Created;
  /** The framed TCP response. @default {NOT_FOUND or DENIED with read's message} */
  tcp?: string;
}

const refusal = (code: number, message: string): Refusal => ({ code, message });
const denied = (reason: string) => refusal(2, `Access violation: ${reason}`);
const NOT_FOUND = refusal(1, "File not found");
const NO_DIR = refusal(1, "Directory not found");
const DOTDOT = denied('".." is not allowed');
const LEAVES = denied("name leaves the served directory");
const BACKSLASH = denied("backslashes are not allowed");
const CONTROL = denied("control characters are not allowed");
const DRIVE = denied("drive prefixes are not allowed");
const TOO_LONG = denied("name is longer than 1024 bytes");
const malformed = (kind: "RRQ" | "WRQ", what: string) =>
  refusal(4, `Malformed request: ${kind} ${what}`);
const BAD_REQUEST = (why: string) => `ERROR Bad request: ${why}\n`;
const NUL_OR_CR = BAD_REQUEST("Request name contains NUL or CR");
const BAD_UTF8 = "holds a string that is not valid UTF-8";

/** The table; `base` is the fixture's directory (absolute names are built from it). */
function escapeRows(base: string, realBase: string): Row[] {
  const literal = (label: string, name: string, created: string): Row => ({
    label,
    name,
    read: NOT_FOUND,
    write: { created },
  });
  const nowhere = (label: string, name: string): Row => ({
    label,
    name,
    read: NOT_FOUND,
    write: NO_DIR,
  });
  return [
    { label: "dot-dot alone", name: "..", read: DOTDOT },
    { label: "dot-dot slash", name: "../", read: DOTDOT },
    { label: "dot-dot to the secret", name: "../outside/secret.txt", read: DOTDOT },
    { label: "three levels up", name: "../../..", read: DOTDOT },
    { label: "deep climb to /etc/passwd", name: "../../../../../../etc/passwd", read: DOTDOT },
    { label: "down then up twice", name: "sub/../../outside/secret.txt", read: DOTDOT },
    { label: "down then up, staying inside", name: "sub/../top.txt", read: DOTDOT },
    { label: "dot then dot-dot", name: "./../outside/secret.txt", read: DOTDOT },
    { label: "dot-dot double slash", name: "..//outside/secret.txt", read: DOTDOT },
    { label: "trailing dot-dot segment", name: "sub/..", read: DOTDOT },
    { label: "three dots", name: ".../outside/secret.txt", read: denied('"..." is not allowed') },
    { label: "four dots", name: "....", read: denied('"...." is not allowed') },
    { label: "the root itself", name: "./", read: denied("name does not name a file") },
    literal("trailing dot (literal)", "top.txt.", "top.txt."),
    nowhere("dot-dot space (literal)", ".. /outside/secret.txt"),
    { label: "dot-dot backslash", name: "..\\", read: BACKSLASH },
    { label: "backslash climb", name: "sub\\..\\..\\outside\\secret.txt", read: BACKSLASH },
    { label: "mixed slashes", name: "..\\/outside/secret.txt", read: BACKSLASH },
    nowhere("absolute /etc/passwd", "/etc/passwd"),
    nowhere("double-slash absolute", "//etc/passwd"),
    nowhere("absolute outside directory", `${base}/outside`),
    nowhere("absolute real path of the secret", `${realBase}/outside/secret.txt`),
    { label: "absolute root then dot-dot", name: `${base}/root/../outside`, read: DOTDOT },
    literal("%2e%2e%2f (literal)", "%2e%2e%2f", "%2e%2e%2f"),
    literal("%2e%2e/ (literal)", "%2e%2e/", "%2e%2e"),
    literal("..%2f (literal)", "..%2f", "..%2f"),
    literal(
      "encoded climb (literal)",
      "%2e%2e%2foutside%2fsecret.txt",
      "%2e%2e%2foutside%2fsecret.txt",
    ),
    literal("..%00 (literal)", "..%00", "..%00"),
    nowhere("%c0%ae overlong escape (literal)", "%c0%ae%c0%ae/outside/secret.txt"),
    {
      label: "overlong UTF-8 dot-dot bytes",
      name: concatBytes([Uint8Array.of(0xc0, 0xae, 0xc0, 0xae), utf8.encode("/outside")]),
      read: malformed("RRQ", BAD_UTF8),
      write: malformed("WRQ", BAD_UTF8),
      tcp: BAD_REQUEST("Request is not valid UTF-8"),
    },
    {
      label: "NUL in the middle",
      name: "top.txt\0../outside/secret.txt",
      // The name ends at the NUL; the rest reads as a mode and an option without a value.
      read: malformed("RRQ", 'option "octet" has no value'),
      write: malformed("WRQ", 'option "octet" has no value'),
      tcp: NUL_OR_CR,
    },
    {
      label: "NUL after dot-dot",
      name: "..\0",
      read: malformed("RRQ", "has an empty mode"),
      write: malformed("WRQ", "has an empty mode"),
      tcp: NUL_OR_CR,
    },
    {
      label: "NUL first",
      name: "\0../outside/secret.txt",
      read: malformed("RRQ", "has an empty filename"),
      write: malformed("WRQ", "has an empty filename"),
      tcp: NUL_OR_CR,
    },
    // The LF ends a TCP request line: the server sees "x" and never the rest.
    {
      label: "LF",
      name: "x\n../outside/secret.txt",
      read: CONTROL,
      tcp: "NOT_FOUND File not found\n",
    },
    { label: "CR", name: "x\r../outside/secret.txt", read: CONTROL, tcp: NUL_OR_CR },
    { label: "ESC", name: "\x1b[2J../outside/secret.txt", read: CONTROL },
    { label: "DEL", name: "top\x7f.txt", read: CONTROL },
    { label: "TAB", name: "top.txt\t", read: CONTROL },
    { label: "C1 control NEL", name: "sub\u0085/f", read: CONTROL },
    {
      label: "segment of 256 bytes",
      name: "a".repeat(256),
      read: denied("a name segment is longer than 255 bytes"),
    },
    { label: "name of 1025 bytes", name: `sub/${"a/".repeat(510)}x`, read: TOO_LONG },
    {
      label: "name of 4097 bytes",
      name: `${"a/".repeat(2048)}x`,
      read: TOO_LONG,
      tcp: BAD_REQUEST("Header line is longer than 1100 bytes"),
    },
    {
      label: "dot-dot repeated over 4096 bytes",
      name: `${"../".repeat(1366)}etc/passwd`,
      read: TOO_LONG,
      tcp: BAD_REQUEST("Header line is longer than 1100 bytes"),
    },
    {
      label: "name of 10000 bytes",
      name: "x".repeat(10_000),
      read: TOO_LONG,
      tcp: BAD_REQUEST("Header line is longer than 1100 bytes"),
    },
    { label: "Windows path", name: "C:\\Windows\\win.ini", read: BACKSLASH },
    { label: "drive with slash", name: "c:/x", read: DRIVE },
    { label: "bare drive", name: "C:", read: DRIVE },
    { label: "drive in a later segment", name: "sub/C:secret", read: DRIVE },
    { label: "UNC share", name: "\\\\server\\share", read: BACKSLASH },
    { label: "Win32 device path", name: "\\\\?\\C:\\Windows", read: BACKSLASH },
    nowhere("file URL (literal)", "file:///etc/passwd"),
    nowhere("home directory (literal)", "~/.ssh/id_rsa"),
    { label: "file symlink out", name: "link-out", read: LEAVES },
    { label: "file symlink out, absolute target", name: "link-abs", read: LEAVES },
    { label: "through a directory symlink out", name: "dir-out/secret.txt", read: LEAVES },
    { label: "new file in a directory symlink out", name: "dir-out/new.bin", read: LEAVES },
    { label: "nested directory symlink out", name: "sub/up/outside/secret.txt", read: LEAVES },
    { label: "directory symlink out as the file", name: "dir-out", read: LEAVES },
    // Opening a FIFO would block the transfer: it is refused before any open.
    { label: "FIFO inside the root", name: "fifo", read: denied("not a regular file") },
    { label: "dangling symlink", name: "dangling", read: denied("broken symbolic link") },
    { label: "symlink loop", name: "loop", read: denied("too many symbolic links") },
    { label: "sibling root-private by dot-dot", name: "../root-private/secret", read: DOTDOT },
    { label: "sibling root2 by dot-dot", name: "../root2/x", read: DOTDOT },
    { label: "sibling root-private by symlink", name: "link-private", read: LEAVES },
    { label: "sibling root2 by directory symlink", name: "dir-root2/x", read: LEAVES },
    nowhere("U+2024 one dot leaders (literal)", "\u2024\u2024/outside/secret.txt"),
    nowhere("U+2025 two dot leader (literal)", "\u2025/outside/secret.txt"),
    literal("U+FF0E fullwidth dots (literal)", "\uFF0E\uFF0E", "\uFF0E\uFF0E"),
    literal(
      "fullwidth dots and solidus (literal)",
      "\uFF0E\uFF0E\uFF0Fsecret",
      "\uFF0E\uFF0E\uFF0Fsecret",
    ),
    // TFTP's decoder drops a leading BOM (then ".." is refused); TCP's keeps it (a literal).
    {
      label: "BOM before dot-dot",
      name: "\uFEFF../outside",
      read: DOTDOT,
      tcp: "NOT_FOUND File not found\n",
    },
  ];
}

/** Every entry under `dir` by relative path: `dir`, `link <target>`, `file <sha-256>`, `other`. */
async function snapshot(dir: string, prefix = ""): Promise<Record<string, string>> {
  const out: Record<string, string> = {};
  for await (const entry of Deno.readDir(dir)) {
    const path = join(dir, entry.name);
    const rel = prefix + entry.name;
    if (entry.isSymlink) out[rel] = `link ${await Deno.readLink(path)}`;
    else if (entry.isDirectory) {
      out[rel] = "dir";
      Object.assign(out, await snapshot(path, `${rel}/`));
    } else if (entry.isFile) out[rel] = `file ${await sha256Hex(await Deno.readFile(path))}`;
    else out[rel] = "other"; // the FIFO: reading it would block
  }
  return sorted(out);
}

function sorted(entries: Record<string, string>): Record<string, string> {
  return Object.fromEntries(Object.entries(entries).sort(([a], [b]) => a < b ? -1 : 1));
}

/** The first datagram the server answers a crafted request with; completes what it starts. */
async function tftpProbe(port: number, opcode: 1 | 2, name: Uint8Array): Promise<Uint8Array> {
  await using peer = new RawPeer();
  const octet = utf8.encode("\0octet\0");
  await peer.send(concatBytes([Uint8Array.of(0, opcode), name, octet]), port);
  const reply = await peer.receiveBytes(5000);
  if (!reply) throw new Error("No TFTP reply within 5000 ms");
  const packet = decodePacket(reply.bytes);
  if (packet.opcode === OPCODE.ACK && opcode === OPCODE.WRQ) {
    // Accepted: finish the upload, so a file created anywhere shows in the tree.
    await peer.send({ opcode: OPCODE.DATA, block: 1, data: PAYLOAD }, reply.from);
    await peer.expect((p) => p.opcode === OPCODE.ACK && p.block === 1, 5000, "ACK 1");
  } else if (packet.opcode === OPCODE.DATA) {
    await peer.send({ opcode: OPCODE.ERROR, code: 0, message: "Probe done" }, reply.from);
  }
  return reply.bytes;
}

/** What a TCP server sent for `request` until it closed (or reset) the connection. */
async function tcpProbe(port: number, request: Uint8Array): Promise<Uint8Array> {
  const conn = await Deno.connect({ hostname: "127.0.0.1", port });
  const chunks: Uint8Array[] = [];
  const buffer = new Uint8Array(65536);
  const exchange = (async () => {
    for (let at = 0; at < request.length;) at += await conn.write(request.subarray(at));
    for (let n = await conn.read(buffer); n !== null; n = await conn.read(buffer)) {
      chunks.push(buffer.slice(0, n));
    }
  })().catch((error) => {
    // A server that closes with request bytes unread may reset: keep what arrived before.
    const reset = error instanceof Deno.errors.ConnectionReset ||
      error instanceof Deno.errors.BrokenPipe;
    if (!reset) throw error;
  });
  try {
    await within(exchange, 5000, "TCP response");
  } finally {
    conn.close();
    await exchange.catch(() => {});
  }
  return concatBytes(chunks);
}

/** Stops `server` when disposed, within 5 s: a server stuck on a file fails, never hangs. */
function stopWithin(server: { shutdown(): Promise<void> }, what: string): AsyncDisposable {
  return { [Symbol.asyncDispose]: () => within(server.shutdown(), 5000, `${what} shutdown`) };
}

const PAYLOAD = utf8.encode("written by path_escape_test\n");
const SECRETS = Array.from({ length: 3 }, () => `secret-${crypto.randomUUID()}`);
const LINKS: [string, string][] = [
  ["link-in", "sub/f"],
  ["link-out", "../outside/secret.txt"],
  ["dir-out", "../outside"],
  ["sub/up", "../.."],
  ["link-private", "../root-private/secret"],
  ["dir-root2", "../root2"],
  ["dangling", "../outside/nothing"],
  ["loop", "loop"],
];

Deno.test("path escapes over TFTP read, TFTP write and TCP read are all refused", async (t) => {
  const base = await Deno.makeTempDir({ prefix: "tftpkit_escape_" });
  try {
    const root = join(base, "root");
    for (const dir of ["root/sub", "outside", "root-private", "root2"]) {
      await Deno.mkdir(join(base, dir), { recursive: true });
    }
    const files: [string, string][] = [
      ["root/top.txt", "top\n"],
      ["root/a..b", "dots inside a name\n"],
      ["root/sub/f", "sub file\n"],
      ["outside/secret.txt", SECRETS[0]],
      ["root-private/secret", SECRETS[1]],
      ["root2/x", SECRETS[2]],
    ];
    for (const [path, data] of files) await Deno.writeTextFile(join(base, path), data);
    for (const [path, target] of LINKS) await Deno.symlink(target, join(root, path));
    await Deno.symlink(join(base, "outside", "secret.txt"), join(root, "link-abs"));
    const mkfifo = await new Deno.Command("mkfifo", { args: [join(root, "fifo")] }).output();
    assert.equal(mkfifo.code, 0, "mkfifo");
    const realBase = await Deno.realPath(base);

    const records: TransferRecord[] = [];
    const tftp = serveTftp({
      root,
      hostname: "127.0.0.1",
      port: 0,
      allowCreate: true,
      allowOverwrite: true,
      ...GIVE_UP,
      onTransfer: (record) => records.push(record),
    });
    await using _tftp = stopWithin(tftp, "TFTP server");
    const tcp = serveTcpFiles({ root, hostname: "127.0.0.1", idleTimeoutMs: 5000 });
    await using _tcp = stopWithin(tcp, "TCP server");
    const tcpRaw = serveTcpFiles({ root, hostname: "127.0.0.1", raw: true, idleTimeoutMs: 5000 });
    await using _tcpRaw = stopWithin(tcpRaw, "raw TCP server");
    const tree = await snapshot(base);

    const leaks = (what: string, bytes: Uint8Array) => {
      const seen = text(bytes);
      for (const secret of [base, realBase, ...SECRETS]) {
        assert.ok(!seen.includes(secret), `${what} leaks ${JSON.stringify(secret)}`);
      }
    };

    const rows = escapeRows(base, realBase);
    assert.ok(rows.length >= 30, `${rows.length} rows`);
    for (const [i, row] of rows.entries()) {
      const shown = typeof row.name === "string" ? row.name : text(row.name);
      const title = `${String(i + 1).padStart(2, "0")} ${row.label}: ${
        JSON.stringify(shown.length > 40 ? `${shown.slice(0, 40)}...` : shown)
      }`;
      await t.step(title, async () => {
        const name = typeof row.name === "string" ? utf8.encode(row.name) : row.name;
        const read = await tftpProbe(tftp.addr.port, OPCODE.RRQ, name);
        leaks("TFTP read", read);
        assert.deepEqual(decodePacket(read), { opcode: OPCODE.ERROR, ...row.read }, "TFTP read");
        assert.deepEqual(read, encodeError(row.read.code, row.read.message), "TFTP read bytes");

        const get = concatBytes([utf8.encode("GET "), name, utf8.encode("\n")]);
        const framed = await tcpProbe(tcp.addr.port, get);
        leaks("TCP read", framed);
        const status = row.read.code === 1 ? "NOT_FOUND" : "DENIED";
        assert.equal(text(framed), row.tcp ?? `${status} ${row.read.message}\n`, "TCP read");
        const raw = await tcpProbe(tcpRaw.addr.port, concatBytes([name, utf8.encode("\n")]));
        assert.equal(text(raw), "", "raw TCP read");

        records.length = 0;
        const want = row.write ?? row.read;
        const expected = { ...tree };
        try {
          const write = await tftpProbe(tftp.addr.port, OPCODE.WRQ, name);
          leaks("TFTP write", write);
          if (decodePacket(write).opcode === OPCODE.ACK) {
            await waitUntil(() => records.length > 0, 5000, "the write's transfer record");
          }
          if ("created" in want) {
            assert.deepEqual(decodePacket(write), { opcode: OPCODE.ACK, block: 0 }, "TFTP write");
            assert.equal(records[0].status, "complete");
            expected[`root/${want.created}`] = `file ${await sha256Hex(PAYLOAD)}`;
          } else {
            assert.deepEqual(decodePacket(write), { opcode: OPCODE.ERROR, ...want }, "TFTP write");
            assert.deepEqual(write, encodeError(want.code, want.message), "TFTP write bytes");
          }
          // Nothing changed anywhere but the one literal file a legal name creates.
          assert.deepEqual(await snapshot(base), sorted(expected), "the tree");
        } finally {
          if ("created" in want) await Deno.remove(join(root, want.created)).catch(() => {});
        }
      });
    }

    // After every attempt, with the real clients: the confinement is not refusing everything.
    await t.step("legitimate names still work", async () => {
      const url = (name: string) => `tftp://127.0.0.1:${tftp.addr.port}/${name}`;
      const got = async (name: string) => text(await tftpGetBytes(url(name), GIVE_UP));
      assert.equal(await got("sub/f"), "sub file\n");
      assert.equal(await got("/sub//./f"), "sub file\n");
      assert.equal(await got("a..b"), "dots inside a name\n");
      assert.equal(await got("link-in"), "sub file\n");
      await tftpPut(utf8.encode("new\n"), url("sub/new..b...c"), GIVE_UP);
      await tftpPut(utf8.encode("top again\n"), url("top.txt"), GIVE_UP);
      const expected = {
        ...tree,
        "root/sub/new..b...c": `file ${await sha256Hex(utf8.encode("new\n"))}`,
        "root/top.txt": `file ${await sha256Hex(utf8.encode("top again\n"))}`,
      };
      assert.deepEqual(await snapshot(base), sorted(expected), "the tree");

      const chunks: Uint8Array[] = [];
      const sink = new WritableStream<Uint8Array>({ write: (chunk) => void chunks.push(chunk) });
      const tcpUrl = `tcp://127.0.0.1:${tcp.addr.port}/a..b`;
      assert.deepEqual(await tcpGet(tcpUrl, sink, { timeoutMs: 5000 }), { bytes: 19 });
      assert.equal(text(concatBytes(chunks)), "dots inside a name\n");
      const framed = await tcpProbe(tcp.addr.port, utf8.encode("GET sub/new..b...c\n"));
      assert.equal(text(framed), "OK 4\nnew\n");
      assert.equal(text(await tcpProbe(tcpRaw.addr.port, utf8.encode("link-in\n"))), "sub file\n");
    });
  } finally {
    await Deno.remove(base, { recursive: true });
  }
});
