/**
 * Failover between uplinks: watches each uplink's link (admin state and carrier, from link
 * events), its gateway's neighbour entry (NUD_FAILED), and an optional probe of your own; keeps
 * the default route (or any route) on the healthy uplinks, with hysteresis; and can clear the
 * conntrack flows of an uplink that died, so that they start again on a live one.
 *
 * A lost link or carrier is certain: the uplink goes down at once, on the kernel's event or at
 * the next check (every `intervalMs`; each check reads the links, since the kernel may report
 * a carrier change up to a second late), whichever comes first. Neighbour failures and probes
 * are evidence: an uplink goes down after `failAfter` failed checks in a row. Coming back always takes `recoverAfter` good checks in a
 * row, so that a flapping uplink does not move traffic back and forth.
 */
import { EventEmitter } from 'node:events';
import { formatAddress, parseAddress } from '../common/ip.js';
import { integerInRange, interfaceName, plainObject } from '../common/validate.js';
import type { FlowFilter } from '../ct/filter.js';
import type { Handle } from '../handle.js';
import type { Connection } from '../netlink/connection.js';
import { NETLINK_ROUTE, NLM_F_DUMP, NLM_F_REQUEST } from '../netlink/constants.js';
import { ValidationError } from '../netlink/errors.js';
import type { NetlinkMessage } from '../netlink/message.js';
import { AF_UNSPEC, RTM_DELLINK, RTM_DELNEIGH, RTM_GETNEIGH, RTM_NEWLINK, RTM_NEWNEIGH, RTNLGRP_LINK, RTNLGRP_NEIGH } from '../rtnl/constants.js';
import { decodeLink, dumpLinks, type Link } from '../rtnl/links.js';
import { protocolCode, type RouteProtocolName } from '../rtnl/names.js';
import { decodeNeighbour, encodeNeighbourDumpRequest, type NeighbourState } from '../rtnl/neighbours.js';
import type { Route } from '../rtnl/routes.js';
import type { TableRef } from '../rtnl/tables.js';
import { abortSignal } from './apply.js';
import { EventQueue } from './event-queue.js';

/** One uplink: a device and the gateway behind it. */
export interface Uplink {
  /** A name for events (`'isp1'`). */
  name: string;
  /** The interface (`'eth1'`). */
  dev: string;
  /** The gateway on it (`'192.0.2.1'`). */
  gateway: string;
  /** Weight in multipath mode, 1..256 (default 1). */
  weight?: number;
  /**
   * Your own health check, run every `intervalMs` (with a signal that aborts after
   * `probeTimeoutMs`): resolve true if the uplink works. False, a rejection or a timeout count
   * as a failed check.
   */
  probe?: (signal: AbortSignal) => boolean | Promise<boolean>;
  /** The conntrack flows that leave by this uplink (e.g. `{ mark: 1 }`), cleared when it goes down. */
  flows?: FlowFilter;
}

/** Options for {@link startFailover}. */
export interface FailoverOptions {
  /** The uplinks, most preferred first (replace mode uses the first healthy one). */
  uplinks: Uplink[];
  /**
   * `'replace'` (default): one route via the best healthy uplink, replaced when that changes.
   * `'multipath'`: one route over every healthy uplink, with their weights.
   */
  mode?: 'replace' | 'multipath';
  /** The route's destination (default `'default'`). */
  dst?: string;
  /** The route's table (default main). */
  table?: TableRef;
  /** The route's metric. */
  metric?: number;
  /** The route's protocol (default: the handle's owner, else 'static'). */
  protocol?: RouteProtocolName | number;
  /** How often to check (probes, neighbour state), in milliseconds (default 1000). */
  intervalMs?: number;
  /** Failed checks in a row that take an uplink down (default 3); a lost carrier takes it down at once. */
  failAfter?: number;
  /** Good checks in a row that bring an uplink back (default 3). */
  recoverAfter?: number;
  /** How long a probe may take (default `intervalMs`). */
  probeTimeoutMs?: number;
  /** Stops the failover (as {@link Failover.close}). */
  signal?: AbortSignal;
}

/** Why an uplink is down. */
export type UplinkDownReason = 'link' | 'carrier' | 'neighbour' | 'probe';

/** The state of one uplink. */
export interface UplinkStatus {
  name: string;
  up: boolean;
  /** Why it is down (undefined while up). */
  reason?: UplinkDownReason;
}

/** Events of a {@link Failover}. */
export type FailoverEvent =
  /** An uplink went down or came back. */
  | { type: 'uplink'; name: string; up: boolean; reason?: UplinkDownReason }
  /** The route now uses these uplinks (empty: none is healthy; the last route was left in place). */
  | { type: 'route'; active: string[]; previous: string[]; route: Route | undefined }
  /** The conntrack flows of a dead uplink were deleted. */
  | { type: 'flows'; name: string; deleted: number }
  /** Something failed (writing the route, clearing flows); the failover goes on. */
  | { type: 'error'; error: unknown };

interface UplinkState {
  uplink: Uplink;
  up: boolean;
  reason: UplinkDownReason | undefined;
  fails: number;
  goods: number;
}

/**
 * A running failover. Listen for `'event'` (every {@link FailoverEvent}), or iterate it with
 * `for await`; `status()` tells each uplink's state and `active` the uplinks in the route.
 */
export class Failover extends EventEmitter implements AsyncIterable<FailoverEvent> {
  private readonly handle: Handle;
  private readonly options: Required<Pick<FailoverOptions, 'mode' | 'dst' | 'intervalMs' | 'failAfter' | 'recoverAfter' | 'probeTimeoutMs'>> & FailoverOptions;
  private readonly uplinks: UplinkState[];
  private readonly protocol: number;
  private connection: Connection | undefined;
  private release: (() => void) | undefined;
  private timer: NodeJS.Timeout | undefined;
  /** Links by index (for neighbour names) and the uplinks' links by name. */
  private links = new Map<number, Link>();
  private neighbours = new Map<string, NeighbourState>();
  private checking = false;
  private writing: Promise<void> = Promise.resolve();
  /** The uplinks of the route last written (what is in place, as far as we know). */
  private current: string[] = [];
  /** The uplinks of the route being written (undefined when no write is under way). */
  private writingFor: string[] | undefined;
  private closed = false;
  private readonly events = new EventQueue<FailoverEvent>('failover', () => this.close());
  private readonly onAbort = () => this.close();

  /** Use {@link startFailover}. */
  constructor(handle: Handle, options: FailoverOptions) {
    super();
    const checked = plainObject(options, 'options') as unknown as FailoverOptions;
    if (!Array.isArray(checked.uplinks) || checked.uplinks.length === 0) throw new ValidationError('options.uplinks', checked.uplinks, 'expected a non-empty array of uplinks');
    const names = new Set<string>();
    checked.uplinks.forEach((u, i) => {
      const field = `options.uplinks[${i}]`;
      plainObject(u, field);
      if (typeof u.name !== 'string' || u.name === '' || names.has(u.name)) throw new ValidationError(`${field}.name`, u.name, 'expected a unique non-empty name');
      names.add(u.name);
      interfaceName(u.dev, `${field}.dev`);
      parseAddress(u.gateway, `${field}.gateway`);
      if (u.weight !== undefined) integerInRange(u.weight, `${field}.weight`, 1, 256);
      if (u.probe !== undefined && typeof u.probe !== 'function') throw new ValidationError(`${field}.probe`, u.probe, 'expected a function');
    });
    const mode = checked.mode ?? 'replace';
    if (mode !== 'replace' && mode !== 'multipath') throw new ValidationError('options.mode', mode, "expected 'replace' or 'multipath'");
    const intervalMs = integerInRange(checked.intervalMs ?? 1000, 'options.intervalMs', 10, 3_600_000);
    this.options = {
      ...checked,
      mode,
      dst: checked.dst ?? 'default',
      intervalMs,
      failAfter: integerInRange(checked.failAfter ?? 3, 'options.failAfter', 1, 1000),
      recoverAfter: integerInRange(checked.recoverAfter ?? 3, 'options.recoverAfter', 1, 1000),
      probeTimeoutMs: integerInRange(checked.probeTimeoutMs ?? intervalMs, 'options.probeTimeoutMs', 1, 3_600_000),
    };
    this.protocol = checked.protocol !== undefined ? protocolCode(checked.protocol, 'options.protocol') : (handle.owner ?? 4); // RTPROT_STATIC
    this.handle = handle;
    // The neighbour table is keyed by the address as the kernel formats it ('2001:DB8::1' is
    // listed as '2001:db8::1'): a gateway written otherwise would never be found FAILED.
    this.uplinks = checked.uplinks.map((uplink) => ({
      uplink: { ...uplink, gateway: formatAddress(parseAddress(uplink.gateway, 'gateway').bytes) },
      up: false,
      reason: 'link',
      fails: 0,
      goods: 0,
    }));
  }

  /** Subscribes, reads the links and neighbours, runs the first check and writes the route. */
  async start(): Promise<void> {
    const signal = this.options.signal;
    if (signal?.aborted) throw signal.reason;
    signal?.addEventListener('abort', this.onAbort, { once: true });
    this.connection = this.handle.openConnection(NETLINK_ROUTE, {
      onUnsolicited: (m) => this.onMessage(m),
      onOverrun: () => void this.refresh().catch((error) => this.report({ type: 'error', error })),
      // Link and neighbour events stop for good: the checks go on (probes), and the caller learns why carrier changes are no longer seen.
      onError: (error) => this.report({ type: 'error', error }),
    });
    this.connection.socket.addMembership(RTNLGRP_LINK);
    this.connection.socket.addMembership(RTNLGRP_NEIGH);
    this.release = this.connection.hold();
    await this.refresh();
    // At start, what works now is taken as up: there is no history to be wary of.
    await this.check(true);
    this.timer = setInterval(() => void this.check(false), this.options.intervalMs);
  }

  /** Reads links and neighbours again (at start, and when events were lost). */
  private async refresh(): Promise<void> {
    const connection = this.connection!;
    const links = new Map<number, Link>();
    for (const message of await dumpLinks(connection)) {
      const link = decodeLink(message, () => undefined);
      links.set(link.index, link);
    }
    this.links = links;
    const neighbours = new Map<string, NeighbourState>();
    const messages = await connection.dump({ operation: 'listNeighbours' }, RTM_GETNEIGH, NLM_F_REQUEST | NLM_F_DUMP, (w) => encodeNeighbourDumpRequest(w, AF_UNSPEC));
    for (const message of messages) {
      const neighbour = decodeNeighbour(message, (i) => this.links.get(i)?.name);
      if (neighbour) neighbours.set(`${neighbour.dev}|${neighbour.address}`, neighbour.state);
    }
    this.neighbours = neighbours;
    this.hardCheck();
  }

  private onMessage(message: NetlinkMessage): void {
    if (this.closed) return;
    if (message.type === RTM_NEWLINK || message.type === RTM_DELLINK) {
      const link = decodeLink(message, () => undefined);
      if (message.type === RTM_DELLINK) this.links.delete(link.index);
      else this.links.set(link.index, link);
      this.hardCheck();
    } else if (message.type === RTM_NEWNEIGH || message.type === RTM_DELNEIGH) {
      const neighbour = decodeNeighbour(message, (i) => this.links.get(i)?.name);
      if (neighbour === undefined) return;
      const key = `${neighbour.dev}|${neighbour.address}`;
      if (message.type === RTM_DELNEIGH) this.neighbours.delete(key);
      else this.neighbours.set(key, neighbour.state);
    }
  }

  /**
   * Reads the uplinks' links. The kernel reports a carrier change with a delay (its link watch
   * batches them, up to a second), but a link read shows the carrier as it is: each check
   * reads them, so that a lost carrier counts within one interval even before its event.
   */
  private async pollLinks(): Promise<void> {
    const links = await Promise.all(this.uplinks.map((s) => this.handle.links.get(s.uplink.dev).catch(() => undefined)));
    this.uplinks.forEach((s, i) => {
      for (const [index, link] of this.links) if (link.name === s.uplink.dev) this.links.delete(index);
      const link = links[i];
      if (link !== undefined) this.links.set(link.index, link);
    });
  }

  /** Why the uplink's link is unusable, if it is. */
  private linkProblem(uplink: Uplink): UplinkDownReason | undefined {
    const link = [...this.links.values()].find((l) => l.name === uplink.dev);
    if (link === undefined || !link.up) return 'link';
    if (!link.lowerUp) return 'carrier';
    return undefined;
  }

  /** Link and carrier: certain, so acted on at once (for going down). */
  private hardCheck(): void {
    let changed = false;
    for (const state of this.uplinks) {
      const problem = this.linkProblem(state.uplink);
      if (problem === undefined || !state.up) continue;
      this.markDown(state, problem);
      changed = true;
    }
    if (changed) this.program();
  }

  private markDown(state: UplinkState, reason: UplinkDownReason): void {
    state.up = false;
    state.reason = reason;
    state.fails = 0;
    state.goods = 0;
    this.report({ type: 'uplink', name: state.uplink.name, up: false, reason });
    const flows = state.uplink.flows;
    if (flows !== undefined) {
      this.handle.conntrack.deleteWhere(flows).then(
        (result) => this.report({ type: 'flows', name: state.uplink.name, deleted: result.changed }),
        (error: unknown) => this.report({ type: 'error', error }),
      );
    }
  }

  /** One round of checks: links, neighbours and probes, with hysteresis. */
  private async check(initial: boolean): Promise<void> {
    if (this.checking || this.closed) return;
    this.checking = true;
    try {
      await this.pollLinks();
      const results = await Promise.all(this.uplinks.map((state) => this.evaluate(state.uplink)));
      if (this.closed) return;
      this.uplinks.forEach((state, i) => {
        const problem = results[i];
        if (problem === undefined) {
          state.fails = 0;
          state.goods++;
          if (!state.up && (initial || state.goods >= this.options.recoverAfter)) {
            state.up = true;
            state.reason = undefined;
            state.goods = 0;
            this.report({ type: 'uplink', name: state.uplink.name, up: true });
          }
        } else {
          state.goods = 0;
          state.fails++;
          const certain = problem === 'link' || problem === 'carrier';
          if (state.up && (initial || certain || state.fails >= this.options.failAfter)) {
            this.markDown(state, problem);
          } else if (!state.up) {
            state.reason = problem;
          }
        }
      });
      // Every check, not only on a change: a write that failed is retried until what is in
      // place is what the healthy uplinks call for (program() does nothing when it is).
      this.program();
    } finally {
      this.checking = false;
    }
  }

  /** What is wrong with an uplink now, if anything. */
  private async evaluate(uplink: Uplink): Promise<UplinkDownReason | undefined> {
    const problem = this.linkProblem(uplink);
    if (problem !== undefined) return problem;
    if (this.neighbours.get(`${uplink.dev}|${uplink.gateway}`) === 'FAILED') return 'neighbour';
    if (uplink.probe === undefined) return undefined;
    const signal = AbortSignal.timeout(this.options.probeTimeoutMs);
    try {
      const ok = await Promise.race([
        Promise.resolve(uplink.probe(signal)),
        new Promise<boolean>((resolve) => signal.addEventListener('abort', () => resolve(false), { once: true })),
      ]);
      return ok === true ? undefined : 'probe';
    } catch {
      return 'probe';
    }
  }

  /** The route for the healthy uplinks (undefined if none is). */
  private routeFor(active: UplinkState[]): Route | undefined {
    if (active.length === 0) return undefined;
    const base: Route = { dst: this.options.dst, protocol: this.protocol };
    if (this.options.table !== undefined) base.table = this.options.table;
    if (this.options.metric !== undefined) base.metric = this.options.metric;
    if (active.length === 1) return { ...base, gateway: active[0]!.uplink.gateway, dev: active[0]!.uplink.dev };
    return { ...base, nexthops: active.map((s) => ({ gateway: s.uplink.gateway, dev: s.uplink.dev, weight: s.uplink.weight ?? 1 })) };
  }

  /**
   * Writes the route if what is in place (or being written) is not what the healthy uplinks
   * call for. Writes never overlap; `current` changes only once a write succeeded, so that a
   * failed one is tried again at the next check.
   */
  private program(): void {
    const healthy = this.uplinks.filter((s) => s.up);
    const active = this.options.mode === 'replace' ? healthy.slice(0, 1) : healthy;
    const names = active.map((s) => s.uplink.name);
    const same = (a: string[]) => a.join('\0') === names.join('\0');
    if (same(this.writingFor ?? this.current)) return;
    this.writingFor = names;
    const route = this.routeFor(active);
    this.writing = this.writing.then(async () => {
      if (this.closed) return;
      try {
        if (route !== undefined) await this.handle.routes.replace(route);
        const previous = this.current;
        this.current = names;
        this.report({ type: 'route', active: names, previous, route });
      } catch (error) {
        this.report({ type: 'error', error });
      } finally {
        // A later program() call queued another write: that one is now what is being written.
        if (this.writingFor === names) this.writingFor = undefined;
      }
    });
  }

  /** Resolves once the route writes under way are done (for tests and orderly shutdowns). */
  settled(): Promise<void> {
    return this.writing;
  }

  /** The uplinks whose route is in place. */
  get active(): string[] {
    return [...this.current];
  }

  /** Each uplink's state. */
  status(): UplinkStatus[] {
    return this.uplinks.map((s) => (s.up ? { name: s.uplink.name, up: true } : { name: s.uplink.name, up: false, reason: s.reason }));
  }

  private report(event: FailoverEvent): void {
    if (this.closed) return;
    this.emit('event', event);
    this.events.push(event);
  }

  /** Stops checking and closes the event socket; the route stays as it is. Idempotent. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.options.signal?.removeEventListener('abort', this.onAbort);
    if (this.timer !== undefined) clearInterval(this.timer);
    this.release?.();
    this.connection?.close();
    this.events.end();
    this.emit('close');
  }

  [Symbol.asyncIterator](): AsyncIterator<FailoverEvent> {
    return this.events.iterator();
  }
}

/**
 * Starts a failover in the handle's namespace: resolves once the first check ran and the route
 * was written (rejects, closed, if that fails or takes longer than `timeoutMs`).
 *
 * @example
 * ```ts
 * const failover = await startFailover(ns, {
 *   uplinks: [
 *     { name: 'isp1', dev: 'eth1', gateway: '192.0.2.1', flows: { mark: 1 } },
 *     { name: 'isp2', dev: 'eth2', gateway: '198.51.100.1', flows: { mark: 2 } },
 *   ],
 *   intervalMs: 500,
 * });
 * failover.on('event', (e) => console.log(e));
 * ```
 */
export async function startFailover(handle: Handle, options: FailoverOptions & { timeoutMs?: number }): Promise<Failover> {
  const timeout = abortSignal(undefined, options.timeoutMs);
  const failover = new Failover(handle, options);
  try {
    const started = failover.start().then(() => failover.settled());
    if (timeout === undefined) await started;
    else {
      await Promise.race([
        started,
        new Promise<never>((_, reject) => timeout.addEventListener('abort', () => reject(timeout.reason), { once: true })),
      ]);
    }
  } catch (error) {
    failover.close();
    throw error;
  }
  return failover;
}
