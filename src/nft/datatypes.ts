/**
 * nft's datatypes: how a JSON value becomes register bytes and back, and the type ids nft
 * stores in sets (NFTA_SET_KEY_TYPE) so that `nft list` prints them. Names and ids follow nft
 * (src/datatype.c, enum datatypes); byte order is network order unless the type says host.
 */
import { readFileSync } from 'node:fs';
import { HOST_IS_LITTLE_ENDIAN } from '../netlink/attributes.js';
import { ValidationError } from '../netlink/errors.js';
import { formatAddress, parseIPv4Number, tryParseAddress } from '../common/ip.js';
import type { NftExpression } from './json.js';

/** Interface names and indexes of the handle's namespace (for iif/oif, which hold indexes). */
export interface InterfaceNames {
  index(name: string): number | undefined;
  name(index: number): string | undefined;
}

/** Thrown by compilation when an interface name must be resolved and no table was given. */
export class InterfacesNeeded extends Error {
  constructor() {
    super('routemark: interface names needed');
  }
}

/** What parsing and formatting may consult. */
export interface ValueContext {
  /** Interface table; undefined until fetched (compilation then throws InterfacesNeeded). */
  interfaces: InterfaceNames | undefined;
}

/** A datatype: its nft name and id, register size, byte order, parser and formatter. */
export interface Datatype {
  readonly name: string;
  /** nft's TYPE_* id (NFTA_SET_KEY_TYPE for sets of this type). */
  readonly id: number;
  /** Bytes in a register. */
  readonly size: number;
  readonly byteorder: 'big' | 'host';
  /** Flag names and bits, for bitmask types (ct state). */
  readonly flags?: ReadonlyMap<string, number>;
  /** JSON value -> bytes; throws a ValidationError naming `field`. */
  parse(value: unknown, field: string, context: ValueContext): Uint8Array;
  /** Bytes -> JSON value, as `nft -j` prints it. */
  format(bytes: Uint8Array, context: ValueContext): NftExpression;
  /**
   * The fast path of {@link parse} for rule templates: writes `size` bytes into `target` at
   * `offset` without allocating; false (instead of throwing) if the value is not valid.
   */
  into?(value: unknown, target: Buffer, offset: number, context: ValueContext): boolean;
}

/** Byte order flag nft keeps in set userdata (enum byteorder). */
export const BYTEORDER_HOST_ENDIAN = 1; // BYTEORDER_HOST_ENDIAN
export const BYTEORDER_BIG_ENDIAN = 2; // BYTEORDER_BIG_ENDIAN

function uintBytes(value: number, size: number, byteorder: 'big' | 'host'): Uint8Array {
  const bytes = new Uint8Array(size);
  const view = new DataView(bytes.buffer);
  const little = byteorder === 'host' && HOST_IS_LITTLE_ENDIAN;
  if (size === 1) view.setUint8(0, value);
  else if (size === 2) view.setUint16(0, value, little);
  else view.setUint32(0, value >>> 0, little);
  return bytes;
}

/** Reads an unsigned integer of 1, 2 or 4 bytes in the given byte order. */
export function readUint(bytes: Uint8Array, byteorder: 'big' | 'host'): number {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const little = byteorder === 'host' && HOST_IS_LITTLE_ENDIAN;
  if (bytes.length === 1) return view.getUint8(0);
  if (bytes.length === 2) return view.getUint16(0, little);
  if (bytes.length === 4) return view.getUint32(0, little);
  let value = 0;
  if (little) for (let i = bytes.length - 1; i >= 0; i--) value = value * 256 + bytes[i]!;
  else for (let i = 0; i < bytes.length; i++) value = value * 256 + bytes[i]!;
  return value;
}

/**
 * Whether values of `type` are host-order integers. nft converts them to network order
 * (a `byteorder` expression) wherever they are compared by size: ranges, `<` and `>`, and keys of
 * interval sets, whose elements it stores in network order. Interface names are strings (host
 * order only in name): they compare from their first byte, as addresses do.
 */
export function isHostOrderInteger(type: Datatype): boolean {
  return type.byteorder === 'host' && type.size > 1 && type.name !== 'ifname';
}

/** `bytes` of `type` in network order: host-order integers byte-swapped on this host. */
export function networkOrder(type: Datatype, bytes: Uint8Array): Uint8Array {
  return isHostOrderInteger(type) && HOST_IS_LITTLE_ENDIAN ? Uint8Array.from(bytes).reverse() : bytes;
}

/** A number written as text: decimal, or hex with 0x (as nft reads numbers). */
const NUMBER_TEXT = /^(0x[0-9a-fA-F]+|\d+)$/;

/** An integer from a JSON number or a decimal/hex string. */
function integerValue(value: unknown, field: string, max: number, what: string): number {
  let number: number | undefined;
  if (typeof value === 'number') number = value;
  else if (typeof value === 'string' && NUMBER_TEXT.test(value)) number = Number(value);
  if (number === undefined || !Number.isInteger(number) || number < 0 || number > max) {
    throw new ValidationError(field, value, `expected ${what} (0..${max})`);
  }
  return number;
}

/** Writes an unsigned integer of 1, 2 or 4 bytes into `target`; false if out of range. */
function uintInto(value: unknown, size: number, byteorder: 'big' | 'host', target: Buffer, offset: number): boolean {
  let number: number;
  if (typeof value === 'number') number = value;
  else if (typeof value === 'string' && NUMBER_TEXT.test(value)) number = Number(value);
  else return false;
  if (!Number.isInteger(number) || number < 0 || number > (size >= 4 ? 0xffffffff : 2 ** (size * 8) - 1)) return false;
  // Byte by byte: Buffer's writeUInt32LE and friends check their arguments again, which for
  // 100k map elements costs more than the writes.
  if (byteorder === 'host' && HOST_IS_LITTLE_ENDIAN) {
    for (let i = 0; i < size; i++) target[offset + i] = (number >>> (8 * i)) & 0xff;
  } else {
    for (let i = 0; i < size; i++) target[offset + size - 1 - i] = (number >>> (8 * i)) & 0xff;
  }
  return true;
}

/**
 * A big-endian integer longer than 4 bytes (a raw payload such as `@nh,64,128`): the register
 * bytes of a number or a decimal or hex string, and back. nft lists such a value as a number
 * while it fits 64 bits and as a hex string beyond; a number is listed here only while a double
 * holds it exactly, a hex string otherwise (nft reads both).
 */
function longIntegerType(name: string, id: number, size: number): Datatype {
  const max = (1n << BigInt(size * 8)) - 1n;
  return {
    name,
    id,
    size,
    byteorder: 'big',
    parse(value, field) {
      let big: bigint | undefined;
      if (typeof value === 'number' && Number.isSafeInteger(value) && value >= 0) big = BigInt(value);
      else if (typeof value === 'string' && NUMBER_TEXT.test(value)) big = BigInt(value);
      if (big === undefined || big > max) throw new ValidationError(field, value, `expected an integer of ${size} bytes (a number, or a decimal or hex string)`);
      const bytes = new Uint8Array(size);
      for (let i = size - 1; i >= 0; i--) {
        bytes[i] = Number(big & 0xffn);
        big >>= 8n;
      }
      return bytes;
    },
    format(bytes) {
      let big = 0n;
      for (const byte of bytes) big = (big << 8n) | BigInt(byte);
      return big <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(big) : `0x${big.toString(16)}`;
    },
  };
}

function integerType(name: string, id: number, size: number, byteorder: 'big' | 'host', what = 'an integer', max?: number): Datatype {
  // Only 1, 2 and 4 bytes below: uintBytes and readUint know no other sizes.
  if (size > 4 && byteorder === 'big' && max === undefined) return longIntegerType(name, id, size);
  const full = size >= 4 ? 0xffffffff : 2 ** (size * 8) - 1;
  const limit = max ?? full;
  return {
    name,
    id,
    size,
    byteorder,
    parse: (value, field) => uintBytes(integerValue(value, field, limit, what), size, byteorder),
    format: (bytes) => readUint(bytes, byteorder),
    // The fast path checks only the full range; a narrower one goes through parse.
    into: size <= 4 && limit === full ? (value, target, offset) => uintInto(value, size, byteorder, target, offset) : undefined,
  };
}

/** Writes a dotted-quad IPv4 address into `target`, as tryParseAddress reads it; false for anything else. */
function ipv4Into(value: unknown, target: Buffer, offset: number): boolean {
  const address = typeof value === 'string' ? parseIPv4Number(value) : -1;
  if (address < 0) return false;
  target[offset] = address >>> 24;
  target[offset + 1] = (address >>> 16) & 0xff;
  target[offset + 2] = (address >>> 8) & 0xff;
  target[offset + 3] = address & 0xff;
  return true;
}

function symbolType(name: string, id: number, size: number, byteorder: 'big' | 'host', symbols: Record<string, number>): Datatype {
  const byName = new Map(Object.entries(symbols));
  const byValue = new Map(Object.entries(symbols).map(([k, v]) => [v, k]));
  const max = size >= 4 ? 0xffffffff : 2 ** (size * 8) - 1;
  return {
    name,
    id,
    size,
    byteorder,
    parse(value, field) {
      const known = typeof value === 'string' ? byName.get(value) : undefined;
      if (known !== undefined) return uintBytes(known, size, byteorder);
      if (typeof value === 'string' && !NUMBER_TEXT.test(value)) {
        throw new ValidationError(field, value, `expected one of ${[...byName.keys()].join(', ')} or a number`);
      }
      return uintBytes(integerValue(value, field, max, `a ${name}`), size, byteorder);
    },
    format(bytes) {
      const number = readUint(bytes, byteorder);
      return byValue.get(number) ?? number;
    },
  };
}

function flagType(name: string, id: number, size: number, flags: Record<string, number>): Datatype {
  const map = new Map(Object.entries(flags));
  const names = Object.entries(flags);
  return {
    name,
    id,
    size,
    byteorder: 'host',
    flags: map,
    parse(value, field) {
      const list = Array.isArray(value) ? value : [value];
      let bits = 0;
      list.forEach((item, i) => {
        const bit = typeof item === 'string' ? map.get(item) : undefined;
        if (bit === undefined) {
          if (typeof item === 'number' && Number.isInteger(item) && item >= 0 && item <= 0xffffffff) {
            bits |= item;
            return;
          }
          throw new ValidationError(Array.isArray(value) ? `${field}[${i}]` : field, item, `expected one of ${names.map(([n]) => n).join(', ')}`);
        }
        bits |= bit;
      });
      return uintBytes(bits >>> 0, size, 'host');
    },
    format(bytes) {
      const bits = readUint(bytes, 'host');
      const out = names.filter(([, bit]) => (bits & bit) === bit && bit !== 0).map(([n]) => n);
      const known = out.reduce((acc, n) => acc | map.get(n)!, 0);
      if (known !== bits || out.length === 0) return bits;
      return out.length === 1 ? out[0]! : out;
    },
  };
}

function addressType(name: string, id: number, family: 4 | 6): Datatype {
  return {
    name,
    id,
    size: family === 4 ? 4 : 16,
    byteorder: 'big',
    parse(value, field) {
      const address = typeof value === 'string' ? tryParseAddress(value) : undefined;
      if (!address || address.family !== family) throw new ValidationError(field, value, `expected an IPv${family} address`);
      return address.bytes;
    },
    format: (bytes) => formatAddress(bytes),
    into: family === 4 ? (value, target, offset) => ipv4Into(value, target, offset) : undefined,
  };
}

const IFNAMSIZ = 16; // IFNAMSIZ
const textEncoder = new TextEncoder();
const textDecoder = new TextDecoder();

/**
 * Interface names: 16 bytes, NUL-padded; `"eth*"` compares only the prefix (parse gives the
 * prefix alone), and `"eth\\*"` (the text eth\*) is the name `eth*`, as in nft.
 */
const ifname: Datatype = {
  name: 'ifname',
  id: 41, // TYPE_IFNAME
  size: IFNAMSIZ,
  byteorder: 'host',
  parse(value, field) {
    if (typeof value !== 'string' || value.length === 0 || value.includes('\0')) throw new ValidationError(field, value, 'expected an interface name');
    const escaped = value.endsWith('\\*');
    const wildcard = value.endsWith('*') && !escaped;
    // nft refuses a wildcard of nothing (the kernel would take it as a 0-byte compare).
    if (wildcard && value.length === 1) throw new ValidationError(field, value, 'expected an interface name or a prefix followed by * (nft: all-wildcard strings are not supported)');
    const name = wildcard ? value.slice(0, -1) : escaped ? `${value.slice(0, -2)}*` : value;
    const encoded = textEncoder.encode(name);
    if (encoded.length >= IFNAMSIZ) throw new ValidationError(field, value, 'expected an interface name of at most 15 bytes');
    if (wildcard) return encoded;
    const bytes = new Uint8Array(IFNAMSIZ);
    bytes.set(encoded);
    return bytes;
  },
  format(bytes) {
    let end = bytes.indexOf(0);
    const wildcard = end < 0 && bytes.length < IFNAMSIZ;
    if (end < 0) end = bytes.length;
    const name = textDecoder.decode(bytes.subarray(0, end));
    if (wildcard) return `${name}*`;
    // A name that ends in * is escaped, as nft lists it, so that it reads back as that name.
    return name.endsWith('*') ? `${name.slice(0, -1)}\\*` : name;
  },
};

/** Whether `value` is a wildcard interface name (`"eth*"`, not the escaped `"eth\\*"`). */
export function isWildcardInterfaceName(value: unknown): boolean {
  return typeof value === 'string' && value.length > 1 && value.endsWith('*') && !value.endsWith('\\*');
}

/** Interface indexes, written as names in JSON (resolved in the handle's namespace). */
const ifindex: Datatype = {
  name: 'iface_index',
  id: 20, // TYPE_IFINDEX
  size: 4,
  byteorder: 'host',
  parse(value, field, context) {
    if (typeof value === 'number') return uintBytes(integerValue(value, field, 0xffffffff, 'an interface index'), 4, 'host');
    if (typeof value !== 'string' || value.length === 0) throw new ValidationError(field, value, 'expected an interface name');
    if (context.interfaces === undefined) throw new InterfacesNeeded();
    const index = context.interfaces.index(value);
    if (index === undefined) throw new ValidationError(field, value, 'expected an existing interface (use iifname/oifname for interfaces that may not exist yet)');
    return uintBytes(index, 4, 'host');
  },
  format(bytes, context) {
    const index = readUint(bytes, 'host');
    return context.interfaces?.name(index) ?? index;
  },
};

interface NameTable {
  byName: Map<string, number>;
  byNumber: Map<number, string>;
}

/**
 * Names and numbers from a system file, one entry per line (`#` starts a comment): `entry`
 * takes a line's fields and gives its number and names (the first is the one listed), or
 * undefined to skip it. The first name and the first number win. `fallback` stands in for a
 * file that cannot be read.
 */
function readNameTable(path: string, fallback: string, entry: (fields: string[]) => { number: number; names: string[] } | undefined): NameTable {
  const byName = new Map<string, number>();
  const byNumber = new Map<number, string>();
  let text = fallback;
  try {
    text = readFileSync(path, 'utf8');
  } catch {
    // the fallback stands
  }
  for (const line of text.split('\n')) {
    const fields = line.replace(/#.*/, '').trim().split(/\s+/);
    const found = fields.length >= 2 ? entry(fields) : undefined;
    if (found === undefined) continue;
    for (const name of found.names) if (!byName.has(name)) byName.set(name, found.number);
    if (!byNumber.has(found.number)) byNumber.set(found.number, found.names[0]!);
  }
  return { byName, byNumber };
}

let protocolTable: NameTable | undefined;

/** /etc/protocols, as getprotobyname(3) reads it (nft prints protocols by these names). */
function protocols(): NameTable {
  protocolTable ??= readNameTable('/etc/protocols', 'icmp 1\nigmp 2\ntcp 6\nudp 17\ndccp 33\ngre 47\nesp 50\nah 51\nipv6-icmp 58\nsctp 132\nudplite 136\n', (fields) => {
    const number = Number(fields[1]);
    return Number.isInteger(number) && number >= 0 && number <= 255 ? { number, names: [fields[0]!, ...fields.slice(2)] } : undefined;
  });
  return protocolTable;
}

/** IP protocol numbers, by /etc/protocols name. */
const inetProto: Datatype = {
  name: 'inet_proto',
  id: 12, // TYPE_INET_PROTOCOL
  size: 1,
  byteorder: 'big',
  parse(value, field) {
    if (typeof value === 'string' && !/^\d+$/.test(value)) {
      const number = protocols().byName.get(value);
      if (number === undefined) throw new ValidationError(field, value, 'expected a protocol name from /etc/protocols or a number');
      return Uint8Array.of(number);
    }
    return Uint8Array.of(integerValue(value, field, 255, 'a protocol number'));
  },
  format(bytes) {
    return protocols().byNumber.get(bytes[0]!) ?? bytes[0]!;
  },
};

function booleanType(size: 1 | 4): Datatype {
  return {
    name: 'boolean',
    id: 39, // TYPE_BOOLEAN
    size,
    byteorder: 'host',
    parse(value, field) {
      if (typeof value !== 'boolean') throw new ValidationError(field, value, 'expected true (exists) or false (missing)');
      const bytes = new Uint8Array(size);
      bytes[0] = value ? 1 : 0;
      return bytes;
    },
    format: (bytes) => bytes[0] !== 0,
  };
}

const BOOLEAN_BYTE = booleanType(1);
const BOOLEAN_WORD = booleanType(4);

/**
 * true or false, as 1 or 0 in the first of `size` bytes: one byte for `tcp option maxseg
 * exists`, four for `fib saddr . iif oif exists` (nft compares the fib result's 32-bit
 * register, of which the kernel writes only the first byte, on every host).
 */
export function booleanOfSize(size: 1 | 4): Datatype {
  return size === 1 ? BOOLEAN_BYTE : BOOLEAN_WORD;
}

/**
 * 0 or 1 in one byte: `socket transparent` and `socket wildcard`, one-bit booleans that nft
 * reads and prints as numbers (unlike `tcp option ... exists`, which it prints as true/false).
 */
export const SOCKET_BIT: Datatype = integerType('boolean', 39, 1, 'host', '0 or 1', 1); // TYPE_BOOLEAN

/**
 * A 4-byte host-order number named in an iproute2 file (lines of a decimal or 0x hex id and a
 * name), as nft 1.0.6 reads /etc/iproute2/FILE: a name from it or a number. `unnamed` is how
 * nft lists a number the file does not name.
 */
function iproute2NamedType(name: string, id: number, file: string, fallback: string, what: string, unnamed: (value: number) => NftExpression): Datatype {
  let table: NameTable | undefined;
  const names = () =>
    (table ??= readNameTable(`/etc/iproute2/${file}`, fallback, (fields) => {
      if (!NUMBER_TEXT.test(fields[0]!)) return undefined;
      const number = Number(fields[0]);
      return number <= 0xffffffff ? { number, names: [fields[1]!] } : undefined;
    }));
  return {
    name,
    id,
    size: 4,
    byteorder: 'host',
    parse(value, field) {
      if (typeof value === 'string' && !NUMBER_TEXT.test(value)) {
        const number = names().byName.get(value);
        if (number === undefined) throw new ValidationError(field, value, `expected a ${what} name from /etc/iproute2/${file} or a number`);
        return uintBytes(number, 4, 'host');
      }
      return uintBytes(integerValue(value, field, 0xffffffff, `a ${what}`), 4, 'host');
    },
    format(bytes) {
      const number = readUint(bytes, 'host');
      return names().byNumber.get(number) ?? unnamed(number);
    },
  };
}

/** Device groups (`meta iifgroup`), from /etc/iproute2/group (`0 default` there). */
const devgroup = iproute2NamedType('devgroup', 35, 'group', '0 default\n', 'device group', (n) => n); // TYPE_DEVGROUP

/**
 * Routing realms (`meta rtclassid`), from /etc/iproute2/rt_realms (`0 cosmos` there). nft 1.0.6
 * lists a realm without a name as a decimal string ("5"), and reads that back.
 */
const realm = iproute2NamedType('realm', 22, 'rt_realms', '0 cosmos\n', 'realm', (n) => String(n)); // TYPE_REALM

/**
 * Traffic-control class ids (`meta priority set 1:2`): major and minor in hex as tc writes
 * them, `root` and `none`, or a number; host order, as nft 1.0.6 reads and lists them.
 */
const classid: Datatype = {
  name: 'classid',
  id: 23, // TYPE_CLASSID
  size: 4,
  byteorder: 'host',
  parse(value, field) {
    if (value === 'root') return uintBytes(0xffffffff, 4, 'host');
    if (value === 'none') return uintBytes(0, 4, 'host');
    const parts = typeof value === 'string' ? /^([0-9a-fA-F]{1,4}):([0-9a-fA-F]{1,4})$/.exec(value) : null;
    if (parts) return uintBytes(((parseInt(parts[1]!, 16) << 16) | parseInt(parts[2]!, 16)) >>> 0, 4, 'host');
    if (typeof value === 'string' && !NUMBER_TEXT.test(value)) throw new ValidationError(field, value, "expected a class id: 'major:minor' in hex (e.g. '1:10'), 'root', 'none' or a number");
    return uintBytes(integerValue(value, field, 0xffffffff, 'a class id'), 4, 'host');
  },
  format(bytes) {
    const number = readUint(bytes, 'host');
    if (number === 0xffffffff) return 'root';
    if (number === 0) return 'none';
    return `${(number >>> 16).toString(16)}:${(number & 0xffff).toString(16)}`;
  },
};

/** `meta nftrace set 1`: one bit, which nft loads as one byte. */
export const NFTRACE_BIT: Datatype = integerType('integer', 4, 1, 'host', '0 or 1', 1); // TYPE_INTEGER

/** The datatypes routemark knows, by nft name. */
export const DATATYPES: ReadonlyMap<string, Datatype> = new Map(
  [
    integerType('integer', 4, 4, 'big'), // TYPE_INTEGER (size varies; see integerOfSize)
    symbolType('nf_proto', 2, 1, 'host', { ipv4: 2, ipv6: 10 }), // TYPE_NFPROTO
    addressType('ipv4_addr', 7, 4), // TYPE_IPADDR
    addressType('ipv6_addr', 8, 6), // TYPE_IP6ADDR
    inetProto,
    integerType('inet_service', 13, 2, 'big', 'a port'), // TYPE_INET_SERVICE
    flagType('tcp_flag', 15, 1, { fin: 0x01, syn: 0x02, rst: 0x04, psh: 0x08, ack: 0x10, urg: 0x20, ecn: 0x40, cwr: 0x80 }), // TYPE_TCP_FLAG
    integerType('mark', 19, 4, 'host', 'a mark'), // TYPE_MARK
    ifindex,
    integerType('uid', 24, 4, 'host', 'a user id'), // TYPE_UID
    integerType('gid', 25, 4, 'host', 'a group id'), // TYPE_GID
    flagType('ct_state', 26, 4, { invalid: 1, established: 2, related: 4, new: 8, untracked: 64 }), // TYPE_CT_STATE
    symbolType('ct_dir', 27, 1, 'host', { original: 0, reply: 1 }), // TYPE_CT_DIR
    // IPS_* bits nft names (linux/netfilter/nf_conntrack_common.h)
    flagType('ct_status', 28, 4, { expected: 1, 'seen-reply': 2, assured: 4, confirmed: 8, snat: 16, dnat: 32, dying: 512 }), // TYPE_CT_STATUS
    ifname,
    BOOLEAN_BYTE,
    // PACKET_* (linux/if_packet.h); nft reads unicast as host and lists host.
    symbolType('pkt_type', 31, 1, 'host', { unicast: 0, host: 0, broadcast: 1, multicast: 2, other: 3 }), // TYPE_PKTTYPE
    // ETH_P_* as `meta protocol` holds them; nft lists 0x8100 as 8021q and reads vlan too.
    symbolType('ether_type', 10, 2, 'big', { vlan: 0x8100, ip: 0x0800, arp: 0x0806, ip6: 0x86dd, '8021q': 0x8100, '8021ad': 0x88a8 }), // TYPE_ETHERTYPE
    // ARPHRD_* (linux/if_arp.h), the names nft knows
    symbolType('iface_type', 21, 2, 'host', { ether: 1, ppp: 0x200, ipip: 0x300, ipip6: 0x301, loopback: 0x304, sit: 0x308, ipgre: 0x30a }), // TYPE_ARPHRD
    devgroup,
    classid,
    realm,
    // RTN_* route types, as `fib ... type` returns them
    symbolType('fib_addrtype', 38, 4, 'host', { unspec: 0, unicast: 1, local: 2, broadcast: 3, anycast: 4, multicast: 5, blackhole: 6, unreachable: 7, prohibit: 8, throw: 9, nat: 10, xresolve: 11 }), // TYPE_FIB_ADDR
  ].map((type) => [type.name, type]),
);

/** The datatype named `name`, or undefined. */
export function datatype(name: string): Datatype | undefined {
  return DATATYPES.get(name);
}

/** A datatype by nft id. */
export function datatypeById(id: number): Datatype | undefined {
  for (const type of DATATYPES.values()) if (type.id === id) return type;
  return undefined;
}

/** A plain big-endian integer of `size` bytes (raw payloads, packet lengths). */
export function integerOfSize(size: number, byteorder: 'big' | 'host' = 'big'): Datatype {
  if (size === 4 && byteorder === 'big') return DATATYPES.get('integer')!;
  return integerType('integer', 4, size, byteorder);
}

/** TYPE_VERDICT, for verdict maps. */
export const VERDICT_TYPE_ID = 1; // TYPE_VERDICT
/** Bits per type id in a concatenated set type (TYPE_BITS). */
export const TYPE_BITS = 6; // TYPE_BITS

/** The id nft stores for a concatenation of types: each id shifted in by TYPE_BITS. */
export function concatTypeId(types: readonly Datatype[]): number {
  let id = 0;
  for (const type of types) id = id * 2 ** TYPE_BITS + type.id;
  return id;
}

/** Splits a concatenated type id back into its types (undefined if one is unknown). */
export function splitTypeId(id: number): Datatype[] | undefined {
  const out: Datatype[] = [];
  let rest = id;
  while (rest > 0) {
    const type = datatypeById(rest % 2 ** TYPE_BITS);
    if (type === undefined) return undefined;
    out.unshift(type);
    rest = Math.floor(rest / 2 ** TYPE_BITS);
  }
  return out.length > 0 ? out : undefined;
}
