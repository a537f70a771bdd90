/**
 * Nexthop objects (`ip nexthop`, linux/nexthop.h): gateways, blackholes and groups that the
 * kernel keeps by id and routes refer to (`ip route add PREFIX nhid ID`). Replacing one object
 * moves every route that uses it at once, which is what failover wants.
 */
import { kernelAtLeast } from '../common/kernel.js';
import { type FamilyName, familyName, formatAddress, parseAddress, type IpAddress } from '../common/ip.js';
import { deviceName, integerInRange, knownKeys, optionalBoolean, plainObject, type DeviceNaming } from '../common/validate.js';
import { HOST_IS_LITTLE_ENDIAN, type MessageWriter } from '../netlink/attributes.js';
import { NLM_F_CREATE, NLM_F_EXCL, NLM_F_REPLACE, NLM_F_REQUEST } from '../netlink/constants.js';
import { ValidationError } from '../netlink/errors.js';
import { messageAttributes, payloadStart, type NetlinkMessage } from '../netlink/message.js';
import {
  AF_INET,
  AF_INET6,
  AF_UNSPEC,
  NEXTHOP_GRP_TYPE_MPATH,
  NEXTHOP_GRP_TYPE_RES,
  NHA_BLACKHOLE,
  NHA_FDB,
  NHA_GATEWAY,
  NHA_GROUP,
  NHA_GROUPS,
  NHA_GROUP_TYPE,
  NHA_ID,
  NHA_MASTER,
  NHA_OIF,
  NHA_RES_GROUP,
  NHA_RES_GROUP_BUCKETS,
  NHA_RES_GROUP_IDLE_TIMER,
  NHA_RES_GROUP_UNBALANCED_TIMER,
  NHMSG_LEN,
  NEXTHOP_GRP_LEN,
  RTM_DELNEXTHOP,
  RTM_NEWNEXTHOP,
  RTNH_F_ONLINK,
  USER_HZ,
} from './constants.js';
import { protocolCode, protocolName, type RouteProtocolName } from './names.js';

/** One member of a nexthop group (`group 1,2/3,4`: id 2 with weight 3). */
export interface NexthopGroupMember {
  /** The member's nexthop id; it must exist and must not be a group. */
  id: number;
  /** Relative weight, 1..255 (default 1); up to 65535 on kernels 6.12 and later. */
  weight?: number;
}

/**
 * How a group spreads flows: `mpath` (hash-threshold, the default; a change of members may move
 * flows between the others) or `resilient` (a table of buckets: flows stay where they are unless
 * their member goes).
 */
export type NexthopGroupType = 'mpath' | 'resilient';

/** The bucket table of a resilient group (`ip nexthop ... type resilient buckets 64 idle_timer 60`). */
export interface ResilientGroup {
  /** Number of buckets, 1..65535: required when the group is made; a replace may leave it out, or must repeat it. */
  buckets?: number;
  /** Seconds a bucket must be idle before it may move to another member (kernel default 120). */
  idleTimer?: number;
  /** Seconds after which buckets move even if busy, while the table is unbalanced (0: never, the default). */
  unbalancedTimer?: number;
}

/**
 * A nexthop object (`ip nexthop`): a gateway and/or device, a blackhole, a group of other
 * nexthops, or an FDB gateway (or group of them). Routes use it by id (`Route.nexthopId`).
 */
export interface NexthopObject {
  /** Its id, 1..2^32-1. Absent on add: the kernel picks one, which `add` returns. */
  id?: number;
  /** 'inet' or 'inet6'; taken from the gateway, else 'inet'. Groups have none. */
  family?: FamilyName;
  /** The gateway (`via`). */
  gateway?: string;
  /** The device (`dev`): its name or an altname (listed by its name). A gateway needs one unless `fdb`. */
  dev?: string;
  /** Pretend the gateway is on-link (`onlink`); only with a gateway. */
  onlink?: boolean;
  /** Drop what uses it (`blackhole`); no gateway, dev or group with it. Needs `lo` up. */
  blackhole?: boolean;
  /** Members of a group (`group 1/2,3`); nothing else but groupType, resilient, fdb and protocol with it. */
  group?: NexthopGroupMember[];
  /** How a group spreads flows (default 'mpath'). */
  groupType?: NexthopGroupType;
  /** A resilient group's bucket table (only with groupType 'resilient'). */
  resilient?: ResilientGroup;
  /** Who installed it (`proto`); a name or a number 0..255. On a handle with an owner, the owner id. */
  protocol?: RouteProtocolName | number;
  /**
   * A gateway for VXLAN FDB entries (`fdb`), which routes cannot use: a single one has a gateway
   * (or none) and no dev, blackhole or onlink; a group of them is `fdb` too, and has only them.
   */
  fdb?: boolean;
}

/** Every field of a NexthopObject. */
export const NEXTHOP_OBJECT_KEYS: ReadonlySet<string> = new Set(['id', 'family', 'gateway', 'dev', 'onlink', 'blackhole', 'group', 'groupType', 'resilient', 'protocol', 'fdb']);
const MEMBER_KEYS: ReadonlySet<string> = new Set(['id', 'weight']);
const RESILIENT_KEYS: ReadonlySet<string> = new Set(['buckets', 'idleTimer', 'unbalancedTimer']);

// The kernel counts the resilient timers in clock_t (USER_HZ); ip takes seconds.
const MAX_TIMER_SECONDS = Math.floor(0xffffffff / USER_HZ);

/** A nexthop object checked and converted to kernel values; `dev` still needs its ifindex. */
export interface ResolvedNexthopObject {
  id: number;
  family: number;
  protocol: number;
  flags: number;
  gateway?: IpAddress;
  dev?: string;
  blackhole: boolean;
  /** NHA_FDB. */
  fdb: boolean;
  /** [id, weight - 1] per member. */
  group?: [number, number][];
  groupType?: number;
  buckets?: number;
  /** clock_t. */
  idleTimer?: number;
  unbalancedTimer?: number;
}

function asRecord(value: unknown): Record<string, unknown> | undefined {
  return typeof value === 'object' && value !== null ? (value as Record<string, unknown>) : undefined;
}

/**
 * Whether the kernel fills the high weight byte of a group member (6.12 and later); before, the
 * byte was reserved, and some kernels left it uninitialised in dumps.
 */
const KERNEL_HAS_HIGH_WEIGHTS = kernelAtLeast(6, 12);

function timer(value: unknown, field: string): number {
  return integerInRange(value, field, 0, MAX_TIMER_SECONDS, 'a number of seconds') * USER_HZ;
}

/** What a nexthop object is checked for: `add` makes one, `replace` may also change one (and needs its id). */
export type NexthopIntent = 'add' | 'replace';

/**
 * Checks a nexthop object for add or replace and converts it to kernel values: a device (with
 * or without a gateway), a blackhole, an FDB gateway, or a group. `naming` says which device
 * names are taken (see {@link DeviceNaming}).
 */
export function resolveNexthopObject(input: NexthopObject, field = 'nexthop', intent: NexthopIntent = 'add', naming: DeviceNaming = 'name'): ResolvedNexthopObject {
  const nexthop = plainObject(input, field) as NexthopObject;
  knownKeys(nexthop as Record<string, unknown>, field, NEXTHOP_OBJECT_KEYS);
  const resolved: ResolvedNexthopObject = {
    id: nexthop.id !== undefined ? integerInRange(nexthop.id, `${field}.id`, 1, 0xffffffff, 'a nexthop id') : 0,
    family: AF_UNSPEC,
    protocol: nexthop.protocol !== undefined ? protocolCode(nexthop.protocol, `${field}.protocol`) : 0,
    flags: optionalBoolean(nexthop.onlink, `${field}.onlink`) ? RTNH_F_ONLINK : 0,
    blackhole: optionalBoolean(nexthop.blackhole, `${field}.blackhole`),
    fdb: optionalBoolean(nexthop.fdb, `${field}.fdb`),
  };
  if (intent === 'replace' && resolved.id === 0) throw new ValidationError(`${field}.id`, nexthop.id, 'a replace names the nexthop it replaces');
  let family: 4 | 6 | undefined;
  if (nexthop.family !== undefined) {
    if (nexthop.family !== 'inet' && nexthop.family !== 'inet6') throw new ValidationError(`${field}.family`, nexthop.family, "expected 'inet' or 'inet6'");
    family = nexthop.family === 'inet' ? 4 : 6;
  }
  if (nexthop.group !== undefined) {
    resolveGroup(nexthop, resolved, field, intent);
    return resolved;
  }
  if (nexthop.groupType !== undefined) throw new ValidationError(`${field}.groupType`, nexthop.groupType, 'only a group has a group type');
  if (nexthop.resilient !== undefined) throw new ValidationError(`${field}.resilient`, nexthop.resilient, 'only a resilient group has buckets');
  if (nexthop.gateway !== undefined) {
    resolved.gateway = parseAddress(nexthop.gateway, `${field}.gateway`, family);
    family = resolved.gateway.family;
  }
  if (nexthop.dev !== undefined) resolved.dev = deviceName(nexthop.dev, `${field}.dev`, naming);
  if (resolved.fdb) {
    // A gateway (or none) for VXLAN FDB entries, no route's next hop: the kernel refuses a
    // device, blackhole or flags with it.
    const other = resolved.dev !== undefined ? 'dev' : resolved.blackhole ? 'blackhole' : resolved.flags !== 0 ? 'onlink' : undefined;
    if (other !== undefined) throw new ValidationError(`${field}.${other}`, nexthop[other as keyof NexthopObject], 'an fdb nexthop has no dev, blackhole or onlink');
  } else if (resolved.blackhole) {
    const other = resolved.gateway !== undefined ? 'gateway' : resolved.dev !== undefined ? 'dev' : resolved.flags !== 0 ? 'onlink' : undefined;
    if (other !== undefined) throw new ValidationError(`${field}.${other}`, nexthop[other as keyof NexthopObject], 'a blackhole nexthop has no gateway, dev or onlink');
  } else if (resolved.flags & RTNH_F_ONLINK && resolved.gateway === undefined) {
    throw new ValidationError(`${field}.onlink`, nexthop.onlink, 'onlink needs a gateway');
  } else if (resolved.dev === undefined) {
    // The kernel needs the device even with a gateway (it does not look the gateway up).
    throw new ValidationError(
      `${field}.dev`,
      nexthop.dev,
      resolved.gateway !== undefined ? 'a nexthop with a gateway needs its dev (only an fdb nexthop has none)' : 'expected a dev, a gateway and dev, blackhole: true, fdb: true or a group',
    );
  }
  resolved.family = family === 6 ? AF_INET6 : AF_INET;
  return resolved;
}

function resolveGroup(nexthop: NexthopObject, resolved: ResolvedNexthopObject, field: string, intent: NexthopIntent): void {
  for (const key of ['family', 'gateway', 'dev', 'onlink', 'blackhole'] as const) {
    if (nexthop[key] !== undefined && nexthop[key] !== false) throw new ValidationError(`${field}.${key}`, nexthop[key], 'a group has only members (and groupType, resilient, fdb, protocol)');
  }
  if (!Array.isArray(nexthop.group) || nexthop.group.length === 0) throw new ValidationError(`${field}.group`, nexthop.group, 'expected a non-empty array of { id, weight? }');
  const seen = new Set<number>();
  resolved.group = nexthop.group.map((m, i) => {
    const mf = `${field}.group[${i}]`;
    const member = plainObject(m, mf);
    knownKeys(member, mf, MEMBER_KEYS);
    const id = integerInRange(member.id, `${mf}.id`, 1, 0xffffffff, 'a nexthop id');
    if (id === resolved.id) throw new ValidationError(`${mf}.id`, id, 'a group cannot contain itself');
    if (seen.has(id)) throw new ValidationError(`${mf}.id`, id, 'each member once');
    seen.add(id);
    // Weights above 255 use the byte kernels before 6.12 reserve (and refuse to see set).
    const weight = member.weight !== undefined ? integerInRange(member.weight, `${mf}.weight`, 1, 0xffff) : 1;
    return [id, weight - 1];
  });
  const type = nexthop.groupType ?? 'mpath';
  if (type !== 'mpath' && type !== 'resilient') throw new ValidationError(`${field}.groupType`, nexthop.groupType, "expected 'mpath' or 'resilient'");
  resolved.groupType = type === 'resilient' ? NEXTHOP_GRP_TYPE_RES : NEXTHOP_GRP_TYPE_MPATH;
  if (type === 'resilient' && intent === 'add' && asRecord(nexthop.resilient)?.buckets === undefined) {
    // The kernel has no default: a new resilient group must say how many buckets it has.
    throw new ValidationError(`${field}.resilient.buckets`, undefined, 'a new resilient group needs its number of buckets');
  }
  if (nexthop.resilient !== undefined) {
    if (type !== 'resilient') throw new ValidationError(`${field}.resilient`, nexthop.resilient, "only with groupType 'resilient'");
    const rf = `${field}.resilient`;
    const resilient = plainObject(nexthop.resilient, rf) as ResilientGroup;
    knownKeys(resilient as Record<string, unknown>, rf, RESILIENT_KEYS);
    if (resilient.buckets !== undefined) resolved.buckets = integerInRange(resilient.buckets, `${rf}.buckets`, 1, 0xffff);
    if (resilient.idleTimer !== undefined) resolved.idleTimer = timer(resilient.idleTimer, `${rf}.idleTimer`);
    if (resilient.unbalancedTimer !== undefined) resolved.unbalancedTimer = timer(resilient.unbalancedTimer, `${rf}.unbalancedTimer`);
  }
}

/** Every interface name a resolved nexthop object refers to, with the field that named it. */
export function nexthopInterfaceNames(nexthop: ResolvedNexthopObject, field: string): [string, string][] {
  return nexthop.dev !== undefined ? [[nexthop.dev, `${field}.dev`]] : [];
}

function writeHeader(writer: MessageWriter, family: number, protocol: number, flags: number): void {
  // struct nhmsg: family, scope (replies only), protocol, reserved, flags
  writer.u8(family);
  writer.u8(0);
  writer.u8(protocol);
  writer.u8(0);
  writer.u32(flags);
}

/**
 * Writes an RTM_NEWNEXTHOP body in the order `ip nexthop add id ID [via GW] [dev DEV] [onlink]
 * [blackhole] [group ...] [type resilient ...] [fdb] [proto P]` sends it, so that the bytes equal ip's.
 */
export function encodeNexthopObject(writer: MessageWriter, nexthop: ResolvedNexthopObject, ifindex: (name: string) => number | undefined): void {
  writeHeader(writer, nexthop.family, nexthop.protocol, nexthop.flags);
  if (nexthop.id !== 0) writer.attrU32(NHA_ID, nexthop.id);
  if (nexthop.gateway) writer.attrBytes(NHA_GATEWAY, nexthop.gateway.bytes);
  if (nexthop.dev !== undefined) {
    const index = ifindex(nexthop.dev);
    if (index !== undefined) writer.attrU32(NHA_OIF, index);
  }
  if (nexthop.blackhole) writer.attrFlag(NHA_BLACKHOLE);
  if (nexthop.group) {
    // struct nexthop_grp { u32 id; u8 weight; u8 weight_high (6.12+, resvd1 before); u16 resvd2; }
    // carrying weight - 1
    const payload = new Uint8Array(nexthop.group.length * NEXTHOP_GRP_LEN);
    const view = new DataView(payload.buffer);
    nexthop.group.forEach(([id, weight], i) => {
      view.setUint32(i * NEXTHOP_GRP_LEN, id, HOST_IS_LITTLE_ENDIAN);
      view.setUint8(i * NEXTHOP_GRP_LEN + 4, weight & 0xff);
      view.setUint8(i * NEXTHOP_GRP_LEN + 5, weight >> 8);
    });
    writer.attrBytes(NHA_GROUP, payload);
    // mpath is the kernel's default, which ip leaves unsaid; ip writes the type after the buckets.
    if (nexthop.groupType === NEXTHOP_GRP_TYPE_RES) {
      if (nexthop.buckets !== undefined || nexthop.idleTimer !== undefined || nexthop.unbalancedTimer !== undefined) {
        writer.beginNest(NHA_RES_GROUP, true);
        if (nexthop.buckets !== undefined) writer.attrU16(NHA_RES_GROUP_BUCKETS, nexthop.buckets);
        if (nexthop.idleTimer !== undefined) writer.attrU32(NHA_RES_GROUP_IDLE_TIMER, nexthop.idleTimer);
        if (nexthop.unbalancedTimer !== undefined) writer.attrU32(NHA_RES_GROUP_UNBALANCED_TIMER, nexthop.unbalancedTimer);
        writer.endNest();
      }
      writer.attrU16(NHA_GROUP_TYPE, NEXTHOP_GRP_TYPE_RES);
    }
  }
  if (nexthop.fdb) writer.attrFlag(NHA_FDB);
}

/** Writes the body of a request naming one nexthop by id (RTM_DELNEXTHOP, RTM_GETNEXTHOP). */
export function encodeNexthopId(writer: MessageWriter, id: number): void {
  writeHeader(writer, AF_UNSPEC, 0, 0);
  writer.attrU32(NHA_ID, id);
}

/** The kernel-side filters of a nexthop dump. */
export interface NexthopDumpFilter {
  /** Only nexthops on this device. */
  ifindex?: number;
  /** Only nexthops on a device enslaved to this master. */
  master?: number;
  /** Only groups. */
  groups?: boolean;
  /** Only fdb nexthops and groups (`ip nexthop show fdb`). */
  fdb?: boolean;
}

/** Writes a nexthop dump request (the header must be zero but for the family). */
export function encodeNexthopDumpRequest(writer: MessageWriter, filter: NexthopDumpFilter): void {
  writeHeader(writer, AF_UNSPEC, 0, 0);
  if (filter.ifindex !== undefined) writer.attrU32(NHA_OIF, filter.ifindex);
  if (filter.master !== undefined) writer.attrU32(NHA_MASTER, filter.master);
  if (filter.groups) writer.attrFlag(NHA_GROUPS);
  if (filter.fdb) writer.attrFlag(NHA_FDB);
}

/** Message type and flags of each nexthop request, as `ip nexthop` sends them (NLM_F_ACK aside). */
export const NEXTHOP_REQUESTS = {
  add: { type: RTM_NEWNEXTHOP, flags: NLM_F_REQUEST | NLM_F_CREATE | NLM_F_EXCL },
  replace: { type: RTM_NEWNEXTHOP, flags: NLM_F_REQUEST | NLM_F_CREATE | NLM_F_REPLACE },
  delete: { type: RTM_DELNEXTHOP, flags: NLM_F_REQUEST },
} as const;

/** Decodes an RTM_NEWNEXTHOP message; `linkName` maps an ifindex to its name. */
export function decodeNexthopObject(message: NetlinkMessage, linkName: (ifindex: number) => string | undefined): NexthopObject {
  const data = message.data;
  const base = payloadStart(message);
  const family = data[base]!;
  const protocol = data[base + 2]!;
  const flags = new DataView(data.buffer, data.byteOffset, data.byteLength).getUint32(base + 4, HOST_IS_LITTLE_ENDIAN);
  const attrs = messageAttributes(message, NHMSG_LEN);
  const nexthop: NexthopObject = { id: attrs.u32(NHA_ID) ?? 0 };
  const group = attrs.bytes(NHA_GROUP);
  if (group !== undefined) {
    const view = new DataView(group.buffer, group.byteOffset, group.byteLength);
    nexthop.group = [];
    for (let at = 0; at + NEXTHOP_GRP_LEN <= group.length; at += NEXTHOP_GRP_LEN) {
      const high = KERNEL_HAS_HIGH_WEIGHTS ? view.getUint8(at + 5) << 8 : 0;
      nexthop.group.push({ id: view.getUint32(at, HOST_IS_LITTLE_ENDIAN), weight: (high | view.getUint8(at + 4)) + 1 });
    }
    nexthop.groupType = attrs.u16(NHA_GROUP_TYPE) === NEXTHOP_GRP_TYPE_RES ? 'resilient' : 'mpath';
    const resilient = attrs.nested(NHA_RES_GROUP);
    if (resilient !== undefined) {
      const out: ResilientGroup = {};
      const buckets = resilient.u16(NHA_RES_GROUP_BUCKETS);
      if (buckets !== undefined) out.buckets = buckets;
      const idle = resilient.u32(NHA_RES_GROUP_IDLE_TIMER);
      if (idle !== undefined) out.idleTimer = Math.round(idle / USER_HZ);
      const unbalanced = resilient.u32(NHA_RES_GROUP_UNBALANCED_TIMER);
      if (unbalanced !== undefined) out.unbalancedTimer = Math.round(unbalanced / USER_HZ);
      nexthop.resilient = out;
    }
  } else {
    nexthop.family = familyName(family === AF_INET6 ? 6 : 4);
    const gateway = attrs.bytes(NHA_GATEWAY);
    if (gateway !== undefined) nexthop.gateway = formatAddress(gateway);
    const oif = attrs.u32(NHA_OIF);
    const dev = oif !== undefined ? linkName(oif) : undefined;
    if (dev !== undefined) nexthop.dev = dev;
    if (flags & RTNH_F_ONLINK) nexthop.onlink = true;
    if (attrs.has(NHA_BLACKHOLE)) nexthop.blackhole = true;
  }
  nexthop.protocol = protocolName(protocol);
  // Singles and groups alike: a group of fdb nexthops must say fdb too, or the kernel refuses it.
  if (attrs.has(NHA_FDB)) nexthop.fdb = true;
  return nexthop;
}
