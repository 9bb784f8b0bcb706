// Filesystem tests of resolveServedPath. Run with: deno test --allow-all integration/server_path_test.ts
//
// Tree (all under one Deno.makeTempDir, removed in finally):
//   root/top.txt, root/sub/f           served files
//   root/link-inside -> sub/f          symlink that stays inside (allowed)
//   root/dir-in -> sub                 symlinked directory inside (allowed)
//   root/self -> .                     resolves to the root itself (not a regular file)
//   root/link-out -> ../outside/secret.txt, root/dir-out -> ../outside      lead out
//   root/link-private -> ../root-private/secret                            prefix sibling
//   root/dangling -> ../outside/nothing                                    broken symlink
//   root-private/secret, outside/secret.txt, rootlink -> root
//
// Decision: a write into a directory that does not exist is ERROR 1 "Directory not found"
// (what open(2) reports as ENOENT, and what tftpd-hpa answers); a parent that leads out of
// the root is ERROR 2 whether or not it exists.
import assert from "node:assert/strict";
import { join } from "node:path";
import { resolveServedPath } from "../lib/tftp/_resolve_path.ts";
import { TftpError } from "../lib/tftp/errors.ts";

interface Tree {
  base: string;
  realBase: string;
  root: string;
  realRoot: string;
}

async function withTree(fn: (tree: Tree) => Promise<void>): Promise<void> {
  const base = await Deno.makeTempDir({ prefix: "tftpkit_path_" });
  try {
    const root = join(base, "root");
    await Deno.mkdir(join(root, "sub"), { recursive: true });
    await Deno.mkdir(join(base, "root-private"));
    await Deno.mkdir(join(base, "outside"));
    await Deno.writeTextFile(join(root, "top.txt"), "top");
    await Deno.writeTextFile(join(root, "sub", "f"), "hello");
    await Deno.writeTextFile(join(base, "root-private", "secret"), "private");
    await Deno.writeTextFile(join(base, "outside", "secret.txt"), "outside!");
    const links: [string, string][] = [
      ["link-inside", "sub/f"],
      ["dir-in", "sub"],
      ["self", "."],
      ["link-out", "../outside/secret.txt"],
      ["dir-out", "../outside"],
      ["link-private", "../root-private/secret"],
      ["dangling", "../outside/nothing"],
    ];
    for (const [name, target] of links) await Deno.symlink(target, join(root, name));
    await Deno.symlink("root", join(base, "rootlink"));
    const realBase = await Deno.realPath(base);
    await fn({ base, realBase, root, realRoot: join(realBase, "root") });
  } finally {
    await Deno.remove(base, { recursive: true });
  }
}

async function assertRefused(
  tree: Tree,
  name: string,
  access: "read" | "write",
  expected: { code: number; message: string },
): Promise<void> {
  const label = `${access} ${JSON.stringify(name)}`;
  const err = await resolveServedPath(tree.root, name, access).then(
    (ok) => assert.fail(`${label} resolved to ${JSON.stringify(ok)}`),
    (e: unknown) => e,
  );
  assert.ok(err instanceof TftpError, label);
  assert.deepEqual({ code: err.code, message: err.message }, expected, label);
  for (const path of [tree.base, tree.realBase, "/tmp", "tftpkit_path_"]) {
    assert.ok(!err.message.includes(path), `${label}: message leaks ${path}`);
  }
  assert.doesNotMatch(err.message, /[\/\\]/, label);
}

const NOT_FOUND = { code: 1, message: "File not found" };
const NO_DIR = { code: 1, message: "Directory not found" };
const LEAVES = { code: 2, message: "Access violation: name leaves the served directory" };
const NOT_FILE = { code: 2, message: "Access violation: not a regular file" };
const BROKEN = { code: 2, message: "Access violation: broken symbolic link" };
const DOTDOT = { code: 2, message: 'Access violation: ".." is not allowed' };

Deno.test("resolveServedPath reads regular files and symlinks that stay inside", async () => {
  await withTree(async (tree) => {
    const f = { path: join(tree.realRoot, "sub", "f"), exists: true, size: 5 };
    for (const name of ["sub/f", "/sub/f", "sub//./f", "link-inside", "dir-in/f"]) {
      assert.deepEqual(await resolveServedPath(tree.root, name, "read"), f, name);
    }
    assert.deepEqual(await resolveServedPath(tree.root, "top.txt", "read"), {
      path: join(tree.realRoot, "top.txt"),
      exists: true,
      size: 3,
    });
    // The root given as a symlink is resolved once; results are real paths.
    assert.deepEqual(await resolveServedPath(join(tree.base, "rootlink"), "sub/f", "read"), f);
  });
});

Deno.test("resolveServedPath refuses reads that leave the root or are not files", async () => {
  await withTree(async (tree) => {
    await assertRefused(tree, "link-out", "read", LEAVES);
    await assertRefused(tree, "dir-out/secret.txt", "read", LEAVES);
    await assertRefused(tree, "dir-out/nothing", "read", LEAVES); // no probing outside
    await assertRefused(tree, "link-private", "read", LEAVES); // root-private is a sibling
    await assertRefused(tree, "../root-private/secret", "read", DOTDOT);
    await assertRefused(tree, "sub/../../outside/secret.txt", "read", DOTDOT);
    await assertRefused(tree, "sub", "read", NOT_FILE);
    await assertRefused(tree, "dir-in", "read", NOT_FILE);
    await assertRefused(tree, "self", "read", NOT_FILE);
    await assertRefused(tree, "dangling", "read", BROKEN);
    await assertRefused(tree, "missing", "read", NOT_FOUND);
    await assertRefused(tree, "sub/missing", "read", NOT_FOUND);
    await assertRefused(tree, "nodir/missing", "read", NOT_FOUND);
    await assertRefused(tree, "sub/f/x", "read", NOT_FOUND); // f is not a directory
  });
});

Deno.test("resolveServedPath resolves writes to new and existing files inside", async () => {
  await withTree(async (tree) => {
    const cases: [string, { path: string; exists: boolean; size?: number }][] = [
      ["sub/new.bin", { path: join(tree.realRoot, "sub", "new.bin"), exists: false }],
      ["/new.bin", { path: join(tree.realRoot, "new.bin"), exists: false }],
      ["dir-in/new.bin", { path: join(tree.realRoot, "sub", "new.bin"), exists: false }],
      ["sub/f", { path: join(tree.realRoot, "sub", "f"), exists: true, size: 5 }],
      ["link-inside", { path: join(tree.realRoot, "sub", "f"), exists: true, size: 5 }],
    ];
    for (const [name, expected] of cases) {
      assert.deepEqual(await resolveServedPath(tree.root, name, "write"), expected, name);
    }
  });
});

Deno.test("resolveServedPath refuses writes outside, through broken links or missing dirs", async () => {
  await withTree(async (tree) => {
    await assertRefused(tree, "link-out", "write", LEAVES);
    await assertRefused(tree, "link-private", "write", LEAVES);
    await assertRefused(tree, "dir-out/new.bin", "write", LEAVES);
    await assertRefused(tree, "dir-out/missing/new.bin", "write", LEAVES);
    await assertRefused(tree, "dangling", "write", BROKEN); // would create outside/nothing
    await assertRefused(tree, "sub", "write", NOT_FILE);
    await assertRefused(tree, "self", "write", NOT_FILE);
    await assertRefused(tree, "missing-dir/new.bin", "write", NO_DIR);
    await assertRefused(tree, "sub/f/new.bin", "write", NO_DIR);
    await assertRefused(tree, "../outside/new.bin", "write", DOTDOT);
    await assert.rejects(Deno.lstat(join(tree.base, "outside", "nothing")), Deno.errors.NotFound);
  });
});

Deno.test("resolveServedPath reports an unavailable root without its path", async () => {
  await withTree(async (tree) => {
    const err = await resolveServedPath(join(tree.base, "gone"), "sub/f", "read").catch((e) => e);
    assert.ok(err instanceof TftpError);
    assert.equal(err.code, 0);
    assert.equal(err.message, "Served directory is not available");
    assert.ok(err.cause instanceof Deno.errors.NotFound);
  });
});

Deno.test({
  name: "resolveServedPath maps permission denied to ERROR 2",
  ignore: Deno.uid() === 0, // root bypasses file modes
  fn: async () => {
    await withTree(async (tree) => {
      await Deno.chmod(join(tree.root, "sub"), 0o000);
      try {
        const denied = { code: 2, message: "Access violation: permission denied" };
        await assertRefused(tree, "sub/f", "read", denied);
      } finally {
        await Deno.chmod(join(tree.root, "sub"), 0o755);
      }
    });
  },
});

Deno.test("resolveServedPath checks its arguments", async () => {
  await assert.rejects(
    resolveServedPath("", "f", "read"),
    new TypeError('root must be a non-empty string, got ""'),
  );
  await assert.rejects(
    resolveServedPath("/srv/tftp", "f", "append" as "read"),
    new TypeError('access must be "read" or "write", got "append"'),
  );
});
