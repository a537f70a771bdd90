/**
 * Rules of one shape written by the bulk path share one batch operation. When the kernel
 * refuses one of them, apply must still name that rule's command and index: it finds it with a
 * dry run that gives every command its own operation. A fake kernel refuses exactly one rule
 * (the real one never refuses a rule for its constants alone, which is all a bulk rule varies in).
 */
import t from 'tap';
import { Connection } from '../../src/netlink/connection.js';
import { NetlinkError } from '../../src/netlink/errors.js';
import { NftApi } from '../../src/nft/api.js';
import { NFNL_MSG_BATCH_END, NFT_MSG_NEWRULE, nftMessageType } from '../../src/nft/constants.js';
import { FakeKernel } from '../helpers/fake-kernel.js';

const REFUSED = Buffer.from([10, 0, 1, 244]); // 10.0.1.244: the 501st rule's address

t.test('a refused rule in a bulk run is named by its index', async (t) => {
  const kernel = new FakeKernel((message) => {
    if (message.type !== nftMessageType(NFT_MSG_NEWRULE)) return [];
    return message.data.subarray(message.start, message.end).includes(REFUSED) ? [{ error: 2, extAckMessage: 'refused by the fake kernel' }] : [];
  });
  const connection = new Connection(kernel);
  t.teardown(() => connection.close());
  const nft = new NftApi({ connection: () => connection, netnsLabel: undefined, netnsPath: undefined });
  const document = [
    { add: { table: { family: 'ip', name: 't' } } },
    { add: { chain: { family: 'ip', table: 't', name: 'c' } } },
    ...Array.from({ length: 1000 }, (_, i) => ({
      add: { rule: { family: 'ip', table: 't', chain: 'c', expr: [{ match: { op: '==', left: { payload: { protocol: 'ip', field: 'saddr' } }, right: `10.0.${i >> 8}.${i & 255}` } }, { accept: null }] } },
    })),
  ];
  const error = await nft.apply(document as never).catch((e: unknown) => e);
  t.type(error, NetlinkError);
  t.match(error, { code: 'ENOENT', operation: 'nft add rule', index: 502, extAckMessage: 'refused by the fake kernel' }, 'the command that holds 10.0.1.244');
  const ends = kernel.messages.filter((m) => m.type === NFNL_MSG_BATCH_END).length;
  const rules = kernel.messages.filter((m) => m.type === nftMessageType(NFT_MSG_NEWRULE)).length;
  t.equal(rules, 2000, 'the transaction, then a dry run of it');
  t.equal(ends, 1, 'the dry run had no BATCH_END');
});
