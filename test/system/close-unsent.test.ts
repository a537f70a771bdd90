/**
 * close() with datagrams still queued for the socket's sender thread, against the real kernel:
 * an operation whose datagram never left the queue says "the handle was closed" (nothing was
 * applied), one whose datagram was sent but not answered says it may have been applied, and
 * one reported applied was. `ip -j rule` and `nft -j list ruleset` are the witnesses.
 */
import t from 'tap';
import { NetlinkError, open } from '../../src/index.js';
import { Batch } from '../../src/netlink/batch.js';
import { Connection } from '../../src/netlink/connection.js';
import { NETLINK_NETFILTER, NETLINK_ROUTE, NLM_F_CREATE, NLM_F_EXCL, NLM_F_REQUEST } from '../../src/netlink/constants.js';
import { NativeTransport } from '../../src/netlink/native-transport.js';
import { FRA_PRIORITY, FRA_TABLE, RTM_NEWRULE } from '../../src/rtnl/constants.js';
import type { NftCommand } from '../../src/index.js';
import { makeNetns } from '../helpers/netns.js';

const AF_INET = 2;
const FR_ACT_TO_TBL = 1;
const NEVER_SENT = 'the handle was closed';
const MAYBE_APPLIED = 'the handle was closed before the kernel answered; the operation may have been applied';

type Outcome = 'applied' | 'never sent' | 'maybe applied' | 'other';

/** How an operation ended, by the error it carries (or none). */
function outcomeOf(error: unknown): Outcome {
  if (error === undefined) return 'applied';
  if (!(error instanceof NetlinkError) || error.code !== 'ECANCELED') return 'other';
  if (error.detail === NEVER_SENT) return 'never sent';
  if (error.detail === MAYBE_APPLIED) return 'maybe applied';
  return 'other';
}

/** One RTM_NEWRULE with NLM_F_EXCL: `from all lookup TABLE` at priority PRIORITY. */
function addRule(batch: Batch, priority: number, table: number): void {
  batch.add({ operation: 'addRule', index: priority }, RTM_NEWRULE, NLM_F_REQUEST | NLM_F_CREATE | NLM_F_EXCL, (writer) => {
    // struct fib_rule_hdr: family, dst_len, src_len, tos, table, res1, res2, action, flags
    writer.raw(Uint8Array.of(AF_INET, 0, 0, 0, 0, 0, 0, FR_ACT_TO_TBL, 0, 0, 0, 0));
    writer.attrU32(FRA_PRIORITY, priority);
    writer.attrU32(FRA_TABLE, table);
  });
}

t.test('rtnetlink: operations still queued for the sender thread at close were never sent, and say so', async (t) => {
  const ns = makeNetns(t);
  const connection = new Connection(new NativeTransport(NETLINK_ROUTE, { netnsPath: `/run/netns/${ns.name}` }));
  // 16 batches of 400 rules (17 KiB each: sender-thread datagrams). Ascending priorities with
  // NLM_F_EXCL make the kernel walk the whole rule list for every add, so each datagram keeps
  // it busy for milliseconds, while handing all 16 to the sender thread takes microseconds:
  // when close() comes, most of them are still in its queue. Encoded first, so nothing but
  // queueing happens between the first send and the close.
  const batchCount = 16;
  const perBatch = 400;
  const batches = Array.from({ length: batchCount }, (_, b) => {
    const batch = new Batch();
    for (let i = 0; i < perBatch; i++) addRule(batch, 1000 + b * perBatch + i, 100 + b);
    return batch;
  });
  const pending = batches.map((batch) => connection.executeNow(batch));
  t.notOk(connection.backlogged, 'every batch was handed to the transport (none waits in the connection)');
  connection.close();
  const results = await Promise.all(pending);

  const present = new Set(ns.ipJson<{ priority: number }[]>('-4', 'rule', 'show').map((rule) => rule.priority));
  const counts: Record<Outcome, number> = { applied: 0, 'never sent': 0, 'maybe applied': 0, other: 0 };
  const wrong: string[] = [];
  results.forEach((result, b) => {
    result.errors.forEach((error, i) => {
      const outcome = outcomeOf(error);
      counts[outcome]++;
      const priority = 1000 + b * perBatch + i;
      if (outcome === 'applied' && !present.has(priority)) wrong.push(`${priority} reported applied, absent`);
      if (outcome === 'never sent' && present.has(priority)) wrong.push(`${priority} reported never sent, present`);
    });
  });
  t.comment(JSON.stringify(counts));
  t.equal(counts.other, 0, 'every operation was applied, never sent, or may have been applied');
  t.ok(counts['never sent'] > 0, `some datagrams were still queued at close (${counts['never sent']} operations never sent)`);
  t.same(wrong, [], 'ip -j rule show: every rule reported never sent is absent, every rule reported applied is present');
});

/** A transaction: table `name`, a chain, and `rules` rules matching marks. */
function tableDocument(name: string, rules: number): NftCommand[] {
  const document: NftCommand[] = [
    { add: { table: { family: 'ip', name } } },
    { add: { chain: { family: 'ip', table: name, name: 'c' } } },
  ];
  for (let i = 1; i <= rules; i++) {
    document.push({ add: { rule: { family: 'ip', table: name, chain: 'c', expr: [{ match: { op: '==', left: { meta: { key: 'mark' } }, right: i } }, { accept: null }] } } });
  }
  return document;
}

t.test('nf_tables: transactions still queued for the sender thread at close were never sent, and say so', async (t) => {
  const ns = makeNetns(t);
  const handle = await open({ netns: ns.name });
  await handle.nft.generation(); // the netfilter socket is open before the clock starts
  const connection = handle.connection(NETLINK_NETFILTER);
  // 8 transactions of 1000 rules: each is one atomic sender-thread datagram that takes the
  // kernel milliseconds to commit. Without handles (no echo) their replies may cost about 1 MiB
  // each, so the receive budget lets all of them go at once.
  const names = Array.from({ length: 8 }, (_, i) => `t${i}`);
  const pending = names.map((name) => handle.nft.apply(tableDocument(name, 1000), { handles: false }).then(() => undefined, (error: unknown) => error));
  // apply sends at the end of the tick; close right after.
  await new Promise((resolve) => setImmediate(resolve));
  t.notOk(connection.backlogged, 'every transaction was handed to the transport (none waits in the connection)');
  handle.close();
  const outcomes = (await Promise.all(pending)).map(outcomeOf);

  const tables = new Set(ns.nftJson().nftables.flatMap((entry) => ('table' in entry ? [(entry.table as { name: string }).name] : [])));
  t.comment(JSON.stringify(outcomes));
  t.notOk(outcomes.includes('other'), 'every transaction was applied, never sent, or may have been applied');
  t.ok(outcomes.includes('never sent'), 'some transactions were still queued at close');
  t.same(
    names.filter((name, i) => (outcomes[i] === 'applied') !== tables.has(name) && outcomes[i] !== 'maybe applied'),
    [],
    'nft -j list ruleset: every table reported never sent is absent, every table reported applied is present',
  );
});
