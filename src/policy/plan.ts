/**
 * Planning: the document compared with what its owner holds in the kernel, giving the minimal
 * changes in the order apply makes them. Only reads: owned rules and routes (the kernel filters
 * the dumps by protocol), the nexthop objects, the addresses, a lookup of each device the
 * document names that none of these lists (an altname, or a link without addresses), the table
 * list of nf_tables and a listing of each owned table the document keeps (to find changes made
 * behind its back), and the document's sysctls; and, when objects go, what of others they would
 * take along.
 */
import { release } from 'node:os';
import { formatAddress, formatPrefix, parsePrefix, type IpPrefix } from '../common/ip.js';
import { kernelAtLeast } from '../common/kernel.js';
import { networkBytes, prefixContains } from '../common/prefix.js';
import type { Handle } from '../handle.js';
import { ValidationError } from '../netlink/errors.js';
import type { NftFamily } from '../nft/json.js';
import { resolveAddress, type Address, type ResolvedAddress } from '../rtnl/addresses.js';
import { AF_INET, AF_INET6, IFA_F_HOMEADDRESS, IFA_F_MANAGETEMPADDR, IFA_F_MCAUTOJOIN, IFA_F_NODAD, IFA_F_NOPREFIXROUTE, RTNH_F_ONLINK, RTPROT_KERNEL, RT_TABLE_MAIN } from '../rtnl/constants.js';
import { protocolCode } from '../rtnl/names.js';
import type { Neighbour } from '../rtnl/neighbours.js';
import { resolveNexthopObject, type NexthopObject, type ResolvedNexthopObject } from '../rtnl/nexthops.js';
import { ownerId } from '../rtnl/owner.js';
import { resolveRoute, type ResolvedRoute, type Route } from '../rtnl/routes.js';
import { resolveRule, ruleIdentity, type Rule } from '../rtnl/rules.js';
import { TableResolver, tableNamesOf } from '../rtnl/tables.js';
import { readSysctl as readSysctlSegments } from '../sys/api.js';
import { nexthopKindsDiffer, nexthopSatisfies, routeSatisfies, routeSlot } from './compare.js';
import { addressIdentity, checkDocument, sysctlText, type CheckedDocument, type DesiredTable, type PolicyDocument } from './document.js';
import { planSysctls } from './sysctls.js';
import { PolicyConflictError } from './errors.js';
import { contentDigest, listTables, type HeldTable } from './nft-tables.js';

/** One change of a plan. `operation` is what an error names if the kernel refuses it. */
export type PlanChange =
  | {
      object: 'address';
      action: 'add' | 'delete';
      operation: 'addAddress' | 'deleteAddress';
      address: Address;
    }
  | { object: 'route'; action: 'add' | 'replace' | 'delete'; operation: 'addRoute' | 'replaceRoute' | 'deleteRoute'; route: Route; previous?: Route }
  | { object: 'rule'; action: 'add' | 'delete'; operation: 'addRule' | 'deleteRule'; rule: Rule }
  | { object: 'nexthop'; action: 'add' | 'replace' | 'delete'; operation: 'addNexthop' | 'replaceNexthop' | 'deleteNexthop'; nexthop: NexthopObject; previous?: NexthopObject }
  | {
      object: 'nftTable';
      action: 'add' | 'replace' | 'delete';
      operation: 'nft transaction';
      family: NftFamily;
      name: string;
      /**
       * Set on a replace of a table that holds the document's version by its tag but whose
       * content changed since routemark created it (someone added or deleted a rule with `nft`):
       * why it is replaced.
       */
      drift?: string;
    }
  | { object: 'sysctl'; action: 'set'; operation: 'setSysctl'; key: string; value: string; previous: string };

/** What {@link planPolicy} returns: the changes apply would make, in its order. */
export interface PolicyPlan {
  /** The owner id the plan was made for. */
  owner: number;
  /**
   * The changes, in the order apply makes them: address adds, nexthop object adds and replaces
   * (single ones before groups), route adds and replaces, rule deletes, rule adds, route
   * deletes, nexthop object deletes (groups first), address deletes, the nf_tables transaction
   * (one change per table), sysctls.
   * A rule that changes is a delete and an add (rules cannot be replaced); a route that changes
   * in its slot is a replace, and so is a nexthop object that changes under its id; a table that
   * changes is replaced whole, atomically, and so is an owned table whose content someone
   * changed behind the policy's back (`drift` says so).
   */
  changes: PlanChange[];
  /** True when the kernel already holds the document: apply would send nothing. */
  empty: boolean;
  /** How many changes of each kind. */
  summary: { add: number; replace: number; delete: number; set: number };
}

/** Options for {@link planPolicy}. */
export interface PlanOptions {
  /** The owner id (default: the handle's `owner`). */
  owner?: number;
}

/** What apply needs besides the plan itself. */
export interface PlanDetails {
  document: CheckedDocument;
  /** nf_tables tables to create (added or replaced). */
  createTables: DesiredTable[];
  /** Owned tables to remove before (replaced or deleted). */
  removeTables: { family: NftFamily; name: string }[];
  /**
   * The content digest of tables replaced because they drifted, by `family|name`: what the
   * table created from the same document held (read from its tag), so the new one can carry it.
   */
  knownContent: Map<string, string>;
}

const details = new WeakMap<PolicyPlan, PlanDetails>();

/** The details apply needs for a plan made by {@link planPolicy}. */
export function planDetails(plan: PolicyPlan): PlanDetails {
  const found = details.get(plan);
  if (found === undefined) throw new ValidationError('plan', plan, 'expected a plan made by planPolicy');
  return found;
}

/** The owner a call works for: the option, else the handle's. */
export function ownerFor(handle: Handle, owner: number | undefined): number {
  if (owner !== undefined) return ownerId(owner, 'options.owner');
  if (handle.owner !== undefined) return handle.owner;
  throw new ValidationError('options.owner', undefined, 'a policy needs an owner id: open the handle with { owner: ID } or pass { owner: ID }');
}

function readSysctl(handle: Handle, key: string): Promise<string> {
  return handle.sysctl.get(key);
}

/** The nexthop object changes of a plan, each list in the order apply sends it. */
interface NexthopChanges {
  adds: PlanChange[];
  replaces: PlanChange[];
  deletes: PlanChange[];
  /** Ids of the owner's objects that go. */
  deleted: Set<number>;
}

/**
 * Nexthop objects by id: the document's against the kernel's. An id held by another owner, a
 * group against a single nexthop, or a resilient group's bucket count cannot be changed by a
 * replace, and reject as conflicts; the owner's objects the document leaves out are deleted.
 */
function planNexthops(wanted: CheckedDocument['nexthops'], listed: NexthopObject[], owner: number): NexthopChanges {
  const held = new Map<number, { nexthop: NexthopObject; resolved: ResolvedNexthopObject }>();
  for (const nexthop of listed) held.set(nexthop.id!, { nexthop, resolved: resolveNexthopObject(nexthop, 'held', 'replace') });
  const singlesFirst = (a: { resolved: ResolvedNexthopObject }, b: { resolved: ResolvedNexthopObject }) => +(a.resolved.group !== undefined) - +(b.resolved.group !== undefined);
  const adds: PlanChange[] = [];
  const replaces: PlanChange[] = [];
  for (const item of [...wanted].sort(singlesFirst)) {
    const id = item.resolved.id;
    const found = held.get(id);
    held.delete(id);
    if (found === undefined) {
      adds.push({ object: 'nexthop', action: 'add', operation: 'addNexthop', nexthop: item.nexthop });
      continue;
    }
    const conflict = (why: string) => new PolicyConflictError(`nexthops[${item.index}]`, `nexthop ${id} ${why}; routemark never changes it`);
    if (found.resolved.protocol !== owner) throw conflict(`exists and is not owner ${owner}'s (its protocol is ${found.resolved.protocol})`);
    if (nexthopKindsDiffer(item.resolved, found.resolved)) {
      throw conflict('is another kind in the kernel (a group and a single nexthop, or groups of two types, cannot replace one another): remove it with a document without it first');
    }
    if (item.resolved.buckets !== undefined && found.resolved.buckets !== undefined && item.resolved.buckets !== found.resolved.buckets) {
      throw conflict(`has ${found.resolved.buckets} buckets in the kernel, which a replace cannot change: remove it with a document without it first`);
    }
    if (!nexthopSatisfies(item.resolved, found.resolved)) {
      replaces.push({ object: 'nexthop', action: 'replace', operation: 'replaceNexthop', nexthop: item.nexthop, previous: found.nexthop });
    }
  }
  const deletes: PlanChange[] = [];
  const deleted = new Set<number>();
  for (const [id, item] of [...held].sort(([, a], [, b]) => -singlesFirst(a, b))) {
    if (item.resolved.protocol !== owner) continue;
    deleted.add(id);
    deletes.push({ object: 'nexthop', action: 'delete', operation: 'deleteNexthop', nexthop: item.nexthop, previous: item.nexthop });
  }
  return { adds, replaces, deletes, deleted };
}

/**
 * Refuses deleting owner's nexthop objects that others use: the kernel deletes every route
 * through a deleted object and takes it out of every group that holds it (remove_nexthop),
 * whoever made them. The owner's own groups that the document keeps may not hold one either
 * (the document contradicts itself); those it drops go first, and so do its routes.
 */
async function checkNexthopDeletes(handle: Handle, checked: CheckedDocument, listed: NexthopObject[], deleted: ReadonlySet<number>): Promise<void> {
  const owner = checked.owner;
  for (const item of checked.nexthops) {
    const member = item.resolved.group?.find(([id]) => deleted.has(id));
    if (member !== undefined) {
      throw new ValidationError(`nexthops[${item.index}].group`, member[0], `nexthop ${member[0]} is owner ${owner}'s and not in the document: it would be deleted, and taken out of this group`);
    }
  }
  const users: string[] = [];
  for (const nexthop of listed) {
    const resolved = resolveNexthopObject(nexthop, 'held', 'replace');
    const members = (resolved.group ?? []).filter(([id]) => deleted.has(id)).map(([id]) => id);
    if (resolved.protocol !== owner && members.length > 0) users.push(`group ${resolved.id} proto ${resolved.protocol} (holds ${members.join(', ')})`);
  }
  for (const route of await handle.routes.list({ table: 'all' })) {
    if (route.nexthopId === undefined || !deleted.has(route.nexthopId) || protocolCode(route.protocol ?? 0, 'route.protocol') === owner) continue;
    users.push(`${routeText(route)} (nhid ${route.nexthopId})`);
  }
  if (users.length > 0) throw othersConflict('nexthops', owner, `nexthop ${[...deleted].join(', ')} (not in the document)`, users);
}

/** A listed route, for messages. */
function routeText(route: Route): string {
  return `route ${route.dst ?? 'default'} table ${route.table ?? RT_TABLE_MAIN} proto ${route.protocol ?? 'unspec'}`;
}

/** The conflict of deleting the owner's `what` (not in the document) where the kernel would take `doomed` of others along. */
function othersConflict(field: string, owner: number, what: string, doomed: string[]): PolicyConflictError {
  return new PolicyConflictError(
    field,
    `deleting owner ${owner}'s ${what} would make the kernel delete or change ${doomed.length} object(s) of others (${doomed.slice(0, 3).join('; ')}${doomed.length > 3 ? '; ...' : ''}); routemark never changes them`,
  );
}

/** Every device name the document gives: its addresses', routes' (each path's) and nexthop objects'. */
function documentDevices(checked: CheckedDocument): Set<string> {
  const names = [
    ...checked.addresses.map((a) => a.resolved.dev),
    ...checked.routes.flatMap((r) => [r.resolved.dev, ...(r.resolved.nexthops ?? []).map((n) => n.dev)]),
    ...checked.nexthops.map((n) => n.resolved.dev),
  ];
  return new Set(names.filter((name): name is string => name !== undefined));
}

/**
 * The link's name for each of `names` that names a link: itself for a link's name, the link's
 * name for an altname. What the kernel lists (`listed`: the devices of its addresses, routes and
 * nexthop objects) is by link name, and no altname equals another link's name; a name none of
 * them shows is looked up (as `ip link show NAME` does), so a document whose devices all carry
 * addresses costs no read more.
 */
async function linkNames(handle: Handle, names: ReadonlySet<string>, listed: Iterable<string | undefined>): Promise<Map<string, string>> {
  const found = new Map<string, string>();
  for (const name of listed) if (name !== undefined) found.set(name, name);
  await Promise.all(
    [...names]
      .filter((name) => !found.has(name))
      .map(async (name) => {
        const link = await handle.links.get(name);
        if (link !== undefined) found.set(name, link.name);
      }),
  );
  return found;
}

/**
 * The document with each device named by its link's name: the kernel keeps the ifindex and lists
 * the name, so a document naming an altname would otherwise never match what it made. Names of
 * no link stay (the kernel refuses them when sent). Two addresses that turn out the same are
 * refused, as they are when spelt alike.
 */
function withLinkNames(checked: CheckedDocument, names: ReadonlyMap<string, string>): CheckedDocument {
  const renamed = <T extends { dev?: string }>(item: T): T => {
    const name = item.dev === undefined ? undefined : names.get(item.dev);
    return name === undefined || name === item.dev ? item : { ...item, dev: name };
  };
  const routes = checked.routes.map((r) => ({
    ...r,
    route: { ...renamed(r.route), ...(r.route.nexthops ? { nexthops: r.route.nexthops.map(renamed) } : {}) },
    resolved: { ...renamed(r.resolved), ...(r.resolved.nexthops ? { nexthops: r.resolved.nexthops.map(renamed) } : {}) },
  }));
  const nexthops = checked.nexthops.map((n) => ({ ...n, nexthop: renamed(n.nexthop), resolved: renamed(n.resolved) }));
  const seen = new Map<string, number>();
  const addresses = checked.addresses.map((a) => {
    const resolved = renamed(a.resolved);
    const identity = addressIdentity(resolved);
    const first = seen.get(identity);
    if (first !== undefined) throw new ValidationError(`addresses[${a.index}]`, a.address, `the same address as addresses[${first}] (${a.resolved.dev} is ${resolved.dev})`);
    seen.set(identity, a.index);
    return { ...a, address: renamed(a.address), resolved, identity };
  });
  return { ...checked, routes, nexthops, addresses };
}

/** An address the kernel holds, in the kernel's order. */
interface HeldAddress {
  address: Address;
  resolved: ResolvedAddress;
  identity: string;
}

/** A listed address, resolved as permanent; undefined for one the library cannot express. */
function resolveHeld(address: Address): ResolvedAddress | undefined {
  try {
    return resolveAddress({ ...address, validLifetime: undefined, preferredLifetime: undefined }, 'held');
  } catch {
    return undefined;
  }
}

const text = (bytes: Uint8Array | undefined) => (bytes ? formatAddress(bytes) : 'none');

/** A point-to-point peer, or 'none' (a peer equal to the address is none: the kernel lists it so). */
function peerText(address: ResolvedAddress): string {
  const peer = text(address.peer?.bytes);
  return peer === text(address.local.bytes) ? 'none' : peer;
}

/**
 * The attributes of `held` that differ from what `wanted` asks for, as `name held-value`.
 * checkDocument leaves out what the kernel would not keep (IPv4 nodad, IPv6 scope and label).
 */
function addressDifferences(wanted: ResolvedAddress, held: ResolvedAddress, heldLabel: string | undefined): string[] {
  const out: string[] = [];
  const ipv4 = wanted.family === AF_INET;
  if (wanted.local.length !== held.local.length) out.push(`prefix length ${held.local.length}`);
  if (peerText(wanted) !== peerText(held)) out.push(`peer ${peerText(held)}`);
  if (text(wanted.broadcast?.bytes) !== text(held.broadcast?.bytes)) out.push(`broadcast ${text(held.broadcast?.bytes)}`);
  if (ipv4 && !labelsAgree(wanted.label, heldLabel ?? held.dev, held.dev)) out.push(`label ${heldLabel ?? held.dev}`);
  if (ipv4 && wanted.scope !== held.scope) out.push(`scope ${held.scope}`);
  const flags = ipv4 ? IFA_F_NOPREFIXROUTE : IFA_F_NODAD | IFA_F_NOPREFIXROUTE;
  if ((wanted.flags & flags) !== (held.flags & flags)) out.push(`${held.flags & IFA_F_NODAD ? 'nodad' : 'no nodad'}, ${held.flags & IFA_F_NOPREFIXROUTE ? 'noprefixroute' : 'no noprefixroute'}`);
  // (resolveAddress refuses home and mngtmpaddr on IPv4: the kernel keeps neither there.)
  for (const [bit, name] of [[IFA_F_HOMEADDRESS, 'home'], [IFA_F_MANAGETEMPADDR, 'mngtmpaddr'], [IFA_F_MCAUTOJOIN, 'autojoin']] as const) {
    if ((wanted.flags & bit) !== (held.flags & bit)) out.push(held.flags & bit ? name : `no ${name}`);
  }
  // The kernel reports no metric for 0, which is also what an address without one gets.
  if ((wanted.metric ?? 0) !== (held.metric ?? 0)) out.push(`metric ${held.metric ?? 0}`);
  return out;
}

const IFNAMSIZ = 16; // IFNAMSIZ: a label's room, its NUL included

/**
 * Whether an IPv4 address's `label` (as listed, on device `dev`) is the one the document asks
 * for (`wanted`). A document address without a label gets the device's name from the kernel;
 * after a rename, the kernel numbers the unlabelled addresses after the first by their place in
 * its list (inetdev_changename: `w4:2`, `w4:3`, the number written over the name's end when both
 * do not fit), and keeps that suffix through later renames. Such a label is the kernel's doing,
 * not a request of someone else's.
 */
function labelsAgree(wanted: string | undefined, label: string, dev: string): boolean {
  if (wanted !== undefined) return wanted === label;
  if (label === dev) return true;
  const numbered = /^.*(:[1-9][0-9]*)$/.exec(label);
  if (numbered === null) return false;
  const suffix = numbered[1]!;
  const room = IFNAMSIZ - 1 - suffix.length;
  return label === dev.slice(0, room) + suffix;
}

/** The subnet an address makes reachable: its peer's, or its own, under its prefix length. */
function subnetOf(address: ResolvedAddress): IpPrefix {
  return { ...address.local, bytes: (address.peer ?? address.local).bytes };
}

/** Whether IPv4 address `b` is in the subnet of `a` on the same device (the kernel's inet_ifa_match). */
function sameSubnet(a: ResolvedAddress, b: ResolvedAddress): boolean {
  if (a.family !== AF_INET || b.family !== AF_INET || a.dev !== b.dev || a.local.length !== b.local.length) return false;
  return prefixContains(subnetOf(a), (b.peer ?? b.local).bytes);
}

/** Whether an IPv4 address's subnet (or its peer) holds `gateway`. */
function reaches(address: ResolvedAddress, gateway: Uint8Array): boolean {
  return address.family === AF_INET && prefixContains(subnetOf(address), gateway);
}

/** Whether the kernel applies a device's boolean IPv4 setting: `all` or the device's own. */
function deviceSetting(handle: Handle, dev: string, setting: string): boolean {
  // By path segments: a device name may hold a dot.
  return ['all', dev].some((scope) => Number(readSysctlSegments(handle, ['net', 'ipv4', 'conf', scope, setting])) > 0);
}

/** Whether a listed route is another owner's: neither the owner's nor the kernel's own. */
export function isOthersRoute(route: Route, owner: number): boolean {
  const protocol = route.protocol === undefined ? 0 : protocolCode(route.protocol, 'route.protocol');
  return protocol !== owner && protocol !== RTPROT_KERNEL;
}

/** The permanent IPv4 neighbours on `devs`: the kernel deletes them with a device's last IPv4 address (arp_ifdown). */
export async function permanentNeighbours(handle: Handle, devs: ReadonlySet<string>): Promise<Neighbour[]> {
  return (await handle.neighbours.list({ family: 'inet' })).filter((n) => n.state === 'PERMANENT' && devs.has(n.dev));
}

/** What the kernel's cascades look at in a route, from a listed route or a document's. */
interface RouteShape {
  family: number;
  table: number;
  dst: IpPrefix | undefined;
  /** Its devices (one per hop; undefined where none is known). */
  devs: (string | undefined)[];
  gateway: boolean;
  nexthopId: number | undefined;
  /** Its source address, as text. */
  src: string | undefined;
}

/** The shape of a route as the kernel lists it. */
function listedShape(route: Route): RouteShape {
  const family = route.family === 'inet6' ? AF_INET6 : AF_INET;
  return {
    family,
    table: typeof route.table === 'number' ? route.table : RT_TABLE_MAIN,
    dst: route.dst === undefined || route.dst === 'default' ? undefined : parsePrefix(route.dst, 'route.dst'),
    devs: route.nexthops ? route.nexthops.map((n) => n.dev) : [route.dev],
    gateway: route.gateway !== undefined || (route.nexthops ?? []).some((n) => n.gateway !== undefined),
    nexthopId: route.nexthopId,
    src: route.src,
  };
}

/** The address changes of a plan, each list in the order apply sends it. */
interface AddressChanges {
  adds: PlanChange[];
  deletes: PlanChange[];
}

/**
 * Addresses by identity: the document's against the kernel's. One that another owner holds, or
 * that the owner holds with other attributes (the kernel changes none in place), is a conflict.
 * The owner's addresses the document leaves out are deleted (secondaries before their primary),
 * unless that would take or change more than the document says: an IPv4 primary's secondaries,
 * those the document adds included (unless the device promotes them); routes of other owners;
 * or the document's own routes.
 */
async function planAddresses(handle: Handle, checked: CheckedDocument, listed: Address[], links: ReadonlyMap<string, string>): Promise<AddressChanges> {
  const owner = checked.owner;
  const held: HeldAddress[] = [];
  for (const address of listed) {
    const resolved = resolveHeld(address);
    if (resolved !== undefined) held.push({ address, resolved, identity: addressIdentity(resolved) });
  }
  const byIdentity = new Map(held.map((h) => [h.identity, h]));
  const adds: PlanChange[] = [];
  const added: ResolvedAddress[] = [];
  const kept = new Set<string>();
  for (const wanted of checked.addresses) {
    const field = `addresses[${wanted.index}]`;
    if (!links.has(wanted.resolved.dev)) throw new ValidationError(`${field}.dev`, wanted.resolved.dev, 'no such interface');
    const found = byIdentity.get(wanted.identity);
    if (found === undefined) {
      adds.push({ object: 'address', action: 'add', operation: 'addAddress', address: wanted.address });
      added.push(wanted.resolved);
      continue;
    }
    const name = `address ${found.address.address}${found.address.peer ? ` peer ${found.address.peer}` : ''} on ${found.resolved.dev}`;
    if (found.resolved.protocol !== owner) {
      throw new PolicyConflictError(field, `${name} exists and is not owner ${owner}'s (${found.resolved.protocol === undefined ? 'it has no protocol' : `its protocol is ${found.resolved.protocol}`}); routemark never changes it`);
    }
    const differences = addressDifferences(wanted.resolved, found.resolved, found.address.label);
    if (differences.length > 0) {
      throw new PolicyConflictError(field, `${name} is owner ${owner}'s with ${differences.join(', ')}, which the kernel cannot change in place: remove it with a document without it first`);
    }
    kept.add(found.identity);
  }
  // Secondaries come after their primary in the kernel's list: deleted in reverse, each goes
  // before the primary that would take it along.
  const gone = held.filter((h) => h.resolved.protocol === owner && !kept.has(h.identity)).reverse();
  const goneIdentities = new Set(gone.map((h) => h.identity));
  const remaining = [...held.filter((h) => !goneIdentities.has(h.identity)).map((h) => h.resolved), ...added];
  const deletes: PlanChange[] = [];
  for (const item of gone) {
    const name = `address ${item.address.address} on ${item.resolved.dev}`;
    const primary = held.find((h) => sameSubnet(h.resolved, item.resolved));
    const secondaries = remaining.filter((a) => sameSubnet(item.resolved, a));
    if (primary === item && secondaries.length > 0 && !deviceSetting(handle, item.resolved.dev, 'promote_secondaries')) {
      throw new PolicyConflictError(
        'addresses',
        `${name} is owner ${owner}'s and not in the document, but deleting it would delete its secondaries ${secondaries.map((a) => formatPrefix(a.local.bytes, a.local.length, true)).join(', ')} too (promote_secondaries is off both in net.ipv4.conf.all and for ${item.resolved.dev})`,
      );
    }
    // Sent with its label, whatever a rename made of it: the kernel takes any label back.
    deletes.push({ object: 'address', action: 'delete', operation: 'deleteAddress', address: item.address });
  }
  // What deleting them makes the kernel do besides, to routes of every owner:
  // - delete every IPv4 route through a device left without an IPv4 address (fib_disable_ip),
  //   and its permanent IPv4 neighbours (arp_ifdown);
  // - delete the main-table routes whose IPv4 source address is gone from every device
  //   (fib_sync_down_addr looks at no other table);
  // - strip a gone IPv6 source address from the routes of every table (fib6_remove_prefsrc;
  //   a new copy still tentative does not count; routes by nexthop id are left alone);
  // - delete a main-table route to a gone IPv6 address's prefix on its device, gateway-less, when
  //   no other address there has that prefix (cleanup_prefix_route), and routes to its peer.
  const emptied = new Set(gone.filter((h) => h.resolved.family === AF_INET && !remaining.some((a) => a.family === AF_INET && a.dev === h.resolved.dev)).map((h) => h.resolved.dev));
  const usable = remaining.filter((a) => a.family === AF_INET || a.flags & IFA_F_NODAD || !added.includes(a));
  const lostSources = new Set(gone.filter((h) => !usable.some((a) => text(a.local.bytes) === text(h.resolved.local.bytes))).map((h) => text(h.resolved.local.bytes)));
  const prefixKey = (dev: string, bytes: Uint8Array, length: number) => `${dev}|${formatPrefix(networkBytes(bytes, length), length, true)}`;
  const cleanedPrefixes = new Set(
    gone
      // /128 too: the kernel made a prefix route for it as well, and deletes one on the way out.
      .filter((h) => h.resolved.family !== AF_INET && !(h.resolved.flags & IFA_F_NOPREFIXROUTE))
      .map((h) => prefixKey(h.resolved.dev, h.resolved.local.bytes, h.resolved.local.length))
      .filter((key) => !remaining.some((a) => a.family !== AF_INET && prefixKey(a.dev, a.local.bytes, a.local.length) === key)),
  );
  const lostPeers = new Set(gone.filter((h) => h.resolved.family !== AF_INET && h.resolved.peer !== undefined).map((h) => prefixKey(h.resolved.dev, h.resolved.peer!.bytes, 128)));
  /** Which of its fields a route loses with the deletes, if any. */
  const affected = (route: RouteShape): 'src' | 'dev' | 'dst' | undefined => {
    if (route.family === AF_INET) {
      if (route.src !== undefined && route.table === RT_TABLE_MAIN && lostSources.has(route.src)) return 'src';
      if (route.devs.some((d) => d !== undefined && emptied.has(d))) return 'dev';
      return undefined;
    }
    if (route.src !== undefined && route.nexthopId === undefined && lostSources.has(route.src)) return 'src';
    if (route.dst === undefined || route.nexthopId !== undefined) return undefined;
    const dev = route.devs[0];
    if (dev === undefined) return undefined;
    const key = prefixKey(dev, route.dst.bytes, route.dst.length);
    if (route.table === RT_TABLE_MAIN && !route.gateway && route.devs.length === 1 && cleanedPrefixes.has(key)) return 'dst';
    if (route.dst.length === 128 && lostPeers.has(key)) return 'dst';
    return undefined;
  };
  if (gone.length > 0) {
    const doomed = (await handle.routes.list({ table: 'all' }))
      .filter((r) => isOthersRoute(r, owner) && affected(listedShape(r)) !== undefined)
      .map(routeText);
    if (emptied.size > 0) for (const n of await permanentNeighbours(handle, emptied)) doomed.push(`permanent neighbour ${n.address} dev ${n.dev}`);
    if (doomed.length > 0) throw othersConflict('addresses', owner, gone.map((h) => `${h.address.address} on ${h.resolved.dev}`).join(', '), doomed);
  }
  // A gateway without a device is on the device whose subnet holds it.
  const before = held.map((h) => h.resolved);
  const devsOf = (hop: { dev?: string; gateway?: { bytes: Uint8Array; via: boolean } }): (string | undefined)[] =>
    hop.dev !== undefined || hop.gateway === undefined || hop.gateway.via ? [hop.dev] : [...before, ...added].filter((a) => reaches(a, hop.gateway!.bytes)).map((a) => a.dev);
  for (const route of checked.routes) {
    const resolved = route.resolved;
    const at = `routes[${route.index}]`;
    const hops = [resolved, ...(resolved.nexthops ?? [])];
    const shape: RouteShape = {
      family: resolved.family,
      table: resolved.table,
      dst: resolved.dst,
      devs: resolved.nexthops ? resolved.nexthops.flatMap(devsOf) : devsOf(resolved),
      gateway: hops.some((h) => h.gateway !== undefined),
      nexthopId: resolved.nexthopId,
      src: resolved.src === undefined ? undefined : text(resolved.src.bytes),
    };
    const lost = affected(shape);
    if (lost === 'src') {
      throw new ValidationError(`${at}.src`, shape.src, `the address is owner ${owner}'s and not in the document: it would be deleted, and the kernel ${resolved.family === AF_INET ? 'deletes the main-table routes' : 'strips it from the routes'} that use it as their source`);
    }
    if (lost === 'dev') {
      const dev = shape.devs.find((d) => d !== undefined && emptied.has(d));
      throw new ValidationError(`${at}.dev`, dev, `${dev} would lose its last IPv4 address (owner ${owner}'s and not in the document), and the kernel deletes the IPv4 routes through it`);
    }
    if (lost === 'dst') {
      throw new ValidationError(`${at}.dst`, formatPrefix(resolved.dst!.bytes, resolved.dst!.length, true), `an address of this prefix (or peer) on ${shape.devs[0]} is owner ${owner}'s and not in the document: deleting it, the kernel deletes this route too`);
    }
    if (resolved.family !== AF_INET) continue;
    for (const hop of hops) {
      const gateway = hop.gateway;
      if (gateway === undefined || gateway.via || hop.flags & RTNH_F_ONLINK) continue;
      if (gone.some((h) => reaches(h.resolved, gateway.bytes)) && !remaining.some((a) => reaches(a, gateway.bytes))) {
        throw new ValidationError(`${at}.gateway`, text(gateway.bytes), `the address whose subnet reaches it is owner ${owner}'s and not in the document: it would be deleted, and the route left unreachable`);
      }
    }
  }
  return { adds, deletes };
}

/**
 * Why an owned table that holds the document's version by its tag must be replaced anyway, if
 * it must: its content changed since routemark created it (compared by {@link contentDigest}
 * with the digest its tag recorded), or its tag records no content digest (a table created by
 * an older version, whose content cannot be checked until it is replaced once).
 */
async function tableDrift(handle: Handle, held: HeldTable): Promise<string | undefined> {
  if (held.content === undefined) return 'its tag records no content digest (created by an older routemark): replaced once so that later changes to it are found';
  const now = contentDigest(await handle.nft.list({ family: held.family, table: held.name }));
  if (now === held.content) return undefined;
  return `its content changed since routemark created it (content digest ${now}, created as ${held.content}): a chain, rule, set, element or object was added, deleted or changed outside the policy`;
}

/**
 * Compares a policy document with what its owner holds and returns the minimal changes, without
 * changing anything. Bad input rejects with a ValidationError naming the field; an nf_tables
 * table of the document's name that another owner holds rejects with a PolicyConflictError.
 *
 * @example
 * ```ts
 * const plan = await planPolicy(ns, { rules: [{ fwmark: 65, priority: 1000, table: 100 }] });
 * for (const change of plan.changes) console.log(change.action, change.object);
 * ```
 */
export async function planPolicy(handle: Handle, document: PolicyDocument, options: PlanOptions = {}): Promise<PolicyPlan> {
  const owner = ownerFor(handle, options.owner);
  const tables = new TableResolver(tableNamesOf(handle));
  const given = checkDocument(document, owner, tables);
  if (given.addresses.length > 0 && !kernelAtLeast(6, 1)) {
    // Older kernels drop IFA_PROTO: the owner's addresses would look like anyone's.
    throw new ValidationError('addresses', document.addresses, `policy addresses need Linux 6.1 or later, which keeps the owner id on them (IFA_PROTO); this kernel is ${release()}`);
  }
  const [heldRules, heldRoutes, heldNexthops, heldTables, sysctls, heldAddresses] = await Promise.all([
    handle.rules.list({ protocol: owner }),
    handle.routes.list({ table: 'all', protocol: owner }),
    handle.nexthops.list(),
    listTables(handle),
    Promise.all(given.sysctls.map(async (s) => ({ ...s, current: sysctlText(await readSysctl(handle, s.key)) }))),
    handle.addresses.list(),
  ]);
  const listedDevices = [
    ...heldAddresses.map((a) => a.dev),
    ...heldRoutes.flatMap((r) => [r.dev, ...(r.nexthops ?? []).map((n) => n.dev)]),
    ...heldNexthops.map((n) => n.dev),
  ];
  const links = await linkNames(handle, documentDevices(given), listedDevices);
  const checked = withLinkNames(given, links);
  const addressChanges = await planAddresses(handle, checked, heldAddresses, links);

  const changes: PlanChange[] = [];
  // Routes: the kernel holds one per slot, but what came in with NLM_F_APPEND may share one.
  const heldBySlot = new Map<string, { route: Route; resolved: ResolvedRoute }[]>();
  for (const route of heldRoutes) {
    const resolved = resolveRoute(route, 'held', 'add', tables);
    const slot = routeSlot(resolved);
    const list = heldBySlot.get(slot);
    if (list === undefined) heldBySlot.set(slot, [{ route, resolved }]);
    else list.push({ route, resolved });
  }
  const routeAdds: PlanChange[] = [];
  const routeReplaces: PlanChange[] = [];
  const routeDeletes: PlanChange[] = [];
  const deleteRoute = (route: Route): PlanChange => ({ object: 'route', action: 'delete', operation: 'deleteRoute', route, previous: route });
  for (const wanted of checked.routes) {
    const held = heldBySlot.get(wanted.slot);
    heldBySlot.delete(wanted.slot);
    if (held === undefined) {
      routeAdds.push({ object: 'route', action: 'add', operation: 'addRoute', route: wanted.route });
      continue;
    }
    // NLM_F_REPLACE takes the first route of the slot; any others go.
    if (!routeSatisfies(wanted.resolved, held[0]!.resolved)) {
      routeReplaces.push({ object: 'route', action: 'replace', operation: 'replaceRoute', route: wanted.route, previous: held[0]!.route });
    }
    for (const extra of held.slice(1)) routeDeletes.push(deleteRoute(extra.route));
  }
  for (const held of heldBySlot.values()) for (const { route } of held) routeDeletes.push(deleteRoute(route));
  // Rules: by identity; a changed rule is a delete and an add; duplicates of one go.
  const heldIdentities = new Map<string, Rule[]>();
  for (const rule of heldRules) {
    const identity = ruleIdentity(resolveRule(rule, 'held', false, tables));
    const list = heldIdentities.get(identity);
    if (list === undefined) heldIdentities.set(identity, [rule]);
    else list.push(rule);
  }
  const wantedIdentities = new Set(checked.rules.map((r) => r.identity));
  const ruleDeletes: PlanChange[] = [];
  for (const [identity, rules] of heldIdentities) {
    for (const rule of wantedIdentities.has(identity) ? rules.slice(1) : rules) {
      ruleDeletes.push({ object: 'rule', action: 'delete', operation: 'deleteRule', rule });
    }
  }
  const ruleAdds: PlanChange[] = checked.rules
    .filter((r) => !heldIdentities.has(r.identity))
    .map((r) => ({ object: 'rule', action: 'add', operation: 'addRule', rule: r.rule }));
  const nexthopChanges = planNexthops(checked.nexthops, heldNexthops, owner);
  for (const route of checked.routes) {
    const id = route.resolved.nexthopId;
    if (id !== undefined && nexthopChanges.deleted.has(id)) {
      throw new ValidationError(`routes[${route.index}].nexthopId`, id, `nexthop ${id} is owner ${owner}'s and not in the document: it would be deleted, and the route with it`);
    }
  }
  if (nexthopChanges.deleted.size > 0) await checkNexthopDeletes(handle, checked, heldNexthops, nexthopChanges.deleted);
  changes.push(
    ...addressChanges.adds,
    ...nexthopChanges.adds,
    ...nexthopChanges.replaces,
    ...routeAdds,
    ...routeReplaces,
    ...ruleDeletes,
    ...ruleAdds,
    ...routeDeletes,
    ...nexthopChanges.deletes,
    ...addressChanges.deletes,
  );

  // nf_tables: whole tables, by digest; a table whose tag says it holds the document's version
  // is listed and its content compared with what routemark created, so that a rule someone
  // added or deleted with `nft` is replaced too.
  const createTables: DesiredTable[] = [];
  const removeTables: { family: NftFamily; name: string }[] = [];
  const knownContent = new Map<string, string>();
  const heldByName = new Map(heldTables.map((t) => [`${t.family}|${t.name}`, t]));
  const drifts = new Map<string, string | undefined>();
  await Promise.all(
    checked.tables.map(async (table) => {
      const key = `${table.family}|${table.name}`;
      const held = heldByName.get(key);
      if (held === undefined || held.owner !== owner || held.digest !== table.digest) return;
      drifts.set(key, await tableDrift(handle, held));
    }),
  );
  const wantedTables = new Set<string>();
  for (const table of checked.tables) {
    const key = `${table.family}|${table.name}`;
    wantedTables.add(key);
    const held = heldByName.get(key);
    if (held === undefined) {
      createTables.push(table);
      changes.push({ object: 'nftTable', action: 'add', operation: 'nft transaction', family: table.family, name: table.name });
      continue;
    }
    if (held.owner !== owner) {
      throw new PolicyConflictError(
        `nftables[${table.index}].table`,
        `table ${table.family} ${table.name} exists and is not owner ${owner}'s (${held.owner === undefined ? 'it carries no owner tag' : `it is owner ${held.owner}'s`}); routemark never changes it`,
      );
    }
    const drift = drifts.get(key);
    if (held.digest === table.digest && drift === undefined) continue;
    createTables.push(table);
    removeTables.push({ family: table.family, name: table.name });
    if (drift !== undefined && held.content !== undefined) knownContent.set(key, held.content);
    changes.push({ object: 'nftTable', action: 'replace', operation: 'nft transaction', family: table.family, name: table.name, ...(drift === undefined ? {} : { drift }) });
  }
  for (const held of heldTables) {
    if (held.owner !== owner || wantedTables.has(`${held.family}|${held.name}`)) continue;
    removeTables.push({ family: held.family, name: held.name });
    changes.push({ object: 'nftTable', action: 'delete', operation: 'nft transaction', family: held.family, name: held.name });
  }

  changes.push(...planSysctls(sysctls));

  const summary = { add: 0, replace: 0, delete: 0, set: 0 };
  for (const change of changes) summary[change.action]++;
  const plan: PolicyPlan = { owner, changes, empty: changes.length === 0, summary };
  details.set(plan, { document: checked, createTables, removeTables, knownContent });
  return plan;
}
