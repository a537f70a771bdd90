import type { IpPrefix } from './ip.js';

/** `bytes` (network byte order) with the bits past `length` cleared: the network of a prefix. */
export function networkBytes(bytes: Uint8Array, length: number): Uint8Array {
  const out = Uint8Array.from(bytes);
  for (let bit = length; bit < out.length * 8; bit++) out[bit >> 3]! &= ~(0x80 >> (bit & 7));
  return out;
}

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
