/**
 * Argument checks shared by the client and the server.
 *
 * @module
 */

/** Throws a RangeError unless `value` is undefined or an integer in `min..max`. */
export function checkInteger(
  name: string,
  value: number | undefined,
  min: number,
  max: number,
): void {
  if (value === undefined) return;
  if (!Number.isInteger(value) || value < min || value > max) {
    throw new RangeError(`${name} must be an integer between ${min} and ${max}, got ${value}`);
  }
}
