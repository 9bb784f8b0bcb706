import assert from "node:assert/strict";
import { TftpProtocolError } from "../errors.ts";
import {
  acceptOack,
  type NegotiatedOptions,
  negotiateOptions,
  parseOptionNumber,
  receiveWindowLimit,
  RFC1350_OPTIONS,
  type ServerOptionPolicy,
} from "./options.ts";
import type { TftpOptions } from "./packet.ts";

Deno.test("parseOptionNumber takes plain decimal digits only", () => {
  const cases: [string | undefined, number | undefined][] = [
    ["0", 0],
    ["512", 512],
    ["0512", 512],
    ["9007199254740991", 9007199254740991],
    ["9007199254740992", undefined], // not a safe integer
    ["99999999999999999999", undefined],
    ["123456789012345678901", undefined], // more than 20 digits
    ["", undefined],
    [" 512", undefined],
    ["512 ", undefined],
    ["-1", undefined],
    ["+1", undefined],
    ["1e3", undefined],
    ["0x10", undefined],
    ["1.5", undefined],
    ["abc", undefined],
    ["５１２", undefined], // full-width digits
    [undefined, undefined],
  ];
  for (const [value, expected] of cases) {
    assert.equal(parseOptionNumber(value), expected, JSON.stringify(value));
  }
});

/** [requested, policy, expected OACK, expected negotiated] */
type NegotiationCase = [TftpOptions, ServerOptionPolicy, Record<string, string>, NegotiatedOptions];

const base = { windowsize: 1, timeoutS: undefined, tsize: undefined };
const NEGOTIATIONS: NegotiationCase[] = [
  // blksize (RFC 2348): 8..65464, lowered to the server's limit, never raised.
  [{ blksize: "7" }, {}, {}, { ...base, blksize: 512 }],
  [{ blksize: "0" }, {}, {}, { ...base, blksize: 512 }],
  [{ blksize: "8" }, {}, { blksize: "8" }, { ...base, blksize: 8 }],
  [{ blksize: "512" }, {}, { blksize: "512" }, { ...base, blksize: 512 }],
  [{ blksize: "65464" }, {}, { blksize: "65464" }, { ...base, blksize: 65464 }],
  [{ blksize: "65465" }, {}, { blksize: "65464" }, { ...base, blksize: 65464 }],
  [{ blksize: "99999999" }, {}, { blksize: "65464" }, { ...base, blksize: 65464 }],
  [{ blksize: "1468" }, { maxBlksize: 1024 }, { blksize: "1024" }, { ...base, blksize: 1024 }],
  [{ blksize: "512" }, { maxBlksize: 1024 }, { blksize: "512" }, { ...base, blksize: 512 }],
  [{ blksize: "70000" }, { maxBlksize: 100000 }, { blksize: "65464" }, { ...base, blksize: 65464 }],
  [{ blksize: "0512" }, {}, { blksize: "512" }, { ...base, blksize: 512 }],
  [{ blksize: "abc" }, {}, {}, { ...base, blksize: 512 }],
  [{ blksize: "-1" }, {}, {}, { ...base, blksize: 512 }],
  [{ blksize: " 512" }, {}, {}, { ...base, blksize: 512 }],
  [{ blksize: "" }, {}, {}, { ...base, blksize: 512 }],
  // windowsize (RFC 7440): 1..65535.
  [{ windowsize: "0" }, {}, {}, { ...base, blksize: 512 }],
  [{ windowsize: "1" }, {}, { windowsize: "1" }, { ...base, blksize: 512 }],
  [{ windowsize: "65535" }, { maxWindowsize: 65535 }, { windowsize: "65535" }, {
    ...base,
    blksize: 512,
    windowsize: 65535,
  }],
  [{ windowsize: "65536" }, { maxWindowsize: 65535 }, { windowsize: "65535" }, {
    ...base,
    blksize: 512,
    windowsize: 65535,
  }],
  // The default limit keeps a window's buffer small.
  [{ windowsize: "65535" }, {}, { windowsize: "64" }, { ...base, blksize: 512, windowsize: 64 }],
  [{ windowsize: "32" }, {}, { windowsize: "32" }, { ...base, blksize: 512, windowsize: 32 }],
  [{ windowsize: "16" }, { maxWindowsize: 4 }, { windowsize: "4" }, {
    ...base,
    blksize: 512,
    windowsize: 4,
  }],
  [{ windowsize: "x" }, {}, {}, { ...base, blksize: 512 }],
  // timeout (RFC 2349): 1..255 seconds, echoed unchanged or left out.
  [{ timeout: "0" }, {}, {}, { ...base, blksize: 512 }],
  [{ timeout: "1" }, {}, { timeout: "1" }, { ...base, blksize: 512, timeoutS: 1 }],
  [{ timeout: "255" }, {}, { timeout: "255" }, { ...base, blksize: 512, timeoutS: 255 }],
  [{ timeout: "256" }, {}, {}, { ...base, blksize: 512 }],
  [{ timeout: "1000" }, {}, {}, { ...base, blksize: 512 }],
  // tsize (RFC 2349): the real size on a read when known, an echo on a write.
  [{ tsize: "0" }, { fileSize: 1234 }, { tsize: "1234" }, { ...base, blksize: 512, tsize: 1234 }],
  [{ tsize: "0" }, { fileSize: 0 }, { tsize: "0" }, { ...base, blksize: 512, tsize: 0 }],
  [{ tsize: "0" }, {}, {}, { ...base, blksize: 512 }],
  [{ tsize: "5000" }, { isWrite: true }, { tsize: "5000" }, { ...base, blksize: 512, tsize: 5000 }],
  [
    { tsize: "5000" },
    { isWrite: true, fileSize: 7 },
    { tsize: "5000" },
    { ...base, blksize: 512, tsize: 5000 },
  ],
  [{ tsize: "big" }, { isWrite: true }, {}, { ...base, blksize: 512 }],
  // Unknown options are left out silently.
  [{ foo: "1", multicast: "", rollover: "0" }, {}, {}, { ...base, blksize: 512 }],
  // Only what was asked for and accepted: never tsize when not requested.
  [
    { blksize: "1468", windowsize: "8", timeout: "0", tsize: "0", foo: "bar" },
    { fileSize: 99 },
    { blksize: "1468", windowsize: "8", tsize: "99" },
    { blksize: 1468, windowsize: 8, timeoutS: undefined, tsize: 99 },
  ],
  [{ blksize: "1024" }, { fileSize: 99 }, { blksize: "1024" }, { ...base, blksize: 1024 }],
  [{}, { fileSize: 99 }, {}, plainRfc1350()],
];

function plainRfc1350(): NegotiatedOptions {
  return { ...RFC1350_OPTIONS, timeoutS: undefined, tsize: undefined };
}

Deno.test("negotiateOptions: OACK holds only requested and accepted options", () => {
  for (const [requested, policy, oack, negotiated] of NEGOTIATIONS) {
    const what = `${JSON.stringify(requested)} with ${JSON.stringify(policy)}`;
    const result = negotiateOptions(requested, policy);
    assert.deepEqual(result.oack, oack, what);
    assert.deepEqual(result.negotiated, negotiated, what);
  }
});

Deno.test("negotiateOptions: the server's answer is always acceptable to acceptOack", () => {
  for (const [requested, policy] of NEGOTIATIONS) {
    const { oack, negotiated } = negotiateOptions(requested, policy);
    const what = `${JSON.stringify(requested)} with ${JSON.stringify(policy)}`;
    assert.deepEqual(acceptOack(requested, oack), negotiated, what);
  }
});

const REQUESTED = { blksize: "1468", tsize: "0", windowsize: "8", timeout: "3" };

Deno.test("acceptOack returns what the transfer runs with", () => {
  assert.deepEqual(
    acceptOack(REQUESTED, { blksize: "1024", tsize: "99", windowsize: "4", timeout: "3" }),
    { blksize: 1024, windowsize: 4, timeoutS: 3, tsize: 99 },
  );
  assert.deepEqual(acceptOack(REQUESTED, { blksize: "1468", windowsize: "8" }), {
    blksize: 1468,
    windowsize: 8,
    timeoutS: undefined,
    tsize: undefined,
  });
  assert.deepEqual(acceptOack(REQUESTED, { blksize: "8", windowsize: "1" }), {
    blksize: 8,
    windowsize: 1,
    timeoutS: undefined,
    tsize: undefined,
  });
  // Leaving options out means their RFC 1350 defaults.
  assert.deepEqual(acceptOack(REQUESTED, { tsize: "0" }), {
    blksize: 512,
    windowsize: 1,
    timeoutS: undefined,
    tsize: 0,
  });
  assert.deepEqual(acceptOack(REQUESTED, {}), plainRfc1350());
});

const REFUSED: [TftpOptions, TftpOptions, RegExp][] = [
  [REQUESTED, { foo: "1" }, /option foo, which was not requested/],
  [{ blksize: "1024" }, { windowsize: "4" }, /option windowsize, which was not requested/],
  [{ blksize: "1024" }, { tsize: "10" }, /option tsize, which was not requested/],
  [{ blksize: "1024" }, { constructor: "1" }, /option constructor, which was not requested/],
  [REQUESTED, { blksize: "1469" }, /blksize 1469, outside 8\.\.1468/],
  [REQUESTED, { blksize: "7" }, /blksize 7, outside 8\.\.1468/],
  [REQUESTED, { blksize: "65464" }, /blksize 65464/],
  [REQUESTED, { windowsize: "9" }, /windowsize 9, outside 1\.\.8/],
  [REQUESTED, { windowsize: "0" }, /windowsize 0/],
  [REQUESTED, { timeout: "4" }, /changes timeout from 3 to 4/],
  [REQUESTED, { timeout: "2" }, /changes timeout from 3 to 2/],
  [REQUESTED, { blksize: "abc" }, /blksize the non-numeric value "abc"/],
  [REQUESTED, { blksize: " 1024" }, /non-numeric value " 1024"/],
  [REQUESTED, { tsize: "-1" }, /tsize the non-numeric value "-1"/],
  [REQUESTED, { windowsize: "" }, /windowsize the non-numeric value ""/],
];

Deno.test("acceptOack refuses a bad OACK with TftpProtocolError code 8", () => {
  for (const [requested, oack, message] of REFUSED) {
    const what = `${JSON.stringify(requested)} answered by ${JSON.stringify(oack)}`;
    assert.throws(() => acceptOack(requested, oack), (err: unknown) => {
      assert.ok(err instanceof TftpProtocolError, `${what}: got ${err}`);
      assert.equal(err.code, 8, what);
      assert.equal(err.name, "TftpProtocolError", what);
      assert.match(err.message, message, what);
      return true;
    }, what);
  }
});

Deno.test("negotiateOptions: maxWindowBytes lowers the windowsize to fit the blksize", () => {
  const policy = { maxWindowBytes: 65536, maxWindowsize: 1000 };
  const big = negotiateOptions({ windowsize: "16", blksize: "65464" }, policy);
  assert.deepEqual(big.oack, { windowsize: "1", blksize: "65464" });
  assert.equal(big.negotiated.windowsize, 1);
  const small = negotiateOptions({ blksize: "8", windowsize: "65535" }, policy);
  assert.deepEqual(small.negotiated, {
    blksize: 8,
    windowsize: 1000,
    timeoutS: undefined,
    tsize: undefined,
  });
  // Not asked for: no windowsize appears in the OACK.
  assert.deepEqual(negotiateOptions({ blksize: "65464" }, policy).oack, { blksize: "65464" });
  assert.deepEqual([7, 8, 512, 65536, 65537].map(receiveWindowLimit), [9362, 8192, 128, 1, 1]);
});
