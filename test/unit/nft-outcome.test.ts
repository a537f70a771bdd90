/**
 * How nft.apply reports a failed bulk run of rules (one operation shared by every rule of the
 * run): a kernel refusal is pinned on its rule by a precise dry run; a handle closed mid-flight
 * keeps its own error, which says the transaction may have been applied.
 */
import t from 'tap';
import type { Batch } from '../../src/netlink/batch.js';
import type { BatchResult, Connection } from '../../src/netlink/connection.js';
import { Errno } from '../../src/netlink/errno.js';
import { NetlinkError } from '../../src/netlink/errors.js';
import type { ConnectionProvider } from '../../src/netlink/provider.js';
import { NftApi } from '../../src/nft/api.js';
import type { NftDocument } from '../../src/nft/json.js';

/** A table, a chain and five rules of one shape: rules 2 to 5 share one operation. */
const document = {
  nftables: [
    { add: { table: { family: 'ip', name: 'rm' } } },
    { add: { chain: { family: 'ip', table: 'rm', name: 'c' } } },
    ...[1, 2, 3, 4, 5].map((i) => ({
      add: { rule: { family: 'ip', table: 'rm', chain: 'c', expr: [{ match: { op: '==', left: { payload: { protocol: 'ip', field: 'saddr' } }, right: `10.0.0.${i}` } }, { mangle: { key: { meta: { key: 'mark' } }, value: i } }] } },
    })),
  ],
} as NftDocument;

/** A provider whose connection answers each execute with the next of `answers`. */
function provider(answers: ((batch: Batch) => Promise<BatchResult>)[]): { provider: ConnectionProvider; calls: () => number } {
  let calls = 0;
  const connection = {
    execute(batch: Batch): Promise<BatchResult> {
      const answer = answers[calls++];
      if (answer === undefined) throw new Error('unexpected execute');
      return answer(batch);
    },
  } as unknown as Connection;
  return { provider: { connection: () => connection, netnsLabel: undefined, netnsPath: undefined }, calls: () => calls };
}

/** A result whose last operation (the rules' shared one) failed with `error`. */
function lastFails(batch: Batch, error: NetlinkError): Promise<BatchResult> {
  const errors = new Array<NetlinkError | undefined>(batch.operationCount).fill(undefined);
  errors[batch.operationCount - 1] = error;
  return Promise.resolve({ errors, replies: undefined, failed: 1 });
}

t.test('a handle closed while a bulk run was in flight reports "may have been applied"', async (t) => {
  const mayHaveApplied = new NetlinkError({ errno: Errno.ECANCELED, operation: 'nft add rule', index: 3, detail: 'the handle was closed before the kernel answered; the operation may have been applied' });
  const closed = new NetlinkError({ errno: Errno.ECANCELED, operation: 'nft commit', detail: 'the handle was closed' });
  const fake = provider([(batch) => lastFails(batch, mayHaveApplied), () => Promise.reject(closed)]);
  const error = await new NftApi(fake.provider).apply(document).then(
    () => undefined,
    (e: unknown) => e,
  );
  t.equal(error, mayHaveApplied, 'the in-flight error reaches the caller unchanged');
  t.equal(fake.calls(), 1, 'no dry run is tried on a closed handle');
});

t.test('a kernel refusal in a bulk run is pinned on its rule by a precise dry run', async (t) => {
  const shared = new NetlinkError({ errno: 22 /* EINVAL */, operation: 'nft add rule', index: 3 });
  let dryRun: Batch | undefined;
  const fake = provider([
    (batch) => lastFails(batch, shared),
    (batch) => {
      dryRun = batch;
      const errors = new Array<NetlinkError | undefined>(batch.operationCount).fill(undefined);
      // One operation per command now: the fourth rule (command 5) is the one refused.
      const op = [...Array(batch.operationCount).keys()].find((i) => batch.operationRef(i).index === 5)!;
      errors[op] = new NetlinkError({ errno: 22 /* EINVAL */, ...batch.operationRef(op) });
      return Promise.resolve({ errors, replies: undefined, failed: 1 });
    },
  ]);
  const error = (await new NftApi(fake.provider).apply(document).then(
    () => undefined,
    (e: unknown) => e,
  )) as NetlinkError;
  t.equal(fake.calls(), 2);
  t.ok(dryRun !== undefined && dryRun.operationCount >= 7, 'the dry run has an operation per command');
  t.equal(error.index, 5, 'the error names the rule the kernel refused');
  t.equal(error.code, 'EINVAL');
});

t.test('a dry run that cannot be sent leaves the bulk run\'s own error', async (t) => {
  const shared = new NetlinkError({ errno: 22 /* EINVAL */, operation: 'nft add rule', index: 3 });
  const closed = new NetlinkError({ errno: Errno.ECANCELED, operation: 'nft commit', detail: 'the handle was closed' });
  const fake = provider([(batch) => lastFails(batch, shared), () => Promise.reject(closed)]);
  const error = await new NftApi(fake.provider).apply(document).then(
    () => undefined,
    (e: unknown) => e,
  );
  t.equal(error, shared);
});
