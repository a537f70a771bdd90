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

/** Writes a word run with `fill(words, at, starts, indexes, first)`, which returns its end word. */
function appendWords(batch: Batch, operation: string, count: number, maxBytes: number, fill: (words: Uint32Array, at: number, starts: Int32Array, indexes: Float64Array, first: number) => number): void {
  const run = batch.beginWords(operation, count, maxBytes);
  batch.endWords(fill(run.words, run.at, run.starts, run.indexes, run.first));
}

t.test('beginWords/endWords: a run of word-written messages, framed and owned like added ones', async (t) => {
  const batch = new Batch({ initialCapacity: 8 });
  batch.add({ operation: 'first', index: 0 }, 16, 1, (w) => w.zeros(3)); // 19 bytes, padded to 20
  const items = [5, 9, 2];
  appendWords(batch, 'run', items.length, items.length * 24, (words, at, starts, indexes, first) => {
    for (let j = 0; j < items.length; j++) {
      starts[first + j] = at * 4;
      indexes[first + j] = items[j]!;
      words[at] = 20; // nlmsg_len
      words[at + 1] = 17 | (1 << 16); // type, flags (little-endian host)
      words[at + 2] = 0;
      words[at + 3] = 0;
      words[at + 4] = items[j]!;
      at += 5;
    }
    return at;
  });
  batch.add({ operation: 'last', index: 1 }, 18, 1);
  const messages = parseMessages(Buffer.from(batch.bytes()));
  t.same(messages.map((m) => m.type), [16, 17, 17, 17, 18], 'five messages back to back');
  t.same(batch.operations, [{ operation: 'first', index: 0 }, { operation: 'run', index: 5 }, { operation: 'run', index: 9 }, { operation: 'run', index: 2 }, { operation: 'last', index: 1 }]);
  t.same([0, 1, 2, 3, 4].map((m) => batch.messageStart(m)), [0, 20, 40, 60, 80]);
  t.equal(batch.byteLength, 96);

  const owned = new Batch();
  const op = owned.operation({ operation: 'multi' });
  owned.begin(op, 16, 1);
  owned.end();
  owned.begin(op, 16, 1);
  owned.end();
  t.throws(() => appendWords(owned, 'run', 1, 20, (_w, at) => at + 5), /one message per operation/, 'not after an operation of several messages');
  const pending = new Batch();
  pending.operation({ operation: 'registered' });
  t.throws(() => appendWords(pending, 'run', 1, 20, (_w, at) => at + 5), /one message per operation/, 'not while an operation waits for its message');
  const wrong = new Batch();
  const noStarts = (words: Uint32Array, at: number): number => {
    words[at] = 20;
    words[at + 5] = 20;
    return at + 10;
  };
  t.throws(() => appendWords(wrong, 'run', 2, 40, noStarts), /recorded message 0 at -1, not 0/, 'a fill that records no starts is caught');
  const short = new Batch();
  t.throws(
    () =>
      appendWords(short, 'run', 1, 40, (words, at, starts, _indexes, first) => {
        starts[first] = at * 4;
        words[at] = 20;
        return at + 6;
      }),
    /ended at 24, its messages at 20/,
    'a fill whose end disagrees with its messages is caught',
  );
  const open = new Batch();
  open.beginWords('run', 1, 20);
  t.throws(() => open.add({ operation: 'other' }, 16, 1), /previous message not ended/, 'nothing else while a run is open');
  t.throws(() => open.end(), /ends with endWords/, 'a run is not ended by end()');
  t.throws(() => open.bytes(), /still open/, 'no bytes while a run is open');
  t.throws(() => new Batch().endWords(0), /no word run to end/, 'endWords needs a run');
});
