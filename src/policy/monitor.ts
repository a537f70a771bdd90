/**
 * A live view of a namespace: links, addresses, routes, rules and nexthop objects (and nf_tables
 * changes), kept
 * from a consistent snapshot by applying the kernel's events to it.
 *
 * Consistency: the event socket joins its multicast groups first, then dumps everything on the
 * same socket; events that arrive meanwhile are held and applied after the dumps. Every event
 * carries the whole object and means "it is now so" or "it is gone", so applying one the dump
 * already reflects changes nothing: no change is missed and none is counted twice. When the
 * kernel drops events (ENOBUFS: the receive buffer overflowed), the monitor does the same again
 * and reports a `resync` with the fresh snapshot. nf_tables changes are ordered by the ruleset
 * generation: those the snapshot's generation already includes are skipped.
 */
import { EventEmitter } from 'node:events';
import type { FamilyName } from '../common/ip.js';
import type { Handle } from '../handle.js';
import type { Connection } from '../netlink/connection.js';
import { NETLINK_NETFILTER, NETLINK_ROUTE, NLM_F_DUMP, NLM_F_REPLACE, NLM_F_REQUEST } from '../netlink/constants.js';
import { NetlinkError, ValidationError } from '../netlink/errors.js';
import { messageAttributes, payloadStart, type NetlinkMessage } from '../netlink/message.js';
import {
  NFGENMSG_SIZE,
  NFTA_CHAIN_NAME,
  NFTA_CHAIN_TABLE,
  NFTA_GEN_ID,
  NFTA_RULE_CHAIN,
  NFTA_RULE_HANDLE,
  NFTA_RULE_TABLE,
  NFTA_SET_ELEM_LIST_SET,
  NFTA_SET_ELEM_LIST_TABLE,
  NFTA_SET_NAME,
  NFTA_SET_TABLE,
  NFTA_TABLE_NAME,
  NFT_MSG_DELCHAIN,
  NFT_MSG_DELRULE,
  NFT_MSG_DELSET,
  NFT_MSG_DELSETELEM,
  NFT_MSG_DELTABLE,
  NFT_MSG_NEWCHAIN,
  NFT_MSG_NEWGEN,
  NFT_MSG_NEWRULE,
  NFT_MSG_NEWSET,
  NFT_MSG_NEWSETELEM,
  NFT_MSG_NEWTABLE,
  NFNL_SUBSYS_NFTABLES,
  NFNLGRP_NFTABLES,
} from '../nft/constants.js';
import { familyName } from '../nft/decompile.js';
import type { NftFamily, NftListing } from '../nft/json.js';
import { decodeAddress, encodeAddressDumpRequest, type Address } from '../rtnl/addresses.js';
import { familiesOf } from '../rtnl/base.js';
import {
  FIB_RULE_HDR_LEN,
  RTM_DELADDR,
  RTM_DELLINK,
  RTM_DELNEXTHOP,
  RTM_DELROUTE,
  RTM_DELRULE,
  RTM_F_CLONED,
  RTM_GETADDR,
  RTM_GETNEXTHOP,
  RTM_GETROUTE,
  RTM_GETRULE,
  RTM_NEWADDR,
  RTM_NEWLINK,
  RTM_NEWNEXTHOP,
  RTM_NEWROUTE,
  RTM_NEWRULE,
  RTNLGRP_IPV4_IFADDR,
  RTNLGRP_IPV4_ROUTE,
  RTNLGRP_IPV4_RULE,
  RTNLGRP_IPV6_IFADDR,
  RTNLGRP_IPV6_ROUTE,
  RTNLGRP_IPV6_RULE,
  RTNLGRP_LINK,
  RTNLGRP_NEXTHOP,
} from '../rtnl/constants.js';
import { decodeLink, dumpLinks, type Link } from '../rtnl/links.js';
import { decodeNexthopObject, encodeNexthopDumpRequest, type NexthopObject } from '../rtnl/nexthops.js';
import { decodeRoute, encodeRouteDumpRequest, type Route } from '../rtnl/routes.js';
import { decodeRule, encodeRuleDumpRequest, type Rule } from '../rtnl/rules.js';
import { abortSignal } from './apply.js';
import { canonicalJson } from './document.js';
import { EventQueue } from './event-queue.js';


/** What the monitor watches. */
export type MonitorKind = 'link' | 'address' | 'route' | 'rule' | 'nexthop' | 'nft';

/** The state of a namespace at one moment, as the list calls return it. */
export interface NetworkSnapshot {
  links: Link[];
  addresses: Address[];
  /** Routes of every table, both families (cached routes excluded, as `ip route` does). */
  routes: Route[];
  /** Rules in the kernel's order, IPv4 first. */
  rules: Rule[];
  /** Nexthop objects by id (empty unless the monitor watches `nexthop`). */
  nexthops: NexthopObject[];
  /** The nf_tables ruleset and its generation, when the monitor watches `nft`. */
  nft?: { generation: number; ruleset: NftListing };
}

/** One nf_tables object a committed transaction added or removed. */
export interface NftChange {
  action: 'new' | 'delete';
  object: 'table' | 'chain' | 'rule' | 'set' | 'element';
  family: NftFamily;
  table: string;
  /** The chain of a rule, or the chain's own name. */
  chain?: string;
  /** The set's name (for sets and elements). */
  set?: string;
  /** A rule's handle. */
  handle?: number;
}

/** An event of a {@link NetworkMonitor}. `new` also means "changed". */
export type MonitorEvent =
  | { type: 'link'; action: 'new' | 'delete'; link: Link }
  | { type: 'address'; action: 'new' | 'delete'; address: Address }
  | { type: 'route'; action: 'new' | 'delete'; route: Route }
  | { type: 'rule'; action: 'new' | 'delete'; rule: Rule }
  /** A nexthop object made, replaced or deleted (also by the kernel, when its device goes down). */
  | { type: 'nexthop'; action: 'new' | 'delete'; nexthop: NexthopObject }
  /** A committed nf_tables transaction: the ruleset's new generation and what it changed. */
  | { type: 'nft'; generation: number; changes: NftChange[] }
  /**
   * Events were lost (the kernel's buffer overflowed, or the consumer fell `maxQueued` behind):
   * the monitor dumped everything again; `snapshot` is the state now, and later events follow it.
   */
  | { type: 'resync'; reason: 'overrun' | 'queue'; snapshot: NetworkSnapshot };

/** Options for {@link startMonitor}. */
export interface MonitorOptions {
  /** What to watch (default: all six). */
  kinds?: MonitorKind[];
  /** SO_RCVBUF of the event socket (default 8 MiB): how far the kernel may run ahead of you. */
  receiveBufferSize?: number;
  /** Events kept for a slow iterator; past it they are dropped for one `resync` (default 65536). */
  maxQueued?: number;
  /** Closes the monitor (and rejects a start still under way). */
  signal?: AbortSignal;
  /** Rejects the start if the first snapshot takes longer (milliseconds). */
  timeoutMs?: number;
  /**
   * Only IPv4 (`inet`) or only IPv6 (`inet6`) addresses, routes and rules, in events and
   * snapshots, like `ip -4 monitor` (default: both). The kernel is asked for that family's
   * groups only. Links, nexthop objects and nf_tables are not per family and are watched whole.
   */
  family?: FamilyName;
}

const ALL_KINDS: readonly MonitorKind[] = ['link', 'address', 'route', 'rule', 'nexthop', 'nft'];
/** The rtnetlink groups of each kind, per family (links and nexthop objects have one group for both). */
const ROUTE_GROUPS: Record<Exclude<MonitorKind, 'nft'>, { inet: number[]; inet6: number[] }> = {
  link: { inet: [RTNLGRP_LINK], inet6: [RTNLGRP_LINK] },
  address: { inet: [RTNLGRP_IPV4_IFADDR], inet6: [RTNLGRP_IPV6_IFADDR] },
  route: { inet: [RTNLGRP_IPV4_ROUTE], inet6: [RTNLGRP_IPV6_ROUTE] },
  rule: { inet: [RTNLGRP_IPV4_RULE], inet6: [RTNLGRP_IPV6_RULE] },
  nexthop: { inet: [RTNLGRP_NEXTHOP], inet6: [RTNLGRP_NEXTHOP] },
};

function rtmFlags(message: NetlinkMessage): number {
  return new DataView(message.data.buffer, message.data.byteOffset, message.data.byteLength).getUint32(payloadStart(message) + 8, true);
}

function ifindexOf(message: NetlinkMessage, offset: number): number {
  return new DataView(message.data.buffer, message.data.byteOffset, message.data.byteLength).getInt32(payloadStart(message) + offset, true);
}

/**
 * A route's slot: what the kernel replaces in place, whatever the route's type (a blackhole
 * replaces a unicast route): table, destination, tos and priority for IPv4 (fib_table_insert);
 * table, destination, source prefix and metric for IPv6 (a fib6 node per dst/src).
 */
function slotOf(route: Route): string {
  const within = route.family === 'inet6' ? (route.from ?? '') : String(route.tos ?? 0);
  return `${route.family}|${route.table}|${route.dst}|${within}|${route.metric ?? 0}`;
}

/**
 * A route's identity: its canonical text without the time it has left, which the kernel counts
 * down on its own (an expiring route read again is the same route).
 */
function routeIdentity(route: Route): string {
  return canonicalJson({ ...route, expires: undefined });
}

/**
 * Whether the kernel makes an IPv6 route a sibling of an ECMP group (rt6_qualify_for_ecmp):
 * by a gateway, not a nexthop object, not learned from a router advertisement.
 */
function ecmpCapable(route: Route): boolean {
  return route.nexthopId === undefined && route.protocol !== 'ra' && (route.gateway !== undefined || route.nexthops !== undefined);
}

/** The kernel's state, kept in maps while events arrive. */
class State {
  links = new Map<number, Link>();
  /** Addresses by "ifindex|address|peer". */
  addresses = new Map<string, Address>();
  /** Routes by slot, in the kernel's order within a slot. */
  routes = new Map<string, Route[]>();
  /** Rules per family, in the kernel's order. */
  rules = new Map<string, Rule[]>([
    ['inet', []],
    ['inet6', []],
  ]);
  nexthops = new Map<number, NexthopObject>();

  linkName = (index: number): string | undefined => this.links.get(index)?.name;

  /**
   * A link renamed (`ip link set br0 name br9`): the kernel tells only about the link itself,
   * yet ip names it anew everywhere at once. Names are unique at any moment and events come in
   * order, so whatever named `from` named this link.
   */
  renameLink(index: number, from: string, to: string): void {
    for (const link of this.links.values()) {
      if (link.masterIndex === index) link.master = to;
      if (link.linkIndex === index) link.link = to;
    }
    for (const [key, address] of this.addresses) if (key.startsWith(`${index}|`)) address.dev = to;
    for (const list of this.routes.values()) {
      for (const route of list) {
        if (route.dev === from) route.dev = to;
        for (const nexthop of route.nexthops ?? []) if (nexthop.dev === from) nexthop.dev = to;
      }
    }
    for (const nexthop of this.nexthops.values()) if (nexthop.dev === from) nexthop.dev = to;
  }

  snapshot(kinds: ReadonlySet<MonitorKind>): NetworkSnapshot {
    return {
      links: [...this.links.values()].map((l) => structuredClone(l)),
      // Addresses are followed for routes' sake too, but complete only when watched.
      addresses: kinds.has('address') ? [...this.addresses.values()].map((a) => structuredClone(a)) : [],
      routes: [...this.routes.values()].flat().map((r) => structuredClone(r)),
      rules: [...this.rules.get('inet')!, ...this.rules.get('inet6')!].map((r) => structuredClone(r)),
      nexthops: [...this.nexthops.values()].sort((a, b) => a.id! - b.id!).map((n) => structuredClone(n)),
    };
  }
}

/**
 * A live view of a namespace. Iterate it with `for await` (one iterator), or listen for
 * `'event'`, `'resync'`, `'error'` and `'close'`. {@link NetworkMonitor.snapshot} is the state
 * after every event delivered so far.
 */
export class NetworkMonitor extends EventEmitter implements AsyncIterable<MonitorEvent> {
  private readonly handle: Handle;
  private readonly kinds: ReadonlySet<MonitorKind>;
  /** The address families whose addresses, routes and rules are watched. */
  private readonly families: readonly number[];
  private readonly maxQueued: number;
  private readonly signal: AbortSignal | undefined;
  private route: Connection | undefined;
  private netfilter: Connection | undefined;
  private releases: (() => void)[] = [];
  private state = new State();
  /** Events held while a dump runs (undefined when none runs). */
  private held: NetlinkMessage[] | undefined = [];
  private overrun = false;
  private syncing: Promise<void> | undefined;
  private nftGeneration = 0;
  private nftListing: { generation: number; ruleset: NftListing } | undefined;
  /** Changes of transactions whose NEWGEN has not come yet, with the generation they name. */
  private nftPending: { resId: number; change: NftChange }[] = [];
  /** A re-read of the routes under way, with the route events that came meanwhile. */
  private refresh: { messages: NetlinkMessage[]; nexthopMessages: NetlinkMessage[]; again: boolean } | undefined;
  private refreshScheduled = false;
  /** nf_tables transactions committed while a dump ran, for after it. */
  private nftHeld: { generation: number; changes: NftChange[] }[] = [];
  private readonly events = new EventQueue<MonitorEvent>('monitor', () => this.close());
  private closed = false;
  private readonly onAbort = () => this.close();

  /** Use {@link startMonitor}, which resolves once the first snapshot is ready. */
  constructor(handle: Handle, options: MonitorOptions = {}) {
    super();
    this.handle = handle;
    const kinds = options.kinds ?? ALL_KINDS;
    if (!Array.isArray(kinds) || kinds.length === 0 || kinds.some((k) => !ALL_KINDS.includes(k))) {
      throw new ValidationError('options.kinds', options.kinds, `expected a non-empty array of ${ALL_KINDS.join(', ')}`);
    }
    this.kinds = new Set(kinds);
    const family = options.family;
    this.families = familiesOf(family, 'options.family');
    const familyNames: FamilyName[] = family === undefined ? ['inet', 'inet6'] : [family];
    this.maxQueued = options.maxQueued ?? 65536;
    this.signal = options.signal;
    const receiveBufferSize = options.receiveBufferSize ?? 8 << 20;
    const watched = [...this.kinds].filter((k): k is Exclude<MonitorKind, 'nft'> => k !== 'nft');
    // Routes need link and address events too: IPv4 routes that go with a link or an address
    // vanish without an event of their own, and these events say when to read them again.
    if (this.kinds.has('route')) watched.push('link', 'address');
    // The kernel deletes nexthop objects of a link that goes down without telling: link events
    // say when to read them again.
    if (this.kinds.has('nexthop')) watched.push('link');
    // Addresses name their devices, and only link events name a link made after the start.
    if (this.kinds.has('address')) watched.push('link');
    const groups = [...new Set(watched.flatMap((k) => familyNames.flatMap((f) => ROUTE_GROUPS[k][f])))];
    if (groups.length > 0) {
      this.route = handle.openConnection(NETLINK_ROUTE, {
        receiveBufferSize,
        onUnsolicited: (m) => this.onRouteMessage(m),
        onOverrun: () => this.onOverrun(),
        // A socket that failed for good hears nothing more: the iterator ends with the error rather than going quiet.
        onError: (error) => this.fail(error),
      });
      for (const group of groups) this.route.socket.addMembership(group);
      this.releases.push(this.route.hold());
    }
    if (this.kinds.has('nft')) {
      this.netfilter = handle.openConnection(NETLINK_NETFILTER, {
        receiveBufferSize,
        onUnsolicited: (m) => this.onNftMessage(m),
        onOverrun: () => this.onOverrun(),
        onError: (error) => this.fail(error),
      });
      this.netfilter.socket.addMembership(NFNLGRP_NFTABLES);
      this.releases.push(this.netfilter.hold());
    }
    if (this.signal?.aborted) this.close();
    else this.signal?.addEventListener('abort', this.onAbort, { once: true });
  }

  /** Takes the first snapshot (subscribed already, so nothing falls between). */
  async start(timeoutMs?: number): Promise<void> {
    const timeout = abortSignal(undefined, timeoutMs);
    const sync = this.sync().then(() => this.releaseNft());
    if (timeout === undefined) return sync;
    await new Promise<void>((resolve, reject) => {
      const onTimeout = () => {
        this.close();
        reject(timeout.reason);
      };
      timeout.addEventListener('abort', onTimeout, { once: true });
      sync.then(
        () => {
          timeout.removeEventListener('abort', onTimeout);
          resolve();
        },
        (error) => {
          timeout.removeEventListener('abort', onTimeout);
          reject(error);
        },
      );
    });
  }

  /**
   * The state after every event delivered so far. The nf_tables ruleset (when watched) is
   * listed again if a transaction committed since the last listing.
   */
  async snapshot(): Promise<NetworkSnapshot> {
    const snapshot = this.state.snapshot(this.kinds);
    if (this.kinds.has('nft')) snapshot.nft = await this.nftSnapshot();
    return snapshot;
  }

  private async nftSnapshot(): Promise<{ generation: number; ruleset: NftListing }> {
    if (this.nftListing === undefined || this.nftListing.generation !== this.nftGeneration) {
      const { ruleset, generation } = await this.handle.nft.snapshot();
      this.nftListing = { ruleset, generation };
      if (generation > this.nftGeneration) this.nftGeneration = generation;
    }
    return structuredClone(this.nftListing);
  }

  /** Dumps everything into a fresh state, then applies the events held meanwhile. */
  private sync(): Promise<void> {
    this.syncing ??= (async () => {
      try {
        for (;;) {
          this.overrun = false;
          this.held = [];
          // Changes gathered so far belong to transactions committed before the dump below,
          // which its snapshot shows; kept, they would be told with a later transaction.
          this.nftPending = [];
          const state = new State();
          try {
            await this.dumpInto(state);
          } catch (error) {
            // The kernel ends a dump with ENOBUFS when events fill the receive queue under it.
            if (!(error instanceof NetlinkError && error.code === 'ENOBUFS') || this.closed) throw error;
            await new Promise((resolve) => setTimeout(resolve, 10));
            continue;
          }
          if (this.overrun) continue; // events were lost during the dump: again
          const held = this.held;
          this.held = undefined;
          this.state = state;
          for (const message of held) this.applyRoute(message, false);
          return;
        }
      } finally {
        this.syncing = undefined;
      }
    })();
    return this.syncing;
  }

  private async dumpInto(state: State): Promise<void> {
    const route = this.route;
    if (route !== undefined) {
      const dump = dumper(route);
      // Links first: the other objects name their devices.
      for (const message of await dumpLinks(route)) {
        const link = decodeLink(message, () => undefined);
        state.links.set(link.index, link);
      }
      for (const link of state.links.values()) if (link.masterIndex !== undefined) link.master = state.linkName(link.masterIndex);
      if (this.kinds.has('address')) {
        for (const family of this.families) {
          for (const message of await dump('listAddresses', RTM_GETADDR, (w) => encodeAddressDumpRequest(w, family))) applyAddress(state, message, true);
        }
      }
      await this.dumpRoutesAndNexthops(route, state);
      if (this.kinds.has('rule')) {
        for (const family of this.families) {
          for (const message of await dump('listRules', RTM_GETRULE, (w) => encodeRuleDumpRequest(w, family))) applyRule(state, message, true);
        }
      }
    }
    if (this.netfilter !== undefined) {
      const { ruleset, generation } = await this.handle.nft.snapshot();
      this.nftListing = { ruleset, generation };
      this.nftGeneration = generation;
    }
  }

  /** Reads the routes and nexthop objects (those watched) into `state`. */
  private async dumpRoutesAndNexthops(route: Connection, state: State): Promise<void> {
    const dump = dumper(route);
    if (this.kinds.has('route')) {
      for (const family of this.families) {
        for (const message of await dump('listRoutes', RTM_GETROUTE, (w) => encodeRouteDumpRequest(w, { family }))) applyRouteMessage(state, message, true);
      }
    }
    if (this.kinds.has('nexthop')) {
      for (const message of await dump('listNexthops', RTM_GETNEXTHOP, (w) => encodeNexthopDumpRequest(w, {}))) applyNexthop(state, message, true);
    }
  }

  private onOverrun(): void {
    if (this.closed) return;
    this.overrun = true;
    this.nftPending = [];
    if (this.held !== undefined) return; // a dump is under way: it starts over when done
    this.held = [];
    this.resync('overrun');
  }

  private resync(reason: 'overrun' | 'queue'): void {
    this.sync().then(
      () => {
        if (this.closed) return;
        // Taken now, in the same tick as the dump ended: no event can fall between.
        const snapshot = this.state.snapshot(this.kinds);
        if (this.nftListing !== undefined) snapshot.nft = structuredClone(this.nftListing);
        this.events.clear();
        this.deliver({ type: 'resync', reason, snapshot });
        this.releaseNft();
      },
      (error) => this.fail(error),
    );
  }

  /**
   * The kernel removes IPv4 routes without an event when their link goes down or away, or when
   * an address they depend on goes (fib_sync_down_dev, fib_del_ifaddr), and the routes that
   * used a deleted nexthop object; it removes nexthop objects of a link that goes down, and the
   * members of groups, without an event too (nexthop_flush_dev). After such an event the routes
   * and the objects are read again, and what vanished or changed is reported as events.
   */
  private scheduleRefresh(): void {
    if (!(this.kinds.has('route') || this.kinds.has('nexthop')) || this.closed) return;
    if (this.refresh !== undefined) {
      this.refresh.again = true;
      return;
    }
    if (this.refreshScheduled) return;
    this.refreshScheduled = true;
    setImmediate(() => {
      this.refreshScheduled = false;
      this.refreshAfterSilentChanges().catch((error) => this.fail(error));
    });
  }

  private async refreshAfterSilentChanges(): Promise<void> {
    const route = this.route;
    if (this.closed || this.held !== undefined || route === undefined) return; // a full dump is under way
    const refresh = { messages: [] as NetlinkMessage[], nexthopMessages: [] as NetlinkMessage[], again: false };
    this.refresh = refresh;
    try {
      const scratch = new State();
      scratch.links = this.state.links;
      await this.dumpRoutesAndNexthops(route, scratch);
      if (this.closed || this.held !== undefined) return; // events were lost meanwhile: a full dump takes over
      // Events that came during the dumps may be newer than them: applied again on top.
      if (this.kinds.has('route')) {
        for (const message of refresh.messages) applyRouteMessage(scratch, message, message.type === RTM_NEWROUTE);
        const before = routesByIdentity(this.state.routes);
        const after = routesByIdentity(scratch.routes);
        this.state.routes = scratch.routes;
        for (const [text, gone] of before) if (!after.has(text)) this.deliver({ type: 'route', action: 'delete', route: gone });
        for (const [text, added] of after) if (!before.has(text)) this.deliver({ type: 'route', action: 'new', route: added });
      }
      if (this.kinds.has('nexthop')) {
        for (const message of refresh.nexthopMessages) applyNexthop(scratch, message, message.type === RTM_NEWNEXTHOP);
        const before = this.state.nexthops;
        this.state.nexthops = scratch.nexthops;
        for (const [id, gone] of before) if (!scratch.nexthops.has(id)) this.deliver({ type: 'nexthop', action: 'delete', nexthop: gone });
        for (const [id, now] of scratch.nexthops) {
          const was = before.get(id);
          if (was === undefined || canonicalJson(was) !== canonicalJson(now)) this.deliver({ type: 'nexthop', action: 'new', nexthop: now });
        }
      }
    } catch (error) {
      // Lost replies mean lost events too: the overrun's full dump takes over.
      if (!(error instanceof NetlinkError && error.code === 'ENOBUFS')) throw error;
    } finally {
      this.refresh = undefined;
      if (refresh.again) this.scheduleRefresh();
    }
  }


  private onRouteMessage(message: NetlinkMessage): void {
    if (this.closed) return;
    if (this.held !== undefined) {
      this.held.push(message);
      return;
    }
    this.applyRoute(message, true);
  }

  private applyRoute(message: NetlinkMessage, report: boolean): void {
    const state = this.state;
    let event: MonitorEvent | undefined;
    switch (message.type) {
      case RTM_NEWLINK:
      case RTM_DELLINK: {
        const link = decodeLink(message, state.linkName);
        const was = state.links.get(link.index);
        if (was !== undefined && message.type === RTM_NEWLINK && was.name !== link.name) state.renameLink(link.index, was.name, link.name);
        if (message.type === RTM_DELLINK) state.links.delete(link.index);
        else state.links.set(link.index, link);
        // Down, gone, or (for nexthop objects) without carrier.
        const lost = message.type === RTM_DELLINK || ((was?.up ?? false) && !link.up) || ((was?.lowerUp ?? false) && !link.lowerUp);
        if (report && lost) this.scheduleRefresh();
        if (this.kinds.has('link')) event = { type: 'link', action: message.type === RTM_DELLINK ? 'delete' : 'new', link };
        break;
      }
      case RTM_NEWADDR:
      case RTM_DELADDR: {
        const address = applyAddress(state, message, message.type === RTM_NEWADDR);
        if (report && message.type === RTM_DELADDR && address.family === 'inet') this.scheduleRefresh();
        if (this.kinds.has('address')) event = { type: 'address', action: message.type === RTM_NEWADDR ? 'new' : 'delete', address };
        break;
      }
      case RTM_NEWROUTE:
      case RTM_DELROUTE: {
        this.refresh?.messages.push(message);
        const route = applyRouteMessage(state, message, message.type === RTM_NEWROUTE);
        if (route !== undefined) event = { type: 'route', action: message.type === RTM_NEWROUTE ? 'new' : 'delete', route };
        break;
      }
      case RTM_NEWRULE:
      case RTM_DELRULE: {
        const rule = applyRule(state, message, message.type === RTM_NEWRULE);
        event = { type: 'rule', action: message.type === RTM_NEWRULE ? 'new' : 'delete', rule };
        break;
      }
      case RTM_NEWNEXTHOP:
      case RTM_DELNEXTHOP: {
        this.refresh?.nexthopMessages.push(message);
        const nexthop = applyNexthop(state, message, message.type === RTM_NEWNEXTHOP);
        // The routes that used a deleted object went with it, without events of their own.
        if (report && message.type === RTM_DELNEXTHOP) this.scheduleRefresh();
        event = { type: 'nexthop', action: message.type === RTM_NEWNEXTHOP ? 'new' : 'delete', nexthop };
        break;
      }
      default:
        return;
    }
    if (report && event !== undefined) this.deliver(event);
  }

  private onNftMessage(message: NetlinkMessage): void {
    if (this.closed || message.type >> 8 !== NFNL_SUBSYS_NFTABLES) return;
    const msg = message.type & 0xff;
    if (msg === NFT_MSG_NEWGEN) {
      const generation = messageAttributes(message, NFGENMSG_SIZE).be32(NFTA_GEN_ID) ?? 0;
      // Each change names its transaction's generation (nfgenmsg.res_id, its low 16 bits):
      // those of another are leftovers of a transaction whose NEWGEN was lost in an overrun
      // (read after the overrun was reported), and the resync's snapshot shows them.
      const changes = this.nftPending.filter((p) => p.resId === (generation & 0xffff)).map((p) => p.change);
      this.nftPending = [];
      // The snapshot already shows this transaction (or a later one).
      if (this.held !== undefined) {
        this.nftHeld.push({ generation, changes });
        return;
      }
      this.deliverNft(generation, changes);
      return;
    }
    const change = decodeNftChange(message, msg);
    if (change !== undefined) this.nftPending.push({ resId: nftResId(message), change });
  }

  private deliverNft(generation: number, changes: NftChange[]): void {
    // The snapshot already shows this transaction (or a later one).
    if (generation <= this.nftGeneration) return;
    this.nftGeneration = generation;
    this.deliver({ type: 'nft', generation, changes });
  }

  /** After a dump: the nf_tables transactions held meanwhile that the snapshot does not show. */
  private releaseNft(): void {
    const held = this.nftHeld;
    this.nftHeld = [];
    for (const { generation, changes } of held) this.deliverNft(generation, changes);
  }

  private deliver(event: MonitorEvent): void {
    if (this.closed) return;
    this.emit('event', event);
    if (event.type === 'resync') this.emit('resync', event);
    if (this.events.length >= this.maxQueued && event.type !== 'resync') {
      // The consumer is too far behind: drop what is queued, and give it a fresh snapshot.
      this.events.clear();
      this.held = [];
      this.resync('queue');
      return;
    }
    this.events.push(event);
  }

  private fail(error: unknown): void {
    if (this.closed) return;
    if (this.listenerCount('error') > 0) this.emit('error', error);
    this.events.fail(error);
    this.close();
  }

  /** Stops watching and closes the event sockets; an iterator ends. Idempotent. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.signal?.removeEventListener('abort', this.onAbort);
    for (const release of this.releases) release();
    this.route?.close();
    this.netfilter?.close();
    this.events.end();
    this.emit('close');
  }

  /** Whether {@link close} was called (or the monitor failed). */
  get isClosed(): boolean {
    return this.closed;
  }

  [Symbol.asyncIterator](): AsyncIterator<MonitorEvent> {
    return this.events.iterator();
  }
}

/** Every route of a state by its identity. */
function routesByIdentity(routes: Map<string, Route[]>): Map<string, Route> {
  const out = new Map<string, Route>();
  for (const list of routes.values()) for (const route of list) out.set(routeIdentity(route), route);
  return out;
}

function applyAddress(state: State, message: NetlinkMessage, present: boolean): Address {
  const address = decodeAddress(message, state.linkName);
  const key = `${ifindexOf(message, 4)}|${address.address}|${address.peer ?? ''}`;
  if (present) state.addresses.set(key, address);
  else state.addresses.delete(key);
  return address;
}

/** Applies a route message to the state; undefined for routes `ip route` does not show (cached). */
function applyRouteMessage(state: State, message: NetlinkMessage, present: boolean): Route | undefined {
  if (rtmFlags(message) & RTM_F_CLONED) return undefined;
  const route = decodeRoute(message, state.linkName);
  const slot = slotOf(route);
  const list = state.routes.get(slot) ?? [];
  const identity = routeIdentity(route);
  const same = list.findIndex((r) => routeIdentity(r) === identity);
  if (present) {
    // IPv6 tells about an ECMP group whole (an append, a replace, a sibling's change), so the
    // message takes the place of the group it describes.
    const group = route.family === 'inet6' && ecmpCapable(route) ? list.findIndex(ecmpCapable) : -1;
    if (same >= 0) list[same] = route; // the time left may have changed
    else if (group >= 0) list[group] = route;
    // A replace takes the slot's first route; anything else (create, append) comes after.
    else if (message.flags & NLM_F_REPLACE && list.length > 0) list[0] = route;
    else list.push(route);
  } else if (list.length > 0) {
    const sibling = same < 0 && route.family === 'inet6' ? siblingOf(list, route) : undefined;
    if (sibling !== undefined) removeSibling(list, sibling);
    else list.splice(same >= 0 ? same : 0, 1);
  }
  if (list.length > 0) state.routes.set(slot, list);
  else state.routes.delete(slot);
  return route;
}

/**
 * The multipath route of an IPv6 slot that has the deleted single-path route as a nexthop: the
 * kernel deletes one sibling of a group (`ip -6 route del ... via X`) and tells about it alone.
 */
function siblingOf(list: Route[], deleted: Route): { at: number; nexthop: number } | undefined {
  if (deleted.nexthops !== undefined || deleted.gateway === undefined) return undefined;
  for (let at = 0; at < list.length; at++) {
    const nexthop = (list[at]!.nexthops ?? []).findIndex((n) => n.gateway === deleted.gateway && n.dev === deleted.dev);
    if (nexthop >= 0) return { at, nexthop };
  }
  return undefined;
}

/** Takes a sibling out of its group; a group of one is listed as a single-path route, as ip shows it. */
function removeSibling(list: Route[], { at, nexthop }: { at: number; nexthop: number }): void {
  const group = list[at]!;
  const nexthops = group.nexthops!.filter((_, i) => i !== nexthop);
  if (nexthops.length === 0) {
    list.splice(at, 1);
    return;
  }
  if (nexthops.length > 1) {
    list[at] = { ...group, nexthops };
    return;
  }
  const single: Route = { ...group };
  delete single.nexthops;
  const last = nexthops[0]!;
  if (last.gateway !== undefined) single.gateway = last.gateway;
  if (last.dev !== undefined) single.dev = last.dev;
  if (last.onlink) single.onlink = true;
  list[at] = single;
}

function applyRule(state: State, message: NetlinkMessage, present: boolean): Rule {
  const rule = decodeRule(message);
  const list = state.rules.get(rule.family ?? 'inet')!;
  const text = canonicalJson(rule);
  const same = list.findIndex((r) => canonicalJson(r) === text);
  if (present) {
    if (same < 0) {
      // After the rules of the same priority, as the kernel inserts it.
      let at = list.length;
      while (at > 0 && (list[at - 1]!.priority ?? 0) > (rule.priority ?? 0)) at--;
      list.splice(at, 0, rule);
    }
  } else if (same >= 0) {
    list.splice(same, 1);
  }
  return rule;
}

/** A dump request on `connection`, named by its operation. */
function dumper(connection: Connection): (operation: string, type: number, write: Parameters<Connection['dump']>[3]) => Promise<NetlinkMessage[]> {
  return (operation, type, write) => connection.dump({ operation }, type, NLM_F_REQUEST | NLM_F_DUMP, write);
}

function applyNexthop(state: State, message: NetlinkMessage, present: boolean): NexthopObject {
  const nexthop = decodeNexthopObject(message, state.linkName);
  if (present) state.nexthops.set(nexthop.id!, nexthop);
  else state.nexthops.delete(nexthop.id!);
  return nexthop;
}

/** nfgenmsg.res_id: nf_tables puts the low 16 bits of the ruleset generation there. */
function nftResId(message: NetlinkMessage): number {
  return new DataView(message.data.buffer, message.data.byteOffset, message.data.byteLength).getUint16(payloadStart(message) + 2, false);
}

function decodeNftChange(message: NetlinkMessage, msg: number): NftChange | undefined {
  const family = familyName(message.data[payloadStart(message)]!) as NftFamily;
  const attrs = messageAttributes(message, NFGENMSG_SIZE);
  const action = (msg: number, newType: number) => (msg === newType ? 'new' : 'delete');
  switch (msg) {
    case NFT_MSG_NEWTABLE:
    case NFT_MSG_DELTABLE:
      return { action: action(msg, NFT_MSG_NEWTABLE), object: 'table', family, table: attrs.string(NFTA_TABLE_NAME) ?? '' };
    case NFT_MSG_NEWCHAIN:
    case NFT_MSG_DELCHAIN:
      return { action: action(msg, NFT_MSG_NEWCHAIN), object: 'chain', family, table: attrs.string(NFTA_CHAIN_TABLE) ?? '', chain: attrs.string(NFTA_CHAIN_NAME) ?? '' };
    case NFT_MSG_NEWRULE:
    case NFT_MSG_DELRULE: {
      const handle = attrs.be64(NFTA_RULE_HANDLE);
      const change: NftChange = { action: action(msg, NFT_MSG_NEWRULE), object: 'rule', family, table: attrs.string(NFTA_RULE_TABLE) ?? '', chain: attrs.string(NFTA_RULE_CHAIN) ?? '' };
      if (handle !== undefined) change.handle = Number(handle);
      return change;
    }
    case NFT_MSG_NEWSET:
    case NFT_MSG_DELSET:
      return { action: action(msg, NFT_MSG_NEWSET), object: 'set', family, table: attrs.string(NFTA_SET_TABLE) ?? '', set: attrs.string(NFTA_SET_NAME) ?? '' };
    case NFT_MSG_NEWSETELEM:
    case NFT_MSG_DELSETELEM:
      return { action: action(msg, NFT_MSG_NEWSETELEM), object: 'element', family, table: attrs.string(NFTA_SET_ELEM_LIST_TABLE) ?? '', set: attrs.string(NFTA_SET_ELEM_LIST_SET) ?? '' };
    default:
      return undefined;
  }
}

/**
 * Starts a monitor of the handle's namespace and resolves once its first snapshot is ready.
 *
 * @example
 * ```ts
 * const monitor = await startMonitor(ns);
 * const { routes } = await monitor.snapshot();
 * for await (const event of monitor) {
 *   if (event.type === 'route') console.log(event.action, event.route.dst);
 *   if (event.type === 'resync') console.log('lost events; now', event.snapshot.routes.length, 'routes');
 * }
 * ```
 */
export async function startMonitor(handle: Handle, options: MonitorOptions = {}): Promise<NetworkMonitor> {
  options.signal?.throwIfAborted();
  const monitor = new NetworkMonitor(handle, options);
  try {
    await monitor.start(options.timeoutMs);
  } catch (error) {
    monitor.close();
    throw error;
  }
  options.signal?.throwIfAborted();
  return monitor;
}

