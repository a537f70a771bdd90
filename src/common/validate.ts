import { ValidationError } from '../netlink/errors.js';

/** Whether `value` is an integer in [min, max] (the bulk paths' check, which makes no error). */
export function isIntegerIn(value: unknown, min: number, max: number): value is number {
  return typeof value === 'number' && value >= min && value <= max && Number.isInteger(value);
}

/** Checks an integer in [min, max]; throws a ValidationError naming `field` otherwise. */
export function integerInRange(value: unknown, field: string, min: number, max: number, what = 'an integer'): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max) {
    throw new ValidationError(field, value, `expected ${what} in ${min}..${max}`);
  }
  return value;
}

/** An unsigned 32-bit integer (marks, priorities, table ids). */
export function u32(value: unknown, field: string): number {
  return integerInRange(value, field, 0, 0xffffffff, 'an unsigned 32-bit integer');
}

/** An unsigned 16-bit integer (ports). */
export function u16(value: unknown, field: string): number {
  return integerInRange(value, field, 0, 0xffff, 'an unsigned 16-bit integer');
}

/** An unsigned 8-bit integer. */
export function u8(value: unknown, field: string): number {
  return integerInRange(value, field, 0, 0xff, 'an unsigned 8-bit integer');
}

/** A non-empty string of at most `max` bytes (interface names: 15). */
export function shortString(value: unknown, field: string, max: number): string {
  if (typeof value !== 'string' || value.length === 0 || Buffer.byteLength(value) > max || value.includes('\0')) {
    throw new ValidationError(field, value, `expected a non-empty name of at most ${max} bytes`);
  }
  return value;
}

/** An interface name as the kernel accepts it (IFNAMSIZ - 1 bytes, no '/', no whitespace). */
export function interfaceName(value: unknown, field: string): string {
  const name = shortString(value, field, 15);
  if (/[/\s:]/.test(name) || name === '.' || name === '..') {
    throw new ValidationError(field, value, 'expected an interface name');
  }
  return name;
}

/** An optional boolean option (`onlink`, `nodad`): false when absent; true or false, else a ValidationError. */
export function optionalBoolean(value: unknown, field: string): boolean {
  if (value === undefined || value === false) return false;
  if (value === true) return true;
  throw new ValidationError(field, value, 'expected a boolean');
}

/** Throws if `value` is not a plain object. */
export function plainObject(value: unknown, field: string): Record<string, unknown> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new ValidationError(field, value, 'expected an object');
  }
  return value as Record<string, unknown>;
}

/** Throws if `value` has keys outside `allowed` (catches typos such as `fwMark`). */
export function knownKeys(value: Record<string, unknown>, field: string, allowed: ReadonlySet<string>): void {
  for (const key in value) {
    if (!Object.prototype.hasOwnProperty.call(value, key)) continue;
    if (!allowed.has(key) && value[key] !== undefined) {
      throw new ValidationError(`${field}.${key}`, value[key], `unknown field (known: ${[...allowed].join(', ')})`);
    }
  }
}
