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

/** IFNAMSIZ - 1: the bytes of an interface name, its NUL aside. */
const IFNAME_MAX_BYTES = 15;
/** ALTIFNAMSIZ - 1: the bytes of an alternative name (`ip link property add dev D altname A`). */
const ALTIFNAME_MAX_BYTES = 127;

/**
 * Whether the kernel's isspace() holds for a byte. Its ctype table (lib/ctype.c) is Latin-1:
 * ASCII whitespace and 0xa0 (no-break space), which in UTF-8 is a continuation byte.
 */
function isKernelSpace(byte: number): boolean {
  return (byte >= 0x09 && byte <= 0x0d) || byte === 0x20 || byte === 0xa0;
}

/**
 * Whether `name` passes the kernel's dev_valid_name apart from its length, byte by byte on the
 * UTF-8: not '.' or '..', and no '/', ':' or kernel whitespace. So 'a\u2003b' (EM SPACE, e2 80
 * 83) passes, while 'aŠb' (c5 a0) and 'a\u00a0b' (c2 a0) do not.
 */
export function hasInterfaceNameBytes(name: string): boolean {
  return name !== '.' && name !== '..' && !Buffer.from(name).some((byte) => byte === 0x2f || byte === 0x3a || isKernelSpace(byte));
}

/** An interface name a link can be given: 1..15 bytes that pass {@link hasInterfaceNameBytes}. */
export function interfaceName(value: unknown, field: string): string {
  const name = shortString(value, field, IFNAME_MAX_BYTES);
  if (!hasInterfaceNameBytes(name)) {
    throw new ValidationError(field, value, "expected an interface name (no '/', ':' or whitespace, not '.' or '..')");
  }
  return name;
}

/**
 * A name to look an existing link up by: its name or one of its alternative names. The kernel
 * checks an altname for its length only (up to 127 bytes; '/', ':', spaces and '.' are all
 * taken), so nothing more is checked here: a name no link has is the lookup's "no such interface".
 */
export function interfaceLookupName(value: unknown, field: string): string {
  return shortString(value, field, ALTIFNAME_MAX_BYTES);
}

/**
 * Which names a route or nexthop object may give its devices. `'name'`: only a name a link can
 * be given (1..15 bytes, no '/', ':' or whitespace), the default, and what policy documents
 * hold, so that they compare with the names the kernel lists. `'lookup'`: any name a link can be
 * looked up by, an altname too (up to 127 bytes), as ip takes `dev ALTNAME`; the handle's calls
 * use it, and resolve the name to the link's index before anything is sent.
 */
export type DeviceNaming = 'name' | 'lookup';

/** Checks the name of a device a route or nexthop object goes through, by `naming`. */
export function deviceName(value: unknown, field: string, naming: DeviceNaming): string {
  return naming === 'lookup' ? interfaceLookupName(value, field) : interfaceName(value, field);
}

/** An optional boolean option (`onlink`, `nodad`): false when absent; true or false, else a ValidationError. */
export function optionalBoolean(value: unknown, field: string): boolean {
  if (value === undefined || value === false) return false;
  if (value === true) return true;
  throw new ValidationError(field, value, 'expected a boolean');
}

/** MAX_ADDR_LEN: the longest link-layer address a device has. */
const MAX_LLADDR_BYTES = 32;

/**
 * A link-layer address (`02:00:00:00:00:01`): colon-separated hex bytes, 1..32 of them (tunnel
 * devices have other lengths than Ethernet's 6; the kernel checks the device's own length).
 */
export function linkLayerAddress(value: unknown, field: string): Uint8Array {
  if (typeof value !== 'string' || !/^[0-9a-f]{2}(:[0-9a-f]{2})*$/i.test(value)) {
    throw new ValidationError(field, value, 'expected a link-layer address of hex bytes separated by colons (02:00:00:00:00:01)');
  }
  const bytes = Uint8Array.from(value.split(':'), (pair) => parseInt(pair, 16));
  if (bytes.length > MAX_LLADDR_BYTES) throw new ValidationError(field, value, `expected at most ${MAX_LLADDR_BYTES} bytes`);
  return bytes;
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
