/**
 * Block numbers: the engine counts blocks with an unbounded integer ("absolute" numbers, DATA 1
 * is 1), the wire carries 16 bits. Past 65535 the wire number rolls over to `rollover` (0 by
 * common practice, 1 for peers that expect it).
 *
 * @module
 */

/** Where wire block numbers continue after 65535. */
export type Rollover = 0 | 1;

/** The wire number of absolute block `n`. */
export function wireBlock(n: number, rollover: Rollover): number {
  if (n <= 0xffff) return n;
  const cycle = 0x10000 - rollover;
  return rollover + ((n - 0x10000) % cycle);
}

/**
 * How far wire number `wire` lies ahead of absolute block `from`, modulo the rollover cycle:
 * 0 means the same block, 1 the next one, `cycle - 1` the one before.
 */
export function blockDistance(from: number, wire: number, rollover: Rollover): number {
  const cycle = 0x10000 - rollover;
  const a = wireBlock(from, rollover) - rollover;
  const b = wire - rollover;
  return (((b - a) % cycle) + cycle) % cycle;
}

/** Length of the rollover cycle, in blocks. */
export function blockCycle(rollover: Rollover): number {
  return 0x10000 - rollover;
}

/**
 * The largest window the engine uses, whatever was negotiated: a window must stay under half
 * the block-number cycle for old and new block numbers to be told apart.
 */
export const MAX_ENGINE_WINDOW = 32767;
