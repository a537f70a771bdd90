/** Large jobs sent chunk by chunk, so that the kernel works on one chunk while the next is encoded. */
import { Batch } from './batch.js';
import type { Connection } from './connection.js';
import { Errno } from './errno.js';
import { NetlinkError } from './errors.js';

const { ECANCELED } = Errno;

const FIRST_CHUNK_ITEMS = 256;
const MAX_CHUNK_ITEMS = 16384;

/**
 * Encodes items 0..count-1 with `write` (one operation per item, in that order) and sends each
 * chunk as soon as it is written; returns each item's error. The connection hands large
 * datagrams to the socket's sender thread, where the kernel handles them while JavaScript
 * encodes the next chunk. Validate everything first: a chunk that has gone cannot be taken back.
 */
export function sendChunked(connection: Connection, count: number, bytesPerItem: number, write: (batch: Batch, item: number) => void): Promise<(NetlinkError | undefined)[]> {
  return sendChunkedRuns(connection, count, bytesPerItem, (batch, from, to) => writeEach(batch, from, to, write));
}

/** `write(batch, item)` for items from..to-1 (a module function: see copyErrors). */
function writeEach(batch: Batch, from: number, to: number, write: (batch: Batch, item: number) => void): void {
  for (let item = from; item < to; item++) write(batch, item);
}

/**
 * {@link sendChunked} for writers that take a run of items at once: `write(batch, from, to)`
 * adds items from..to-1, one operation each, in that order.
 */
export async function sendChunkedRuns(connection: Connection, count: number, bytesPerItem: number, write: (batch: Batch, from: number, to: number) => void): Promise<(NetlinkError | undefined)[]> {
  const errors = new Array<NetlinkError | undefined>(count).fill(undefined);
  const results: Promise<void>[] = [];
  // The first chunk is small, so that the kernel starts early; later ones grow, to keep the
  // number of system calls and thread hand-offs low.
  let size = FIRST_CHUNK_ITEMS;
  for (let start = 0; start < count; ) {
    const end = Math.min(count, start + size);
    const batch = new Batch({ initialCapacity: (end - start) * bytesPerItem + 64 });
    write(batch, start, end);
    if (batch.operationCount !== end - start) throw new Error(`sendChunked: ${batch.operationCount} operations written for ${end - start} items`);
    const first = start;
    // The callbacks are thin: V8 keeps optimized code on the function, so loops in closures
    // made per chunk would run unoptimized again after every collection.
    results.push(
      connection.executeNow(batch).then(
        (result) => copyErrors(result.errors, errors, first),
        (error: unknown) => failChunk(batch, error, errors, first),
      ),
    );
    start = end;
    size = Math.min(size * 2, MAX_CHUNK_ITEMS);
    // Past the receive budget, chunks wait for acks, which are read only when this yields.
    if (connection.backlogged && start < count) await new Promise<void>((resolve) => setImmediate(resolve));
  }
  await Promise.all(results);
  return errors;
}

/** Copies a chunk's errors into the call's, its first operation at `first`. */
function copyErrors(chunkErrors: readonly (NetlinkError | undefined)[], errors: (NetlinkError | undefined)[], first: number): void {
  for (let op = 0; op < chunkErrors.length; op++) {
    const error = chunkErrors[op];
    if (error !== undefined) errors[first + op] = error;
  }
}

/** Closed meanwhile: a chunk's items end like the ones that were in flight. */
function failChunk(batch: Batch, error: unknown, errors: (NetlinkError | undefined)[], first: number): void {
  for (let op = 0; op < batch.operationCount; op++) {
    errors[first + op] = error instanceof NetlinkError ? error.withOperation(batch.operationRef(op)) : new NetlinkError({ errno: ECANCELED, ...batch.operationRef(op), cause: error });
  }
}
