/**
 * `path-leak` — error messages reveal no server-side paths (RFC 1123 4.2.3.4, access
 * control: a client learns nothing about the server's file system beyond what it serves;
 * RFC 1350's security considerations ask for care with what a server exposes).
 *
 * Sent, each from its own port, all at once: octet RRQs for a missing file, a missing file in
 * `sub/`, a file in a missing directory, the directory `sub`, the escape
 * `../outside/secret.txt`, the outside-pointing symlink `escape-link.bin`, and an absolute
 * missing path. Each ERROR message is searched, after removing the requested name itself
 * (echoing the client's own name reveals nothing), for absolute paths: a `/` followed by a
 * well-known top-level directory (`/srv`, `/tmp`, `/home`, `/var`, `/root`, `/usr`, `/etc`,
 * `/opt`, `/mnt`, `/data`, `/private`, `/Users`, ...), a path through the fixtures' served
 * directory (`/any/where/root/...`, the layout `conformance.ts fixtures` writes), or a
 * Windows drive (`C:\`, `D:/`). Other slash-separated names are not flagged: servers echo
 * the requested name in a normalised, virtual form (`/outside/secret.txt` for
 * `../outside/secret.txt`) that says nothing about their file system. A DATA answer is ended
 * with ERROR 0 (other checks judge serving it).
 *
 * Verdicts: `warn` when a message contains such a path; `skip` when no request got an ERROR
 * (no messages to inspect); `pass` otherwise.
 *
 * @module
 */

import { OPCODE } from "../../tftp/packet/mod.ts";
import { type CheckOutcome, type ConformanceCheck, defineCheck } from "../check.ts";
import { abandon, describeDatagram, rrq, startDownload } from "./_helpers.ts";

const TOP_LEVEL = "srv|tmp|home|var|root|usr|etc|opt|mnt|media|data|private|Users|Volumes|" +
  "run|proc|tftpboot|export|Library|Windows";

/** Absolute server paths inside a message: `/srv/...`, `/a/b`, `C:\...`. */
const PATH = new RegExp(
  `(?:^|[^\\w.~-])(/(?:${TOP_LEVEL})(?![\\w.-])[^\\s"':,;)]*` +
    `|/(?:[\\w.~-]+/)+root/[^\\s"':,;)]*)` +
    `|\\b([A-Za-z]:[\\\\/][^\\s"':,;)]*)`,
);

/**
 * The absolute path `message` reveals once `requested` (the client's own name) is removed,
 * or `undefined`.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { revealedPath } from "./path_leak.ts";
 * assert.equal(revealedPath("open /srv/tftp/x.bin: no such file", "x.bin"), "/srv/tftp/");
 * assert.equal(revealedPath("File not found", "x.bin"), undefined);
 * assert.equal(revealedPath('"/etc/x" not found', "/etc/x"), undefined);
 * assert.equal(revealedPath("cannot open C:\\tftp\\x.bin", "x.bin"), "C:\\tftp\\");
 * // A virtual, normalised echo of the request is no server path...
 * assert.equal(revealedPath('"/outside/secret.txt" not found', "../outside/secret.txt"), undefined);
 * assert.equal(revealedPath("/sub/a.bin: no such file", "sub/a.bin"), undefined);
 * // ...but the fixtures' served directory is, wherever it lies.
 * assert.equal(revealedPath("file /build/x/root/a.bin not found", "a.bin"), "/build/x/root/");
 * ```
 *
 * @param message An ERROR message.
 * @param requested The name the client sent.
 * @returns The path, or `undefined`.
 */
export function revealedPath(message: string, requested: string): string | undefined {
  const cleaned = message.split(requested).join("");
  const match = PATH.exec(cleaned);
  return match === null ? undefined : (match[1] ?? match[2]);
}

/**
 * The `path-leak` check.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import check from "./path_leak.ts";
 * assert.equal(check.id, "path-leak");
 * ```
 */
const check: ConformanceCheck = defineCheck({
  id: "path-leak",
  title: "Error messages reveal no server-side paths",
  rfc: "RFC 1123 4.2.3.4",
  level: "should",
  async run(ctx): Promise<CheckOutcome> {
    const missing = `conformance-missing-${crypto.randomUUID().slice(0, 8)}.bin`;
    const names = [
      missing,
      `sub/${missing}`,
      `no-such-directory/${missing}`,
      "sub",
      "../outside/secret.txt",
      ctx.fixtures.get("escape-link.bin").name,
      `/no-such-directory/${missing}`,
    ];
    const waitMs = ctx.ms(2000);
    const answers = await Promise.all(names.map(async (name) => {
      const probe = await ctx.openProbe();
      const { first } = await startDownload(ctx, rrq(name), { probe, timeoutMs: waitMs });
      if (first?.packet?.opcode === OPCODE.DATA) await abandon(probe, first.from);
      return { name, first };
    }));
    const leaks: string[] = [];
    const seen: string[] = [];
    const measured: Record<string, string> = {};
    let errors = 0;
    for (const { name, first } of answers) {
      measured[name] = first === undefined ? "no answer" : describeDatagram(first);
      if (first?.packet?.opcode !== OPCODE.ERROR) continue;
      errors++;
      const line = `${JSON.stringify(name)} -> ${describeDatagram(first)}`;
      seen.push(line);
      const path = revealedPath(first.packet.message, name);
      if (path !== undefined) leaks.push(`${line} reveals ${JSON.stringify(path)}`);
    }
    if (leaks.length > 0) {
      const also = leaks.length > 1
        ? `; likewise the answers to ${
          leaks.slice(1).map((l) => l.slice(0, l.indexOf(" -> ")))
            .join(", ")
        }`
        : "";
      return {
        status: "warn",
        detail: `${leaks.length} of ${errors} error messages reveal a server path: ${
          leaks[0]
        }${also}`,
        measured,
      };
    }
    if (errors === 0) {
      return {
        status: "skip",
        detail: `no ERROR messages to inspect: ${
          names.map((n) => `${JSON.stringify(n)} -> ${measured[n]}`).join("; ")
        }`,
        measured,
      };
    }
    return {
      status: "pass",
      detail: `${errors} error messages, none reveals a path: ${seen.join("; ")}`,
      measured,
    };
  },
});

export default check;
