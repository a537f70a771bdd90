/** Interface addresses (`ip addr`): typed objects <-> RTM_NEWADDR/RTM_DELADDR messages. */
import { type FamilyName, familyName, formatAddress, parseAddress, parsePrefix, type IpAddress, type IpPrefix } from '../common/ip.js';
import { integerInRange, interfaceLookupName, knownKeys, optionalBoolean, plainObject, shortString, u32 } from '../common/validate.js';
import { HOST_IS_LITTLE_ENDIAN, type MessageWriter } from '../netlink/attributes.js';
import { ValidationError } from '../netlink/errors.js';
import { NLM_F_CREATE, NLM_F_EXCL, NLM_F_REPLACE, NLM_F_REQUEST } from '../netlink/constants.js';
import { messageAttributes, payloadStart, type NetlinkMessage } from '../netlink/message.js';
import {
  AF_INET,
  AF_INET6,
  IFADDRMSG_LEN,
  IFA_ADDRESS,
  IFA_BROADCAST,
  IFA_CACHEINFO,
  IFA_F_DEPRECATED,
  IFA_FLAGS,
  IFA_F_HOMEADDRESS,
  IFA_F_MANAGETEMPADDR,
  IFA_F_MCAUTOJOIN,
  IFA_F_NODAD,
  IFA_F_NOPREFIXROUTE,
  IFA_LABEL,
  IFA_LOCAL,
  IFA_PROTO,
  IFA_RT_PRIORITY,
  RTM_DELADDR,
  RTM_NEWADDR,
  RT_SCOPE_HOST,
  RT_SCOPE_UNIVERSE,
} from './constants.js';
import { codeOf, reverse, scopeCode, scopeName, type RouteScope } from './names.js';

/** What the kernel tags its own addresses with (IFAPROT_*, iproute2's rt_addrprotos). */
export type AddressProtocolName = 'kernel_lo' | 'kernel_ra' | 'kernel_ll';
const ADDRESS_PROTOCOL_CODES: Readonly<Record<AddressProtocolName, number>> = { kernel_lo: 1, kernel_ra: 2, kernel_ll: 3 };
const ADDRESS_PROTOCOL_NAMES = reverse(ADDRESS_PROTOCOL_CODES);

/** An address on an interface (`ip addr add 192.0.2.2/24 dev v0`). */
export interface Address {
  /** 'inet' or 'inet6'; taken from `address` when absent. */
  family?: FamilyName;
  /** The address with its prefix length (`192.0.2.2/24`); a bare address is /32 or /128. */
  address: string;
  /** The interface it is on (its name; an altname too, except in what `list` returns). */
  dev: string;
  /** Peer address of a point-to-point link (`peer 192.0.2.1`). */
  peer?: string;
  /** IPv4 broadcast address (`broadcast 192.0.2.255`). */
  broadcast?: string;
  /**
   * IPv4 label (`label v0:1`): up to 15 bytes, which the kernel takes whatever they are (it need
   * not start with the device name: `label v1:1` on v0, or what the kernel cut on a rename). A
   * listed address has one only when it differs from the device name. IPv6 addresses have none
   * (the kernel would drop it): refused there.
   */
  label?: string;
  /** Scope (`scope link`); default global (host for 127.0.0.0/8, as ip does). */
  scope?: RouteScope | number;
  /** IPv6: skip duplicate address detection (`nodad`). */
  nodad?: boolean;
  /** Add no prefix route for it (`noprefixroute`). */
  noprefixroute?: boolean;
  /** IPv6: a Mobile IPv6 home address (`home`, IFA_F_HOMEADDRESS). */
  home?: boolean;
  /**
   * IPv6: privacy extensions make temporary addresses from this one's prefix (`mngtmpaddr`,
   * IFA_F_MANAGETEMPADDR). A replace without it clears it, and the kernel then deletes the
   * temporary addresses made from it.
   */
  mngtmpaddr?: boolean;
  /**
   * A multicast address whose group the device joins while the address is there (`autojoin`,
   * IFA_F_MCAUTOJOIN): IPv6 multicast addresses need it; only multicast addresses take it.
   */
  autojoin?: boolean;
  /**
   * Metric of the prefix route the kernel adds for the address (IFA_RT_PRIORITY, `metric 100`),
   * an unsigned 32-bit integer; listed when not 0. Absent (or 0) on add: IPv4's prefix route gets
   * metric 0, IPv6's the kernel's default, 256. On replace the two differ, as in the kernel: an
   * IPv4 address takes the message's (absent: 0), an IPv6 address changes only to a non-zero one.
   */
  metric?: number;
  /**
   * Seconds until the kernel removes the address (`valid_lft 300`); absent: forever (also on
   * replace, which makes an expiring address permanent again). A listed address shows the
   * seconds left.
   */
  validLifetime?: number;
  /**
   * Seconds until the address is deprecated, no longer picked as a source for new connections
   * (`preferred_lft 200`, at most validLifetime; 0 deprecates it now); absent: as long as it is
   * valid (where ip would refuse `valid_lft` alone).
   */
  preferredLifetime?: number;
  /**
   * Who put the address there (IFA_PROTO, Linux 6.1+): a number 1..255 of the caller's choosing,
   * or what the kernel puts on its own ('kernel_lo' on ::1, 'kernel_ra' on SLAAC addresses,
   * 'kernel_ll' on link-local ones). A handle with an owner tags its addresses with the owner
   * id. The kernel keeps it and reports it, but does not compare it on delete.
   */
  protocol?: AddressProtocolName | number;
}

export const ADDRESS_KEYS: ReadonlySet<string> = new Set([
  'family', 'address', 'dev', 'peer', 'broadcast', 'label', 'scope', 'nodad', 'noprefixroute', 'home', 'mngtmpaddr', 'autojoin', 'metric', 'validLifetime', 'preferredLifetime', 'protocol',
]);

/** An address protocol from a name or a number 0..255 (0: none). */
export function addressProtocolCode(value: unknown, field: string): number {
  return codeOf(ADDRESS_PROTOCOL_CODES, value, field);
}

/** An address protocol as listed: the kernel's name for its own, else the number; undefined for 0 (none). */
export function addressProtocolName(code: number): AddressProtocolName | number | undefined {
  return code === 0 ? undefined : (ADDRESS_PROTOCOL_NAMES.get(code) ?? code);
}

/** INFINITY_LIFE_TIME: what the kernel takes (and reports) for "forever". */
const FOREVER = 0xffffffff;

/** An address checked and converted; `dev` still needs its ifindex. */
export interface ResolvedAddress {
  family: number;
  local: IpPrefix;
  peer?: IpAddress;
  broadcast?: IpAddress;
  label?: string;
  dev: string;
  scope: number;
  flags: number;
  /** ifa_cacheinfo's lifetimes, when either was given (the other then FOREVER). */
  lifetimes?: { valid: number; preferred: number };
  /** IFA_PROTO, when given (non-zero). */
  protocol?: number;
  /** IFA_RT_PRIORITY, when given (0 too: an IPv4 replace then sets it to 0). */
  metric?: number;
}

function flag(value: unknown, field: string, bit: number): number {
  return optionalBoolean(value, field) ? bit : 0;
}

/** IFNAMSIZ - 1: the kernel's room for a label (IFA_LABEL's policy), its NUL aside. */
const LABEL_MAX_BYTES = 15;

/** Whether an address is a multicast one (224.0.0.0/4, ff00::/8). */
function isMulticast(family: 4 | 6, bytes: Uint8Array): boolean {
  return family === 4 ? (bytes[0]! & 0xf0) === 0xe0 : bytes[0] === 0xff;
}

/** Checks an address; a ValidationError naming the field otherwise. */
export function resolveAddress(input: Address, field = 'address'): ResolvedAddress {
  const address = plainObject(input, field) as unknown as Address;
  knownKeys(address as unknown as Record<string, unknown>, field, ADDRESS_KEYS);
  let family: 4 | 6 | undefined;
  if (address.family !== undefined) {
    if (address.family !== 'inet' && address.family !== 'inet6') throw new ValidationError(`${field}.family`, address.family, "expected 'inet' or 'inet6'");
    family = address.family === 'inet' ? 4 : 6;
  }
  const local = parsePrefix(address.address, `${field}.address`, family);
  // The kernel answers 0.0.0.0 with success and keeps nothing.
  if (local.bytes.every((byte) => byte === 0)) throw new ValidationError(`${field}.address`, address.address, 'expected an address other than the unspecified one');
  const resolved: ResolvedAddress = {
    family: local.family === 4 ? AF_INET : AF_INET6,
    local,
    dev: interfaceLookupName(address.dev, `${field}.dev`),
    scope: address.scope !== undefined ? scopeCode(address.scope, `${field}.scope`) : local.family === 4 && local.bytes[0] === 127 ? RT_SCOPE_HOST : RT_SCOPE_UNIVERSE,
    flags:
      flag(address.nodad, `${field}.nodad`, IFA_F_NODAD) |
      flag(address.noprefixroute, `${field}.noprefixroute`, IFA_F_NOPREFIXROUTE) |
      flag(address.home, `${field}.home`, IFA_F_HOMEADDRESS) |
      flag(address.mngtmpaddr, `${field}.mngtmpaddr`, IFA_F_MANAGETEMPADDR) |
      flag(address.autojoin, `${field}.autojoin`, IFA_F_MCAUTOJOIN),
  };
  // The kernel refuses it on any other address ("autojoin needs multicast address").
  if (address.autojoin === true && !isMulticast(local.family, local.bytes)) {
    throw new ValidationError(`${field}.autojoin`, address.autojoin, `only multicast addresses (${local.family === 4 ? '224.0.0.0/4' : 'ff00::/8'}) join a group`);
  }
  // ip sets these on IPv6 addresses only ("can be set only for IPv6 addresses"), and the kernel
  // keeps neither on an IPv4 one: refused rather than dropped.
  if (local.family === 4) {
    for (const key of ['home', 'mngtmpaddr'] as const) {
      if (address[key] === true) throw new ValidationError(`${field}.${key}`, address[key], 'only IPv6 addresses have this flag');
    }
  }
  if (address.peer !== undefined) resolved.peer = parseAddress(address.peer, `${field}.peer`, local.family);
  if (address.broadcast !== undefined) {
    if (local.family !== 4) throw new ValidationError(`${field}.broadcast`, address.broadcast, 'only IPv4 addresses have a broadcast address');
    resolved.broadcast = parseAddress(address.broadcast, `${field}.broadcast`, 4);
  }
  if (address.label !== undefined) {
    // The kernel (devinet.c) checks a label's length only, and ip 6.1 nothing: a label need not
    // start with the device name. An empty one would leave the address with no label at all.
    if (local.family !== 4) throw new ValidationError(`${field}.label`, address.label, 'the kernel keeps no label on IPv6 addresses');
    resolved.label = shortString(address.label, `${field}.label`, LABEL_MAX_BYTES);
  }
  if (address.metric !== undefined) resolved.metric = u32(address.metric, `${field}.metric`);
  integerInRange(resolved.local.length, `${field}.address`, 0, local.family === 4 ? 32 : 128);
  if (address.validLifetime !== undefined || address.preferredLifetime !== undefined) {
    // A valid lifetime alone is also the preferred one (ip would refuse it: its preferred
    // lifetime stays forever, longer than the valid one, which the kernel refuses too); a
    // preferred lifetime alone leaves the address valid forever. A valid lifetime of 0 is refused.
    const valid = address.validLifetime === undefined ? FOREVER : integerInRange(address.validLifetime, `${field}.validLifetime`, 1, FOREVER, 'a number of seconds');
    const preferred = address.preferredLifetime === undefined ? valid : integerInRange(address.preferredLifetime, `${field}.preferredLifetime`, 0, FOREVER, 'a number of seconds');
    if (preferred > valid) throw new ValidationError(`${field}.preferredLifetime`, preferred, `at most validLifetime (${valid})`);
    resolved.lifetimes = { valid, preferred };
  }
  if (address.protocol !== undefined) {
    const protocol = addressProtocolCode(address.protocol, `${field}.protocol`);
    if (protocol !== 0) resolved.protocol = protocol;
  }
  return resolved;
}

/**
 * Writes an address message body in the order of `ip addr add|del ADDRESS [peer P] [broadcast B]
 * [label L] dev D [metric M] [nodad] [noprefixroute] [home] [mngtmpaddr] [autojoin]`, so that the bytes
 * equal ip's.
 */
export function encodeAddress(writer: MessageWriter, address: ResolvedAddress, ifindex: number): void {
  // Flags that fit go in the header; otherwise all of them go in IFA_FLAGS (as ip does).
  const wide = address.flags > 0xff;
  writer.u8(address.family);
  writer.u8(address.local.length);
  writer.u8(wide ? 0 : address.flags);
  writer.u8(address.scope);
  writer.u32(ifindex);
  writer.attrBytes(IFA_LOCAL, address.local.bytes);
  if (address.peer) writer.attrBytes(IFA_ADDRESS, address.peer.bytes);
  if (address.broadcast) writer.attrBytes(IFA_BROADCAST, address.broadcast.bytes);
  if (address.label !== undefined) writer.attrString(IFA_LABEL, address.label);
  if (address.metric !== undefined) writer.attrU32(IFA_RT_PRIORITY, address.metric);
  if (wide) writer.attrU32(IFA_FLAGS, address.flags);
  if (!address.peer) writer.attrBytes(IFA_ADDRESS, address.local.bytes);
  if (address.lifetimes) {
    // struct ifa_cacheinfo { ifa_prefered, ifa_valid, cstamp, tstamp }
    const info = new Uint8Array(16);
    const view = new DataView(info.buffer);
    view.setUint32(0, address.lifetimes.preferred, HOST_IS_LITTLE_ENDIAN);
    view.setUint32(4, address.lifetimes.valid, HOST_IS_LITTLE_ENDIAN);
    writer.attrBytes(IFA_CACHEINFO, info);
  }
  if (address.protocol !== undefined) writer.attrU8(IFA_PROTO, address.protocol);
}

/** Message type and flags of each address request, as `ip addr` sends them (NLM_F_ACK aside). */
export const ADDRESS_REQUESTS = {
  add: { type: RTM_NEWADDR, flags: NLM_F_REQUEST | NLM_F_CREATE | NLM_F_EXCL },
  replace: { type: RTM_NEWADDR, flags: NLM_F_REQUEST | NLM_F_CREATE | NLM_F_REPLACE },
  delete: { type: RTM_DELADDR, flags: NLM_F_REQUEST },
} as const;

/** Writes an address dump request for one family (0 for both). */
export function encodeAddressDumpRequest(writer: MessageWriter, family: number, ifindex = 0): void {
  writer.u8(family);
  writer.zeros(3);
  writer.u32(ifindex);
}

/** The IFA_F_* flags of an RTM_NEWADDR message (IFA_FLAGS, else the header's byte). */
export function addressFlags(message: NetlinkMessage, attrs = messageAttributes(message, IFADDRMSG_LEN)): number {
  return attrs.u32(IFA_FLAGS) ?? message.data[payloadStart(message) + 2]!;
}

/** The ifindex of the link an RTM_NEWADDR message's address is on. */
export function addressIfindex(message: NetlinkMessage): number {
  const view = new DataView(message.data.buffer, message.data.byteOffset, message.data.byteLength);
  return view.getUint32(payloadStart(message) + 4, HOST_IS_LITTLE_ENDIAN);
}

/** Decodes an RTM_NEWADDR message; what it returns passes back unchanged to delete or add. */
export function decodeAddress(message: NetlinkMessage, linkName: (index: number) => string | undefined): Address {
  const data = message.data;
  const base = payloadStart(message);
  const family = data[base]!;
  const prefixLength = data[base + 1]!;
  const scope = data[base + 3]!;
  const index = addressIfindex(message);
  const attrs = messageAttributes(message, IFADDRMSG_LEN);
  const flags = addressFlags(message, attrs);
  const local = attrs.bytes(IFA_LOCAL);
  const peer = attrs.bytes(IFA_ADDRESS);
  const own = local ?? peer;
  const address: Address = {
    family: familyName(family === AF_INET6 ? 6 : 4),
    address: `${own ? formatAddress(own) : ''}/${prefixLength}`,
    dev: linkName(index) ?? String(index),
  };
  if (local && peer && Buffer.compare(Buffer.from(local), Buffer.from(peer)) !== 0) address.peer = formatAddress(peer);
  const broadcast = attrs.bytes(IFA_BROADCAST);
  if (broadcast) address.broadcast = formatAddress(broadcast);
  const label = attrs.string(IFA_LABEL);
  if (label !== undefined && label !== address.dev) address.label = label;
  address.scope = scopeName(scope);
  if (flags & IFA_F_NODAD) address.nodad = true;
  if (flags & IFA_F_NOPREFIXROUTE) address.noprefixroute = true;
  if (flags & IFA_F_HOMEADDRESS) address.home = true;
  if (flags & IFA_F_MANAGETEMPADDR) address.mngtmpaddr = true;
  if (flags & IFA_F_MCAUTOJOIN) address.autojoin = true;
  // The kernel reports the metric only when it is not 0 (the default, as when absent on add).
  const metric = attrs.u32(IFA_RT_PRIORITY);
  if (metric !== undefined && metric !== 0) address.metric = metric;
  const cacheinfo = attrs.bytes(IFA_CACHEINFO);
  if (cacheinfo !== undefined && cacheinfo.length >= 8) {
    const info = new DataView(cacheinfo.buffer, cacheinfo.byteOffset, cacheinfo.byteLength);
    const preferred = info.getUint32(0, HOST_IS_LITTLE_ENDIAN);
    const valid = info.getUint32(4, HOST_IS_LITTLE_ENDIAN);
    // A permanent address reports both as forever: nothing to list.
    if (valid !== FOREVER) address.validLifetime = valid;
    if (preferred !== FOREVER) address.preferredLifetime = preferred;
  }
  // An IPv4 address deprecated for good (preferred 0, valid forever) is reported as permanent,
  // both lifetimes forever, with only this flag to tell.
  if (flags & IFA_F_DEPRECATED) address.preferredLifetime = 0;
  const protocolName = addressProtocolName(attrs.u8(IFA_PROTO) ?? 0);
  if (protocolName !== undefined) address.protocol = protocolName;
  return address;
}
