import type { IpPrefix } from './ip.js';

/** Whether `address` (network byte order) lies inside `prefix`. Families must match. */
export function prefixContains(prefix: IpPrefix, address: Uint8Array): boolean {
  if (address.length !== prefix.bytes.length) return false;
  let bits = prefix.length;
  for (let i = 0; bits > 0; i++, bits -= 8) {
    const mask = bits >= 8 ? 0xff : (0xff << (8 - bits)) & 0xff;
    if ((address[i]! & mask) !== (prefix.bytes[i]! & mask)) return false;
  }
  return true;
}
