/**
 * The socket's sender thread, against the real kernel: large datagrams are queued to it so that
 * the kernel works while JavaScript encodes the next chunk. Witnessed by `ip`: everything
 * queued arrives in order and before anything sent after it, a datagram the kernel refuses is
 * reported with its errno, and closing or terminating with sends still queued is clean.
 */
import t from 'tap';
import { Worker } from 'node:worker_threads';
import { open } from '../../src/index.js';
import { native } from '../../src/native.js';
import { Batch } from '../../src/netlink/batch.js';
import { NETLINK_ROUTE, NLM_F_CREATE, NLM_F_DUMP, NLM_F_EXCL, NLM_F_REQUEST, SOL_SOCKET, SO_SNDBUF } from '../../src/netlink/constants.js';
import { RTM_GETROUTE, RTM_NEWROUTE } from '../../src/rtnl/constants.js';
import { encodeRoute, encodeRouteDumpRequest, resolveRoute } from '../../src/rtnl/routes.js';
import { makeNetns } from '../helpers/netns.js';
import { REPO_ROOT, repoUrl } from '../helpers/paths.js';

const root = REPO_ROOT;
const routes = (count: number, table: number) => Array.from({ length: count }, (_, i) => ({ dst: `10.${i >> 16}.${(i >> 8) & 255}.${i & 255}/32`, dev: 'lo', table }));

t.test('a bulk add goes through the sender thread, each duplicate comes back with its index', async (t) => {
  const ns = makeNetns(t);
  const handle = await open({ netns: ns.name });
  t.teardown(() => handle.close());
  const transport = handle.connection(NETLINK_ROUTE).socket;
  let queued = 0;
  const sendQueued = transport.sendQueued!.bind(transport);
  transport.sendQueued = (data: Buffer, sentinelSeq: number) => {
    queued++;
    sendQueued(data, sentinelSeq);
  };
  const added = await handle.routes.addMany(routes(30000, 100));
  t.equal(added.failed, 0);
  t.ok(queued >= 2, `sent by the sender thread (${queued} datagrams)`);
  t.equal(ns.ip('route', 'show', 'table', '100').trim().split('\n').length, 30000, 'ip sees them all');

  // Duplicates in the middle of chunks come back item by item.
  const again = routes(30000, 100).map((r, i) => (i % 1000 === 7 ? r : { ...r, table: 101 }));
  const result = await handle.routes.addMany(again);
  t.equal(result.failed, 30);
  t.ok(result.errors.every((e, i) => (i % 1000 === 7 ? e?.code === 'EEXIST' && e.index === i : e === undefined)), 'exactly the duplicates fail, each with its index');
  t.equal(ns.ip('route', 'show', 'table', '101').trim().split('\n').length, 29970);
});

t.test('what is sent after a queued datagram reaches the kernel after it', async (t) => {
  const ns = makeNetns(t);
  const handle = await open({ netns: ns.name });
  t.teardown(() => handle.close());
  const connection = handle.connection(NETLINK_ROUTE);
  const lo = (await handle.links.get('lo'))!.index;
  const batch = new Batch();
  for (let i = 0; i < 20000; i++) {
    batch.add({ operation: 'add', index: i }, RTM_NEWROUTE, NLM_F_REQUEST | NLM_F_CREATE | NLM_F_EXCL, (w) =>
      encodeRoute(w, resolveRoute({ dst: `10.1.${i >> 8}.${i & 255}/32`, dev: 'lo', table: 100 }), () => lo),
    );
  }
  const messagesBefore = connection.messagesSent;
  const adding = connection.executeNow(batch); // its first flights are queued now
  const queued = connection.messagesSent - messagesBefore;
  t.ok(queued > 0, `queued at once (${queued} messages)`);
  // Sent straight away, by this thread: the addon must wait for the queue first.
  const listing = connection.dump({ operation: 'list' }, RTM_GETROUTE, NLM_F_REQUEST | NLM_F_DUMP, (w) => encodeRouteDumpRequest(w, { family: 2, table: 100 }));
  const [result, listed] = await Promise.all([adding, listing]);
  t.equal(result.failed, 0);
  t.ok(listed.length >= queued, `the dump sent after ${queued} queued adds sees them all (${listed.length})`);
});

t.test('the addon: a queued datagram the kernel refuses is reported with its errno and draws no ack', async (t) => {
  const ns = makeNetns(t);
  const socket = new (native().NetlinkSocket)(NETLINK_ROUTE, `/run/netns/${ns.name}`);
  t.teardown(() => socket.close());
  socket.setOption(SOL_SOCKET, SO_SNDBUF, 4096);
  const acks: number[] = [];
  const failure = new Promise<[number, number, boolean]>((resolve) => socket.onSendFailure((...args) => resolve(args)));
  socket.start((data) => {
    if (data) acks.push(data.readUInt32LE(8));
  });
  socket.ref();
  socket.sendQueued(Buffer.alloc(256 << 10), 77); // far beyond SO_SNDBUF: EMSGSIZE
  const [seq, errno, sentinelFailed] = await failure;
  t.same([seq, errno, sentinelFailed], [77, 90, false], 'EMSGSIZE for the datagram with sentinel 77');
  // A good datagram queued after it still goes, with its sentinel acked.
  const noop = Buffer.alloc(16);
  noop.writeUInt32LE(16, 0);
  noop.writeUInt16LE(1, 4); // NLMSG_NOOP, no ack asked
  socket.sendQueued(noop, 78);
  while (!acks.includes(78)) await new Promise((resolve) => setTimeout(resolve, 5));
  t.notOk(acks.includes(77), 'the refused datagram had no sentinel sent after it');
});

t.test('closing a handle with chunks still queued: every item ends, the process is fine', async (t) => {
  const ns = makeNetns(t);
  const handle = await open({ netns: ns.name });
  const pending = handle.routes.addMany(routes(50000, 200));
  await new Promise((resolve) => setImmediate(resolve));
  handle.close();
  const result = await pending;
  t.equal(result.errors.length, 50000);
  t.ok(result.errors.every((e) => e === undefined || e.code === 'ECANCELED'), 'each item either went through or says the handle was closed');
  // ECANCELED says the outcome was not read, not that nothing happened; a success must be true,
  // and so must "never sent". Listed from every table: table 200 exists only if a route got in.
  const present = new Set(
    ns
      .ipJson<{ dst: string; table?: string }[]>('route', 'show', 'table', 'all')
      .filter((r) => r.table === '200')
      .map((r) => r.dst),
  );
  const all = routes(50000, 200);
  t.ok(result.errors.every((e, i) => e !== undefined || present.has(all[i]!.dst.replace('/32', ''))), `every route reported added is in the kernel (${result.succeeded} reported, ${present.size} there)`);
  t.ok(
    result.errors.every((e, i) => e?.detail !== 'the handle was closed' || !present.has(all[i]!.dst.replace('/32', ''))),
    `no route reported never sent is in the kernel (${result.errors.filter((e) => e?.detail === 'the handle was closed').length} reported)`,
  );
});

t.test('terminating a worker while its sender thread is busy does not take the process down', async (t) => {
  const ns = makeNetns(t);
  const worker = new Worker(repoUrl('test/fixtures/workers/terminate-mid-send.mjs'), { workerData: { netns: ns.name, root } });
  await new Promise((resolve, reject) => {
    worker.once('message', resolve);
    worker.once('error', reject);
  });
  await worker.terminate();
  t.pass('terminated');
  const handle = await open({ netns: ns.name });
  t.teardown(() => handle.close());
  t.ok((await handle.links.list()).length >= 1, 'the process still talks to the kernel');
});
