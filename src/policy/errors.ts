/** Errors of desired-state apply: which change of the plan failed, and whether it was undone. */
import { NetlinkError } from '../netlink/errors.js';
import type { PlanChange } from './plan.js';

/**
 * An apply that failed midway. It is a NetlinkError carrying the kernel's errno and extended-ACK
 * text of the refusal (`cause`), with `operation` the failed change's operation (`'addRoute'`,
 * `'deleteRule'`, `'nft transaction'`, `'setSysctl'`) and `index` its index in `plan.changes`.
 * By the time it is thrown, every change that had succeeded was undone (`rolledBack`), unless
 * undoing failed too (`rollbackErrors`).
 */
export class PolicyApplyError extends NetlinkError {
  /** The change that failed (from the plan). */
  readonly change: PlanChange;
  /** True when the state before the apply was restored completely. */
  readonly rolledBack: boolean;
  /** What could not be undone (empty when `rolledBack`). */
  readonly rollbackErrors: Error[];

  constructor(cause: NetlinkError, index: number, change: PlanChange, rollbackErrors: Error[], netns: string | undefined) {
    super({
      errno: cause.errno,
      extAck: cause.extAck,
      operation: change.operation,
      index,
      netns,
      detail: `${describeChange(change)}${cause.detail !== undefined ? `: ${cause.detail}` : ''}${rollbackErrors.length === 0 ? '; everything applied before it was undone' : `; ${rollbackErrors.length} undo step(s) failed`}`,
      cause,
    });
    this.name = 'PolicyApplyError';
    this.change = change;
    this.rolledBack = rollbackErrors.length === 0;
    this.rollbackErrors = rollbackErrors;
  }
}

/**
 * The state in the kernel contradicts the document in a way apply must not resolve by itself:
 * an nf_tables table of the same name belongs to another owner (or to none).
 */
export class PolicyConflictError extends Error {
  /** Stable error code for programmatic checks. */
  readonly code = 'ERR_ROUTEMARK_CONFLICT';
  /** Path of the document field in conflict, e.g. `nftables[0].table`. */
  readonly field: string;

  constructor(field: string, message: string) {
    super(`${field}: ${message}`);
    this.name = 'PolicyConflictError';
    this.field = field;
  }
}

/** A one-line description of a change, for messages. */
export function describeChange(change: PlanChange): string {
  switch (change.object) {
    case 'address':
      return `${change.action} address ${JSON.stringify(change.address)}`;
    case 'rule':
      return `${change.action} rule ${JSON.stringify(change.rule)}`;
    case 'route':
      return `${change.action} route ${JSON.stringify(change.route)}`;
    case 'nexthop':
      return `${change.action} nexthop ${JSON.stringify(change.nexthop)}`;
    case 'nftTable':
      return `${change.action} nft table ${change.family} ${change.name}`;
    case 'sysctl':
      return `set ${change.key} = ${change.value} (was ${change.previous})`;
  }
}
