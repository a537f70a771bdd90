#!/usr/bin/env node
// Records golden bytes for the rtnetlink encoders from the real `ip` command.
//
// For each case it runs `strace -e write=all ip ...` inside a throwaway network namespace,
// takes the hex dump of the request message `ip` sent (RTM_NEWRULE, RTM_DELROUTE, ...) and writes
// test/fixtures/rtnl/<name>.json with the command, strace's decoded view of the message (the
// annotation), the bytes, and the routemark object that must encode to the same bytes.
//
// Run as root: node scripts/record-rtnl-fixtures.mjs   (re-run after changing the cases)
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';

const ns = `rmrec${process.pid}`;
const out = 'test/fixtures/rtnl';

/** kind: which encoder; intent: add or delete; input: the routemark object. */
const cases = [
  { name: 'rule-add-fwmark-priority-table', kind: 'rule', intent: 'add', ip: 'rule add fwmark 65 priority 1000 table 1', input: { fwmark: 65, priority: 1000, table: 1 } },
  { name: 'rule-add-from-prefix-table-300', kind: 'rule', intent: 'add', ip: 'rule add from 192.0.2.0/24 priority 200 table 300', input: { from: '192.0.2.0/24', priority: 200, table: 300 } },
  { name: 'rule-add-fwmark-mask-priority-0', kind: 'rule', intent: 'add', ip: 'rule add fwmark 0x10/0xff priority 0 table 5', input: { fwmark: 16, fwmask: 255, priority: 0, table: 5 } },
  { name: 'rule-add-not-from-host', kind: 'rule', intent: 'add', ip: 'rule add not from 192.0.2.1 priority 10 table 2', input: { not: true, from: '192.0.2.1', priority: 10, table: 2 } },
  { name: 'rule-add-to-blackhole', kind: 'rule', intent: 'add', ip: 'rule add to 198.51.100.0/24 priority 20 blackhole', input: { to: '198.51.100.0/24', priority: 20, action: 'blackhole' } },
  { name: 'rule-add-ipv6-from', kind: 'rule', intent: 'add', ip: '-6 rule add from 2001:db8::/32 priority 300 table 7', input: { from: '2001:db8::/32', priority: 300, table: 7 } },
  { name: 'rule-add-default-table-main', kind: 'rule', intent: 'add', ip: 'rule add fwmark 7 priority 70', input: { fwmark: 7, priority: 70 } },
  { name: 'rule-del-fwmark-priority-table', kind: 'rule', intent: 'delete', ip: 'rule del fwmark 65 priority 1000 table 1', input: { fwmark: 65, priority: 1000, table: 1 } },
  { name: 'route-add-default-via-dev-table', kind: 'route', intent: 'add', ip: 'route add default via 192.0.2.1 dev v0 table 1', input: { dst: 'default', gateway: '192.0.2.1', dev: 'v0', table: 1 } },
  { name: 'route-add-prefix-via-src-table-300-metric', kind: 'route', intent: 'add', ip: 'route add 198.51.100.0/24 via 192.0.2.1 src 192.0.2.2 table 300 metric 10 dev v0', input: { dst: '198.51.100.0/24', gateway: '192.0.2.1', src: '192.0.2.2', table: 300, metric: 10, dev: 'v0' } },
  { name: 'route-add-connected-dev', kind: 'route', intent: 'add', ip: 'route add 10.1.0.0/16 dev v0', input: { dst: '10.1.0.0/16', dev: 'v0' } },
  { name: 'route-add-blackhole-table', kind: 'route', intent: 'add', ip: 'route add blackhole 203.0.113.0/24 table 5', input: { type: 'blackhole', dst: '203.0.113.0/24', table: 5 } },
  { name: 'route-add-local-host', kind: 'route', intent: 'add', ip: 'route add local 192.0.2.77 dev v0 table 5', input: { type: 'local', dst: '192.0.2.77', dev: 'v0', table: 5 } },
  { name: 'route-add-ipv6-via', kind: 'route', intent: 'add', ip: '-6 route add 2001:db8:1::/48 via 2001:db8::1 dev v0 table 9', input: { dst: '2001:db8:1::/48', gateway: '2001:db8::1', dev: 'v0', table: 9 } },
  { name: 'route-del-default-via-dev-table', kind: 'route', intent: 'delete', ip: 'route del default via 192.0.2.1 dev v0 table 1', input: { dst: 'default', gateway: '192.0.2.1', dev: 'v0', table: 1 } },
];

const wanted = { rule: { add: 'RTM_NEWRULE', delete: 'RTM_DELRULE' }, route: { add: 'RTM_NEWROUTE', delete: 'RTM_DELROUTE' } };

function sh(cmd, args, opts = {}) {
  return execFileSync(cmd, args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], ...opts });
}

const iproute2 = sh('ip', ['-V']).trim();
execFileSync('ip', ['netns', 'add', ns]);
try {
  sh('ip', ['-n', ns, 'link', 'add', 'v0', 'type', 'veth', 'peer', 'name', 'v1']);
  sh('ip', ['-n', ns, 'link', 'set', 'v0', 'up']);
  sh('ip', ['-n', ns, 'addr', 'add', '192.0.2.2/24', 'dev', 'v0']);
  const ifindex = Number(JSON.parse(sh('ip', ['-n', ns, '-j', 'link', 'show', 'v0']))[0].ifindex);
  mkdirSync(out, { recursive: true });
  for (const c of cases) {
    const args = ['netns', 'exec', ns, 'strace', '-e', 'trace=sendmsg', '-e', 'write=all', '-x', 'ip', ...c.ip.split(' ')];
    // strace reports on stderr; ip may fail (e.g. a delete of nothing), the bytes were sent anyway.
    const run = spawnSync('ip', args, { encoding: 'utf8' });
    const trace = `${run.stderr ?? ''}`;
    const lines = trace.split('\n');
    const type = wanted[c.kind][c.intent];
    const start = lines.findIndex((l) => l.startsWith('sendmsg(') && l.includes(`nlmsg_type=${type}`));
    if (start < 0) throw new Error(`${c.name}: no ${type} sendmsg in strace output:\n${trace}`);
    const hex = [];
    for (let i = start + 1; i < lines.length && /^ [|*]/.test(lines[i]); i++) {
      if (!lines[i].startsWith(' |')) continue;
      hex.push(...lines[i].slice(9, 58).trim().split(/\s+/).filter(Boolean));
    }
    const fixture = {
      name: c.name,
      command: `ip ${c.ip}`,
      recordedWith: `strace -e trace=sendmsg -e write=all -x ip ${c.ip}   (${iproute2})`,
      kind: c.kind,
      intent: c.intent,
      input: c.input,
      ifindex: { v0: ifindex },
      notes: 'Bytes are the whole request message. Before comparing, tests zero nlmsg_seq (ip uses the time) and clear NLM_F_ACK (routemark asks for acks with one trailing NOOP per sendmsg instead).',
      decoded: lines[start],
      hex: hex.join(' '),
    };
    writeFileSync(`${out}/${c.name}.json`, JSON.stringify(fixture, null, 2) + '\n');
    console.log(`recorded ${c.name} (${hex.length} bytes)`);
  }
} finally {
  execFileSync('ip', ['netns', 'del', ns]);
}
