/**
 * The sender-thread path (Transport.sendQueued), against a fake kernel that behaves like the
 * addon: large datagrams are queued and sent later in order, each with its sentinel; a failed
 * send is reported before anything received after it. What must hold: every operation gets its
 * own outcome, a datagram the kernel never saw is never reported as a success, and the kernel
 * sees datagrams in call order.
 */
import t from 'tap';
import { Batch } from '../../src/netlink/batch.js';
import { sendChunked } from '../../src/netlink/chunked.js';
import { Connection } from '../../src/netlink/connection.js';
import { QueuedFakeKernel } from '../helpers/fake-kernel.js';

const EEXIST = 17;
const EMSGSIZE = 90;
const EPERM = 1;

/** A kernel that refuses (EEXIST) every message whose first payload byte is 1. */
function kernel(): QueuedFakeKernel {
  return new QueuedFakeKernel((message) => (message.data[message.start + 16] === 1 ? [{ error: EEXIST }] : []));
}

/** `count` messages of 64 bytes; item i is refused when refused(i). */
function write(refused: (i: number) => boolean) {
  return (batch: Batch, i: number) => {
    batch.add({ operation: 'op', index: i }, 24, 1, (w) => {
      w.u8(refused(i) ? 1 : 0);
      w.raw(new Uint8Array(47));
    });
  };
}

t.test('chunks go to the sender thread, and each item gets its own outcome', async (t) => {
  const fake = kernel();
  const connection = new Connection(fake);
  const errors = await sendChunked(connection, 5000, 64, write((i) => i % 997 === 0));
  t.ok(fake.queuedCount >= 3, `large chunks were queued (${fake.queuedCount})`);
  t.equal(errors.length, 5000);
  const failed = errors.flatMap((e, i) => (e ? [i] : []));
  t.same(failed, [0, 997, 1994, 2991, 3988, 4985], 'exactly the refused items failed');
  t.equal(errors[997]?.code, 'EEXIST');
  t.equal(errors[997]?.index, 997);
  t.equal(connection.messagesSent, 5000);
  connection.close();
});

t.test('a queued datagram that never reached the kernel fails its operations, naming sendto', async (t) => {
  const fake = kernel();
  const connection = new Connection(fake);
  fake.failQueued = { errno: EMSGSIZE };
  const batch = new Batch();
  write(() => false)(batch, 0);
  for (let i = 1; i < 400; i++) write(() => false)(batch, i);
  const result = await connection.execute(batch);
  t.equal(result.failed, 400, 'none of them is reported as done');
  t.equal(result.errors[123]?.code, 'EMSGSIZE');
  t.equal(result.errors[123]?.syscall, 'sendto');
  t.equal(result.errors[123]?.index, 123);
  t.equal(fake.messages.length, 0, 'the kernel saw nothing');
  // The connection is still usable.
  const again = await connection.execute(batch);
  t.equal(again.failed, 0);
  connection.close();
});

t.test('when only the sentinel failed, the outcome is unknown, never a success', async (t) => {
  const fake = kernel();
  const connection = new Connection(fake);
  fake.failQueued = { errno: EPERM, sentinelOnly: true };
  const batch = new Batch();
  for (let i = 0; i < 400; i++) write((k) => k === 5)(batch, i);
  const result = await connection.execute(batch);
  t.equal(result.errors[5]?.code, 'EEXIST', 'a refusal that was read stays');
  t.equal(result.failed, 400);
  t.equal(result.errors[6]?.code, 'ENOBUFS');
  t.match(result.errors[6]?.message, /outcome is unknown/);
  connection.close();
});

t.test('the kernel sees datagrams in call order, queued or not', async (t) => {
  const fake = kernel();
  const connection = new Connection(fake);
  const big = new Batch();
  for (let i = 0; i < 400; i++) write(() => false)(big, i);
  const first = connection.executeNow(big);
  const small = connection.request({ operation: 'after' }, 26, 1);
  await Promise.all([first, small]);
  t.equal(fake.queuedCount, 1);
  const types = fake.messages.map((m) => m.type).filter((type) => type !== 1);
  t.equal(types.length, 401);
  t.equal(types.at(-1), 26, 'the small request came after the queued batch');
  connection.close();
});

t.test('closing with datagrams still queued ends everything with ECANCELED', async (t) => {
  const fake = kernel();
  const connection = new Connection(fake);
  const pending = sendChunked(connection, 5000, 64, write(() => false));
  connection.close();
  const errors = await pending;
  t.ok(errors.every((e) => e?.code === 'ECANCELED'), 'every item says the handle was closed');
});
