/**
 * The document's sysctls against the kernel's cascades: a few global switches make the kernel
 * write other sysctls too (every device's forwarding, for one). Planning writes those switches
 * first and plans the document's keys they overwrite; applying snapshots what a switch
 * overwrites, so that an undo can put it back; and an undo that cannot restore what a write
 * destroyed says so.
 */
import type { Handle } from '../handle.js';
import { readSysctl, sysctlKey, sysctlKeySegments } from '../sys/api.js';
import type { PlanChange } from './plan.js';

/** A global switch the kernel copies onto every device's (and the default's) `setting`. */
interface Cascade {
  family: 'ipv4' | 'ipv6';
  setting: string;
}

/**
 * The cascade a key's write sets off, if any. net.ipv4.ip_forward is conf.all.forwarding; a
 * change of it sets every device's and the default's forwarding and all.accept_redirects to its
 * opposite (inet_forward_change). IPv6 conf.all.forwarding and conf.all.disable_ipv6 set every
 * device's and the default's (addrconf_forward_change, addrconf_disable_change).
 */
function cascadeOf(key: string): Cascade | undefined {
  switch (sysctlKeySegments(key).join('/')) {
    case 'net/ipv4/ip_forward':
    case 'net/ipv4/conf/all/forwarding':
      return { family: 'ipv4', setting: 'forwarding' };
    case 'net/ipv6/conf/all/forwarding':
      return { family: 'ipv6', setting: 'forwarding' };
    case 'net/ipv6/conf/all/disable_ipv6':
      return { family: 'ipv6', setting: 'disable_ipv6' };
    default:
      return undefined;
  }
}

/** What a cascade writing `written` leaves in `key`; undefined for a key it does not touch. */
function cascadedValue(cascade: Cascade, written: string, key: string): string | undefined {
  const segments = sysctlKeySegments(key);
  const ipv4Forwarding = cascade.family === 'ipv4' && cascade.setting === 'forwarding';
  if (ipv4Forwarding && segments.join('/') === 'net/ipv4/ip_forward') return written;
  if (segments.length !== 5 || segments[0] !== 'net' || segments[1] !== cascade.family || segments[2] !== 'conf') return undefined;
  if (segments[4] === cascade.setting) return written;
  if (ipv4Forwarding && segments[3] === 'all' && segments[4] === 'accept_redirects') return Number(written) !== 0 ? '0' : '1';
  return undefined;
}

/**
 * The sysctl changes of a plan, in the order apply writes them: the global switches first, so
 * that the device keys of the document are written after the switch overwrote them; a key is
 * set when the value the earlier writes leave in it (or, before them, the kernel's) is not the
 * document's.
 */
export function planSysctls(sysctls: readonly { key: string; value: string; current: string }[]): PlanChange[] {
  const ordered = [...sysctls.filter((s) => cascadeOf(s.key) !== undefined), ...sysctls.filter((s) => cascadeOf(s.key) === undefined)];
  const expected = new Map(ordered.map((s) => [s.key, s.current]));
  const changes: PlanChange[] = [];
  for (const sysctl of ordered) {
    if (expected.get(sysctl.key) === sysctl.value) continue;
    changes.push({ object: 'sysctl', action: 'set', operation: 'setSysctl', key: sysctl.key, value: sysctl.value, previous: sysctl.current });
    expected.set(sysctl.key, sysctl.value);
    const cascade = cascadeOf(sysctl.key);
    if (cascade === undefined) continue;
    for (const other of ordered) {
      const value = other.key === sysctl.key ? undefined : cascadedValue(cascade, sysctl.value, other.key);
      if (value !== undefined) expected.set(other.key, value);
    }
  }
  return changes;
}

/** Values a write of `key` may overwrite, as sysctl keys and their values before it. */
export type SysctlSnapshot = Map<string, string>;

/** The names of the namespace's links, as a {@link linkNamesOnce} getter gives them. */
export type LinkNames = () => Promise<string[]>;

/**
 * A getter of the namespace's link names that dumps the links at its first call only: the
 * snapshots of one apply's switches share the dump (the apply adds and deletes no links).
 */
export function linkNamesOnce(handle: Handle): LinkNames {
  let listed: Promise<string[]> | undefined;
  return () => (listed ??= handle.links.list().then((links) => links.map((l) => l.name)));
}

/**
 * What writing `key` would overwrite besides it (every device's and the default's setting, and
 * all.accept_redirects for IPv4 forwarding), read before the write; empty for a key that sets off
 * no cascade. A device without the family's settings (no IPv6 on it) is left out. `linkNames`
 * gives the devices (one dump shared by the switches of an apply: see {@link linkNamesOnce}).
 */
export async function cascadeSnapshot(handle: Handle, key: string, linkNames: LinkNames = linkNamesOnce(handle)): Promise<SysctlSnapshot> {
  const snapshot: SysctlSnapshot = new Map();
  const cascade = cascadeOf(key);
  if (cascade === undefined) return snapshot;
  const scopes = ['default', ...(await linkNames())];
  const keys = scopes.map((scope) => ['net', cascade.family, 'conf', scope, cascade.setting]);
  if (cascade.family === 'ipv4' && cascade.setting === 'forwarding') keys.push(['net', 'ipv4', 'conf', 'all', 'accept_redirects']);
  for (const segments of keys) {
    try {
      snapshot.set(sysctlKey(segments), readSysctl(handle, segments));
    } catch {
      // No such file: nothing there to overwrite.
    }
  }
  return snapshot;
}

/** Writes back each value of a snapshot that differs now; throws one error naming those that failed. */
export async function restoreSnapshot(handle: Handle, snapshot: SysctlSnapshot): Promise<void> {
  const failed: string[] = [];
  for (const [key, value] of snapshot) {
    try {
      if ((await handle.sysctl.get(key)) !== value) await handle.sysctl.set(key, value);
    } catch (error) {
      failed.push(`${key} (${(error as Error).message})`);
    }
  }
  if (failed.length > 0) throw new Error(`rollback could not restore ${failed.join(', ')}`);
}

/**
 * Why writing a sysctl's previous value back does not restore the state before the change, if
 * it does not: turning IPv6 off on a device (or all) makes the kernel delete its IPv6
 * addresses and their routes (addrconf_ifdown), and turning it back on brings back only what
 * the kernel makes itself (link-local addresses).
 */
export function irreversibleWrite(change: Extract<PlanChange, { object: 'sysctl' }>): string | undefined {
  const segments = sysctlKeySegments(change.key);
  if (segments.length !== 5 || segments.slice(0, 3).join('/') !== 'net/ipv6/conf' || segments[4] !== 'disable_ipv6' || segments[3] === 'default') return undefined;
  if (Number(change.previous) !== 0 || Number(change.value) === 0) return undefined;
  const devices = segments[3] === 'all' ? "every device's" : `${segments[3]}'s`;
  return `${change.key} was set back to ${change.previous}, but setting it to ${change.value} had made the kernel delete ${devices} IPv6 addresses and their routes, which it does not restore (only link-local addresses come back)`;
}
