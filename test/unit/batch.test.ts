import t from 'tap';
import { Batch } from '../../src/netlink/batch.js';
import { parseMessages } from '../../src/netlink/message.js';

function batchOf(count: number, payload = 20, options = {}): Batch {
  const batch = new Batch(options);
  for (let i = 0; i < count; i++) batch.add({ operation: 'op', index: i }, 16 + (i % 3), 1, (w) => w.zeros(payload));
  return batch;
}

t.test('messages are framed back to back, one operation each', async (t) => {
  const batch = batchOf(5);
  const messages = parseMessages(Buffer.from(batch.bytes()));
  t.equal(messages.length, 5);
  t.same(messages.map((m) => m.type), [16, 17, 18, 16, 17]);
  t.equal(batch.operationCount, 5);
  for (let i = 0; i < 5; i++) t.equal(batch.ownerOf(i), i);
});

t.test('numberMessages writes consecutive sequence numbers', async (t) => {
  const batch = batchOf(4);
  batch.numberMessages(1, 3, 1000);
  t.same(parseMessages(Buffer.from(batch.bytes())).map((m) => m.seq), [0, 1000, 1001, 0]);
});

t.test('chunks split at the byte limit, never inside a message', async (t) => {
  const batch = batchOf(100, 20); // 36 bytes each
  const chunks = batch.chunks(36 * 10 + 5, Infinity);
  t.equal(chunks.length, 10);
  for (const chunk of chunks) {
    t.equal(chunk.endMessage - chunk.firstMessage, 10);
    t.equal(chunk.end - chunk.start, 360);
    t.equal(parseMessages(Buffer.from(batch.bytes().subarray(chunk.start, chunk.end))).length, 10, 'whole messages');
  }
  t.equal(chunks[chunks.length - 1]!.endMessage, 100, 'covers everything');
});

t.test('chunks split at the reply budget', async (t) => {
  const batch = batchOf(100, 4);
  const chunks = batch.chunks(1 << 20, 1024 * 30);
  t.same(chunks.map((c) => c.endMessage - c.firstMessage), [30, 30, 30, 10]);
  t.same(chunks.map((c) => c.replyCost), [30 * 1024, 30 * 1024, 30 * 1024, 10 * 1024]);
});

t.test('a message larger than the limit gets a chunk of its own', async (t) => {
  const batch = new Batch();
  batch.add({ operation: 'small' }, 16, 1, (w) => w.zeros(8));
  batch.add({ operation: 'big' }, 16, 1, (w) => w.zeros(5000));
  batch.add({ operation: 'small' }, 16, 1, (w) => w.zeros(8));
  const chunks = batch.chunks(1000, Infinity);
  t.same(chunks.map((c) => [c.firstMessage, c.endMessage]), [[0, 1], [1, 2], [2, 3]]);
});

t.test('an atomic batch is one chunk whatever its size', async (t) => {
  const batch = batchOf(1000, 100, { atomic: true });
  const chunks = batch.chunks(4096, 1024);
  t.equal(chunks.length, 1);
  t.equal(chunks[0]!.endMessage, 1000);
});

t.test('one operation may own several messages', async (t) => {
  const batch = new Batch();
  const op = batch.operation({ operation: 'multi', index: 7 });
  for (let i = 0; i < 3; i++) {
    batch.begin(op, 16, 1);
    batch.end();
  }
  batch.add({ operation: 'single', index: 8 }, 16, 1);
  t.same([0, 1, 2, 3].map((i) => batch.ownerOf(i)), [0, 0, 0, 1]);
  t.throws(() => batch.begin(5, 16, 1), /unknown operation/);
});
