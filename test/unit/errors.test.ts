/** NetlinkError: what it says, and what a copy attributed to another operation keeps. */
import t from 'tap';
import { NetlinkError } from '../../src/netlink/errors.js';

t.test('the detail is in the message and on the error, and survives withOperation', async (t) => {
  const error = new NetlinkError({ errno: 99, operation: 'usableAddress', netns: 'ns1', detail: '2001:db8::1 on v4: duplicate address detection failed', extAck: { message: 'kernel says no' } });
  t.equal(error.code, 'EADDRNOTAVAIL');
  t.equal(error.detail, '2001:db8::1 on v4: duplicate address detection failed');
  t.match(error.message, /^usableAddress: EADDRNOTAVAIL \(.+\): kernel says no \(2001:db8::1 on v4: duplicate address detection failed\)$/);
  const moved = error.withOperation({ operation: 'addAddress', index: 3 });
  t.match(moved, { code: 'EADDRNOTAVAIL', operation: 'addAddress', index: 3, netns: 'ns1', detail: error.detail, extAckMessage: 'kernel says no' });
  t.match(moved.message, /^addAddress\[3\]: EADDRNOTAVAIL .*duplicate address detection failed\)$/);
  t.equal(new NetlinkError({ errno: 17 }).detail, undefined, 'no detail: undefined, and none in the message');
  t.notMatch(new NetlinkError({ errno: 17 }).message, /\(.*\) \(/);
});
