/** What every rtnetlink API class shares: the handle's socket, table names, single requests, bulk results. */
import type { MessageWriter } from '../netlink/attributes.js';
import { Batch } from '../netlink/batch.js';
import { sendChunkedRuns } from '../netlink/chunked.js';
import type { BatchResult, Connection } from '../netlink/connection.js';
import { NETLINK_ROUTE } from '../netlink/constants.js';
import { NetlinkError, ValidationError, type OperationRef } from '../netlink/errors.js';
import type { ConnectionProvider } from '../netlink/provider.js';
import { AF_INET, AF_INET6, AF_UNSPEC } from './constants.js';
import { linkNameMap, resolveInterfaces } from './links.js';
import { protocolCode } from './names.js';
import { ownedFilter, ownerOf } from './owner.js';
import { TableResolver, tableNamesOf } from './tables.js';
import type { FamilyName } from '../common/ip.js';

/** The outcome of a bulk call (`addMany`, `deleteMany`), item by item in the caller's order. */
export interface BulkResult {
  /** Per item, in the caller's order: `undefined` if it succeeded, else the kernel's refusal. */
  errors: (NetlinkError | undefined)[];
  /** How many items succeeded. */
  succeeded: number;
  /** How many items failed. */
  failed: number;
}

/** Options of bulk calls. */
export interface RtnlBulkOptions {
  /** Reject with the first item's error (in the caller's order) if any failed; default false. */
  throwOnError?: boolean;
}

/** Finishes a bulk result: counts, and throws the first error if asked to. */
export function bulkResult(errors: (NetlinkError | undefined)[], options: RtnlBulkOptions | undefined): BulkResult {
  let failed = 0;
  let first: NetlinkError | undefined;
  for (const error of errors) {
    if (error === undefined) continue;
    failed++;
    first ??= error;
  }
  if (first && options?.throwOnError) throw first;
  return { errors, succeeded: errors.length - failed, failed };
}

/**
 * An error of a request that a call made on the way to its own (resolving interface names, the
 * dump a bulk call checks against), attributed to the caller's `operation`: a NetlinkError that
 * names another operation is copied with the caller's, and with `step` (which request failed, e.g.
 * `resolving interface names (RTM_GETLINK)`) before its detail. The original stays as the cause.
 * Anything else (a ValidationError names its field already) is returned as it is.
 */
export function attributeTo(error: unknown, operation: string, step: string): unknown {
  if (!(error instanceof NetlinkError) || error.operation === operation) return error;
  return error.asStepOf(operation, step);
}

/** AF_* of a list filter's `family` (AF_UNSPEC for both); a ValidationError naming `field` for anything else. */
export function familyCode(family: FamilyName | undefined, field = 'filter.family'): number {
  if (family === undefined) return AF_UNSPEC;
  if (family === 'inet') return AF_INET;
  if (family === 'inet6') return AF_INET6;
  throw new ValidationError(field, family, "expected 'inet' or 'inet6'");
}

/** The families a list call walks: the one asked for, or IPv4 then IPv6. */
export function familiesOf(family: FamilyName | undefined, field = 'filter.family'): number[] {
  return family === undefined ? [AF_INET, AF_INET6] : [familyCode(family, field)];
}

/** Base of the rtnetlink API classes: one handle's NETLINK_ROUTE socket and its table names. */
export abstract class RtnlApi {
  constructor(protected readonly provider: ConnectionProvider) {}

  /** The handle's NETLINK_ROUTE connection. */
  protected get connection(): Connection {
    return this.provider.connection(NETLINK_ROUTE);
  }

  /**
   * The owner id of the handle (its `owner` option): the protocol its rules and routes get when
   * they name none, and the one its deletes and flushes keep to.
   */
  protected get owner(): number | undefined {
    return ownerOf(this.provider);
  }

  /** Checks a list filter: an object whose keys are all in `keys`; a ValidationError naming the first other. */
  protected checkFilter(filter: object, keys: ReadonlySet<string>): void {
    if (typeof filter !== 'object' || filter === null) throw new ValidationError('filter', filter, 'expected an object');
    for (const key of Object.keys(filter)) {
      if (!keys.has(key)) throw new ValidationError(`filter.${key}`, (filter as Record<string, unknown>)[key], `unknown filter (known: ${[...keys].join(', ')})`);
    }
  }

  /**
   * The protocol a list filter selects: its `protocol`, else the owner's with `owned: true`
   * (a ValidationError if the handle has no owner, or if the two disagree).
   */
  protected filterProtocol(filter: { protocol?: unknown; owned?: unknown }): number | undefined {
    const owned = ownedFilter(filter.owned, this.owner);
    const protocol = filter.protocol !== undefined ? protocolCode(filter.protocol, 'filter.protocol') : owned;
    if (owned !== undefined && protocol !== owned) throw new ValidationError('filter.protocol', filter.protocol, `contradicts owned: true (the owner is ${owned})`);
    return protocol;
  }

  /**
   * What a flush on this handle takes: on a handle with an owner, a filter that names neither a
   * protocol nor `owned` is narrowed to the owner's objects.
   */
  protected ownerScope<F extends { protocol?: unknown; owned?: boolean }>(filter: F): F {
    // Spread, a filter that is not an object would select everything.
    if (typeof filter !== 'object' || filter === null) throw new ValidationError('filter', filter, 'expected an object');
    if (this.owner === undefined || filter.protocol !== undefined || filter.owned !== undefined) return filter;
    return { ...filter, owned: true };
  }

  /** A table resolver for one call (reads rt_tables at most once, and only if a name is used). */
  protected tables(): TableResolver {
    return new TableResolver(tableNamesOf(this.provider));
  }

  /** Sends one message and throws the kernel's error, attributed to `ref`. */
  protected async single(ref: OperationRef, type: number, flags: number, write: (w: MessageWriter) => void): Promise<void> {
    const batch = new Batch({ initialCapacity: 256 });
    batch.add(ref, type, flags, write);
    const result = await this.connection.execute(batch);
    if (result.errors[0]) throw result.errors[0];
  }

  /**
   * Runs a request that `operation` makes before (or besides) its own, so that its failure names
   * `operation` and says which request failed (see {@link attributeTo}). The connection is to be
   * taken before: a socket that cannot be opened fails every call alike, as `open`.
   */
  protected async step<T>(operation: string, step: string, work: () => Promise<T>): Promise<T> {
    try {
      return await work();
    } catch (error) {
      throw attributeTo(error, operation, step);
    }
  }

  /**
   * Resolves interface names to indexes for `operation`; unknown names are ValidationErrors
   * naming the field, other failures NetlinkErrors naming `operation`.
   */
  protected async interfaces(operation: string, names: Iterable<[name: string, field: string]>): Promise<Map<string, number>> {
    const wanted = [...names];
    if (wanted.length === 0) return new Map();
    const connection = this.connection;
    return this.step(operation, 'resolving interface names (RTM_GETLINK)', () => resolveInterfaces(connection, wanted, this.provider.netnsLabel));
  }

  /** Index -> name of every link, for `operation` (whose name its failure carries). */
  protected linkNames(operation: string): Promise<Map<number, string>> {
    const connection = this.connection;
    return this.step(operation, 'naming interfaces (RTM_GETLINK dump)', () => linkNameMap(connection));
  }

  /**
   * For a list call (`operation`): index -> name of every link, and the index of the link that
   * the filter's `dev` names (undefined without one; a ValidationError on `filter.dev` if there
   * is none).
   */
  protected linkNamesAndFilterDev(operation: string, dev: string | undefined): Promise<[Map<number, string>, number | undefined]> {
    return Promise.all([this.linkNames(operation), dev === undefined ? undefined : this.interfaces(operation, [[dev, 'filter.dev']]).then((m) => m.get(dev))]);
  }

  /**
   * Encodes and sends items chunk by chunk (see {@link sendChunked}) in `order` (the caller's
   * indexes, which the operations carry); returns errors in the caller's order. Everything must
   * have been validated before: a chunk that has gone cannot be taken back.
   */
  protected async runChunked(order: ArrayLike<number>, count: number, bytesPerItem: number, write: (batch: Batch, order: ArrayLike<number>, from: number, to: number) => void): Promise<(NetlinkError | undefined)[]> {
    const sent = await sendChunkedRuns(this.connection, order.length, bytesPerItem, (batch, from, to) => write(batch, order, from, to));
    const errors = new Array<NetlinkError | undefined>(count).fill(undefined);
    for (let k = 0; k < sent.length; k++) if (sent[k] !== undefined) errors[order[k]!] = sent[k];
    return errors;
  }

  /** Runs a batch whose operations carry the caller's indexes; returns errors in the caller's order. */
  protected async runIndexed(batch: Batch, count: number): Promise<(NetlinkError | undefined)[]> {
    const errors = new Array<NetlinkError | undefined>(count).fill(undefined);
    if (batch.operationCount === 0) return errors;
    const result: BatchResult = await this.connection.execute(batch);
    for (let op = 0; op < result.errors.length; op++) {
      const error = result.errors[op];
      if (error) errors[batch.operationIndex(op)!] = error;
    }
    return errors;
  }
}
