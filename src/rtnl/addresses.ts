/** Interface addresses (`ip addr`): typed objects <-> RTM_NEWADDR/RTM_DELADDR messages. */
import { type FamilyName, familyName, formatAddress, parseAddress, parsePrefix, type IpAddress, type IpPrefix } from '../common/ip.js';
import { integerInRange, interfaceName, knownKeys, optionalBoolean, plainObject, shortString } from '../common/validate.js';
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
  IFA_F_NODAD,
  IFA_F_NOPREFIXROUTE,
  IFA_LABEL,
  IFA_LOCAL,
  IFA_PROTO,
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
  /** The interface it is on. */
  dev: string;
  /** Peer address of a point-to-point link (`peer 192.0.2.1`). */
  peer?: string;
  /** IPv4 broadcast address (`broadcast 192.0.2.255`). */
  broadcast?: string;
  /** IPv4 label (`label v0:1`); must start with the device name. */
  label?: string;
  /** Scope (`scope link`); default global (host for 127.0.0.0/8, as ip does). */
  scope?: RouteScope | number;
  /** IPv6: skip duplicate address detection (`nodad`). */
  nodad?: boolean;
  /** Add no prefix route for it (`noprefixroute`). */
  noprefixroute?: boolean;
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

export const ADDRESS_KEYS: ReadonlySet<string> = new Set(['family', 'address', 'dev', 'peer', 'broadcast', 'label', 'scope', 'nodad', 'noprefixroute', 'validLifetime', 'preferredLifetime', 'protocol']);

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
}

function flag(value: unknown, field: string, bit: number): number {
  return optionalBoolean(value, field) ? bit : 0;
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
    dev: interfaceName(address.dev, `${field}.dev`),
    scope: address.scope !== undefined ? scopeCode(address.scope, `${field}.scope`) : local.family === 4 && local.bytes[0] === 127 ? RT_SCOPE_HOST : RT_SCOPE_UNIVERSE,
    flags: flag(address.nodad, `${field}.nodad`, IFA_F_NODAD) | flag(address.noprefixroute, `${field}.noprefixroute`, IFA_F_NOPREFIXROUTE),
  };
  if (address.peer !== undefined) resolved.peer = parseAddress(address.peer, `${field}.peer`, local.family);
  if (address.broadcast !== undefined) {
    if (local.family !== 4) throw new ValidationError(`${field}.broadcast`, address.broadcast, 'only IPv4 addresses have a broadcast address');
    resolved.broadcast = parseAddress(address.broadcast, `${field}.broadcast`, 4);
  }
  if (address.label !== undefined) {
    const label = shortString(address.label, `${field}.label`, 15);
    if (!label.startsWith(resolved.dev)) throw new ValidationError(`${field}.label`, label, `a label must start with the device name ${resolved.dev}`);
    resolved.label = label;
  }
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
 * [label L] dev D [nodad] [noprefixroute]`, so that the bytes equal ip's.
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

/** Decodes an RTM_NEWADDR message; what it returns passes back unchanged to delete or add. */
export function decodeAddress(message: NetlinkMessage, linkName: (index: number) => string | undefined): Address {
  const data = message.data;
  const base = payloadStart(message);
  const family = data[base]!;
  const prefixLength = data[base + 1]!;
  const scope = data[base + 3]!;
  const view = new DataView(data.buffer, data.byteOffset, data.byteLength);
  const index = view.getUint32(base + 4, HOST_IS_LITTLE_ENDIAN);
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
