import { type FamilyName, familyName, formatPrefix, parsePrefix, type IpPrefix } from '../common/ip.js';
import { knownKeys, plainObject, u32, u8 } from '../common/validate.js';
import { HOST_IS_LITTLE_ENDIAN, type MessageWriter } from '../netlink/attributes.js';
import { ValidationError } from '../netlink/errors.js';
import { messageAttributes, payloadStart, type NetlinkMessage } from '../netlink/message.js';
import {
  AF_INET,
  AF_INET6,
  FIB_RULE_HDR_LEN,
  FIB_RULE_INVERT,
  FRA_DST,
  FRA_FWMARK,
  FRA_FWMASK,
  FRA_GOTO,
  FRA_PRIORITY,
  FRA_PROTOCOL,
  FRA_SRC,
  FRA_TABLE,
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
import { NLM_F_CREATE, NLM_F_EXCL, NLM_F_REQUEST } from '../netlink/constants.js';

/** What a rule does when it matches. */
export type RuleAction = 'lookup' | 'goto' | 'nop' | 'blackhole' | 'unreachable' | 'prohibit';

/**
 * A policy routing rule (`ip rule`). Absent fields are `undefined`, never 0: `fwmark: 0` and
 * `priority: 0` are real values.
 */
export interface Rule {
  /** 'inet' (IPv4) or 'inet6'. Taken from `from`/`to` when absent, else 'inet'. */
  family?: FamilyName;
  /** Preference: lower runs first (`ip rule ... priority N`). */
  priority?: number;
  /** Source prefix (`from 192.0.2.0/24`; a bare address is a host prefix). */
  from?: string;
  /** Destination prefix (`to ...`). */
  to?: string;
  /** Firewall mark to match (`fwmark 65`). */
  fwmark?: number;
  /** Mask for fwmark (`fwmark 65/0xff`); the kernel uses 0xffffffff when absent. */
  fwmask?: number;
  /** Routing table id for `lookup` (`table 1`); ids above 255 work. */
  table?: number;
  /** The action; `lookup` when absent on add (with table main if no table is given). */
  action?: RuleAction;
  /** Target priority for `action: 'goto'`. */
  goto?: number;
  /** Invert the selector (`ip rule add not ...`). */
  not?: boolean;
  /** Who installed the rule (FRA_PROTOCOL); routemark tags its own rules with it. */
  protocol?: number;
}

const RULE_KEYS: ReadonlySet<string> = new Set([
  'family', 'priority', 'from', 'to', 'fwmark', 'fwmask', 'table', 'action', 'goto', 'not', 'protocol',
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
  priority?: number;
  from?: IpPrefix;
  to?: IpPrefix;
  fwmark?: number;
  fwmask?: number;
  table?: number;
  action: number;
  goto?: number;
  flags: number;
  protocol?: number;
}

/**
 * Checks a rule and converts it to kernel values. `forDelete` leaves the action unspecified
 * unless given, so a delete matches whatever the rule does (as `ip rule del` does).
 */
export function resolveRule(input: Rule, field = 'rule', forDelete = false): ResolvedRule {
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

  if (rule.action !== undefined && !(rule.action in ACTION_CODES)) {
    throw new ValidationError(`${field}.action`, rule.action, `expected one of ${Object.keys(ACTION_CODES).join(', ')}`);
  }
  let action = rule.action !== undefined ? ACTION_CODES[rule.action] : forDelete ? FR_ACT_UNSPEC : FR_ACT_TO_TBL;
  if (rule.action === undefined && rule.goto !== undefined) action = FR_ACT_GOTO;
  if (action === FR_ACT_GOTO && rule.goto === undefined && !forDelete) {
    throw new ValidationError(`${field}.goto`, rule.goto, "action 'goto' needs a target priority");
  }
  if (rule.not !== undefined && typeof rule.not !== 'boolean') throw new ValidationError(`${field}.not`, rule.not, 'expected a boolean');
  if (rule.fwmask !== undefined && rule.fwmark === undefined) {
    throw new ValidationError(`${field}.fwmask`, rule.fwmask, 'a mask needs fwmark');
  }
  let table = rule.table !== undefined ? u32(rule.table, `${field}.table`) : undefined;
  if (table === undefined && action === FR_ACT_TO_TBL && !forDelete) table = RT_TABLE_MAIN;
  const resolved: ResolvedRule = { family: family === 4 ? AF_INET : AF_INET6, action, flags: rule.not ? FIB_RULE_INVERT : 0 };
  if (rule.priority !== undefined) resolved.priority = u32(rule.priority, `${field}.priority`);
  if (from) resolved.from = from;
  if (to) resolved.to = to;
  if (rule.fwmark !== undefined) resolved.fwmark = u32(rule.fwmark, `${field}.fwmark`);
  if (rule.fwmask !== undefined) resolved.fwmask = u32(rule.fwmask, `${field}.fwmask`);
  if (table !== undefined) resolved.table = table;
  if (rule.goto !== undefined) resolved.goto = u32(rule.goto, `${field}.goto`);
  if (rule.protocol !== undefined) resolved.protocol = u8(rule.protocol, `${field}.protocol`);
  return resolved;
}

/**
 * Writes a rule message body (struct fib_rule_hdr and attributes) in the order iproute2 uses
 * for `ip rule add [not] from P to P fwmark M[/K] priority N table T`, so that the bytes equal
 * those of the equivalent `ip` command.
 */
export function encodeRule(writer: MessageWriter, rule: ResolvedRule): void {
  const smallTable = rule.table !== undefined && rule.table < 256;
  writer.u8(rule.family);
  writer.u8(rule.to?.length ?? 0); // dst_len
  writer.u8(rule.from?.length ?? 0); // src_len
  writer.u8(0); // tos
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
  if (rule.goto !== undefined) writer.attrU32(FRA_GOTO, rule.goto);
  if (rule.protocol !== undefined) writer.attrU8(FRA_PROTOCOL, rule.protocol);
}

/** Message type and flags of each rule request, as `ip rule` sends them (NLM_F_ACK aside). */
export const RULE_REQUESTS = {
  add: { type: RTM_NEWRULE, flags: NLM_F_REQUEST | NLM_F_CREATE | NLM_F_EXCL },
  delete: { type: RTM_DELRULE, flags: NLM_F_REQUEST },
} as const;

/** Writes the header of a rule dump request for one family (0 for both). */
export function encodeRuleDumpRequest(writer: MessageWriter, family: number): void {
  writer.u8(family);
  writer.zeros(FIB_RULE_HDR_LEN - 1);
}

/** Decodes an RTM_NEWRULE message into a Rule that can be passed back to delete or add. */
export function decodeRule(message: NetlinkMessage): Rule {
  const data = message.data;
  const base = payloadStart(message);
  const family = data[base]!;
  const dstLength = data[base + 1]!;
  const srcLength = data[base + 2]!;
  const headerTable = data[base + 4]!;
  const action = data[base + 7]!;
  const flags = new DataView(data.buffer, data.byteOffset).getUint32(base + 8, HOST_IS_LITTLE_ENDIAN);
  const attrs = messageAttributes(message, FIB_RULE_HDR_LEN);
  const rule: Rule = { family: familyName(family === AF_INET6 ? 6 : 4) };
  const priority = attrs.u32(FRA_PRIORITY);
  rule.priority = priority ?? 0; // the kernel omits FRA_PRIORITY for priority 0
  const src = attrs.bytes(FRA_SRC);
  if (src) rule.from = formatPrefix(src, srcLength);
  const dst = attrs.bytes(FRA_DST);
  if (dst) rule.to = formatPrefix(dst, dstLength);
  const fwmark = attrs.u32(FRA_FWMARK);
  if (fwmark !== undefined) rule.fwmark = fwmark;
  const fwmask = attrs.u32(FRA_FWMASK);
  if (fwmask !== undefined) rule.fwmask = fwmask;
  const table = attrs.u32(FRA_TABLE) ?? headerTable;
  if (table !== RT_TABLE_UNSPEC) rule.table = table;
  const actionName = ACTION_NAMES.get(action);
  if (actionName) rule.action = actionName;
  const target = attrs.u32(FRA_GOTO);
  if (target !== undefined) rule.goto = target;
  if (flags & FIB_RULE_INVERT) rule.not = true;
  const protocol = attrs.u8(FRA_PROTOCOL);
  if (protocol !== undefined) rule.protocol = protocol;
  return rule;
}
