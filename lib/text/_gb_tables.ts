/**
 * GBK / GB18030 encoder tables, derived on first use from the platform's WHATWG gb18030
 * decoder so that encoding is its exact inverse. Pure: no I/O.
 *
 * @module
 */

/**
 * Writes the four bytes of GB18030 four-byte pointer `pointer` (0..1237575) at `out[n]`:
 * 0x81 + p / 12600, 0x30 + p / 1260 % 10, 0x81 + p / 10 % 126, 0x30 + p % 10.
 */
export function writeFourByte(out: Uint8Array, n: number, pointer: number): void {
  out[n] = 0x81 + Math.floor(pointer / 12600);
  out[n + 1] = 0x30 + Math.floor(pointer / 1260) % 10;
  out[n + 2] = 0x81 + Math.floor(pointer / 10) % 126;
  out[n + 3] = 0x30 + pointer % 10;
}

/**
 * Encoding Standard gb18030 encoder step 5: private-use code points whose GB18030-2005
 * two-byte codes GB18030-2022 gave to U+FE10..U+FE19 and U+9FB4..U+9FBB.
 */
const PUA_2005: ReadonlyArray<readonly [number, number]> = [
  [0xe78d, 0xa6d9],
  [0xe78e, 0xa6da],
  [0xe78f, 0xa6db],
  [0xe790, 0xa6dc],
  [0xe791, 0xa6dd],
  [0xe792, 0xa6de],
  [0xe793, 0xa6df],
  [0xe794, 0xa6ec],
  [0xe795, 0xa6ed],
  [0xe796, 0xa6f3],
  [0xe81e, 0xfe59],
  [0xe826, 0xfe61],
  [0xe82b, 0xfe66],
  [0xe82c, 0xfe67],
  [0xe832, 0xfe6d],
  [0xe843, 0xfe7e],
  [0xe854, 0xfe90],
  [0xe864, 0xfea0],
];

/** The two-byte codes by code point. */
export interface TwoByteTable {
  /** BMP code point to `lead << 8 | trail`; 0 when there is no two-byte code. */
  bmp: Uint16Array;
  /** Code points above the BMP with a two-byte code (none in today's index). */
  astral: Map<number, number>;
}

let twoByte: TwoByteTable | undefined;
let fourByte: Uint16Array | undefined;

/** The two-byte table, built on first call (the same for gbk and gb18030). */
export function twoByteTable(): TwoByteTable {
  if (twoByte !== undefined) return twoByte;
  const sequences = new Uint8Array(126 * 190 * 3);
  let n = 0;
  for (let lead = 0x81; lead <= 0xfe; lead++) {
    for (let trail = 0x40; trail <= 0xfe; trail++) {
      if (trail === 0x7f) continue;
      sequences[n] = lead;
      sequences[n + 1] = trail;
      n += 3;
    }
  }
  const table: TwoByteTable = { bmp: new Uint16Array(0x10000), astral: new Map() };
  // Sequences are in pointer order, so keeping the first code for a code point keeps the
  // Encoding Standard's index pointer (the first pointer).
  decodeSequences(sequences, 2).forEach((cp, i) => {
    const code = sequences[i * 3] << 8 | sequences[i * 3 + 1];
    if (cp === undefined) return;
    if (cp > 0xffff) {
      if (!table.astral.has(cp)) table.astral.set(cp, code);
    } else if (table.bmp[cp] === 0) table.bmp[cp] = code;
  });
  for (const [cp, code] of PUA_2005) if (table.bmp[cp] === 0) table.bmp[cp] = code;
  table.bmp[0xe5e5] = 0;
  return twoByte = table;
}

/** BMP code point to its first four-byte pointer + 1; 0 when there is none. */
export function fourByteTable(): Uint16Array {
  if (fourByte !== undefined) return fourByte;
  const sequences = new Uint8Array(39420 * 5);
  for (let p = 0; p < 39420; p++) writeFourByte(sequences, p * 5, p);
  const table = new Uint16Array(0x10000);
  decodeSequences(sequences, 4).forEach((cp, p) => {
    if (cp !== undefined && cp <= 0xffff && table[cp] === 0) table[cp] = p + 1;
  });
  table[0xe5e5] = 0;
  return fourByte = table;
}

/**
 * Decodes byte sequences of `size` bytes, each followed by a 0x00 separator (never part of a
 * multi-byte sequence, so a malformed one cannot swallow its neighbour), in one decoder call.
 * Returns each sequence's code point, or undefined when it does not decode to exactly one.
 */
function decodeSequences(sequences: Uint8Array, size: number): (number | undefined)[] {
  const parts = new TextDecoder("gb18030", { ignoreBOM: true }).decode(sequences).split("\0");
  const count = sequences.length / (size + 1);
  if (parts.length !== count + 1) {
    throw new Error(`Platform gb18030 decoder split ${count} sequences into ${parts.length - 1}`);
  }
  const strict = new TextDecoder("gb18030", { fatal: true });
  return parts.slice(0, count).map((part, i) => {
    const cp = part.codePointAt(0);
    if (cp === undefined || part.length !== (cp > 0xffff ? 2 : 1)) return undefined;
    if (cp !== 0xfffd) return cp;
    // A genuine U+FFFD (0x84 0x31 0xA4 0x37) decodes without error; a malformed one throws.
    try {
      strict.decode(sequences.subarray(i * (size + 1), i * (size + 1) + size));
      return cp;
    } catch {
      return undefined;
    }
  });
}
