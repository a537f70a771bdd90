/** Errors of desired-state apply: which change of the plan failed, and whether it was undone. */
import { Errno } from '../netlink/errno.js';
import { NetlinkError } from '../netlink/errors.js';
import type { PlanChange } from './plan.js';

/** What {@link PolicyApplyError} is told about a failed apply. */
export interface PolicyApplyFailure {
  /** Why the step failed: the kernel's refusal (a NetlinkError) or any other error. */
  cause: Error;
  /** The failed change's index in `plan.changes`; undefined for a change apply made on its own. */
  index: number | undefined;
  /** The failed change (from the plan, or the one apply made on its own). */
  change: PlanChange;
  /** The apply step that failed, e.g. `'add routes'`, `'nft transaction'`, `'sysctls'`. */
  step: string;
  /** The steps whose changes were undone, in the order they were undone. */
  undone: string[];
  /** What could not be undone. */
  rollbackErrors: Error[];
  /** The handle's namespace label. */
  netns: string | undefined;
}

/**
 * An apply that failed midway, whatever failed: a kernel refusal, a sysctl write, a read of the
 * state to restore. It is a NetlinkError carrying the errno and extended-ACK text of the cause
 * when the cause is a NetlinkError (EIO otherwise) and the cause itself (`cause`), with
 * `operation` the failed change's operation (`'addRoute'`, `'deleteRule'`, `'nft transaction'`,
 * `'setSysctl'`), `index` its index in `plan.changes` (undefined for a sysctl apply rewrote on
 * its own because a write overwrote it), and `step` the apply step. By the time it is thrown,
 * every change that had succeeded was undone (`rolledBack`, and `undone` lists the steps), unless
 * undoing failed too (`rollbackErrors`).
 */
export class PolicyApplyError extends NetlinkError {
  /** The change that failed. */
  readonly change: PlanChange;
  /** The apply step that failed. */
  readonly step: string;
  /** The steps whose changes were undone, in the order they were undone. */
  readonly undone: string[];
  /** True when the state before the apply was restored completely. */
  readonly rolledBack: boolean;
  /** What could not be undone (empty when `rolledBack`). */
  readonly rollbackErrors: Error[];

  constructor(failure: PolicyApplyFailure) {
    const { cause, index, change, step, undone, rollbackErrors, netns } = failure;
    const netlink = cause instanceof NetlinkError ? cause : undefined;
    const causeText = netlink !== undefined ? netlink.detail : cause.message;
    super({
      // A failure that carries no errno (not the kernel's refusal) is reported as EIO.
      errno: netlink?.errno ?? Errno.EIO,
      extAck: netlink?.extAck,
      operation: change.operation,
      index,
      netns,
      detail: `${step}: ${describeChange(change)}${causeText !== undefined ? `: ${causeText}` : ''}${rollbackErrors.length === 0 ? '; everything applied before it was undone' : `; ${rollbackErrors.length} undo step(s) failed`}`,
      cause,
    });
    this.name = 'PolicyApplyError';
    this.change = change;
    this.step = step;
    this.undone = undone;
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
      return `${change.action} nft table ${change.family} ${change.name}${change.drift !== undefined ? ` (${change.drift})` : ''}`;
    case 'sysctl':
      return `set ${change.key} = ${change.value} (was ${change.previous})`;
  }
}
