import { type FamilyName, familyName, formatPrefix, parsePrefix, type IpPrefix } from '../common/ip.js';
import { integerInRange, interfaceName, knownKeys, plainObject, u32 } from '../common/validate.js';
import { HOST_IS_LITTLE_ENDIAN, type MessageWriter } from '../netlink/attributes.js';
import { ValidationError } from '../netlink/errors.js';
import { messageAttributes, payloadStart, type NetlinkMessage } from '../netlink/message.js';
import { NLM_F_CREATE, NLM_F_EXCL, NLM_F_REQUEST } from '../netlink/constants.js';
import {
  AF_INET,
  AF_INET6,
  FIB_RULE_HDR_LEN,
  FIB_RULE_INVERT,
  FRA_DPORT_MASK,
  FRA_DPORT_RANGE,
  FRA_DSCP,
  FRA_DSCP_MASK,
  FRA_DST,
  FRA_FLOW,
  FRA_FLOWLABEL,
  FRA_FLOWLABEL_MASK,
  FLOWLABEL_BITS,
  FRA_FWMARK,
  FRA_FWMASK,
  FRA_GOTO,
  FRA_IIFNAME,
  FRA_IP_PROTO,
  FRA_L3MDEV,
  FRA_OIFNAME,
  FRA_PRIORITY,
  FRA_PROTOCOL,
  FRA_SPORT_MASK,
  FRA_SPORT_RANGE,
  FRA_SRC,
  FRA_SUPPRESS_IFGROUP,
  FRA_SUPPRESS_PREFIXLEN,
  FRA_TABLE,
  FRA_UID_RANGE,
  FR_ACT_BLACKHOLE,
  FR_ACT_GOTO,
  FR_ACT_NOP,
  FR_ACT_PROHIBIT,
  FR_ACT_TO_TBL,
  FR_ACT_UNREACHABLE,
  FR_ACT_UNSPEC,
  RTM_DELRULE,
  RTM_NEWRULE,
  RT_TABLE_MAIN,
  RT_TABLE_UNSPEC,
} from './constants.js';
import {
  type IpProtocolName,
  type PortRange,
  type RouteProtocolName,
  type UidRange,
  ipProtocolCode,
  ipProtocolName,
  protocolCode,
  protocolName,
  range,
  rangeValue,
} from './names.js';
import { decodeRealms, resolveRealms } from './realms.js';
import type { TableRef, TableResolver } from './tables.js';

/** What a rule does when it matches. */
export type RuleAction = 'lookup' | 'goto' | 'nop' | 'blackhole' | 'unreachable' | 'prohibit';

/**
 * A policy routing rule (`ip rule`). Absent fields are `undefined`, never 0: `fwmark: 0`,
 * `priority: 0` and `suppressPrefixLength: 0` are real values.
 */
export interface Rule {
  /** 'inet' (IPv4) or 'inet6'. Taken from `from`/`to` when absent, else 'inet'. */
  family?: FamilyName;
  /** Preference: lower runs first (`priority N`). Without it the kernel picks one. */
  priority?: number;
  /** Invert the selector (`not`). */
  not?: boolean;
  /** Source prefix (`from 192.0.2.0/24`; a bare address is a host prefix). */
  from?: string;
  /** Destination prefix (`to ...`). */
  to?: string;
  /** Type-of-service byte to match (`tos 0x10`), in the rule header. */
  tos?: number;
  /** DSCP to match, 0..63 (FRA_DSCP; kernel 6.14 or later). */
  dscp?: number;
  /** Mask for dscp (`dscp 16/0x30`), 1..63; dscp must lie inside it (FRA_DSCP_MASK; kernel 6.18). */
  dscpMask?: number;
  /** IPv6: flow label to match, 0..0xfffff (`flowlabel 0x12345`; FRA_FLOWLABEL, kernel 6.14). */
  flowlabel?: number;
  /** IPv6: mask for flowlabel (`flowlabel 0x10000/0xf0000`); all 20 bits when absent. */
  flowlabelMask?: number;
  /** Firewall mark to match (`fwmark 65`). */
  fwmark?: number;
  /** Mask for fwmark (`fwmark 65/0xff`); the kernel uses 0xffffffff when absent. */
  fwmask?: number;
  /** Incoming interface name (`iif v0`); need not exist yet. */
  iif?: string;
  /** Outgoing interface name (`oif v0`), for sockets bound to a device; need not exist yet. */
  oif?: string;
  /** User ids (`uidrange 469-469`). */
  uidrange?: UidRange;
  /** IP protocol (`ipproto tcp`): a name or a number. */
  ipproto?: IpProtocolName | number;
  /** Source port or range (`sport 1000-2000`). */
  sport?: PortRange;
  /** Mask for a single sport (`sport 0x1000/0xf000`); the port must lie inside it (kernel 6.15). */
  sportMask?: number;
  /** Destination port or range (`dport 443`). */
  dport?: PortRange;
  /** Mask for a single dport (`dport 0x1000/0xf000`), as sportMask. */
  dportMask?: number;
  /** Routing table for `lookup` (`table 1`, `lookup hof`): an id (above 255 works) or a name. */
  table?: TableRef;
  /** IPv4: the realm the rule gives matching packets (`realms 5`), 1..65535. */
  realm?: number;
  /** IPv4: the source realm (`realms 3/5` is `fromRealm: 3, realm: 5`). */
  fromRealm?: number;
  /** The action; `lookup` when absent on add (with table main if no table is given). */
  action?: RuleAction;
  /** Target priority for `action: 'goto'` (`goto 100`). */
  goto?: number;
  /** Reject lookup results with a prefix this long or shorter (`suppress_prefixlength 0`). */
  suppressPrefixLength?: number;
  /** Reject lookup results whose device is in this group (`suppress_ifgroup 5`). */
  suppressIfgroup?: number;
  /** Look up the table of the packet's L3 master device (VRF) (`l3mdev`). */
  l3mdev?: boolean;
  /** Who installed the rule (`protocol`): a name or 0..255; routemark users tag rules with it. */
  protocol?: RouteProtocolName | number;
}

/** Every field of a Rule (the policy document's JSON Schema lists the same). */
export const RULE_KEYS: ReadonlySet<string> = new Set([
  'family', 'priority', 'not', 'from', 'to', 'tos', 'dscp', 'dscpMask', 'flowlabel', 'flowlabelMask', 'fwmark', 'fwmask', 'iif', 'oif', 'uidrange',
  'ipproto', 'sport', 'sportMask', 'dport', 'dportMask', 'table', 'realm', 'fromRealm', 'action', 'goto', 'suppressPrefixLength', 'suppressIfgroup', 'l3mdev', 'protocol',
]);

const ACTION_CODES: Record<RuleAction, number> = {
  lookup: FR_ACT_TO_TBL,
  goto: FR_ACT_GOTO,
  nop: FR_ACT_NOP,
  blackhole: FR_ACT_BLACKHOLE,
  unreachable: FR_ACT_UNREACHABLE,
  prohibit: FR_ACT_PROHIBIT,
};
const ACTION_NAMES = new Map<number, RuleAction>(Object.entries(ACTION_CODES).map(([k, v]) => [v, k as RuleAction]));

/** A rule checked and converted to kernel values, ready to encode. */
export interface ResolvedRule {
  family: number;
  action: number;
  /** fib_rule_hdr.flags (FIB_RULE_INVERT). */
  flags: number;
  tos: number;
  priority?: number;
  from?: IpPrefix;
  to?: IpPrefix;
  dscp?: number;
  /** Only a mask narrower than 0x3f: the kernel's own for a dscp without one. */
  dscpMask?: number;
  flowlabel?: number;
  flowlabelMask?: number;
  fwmark?: number;
  fwmask?: number;
  iif?: string;
  oif?: string;
  uidStart?: number;
  uidEnd?: number;
  ipproto?: number;
  sportStart?: number;
  sportEnd?: number;
  /** Only a mask narrower than 0xffff: the kernel's own for a single port without one. */
  sportMask?: number;
  dportStart?: number;
  dportEnd?: number;
  dportMask?: number;
  table?: number;
  /** FRA_FLOW: source realm << 16 | realm. */
  flow?: number;
  goto?: number;
  suppressPrefixLength?: number;
  suppressIfgroup?: number;
  l3mdev?: boolean;
  protocol?: number;
}

function resolveTable(value: unknown, field: string, tables: TableResolver | undefined): number {
  if (tables) return tables.resolve(value, field);
  if (typeof value === 'string') throw new ValidationError(field, value, 'table names need a table resolver');
  return u32(value, field);
}

/**
 * Checks a rule and converts it to kernel values. `forDelete` leaves the action unspecified
 * unless given, so a delete matches whatever the rule does (as `ip rule del` does). Table names
 * are resolved with `tables`.
 */
export function resolveRule(input: Rule, field = 'rule', forDelete = false, tables?: TableResolver): ResolvedRule {
  const rule = plainObject(input, field) as Rule;
  knownKeys(rule as Record<string, unknown>, field, RULE_KEYS);
  let family: 4 | 6 | undefined;
  if (rule.family !== undefined) {
    if (rule.family !== 'inet' && rule.family !== 'inet6') throw new ValidationError(`${field}.family`, rule.family, "expected 'inet' or 'inet6'");
    family = rule.family === 'inet' ? 4 : 6;
  }
  const from = rule.from !== undefined ? parsePrefix(rule.from, `${field}.from`, family) : undefined;
  family ??= from?.family;
  const to = rule.to !== undefined ? parsePrefix(rule.to, `${field}.to`, family) : undefined;
  family ??= to?.family ?? 4;

  if (rule.action !== undefined && !Object.prototype.hasOwnProperty.call(ACTION_CODES, rule.action)) {
    throw new ValidationError(`${field}.action`, rule.action, `expected one of ${Object.keys(ACTION_CODES).join(', ')}`);
  }
  let action = rule.action !== undefined ? ACTION_CODES[rule.action] : forDelete ? FR_ACT_UNSPEC : FR_ACT_TO_TBL;
  if (rule.action === undefined && rule.goto !== undefined) action = FR_ACT_GOTO;
  if (action === FR_ACT_GOTO && rule.goto === undefined && !forDelete) {
    throw new ValidationError(`${field}.goto`, rule.goto, "action 'goto' needs a target priority");
  }
  if (rule.goto !== undefined && action !== FR_ACT_GOTO) {
    throw new ValidationError(`${field}.goto`, rule.goto, `a goto target needs action 'goto', not '${rule.action}'`);
  }
  if (rule.not !== undefined && typeof rule.not !== 'boolean') throw new ValidationError(`${field}.not`, rule.not, 'expected a boolean');
  if (rule.l3mdev !== undefined && typeof rule.l3mdev !== 'boolean') throw new ValidationError(`${field}.l3mdev`, rule.l3mdev, 'expected a boolean');
  if (rule.fwmask !== undefined && rule.fwmark === undefined) {
    throw new ValidationError(`${field}.fwmask`, rule.fwmask, 'a mask needs fwmark');
  }
  let table = rule.table !== undefined ? resolveTable(rule.table, `${field}.table`, tables) : undefined;
  if (rule.l3mdev && table !== undefined && table !== RT_TABLE_UNSPEC) {
    throw new ValidationError(`${field}.table`, rule.table, 'an l3mdev rule takes its table from the device; give no table');
  }
  if (table === undefined && action === FR_ACT_TO_TBL && !forDelete && !rule.l3mdev) table = RT_TABLE_MAIN;
  const resolved: ResolvedRule = {
    family: family === 4 ? AF_INET : AF_INET6,
    action,
    flags: rule.not ? FIB_RULE_INVERT : 0,
    tos: rule.tos !== undefined ? integerInRange(rule.tos, `${field}.tos`, 0, 255) : 0,
  };
  if (rule.priority !== undefined) resolved.priority = u32(rule.priority, `${field}.priority`);
  // What the kernel stores as no selector is none here too, so that identities and duplicate
  // checks agree with the dump: a prefix of length 0, mark 0 without a mask, protocol 0.
  if (from && from.length > 0) resolved.from = from;
  if (to && to.length > 0) resolved.to = to;
  if (rule.dscp !== undefined) resolved.dscp = integerInRange(rule.dscp, `${field}.dscp`, 0, 63);
  if (rule.dscpMask !== undefined) {
    const mask = integerInRange(rule.dscpMask, `${field}.dscpMask`, 0, DSCP_FULL_MASK);
    if (resolved.dscp === undefined) throw new ValidationError(`${field}.dscpMask`, rule.dscpMask, 'a mask needs dscp');
    if (resolved.dscp & ~mask) throw new ValidationError(`${field}.dscpMask`, rule.dscpMask, `dscp ${resolved.dscp} has bits outside the mask`);
    if (mask !== DSCP_FULL_MASK) resolved.dscpMask = mask;
  }
  resolveFlowlabel(rule, field, family, resolved);
  if (rule.fwmark !== undefined) resolved.fwmark = u32(rule.fwmark, `${field}.fwmark`);
  if (rule.fwmask !== undefined) resolved.fwmask = u32(rule.fwmask, `${field}.fwmask`);
  if (resolved.fwmark === 0 && !resolved.fwmask) {
    delete resolved.fwmark;
    delete resolved.fwmask;
  }
  if (rule.iif !== undefined) resolved.iif = interfaceName(rule.iif, `${field}.iif`);
  if (rule.oif !== undefined) resolved.oif = interfaceName(rule.oif, `${field}.oif`);
  if (rule.uidrange !== undefined) {
    // (uid_t)-1 is "no uid"; the kernel refuses it in a range.
    [resolved.uidStart, resolved.uidEnd] = range(rule.uidrange, `${field}.uidrange`, 0, 0xfffffffe, 'a user id');
  }
  if (rule.ipproto !== undefined) {
    const ipproto = ipProtocolCode(rule.ipproto, `${field}.ipproto`);
    if (ipproto !== 0) resolved.ipproto = ipproto;
  }
  // fib_rule_port_range_valid(): ports 1..65534, start <= end.
  if (rule.sport !== undefined) [resolved.sportStart, resolved.sportEnd] = range(rule.sport, `${field}.sport`, 1, 65534, 'a port');
  if (rule.dport !== undefined) [resolved.dportStart, resolved.dportEnd] = range(rule.dport, `${field}.dport`, 1, 65534, 'a port');
  const sportMask = portMask(rule.sportMask, `${field}.sportMask`, resolved.sportStart, resolved.sportEnd);
  if (sportMask !== undefined) resolved.sportMask = sportMask;
  const dportMask = portMask(rule.dportMask, `${field}.dportMask`, resolved.dportStart, resolved.dportEnd);
  if (dportMask !== undefined) resolved.dportMask = dportMask;
  if (table !== undefined) resolved.table = table;
  const flow = resolveRealms(rule, field, family, 'rules');
  if (flow !== undefined) resolved.flow = flow;
  if (rule.goto !== undefined) resolved.goto = u32(rule.goto, `${field}.goto`);
  // The kernel keeps any int (ip takes any): beyond the address length it suppresses nothing.
  if (rule.suppressPrefixLength !== undefined) resolved.suppressPrefixLength = integerInRange(rule.suppressPrefixLength, `${field}.suppressPrefixLength`, 0, 0x7fffffff);
  if (rule.suppressIfgroup !== undefined) resolved.suppressIfgroup = integerInRange(rule.suppressIfgroup, `${field}.suppressIfgroup`, 0, 0x7fffffff);
  if (rule.l3mdev) resolved.l3mdev = true;
  if (rule.protocol !== undefined) resolved.protocol = protocolCode(rule.protocol, `${field}.protocol`);
  return resolved;
}

const DSCP_FULL_MASK = 0x3f;
const PORT_FULL_MASK = 0xffff;

/**
 * A port mask as the kernel takes it (fib_nl2rule_port_mask): only on a single port that lies
 * inside it. The full mask is what the kernel gives a single port anyway: left out.
 */
function portMask(value: unknown, field: string, start: number | undefined, end: number | undefined): number | undefined {
  if (value === undefined) return undefined;
  const mask = integerInRange(value, field, 0, PORT_FULL_MASK);
  if (start === undefined) throw new ValidationError(field, value, 'a mask needs a port');
  if (start !== end) throw new ValidationError(field, value, 'a mask needs a single port, not a range');
  if (start & ~mask) throw new ValidationError(field, value, `port ${start} has bits outside the mask`);
  return mask === PORT_FULL_MASK ? undefined : mask;
}

/** The flow label selector of an IPv6 rule; a label 0 with mask 0 is no selector, as the kernel keeps it. */
function resolveFlowlabel(rule: Rule, field: string, family: 4 | 6, resolved: ResolvedRule): void {
  if (rule.flowlabel === undefined && rule.flowlabelMask === undefined) return;
  if (rule.flowlabel === undefined) throw new ValidationError(`${field}.flowlabelMask`, rule.flowlabelMask, 'a mask needs flowlabel');
  if (family !== 6) throw new ValidationError(`${field}.flowlabel`, rule.flowlabel, 'a flow label selector needs an IPv6 rule');
  const label = integerInRange(rule.flowlabel, `${field}.flowlabel`, 0, FLOWLABEL_BITS);
  const mask = rule.flowlabelMask !== undefined ? integerInRange(rule.flowlabelMask, `${field}.flowlabelMask`, 0, FLOWLABEL_BITS) : FLOWLABEL_BITS;
  if (label & ~mask) throw new ValidationError(`${field}.flowlabelMask`, rule.flowlabelMask, `flow label ${label} has bits outside the mask`);
  if (mask === 0) return;
  resolved.flowlabel = label;
  resolved.flowlabelMask = mask;
}

/**
 * Writes a rule message body (struct fib_rule_hdr and attributes) in the order iproute2 uses for
 * `ip rule add [not] from P to P fwmark M[/K] priority N [tos T] table T realms R suppress_prefixlength L
 * suppress_ifgroup G iif I oif O l3mdev uidrange U ipproto P sport S dport D [ACTION] protocol P`,
 * so that the bytes equal those of the equivalent `ip` command. FRA_DSCP and the masks and flow
 * label, which iproute2 6.1 cannot send, go last.
 */
export function encodeRule(writer: MessageWriter, rule: ResolvedRule): void {
  const smallTable = rule.table !== undefined && rule.table < 256;
  writer.u8(rule.family);
  writer.u8(rule.to?.length ?? 0); // dst_len
  writer.u8(rule.from?.length ?? 0); // src_len
  writer.u8(rule.tos);
  writer.u8(smallTable ? rule.table! : RT_TABLE_UNSPEC);
  writer.u8(0); // res1
  writer.u8(0); // res2
  writer.u8(rule.action);
  writer.u32(rule.flags);
  if (rule.from) writer.attrBytes(FRA_SRC, rule.from.bytes);
  if (rule.to) writer.attrBytes(FRA_DST, rule.to.bytes);
  if (rule.fwmark !== undefined) writer.attrU32(FRA_FWMARK, rule.fwmark);
  if (rule.fwmask !== undefined) writer.attrU32(FRA_FWMASK, rule.fwmask);
  if (rule.priority !== undefined) writer.attrU32(FRA_PRIORITY, rule.priority);
  if (rule.table !== undefined && !smallTable) writer.attrU32(FRA_TABLE, rule.table);
  if (rule.flow !== undefined) writer.attrU32(FRA_FLOW, rule.flow);
  if (rule.suppressPrefixLength !== undefined) writer.attrU32(FRA_SUPPRESS_PREFIXLEN, rule.suppressPrefixLength);
  if (rule.suppressIfgroup !== undefined) writer.attrU32(FRA_SUPPRESS_IFGROUP, rule.suppressIfgroup);
  if (rule.iif !== undefined) writer.attrString(FRA_IIFNAME, rule.iif);
  if (rule.oif !== undefined) writer.attrString(FRA_OIFNAME, rule.oif);
  if (rule.l3mdev) writer.attrU8(FRA_L3MDEV, 1);
  if (rule.uidStart !== undefined) {
    writer.beginNest(FRA_UID_RANGE); // struct fib_rule_uid_range { u32 start, end }
    writer.u32(rule.uidStart);
    writer.u32(rule.uidEnd!);
    writer.endNest();
  }
  if (rule.ipproto !== undefined) writer.attrU8(FRA_IP_PROTO, rule.ipproto);
  if (rule.sportStart !== undefined) writePortRange(writer, FRA_SPORT_RANGE, rule.sportStart, rule.sportEnd!);
  if (rule.dportStart !== undefined) writePortRange(writer, FRA_DPORT_RANGE, rule.dportStart, rule.dportEnd!);
  if (rule.goto !== undefined) writer.attrU32(FRA_GOTO, rule.goto);
  if (rule.protocol !== undefined) writer.attrU8(FRA_PROTOCOL, rule.protocol);
  if (rule.dscp !== undefined) writer.attrU8(FRA_DSCP, rule.dscp);
  if (rule.dscpMask !== undefined) writer.attrU8(FRA_DSCP_MASK, rule.dscpMask);
  if (rule.sportMask !== undefined) writer.attrU16(FRA_SPORT_MASK, rule.sportMask);
  if (rule.dportMask !== undefined) writer.attrU16(FRA_DPORT_MASK, rule.dportMask);
  if (rule.flowlabelMask !== undefined) {
    writer.attrBe32(FRA_FLOWLABEL, rule.flowlabel!);
    writer.attrBe32(FRA_FLOWLABEL_MASK, rule.flowlabelMask);
  }
}

function writePortRange(writer: MessageWriter, type: number, start: number, end: number): void {
  writer.beginNest(type); // struct fib_rule_port_range { u16 start, end }
  writer.u16(start);
  writer.u16(end);
  writer.endNest();
}

/**
 * The full identity of a rule: the kernel's exact fields plus those it compares loosely. Two
 * rules with the same identity are the same rule (what `ensure` and policy plans compare).
 */
export function ruleIdentity(rule: ResolvedRule): string {
  const prefix = (p: ResolvedRule['from']) => (p ? `${Buffer.from(p.bytes).toString('hex')}/${p.length}` : '');
  return JSON.stringify([rule.family, rule.action, rule.table, rule.priority, rule.iif, rule.oif, rule.fwmark, rule.fwmask ?? (rule.fwmark ? 0xffffffff : undefined),
    rule.suppressPrefixLength, rule.suppressIfgroup, rule.l3mdev, rule.uidStart, rule.uidEnd, rule.ipproto, rule.protocol || undefined, rule.sportStart, rule.sportEnd,
    rule.dportStart, rule.dportEnd, prefix(rule.from), prefix(rule.to), rule.tos, rule.dscp, rule.flags, rule.goto, rule.flow,
    rule.dscpMask, rule.sportMask, rule.dportMask, rule.flowlabel, rule.flowlabelMask]);
}

/**
 * Whether a delete request for `request` would take `held` (net/core/fib_rules.c rule_find and
 * the family's compare()): every field the request gives must match; what it leaves out, or
 * gives as 0 where the kernel reads 0 as "any" (action, table, mark, protocol, ip protocol),
 * matches anything. The kernel deletes the first rule in its list that matches.
 */
export function ruleDeleteMatches(request: ResolvedRule, held: ResolvedRule): boolean {
  if (request.family !== held.family) return false;
  if (request.action && held.action !== request.action) return false;
  if (request.table && (held.table ?? 0) !== request.table) return false;
  if (request.priority !== undefined && (held.priority ?? 0) !== request.priority) return false;
  if (request.iif !== undefined && held.iif !== request.iif) return false;
  if (request.oif !== undefined && held.oif !== request.oif) return false;
  if (request.fwmark && (held.fwmark ?? 0) !== request.fwmark) return false;
  const requestMask = storedFwmask(request.fwmark ?? 0, request.fwmask);
  if (requestMask && storedFwmask(held.fwmark ?? 0, held.fwmask) !== requestMask) return false;
  if (request.suppressIfgroup !== undefined && held.suppressIfgroup !== request.suppressIfgroup) return false;
  if (request.suppressPrefixLength !== undefined && held.suppressPrefixLength !== request.suppressPrefixLength) return false;
  if (request.l3mdev && !held.l3mdev) return false;
  if (request.uidStart !== undefined && (held.uidStart !== request.uidStart || held.uidEnd !== request.uidEnd)) return false;
  if (request.ipproto && held.ipproto !== request.ipproto) return false;
  if (request.protocol && (held.protocol ?? 0) !== request.protocol) return false;
  // A request with a single port carries the full mask, and the kernel compares it (rule_find).
  if (request.sportStart !== undefined && (held.sportStart !== request.sportStart || held.sportEnd !== request.sportEnd)) return false;
  if (request.sportStart !== undefined && storedSportMask(held) !== storedSportMask(request)) return false;
  if (request.dportStart !== undefined && (held.dportStart !== request.dportStart || held.dportEnd !== request.dportEnd)) return false;
  if (request.dportStart !== undefined && storedDportMask(held) !== storedDportMask(request)) return false;
  return familyCompare(held, request);
}

/** Message type and flags of each rule request, as `ip rule` sends them (NLM_F_ACK aside). */
export const RULE_REQUESTS = {
  add: { type: RTM_NEWRULE, flags: NLM_F_REQUEST | NLM_F_CREATE | NLM_F_EXCL },
  /** What bulk adds send, in descending priority, after checking duplicates themselves. */
  addUnchecked: { type: RTM_NEWRULE, flags: NLM_F_REQUEST | NLM_F_CREATE },
  delete: { type: RTM_DELRULE, flags: NLM_F_REQUEST },
} as const;

/** Writes the header of a rule dump request for one family (0 for both). */
export function encodeRuleDumpRequest(writer: MessageWriter, family: number): void {
  writer.u8(family);
  writer.zeros(FIB_RULE_HDR_LEN - 1);
}

/**
 * Decodes an RTM_NEWRULE message into a Rule that can be passed back to delete or add.
 * `tableName` may turn table ids into names.
 */
export function decodeRule(message: NetlinkMessage, tableName?: (id: number) => TableRef): Rule {
  const data = message.data;
  const base = payloadStart(message);
  const family = data[base]!;
  const dstLength = data[base + 1]!;
  const srcLength = data[base + 2]!;
  const tos = data[base + 3]!;
  const headerTable = data[base + 4]!;
  const action = data[base + 7]!;
  const view = new DataView(data.buffer, data.byteOffset, data.byteLength);
  const flags = view.getUint32(base + 8, HOST_IS_LITTLE_ENDIAN);
  const attrs = messageAttributes(message, FIB_RULE_HDR_LEN);
  const rule: Rule = { family: familyName(family === AF_INET6 ? 6 : 4) };
  rule.priority = attrs.u32(FRA_PRIORITY) ?? 0; // the kernel omits FRA_PRIORITY for priority 0
  if (flags & FIB_RULE_INVERT) rule.not = true;
  const src = attrs.bytes(FRA_SRC);
  if (src) rule.from = formatPrefix(src, srcLength);
  const dst = attrs.bytes(FRA_DST);
  if (dst) rule.to = formatPrefix(dst, dstLength);
  if (tos !== 0) rule.tos = tos;
  const dscp = attrs.u8(FRA_DSCP);
  if (dscp !== undefined) rule.dscp = dscp;
  const dscpMask = attrs.u8(FRA_DSCP_MASK);
  if (dscp !== undefined && dscpMask !== undefined && dscpMask !== DSCP_FULL_MASK) rule.dscpMask = dscpMask;
  const flowlabelMask = attrs.be32(FRA_FLOWLABEL_MASK);
  if (flowlabelMask) {
    rule.flowlabel = attrs.be32(FRA_FLOWLABEL) ?? 0;
    if (flowlabelMask !== FLOWLABEL_BITS) rule.flowlabelMask = flowlabelMask;
  }
  const fwmark = attrs.u32(FRA_FWMARK);
  const fwmask = attrs.u32(FRA_FWMASK);
  // The kernel leaves FRA_FWMARK out for mark 0 and sends only the mask.
  if (fwmark !== undefined || fwmask !== undefined) rule.fwmark = fwmark ?? 0;
  // The kernel reports the mask it uses; 0xffffffff is what it assumes when none was given.
  if (fwmask !== undefined && !(fwmask === 0xffffffff && fwmark !== undefined && fwmark !== 0)) rule.fwmask = fwmask;
  const iif = attrs.string(FRA_IIFNAME);
  if (iif !== undefined) rule.iif = iif;
  const oif = attrs.string(FRA_OIFNAME);
  if (oif !== undefined) rule.oif = oif;
  const uid = attrs.bytes(FRA_UID_RANGE);
  if (uid && uid.length >= 8) {
    const uidView = new DataView(uid.buffer, uid.byteOffset, 8);
    rule.uidrange = rangeValue(uidView.getUint32(0, HOST_IS_LITTLE_ENDIAN), uidView.getUint32(4, HOST_IS_LITTLE_ENDIAN));
  }
  const ipproto = attrs.u8(FRA_IP_PROTO);
  if (ipproto !== undefined && ipproto !== 0) rule.ipproto = ipProtocolName(ipproto);
  const sport = decodePortRange(attrs.bytes(FRA_SPORT_RANGE));
  if (sport !== undefined) rule.sport = sport;
  // The kernel reports 0xffff for every single port: a mask only where it is narrower.
  const sportMask = attrs.u16(FRA_SPORT_MASK);
  if (sport !== undefined && sportMask !== undefined && sportMask !== PORT_FULL_MASK) rule.sportMask = sportMask;
  const dport = decodePortRange(attrs.bytes(FRA_DPORT_RANGE));
  if (dport !== undefined) rule.dport = dport;
  const dportMask = attrs.u16(FRA_DPORT_MASK);
  if (dport !== undefined && dportMask !== undefined && dportMask !== PORT_FULL_MASK) rule.dportMask = dportMask;
  const table = attrs.u32(FRA_TABLE) ?? headerTable;
  if (table !== RT_TABLE_UNSPEC) rule.table = tableName ? tableName(table) : table;
  decodeRealms(attrs.u32(FRA_FLOW), rule);
  const actionName = ACTION_NAMES.get(action);
  if (actionName) rule.action = actionName;
  const target = attrs.u32(FRA_GOTO);
  if (target !== undefined) rule.goto = target;
  const suppressPrefixLength = attrs.u32(FRA_SUPPRESS_PREFIXLEN);
  if (suppressPrefixLength !== undefined && suppressPrefixLength !== 0xffffffff) rule.suppressPrefixLength = suppressPrefixLength;
  const suppressIfgroup = attrs.u32(FRA_SUPPRESS_IFGROUP);
  if (suppressIfgroup !== undefined && suppressIfgroup !== 0xffffffff) rule.suppressIfgroup = suppressIfgroup;
  if (attrs.u8(FRA_L3MDEV)) rule.l3mdev = true;
  const protocol = attrs.u8(FRA_PROTOCOL);
  if (protocol !== undefined && protocol !== 0) rule.protocol = protocolName(protocol);
  return rule;
}

function decodePortRange(bytes: Uint8Array | undefined): number | { start: number; end: number } | undefined {
  if (!bytes || bytes.length < 4) return undefined;
  const view = new DataView(bytes.buffer, bytes.byteOffset, 4);
  const start = view.getUint16(0, HOST_IS_LITTLE_ENDIAN);
  const end = view.getUint16(2, HOST_IS_LITTLE_ENDIAN);
  if (start === 0 && end === 0) return undefined;
  return rangeValue(start, end);
}

function prefixKey(prefix: IpPrefix | undefined): string {
  return prefix ? `${Buffer.from(prefix.bytes).toString('hex')}/${prefix.length}` : '';
}

/**
 * What the kernel compares exactly when it decides that a new rule already exists
 * (net/core/fib_rules.c rule_exists()): everything except the source, destination and tos,
 * which it compares only when the new rule sets them. Values are normalized the way the kernel
 * stores them (a mark without a mask has mask 0xffffffff; a missing uid range is 0..(uid_t)-1).
 */
function exactFields(rule: ResolvedRule): number[] {
  const mark = rule.fwmark ?? 0;
  return [
    rule.family, rule.action, rule.table ?? 0, rule.priority ?? -1, mark, storedFwmask(mark, rule.fwmask),
    rule.suppressPrefixLength ?? -1, rule.suppressIfgroup ?? -1, rule.l3mdev ? 1 : 0, rule.uidStart ?? 0, rule.uidEnd ?? 0xffffffff,
    rule.ipproto ?? 0, rule.protocol ?? 0, rule.sportStart ?? 0, rule.sportEnd ?? 0, storedSportMask(rule), rule.dportStart ?? 0, rule.dportEnd ?? 0,
    storedDportMask(rule),
  ];
}

/** The port mask the kernel stores: the one given, else all ones for a single port, else 0. */
function storedPortMask(start: number | undefined, end: number | undefined, mask: number | undefined): number {
  return mask ?? (start !== undefined && start === end ? PORT_FULL_MASK : 0);
}

const storedSportMask = (rule: ResolvedRule) => storedPortMask(rule.sportStart, rule.sportEnd, rule.sportMask);
const storedDportMask = (rule: ResolvedRule) => storedPortMask(rule.dportStart, rule.dportEnd, rule.dportMask);

/** The mask the kernel stores for a rule: the one given, else all ones for a mark that is not 0. */
export function storedFwmask(fwmark: number, fwmask: number | undefined): number {
  return fwmask ?? (fwmark !== 0 ? 0xffffffff : 0);
}

/** Keeps a hash a small integer: cheaper as a key than a heap number. */
export const RULE_HASH_MASK = 0x3fffffff;

/** A 32-bit hash of the fields {@link ruleExactEqual} compares (equal rules hash equal). */
export function ruleExactHash(rule: ResolvedRule): number {
  // FNV-1a over the numbers and the interface names; collisions are settled by ruleExactEqual.
  // No closure or array here: bulk adds hash every rule before the first is sent.
  let h = ruleExactHashOf(rule.family, rule.table ?? 0, rule.priority ?? -1, rule.fwmark ?? 0);
  if (rule.uidStart !== undefined) h = fnvMix(h, rule.uidStart);
  if (rule.dportStart !== undefined) h = fnvMix(h, rule.dportStart);
  if (rule.iif !== undefined) h = fnvMixName(h, rule.iif);
  if (rule.oif !== undefined) h = fnvMixName(h, rule.oif);
  return h & RULE_HASH_MASK;
}

/**
 * The start of {@link ruleExactHash}, over the fields every rule has; masked with
 * RULE_HASH_MASK it is the whole hash of a rule without uid range, port or interfaces.
 */
export function ruleExactHashOf(family: number, table: number, priority: number, fwmark: number): number {
  let h = 0x811c9dc5;
  h = fnvMix(h, family);
  h = fnvMix(h, table);
  h = fnvMix(h, priority);
  return fnvMix(h, fwmark);
}

function fnvMix(h: number, v: number): number {
  h = Math.imul(h ^ (v & 0xffff), 0x01000193);
  return Math.imul(h ^ (v >>> 16), 0x01000193);
}

function fnvMixName(h: number, name: string): number {
  for (let i = 0; i < name.length; i++) h = fnvMix(h, name.charCodeAt(i));
  return fnvMix(h, 0x2f);
}

/** Whether the kernel's exact fields of two rules are equal (see {@link ruleExactHash}). */
export function ruleExactEqual(a: ResolvedRule, b: ResolvedRule): boolean {
  if (a.iif !== b.iif || a.oif !== b.oif) return false;
  const x = exactFields(a);
  const y = exactFields(b);
  for (let i = 0; i < x.length; i++) if (x[i] !== y[i]) return false;
  return true;
}

/**
 * Whether `candidate`, added with NLM_F_EXCL, would be refused because of `existing`: the exact
 * fields are equal, and the family's compare() of fib4/fib6 rules finds the source, destination,
 * tos, dscp and realms equal where the candidate sets them.
 */
export function ruleShadows(existing: ResolvedRule, candidate: ResolvedRule): boolean {
  return ruleExactEqual(existing, candidate) && familyCompare(existing, candidate);
}

/**
 * The family's compare() (fib4_rule_compare, fib6_rule_compare), which both the duplicate check
 * of an add and the lookup of a delete run: the source, destination, tos, dscp and realms of
 * `held` equal those `given` sets.
 */
function familyCompare(held: ResolvedRule, given: ResolvedRule): boolean {
  if (given.from && prefixKey(held.from) !== prefixKey(given.from)) return false;
  if (given.to && prefixKey(held.to) !== prefixKey(given.to)) return false;
  // A rule given FRA_DSCP (dscp_full) never equals a request by tos.
  if (given.tos && (held.dscp !== undefined || held.tos !== given.tos)) return false;
  if (given.dscp !== undefined && held.dscp !== given.dscp) return false;
  if (given.dscpMask !== undefined && (held.dscp === undefined || (held.dscpMask ?? DSCP_FULL_MASK) !== given.dscpMask)) return false;
  if (given.flowlabelMask !== undefined && (held.flowlabel !== given.flowlabel || held.flowlabelMask !== given.flowlabelMask)) return false;
  if (given.flow !== undefined && (held.flow ?? 0) !== given.flow) return false;
  return true;
}
