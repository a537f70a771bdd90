/**
 * The connection's batching, acknowledgement and error mapping, against a fake kernel that
 * answers like the real one (synchronously per sendmsg, an ack for the trailing NOOP).
 */
import t from 'tap';
import { Batch } from '../../src/netlink/batch.js';
import { Connection } from '../../src/netlink/connection.js';
import { NLMSG_NOOP, NLM_F_DUMP_INTR, NLM_F_MULTI } from '../../src/netlink/constants.js';
import { NetlinkError } from '../../src/netlink/errors.js';
import { parseMessages, payloadStart } from '../../src/netlink/message.js';
import { FakeKernel, type FakeHandler } from '../helpers/fake-kernel.js';

/** A fake kernel that fails messages whose first payload byte is listed in `failing`. */
function failingKernel(failing: Map<number, { error: number; extAckMessage?: string }>): FakeKernel {
  return new FakeKernel((message) => {
    const key = message.data[payloadStart(message)]!;
    const failure = failing.get(key);
    return failure ? [failure] : [];
  });
}

t.test('kernel errors map back to the operation and its index in the caller\'s batch', async (t) => {
  const kernel = failingKernel(new Map([[3, { error: 17, extAckMessage: 'already there' }], [7, { error: 2 }]]));
  const connection = new Connection(kernel);
  const batch = new Batch();
  for (let i = 0; i < 10; i++) batch.add({ operation: 'addThing', index: i }, 20, 1, (w) => w.u32(i));
  const result = await connection.execute(batch);
  t.equal(result.failed, 2);
  t.same(result.errors.map((e) => e?.code), [undefined, undefined, undefined, 'EEXIST', undefined, undefined, undefined, 'ENOENT', undefined, undefined]);
  const error = result.errors[3]!;
  t.type(error, NetlinkError);
  t.equal(error.operation, 'addThing');
  t.equal(error.index, 3);
  t.equal(error.errno, 17);
  t.equal(error.extAckMessage, 'already there');
  t.match(error.message, /addThing\[3\]: EEXIST .*already there/);
  t.equal(kernel.datagrams.length, 2, 'one sendmsg for the batch and one for the trailing NOOP');
  t.equal(kernel.messages[kernel.messages.length - 1]!.type, NLMSG_NOOP);
  connection.close();
});

t.test('a large batch is split to fit the send buffer and the reply budget, in order', async (t) => {
  const kernel = failingKernel(new Map([[1, { error: 22 }]]));
  kernel.sizes = { send: 4096, receive: 64 * 1024 };
  const connection = new Connection(kernel, { sendBufferSize: 2048, receiveBufferSize: 32 * 1024 });
  const batch = new Batch();
  for (let i = 0; i < 500; i++) batch.add({ operation: 'op', index: i }, 20, 1, (w) => w.u32(i % 256 === 1 ? 1 : 0));
  const result = await connection.execute(batch);
  t.same(result.errors.flatMap((e, i) => (e ? [i] : [])), [1, 257], 'exactly the failing items');
  const requests = kernel.datagrams.filter((d) => d.readUInt16LE(4) !== NLMSG_NOOP);
  t.ok(requests.length > 5, `split into ${requests.length} sendmsgs`);
  for (const d of requests) t.ok(d.length <= 4096 - 32, 'each fits the send buffer');
  const seqs = kernel.messages.filter((m) => m.type === 20).map((m) => m.seq);
  t.equal(seqs.length, 500);
  t.ok(seqs.every((s, i) => i === 0 || s > seqs[i - 1]!), 'sent in order with increasing sequence numbers');
  connection.close();
});

t.test('1000 concurrent requests share sendmsgs and each gets its own result', async (t) => {
  const kernel = new FakeKernel((message) => {
    const n = message.data.readUInt32LE(payloadStart(message));
    return n % 7 === 0 ? [{ error: 17 }] : [{ type: 99, data: Buffer.from(Uint32Array.of(n * 2).buffer) }];
  });
  const connection = new Connection(kernel);
  const outcomes = await Promise.allSettled(
    Array.from({ length: 1000 }, (_, n) => connection.request({ operation: 'get', index: n }, 20, 1, (w) => w.u32(n))),
  );
  for (let n = 0; n < 1000; n++) {
    const outcome = outcomes[n]!;
    if (n % 7 === 0) {
      t.equal(outcome.status, 'rejected');
      if (outcome.status === 'rejected') t.equal((outcome.reason as NetlinkError).code, 'EEXIST');
    } else if (outcome.status === 'fulfilled') {
      const reply = outcome.value[0]!;
      if (reply.data.readUInt32LE(payloadStart(reply)) !== n * 2) t.fail(`request ${n} got another request's reply`);
    } else {
      t.fail(`request ${n} rejected`);
    }
  }
  t.ok(kernel.datagrams.length <= 4, `coalesced into ${kernel.datagrams.length} datagrams`);
  connection.close();
});

t.test('dumps restart when the kernel flags NLM_F_DUMP_INTR', async (t) => {
  let calls = 0;
  const handler: FakeHandler = () => {
    calls++;
    const flags = NLM_F_MULTI | (calls === 1 ? NLM_F_DUMP_INTR : 0);
    return [
      { type: 40, flags, data: Uint8Array.of(calls, 0, 0, 0) },
      { type: 40, flags, data: Uint8Array.of(calls, 1, 0, 0) },
      { done: true },
    ];
  };
  const kernel = new FakeKernel(handler);
  const connection = new Connection(kernel);
  const messages = await connection.dump({ operation: 'listThings' }, 40, 0x301);
  t.equal(calls, 2, 'asked twice');
  t.same(messages.map((m) => m.data[payloadStart(m)]), [2, 2], 'only the second, consistent dump is returned');
  connection.close();
});

t.test('a dump that never settles gives up with EINTR', async (t) => {
  const kernel = new FakeKernel(() => [{ type: 40, flags: NLM_F_MULTI | NLM_F_DUMP_INTR, data: Uint8Array.of(1, 0, 0, 0) }, { done: true }]);
  const connection = new Connection(kernel, { maxDumpRestarts: 3 });
  await t.rejects(connection.dump({ operation: 'listThings' }, 40, 0x301), { code: 'EINTR', operation: 'listThings' });
  connection.close();
});

t.test('a dump that fails carries the errno and the operation', async (t) => {
  const kernel = new FakeKernel(() => [{ error: 1, extAckMessage: 'not allowed' }]);
  const connection = new Connection(kernel);
  await t.rejects(connection.dump({ operation: 'listThings' }, 40, 0x301), { code: 'EPERM', extAckMessage: 'not allowed' });
  connection.close();
});

t.test('concurrent dumps run one at a time on the socket', async (t) => {
  let active = 0;
  let maxActive = 0;
  const kernel = new FakeKernel(() => {
    active++;
    maxActive = Math.max(maxActive, active);
    setImmediate(() => active--);
    return [{ type: 40, flags: NLM_F_MULTI, data: Uint8Array.of(0, 0, 0, 0) }, { done: true }];
  });
  const connection = new Connection(kernel);
  const results = await Promise.all([1, 2, 3, 4].map(() => connection.dump({ operation: 'd' }, 40, 0x301)));
  t.same(results.map((r) => r.length), [1, 1, 1, 1]);
  t.equal(maxActive, 1);
  connection.close();
});

t.test('lost replies (ENOBUFS) make the outcome unknown, never a false success', async (t) => {
  const kernel = failingKernel(new Map([[1, { error: 22 }]]));
  const connection = new Connection(kernel);
  kernel.dropNextReplies = true;
  const batch = new Batch();
  for (let i = 0; i < 4; i++) batch.add({ operation: 'op', index: i }, 20, 1, (w) => w.u32(i));
  const result = await connection.execute(batch);
  t.equal(result.failed, 4);
  t.ok(result.errors.every((e) => e?.code === 'ENOBUFS'));
  t.match(result.errors[0]!.message, /outcome is unknown/);
  // The connection still works afterwards.
  const again = new Batch();
  again.add({ operation: 'op' }, 20, 1, (w) => w.u32(0));
  t.equal((await connection.execute(again)).failed, 0);
  connection.close();
});

t.test('a failing sendmsg fails the operations it carried, with the system call named', async (t) => {
  const kernel = new FakeKernel();
  const connection = new Connection(kernel);
  kernel.close(); // the fake refuses to send once closed
  const batch = new Batch();
  batch.add({ operation: 'op', index: 0 }, 20, 1);
  const result = await connection.execute(batch);
  t.equal(result.errors[0]?.code, 'EBADF');
  t.equal(result.errors[0]?.operation, 'op');
});

t.test('close rejects what is pending and later calls', async (t) => {
  const kernel = new FakeKernel(() => []);
  const connection = new Connection(kernel);
  const pending = connection.dump({ operation: 'd' }, 40, 0x301);
  connection.close();
  await t.rejects(pending, { code: 'ECANCELED' });
  await t.rejects(connection.request({ operation: 'late' }, 20, 1), { code: 'ECANCELED', operation: 'late' });
  t.ok(kernel.closed);
});

t.test('the socket keeps the event loop alive only while work is pending', async (t) => {
  const kernel = new FakeKernel();
  const connection = new Connection(kernel);
  t.equal(kernel.referenced, false, 'idle: unreferenced');
  const request = connection.request({ operation: 'op' }, 20, 1);
  await Promise.resolve();
  t.equal(kernel.referenced, true, 'busy: referenced');
  await request;
  t.equal(kernel.referenced, false, 'idle again');
  connection.close();
});

t.test('unsolicited messages go to the listener', async (t) => {
  const seen: number[] = [];
  const kernel = new FakeKernel();
  const connection = new Connection(kernel, { onUnsolicited: (m) => seen.push(m.type) });
  kernel.inject(24, Uint8Array.of(1, 2, 3, 4));
  await new Promise((resolve) => setImmediate(resolve));
  t.same(seen, [24]);
  connection.close();
});

t.test('a dump the kernel ends with ENOBUFS (the queue overflowed under it) is asked again', async (t) => {
  let calls = 0;
  const kernel = new FakeKernel(() => {
    calls++;
    return calls === 1
      ? [{ type: 40, flags: NLM_F_MULTI, data: Uint8Array.of(1, 0, 0, 0) }, { done: true, error: 105 }]
      : [{ type: 40, flags: NLM_F_MULTI, data: Uint8Array.of(2, 0, 0, 0) }, { type: 40, flags: NLM_F_MULTI, data: Uint8Array.of(2, 1, 0, 0) }, { done: true }];
  });
  const connection = new Connection(kernel);
  const messages = await connection.dump({ operation: 'listThings' }, 40, 0x301);
  t.equal(calls, 2, 'asked twice');
  t.same(messages.map((m) => m.data[payloadStart(m) + 1]), [0, 1], 'the complete second answer only');
  const always = new FakeKernel(() => [{ done: true, error: 105 }]);
  const giving = new Connection(always, { maxDumpRestarts: 2 });
  await t.rejects(giving.dump({ operation: 'listThings' }, 40, 0x301), { code: 'ENOBUFS', operation: 'listThings' });
  connection.close();
  giving.close();
});

t.test('a dump whose replies are lost every time (ENOBUFS) ends in ENOBUFS after maxDumpRestarts, not in endless retries', async (t) => {
  let requests = 0;
  // Every dump request's replies are dropped; the resync NOOPs in between are answered.
  class LosingKernel extends FakeKernel {
    override send(data: Uint8Array): void {
      const first = parseMessages(Buffer.from(data))[0];
      if (first?.type === 40) {
        requests++;
        this.dropNextReplies = true;
      }
      super.send(data);
    }
  }
  const kernel = new LosingKernel(() => [{ type: 40, flags: NLM_F_MULTI, data: Uint8Array.of(1, 0, 0, 0) }, { done: true }]);
  const connection = new Connection(kernel, { maxDumpRestarts: 3 });
  let timer: NodeJS.Timeout | undefined;
  const outcome = await Promise.race([
    connection.dump({ operation: 'listThings' }, 40, 0x301).then(
      () => 'resolved',
      (error: NetlinkError) => error,
    ),
    new Promise<string>((resolve) => (timer = setTimeout(() => resolve('still retrying after 2 s'), 2000))),
  ]);
  clearTimeout(timer);
  connection.close();
  t.match(outcome, { code: 'ENOBUFS', operation: 'listThings' });
  t.equal(requests, 4, 'asked once, then restarted maxDumpRestarts times');
});

t.test('dumpEach hands each message to a visitor, and starts it over when the dump restarts', async (t) => {
  let calls = 0;
  const kernel = new FakeKernel(() => {
    calls++;
    const flags = NLM_F_MULTI | (calls === 1 ? NLM_F_DUMP_INTR : 0);
    return [{ type: 40, flags, data: Uint8Array.of(calls, 0, 0, 0) }, { type: 40, flags, data: Uint8Array.of(calls, 1, 0, 0) }, { done: true }];
  });
  const connection = new Connection(kernel);
  const seen: string[] = [];
  let restarts = 0;
  await connection.dumpEach({ operation: 'listThings' }, 40, 0x301, undefined, {
    message: (data, start, end) => seen.push(`${data[start + 16]}.${data[start + 17]} (${end - start} bytes)`),
    restart: () => {
      restarts++;
      seen.length = 0;
    },
  });
  t.equal(restarts, 1, 'restarted once');
  t.same(seen, ['2.0 (20 bytes)', '2.1 (20 bytes)'], 'only the consistent second answer remains');
  connection.close();
});
