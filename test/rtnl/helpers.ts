/**
 * Helpers for the rtnetlink system tests: a handle in a fresh namespace, an rt_tables folder of
 * the test's own (seen by routemark through useTableNames and by `ip` through a bind mount that
 * lives only in that one command's mount namespace), and ip's JSON output normalized.
 */
import { cpSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { NetlinkError, open, type Handle } from '../../src/index.js';
import { NETLINK_ROUTE } from '../../src/netlink/constants.js';
import { useTableNames } from '../../src/rtnl/tables.js';
import { makeNetns, run, type TeardownHost, type TestNetns } from '../helpers/netns.js';
import { shellQuote } from '../helpers/shell.js';

/** A fresh namespace and a handle in it, both gone when the test ends. */
export async function freshHandle(t: TeardownHost): Promise<{ ns: TestNetns; handle: Handle }> {
  const ns = makeNetns(t, 'rtnl');
  const handle = await open({ netns: ns.name });
  t.teardown(() => handle.close());
  return { ns, handle };
}

/** Messages the handle's rtnetlink socket has sent so far. */
export function messagesSent(handle: Handle): number {
  return handle.connection(NETLINK_ROUTE).messagesSent;
}

/**
 * A copy of the machine's /etc/iproute2 with `rt_tables.d/test.conf` naming the given tables;
 * the handle resolves names from it. Removed when the test ends.
 */
export function testTables(t: TeardownHost, handle: Handle, tables: Record<string, number>): string {
  const dir = mkdtempSync(join(tmpdir(), 'routemark-iproute2-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  cpSync('/etc/iproute2', dir, { recursive: true });
  cpSync(join(dir, 'rt_tables'), join(dir, 'rt_tables.orig'));
  const lines = Object.entries(tables).map(([name, id]) => `${id}\t${name}`);
  writeFileSync(join(dir, 'rt_tables'), `# written by the test\n255\tlocal\n254\tmain\n253\tdefault\n0\tunspec\n${lines.join('\n')}\n`);
  useTableNames(handle, { configDir: dir, fallbackDir: join(dir, 'none') });
  return dir;
}

/**
 * `ip -n NS ARGS` with `dir` bind-mounted on /etc/iproute2, in a mount namespace of its own
 * that ends with the command: the machine's /etc is never touched.
 */
export function ipWithTables(ns: TestNetns, dir: string, ...args: string[]): string {
  const quoted = ['ip', '-n', ns.name, ...args].map(shellQuote).join(' ');
  return run('unshare', ['--mount', '--propagation', 'private', 'sh', '-c', `mount --bind ${shellQuote(dir)} /etc/iproute2 && exec ${quoted}`]);
}

/** Parsed `ip -j` output with the bind-mounted tables. */
export function ipJsonWithTables<T = unknown>(ns: TestNetns, dir: string, ...args: string[]): T {
  const text = ipWithTables(ns, dir, '-j', ...args).trim();
  return (text === '' ? [] : JSON.parse(text)) as T;
}

/** The rules `ip -j rule` shows, by family. */
export function ipRules(ns: TestNetns, family: 4 | 6 = 4): Record<string, unknown>[] {
  return ns.ipJson<Record<string, unknown>[]>(`-${family}`, 'rule');
}

/** Drops keys whose value is an empty array (`"flags": []`), which say nothing. */
export function withoutEmpty<T extends Record<string, unknown>>(object: T): T {
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(object)) {
    if (Array.isArray(value) && value.length === 0) continue;
    out[key] = Array.isArray(value) ? value.map((v) => (v && typeof v === 'object' ? withoutEmpty(v as Record<string, unknown>) : v)) : value;
  }
  return out as T;
}

/** Two veths with IPv4 and IPv6 addresses: v0 on 192.0.2.0/24 and 2001:db8::/64, v2 on 198.51.100.0/24 and 2001:db8:1::/64. */
export function plumb(ns: TestNetns): void {
  for (const [a, b] of [['v0', 'v1'], ['v2', 'v3']] as const) {
    ns.ip('link', 'add', a, 'type', 'veth', 'peer', 'name', b);
    ns.ip('link', 'set', a, 'up');
    ns.ip('link', 'set', b, 'up');
  }
  ns.ip('addr', 'add', '192.0.2.2/24', 'dev', 'v0');
  ns.ip('addr', 'add', '198.51.100.2/24', 'dev', 'v2');
  ns.ip('addr', 'add', '2001:db8::2/64', 'dev', 'v0', 'nodad');
  ns.ip('addr', 'add', '2001:db8:1::2/64', 'dev', 'v2', 'nodad');
}

/** Each call's outcome, one after another: undefined, the NetlinkError's code, or the error's text. */
export async function oneByOne<T>(items: readonly T[], call: (item: T) => Promise<void>): Promise<(string | undefined)[]> {
  const codes: (string | undefined)[] = [];
  for (const item of items) {
    try {
      await call(item);
      codes.push(undefined);
    } catch (error) {
      codes.push(error instanceof NetlinkError ? error.code : String(error));
    }
  }
  return codes;
}

/** The error text of an `ip` command that fails, or undefined if it succeeds. */
export function ipFails(ns: TestNetns, ...args: string[]): string | undefined {
  try {
    ns.ip(...args);
    return undefined;
  } catch (error) {
    return (error as Error).message;
  }
}

export { rejection } from '../helpers/rejection.js';

/** A link as `ip -j -d link` shows it (the fields the tests read). */
export interface IpLink {
  ifname: string;
  ifindex: number;
  flags: string[];
  mtu: number;
  master?: string;
  link?: string;
  operstate: string;
  address?: string;
  altnames?: string[];
  linkinfo?: { info_kind?: string; info_data?: Record<string, unknown> };
}
