import t from 'tap';
import { formatAddress, formatPrefix, ipv4StoppedAt, parseAddress, parseIPv4Number, parsePrefix, tryParseAddress } from '../../src/common/ip.js';

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

/** An independent IPv4 reader (a regular expression), for the hand-written parser to agree with. */
function referenceIPv4(text: string): number {
  const match = /^(0|[1-9][0-9]{0,2})\.(0|[1-9][0-9]{0,2})\.(0|[1-9][0-9]{0,2})\.(0|[1-9][0-9]{0,2})$/.exec(text);
  if (!match) return -1;
  const parts = match.slice(1).map(Number);
  return parts.some((p) => p > 255) ? -1 : parts.reduce((a, p) => a * 256 + p, 0);
}

t.test('parseIPv4Number agrees with a regular expression, with and without a stop at /', async (t) => {
  const samples = ['0.0.0.0', '255.255.255.255', '1.2.3.4', '1.2.3.256', '1.2.3.1000', '1.2.3.04', '00.1.2.3', '1.2.3', '1.2.3.', '.1.2.3', '1..2.3',
    '1.2.3.4.', '1.2.3.4 ', ' 1.2.3.4', '1.2.3.4/', '1.2.3.4/24', '1.2.3.4//', '1.2.3/4', '', '/', '1234.1.1.1', '999.1.1.1', '1.2.3.4x', '１.2.3.4'];
  let seed = 7;
  const next = (n: number): number => {
    seed = (seed * 48271) % 2147483647; // MINSTD: exact in doubles
    return seed % n;
  };
  const tails = ['', '', '', '/24', '/', '/x', ' ', '.', 'a', '.1'];
  for (let i = 0; i < 20000; i++) {
    // Mostly four parts of 0..299, some with a leading zero or a fourth digit; then a tail, and
    // now and then one character replaced: many are addresses, many nearly.
    const parts = Array.from({ length: next(10) === 0 ? 3 + next(3) : 4 }, () => {
      const value = String(next(300));
      return next(20) === 0 ? `0${value}` : next(30) === 0 ? `${value}7` : value;
    });
    let text = parts.join('.') + tails[next(tails.length)]!;
    if (next(8) === 0) {
      const at = next(text.length);
      text = text.slice(0, at) + '0./ a'[next(5)]! + text.slice(at + 1);
    }
    samples.push(text);
  }
  let valid = 0;
  for (const text of samples) {
    const whole = referenceIPv4(text);
    if (whole >= 0) valid++;
    if (parseIPv4Number(text) !== whole) t.fail(`${JSON.stringify(text)}: ${parseIPv4Number(text)}, expected ${whole}`);
    const slash = text.indexOf('/');
    const head = referenceIPv4(slash >= 0 ? text.slice(0, slash) : text);
    const stopped = parseIPv4Number(text, true);
    if (stopped !== head || (head >= 0 && ipv4StoppedAt !== (slash >= 0 ? slash : text.length))) t.fail(`${JSON.stringify(text)} up to /: ${stopped} at ${ipv4StoppedAt}, expected ${head}`);
  }
  t.ok(valid > 500, `${valid} of ${samples.length} samples are addresses`);
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

t.test('kernel releases compare by major and minor', async (t) => {
  const { releaseAtLeast } = await import('../../src/common/kernel.js');
  t.ok(releaseAtLeast('6.18.44-fc-v657', 6, 1));
  t.ok(releaseAtLeast('6.1.0-13-amd64', 6, 1));
  t.notOk(releaseAtLeast('6.0.19', 6, 1));
  t.notOk(releaseAtLeast('5.19.0', 6, 1));
  t.ok(releaseAtLeast('7.0.0', 6, 12));
  t.notOk(releaseAtLeast('6.11.9', 6, 12));
});
