/**
 * Neighbours (`ip neigh`): the ARP / NDP cache, read for gateway health (failover), and static,
 * proxy and router entries written (`ip neigh add/replace/del`).
 */
import { familyName, formatAddress, parseAddress, type FamilyName, type IpAddress } from '../common/ip.js';
import { integerInRange, interfaceLookupName, knownKeys, linkLayerAddress, optionalBoolean, plainObject } from '../common/validate.js';
import { HOST_IS_LITTLE_ENDIAN, type MessageWriter } from '../netlink/attributes.js';
import { NLM_F_CREATE, NLM_F_DUMP, NLM_F_EXCL, NLM_F_REPLACE, NLM_F_REQUEST } from '../netlink/constants.js';
import { sendChunked } from '../netlink/chunked.js';
import { ValidationError } from '../netlink/errors.js';
import { messageAttributes, payloadStart, type NetlinkMessage } from '../netlink/message.js';
import { RtnlApi, familiesOf, familyCode } from './base.js';
import { protocolCode, protocolName, type RouteProtocolName } from './names.js';
import {
  AF_INET,
  AF_INET6,
  NDA_DST,
  NDA_LLADDR,
  NDA_PROTOCOL,
  NDMSG_LEN,
  NUD_DELAY,
  NUD_FAILED,
  NUD_INCOMPLETE,
  NUD_NOARP,
  NUD_PERMANENT,
  NUD_PROBE,
  NUD_REACHABLE,
  NUD_STALE,
  NTF_EXT_LEARNED,
  NTF_PROXY,
  NTF_ROUTER,
  RTM_DELNEIGH,
  RTM_GETNEIGH,
  RTM_NEWNEIGH,
} from './constants.js';

/** Neighbour states, as `ip neigh` prints them. */
export type NeighbourState = 'INCOMPLETE' | 'REACHABLE' | 'STALE' | 'DELAY' | 'PROBE' | 'FAILED' | 'NOARP' | 'PERMANENT' | 'NONE';

const STATES: [number, NeighbourState][] = [
  [NUD_INCOMPLETE, 'INCOMPLETE'],
  [NUD_REACHABLE, 'REACHABLE'],
  [NUD_STALE, 'STALE'],
  [NUD_DELAY, 'DELAY'],
  [NUD_PROBE, 'PROBE'],
  [NUD_FAILED, 'FAILED'],
  [NUD_NOARP, 'NOARP'],
  [NUD_PERMANENT, 'PERMANENT'],
];

/** A neighbour entry (`ip neigh show`). */
export interface Neighbour {
  family: FamilyName;
  /** The neighbour's IP address. */
  address: string;
  /** The interface it is on (its index if the name is unknown). */
  dev: string;
  /** The interface index. */
  ifindex: number;
  /** Its link-layer address, once resolved. */
  lladdr?: string;
  /** The NUD state ('NONE' on proxy entries, which have none). */
  state: NeighbourState;
  /** A proxy entry (`ip neigh show proxy`): only listed with the `proxy: true` filter. */
  proxy?: true;
  /** The neighbour is a router (NTF_ROUTER, `router`). */
  router?: true;
  /** Learned outside the kernel (NTF_EXT_LEARNED, `extern_learn`). */
  externLearn?: true;
  /** Who made the entry (NDA_PROTOCOL, `proto static`), when set. */
  protocol?: RouteProtocolName | number;
}

/**
 * A neighbour entry to add, replace or delete (`ip neigh add 192.0.2.1 lladdr 02:00:00:00:00:01
 * dev v0`). What {@link NeighbourApi.list} returns is one: it goes back unchanged.
 */
export interface NeighbourEntry {
  /** 'inet' or 'inet6'; taken from `address` when absent (a ValidationError if they differ). */
  family?: FamilyName;
  /** The neighbour's IPv4 or IPv6 address. */
  address: string;
  /** The interface (its name or an altname). */
  dev: string;
  /** The interface index, as listed: if given, it must be the index `dev` has now. */
  ifindex?: number;
  /**
   * The link-layer address (`02:00:00:00:00:01`): colon-separated hex bytes, 1..32 of them (the
   * kernel refuses, EINVAL, fewer than the device's own length, 6 on Ethernet). A proxy entry
   * has none; the kernel ignores it there.
   */
  lladdr?: string;
  /**
   * The NUD state (`nud stale`), either case; default 'PERMANENT', as ip sends. Ignored on
   * delete and on proxy entries.
   */
  state?: NeighbourState | Lowercase<NeighbourState>;
  /** A proxy ARP / NDP entry (`ip neigh add proxy 192.0.2.9 dev v0`, NTF_PROXY). */
  proxy?: boolean;
  /** The neighbour is a router (`router`, NTF_ROUTER): IPv6 neighbour discovery uses it; the kernel keeps it on IPv4 entries too. */
  router?: boolean;
  /** Learned outside the kernel (`extern_learn`, NTF_EXT_LEARNED): garbage collection keeps it. */
  externLearn?: boolean;
  /** Who made the entry (`protocol static`, NDA_PROTOCOL): a route protocol name or 0..255. */
  protocol?: RouteProtocolName | number;
}

const ENTRY_KEYS: ReadonlySet<string> = new Set(['family', 'address', 'dev', 'ifindex', 'lladdr', 'state', 'proxy', 'router', 'externLearn', 'protocol']);

/** A checked {@link NeighbourEntry}, ready to encode once its device has an index. */
export interface ResolvedNeighbour {
  family: number;
  address: IpAddress;
  dev: string;
  ifindex?: number;
  lladdr?: Uint8Array;
  state: number;
  flags: number;
  protocol?: number;
}

/** The state name of NUD_* bits (the first state set; NONE for none). */
function stateName(bits: number): NeighbourState {
  return STATES.find(([bit]) => (bits & bit) !== 0)?.[1] ?? 'NONE';
}

/** The NUD_* bit of a state name (either case); a ValidationError naming `field` otherwise. */
function stateCode(value: unknown, field: string): number {
  const upper = typeof value === 'string' ? value.toUpperCase() : undefined;
  if (upper === 'NONE') return 0;
  const found = STATES.find(([, name]) => name === upper);
  if (found === undefined) throw new ValidationError(field, value, `expected one of ${['PERMANENT', 'NOARP', 'REACHABLE', 'STALE', 'DELAY', 'PROBE', 'INCOMPLETE', 'FAILED', 'NONE'].join(', ')}`);
  return found[0];
}

/** Checks a neighbour entry (no I/O); every problem is a ValidationError naming its field. */
export function resolveNeighbour(entry: NeighbourEntry, field = 'neighbour'): ResolvedNeighbour {
  const object = plainObject(entry, field);
  knownKeys(object, field, ENTRY_KEYS);
  const wanted = entry.family !== undefined ? familyCode(entry.family, `${field}.family`) : undefined;
  const address = parseAddress(entry.address, `${field}.address`, wanted === undefined ? undefined : wanted === AF_INET6 ? 6 : 4);
  const resolved: ResolvedNeighbour = {
    family: address.family === 6 ? AF_INET6 : AF_INET,
    address,
    dev: interfaceLookupName(entry.dev, `${field}.dev`),
    state: entry.state === undefined ? NUD_PERMANENT : stateCode(entry.state, `${field}.state`),
    flags:
      (optionalBoolean(entry.proxy, `${field}.proxy`) ? NTF_PROXY : 0) |
      (optionalBoolean(entry.router, `${field}.router`) ? NTF_ROUTER : 0) |
      (optionalBoolean(entry.externLearn, `${field}.externLearn`) ? NTF_EXT_LEARNED : 0),
  };
  if (entry.ifindex !== undefined) resolved.ifindex = integerInRange(entry.ifindex, `${field}.ifindex`, 1, 0x7fffffff, 'an interface index');
  if (entry.lladdr !== undefined) resolved.lladdr = linkLayerAddress(entry.lladdr, `${field}.lladdr`);
  if (entry.protocol !== undefined) resolved.protocol = protocolCode(entry.protocol, `${field}.protocol`);
  return resolved;
}

/** Message type and flags of each neighbour request, as `ip neigh` sends them (NLM_F_ACK aside). */
export const NEIGHBOUR_REQUESTS = {
  add: { type: RTM_NEWNEIGH, flags: NLM_F_REQUEST | NLM_F_CREATE | NLM_F_EXCL },
  replace: { type: RTM_NEWNEIGH, flags: NLM_F_REQUEST | NLM_F_CREATE | NLM_F_REPLACE },
  delete: { type: RTM_DELNEIGH, flags: NLM_F_REQUEST },
} as const;

/**
 * Writes an RTM_NEWNEIGH / RTM_DELNEIGH body as ip does: struct ndmsg, NDA_PROTOCOL, NDA_DST,
 * NDA_LLADDR. A delete carries the state ip sends (PERMANENT) and only the proxy flag, which
 * is what picks the proxy table; the kernel ignores the rest there.
 */
export function encodeNeighbour(writer: MessageWriter, entry: ResolvedNeighbour, ifindex: number, forDelete: boolean): void {
  writer.u8(entry.family);
  writer.zeros(3);
  writer.u32(ifindex);
  writer.u16(forDelete ? NUD_PERMANENT : entry.state);
  writer.u8(forDelete ? entry.flags & NTF_PROXY : entry.flags);
  writer.u8(0); // ndm_type: the kernel fills it in
  if (!forDelete && entry.protocol !== undefined) writer.attrU8(NDA_PROTOCOL, entry.protocol);
  writer.attrBytes(NDA_DST, entry.address.bytes);
  if (!forDelete && entry.lladdr !== undefined) writer.attrBytes(NDA_LLADDR, entry.lladdr);
}

/**
 * Writes a neighbour dump request for one family (0 for both). With `proxy`, the kernel dumps
 * its proxy table instead of the cache (ndm_flags exactly NTF_PROXY, as `ip neigh show proxy`).
 */
export function encodeNeighbourDumpRequest(writer: MessageWriter, family: number, proxy = false): void {
  writer.u8(family);
  writer.zeros(9);
  writer.u8(proxy ? NTF_PROXY : 0);
  writer.u8(0);
}

/** Decodes an RTM_NEWNEIGH / RTM_DELNEIGH message; undefined for entries without an IP address. */
export function decodeNeighbour(message: NetlinkMessage, linkName: (index: number) => string | undefined): Neighbour | undefined {
  const base = payloadStart(message);
  const view = new DataView(message.data.buffer, message.data.byteOffset, message.data.byteLength);
  const family = message.data[base]!;
  const ifindex = view.getInt32(base + 4, HOST_IS_LITTLE_ENDIAN);
  const stateBits = view.getUint16(base + 8, HOST_IS_LITTLE_ENDIAN);
  const flags = message.data[base + 10]!;
  const attrs = messageAttributes(message, NDMSG_LEN);
  const dst = attrs.bytes(NDA_DST);
  if (dst === undefined || (dst.length !== 4 && dst.length !== 16)) return undefined;
  const neighbour: Neighbour = {
    family: familyName(family === AF_INET6 ? 6 : 4),
    address: formatAddress(dst),
    dev: linkName(ifindex) ?? String(ifindex),
    ifindex,
    state: stateName(stateBits),
  };
  const lladdr = attrs.bytes(NDA_LLADDR);
  if (lladdr && lladdr.length > 0) neighbour.lladdr = Array.from(lladdr, (b) => b.toString(16).padStart(2, '0')).join(':');
  if (flags & NTF_PROXY) neighbour.proxy = true;
  if (flags & NTF_ROUTER) neighbour.router = true;
  if (flags & NTF_EXT_LEARNED) neighbour.externLearn = true;
  const protocol = attrs.u8(NDA_PROTOCOL);
  if (protocol !== undefined && protocol !== 0) neighbour.protocol = protocolName(protocol);
  return neighbour;
}

/** Which neighbours {@link NeighbourApi.list} returns. */
export interface NeighbourFilter {
  /** Only this family (default: both). */
  family?: FamilyName;
  /** Only entries on this interface (its name or an altname, as `ip neigh show dev`). */
  dev?: string;
  /**
   * true: the proxy entries instead (`ip neigh show proxy`), which the kernel keeps apart and
   * never lists with the cache; false or absent: the cache.
   */
  proxy?: boolean;
  /** Only entries with this protocol (NDA_PROTOCOL; ip 6.1 has no such filter); 0: entries without one. */
  protocol?: RouteProtocolName | number;
  /** true: only entries the handle's owner made (a ValidationError if the handle has no owner). */
  owned?: boolean;
}

const NEIGHBOUR_FILTER_KEYS: ReadonlySet<string> = new Set(['family', 'dev', 'proxy', 'protocol', 'owned']);

/** Which neighbours {@link NeighbourApi.flush} deletes: a {@link NeighbourFilter}, and states. */
export interface NeighbourFlushFilter extends NeighbourFilter {
  /**
   * Only entries in these states (`ip neigh flush nud stale`), either case. 'all' is every state
   * but NOARP, as ip's `nud all` in a flush (the kernel's own multicast entries are NOARP; name
   * 'NOARP' to flush those). Default: every state but PERMANENT and NOARP, as `ip neigh flush`.
   * As for ip, entries learned outside the kernel (`externLearn`) are flushed whatever their
   * state, and proxy entries, which have none, all of them with `proxy: true`.
   */
  states?: readonly (NeighbourState | Lowercase<NeighbourState>)[] | 'all';
}

const FLUSH_FILTER_KEYS: ReadonlySet<string> = new Set([...NEIGHBOUR_FILTER_KEYS, 'states']);

/** The states a flush takes, as a set of names; a ValidationError naming filter.states otherwise. */
function flushStates(value: unknown): ReadonlySet<NeighbourState> {
  const allBut = (...left: NeighbourState[]) => new Set(STATES.map(([, name]) => name).filter((name) => !left.includes(name)).concat('NONE'));
  if (value === 'all') return allBut('NOARP');
  if (value === undefined) return allBut('PERMANENT', 'NOARP');
  if (!Array.isArray(value) || value.length === 0) throw new ValidationError('filter.states', value, "expected 'all' or a non-empty list of states");
  return new Set(value.map((state, i) => stateName(stateCode(state, `filter.states[${i}]`))));
}

/** Neighbours (`ip neigh`) in one namespace. */
export class NeighbourApi extends RtnlApi {
  /**
   * Lists neighbour entries, IPv4 first, like `ip neigh show nud all`: every state, NOARP and
   * NONE entries included (plain `ip neigh show` hides those; `state` tells them apart). An
   * interface the namespace lacks, or an unknown filter key, is a ValidationError. With
   * `{ proxy: true }`, the proxy entries instead, like `ip neigh show proxy`. `{ owned: true }`
   * lists only what the handle's owner made (see {@link add}), `protocol` those of one protocol.
   * @example const gateways = await ns.neighbours.list({ family: 'inet', dev: 'v0' });
   * @example const mine = await agent.neighbours.list({ owned: true });
   */
  async list(filter: NeighbourFilter = {}): Promise<Neighbour[]> {
    knownKeys(plainObject(filter, 'filter'), 'filter', NEIGHBOUR_FILTER_KEYS);
    return this.listFor('listNeighbours', filter);
  }

  /** The entries `filter` (checked for unknown keys) selects, its requests named `operation`. */
  private async listFor(operation: string, filter: NeighbourFilter): Promise<Neighbour[]> {
    const families = familiesOf(filter.family);
    const proxy = optionalBoolean(filter.proxy, 'filter.proxy');
    const dev = filter.dev !== undefined ? interfaceLookupName(filter.dev, 'filter.dev') : undefined;
    const protocol = this.filterProtocol(filter);
    // Listed entries carry the protocol as a name or a number (none for 0): compare in that form.
    const protocolListed = protocol === undefined || protocol === 0 ? undefined : protocolName(protocol);
    const [names, ifindex] = await this.linkNamesAndFilterDev(operation, dev);
    const out: Neighbour[] = [];
    for (const family of families) {
      const messages = await this.connection.dump({ operation }, RTM_GETNEIGH, NLM_F_REQUEST | NLM_F_DUMP, (w) => encodeNeighbourDumpRequest(w, family, proxy));
      for (const message of messages) {
        const neighbour = decodeNeighbour(message, (i) => names.get(i));
        // By index: `dev` may be an altname, and listed entries carry the link's name.
        if (neighbour === undefined || (ifindex !== undefined && neighbour.ifindex !== ifindex)) continue;
        if (protocol !== undefined && neighbour.protocol !== protocolListed) continue;
        out.push(neighbour);
      }
    }
    return out;
  }

  /**
   * Adds a neighbour entry, like `ip neigh add 192.0.2.1 lladdr 02:00:00:00:00:01 dev v0`
   * (state PERMANENT unless `state` says otherwise). Rejects with EEXIST if the cache has one for
   * that address on that device; a proxy entry that is there is updated instead, as the kernel
   * does for ip too. Bad input is a ValidationError naming the field, before anything is sent.
   * On a handle with an owner, an entry without a `protocol` gets the owner id, so that
   * `list({ owned: true })` finds it (add and replace alike).
   * @example await ns.neighbours.add({ address: '192.0.2.1', lladdr: '02:00:00:00:00:01', dev: 'v0' })
   * @example await ns.neighbours.add({ address: '2001:db8::9', dev: 'v0', proxy: true, router: true })
   */
  async add(entry: NeighbourEntry): Promise<void> {
    await this.send('add', entry);
  }

  /**
   * Adds or overwrites a neighbour entry, like `ip neigh replace` (idempotent): pins a gateway's
   * MAC, e.g. `{ address: '192.0.2.1', lladdr: '02:00:00:00:00:01', dev: 'v0' }`.
   * @example await ns.neighbours.replace({ address: '192.0.2.1', lladdr: '02:00:00:00:00:01', dev: 'v0', state: 'stale' })
   */
  async replace(entry: NeighbourEntry): Promise<void> {
    await this.send('replace', entry);
  }

  /**
   * Deletes a neighbour entry, like `ip neigh del 192.0.2.1 dev v0` (`proxy: true`: the proxy
   * entry, `ip neigh del proxy`). Rejects with ENOENT if there is none. What {@link list}
   * returns deletes exactly that entry.
   * @example for (const n of await ns.neighbours.list({ dev: 'v0' })) if (n.state === 'STALE') await ns.neighbours.delete(n);
   */
  async delete(entry: NeighbourEntry): Promise<void> {
    await this.send('delete', entry);
  }

  /**
   * Deletes the entries the filter selects, like `ip neigh flush dev v0` (by default every state
   * but PERMANENT and NOARP, as ip; `states` says otherwise), and resolves with how many it
   * deleted; an entry that vanishes meanwhile (the kernel's own garbage collection) is not
   * counted and is no error; any other refusal is thrown once the other deletes have been tried.
   * On a handle with an owner only the owner's entries are flushed unless the filter names a
   * protocol or `owned`.
   * @example await ns.neighbours.flush({ dev: 'up1' })                 // after a failover: re-resolve the gateway
   * @example await agent.neighbours.flush({ owned: true, states: 'all' }) // everything the agent pinned
   */
  async flush(filter: NeighbourFlushFilter = {}): Promise<number> {
    knownKeys(plainObject(filter, 'filter'), 'filter', FLUSH_FILTER_KEYS);
    const states = flushStates(filter.states);
    const { states: _, ...listFilter } = this.ownerScope(filter);
    const selected = (await this.listFor('flushNeighbours', listFilter)).filter((n) => n.proxy === true || n.externLearn === true || states.has(n.state));
    const resolved = selected.map((neighbour) => resolveNeighbour(neighbour));
    // One batch for all (ip does the same): the deletes are independent, so one that fails does
    // not stop the others; the first failure other than a vanished entry is thrown after all ran.
    const errors = await sendChunked(this.connection, selected.length, 96, (batch, index) => {
      batch.begin(batch.operationAt('flushNeighbours', index), RTM_DELNEIGH, NEIGHBOUR_REQUESTS.delete.flags);
      encodeNeighbour(batch.writer, resolved[index]!, selected[index]!.ifindex, true);
      batch.end();
    });
    let deleted = 0;
    for (const error of errors) {
      if (error === undefined) deleted++;
      else if (error.code !== 'ENOENT') throw error;
    }
    return deleted;
  }

  private async send(request: keyof typeof NEIGHBOUR_REQUESTS, entry: NeighbourEntry): Promise<void> {
    const resolved = resolveNeighbour(entry);
    if (request !== 'delete' && resolved.protocol === undefined && this.owner !== undefined) resolved.protocol = this.owner;
    const operation = `${request}Neighbour`;
    const ifindex = (await this.interfaces(operation, [[resolved.dev, 'neighbour.dev']])).get(resolved.dev)!;
    if (resolved.ifindex !== undefined && resolved.ifindex !== ifindex) {
      throw new ValidationError('neighbour.ifindex', resolved.ifindex, `contradicts dev ${resolved.dev} (index ${ifindex})`);
    }
    const { type, flags } = NEIGHBOUR_REQUESTS[request];
    await this.single({ operation }, type, flags, (w) => encodeNeighbour(w, resolved, ifindex, request === 'delete'));
  }
}
