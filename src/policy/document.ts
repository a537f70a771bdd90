/**
 * The policy document: everything an agent wants the kernel to hold for one owner (addresses,
 * rules, routes, nexthop objects, nf_tables tables, sysctls), checked and converted before
 * anything is read or sent.
 * schema/policy.schema.json describes the same document for other languages and editors.
 */
import { createHash } from 'node:crypto';
import { formatAddress, type IpPrefix } from '../common/ip.js';
import { networkBytes } from '../common/prefix.js';
import { ValidationError } from '../netlink/errors.js';
import type { NftChain, NftFamily, NftMap, NftRule, NftSet, NftTable } from '../nft/json.js';
import { addressProtocolCode, resolveAddress, type Address, type ResolvedAddress } from '../rtnl/addresses.js';
import { AF_INET, AF_INET6 } from '../rtnl/constants.js';
import { protocolCode } from '../rtnl/names.js';
import { resolveNexthopObject, type NexthopObject, type ResolvedNexthopObject } from '../rtnl/nexthops.js';
import { resolveRoute, type ResolvedRoute, type Route } from '../rtnl/routes.js';
import { resolveRule, ruleIdentity, type ResolvedRule, type Rule } from '../rtnl/rules.js';
import type { TableResolver } from '../rtnl/tables.js';
import { sysctlKey, sysctlKeySegments } from '../sys/api.js';
import { routeSlot } from './compare.js';

/** One nf_tables object of a policy document, as `nft -j list table` prints it. */
export type PolicyNftObject = { table: NftTable } | { chain: NftChain } | { rule: NftRule } | { set: NftSet } | { map: NftMap };

/**
 * What one owner wants the kernel to hold. Every section is the whole truth for that owner: an
 * address, rule, route, nexthop object or table the owner holds that the document does not list
 * is deleted (an absent section is an empty one). Nothing of other owners (other protocols,
 * tables without the owner's tag) is ever changed or deleted. Sysctls are not owned: those
 * listed are set, the others are left as they are.
 */
export interface PolicyDocument {
  /** The JSON Schema this document follows (ignored; for editors). */
  $schema?: string;
  /** Policy rules (`ip rule`); each needs a `priority`, so that its identity is stable. */
  rules?: Rule[];
  /** Routes (`ip route`), in any tables. */
  routes?: Route[];
  /**
   * Nexthop objects (`ip nexthop`), each with its `id`: routes use them by `nexthopId`, and a
   * changed object is replaced in place, moving every route that uses it at once. A group and a
   * single nexthop cannot replace one another (the kernel refuses it).
   */
  nexthops?: NexthopObject[];
  /**
   * nf_tables tables and their contents, as `nft -j list table` prints them: a `table` object
   * for each table, and `chain`, `rule`, `set` and `map` objects naming their table. Each table
   * is replaced as a whole, atomically, when its contents change.
   */
  nftables?: PolicyNftObject[];
  /**
   * Interface addresses (`ip addr`), tagged with the owner id (IFA_PROTO, Linux 6.1+). They are
   * permanent (no lifetimes), and give nothing the kernel would not keep (IPv4 `nodad`, IPv6
   * `scope` and `label`). The kernel changes none of an address's attributes in place, so an
   * address the owner holds with other ones is a conflict: remove it with a document without it
   * first. Deletes that would make the kernel take or change more (secondaries, routes) are
   * refused; see planPolicy.
   */
  addresses?: Address[];
  /**
   * Network sysctls to set (`"net.ipv4.ip_forward": 1`), keyed dotted or as a path, as sysctl(8)
   * takes them (`net.ipv4.conf.eth0/100.rp_filter` is `net/ipv4/conf/eth0.100/rp_filter`).
   */
  sysctls?: Record<string, string | number | boolean>;
}

const DOCUMENT_KEYS: ReadonlySet<string> = new Set(['$schema', 'addresses', 'rules', 'routes', 'nexthops', 'nftables', 'sysctls']);
const NFT_OBJECT_KINDS: ReadonlySet<string> = new Set(['table', 'chain', 'rule', 'set', 'map']);
const NFT_FAMILIES: ReadonlySet<string> = new Set(['ip', 'ip6', 'inet', 'arp', 'bridge', 'netdev']);

/** A rule of the document, checked. */
export interface DesiredRule {
  /** Index in `document.rules`. */
  index: number;
  /** The rule as given, with the owner's protocol. */
  rule: Rule;
  resolved: ResolvedRule;
  identity: string;
}

/** A route of the document, checked. */
export interface DesiredRoute {
  /** Index in `document.routes`. */
  index: number;
  /** The route as given, with the owner's protocol. */
  route: Route;
  resolved: ResolvedRoute;
  /** What the kernel identifies it by (table, destination, tos, metric). */
  slot: string;
}

/** A nexthop object of the document, checked. */
export interface DesiredNexthop {
  /** Index in `document.nexthops`. */
  index: number;
  /** The object as given, with the owner's protocol. */
  nexthop: NexthopObject;
  resolved: ResolvedNexthopObject;
}

/** An address of the document, checked. */
export interface DesiredAddress {
  /** Index in `document.addresses`. */
  index: number;
  /** The address as given, with the owner's protocol. */
  address: Address;
  resolved: ResolvedAddress;
  /** What the kernel finds it by (see {@link addressIdentity}). */
  identity: string;
}

/**
 * What the kernel finds an address by when it is added or deleted: on its device, an IPv6
 * address by itself; an IPv4 one by its local address, prefix length, and the subnet of its
 * peer (or of itself) under that length (find_matching_ifa, inet_ifa_match).
 */
export function addressIdentity(address: ResolvedAddress): string {
  const local = formatAddress(address.local.bytes);
  if (address.family !== AF_INET) return `6|${address.dev}|${local}`;
  const subnet = networkBytes((address.peer ?? address.local).bytes, address.local.length);
  return `4|${address.dev}|${local}/${address.local.length}|${formatAddress(subnet)}`;
}

/** An nf_tables table of the document with its objects. */
export interface DesiredTable {
  family: NftFamily;
  name: string;
  /** Index of the table object in `document.nftables`. */
  index: number;
  /** The table's objects (the table first), each with its index in `document.nftables`. */
  objects: { object: PolicyNftObject; index: number }[];
  /** The user's own comment on the table, if any (the tag goes before it). */
  comment: string | undefined;
  /** A digest of the table's contents as the document gives them. */
  digest: string;
}

/** A sysctl of the document, checked. */
export interface DesiredSysctl {
  /** Dotted, as sysctl(8) spells it, whatever form the document used. */
  key: string;
  value: string;
}

/** A document checked against one owner. */
export interface CheckedDocument {
  owner: number;
  addresses: DesiredAddress[];
  rules: DesiredRule[];
  routes: DesiredRoute[];
  nexthops: DesiredNexthop[];
  tables: DesiredTable[];
  sysctls: DesiredSysctl[];
}

function arrayOf(document: Record<string, unknown>, key: string): unknown[] {
  const value = document[key];
  if (value === undefined) return [];
  if (!Array.isArray(value)) throw new ValidationError(key, value, 'expected an array');
  return value;
}

/** JSON with object keys sorted, so that equal contents give equal text. */
export function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (value !== null && typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>)
      .filter(([, v]) => v !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(',')}}`;
  }
  return JSON.stringify(value) ?? 'null';
}

/** Normalizes a sysctl value to what /proc/sys prints (tabs and repeated blanks as one space). */
export function sysctlText(value: string): string {
  return value.trim().split(/\s+/).join(' ');
}

/** One integer as the kernel's proc_get_long reads it (strtoul, base 0): hex, octal or decimal. */
const KERNEL_INTEGER = /^(-?)(?:0[xX]([0-9a-fA-F]+)|0([0-7]*)|([1-9][0-9]*))$/;

/**
 * A value of blank-separated integers as the kernel prints it back: in decimal, so "02" is "2",
 * "010" is "8" and "0x10" is "16" (the kernel parses with base 0). A value with any other word
 * (a string sysctl, or "08", which the kernel refuses) stays as given.
 */
function kernelIntegers(value: string): string {
  const words = value.split(' ');
  const numbers: string[] = [];
  for (const word of words) {
    const match = KERNEL_INTEGER.exec(word);
    if (match === null) return value;
    const [, sign, hex, octal, decimal] = match;
    const magnitude = hex !== undefined ? BigInt(`0x${hex}`) : octal !== undefined ? BigInt(`0o${octal || '0'}`) : BigInt(decimal!);
    numbers.push(String(sign && magnitude !== 0n ? -magnitude : magnitude));
  }
  return numbers.join(' ');
}

function checkSysctls(value: unknown): DesiredSysctl[] {
  if (value === undefined) return [];
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw new ValidationError('sysctls', value, 'expected an object of sysctl keys and values');
  const out: DesiredSysctl[] = [];
  const givenAs = new Map<string, string>(); // by the key sysctl(8) spells: as the document gave it
  for (const [given, raw] of Object.entries(value as Record<string, unknown>)) {
    const field = `sysctls[${JSON.stringify(given)}]`;
    // The sysctl API's own check: every key it can read or write, and nothing outside /proc/sys/net.
    const key = sysctlKey(sysctlKeySegments(given, field));
    const twin = givenAs.get(key);
    if (twin !== undefined) throw new ValidationError(field, given, `names the same sysctl as ${JSON.stringify(twin)}`);
    givenAs.set(key, given);
    let text: string;
    if (typeof raw === 'boolean') text = raw ? '1' : '0';
    else if (typeof raw === 'number' && Number.isInteger(raw)) text = String(raw);
    else if (typeof raw === 'string' && raw.trim() !== '' && !/[\n\0]/.test(raw)) text = kernelIntegers(sysctlText(raw));
    else throw new ValidationError(field, raw, 'expected an integer, a boolean or a single-line string');
    out.push({ key, value: text });
  }
  return out;
}

function checkNft(objects: unknown[]): DesiredTable[] {
  const tables = new Map<string, DesiredTable>();
  const pending: { key: string; object: PolicyNftObject; index: number }[] = [];
  objects.forEach((item, index) => {
    const field = `nftables[${index}]`;
    if (typeof item !== 'object' || item === null || Array.isArray(item)) throw new ValidationError(field, item, 'expected an object such as { "table": {...} }');
    const kinds = Object.keys(item);
    const kind = kinds[0];
    if (kinds.length !== 1 || kind === undefined || !NFT_OBJECT_KINDS.has(kind)) {
      throw new ValidationError(field, item, 'expected exactly one of table, chain, rule, set, map (as `nft -j list table` prints them)');
    }
    const body = (item as Record<string, unknown>)[kind];
    if (typeof body !== 'object' || body === null || Array.isArray(body)) throw new ValidationError(`${field}.${kind}`, body, 'expected an object');
    const fields = body as Record<string, unknown>;
    if (typeof fields.family !== 'string' || !NFT_FAMILIES.has(fields.family)) {
      throw new ValidationError(`${field}.${kind}.family`, fields.family, `expected one of ${[...NFT_FAMILIES].join(', ')}`);
    }
    if (fields.handle !== undefined) throw new ValidationError(`${field}.${kind}.handle`, fields.handle, 'a policy document gives no handles (the kernel assigns them)');
    if (kind === 'table') {
      if (typeof fields.name !== 'string' || fields.name === '') throw new ValidationError(`${field}.table.name`, fields.name, 'expected a table name');
      if (fields.comment !== undefined && typeof fields.comment !== 'string') throw new ValidationError(`${field}.table.comment`, fields.comment, 'expected a string');
      const key = `${fields.family}|${fields.name}`;
      if (tables.has(key)) throw new ValidationError(`${field}.table`, body, `table ${fields.family} ${fields.name} is declared twice (first at nftables[${tables.get(key)!.index}])`);
      tables.set(key, {
        family: fields.family as NftFamily,
        name: fields.name,
        index,
        objects: [{ object: item as PolicyNftObject, index }],
        comment: fields.comment as string | undefined,
        digest: '',
      });
      return;
    }
    if (typeof fields.table !== 'string') throw new ValidationError(`${field}.${kind}.table`, fields.table, 'expected the name of a table the document declares');
    pending.push({ key: `${fields.family}|${fields.table}`, object: item as PolicyNftObject, index });
  });
  for (const { key, object, index } of pending) {
    const table = tables.get(key);
    const kind = Object.keys(object)[0]!;
    if (table === undefined) {
      throw new ValidationError(`nftables[${index}].${kind}.table`, (object as Record<string, { table: string }>)[kind]!.table, `no table ${key.replace('|', ' ')} is declared in the document (add { "table": { "family": ..., "name": ... } })`);
    }
    table.objects.push({ object, index });
  }
  for (const table of tables.values()) {
    table.digest = createHash('sha256').update(canonicalJson(table.objects.map((o) => o.object))).digest('hex').slice(0, 16);
  }
  return [...tables.values()];
}

/**
 * A route with its IPv6 prefixes masked to their lengths, as the kernel stores them
 * (ipv6_addr_prefix in ip6_route_info_create): unmasked, `2001:db8:1::5/48` would never be found
 * in its slot again. IPv4 prefixes stay as given: the kernel refuses bits past the length.
 */
function maskedPrefixes(route: ResolvedRoute): ResolvedRoute {
  if (route.family !== AF_INET6) return route;
  const mask = (prefix: IpPrefix | undefined) => (prefix === undefined ? undefined : { ...prefix, bytes: networkBytes(prefix.bytes, prefix.length) });
  const masked: ResolvedRoute = { ...route, dst: mask(route.dst) };
  if (route.from !== undefined) masked.from = mask(route.from);
  return masked;
}

/** How {@link ownedSection} checks the items of one section. */
interface SectionChecks<T, R> {
  /** What the section asks beyond the type's own checks (throws a ValidationError). */
  check: (given: T, field: string) => void;
  resolve: (item: T, field: string) => R;
  /** What the kernel tells two items apart by. */
  identity: (resolved: R) => string;
  /** The error for an item that is the same as item `first`. */
  duplicate: (first: number, field: string, item: unknown, resolved: R) => ValidationError;
}

/**
 * The items of a section the owner holds (rules, routes, nexthop objects, addresses): each an
 * object, carrying the owner's protocol (a different one is refused), resolved, and none the same
 * as an earlier one.
 */
function ownedSection<T extends { protocol?: unknown }, R>(
  document: Record<string, unknown>,
  key: string,
  noun: string,
  owner: number,
  protocolOf: (value: unknown, field: string) => number,
  checks: SectionChecks<T, R>,
): { index: number; given: T; resolved: R; identity: string }[] {
  const seen = new Map<string, number>();
  return arrayOf(document, key).map((item, index) => {
    const field = `${key}[${index}]`;
    if (typeof item !== 'object' || item === null || Array.isArray(item)) throw new ValidationError(field, item, `expected ${/^[aeiou]/.test(noun) ? 'an' : 'a'} ${noun} object`);
    const given = item as T;
    checks.check(given, field);
    if (given.protocol !== undefined && protocolOf(given.protocol, `${field}.protocol`) !== owner) {
      throw new ValidationError(`${field}.protocol`, given.protocol, `a policy ${noun} carries the owner's protocol (${owner}); leave protocol out`);
    }
    const withOwner: T = { ...given, protocol: owner };
    const resolved = checks.resolve(withOwner, field);
    const identity = checks.identity(resolved);
    const first = seen.get(identity);
    if (first !== undefined) throw checks.duplicate(first, field, item, resolved);
    seen.set(identity, index);
    return { index, given: withOwner, resolved, identity };
  });
}

/**
 * Checks a policy document for one owner and converts it for planning. Bad input throws a
 * ValidationError naming the field (`routes[3].gateway`) and the value; nothing is read or sent.
 */
export function checkDocument(input: unknown, owner: number, tables: TableResolver): CheckedDocument {
  if (typeof input !== 'object' || input === null || Array.isArray(input)) throw new ValidationError('document', input, 'expected a policy document object');
  const document = input as Record<string, unknown>;
  for (const key of Object.keys(document)) {
    if (!DOCUMENT_KEYS.has(key)) throw new ValidationError(key, document[key], `unknown section (known: ${[...DOCUMENT_KEYS].filter((k) => k !== '$schema').join(', ')})`);
  }
  const rules = ownedSection<Rule, ResolvedRule>(document, 'rules', 'rule', owner, protocolCode, {
    check: (given, field) => {
      if (given.priority === undefined) throw new ValidationError(`${field}.priority`, undefined, 'a policy rule needs a priority (without one the kernel picks it, and the rule has no stable identity)');
    },
    resolve: (rule, field) => resolveRule(rule, field, false, tables),
    identity: ruleIdentity,
    duplicate: (first, field, item) => new ValidationError(field, item, `the same rule as rules[${first}]`),
  }).map(({ index, given: rule, resolved, identity }) => ({ index, rule, resolved, identity }));
  const routes = ownedSection<Route, ResolvedRoute>(document, 'routes', 'route', owner, protocolCode, {
    check: (given, field) => {
      if (given.expires !== undefined) throw new ValidationError(`${field}.expires`, given.expires, 'a policy cannot hold a route that the kernel deletes when it expires; leave expires out');
    },
    resolve: (route, field) => maskedPrefixes(resolveRoute(route, field, 'add', tables)),
    identity: routeSlot,
    duplicate: (first, field, item) => new ValidationError(field, item, `routes[${first}] has the same table, destination, source prefix, tos and metric: the kernel holds one route per slot (use nexthops for several paths)`),
  }).map(({ index, given: route, resolved, identity: slot }) => ({ index, route, resolved, slot }));
  const nexthops = ownedSection<NexthopObject, ResolvedNexthopObject>(document, 'nexthops', 'nexthop', owner, protocolCode, {
    check: (given, field) => {
      if (given.id === undefined) throw new ValidationError(`${field}.id`, undefined, 'a policy nexthop needs an id (routes name it by id; without one the kernel picks it)');
    },
    resolve: (nexthop, field) => resolveNexthopObject(nexthop, field, 'add'),
    identity: (resolved) => String(resolved.id),
    duplicate: (first, field, _item, resolved) => new ValidationError(`${field}.id`, resolved.id, `nexthops[${first}] has the same id`),
  }).map(({ index, given: nexthop, resolved }) => ({ index, nexthop, resolved }));
  const addresses = ownedSection<Address, ResolvedAddress>(document, 'addresses', 'address', owner, addressProtocolCode, {
    check: (given, field) => {
      for (const key of ['validLifetime', 'preferredLifetime'] as const) {
        if (given[key] !== undefined) throw new ValidationError(`${field}.${key}`, given[key], 'a policy address is permanent (the kernel would delete or deprecate it); leave lifetimes out');
      }
    },
    resolve: (address, field) => {
      const resolved = resolveAddress(address, field);
      // What the kernel would not keep could never be found equal again.
      const refuse = (key: 'nodad' | 'scope' | 'label', why: string) => {
        if (address[key] !== undefined && address[key] !== false) throw new ValidationError(`${field}.${key}`, address[key], why);
      };
      if (resolved.family === AF_INET) refuse('nodad', 'IPv4 has no duplicate address detection (the kernel drops the flag); leave nodad out');
      else {
        refuse('scope', "the kernel derives an IPv6 address's scope from the address; leave scope out");
        refuse('label', 'the kernel keeps no label on IPv6 addresses; leave label out');
      }
      // The kernel takes any label, but on a rename rewrites each to the new name and its ':'
      // suffix (inetdev_changename): a label under another prefix is one a document could not
      // keep through a rename, so a document's starts with its device's name.
      if (resolved.label !== undefined && !resolved.label.startsWith(resolved.dev)) {
        throw new ValidationError(`${field}.label`, resolved.label, `a policy address's label starts with its device's name (${resolved.dev})`);
      }
      return resolved;
    },
    identity: addressIdentity,
    duplicate: (first, field, item) => new ValidationError(field, item, `the same address as addresses[${first}]`),
  }).map(({ index, given: address, resolved, identity }) => ({ index, address, resolved, identity }));
  const nftTables = checkNft(arrayOf(document, 'nftables'));
  return { owner, addresses, rules, routes, nexthops, tables: nftTables, sysctls: checkSysctls(document.sysctls) };
}
