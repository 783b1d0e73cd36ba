/**
 * Whether a stored value and a given one are the same value (dates by time, a bigint by its
 * digits, objects and arrays by content). A value JSON cannot print (circular) is never the same:
 * it is written, and the ORM's own conversion or the driver refuses it.
 */
export function sameValue(current: unknown, next: unknown): boolean {
  if (current === next) return true;
  if (current instanceof Date && next instanceof Date) return current.getTime() === next.getTime();
  if (current === null || next === null || current === undefined || next === undefined)
    return false;
  // The drivers hand a bigint column back as text or a number: -1n is the same as '-1'.
  if (typeof current === 'bigint' || typeof next === 'bigint')
    return textOf(current) === textOf(next);
  try {
    return JSON.stringify(current, bigintAsText) === JSON.stringify(next, bigintAsText);
  } catch {
    return false;
  }
}

function bigintAsText(_key: string, value: unknown): unknown {
  return typeof value === 'bigint' ? `${value}n` : value;
}

/** A bigint, number or string as the digits a driver would hand back for it. */
function textOf(value: unknown): string {
  return typeof value === 'bigint' || typeof value === 'number' || typeof value === 'string'
    ? String(value)
    : '';
}
