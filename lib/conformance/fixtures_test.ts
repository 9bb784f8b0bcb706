import assert from "node:assert/strict";
import { NetasciiDecoder, NetasciiEncoder } from "../tftp/packet/netascii.ts";
import { sha256Hex } from "../bytes.ts";
import { createCatalogue, FIXTURES, OUTSIDE_MARKER } from "./fixtures.ts";

const NAMES = [
  "0-byte.bin",
  "1-byte.bin",
  "511-byte.bin",
  "512-byte.bin",
  "513-byte.bin",
  "1024-byte.bin",
  "4404-byte.bin",
  "netascii.txt",
  "rollover.bin",
  "large.bin",
  "sub/nested.bin",
  "escape-link.bin",
  "../outside/secret.txt",
  "../root-private/secret.txt",
];

const CR = 13;
const LF = 10;

Deno.test("fixtures: names, order, kinds and sizes", () => {
  assert.deepEqual(FIXTURES.all.map((f) => f.name), NAMES);
  const sizes = Object.fromEntries(FIXTURES.all.map((f) => [f.name, f.size]));
  assert.equal(sizes["0-byte.bin"], 0);
  assert.equal(sizes["1-byte.bin"], 1);
  assert.equal(sizes["511-byte.bin"], 511);
  assert.equal(sizes["512-byte.bin"], 512);
  assert.equal(sizes["513-byte.bin"], 513);
  assert.equal(sizes["1024-byte.bin"], 1024);
  assert.equal(sizes["4404-byte.bin"], 3 * 1468);
  assert.equal(sizes["rollover.bin"], 65536 * 8 + 100);
  assert.equal(sizes["large.bin"], 1024 * 1024 + 1);
  assert.equal(sizes["sub/nested.bin"], 700);
  // rollover.bin at blksize 8: 65548 full blocks and a final 4-byte one.
  assert.equal(Math.floor(sizes["rollover.bin"] / 8) + 1, 65549);
  for (const fixture of FIXTURES.all) {
    assert.equal(fixture.bytes().length, fixture.size, fixture.name);
    assert.ok(fixture.purpose.length > 10, fixture.name);
  }
  assert.deepEqual(
    FIXTURES.all.filter((f) => f.kind !== "file").map((f) => [f.name, f.kind, f.target]),
    [
      ["escape-link.bin", "symlink", "../outside/secret.txt"],
      ["../outside/secret.txt", "outside", undefined],
      ["../root-private/secret.txt", "outside", undefined],
    ],
  );
});

Deno.test("fixtures: contents are deterministic, distinct and copied", async () => {
  // Pinned digests: fixtures written by one version must pass the checks of the next.
  const pinned: Record<string, string> = {
    "512-byte.bin": "e2f556b0cd4922b2fbf0d7663f454c2f4924ed73b3d3484b4155d4ad6dbdcc58",
    "netascii.txt": "c2bff461ea0d13efcecb2c1f12f69177cbce446050f3f88223f802a42a6777b0",
    "rollover.bin": "3f728c61f33c1f6dffcaf91bf553caabc667caa9906b266181766fd528b93f73",
    "large.bin": "45ec8568304faaa416a48b1d7764845008e2e88076c2b721bcac89375327a57b",
    "sub/nested.bin": "f6cad3dd851ff1c18d193787500631ff2d047039949f5d1ef1f67509c849c25b",
    "../outside/secret.txt": "e67f82901841cb9762205152d2f32db5760810e7c955d9765bff7d4cd31131d5",
    "../root-private/secret.txt":
      "e67f82901841cb9762205152d2f32db5760810e7c955d9765bff7d4cd31131d5",
  };
  for (const [name, digest] of Object.entries(pinned)) {
    assert.equal(await sha256Hex(FIXTURES.get(name).bytes()), digest, name);
  }
  const digests = new Map<string, string>();
  for (const fixture of FIXTURES.all) {
    if (fixture.kind === "file" && fixture.size > 0) {
      digests.set(fixture.name, await sha256Hex(fixture.bytes()));
    }
  }
  assert.equal(new Set(digests.values()).size, digests.size, "every file differs");
  const a = FIXTURES.get("512-byte.bin").bytes();
  const b = FIXTURES.get("513-byte.bin").bytes();
  assert.notDeepEqual(a.subarray(0, 16), b.subarray(0, 16), "no shared prefix");
  a.fill(0);
  assert.notDeepEqual(FIXTURES.get("512-byte.bin").bytes(), a, "bytes() returns a copy");
  assert.deepEqual(FIXTURES.get("1-byte.bin").bytes(), FIXTURES.get("1-byte.bin").bytes());
});

Deno.test("fixtures: netascii.txt has LF, CR LF and bare CR and straddles block ends", () => {
  const text = FIXTURES.get("netascii.txt").bytes();
  assert.ok(text.every((byte) => byte >= 1 && byte < 128), "ASCII without NUL");
  let lf = 0, crlf = 0, bareCr = 0;
  for (let i = 0; i < text.length; i++) {
    if (text[i] === LF && text[i - 1] !== CR) lf++;
    if (text[i] === CR && text[i + 1] === LF) crlf++;
    if (text[i] === CR && text[i + 1] !== LF) bareCr++;
  }
  assert.ok(lf >= 5 && crlf >= 5 && bareCr >= 5, `LF ${lf}, CR LF ${crlf}, bare CR ${bareCr}`);
  assert.equal(text[511], CR, "a bare CR at file byte 511");
  assert.notEqual(text[512], LF);
  assert.equal(text[text.length - 1], LF);

  const wire = new NetasciiEncoder().encode(text);
  assert.deepEqual([wire[511], wire[512]], [CR, LF], "CR LF across DATA 1/2");
  assert.deepEqual([wire[1023], wire[1024]], [CR, 0], "CR NUL across DATA 2/3");
  assert.ok(wire.length > 1536, "at least three full blocks on the wire");
  const decoder = new NetasciiDecoder();
  const blocks = [0, 512, 1024, 1536].map((at) => decoder.decode(wire.subarray(at, at + 512)));
  const back = new Uint8Array(blocks.reduce((n, block) => n + block.length, 0));
  blocks.reduce((at, block) => (back.set(block, at), at + block.length), 0);
  assert.deepEqual(back.subarray(0, 1000), text.subarray(0, 1000), "decodes block by block");
});

Deno.test("fixtures: the escape link's bytes are the outside secret with the marker", () => {
  const link = FIXTURES.get("escape-link.bin");
  const secret = FIXTURES.get("../outside/secret.txt");
  assert.deepEqual(link.bytes(), secret.bytes());
  assert.equal(link.size, secret.size);
  assert.equal(OUTSIDE_MARKER, "TFTPKIT-CONFORMANCE-OUTSIDE-MARKER");
  assert.ok(new TextDecoder().decode(secret.bytes()).includes(OUTSIDE_MARKER));
  assert.match(link.purpose, /must NOT be served/);
  assert.match(secret.purpose, /must NOT be served/);
  for (const fixture of FIXTURES.all) {
    if (fixture.kind !== "file") continue;
    const text = new TextDecoder("latin1").decode(fixture.bytes());
    assert.ok(!text.includes(OUTSIDE_MARKER), `${fixture.name} has no marker`);
  }
});

Deno.test("fixtures: get names the known fixtures; names are unique", () => {
  assert.equal(FIXTURES.get("sub/nested.bin").size, 700);
  assert.throws(() => FIXTURES.get("nested.bin"), {
    name: "RangeError",
    message: `Unknown fixture "nested.bin", the fixtures are ${
      NAMES.map((n) => JSON.stringify(n)).join(", ")
    }`,
  });
  const one = { name: "a", size: 0, purpose: "x", bytes: () => new Uint8Array(0) };
  assert.throws(() => createCatalogue([one, one]), {
    name: "TypeError",
    message: 'Fixture names must be unique, got "a" twice',
  });
});
