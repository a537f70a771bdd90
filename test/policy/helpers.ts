/**
 * Helpers for the policy tests: a namespace with links to route through, a count of what a
 * handle really sends (read at the socket, below routemark's own bookkeeping), and the state of
 * a namespace as the real tools print it, for before/after comparisons.
 */
import { open, type Handle } from '../../src/index.js';
import { NETLINK_NETFILTER, NETLINK_ROUTE } from '../../src/netlink/constants.js';
import type { Transport } from '../../src/netlink/transport.js';
import { addVeth, makeNetns, type TeardownHost, type TestNetns } from '../helpers/netns.js';

/** A fresh namespace with two veth pairs up (v0 192.0.2.1/24, v2 198.51.100.1/24, and IPv6), and a handle with an owner. */
export async function policyNetns(t: TeardownHost, owner = 201): Promise<{ ns: TestNetns; handle: Handle }> {
  const ns = makeNetns(t, 'pol');
  // No duplicate address detection on the new links: their IPv6 addresses are usable (and
  // settled, for tests that compare snapshots) as soon as the links are up.
  ns.exec('sysctl', ['-qw', 'net.ipv6.conf.default.accept_dad=0']);
  addVeth(ns, 'v0', 'v1', { address: '192.0.2.1/24' });
  addVeth(ns, 'v2', 'v3', { address: '198.51.100.1/24' });
  ns.ip('addr', 'add', '2001:db8::1/64', 'dev', 'v0', 'nodad');
  const handle = await open({ netns: ns.name, owner });
  t.teardown(() => handle.close());
  return { ns, handle };
}

/** Messages a handle sent, by kind, as seen at its sockets' send calls. */
export interface SentMessages {
  /** Requests that only read: RTM_GET*, NFT_MSG_GET*. */
  reads: number;
  /** The NLMSG_NOOP sentinels that close each sendmsg (they change nothing). */
  sentinels: number;
  /** Everything else: messages that change the kernel (and nf_tables batch framing). */
  changes: number;
  /** The types of the changing messages, for failure messages. */
  changeTypes: number[];
  /** The types of the dump requests (NLM_F_DUMP), e.g. 18 for each RTM_GETLINK dump. */
  dumpTypes: number[];
}

const NLMSG_NOOP = 1; // NLMSG_NOOP
const NLM_F_DUMP = 0x300; // NLM_F_DUMP (NLM_F_ROOT | NLM_F_MATCH)
const NFNL_SUBSYS_NFTABLES = 10; // NFNL_SUBSYS_NFTABLES
/** NFT_MSG_GETTABLE, GETCHAIN, GETRULE, GETSET, GETSETELEM, GETGEN, GETOBJ, GETFLOWTABLE. */
const NFT_READS = new Set([1, 4, 7, 10, 13, 16, 19, 23]);

function classify(type: number, protocol: number): 'read' | 'sentinel' | 'change' {
  if (type === NLMSG_NOOP) return 'sentinel';
  if (protocol === NETLINK_ROUTE) return type >= 16 && (type & 3) === 2 ? 'read' : 'change'; // RTM_GET* = RTM_BASE + 4k + 2
  if (type >> 8 === NFNL_SUBSYS_NFTABLES && NFT_READS.has(type & 0xff)) return 'read';
  return 'change';
}

/**
 * Counts every netlink message the handle's sockets send from now on, by wrapping the send
 * call of each transport (so it sees exactly the bytes that go to the kernel).
 */
export function countMessages(handle: Handle): SentMessages {
  const counts: SentMessages = { reads: 0, sentinels: 0, changes: 0, changeTypes: [], dumpTypes: [] };
  const count = (data: Uint8Array, protocol: number) => {
    const view = new DataView(data.buffer, data.byteOffset, data.byteLength);
    for (let at = 0; at + 16 <= data.byteLength; ) {
      const length = view.getUint32(at, true);
      const type = view.getUint16(at + 4, true);
      const flags = view.getUint16(at + 6, true);
      const kind = classify(type, protocol);
      if (kind === 'read' && (flags & NLM_F_DUMP) === NLM_F_DUMP) counts.dumpTypes.push(type);
      if (kind === 'read') counts.reads++;
      else if (kind === 'sentinel') counts.sentinels++;
      else {
        counts.changes++;
        counts.changeTypes.push(type);
      }
      if (length < 16) break;
      at += (length + 3) & ~3;
    }
  };
  for (const protocol of [NETLINK_ROUTE, NETLINK_NETFILTER]) {
    // Both ways out of a connection: sent at once, and queued for the sender thread (which
    // sends a sentinel after each datagram).
    const transport = handle.connection(protocol).socket as Transport;
    const send = transport.send.bind(transport);
    transport.send = (data: Uint8Array) => {
      count(data, protocol);
      send(data);
    };
    const sendQueued = transport.sendQueued?.bind(transport);
    if (sendQueued) {
      transport.sendQueued = (data: Buffer, sentinelSeq: number) => {
        count(data, protocol);
        counts.sentinels++;
        sendQueued(data, sentinelSeq);
      };
    }
  }
  return counts;
}

/** What the tools show of a namespace: rules, routes of every table, nftables, as text to compare. */
export function toolState(ns: TestNetns): { rules: string; routes: string; nft: string } {
  const rules = [...ns.ipJson<object[]>('-4', 'rule', 'show'), ...ns.ipJson<object[]>('-6', 'rule', 'show')];
  const routes = [...ns.ipJson<object[]>('-4', 'route', 'show', 'table', 'all'), ...ns.ipJson<object[]>('-6', 'route', 'show', 'table', 'all')];
  return {
    rules: JSON.stringify(rules, null, 1),
    routes: JSON.stringify(routes, null, 1),
    nft: ns.exec('nft', ['list', 'ruleset']),
  };
}

/** The next event an iterator (a monitor, a failover, flow events) gives that passes `test`, or a failure after `ms`. */
export async function nextEvent<T>(iterator: AsyncIterator<T>, test: (e: T) => boolean, ms = 5000): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const left = deadline - Date.now();
    if (left <= 0) throw new Error('no such event in time');
    let timer: NodeJS.Timeout | undefined;
    const result = await Promise.race([iterator.next(), new Promise<'timeout'>((resolve) => (timer = setTimeout(() => resolve('timeout'), left)))]);
    clearTimeout(timer);
    if (result === 'timeout') throw new Error('no such event in time');
    if (result.done) throw new Error('the stream ended');
    if (test(result.value)) return result.value;
  }
}
