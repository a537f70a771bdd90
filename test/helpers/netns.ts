/**
 * Test namespaces: every system test works in network namespaces it makes here, and they are
 * always removed when the test ends, failed or not. The whole run is also inside the sandbox of
 * scripts/in-sandbox, so nothing can reach the host's network by mistake.
 */
import { execFileSync, spawnSync } from 'node:child_process';

/** The part of a tap test this helper needs. */
export interface TeardownHost {
  teardown(fn: () => void | Promise<void>): void;
}

let counter = 0;

/** Runs a command and returns its stdout; throws with stderr on failure. */
export function run(command: string, args: string[], input?: string): string {
  const result = spawnSync(command, args, { encoding: 'utf8', input, maxBuffer: 256 << 20 });
  if (result.status !== 0) {
    throw new Error(`${command} ${args.join(' ')} failed (${result.status}): ${result.stderr || result.stdout}`);
  }
  return result.stdout;
}

/** A network namespace made for a test. */
export class TestNetns {
  constructor(readonly name: string) {}

  /** `ip -n NAME ...args`, returning stdout. */
  ip(...args: string[]): string {
    return run('ip', ['-n', this.name, ...args]);
  }

  /** `ip -n NAME -j ...args`, parsed. */
  ipJson<T = unknown>(...args: string[]): T {
    const text = run('ip', ['-n', this.name, '-j', ...args]).trim();
    return (text === '' ? [] : JSON.parse(text)) as T;
  }

  /** Runs a command inside the namespace (`ip netns exec`). */
  exec(command: string, args: string[] = [], input?: string): string {
    return run('ip', ['netns', 'exec', this.name, command, ...args], input);
  }

  /** `nft -j list ruleset` inside the namespace, parsed. */
  nftJson(): { nftables: Record<string, unknown>[] } {
    return JSON.parse(this.exec('nft', ['-j', 'list', 'ruleset'])) as { nftables: Record<string, unknown>[] };
  }

  /** The ifindex of a link. */
  ifindex(link: string): number {
    return this.ipJson<{ ifindex: number }[]>('link', 'show', link)[0]!.ifindex;
  }
}

/** Makes a fresh namespace (lo up) that is removed when the test ends. */
export function makeNetns(t: TeardownHost, prefix = 'rmt'): TestNetns {
  const name = `${prefix}-${process.pid}-${++counter}`;
  execFileSync('ip', ['netns', 'add', name]);
  t.teardown(() => {
    spawnSync('ip', ['netns', 'del', name]);
  });
  const ns = new TestNetns(name);
  ns.ip('link', 'set', 'lo', 'up');
  return ns;
}

/** Options for {@link addVeth}. */
export interface VethOptions {
  /** Address (with prefix) for the first end. */
  address?: string;
  /** Namespace of the peer end (default: the same one). */
  peerNetns?: TestNetns;
  /** Address (with prefix) for the peer end. */
  peerAddress?: string;
  /** Leave the links down. */
  down?: boolean;
}

/** Makes a veth pair `name` (in ns) <-> `peer` (in options.peerNetns or ns), up, with addresses. */
export function addVeth(ns: TestNetns, name: string, peer: string, options: VethOptions = {}): void {
  ns.ip('link', 'add', name, 'type', 'veth', 'peer', 'name', peer);
  if (options.peerNetns) ns.ip('link', 'set', peer, 'netns', options.peerNetns.name);
  const peerNs = options.peerNetns ?? ns;
  if (options.address) ns.ip('addr', 'add', options.address, 'dev', name);
  if (options.peerAddress) peerNs.ip('addr', 'add', options.peerAddress, 'dev', peer);
  if (!options.down) {
    ns.ip('link', 'set', name, 'up');
    peerNs.ip('link', 'set', peer, 'up');
  }
}
