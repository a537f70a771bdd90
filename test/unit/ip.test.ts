import t from 'tap';
import { formatAddress, formatPrefix, parseAddress, parsePrefix, tryParseAddress } from '../../src/common/ip.js';

// Expected strings are what glibc's inet_ntop prints (checked with Python's socket.inet_ntop,
// which calls it): routemark's listings must read exactly like `ip -j`.
const ipv6Cases: [string, string, string][] = [
  ['2001:db8::1', '2001:db8::1', '20010db8000000000000000000000001'],
  ['::', '::', '00000000000000000000000000000000'],
  ['::1', '::1', '00000000000000000000000000000001'],
  ['::ffff:192.0.2.1', '::ffff:192.0.2.1', '00000000000000000000ffffc0000201'],
  ['::192.0.2.1', '::192.0.2.1', '000000000000000000000000c0000201'],
  ['2001:db8:0:0:1:0:0:1', '2001:db8::1:0:0:1', '20010db8000000000001000000000001'],
  ['2001:0:0:1::', '2001:0:0:1::', '20010000000000010000000000000000'],
  ['fe80::', 'fe80::', 'fe800000000000000000000000000000'],
  ['1:0:0:0:0:0:0:0', '1::', '00010000000000000000000000000000'],
  ['2001:db8:0:1:1:1:1:1', '2001:db8:0:1:1:1:1:1', '20010db8000000010001000100010001'],
  ['::ffff:0:0', '::ffff:0.0.0.0', '00000000000000000000ffff00000000'],
  ['::1:0:0:0', '::1:0:0:0', '00000000000000000001000000000000'],
  ['0:0:0:0:0:1:0:0', '::1:0:0', '00000000000000000000000100000000'],
  ['64:ff9b::c000:201', '64:ff9b::c000:201', '0064ff9b0000000000000000c0000201'],
  ['::0:0:0:ffff:0102:0304', '::ffff:1.2.3.4', '00000000000000000000ffff01020304'],
];

t.test('IPv6 parse and inet_ntop-style format', async (t) => {
  for (const [input, printed, hex] of ipv6Cases) {
    const address = parseAddress(input, 'a');
    t.equal(address.family, 6);
    t.equal(Buffer.from(address.bytes).toString('hex'), hex, `${input} parses`);
    t.equal(formatAddress(address.bytes), printed, `${input} prints as ${printed}`);
  }
});

t.test('IPv4 parse and format', async (t) => {
  t.same([...parseAddress('192.0.2.1', 'a').bytes], [192, 0, 2, 1]);
  t.equal(formatAddress(Uint8Array.from([203, 0, 113, 255])), '203.0.113.255');
  for (const bad of ['192.0.2', '192.0.2.256', '01.2.3.4', '1.2.3.4.5', '', 'a.b.c.d', '1::2::3', ':::', '12345::', '1:2:3:4:5:6:7:8:9']) {
    t.equal(tryParseAddress(bad), undefined, `${JSON.stringify(bad)} is refused`);
  }
});

t.test('prefixes', async (t) => {
  t.same(parsePrefix('10.0.0.0/8', 'p').length, 8);
  t.same(parsePrefix('192.0.2.1', 'p').length, 32);
  t.same(parsePrefix('2001:db8::/32', 'p').length, 32);
  t.throws(() => parsePrefix('10.0.0.1/33', 'rule.from'), { name: 'ValidationError', field: 'rule.from', value: '10.0.0.1/33' });
  t.throws(() => parsePrefix('2001:db8::/129', 'p'), { name: 'ValidationError', field: 'p' });
  t.throws(() => parsePrefix('10.0.0.0/8', 'p', 6), { name: 'ValidationError', field: 'p' });
  t.equal(formatPrefix(Uint8Array.from([10, 0, 0, 0]), 8), '10.0.0.0/8');
  t.equal(formatPrefix(Uint8Array.from([10, 0, 0, 1]), 32), '10.0.0.1');
});
