import { ValidationError } from './netlink/errors.js';

/**
 * A network namespace: a name under /run/netns (as made by `ip netns add`), a path to a
 * namespace file (/proc/PID/ns/net, a bind mount), or a process id.
 */
export type NetnsRef = string | number;

/** The namespace file to enter for a {@link NetnsRef}, or undefined for the current namespace. */
export function netnsPath(netns: NetnsRef | undefined, field = 'netns'): string | undefined {
  if (netns === undefined) return undefined;
  if (typeof netns === 'number') {
    if (!Number.isInteger(netns) || netns <= 0) throw new ValidationError(field, netns, 'a process id must be a positive integer');
    return `/proc/${netns}/ns/net`;
  }
  if (typeof netns !== 'string' || netns.length === 0) {
    throw new ValidationError(field, netns, 'expected a namespace name, a path or a pid');
  }
  if (netns.includes('/')) return netns;
  if (netns === '.' || netns === '..' || netns.includes('\0')) throw new ValidationError(field, netns, 'not a namespace name');
  return `/run/netns/${netns}`;
}

/** A readable label for a namespace in messages. */
export function netnsLabel(netns: NetnsRef | undefined): string | undefined {
  if (netns === undefined) return undefined;
  return typeof netns === 'number' ? `pid ${netns}` : netns;
}
