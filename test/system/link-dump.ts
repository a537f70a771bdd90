/**
 * Link dumps whose datagrams are larger than the receive arena's free space, or than the whole
 * arena: shared by netlink-read.test.ts and the child process of its no-reserve tests
 * (no-reserve-child.ts). `ip -j link show` is the witness.
 */
import { Connection } from '../../src/netlink/connection.js';
import { NETLINK_ROUTE, NLM_F_DUMP, NLM_F_REQUEST } from '../../src/netlink/constants.js';
import { messageAttributes, type NetlinkMessage } from '../../src/netlink/message.js';
import { NativeTransport } from '../../src/netlink/native-transport.js';
import { IFINFOMSG_LEN, IFLA_ALT_IFNAME, RTM_GETLINK, RTM_NEWLINK } from '../../src/rtnl/constants.js';
import { decodeLinkIdentity, encodeLinkDumpRequest } from '../../src/rtnl/links.js';
import { makeNetns, run, type TeardownHost, type TestNetns } from '../helpers/netns.js';

const IFLA_PROP_LIST = 52;

/** A link's names. */
export interface LinkNames {
  name: string;
  altnames: string[];
}

/** What a dump over a small arena gave, and what a lost datagram would have caused. */
export interface LinkDump {
  links: LinkNames[];
  restarts: number;
  overruns: number;
  /** The largest message, in bytes. */
  largest: number;
  /** The receive reserve the addon mapped behind the arena (dumpLinks only). */
  reserve?: number;
}

/** A namespace with `count` bridges; the first carries `altnameCount` long alternative names. */
export function linksNamespace(t: TeardownHost, count: number, altnameCount: number): { ns: TestNetns; altnames: string[] } {
  const ns = makeNetns(t);
  const commands: string[] = [];
  for (let i = 0; i < count; i++) commands.push(`link add d${i} type bridge`);
  // ALTIFNAMSIZ is 128 with the NUL: 120 characters each make the first link's message some 12 KiB.
  const altnames = Array.from({ length: altnameCount }, (_, i) => `alt${i}-`.padEnd(120, 'x'));
  for (const altname of altnames) commands.push(`link property add dev d0 altname ${altname}`);
  run('ip', ['-n', ns.name, '-batch', '-'], `${commands.join('\n')}\n`);
  return { ns, altnames };
}

/** Every link as `ip -j link show` reports it. */
export function witnessedLinks(ns: TestNetns): LinkNames[] {
  return ns
    .ipJson<{ ifname: string; altnames?: string[] }[]>('link', 'show')
    .map((link) => ({ name: link.ifname, altnames: link.altnames ?? [] }))
    .sort((a, b) => a.name.localeCompare(b.name));
}

function decodeLinkNames(message: NetlinkMessage): LinkNames {
  const name = decodeLinkIdentity(message).name ?? '';
  const altnames: string[] = [];
  const props = messageAttributes(message, IFINFOMSG_LEN).nested(IFLA_PROP_LIST);
  for (const [type, start, end] of props ?? []) {
    // Strings carry their NUL.
    if (type === IFLA_ALT_IFNAME) altnames.push(Buffer.from(props!.data.subarray(start, end)).toString('utf8').replace(/\0+$/, ''));
  }
  return { name, altnames };
}

/**
 * Dumps the links over `connection`, counting what a lost datagram would cause: restarts of the
 * dump (and, through `overruns`, the connection's onOverrun calls the caller counted).
 */
export async function dumpLinksOver(connection: Connection, overruns: () => number): Promise<LinkDump> {
  let links: LinkNames[] = [];
  let restarts = 0;
  let largest = 0;
  await connection.dumpEach({ operation: 'listLinks' }, RTM_GETLINK, NLM_F_REQUEST | NLM_F_DUMP, encodeLinkDumpRequest, {
    message(data, start, end) {
      const copy = Buffer.from(data.subarray(start, end));
      largest = Math.max(largest, end - start);
      if (copy.readUInt16LE(4) === RTM_NEWLINK) {
        links.push(decodeLinkNames({ type: RTM_NEWLINK, flags: 0, seq: 0, portId: 0, data: copy, start: 0, end: copy.length }));
      }
    },
    restart() {
      restarts++;
      links = [];
    },
  });
  return { links: links.sort((a, b) => a.name.localeCompare(b.name)), restarts, overruns: overruns(), largest };
}

/** A connection over `transport` that counts the kernel's drops (onOverrun) and restarts a dump at most 3 times. */
export function linkConnection(transport: NativeTransport): { connection: Connection; overruns: () => number } {
  let overruns = 0;
  const connection = new Connection(transport, { onOverrun: () => overruns++, maxDumpRestarts: 3 });
  return { connection, overruns: () => overruns };
}

/** A transport in namespace `ns` whose addon arena is `arenaBytes`. */
export function linkTransport(netns: string, arenaBytes: number): NativeTransport {
  return new NativeTransport(NETLINK_ROUTE, { netnsPath: `/run/netns/${netns}`, receiveArenaBytes: arenaBytes });
}

/** Dumps the links of `ns` over a connection whose addon arena is `arenaBytes`. */
export async function dumpLinks(ns: TestNetns, arenaBytes: number): Promise<LinkDump> {
  const transport = linkTransport(ns.name, arenaBytes);
  const { connection, overruns } = linkConnection(transport);
  try {
    return { ...(await dumpLinksOver(connection, overruns)), reserve: transport.receiveReserveBytes };
  } finally {
    connection.close();
  }
}
