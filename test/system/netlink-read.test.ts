/**
 * The addon's receive path against the real kernel: datagrams larger than the arena's free space
 * or than the whole arena arrive whole (no dump restarts), with the 4 MiB reserve behind the
 * arena and without it (where the system refuses that address space, opening still succeeds),
 * and closing a connection whose answers the kernel has already queued reports each
 * operation's real outcome. `ip -j` is the witness for what the kernel holds.
 */
import t from 'tap';
import { fork } from 'node:child_process';
import { Batch } from '../../src/netlink/batch.js';
import { Connection } from '../../src/netlink/connection.js';
import { NETLINK_ROUTE, NLM_F_CREATE, NLM_F_EXCL, NLM_F_REQUEST } from '../../src/netlink/constants.js';
import { NativeTransport } from '../../src/netlink/native-transport.js';
import { FRA_PRIORITY, FRA_TABLE, RTM_NEWRULE } from '../../src/rtnl/constants.js';
import { makeNetns, run, type TestNetns } from '../helpers/netns.js';
import { dumpLinks, linksNamespace, witnessedLinks, type LinkDump } from './link-dump.js';

const FRA_GOTO = 4;
const AF_INET = 2;
const FR_ACT_TO_TBL = 1;
const EEXIST = 17;
const EINVAL = 22;

t.test('dump datagrams larger than the free space of the arena arrive whole, without a restart', async (t) => {
  // 300 links make a dump of several 32 KiB datagrams (netlink_dump's allocation once a recv has
  // offered that much): a 48 KiB arena holds one, and the next does not fit what is left.
  const { ns } = linksNamespace(t, 300, 0);
  const result = await dumpLinks(ns, 48 << 10);
  t.equal(result.reserve, 4 << 20, 'the 4 MiB reserve is mapped behind the arena');
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

/** What no-reserve-child.ts reported. */
interface ChildReport {
  /** Whether the connection opened while the address space was limited. */
  opened: boolean;
  error?: string;
  /** The reserve the addon mapped behind the arena (undefined if it never started). */
  reserve?: number;
  dump?: LinkDump;
  dumpError?: string;
}

/**
 * Dumps the links of `ns` in a child process (no-reserve-child.ts) whose connection opens while
 * its soft RLIMIT_AS is 3 MiB above the address space it has mapped: room for the arena, not for
 * the arena and its 4 MiB reserve. Node reserves a lot of address space of its own, so the limit
 * is set from what the child measured just before, and lifted again once the socket is open.
 * Only that child process's limit changes; no system setting does.
 */
async function dumpLinksWithoutReserve(ns: TestNetns, arenaBytes: number): Promise<ChildReport> {
  // Without the test runner's loaders (NODE_OPTIONS): the child maps only what it needs.
  const child = fork(new URL('./no-reserve-child.js', import.meta.url), [ns.name, String(arenaBytes)], {
    execArgv: [],
    env: { ...process.env, NODE_OPTIONS: '' },
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  // A datagram lost for good makes the dump retry for ever: fail in a minute rather than hang.
  const deadline = setTimeout(() => child.kill(), 60_000);
  const next = async (): Promise<Record<string, unknown>> => {
    const message = new Promise<Record<string, unknown>>((resolve) => child.once('message', (m) => resolve(m as Record<string, unknown>)));
    const early = exited.then((code): never => {
      throw new Error(`no-reserve-child exited early (${code})`);
    });
    return Promise.race([message, early]);
  };
  const prlimit = (limit: string): string => run('prlimit', [`--pid=${child.pid}`, `--as=${limit}:`]);
  try {
    const original = run('prlimit', [`--pid=${child.pid}`, '--as', '--output=SOFT', '--noheadings', '--raw']).trim();
    const { addressSpace } = (await next()) as { addressSpace: number };
    prlimit(String(addressSpace + (3 << 20)));
    child.send('limited');
    const opened = (await next()) as unknown as ChildReport;
    prlimit(original);
    child.send('lifted');
    const report: ChildReport = opened.opened ? { ...opened, ...((await next()) as Partial<ChildReport>) } : opened;
    const code = await exited;
    if (code !== 0) throw new Error(`no-reserve-child exited with ${code}`);
    return report;
  } finally {
    clearTimeout(deadline);
    child.kill();
  }
}

t.test('without the receive reserve (its address space refused), opening succeeds and datagrams larger than the free space arrive whole', async (t) => {
  const { ns } = linksNamespace(t, 300, 0);
  const report = await dumpLinksWithoutReserve(ns, 48 << 10);
  t.ok(report.opened, `the connection opened under the limit (${report.error ?? 'no error'})`);
  t.equal(report.reserve, 0, 'the addon mapped no reserve: the arena alone');
  t.equal(report.dumpError, undefined, 'the dump succeeded');
  t.equal(report.dump?.restarts, 0, 'the dump never started over');
  t.equal(report.dump?.overruns, 0, 'nothing was reported lost');
  t.same(report.dump?.links, witnessedLinks(ns), 'every link, as ip -j link show lists them');
});

t.test('without the receive reserve, a datagram larger than the whole arena arrives whole', async (t) => {
  const { ns, altnames } = linksNamespace(t, 40, 80);
  const report = await dumpLinksWithoutReserve(ns, 4096);
  t.ok(report.opened, `the connection opened under the limit (${report.error ?? 'no error'})`);
  t.equal(report.reserve, 0, 'the addon mapped no reserve: the arena alone');
  t.equal(report.dumpError, undefined, 'the dump succeeded');
  t.ok((report.dump?.largest ?? 0) > 4096, `one message alone (${report.dump?.largest} bytes) was larger than the 4 KiB arena`);
  t.equal(report.dump?.restarts, 0, 'the dump never started over');
  t.equal(report.dump?.overruns, 0, 'nothing was reported lost');
  t.same(report.dump?.links.find((link) => link.name === 'd0')?.altnames, altnames, "d0's message carried every altname");
  t.same(report.dump?.links, witnessedLinks(ns), 'every link, as ip -j link show lists them');
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
