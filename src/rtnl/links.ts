import { MessageWriter } from '../netlink/attributes.js';
import type { Connection } from '../netlink/connection.js';
import { NetlinkError, ValidationError } from '../netlink/errors.js';
import { messageAttributes, payloadStart, type NetlinkMessage } from '../netlink/message.js';
import { NLM_F_CREATE, NLM_F_DUMP, NLM_F_EXCL, NLM_F_REQUEST } from '../netlink/constants.js';
import { HOST_IS_LITTLE_ENDIAN } from '../netlink/attributes.js';
import { integerInRange, interfaceLookupName, interfaceName, knownKeys, linkLayerAddress, optionalBoolean, plainObject } from '../common/validate.js';
import { reverse } from './names.js';
import type { TableRef, TableResolver } from './tables.js';
import {
  AF_UNSPEC,
  IFF_LOWER_UP,
  IFF_UP,
  IFINFOMSG_LEN,
  IFLA_ADDRESS,
  IFLA_ALT_IFNAME,
  IFLA_EXT_MASK,
  IFLA_IFNAME,
  IFLA_INFO_KIND,
  IFLA_INFO_DATA,
  IFLA_LINK,
  IFLA_LINK_NETNSID,
  IFLA_LINKINFO,
  IFLA_MACVLAN_MODE,
  IFLA_MASTER,
  IFLA_MTU,
  IFLA_NET_NS_FD,
  IFLA_NET_NS_PID,
  IFLA_OPERSTATE,
  IFLA_TUN_GROUP,
  IFLA_TUN_MULTI_QUEUE,
  IFLA_TUN_NUM_QUEUES,
  IFLA_TUN_OWNER,
  IFLA_TUN_PERSIST,
  IFLA_TUN_PI,
  IFLA_TUN_TYPE,
  IFLA_TUN_VNET_HDR,
  IFF_MULTI_QUEUE,
  IFF_NO_PI,
  IFF_TAP,
  IFF_TUN,
  IFF_TUN_EXCL,
  IFF_VNET_HDR,
  IFLA_VLAN_ID,
  IFLA_VRF_TABLE,
  MACVLAN_MODE_BRIDGE,
  MACVLAN_MODE_PASSTHRU,
  MACVLAN_MODE_PRIVATE,
  MACVLAN_MODE_SOURCE,
  MACVLAN_MODE_VEPA,
  RTEXT_FILTER_SKIP_STATS,
  RTEXT_FILTER_VF,
  RTM_DELLINK,
  RTM_GETLINK,
  RTM_NEWLINK,
  VETH_INFO_PEER,
} from './constants.js';

/** Writes struct ifinfomsg. */
export function encodeIfinfo(writer: MessageWriter, family: number, index: number, flags = 0, change = 0): void {
  writer.u8(family);
  writer.u8(0);
  writer.u16(0); // type
  writer.s32(index);
  writer.u32(flags);
  writer.u32(change);
}

/**
 * Writes the RTM_GETLINK request iproute2 uses to look a name (or an altname) up. As ip does
 * (check_ifname), a name that could not be an interface name goes in IFLA_ALT_IFNAME: the
 * kernel refuses an IFLA_IFNAME of more than 15 bytes, and an altname may have up to 127.
 */
export function encodeLinkLookup(writer: MessageWriter, name: string): void {
  encodeIfinfo(writer, AF_UNSPEC, 0);
  writer.attrU32(IFLA_EXT_MASK, RTEXT_FILTER_VF | RTEXT_FILTER_SKIP_STATS);
  const ipTakesAsIfname = Buffer.byteLength(name) <= 15 && !/[/\t\n\v\f\r ]/.test(name);
  writer.attrString(ipTakesAsIfname ? IFLA_IFNAME : IFLA_ALT_IFNAME, name);
}

/** Writes the RTM_GETLINK dump request (no statistics). */
export function encodeLinkDumpRequest(writer: MessageWriter): void {
  encodeIfinfo(writer, AF_UNSPEC, 0);
  writer.attrU32(IFLA_EXT_MASK, RTEXT_FILTER_VF | RTEXT_FILTER_SKIP_STATS);
}

/** The index and name in an RTM_NEWLINK message. */
export function decodeLinkIdentity(message: NetlinkMessage): { index: number; name: string | undefined } {
  const view = new DataView(message.data.buffer, message.data.byteOffset);
  const index = view.getInt32(payloadStart(message) + 4, HOST_IS_LITTLE_ENDIAN);
  return { index, name: messageAttributes(message, IFINFOMSG_LEN).string(IFLA_IFNAME) };
}

/** Operational states (IF_OPER_*), as `ip` prints them. */
export type OperState = 'UNKNOWN' | 'NOTPRESENT' | 'DOWN' | 'LOWERLAYERDOWN' | 'TESTING' | 'DORMANT' | 'UP';
const OPER_STATES: readonly OperState[] = ['UNKNOWN', 'NOTPRESENT', 'DOWN', 'LOWERLAYERDOWN', 'TESTING', 'DORMANT', 'UP'];

/** A network interface (`ip link show`). */
export interface Link {
  /** Interface index. */
  index: number;
  /** Interface name. */
  name: string;
  /** Kind of virtual device ('veth', 'bridge', ...), absent for physical devices and lo. */
  kind?: string;
  /** Administratively up (IFF_UP). */
  up: boolean;
  /** The lower layer is up (IFF_LOWER_UP): carrier. */
  lowerUp: boolean;
  /** Operational state. */
  operstate: OperState;
  /** MTU in bytes. */
  mtu: number;
  /** Hardware address (`aa:bb:cc:dd:ee:ff`), if it has one. */
  address?: string;
  /** Name of the master device (bridge, bond, VRF), if enslaved. */
  master?: string;
  /** Index of the master device, if enslaved. */
  masterIndex?: number;
  /** The link this one sits on (a vlan's or macvlan's parent, a veth's peer), when in this namespace. */
  link?: string;
  /** Index of that link. */
  linkIndex?: number;
  /** A VRF's routing table. */
  vrfTable?: number;
  /** A VLAN's id. */
  vlanId?: number;
  /** A macvlan's mode. */
  macvlanMode?: MacvlanMode;
  /** A tun or tap device's settings (its kind is 'tun' for both). */
  tun?: TunInfo;
}

/** Layer 3 (tun: IP packets) or layer 2 (tap: Ethernet frames). */
export type TunMode = 'tun' | 'tap';

/** How a tun or tap device is set up (`ip -d link show`'s tun line). */
export interface TunInfo {
  mode: TunMode;
  /** The uid allowed to attach, if one was set (`ip tuntap add ... user U`). */
  owner?: number;
  /** The gid allowed to attach, if one was set. */
  group?: number;
  /** Packets carry the 4-byte packet information header (`pi`). */
  packetInfo: boolean;
  /** Packets carry a virtio-net header (`vnet_hdr`). */
  vnetHeader: boolean;
  /** Several queues may attach (`multi_queue`). */
  multiQueue: boolean;
  /** Outlives the process that made it (routemark's devices always do). */
  persist: boolean;
  /**
   * A multi-queue device's queues attached now. The kernel reports no count for single-queue
   * devices: theirs shows a program attached as carrier (`lowerUp`).
   */
  queues?: number;
}

/** How a macvlan reaches its siblings (`ip link add ... type macvlan mode bridge`). */
export type MacvlanMode = 'private' | 'vepa' | 'bridge' | 'passthru' | 'source';
const MACVLAN_MODES: Readonly<Record<MacvlanMode, number>> = {
  private: MACVLAN_MODE_PRIVATE, vepa: MACVLAN_MODE_VEPA, bridge: MACVLAN_MODE_BRIDGE, passthru: MACVLAN_MODE_PASSTHRU, source: MACVLAN_MODE_SOURCE,
};
const MACVLAN_MODE_NAMES = reverse(MACVLAN_MODES);

/** Decodes an RTM_NEWLINK message. `linkName` names the master and the parent. */
export function decodeLink(message: NetlinkMessage, linkName: (index: number) => string | undefined): Link {
  const view = new DataView(message.data.buffer, message.data.byteOffset, message.data.byteLength);
  const base = payloadStart(message);
  const index = view.getInt32(base + 4, HOST_IS_LITTLE_ENDIAN);
  const flags = view.getUint32(base + 8, HOST_IS_LITTLE_ENDIAN);
  const attrs = messageAttributes(message, IFINFOMSG_LEN);
  const link: Link = {
    index,
    name: attrs.string(IFLA_IFNAME) ?? '',
    up: (flags & IFF_UP) !== 0,
    lowerUp: (flags & IFF_LOWER_UP) !== 0,
    operstate: OPER_STATES[attrs.u8(IFLA_OPERSTATE) ?? 0] ?? 'UNKNOWN',
    mtu: attrs.u32(IFLA_MTU) ?? 0,
  };
  const info = attrs.nested(IFLA_LINKINFO);
  const kind = info?.string(IFLA_INFO_KIND);
  if (kind !== undefined) link.kind = kind;
  const data = info?.nested(IFLA_INFO_DATA);
  if (data !== undefined) {
    if (kind === 'vrf') link.vrfTable = data.u32(IFLA_VRF_TABLE);
    else if (kind === 'vlan') link.vlanId = data.u16(IFLA_VLAN_ID);
    else if (kind === 'macvlan' || kind === 'macvtap') {
      const name = MACVLAN_MODE_NAMES.get(data.u32(IFLA_MACVLAN_MODE) ?? 0);
      if (name !== undefined) link.macvlanMode = name;
    } else if (kind === 'tun') {
      const tun: TunInfo = {
        mode: data.u8(IFLA_TUN_TYPE) === IFF_TAP ? 'tap' : 'tun',
        packetInfo: data.u8(IFLA_TUN_PI) === 1,
        vnetHeader: data.u8(IFLA_TUN_VNET_HDR) === 1,
        multiQueue: data.u8(IFLA_TUN_MULTI_QUEUE) === 1,
        persist: data.u8(IFLA_TUN_PERSIST) === 1,
      };
      // The kernel reports a queue count for multi-queue devices only, an owner and a group only when set.
      const queues = data.u32(IFLA_TUN_NUM_QUEUES);
      if (queues !== undefined) tun.queues = queues;
      const owner = data.u32(IFLA_TUN_OWNER);
      if (owner !== undefined) tun.owner = owner;
      const group = data.u32(IFLA_TUN_GROUP);
      if (group !== undefined) tun.group = group;
      link.tun = tun;
    }
  }
  // An index in another namespace (IFLA_LINK_NETNSID) would name the wrong link here.
  const parent = attrs.u32(IFLA_LINK);
  if (parent !== undefined && parent !== 0 && parent !== index && !attrs.has(IFLA_LINK_NETNSID)) {
    link.linkIndex = parent;
    const name = linkName(parent);
    if (name !== undefined) link.link = name;
  }
  const address = attrs.bytes(IFLA_ADDRESS);
  if (address && address.length > 0) link.address = Array.from(address, (b) => b.toString(16).padStart(2, '0')).join(':');
  const master = attrs.u32(IFLA_MASTER);
  if (master !== undefined && master !== 0) {
    link.masterIndex = master;
    const name = linkName(master);
    if (name !== undefined) link.master = name;
  }
  return link;
}

/** A namespace for a new link's peer, or to move a link to: a name under /run/netns, a path, a pid. */
export type LinkNetns = string | number;

/** A veth pair to create (`ip link add NAME type veth peer name PEER`). */
export interface VethSpec {
  name: string;
  kind: 'veth';
  /**
   * The other end; in another namespace if `netns` is given; its own hardware address if
   * `address` is; its own MTU if `mtu` is (`... peer name P mtu 1300`).
   */
  peer: { name: string; netns?: LinkNetns; address?: string; mtu?: number };
  /**
   * MTU in bytes (68..65535) of both ends, unless `peer.mtu` gives the peer its own: a veth
   * drops a packet longer than the MTU of the end that receives it. (`ip link add v0 mtu 1400
   * type veth peer name v1` leaves v1 at 1500; `peer: { name: 'v1', mtu: 1500 }` does that here.)
   */
  mtu?: number;
  /** Hardware address (`ip link add NAME address 02:00:00:00:00:01 ...`); the kernel picks one otherwise. */
  address?: string;
}

/** A bridge to create (`ip link add NAME type bridge`). */
export interface BridgeSpec {
  name: string;
  kind: 'bridge';
  mtu?: number;
  /** Hardware address (`ip link add NAME address 02:00:00:00:00:01 ...`); the kernel picks one otherwise. */
  address?: string;
}

/** A dummy device (`ip link add NAME type dummy`): a home for addresses and routes that needs no peer. */
export interface DummySpec {
  name: string;
  kind: 'dummy';
  mtu?: number;
  /** Hardware address (`ip link add NAME address 02:00:00:00:00:01 ...`); the kernel picks one otherwise. */
  address?: string;
}

/**
 * A VRF (`ip link add NAME type vrf table 10`): links enslaved to it route by its table. The
 * kernel adds the `l3mdev` rules (priority 1000) when a namespace's first VRF appears.
 */
export interface VrfSpec {
  name: string;
  kind: 'vrf';
  /** The VRF's routing table: an id or a name (not main, local or default). */
  table: TableRef;
  mtu?: number;
  /** Hardware address (`ip link add NAME address 02:00:00:00:00:01 ...`); the kernel picks one otherwise. */
  address?: string;
}

/** A VLAN on a parent link (`ip link add link eth0 name eth0.10 type vlan id 10`). */
export interface VlanSpec {
  name: string;
  kind: 'vlan';
  /** The parent link. */
  link: string;
  /** The VLAN id, 0..4094. */
  vlanId: number;
  mtu?: number;
  /** Hardware address (`ip link add NAME address 02:00:00:00:00:01 ...`); the kernel picks one otherwise. */
  address?: string;
}

/** A macvlan on a parent link (`ip link add link eth0 name mv0 type macvlan mode bridge`). */
export interface MacvlanSpec {
  name: string;
  kind: 'macvlan';
  /** The parent link. */
  link: string;
  /** Default: the kernel's ('vepa'). */
  mode?: MacvlanMode;
  mtu?: number;
  /** Hardware address (`ip link add NAME address 02:00:00:00:00:01 ...`); the kernel picks one otherwise. */
  address?: string;
}

/**
 * A persistent tun or tap device (`ip tuntap add dev tun0 mode tun`), for a VPN client or a
 * userspace router to attach to later. The kernel makes these through /dev/net/tun, not
 * netlink; like ip, routemark leaves out the packet information header unless asked.
 */
export interface TunSpec {
  name: string;
  kind: 'tun';
  /** Default 'tun'. */
  mode?: TunMode;
  /** Only this uid may attach (a uid, 0..2^32-2). */
  owner?: number;
  /** Only members of this gid may attach. */
  group?: number;
  /** Default false (IFF_NO_PI), as `ip tuntap`. */
  packetInfo?: boolean;
  /** Default false. */
  vnetHeader?: boolean;
  /** Default false. */
  multiQueue?: boolean;
  mtu?: number;
}

/** A link to create. */
export type LinkSpec = VethSpec | BridgeSpec | DummySpec | VrfSpec | VlanSpec | MacvlanSpec | TunSpec;

/** A link spec checked: a VRF's table resolved to its id. */
export type CheckedLinkSpec = Exclude<LinkSpec, VrfSpec> | (Omit<VrfSpec, 'table'> & { table: number });

/** Changes to a link (`ip link set`). */
export interface LinkChanges {
  /**
   * A new name (`ip link set v0 name wan0`), up to 15 bytes; altnames stay. The kernel refuses a
   * name another link has (EEXIST). Kernels before 6.2 rename only a link that is down (EBUSY
   * otherwise; the rename comes before `up` is applied, so set it down in a call of its own).
   */
  name?: string;
  /**
   * A new hardware address (`ip link set v0 address 02:00:00:00:00:01`): hex bytes of the
   * device's own length (EINVAL otherwise). Some devices take it only while down (EBUSY).
   */
  address?: string;
  /** Up or down. */
  up?: boolean;
  /**
   * MTU in bytes. Its bounds are the device's (min_mtu..max_mtu: 68..65535 on a veth, 0.. on
   * lo), which the kernel checks: below them it answers EINVAL.
   */
  mtu?: number;
  /** Enslave to this device (bridge, bond, VRF), or `null` to release (`nomaster`). */
  master?: string | null;
  /** Move the link to another namespace. */
  netns?: LinkNetns;
}

/** A namespace reference made ready to send: an open fd (closed by `release`) or a pid. */
export interface NetnsTarget {
  attribute: number;
  value: number;
  release(): void;
}

const SPEC_KEYS: Readonly<Record<LinkSpec['kind'], ReadonlySet<string>>> = {
  veth: new Set(['name', 'kind', 'peer', 'mtu', 'address']),
  bridge: new Set(['name', 'kind', 'mtu', 'address']),
  dummy: new Set(['name', 'kind', 'mtu', 'address']),
  vrf: new Set(['name', 'kind', 'table', 'mtu', 'address']),
  vlan: new Set(['name', 'kind', 'link', 'vlanId', 'mtu', 'address']),
  macvlan: new Set(['name', 'kind', 'link', 'mode', 'mtu', 'address']),
  tun: new Set(['name', 'kind', 'mode', 'owner', 'group', 'packetInfo', 'vnetHeader', 'multiQueue', 'mtu']),
};
const PEER_KEYS: ReadonlySet<string> = new Set(['name', 'netns', 'address', 'mtu']);
const CHANGE_KEYS: ReadonlySet<string> = new Set(['name', 'address', 'up', 'mtu', 'master', 'netns']);

/**
 * Checks a link spec; a ValidationError naming the field otherwise. A VRF's table name is
 * resolved with `tables` (ids only without one).
 */
export function checkLinkSpec(input: LinkSpec, field = 'link', tables?: TableResolver): CheckedLinkSpec {
  const spec = plainObject(input, field) as unknown as LinkSpec;
  const keys = Object.prototype.hasOwnProperty.call(SPEC_KEYS, spec.kind) ? SPEC_KEYS[spec.kind] : undefined;
  if (keys === undefined) throw new ValidationError(`${field}.kind`, (spec as { kind?: unknown }).kind, `expected one of ${Object.keys(SPEC_KEYS).join(', ')}`);
  knownKeys(spec as unknown as Record<string, unknown>, field, keys);
  interfaceName(spec.name, `${field}.name`);
  if (spec.mtu !== undefined) integerInRange(spec.mtu, `${field}.mtu`, 68, 0xffff);
  if ('address' in spec && spec.address !== undefined) linkLayerAddress(spec.address, `${field}.address`);
  switch (spec.kind) {
    case 'veth': {
      const peer = plainObject(spec.peer, `${field}.peer`);
      knownKeys(peer, `${field}.peer`, PEER_KEYS);
      interfaceName(peer.name, `${field}.peer.name`);
      if (peer.address !== undefined) linkLayerAddress(peer.address, `${field}.peer.address`);
      if (peer.mtu !== undefined) integerInRange(peer.mtu, `${field}.peer.mtu`, 68, 0xffff);
      return spec;
    }
    case 'vrf': {
      const table = tables !== undefined ? tables.resolve(spec.table, `${field}.table`) : integerInRange(spec.table, `${field}.table`, 1, 0xffffffff, 'a table id');
      // The kernel takes any id but 0; main, local and default are every link's own tables.
      if (table === 0 || table === 253 || table === 254 || table === 255) throw new ValidationError(`${field}.table`, spec.table, 'a VRF needs a table of its own (not unspec, default, main or local)');
      return { ...spec, table };
    }
    case 'vlan':
      interfaceLookupName(spec.link, `${field}.link`);
      integerInRange(spec.vlanId, `${field}.vlanId`, 0, 4094, 'a VLAN id');
      return spec;
    case 'macvlan':
      interfaceLookupName(spec.link, `${field}.link`);
      if (spec.mode !== undefined && !Object.prototype.hasOwnProperty.call(MACVLAN_MODES, spec.mode)) {
        throw new ValidationError(`${field}.mode`, spec.mode, `expected one of ${Object.keys(MACVLAN_MODES).join(', ')}`);
      }
      return spec;
    case 'tun':
      if (spec.mode !== undefined && spec.mode !== 'tun' && spec.mode !== 'tap') throw new ValidationError(`${field}.mode`, spec.mode, "expected 'tun' or 'tap'");
      // (uid_t)-1 means "no owner" to the kernel, so it cannot be one.
      if (spec.owner !== undefined) integerInRange(spec.owner, `${field}.owner`, 0, 0xfffffffe, 'a uid');
      if (spec.group !== undefined) integerInRange(spec.group, `${field}.group`, 0, 0xfffffffe, 'a gid');
      for (const key of ['packetInfo', 'vnetHeader', 'multiQueue'] as const) optionalBoolean(spec[key], `${field}.${key}`);
      return spec;
    default:
      return spec;
  }
}

/** The TUNSETIFF flags that make `spec`; IFF_TUN_EXCL makes an existing name fail instead of attaching to it. */
export function tunFlags(spec: TunSpec): number {
  return (
    (spec.mode === 'tap' ? IFF_TAP : IFF_TUN) |
    (spec.packetInfo === true ? 0 : IFF_NO_PI) |
    (spec.vnetHeader === true ? IFF_VNET_HDR : 0) |
    (spec.multiQueue === true ? IFF_MULTI_QUEUE : 0) |
    IFF_TUN_EXCL
  );
}

/** Checks link changes; a ValidationError naming the field otherwise. */
export function checkLinkChanges(input: LinkChanges, field = 'changes'): LinkChanges {
  const changes = plainObject(input, field) as LinkChanges;
  knownKeys(changes as Record<string, unknown>, field, CHANGE_KEYS);
  if (changes.name !== undefined) interfaceName(changes.name, `${field}.name`);
  if (changes.address !== undefined) linkLayerAddress(changes.address, `${field}.address`);
  if (changes.up !== undefined && typeof changes.up !== 'boolean') throw new ValidationError(`${field}.up`, changes.up, 'expected a boolean');
  // The lower bound is the device's own (dev->min_mtu, 0 on lo): the kernel checks it. The
  // kernel reads IFLA_MTU into an int, so larger values would read as negative.
  if (changes.mtu !== undefined) integerInRange(changes.mtu, `${field}.mtu`, 0, 0x7fffffff);
  if (changes.master !== undefined && changes.master !== null) interfaceLookupName(changes.master, `${field}.master`);
  return changes;
}

/**
 * Writes an RTM_NEWLINK body that creates `spec` (as `ip link add` does). `parentIndex` is the
 * ifindex of a vlan's or macvlan's `link`.
 */
export function encodeLinkCreate(writer: MessageWriter, spec: CheckedLinkSpec, peerNetns: NetnsTarget | undefined, parentIndex?: number): void {
  // The kernel's tun driver takes no RTM_NEWLINK (EOPNOTSUPP): LinkApi makes those through the addon.
  if (spec.kind === 'tun') throw new ValidationError('link.kind', spec.kind, 'tun devices are made through /dev/net/tun, not netlink');
  encodeIfinfo(writer, AF_UNSPEC, 0);
  // ip's order: options as parsed, then the parent, then the name.
  if (spec.mtu !== undefined) writer.attrU32(IFLA_MTU, spec.mtu);
  if (spec.address !== undefined) writer.attrBytes(IFLA_ADDRESS, linkLayerAddress(spec.address, 'link.address'));
  if (parentIndex !== undefined) writer.attrU32(IFLA_LINK, parentIndex);
  writer.attrString(IFLA_IFNAME, spec.name);
  writer.beginNest(IFLA_LINKINFO);
  writer.attrBytes(IFLA_INFO_KIND, Buffer.from(spec.kind)); // without a NUL, as ip sends it
  switch (spec.kind) {
    case 'veth': {
      writer.beginNest(IFLA_INFO_DATA);
      writer.beginNest(VETH_INFO_PEER);
      encodeIfinfo(writer, AF_UNSPEC, 0);
      writer.attrString(IFLA_IFNAME, spec.peer.name);
      if (peerNetns) writer.attrU32(peerNetns.attribute, peerNetns.value);
      const peerMtu = spec.peer.mtu ?? spec.mtu;
      if (peerMtu !== undefined) writer.attrU32(IFLA_MTU, peerMtu);
      if (spec.peer.address !== undefined) writer.attrBytes(IFLA_ADDRESS, linkLayerAddress(spec.peer.address, 'link.peer.address'));
      writer.endNest();
      writer.endNest();
      break;
    }
    case 'vrf':
      writer.beginNest(IFLA_INFO_DATA);
      writer.attrU32(IFLA_VRF_TABLE, spec.table);
      writer.endNest();
      break;
    case 'vlan':
      writer.beginNest(IFLA_INFO_DATA);
      writer.attrU16(IFLA_VLAN_ID, spec.vlanId);
      writer.endNest();
      break;
    case 'macvlan':
      if (spec.mode !== undefined) {
        writer.beginNest(IFLA_INFO_DATA);
        writer.attrU32(IFLA_MACVLAN_MODE, MACVLAN_MODES[spec.mode]);
        writer.endNest();
      }
      break;
  }
  writer.endNest();
}

/** Writes an RTM_NEWLINK body that changes link `index` (as `ip link set` does). */
export function encodeLinkChange(writer: MessageWriter, index: number, changes: LinkChanges, masterIndex: number | undefined, netns: NetnsTarget | undefined): void {
  encodeIfinfo(writer, AF_UNSPEC, index, changes.up ? IFF_UP : 0, changes.up !== undefined ? IFF_UP : 0);
  // With the index given, IFLA_IFNAME is the new name (do_setlink renames before the flags change).
  if (changes.name !== undefined) writer.attrString(IFLA_IFNAME, changes.name);
  if (changes.address !== undefined) writer.attrBytes(IFLA_ADDRESS, linkLayerAddress(changes.address, 'changes.address'));
  if (changes.mtu !== undefined) writer.attrU32(IFLA_MTU, changes.mtu);
  if (changes.master !== undefined) writer.attrU32(IFLA_MASTER, masterIndex ?? 0);
  if (netns) writer.attrU32(netns.attribute, netns.value);
}

/** Message type and flags of each link request, as `ip link` sends them (NLM_F_ACK aside). */
export const LINK_REQUESTS = {
  create: { type: RTM_NEWLINK, flags: NLM_F_REQUEST | NLM_F_CREATE | NLM_F_EXCL },
  change: { type: RTM_NEWLINK, flags: NLM_F_REQUEST },
  delete: { type: RTM_DELLINK, flags: NLM_F_REQUEST },
} as const;

/** The attribute that names a namespace by fd (IFLA_NET_NS_FD) or pid (IFLA_NET_NS_PID). */
export const NETNS_ATTRIBUTES = { fd: IFLA_NET_NS_FD, pid: IFLA_NET_NS_PID } as const;

/**
 * Interface names resolved to indexes for one call: each name is asked once, and a name the
 * namespace does not have becomes a ValidationError naming the field, before anything changes.
 */
export async function resolveInterfaces(
  connection: Connection,
  names: Iterable<[name: string, field: string]>,
  netnsLabel: string | undefined,
): Promise<Map<string, number>> {
  const unique = new Map<string, string>();
  for (const [name, field] of names) if (!unique.has(name)) unique.set(name, field);
  const result = new Map<string, number>();
  await Promise.all(
    [...unique].map(async ([name, field]) => {
      try {
        const replies = await connection.request({ operation: 'lookupLink' }, RTM_GETLINK, NLM_F_REQUEST, (w) => encodeLinkLookup(w, name));
        const reply = replies[0];
        if (!reply) throw new ValidationError(field, name, `no such interface${netnsLabel ? ` in namespace ${netnsLabel}` : ''}`);
        result.set(name, decodeLinkIdentity(reply).index);
      } catch (error) {
        if (error instanceof NetlinkError && (error.code === 'ENODEV' || error.code === 'ENOENT')) {
          throw new ValidationError(field, name, `no such interface${netnsLabel ? ` in namespace ${netnsLabel}` : ''}`);
        }
        throw error;
      }
    }),
  );
  return result;
}

/** Every link in the namespace (one dump). */
export async function dumpLinks(connection: Connection): Promise<NetlinkMessage[]> {
  return connection.dump({ operation: 'listLinks' }, RTM_GETLINK, NLM_F_REQUEST | NLM_F_DUMP, encodeLinkDumpRequest);
}

/** Index -> name for every link in the namespace (one dump). */
export async function linkNameMap(connection: Connection): Promise<Map<number, string>> {
  const names = new Map<number, string>();
  for (const message of await dumpLinks(connection)) {
    const { index, name } = decodeLinkIdentity(message);
    if (name !== undefined) names.set(index, name);
  }
  return names;
}
