/** Nexthop objects (`ip nexthop`): add, replace, delete, get, list, flush. */
import type { FamilyName } from '../common/ip.js';
import { integerInRange, interfaceLookupName } from '../common/validate.js';
import type { MessageWriter } from '../netlink/attributes.js';
import { Batch } from '../netlink/batch.js';
import { NLM_F_DUMP, NLM_F_ECHO, NLM_F_REQUEST } from '../netlink/constants.js';
import { Errno } from '../netlink/errno.js';
import { NetlinkError, ValidationError } from '../netlink/errors.js';
import { RtnlApi } from './base.js';
import { RTM_GETNEXTHOP, RTM_NEWNEXTHOP } from './constants.js';
import { protocolCode, type RouteProtocolName } from './names.js';
import {
  NEXTHOP_REQUESTS,
  decodeNexthopObject,
  encodeNexthopDumpRequest,
  encodeNexthopId,
  encodeNexthopObject,
  nexthopInterfaceNames,
  resolveNexthopObject,
  type NexthopObject,
} from './nexthops.js';

/** Which nexthop objects {@link NexthopApi.list} (and {@link NexthopApi.flush}) take. Every field given must match. */
export interface NexthopFilter {
  /** Only single nexthops of this family (groups have none, so they are left out). */
  family?: FamilyName;
  /** Only nexthops on this device, named by its name or an altname (filtered by the kernel). */
  dev?: string;
  /**
   * Only nexthops on a device enslaved to this master (a bridge, say), named by its name or an
   * altname (filtered by the kernel, as `ip nexthop show master DEV`).
   */
  master?: string;
  /** Only groups (filtered by the kernel). */
  groups?: boolean;
  /** Only fdb nexthops and fdb groups (filtered by the kernel, as `ip nexthop show fdb`). */
  fdb?: boolean;
  /** Only nexthops with this protocol (`proto`). */
  protocol?: RouteProtocolName | number;
  /** Only the handle owner's nexthops (its `owner` option; a ValidationError without one). */
  owned?: boolean;
}

const FILTER_KEYS: ReadonlySet<string> = new Set(['family', 'dev', 'master', 'groups', 'fdb', 'protocol', 'owned']);

type NexthopRequest = 'add' | 'replace';
const OPERATIONS: Record<NexthopRequest, string> = { add: 'addNexthop', replace: 'replaceNexthop' };

function nexthopId(value: unknown, field: string): number {
  return integerInRange(value, field, 1, 0xffffffff, 'a nexthop id');
}

/**
 * Nexthop objects (`ip nexthop`) in one namespace. Routes refer to them by id
 * (`routes.add({ dst, nexthopId })`); replacing an object re-points every route that uses it in
 * one kernel operation.
 */
export class NexthopApi extends RtnlApi {
  /**
   * Adds a nexthop object, like `ip nexthop add`, and resolves with its id (the kernel picks one
   * if `id` is absent). Rejects with EEXIST if the id is taken. `dev` may be an altname, as ip
   * takes it. On a handle with an owner, an object without `protocol` is tagged with the owner id.
   * @example await handle.nexthops.add({ id: 1, gateway: '192.0.2.1', dev: 'wan1' })
   * @example await handle.nexthops.add({ id: 10, group: [{ id: 1 }, { id: 2, weight: 3 }] })
   * @example await handle.nexthops.add({ id: 20, gateway: '192.0.2.5', fdb: true }) // for VXLAN FDB entries
   */
  add(nexthop: NexthopObject): Promise<number> {
    return this.one('add', nexthop);
  }

  /**
   * Adds or replaces a nexthop object by id, like `ip nexthop replace`; every route using it
   * follows at once. A group can replace a group and a single nexthop a single one, not across.
   */
  replace(nexthop: NexthopObject): Promise<number> {
    return this.one('replace', nexthop);
  }

  private async one(request: NexthopRequest, nexthop: NexthopObject): Promise<number> {
    const resolved = resolveNexthopObject(nexthop, 'nexthop', request, 'lookup');
    const owner = this.owner;
    if (owner !== undefined && nexthop.protocol === undefined) resolved.protocol = owner;
    const operation = OPERATIONS[request];
    const links = await this.interfaces(operation, nexthopInterfaceNames(resolved, 'nexthop'));
    const { type, flags } = NEXTHOP_REQUESTS[request];
    const write = (w: MessageWriter) => encodeNexthopObject(w, resolved, (name) => links.get(name));
    if (resolved.id !== 0) {
      await this.single({ operation }, type, flags, write);
      return resolved.id;
    }
    // The kernel picks the id: ask for the object back to learn it.
    const replies = await this.connection.request({ operation }, type, flags | NLM_F_ECHO, write);
    const echoed = replies.find((m) => m.type === RTM_NEWNEXTHOP);
    const id = echoed !== undefined ? decodeNexthopObject(echoed, () => undefined).id : undefined;
    if (id === undefined || id === 0) throw new NetlinkError({ errno: Errno.ENODATA, operation, netns: this.provider.netnsLabel, detail: 'the kernel did not echo the new nexthop' });
    return id;
  }

  /**
   * Deletes a nexthop object by id, like `ip nexthop del id ID`; takes what {@link list} returns
   * too. Routes using it go with it; a group loses it as a member, and a group left without
   * members goes too, with its routes. Rejects with ENOENT if there is none.
   */
  async delete(nexthop: number | NexthopObject): Promise<void> {
    const id = typeof nexthop === 'number' ? nexthopId(nexthop, 'nexthop') : nexthopId((nexthop as NexthopObject | null)?.id, 'nexthop.id');
    const { type, flags } = NEXTHOP_REQUESTS.delete;
    await this.single({ operation: 'deleteNexthop' }, type, flags, (w) => encodeNexthopId(w, id));
  }

  /** One nexthop object by id, like `ip nexthop get id ID`; undefined if there is none. */
  async get(id: number): Promise<NexthopObject | undefined> {
    const checked = nexthopId(id, 'id');
    let replies;
    try {
      replies = await this.connection.request({ operation: 'getNexthop' }, RTM_GETNEXTHOP, NLM_F_REQUEST, (w) => encodeNexthopId(w, checked));
    } catch (error) {
      if (error instanceof NetlinkError && error.code === 'ENOENT') return undefined;
      throw error;
    }
    const message = replies.find((m) => m.type === RTM_NEWNEXTHOP);
    if (message === undefined) return undefined;
    const names = await this.linkNames('getNexthop');
    return decodeNexthopObject(message, (index) => names.get(index));
  }

  /** Lists nexthop objects, like `ip nexthop show`, in id order. */
  list(filter: NexthopFilter = {}): Promise<NexthopObject[]> {
    return this.listFor('listNexthops', filter);
  }

  /** {@link list} on behalf of `operation` (list or flush), whose name its failures carry. */
  private async listFor(operation: string, filter: NexthopFilter): Promise<NexthopObject[]> {
    this.checkFilter(filter, FILTER_KEYS);
    if (filter.family !== undefined && filter.family !== 'inet' && filter.family !== 'inet6') {
      throw new ValidationError('filter.family', filter.family, "expected 'inet' or 'inet6'");
    }
    for (const key of ['groups', 'fdb'] as const) {
      if (filter[key] !== undefined && typeof filter[key] !== 'boolean') throw new ValidationError(`filter.${key}`, filter[key], 'expected a boolean');
    }
    const protocol = this.filterProtocol(filter);
    // The device may be named by an altname: the kernel filters by its index.
    const dev = filter.dev !== undefined ? interfaceLookupName(filter.dev, 'filter.dev') : undefined;
    const master = filter.master !== undefined ? interfaceLookupName(filter.master, 'filter.master') : undefined;
    const [[names, ifindex], masterIndex] = await Promise.all([
      this.linkNamesAndFilterDev(operation, dev),
      master === undefined ? undefined : this.interfaces(operation, [[master, 'filter.master']]).then((m) => m.get(master)),
    ]);
    const connection = this.connection;
    const messages = await this.step(operation, 'listing nexthop objects (RTM_GETNEXTHOP dump)', () =>
      connection.dump({ operation: 'listNexthops' }, RTM_GETNEXTHOP, NLM_F_REQUEST | NLM_F_DUMP, (w) =>
        encodeNexthopDumpRequest(w, { ifindex, master: masterIndex, groups: filter.groups === true, fdb: filter.fdb === true }),
      ),
    );
    const out: NexthopObject[] = [];
    for (const message of messages) {
      if (message.type !== RTM_NEWNEXTHOP) continue;
      const nexthop = decodeNexthopObject(message, (index) => names.get(index));
      if (filter.family !== undefined && nexthop.family !== filter.family) continue;
      if (protocol !== undefined && protocolCode(nexthop.protocol, 'nexthop.protocol') !== protocol) continue;
      out.push(nexthop);
    }
    return out;
  }

  /**
   * Deletes every nexthop object the filter matches, groups first, and resolves with how many
   * its deletes removed. On a handle with an owner only the owner's objects are flushed unless
   * the filter names a protocol; without either, every one. Routes using them go with them, and
   * so does any group (the owner's or not) whose members all went. One that vanished meanwhile
   * counts as gone.
   */
  async flush(filter: NexthopFilter = {}): Promise<number> {
    const listed = await this.listFor('flushNexthops', this.ownerScope(filter));
    // Groups first: deleting their members one by one would rebalance each group every time.
    const order = [...listed.filter((n) => n.group !== undefined), ...listed.filter((n) => n.group === undefined)];
    if (order.length === 0) return 0;
    const batch = new Batch({ initialCapacity: order.length * 32 + 64 });
    const { type, flags } = NEXTHOP_REQUESTS.delete;
    order.forEach((nexthop, index) => batch.add({ operation: 'flushNexthops', index }, type, flags, (w) => encodeNexthopId(w, nexthop.id!)));
    const result = await this.connection.execute(batch);
    let deleted = 0;
    for (const error of result.errors) {
      if (error === undefined) deleted++;
      else if (error.code !== 'ENOENT') throw error;
    }
    return deleted;
  }
}
