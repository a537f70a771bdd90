/**
 * The addon's receive path against the real kernel: datagrams larger than the arena's free space
 * or than the whole arena arrive whole (no dump restarts), and closing a connection whose answers
 * the kernel has already queued reports each operation's real outcome.
 * `ip -j` is the witness for what the kernel holds.
 */
import t from 'tap';
import { Batch } from '../../src/netlink/batch.js';
import { Connection } from '../../src/netlink/connection.js';
import { NETLINK_ROUTE, NLM_F_CREATE, NLM_F_DUMP, NLM_F_EXCL, NLM_F_REQUEST } from '../../src/netlink/constants.js';
import { messageAttributes, type NetlinkMessage } from '../../src/netlink/message.js';
import { NativeTransport } from '../../src/netlink/native-transport.js';
import { FRA_PRIORITY, FRA_TABLE, IFINFOMSG_LEN, IFLA_ALT_IFNAME, RTM_GETLINK, RTM_NEWLINK, RTM_NEWRULE } from '../../src/rtnl/constants.js';
import { decodeLinkIdentity, encodeLinkDumpRequest } from '../../src/rtnl/links.js';
import { makeNetns, run, type TeardownHost, type TestNetns } from '../helpers/netns.js';

const IFLA_PROP_LIST = 52;
const FRA_GOTO = 4;
const AF_INET = 2;
const FR_ACT_TO_TBL = 1;
const EEXIST = 17;
const EINVAL = 22;

interface LinkNames {
  name: string;
  altnames: string[];
}

/** A namespace with `count` bridges; the first carries `altnameCount` long alternative names. */
function linksNamespace(t: TeardownHost, count: number, altnameCount: number): { ns: TestNetns; altnames: string[] } {
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
function witnessedLinks(ns: TestNetns): LinkNames[] {
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
 * Dumps the links over a connection whose addon arena starts at `arenaBytes`, counting what a
 * lost datagram would cause: restarts of the dump and overruns.
 */
async function dumpLinks(ns: TestNetns, arenaBytes: number): Promise<{ links: LinkNames[]; restarts: number; overruns: number; largest: number }> {
  let overruns = 0;
  const connection = new Connection(new NativeTransport(NETLINK_ROUTE, { netnsPath: `/run/netns/${ns.name}`, receiveArenaBytes: arenaBytes }), {
    onOverrun: () => overruns++,
    maxDumpRestarts: 3,
  });
  try {
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
    return { links: links.sort((a, b) => a.name.localeCompare(b.name)), restarts, overruns, largest };
  } finally {
    connection.close();
  }
}

t.test('dump datagrams larger than the free space of the arena arrive whole, without a restart', async (t) => {
  // 300 links make a dump of several 32 KiB datagrams (netlink_dump's allocation once a recv has
  // offered that much): a 48 KiB arena holds one, and the next does not fit what is left.
  const { ns } = linksNamespace(t, 300, 0);
  const result = await dumpLinks(ns, 48 << 10);
  t.equal(result.restarts, 0, 'the dump never started over');
  t.equal(result.overruns, 0, 'nothing was reported lost');
  t.same(result.links, witnessedLinks(ns), 'every link, as ip -j link show lists them');
});

t.test('a datagram larger than the whole arena arrives whole, without a restart', async (t) => {
  // 80 altnames of 120 characters make d0's RTM_NEWLINK about 12 KiB; dump datagrams are 32 KiB.
  const { ns, altnames } = linksNamespace(t, 40, 80);
  const result = await dumpLinks(ns, 4096);
  t.ok(result.largest > 4096, `one message alone (${result.largest} bytes) was larger than the 4 KiB arena`);
  t.equal(result.restarts, 0, 'the dump never started over');
  t.equal(result.overruns, 0, 'nothing was reported lost');
  t.same(result.links.find((link) => link.name === 'd0')?.altnames, altnames, "d0's message carried every altname");
  t.same(result.links, witnessedLinks(ns), 'every link, as ip -j link show lists them');
});

/**
 * One RTM_NEWRULE: `from all lookup TABLE` at priority PRIORITY; with `gotoTarget`, a goto target
 * too, which the kernel refuses (EINVAL) for an action other than goto.
 */
function addRule(batch: Batch, priority: number, table: number, exclusive: boolean, gotoTarget?: number): void {
  batch.add({ operation: 'addRule', index: priority }, RTM_NEWRULE, NLM_F_REQUEST | NLM_F_CREATE | (exclusive ? NLM_F_EXCL : 0), (writer) => {
    // struct fib_rule_hdr: family, dst_len, src_len, tos, table, res1, res2, action, flags
    writer.raw(Uint8Array.of(AF_INET, 0, 0, 0, 0, 0, 0, FR_ACT_TO_TBL, 0, 0, 0, 0));
    writer.attrU32(FRA_PRIORITY, priority);
    writer.attrU32(FRA_TABLE, table);
    if (gotoTarget !== undefined) writer.attrU32(FRA_GOTO, gotoTarget);
  });
}

t.test('close reads the answers already queued: each sent operation gets its real outcome', async (t) => {
  const ns = makeNetns(t);
  ns.ip('-4', 'rule', 'add', 'priority', '1002', 'lookup', '102');
  const connection = new Connection(new NativeTransport(NETLINK_ROUTE, { netnsPath: `/run/netns/${ns.name}` }));
  const batch = new Batch();
  addRule(batch, 1000, 100, true);
  addRule(batch, 1001, 101, true);
  addRule(batch, 1002, 102, true); // exists: EEXIST
  addRule(batch, 1003, 103, true, 1000); // a goto target on a lookup rule: EINVAL
  addRule(batch, 1004, 104, true);
  // executeNow sends at once (the batch is small, so on this thread): the kernel has answered
  // every message, and the flight's closing ack, before the poll callback could read them.
  const outcome = connection.executeNow(batch);
  connection.close();
  const result = await outcome;
  t.same(
    result.errors.map((error) => error?.errno),
    [undefined, undefined, EEXIST, EINVAL, undefined],
    'successes resolve as successes and failures carry the kernel errno, not "may have been applied"',
  );
  t.equal(result.failed, 2);
  const priorities = ns.ipJson<{ priority: number; table: string }[]>('-4', 'rule', 'show').map((rule) => `${rule.priority}:${rule.table}`);
  t.same(
    priorities.filter((rule) => /^100[0-4]:/.test(rule)),
    ['1000:100', '1001:101', '1002:102', '1004:104'],
    'ip -j rule show holds exactly what the outcomes say was added',
  );
});
