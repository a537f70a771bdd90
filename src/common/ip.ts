import { ValidationError } from '../netlink/errors.js';

/** An IP address in network byte order. */
export interface IpAddress {
  family: 4 | 6;
  bytes: Uint8Array;
}

/** An IP prefix: address and prefix length. */
export interface IpPrefix extends IpAddress {
  length: number;
}

function parseIPv4(text: string): Uint8Array | undefined {
  const value = parseIPv4Number(text);
  if (value < 0) return undefined;
  return new Uint8Array([value >>> 24, (value >>> 16) & 255, (value >>> 8) & 255, value & 255]);
}

/** Where the last {@link parseIPv4Number} call stopped: the end, or the '/' it was told to stop at. */
export let ipv4StoppedAt = 0;

/**
 * Parses a dotted-quad IPv4 address (the whole text, or up to the first '/' with `stopAtSlash`)
 * into its 32-bit value (network order as a number), or -1. No leading zeros (octal ambiguity).
 * The one IPv4 parser, without allocation and unrolled over the four parts, because bulk calls
 * parse hundreds of thousands of these before they send anything.
 */
export function parseIPv4Number(text: string, stopAtSlash = false): number {
  // charCodeAt past the end gives NaN, which is neither a digit nor a separator.
  let i = 0;
  let result = 0;
  for (let part = 0; part < 4; part++) {
    if (part > 0) {
      if (text.charCodeAt(i) !== 46) return -1;
      i++;
    }
    let value = text.charCodeAt(i) - 48;
    if (!(value >= 0 && value <= 9)) return -1;
    let digit = text.charCodeAt(++i) - 48;
    if (digit >= 0 && digit <= 9) {
      if (value === 0) return -1;
      value = value * 10 + digit;
      digit = text.charCodeAt(++i) - 48;
      if (digit >= 0 && digit <= 9) {
        value = value * 10 + digit;
        i++;
        if (value > 255) return -1;
      }
    }
    result = result * 256 + value;
  }
  if (i < text.length && !(stopAtSlash && text.charCodeAt(i) === 47)) return -1;
  ipv4StoppedAt = i;
  return result;
}

function parseIPv6(text: string): Uint8Array | undefined {
  if (text.length < 2 || text.length > 45) return undefined;
  let head = text;
  let tail = '';
  const doubleColon = text.indexOf('::');
  if (doubleColon >= 0) {
    if (text.indexOf('::', doubleColon + 1) >= 0) return undefined;
    head = text.slice(0, doubleColon);
    tail = text.slice(doubleColon + 2);
  }
  const parseGroups = (part: string, allowV4Tail: boolean): number[] | undefined => {
    if (part === '') return [];
    const groups = part.split(':');
    const words: number[] = [];
    for (let i = 0; i < groups.length; i++) {
      const group = groups[i]!;
      if (allowV4Tail && i === groups.length - 1 && group.includes('.')) {
        const v4 = parseIPv4(group);
        if (!v4) return undefined;
        words.push((v4[0]! << 8) | v4[1]!, (v4[2]! << 8) | v4[3]!);
        continue;
      }
      if (!/^[0-9a-fA-F]{1,4}$/.test(group)) return undefined;
      words.push(parseInt(group, 16));
    }
    return words;
  };
  const headWords = parseGroups(head, doubleColon < 0);
  const tailWords = parseGroups(tail, true);
  if (!headWords || !tailWords) return undefined;
  let words: number[];
  if (doubleColon >= 0) {
    const missing = 8 - headWords.length - tailWords.length;
    if (missing < 1) return undefined;
    words = [...headWords, ...new Array<number>(missing).fill(0), ...tailWords];
  } else {
    words = headWords;
  }
  if (words.length !== 8) return undefined;
  const bytes = new Uint8Array(16);
  for (let i = 0; i < 8; i++) {
    bytes[2 * i] = words[i]! >> 8;
    bytes[2 * i + 1] = words[i]! & 0xff;
  }
  return bytes;
}

/** Parses an IPv4 or IPv6 address, or returns undefined. */
export function tryParseAddress(text: string): IpAddress | undefined {
  if (typeof text !== 'string') return undefined;
  if (text.includes(':')) {
    const bytes = parseIPv6(text);
    return bytes ? { family: 6, bytes } : undefined;
  }
  const bytes = parseIPv4(text);
  return bytes ? { family: 4, bytes } : undefined;
}

/** Parses an IPv4 or IPv6 address; throws a ValidationError naming `field` otherwise. */
export function parseAddress(text: unknown, field: string, family?: 4 | 6): IpAddress {
  const address = typeof text === 'string' ? tryParseAddress(text) : undefined;
  if (!address) throw new ValidationError(field, text, 'expected an IPv4 or IPv6 address');
  if (family !== undefined && address.family !== family) {
    throw new ValidationError(field, text, `expected an IPv${family} address`);
  }
  return address;
}

/**
 * Parses `ADDRESS[/LENGTH]`; a bare address is a host prefix (/32 or /128). Throws a
 * ValidationError naming `field` for anything else (e.g. `10.0.0.1/33`).
 */
export function parsePrefix(text: unknown, field: string, family?: 4 | 6): IpPrefix {
  if (typeof text !== 'string') throw new ValidationError(field, text, 'expected an address or prefix such as 192.0.2.0/24');
  const slash = text.indexOf('/');
  const addressText = slash < 0 ? text : text.slice(0, slash);
  const address = tryParseAddress(addressText);
  if (!address) throw new ValidationError(field, text, 'expected an address or prefix such as 192.0.2.0/24');
  if (family !== undefined && address.family !== family) {
    throw new ValidationError(field, text, `expected an IPv${family} prefix`);
  }
  const max = address.family === 4 ? 32 : 128;
  let length = max;
  if (slash >= 0) {
    const lengthText = text.slice(slash + 1);
    // No leading zeros: ip reads "/024" as octal (20) and refuses "/08", so they cannot mean
    // what they seem to.
    if (!/^(0|[1-9]\d{0,2})$/.test(lengthText) || Number(lengthText) > max) {
      throw new ValidationError(field, text, `prefix length must be 0..${max}, without leading zeros`);
    }
    length = Number(lengthText);
  }
  return { ...address, length };
}

/** Formats an address the way glibc's inet_ntop (and so `ip`) does. */
export function formatAddress(bytes: Uint8Array): string {
  if (bytes.length === 4) return `${bytes[0]}.${bytes[1]}.${bytes[2]}.${bytes[3]}`;
  if (bytes.length !== 16) return Buffer.from(bytes).toString('hex');
  const words: number[] = [];
  for (let i = 0; i < 8; i++) words.push((bytes[2 * i]! << 8) | bytes[2 * i + 1]!);
  // Longest run of zero words (at least two) becomes "::"; the first wins a tie.
  let bestStart = -1;
  let bestLength = 0;
  for (let i = 0; i < 8; ) {
    if (words[i] !== 0) {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && words[j] === 0) j++;
    if (j - i > bestLength) {
      bestStart = i;
      bestLength = j - i;
    }
    i = j;
  }
  if (bestLength < 2) bestStart = -1;
  let out = '';
  for (let i = 0; i < 8; i++) {
    if (bestStart >= 0 && i >= bestStart && i < bestStart + bestLength) {
      if (i === bestStart) out += ':';
      continue;
    }
    if (i !== 0) out += ':';
    // IPv4-compatible (::a.b.c.d) and IPv4-mapped (::ffff:a.b.c.d) tails, as inet_ntop prints them.
    if (i === 6 && bestStart === 0 && (bestLength === 6 || (bestLength === 5 && words[5] === 0xffff))) {
      out += `${bytes[12]}.${bytes[13]}.${bytes[14]}.${bytes[15]}`;
      break;
    }
    out += words[i]!.toString(16);
  }
  if (bestStart >= 0 && bestStart + bestLength === 8) out += ':';
  return out;
}

/** Formats a prefix as `ADDRESS/LENGTH`, or just the address for a host prefix. */
export function formatPrefix(bytes: Uint8Array, length: number, alwaysLength = false): string {
  const max = bytes.length * 8;
  return length === max && !alwaysLength ? formatAddress(bytes) : `${formatAddress(bytes)}/${length}`;
}

/** Family number (4 or 6) to the socket family name used in routemark objects. */
export type FamilyName = 'inet' | 'inet6';

/** 'inet' for 4, 'inet6' for 6. */
export function familyName(family: 4 | 6): FamilyName {
  return family === 4 ? 'inet' : 'inet6';
}
