import assert from "node:assert/strict";
import { splitRequestPath } from "./server_path.ts";
import { TftpError } from "./errors.ts";

const DOTDOT = 'Access violation: ".." is not allowed';
const BACKSLASH = "Access violation: backslashes are not allowed";
const CONTROL = "Access violation: control characters are not allowed";
const DRIVE = "Access violation: drive prefixes are not allowed";
const NOTHING = "Access violation: name does not name a file";
const SEGMENT_LONG = "Access violation: a name segment is longer than 255 bytes";
const NAME_LONG = "Access violation: name is longer than 1024 bytes";

const accepted: [string, string[]][] = [
  ["pxelinux.0", ["pxelinux.0"]],
  ["/boot/pxelinux.0", ["boot", "pxelinux.0"]],
  ["a//b/./c", ["a", "b", "c"]],
  ["./a", ["a"]],
  ["a/", ["a"]],
  ["//a//", ["a"]],
  ["a/.", ["a"]],
  ["%2e%2e/x", ["%2e%2e", "x"]],
  ["%2e%2e%2fx", ["%2e%2e%2fx"]],
  [".hidden", [".hidden"]],
  ["a..b", ["a..b"]],
  ["..a", ["..a"]],
  ["a..", ["a.."]],
  ["file.", ["file."]],
  ["ab:c", ["ab:c"]],
  ["1:x", ["1:x"]],
  ["a/bc:d", ["a", "bc:d"]],
  ["12:00.log", ["12:00.log"]],
  ["fichier-été/ファイル.bin", ["fichier-été", "ファイル.bin"]],
  ["emoji-😀", ["emoji-😀"]],
  ["with space", ["with space"]],
  ["a".repeat(255), ["a".repeat(255)]],
  ["é".repeat(127) + "a", ["é".repeat(127) + "a"]], // 255 bytes
  [("a".repeat(200) + "/").repeat(5) + "b".repeat(19), [
    ...Array(5).fill("a".repeat(200)),
    "b".repeat(19),
  ]], // exactly 1024 bytes
];

const refused: [string, string][] = [
  ["", "Access violation: empty file name"],
  ["/", NOTHING],
  [".", NOTHING],
  ["//./", NOTHING],
  ["..", DOTDOT],
  ["../x", DOTDOT],
  ["/../x", DOTDOT],
  ["a/..", DOTDOT],
  ["a/../b", DOTDOT],
  ["a/../../x", DOTDOT],
  ["a/b/../../../etc/passwd", DOTDOT],
  ["...", 'Access violation: "..." is not allowed'],
  ["a/..../b", 'Access violation: "...." is not allowed'],
  ["..\\x", BACKSLASH],
  ["a\\b", BACKSLASH],
  ["\\\\server\\share", BACKSLASH],
  ["C:\\x", BACKSLASH],
  ["C:x", DRIVE],
  ["c:/windows/win.ini", DRIVE],
  ["/C:/x", DRIVE],
  ["a/Z:b", DRIVE],
  ["x:y", DRIVE],
  ["x\0y", CONTROL],
  ["x\0", CONTROL],
  ["x\ny", CONTROL],
  ["x\ry", CONTROL],
  ["x\ty", CONTROL],
  ["x\x1b[31m", CONTROL],
  ["x\x7f", CONTROL],
  ["x\u0085y", CONTROL],
  ["../\0", CONTROL],
  ["bad\ud800", "Access violation: name is not valid Unicode"],
  ["a".repeat(256), SEGMENT_LONG],
  ["é".repeat(128), SEGMENT_LONG], // 128 chars, 256 bytes
  [".".repeat(256), SEGMENT_LONG],
  [("a".repeat(200) + "/").repeat(5) + "b".repeat(20), NAME_LONG], // 1025 bytes
  ["/".repeat(1025) + "a", NAME_LONG],
];

Deno.test("splitRequestPath accepts safe names and returns their segments", () => {
  for (const [name, expected] of accepted) {
    assert.deepEqual(splitRequestPath(name), expected, JSON.stringify(name));
  }
});

Deno.test("splitRequestPath refuses unsafe names with ERROR 2 and a path-free message", () => {
  for (const [name, message] of refused) {
    const label = JSON.stringify(name);
    assert.throws(() => splitRequestPath(name), (err: unknown) => {
      assert.ok(err instanceof TftpError, label);
      assert.equal(err.name, "TftpError", label);
      assert.equal(err.code, 2, label);
      assert.equal(err.message, message, label);
      assert.doesNotMatch(err.message, /[\/\\]|srv|etc|passwd|server|share/, label);
      return true;
    }, label);
  }
});

Deno.test("splitRequestPath checks a non-string name as a caller mistake", () => {
  assert.throws(
    () => splitRequestPath(undefined as unknown as string),
    new TypeError("name must be a string, got undefined"),
  );
});
