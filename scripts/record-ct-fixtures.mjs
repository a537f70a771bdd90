#!/usr/bin/env node
// Records golden bytes for the ctnetlink encoders from the real `conntrack` tool.
//
// For each case it runs `strace -e write=all conntrack ...` in a throwaway network namespace,
// takes the hex dump of the first request of the wanted type, and writes
// test/fixtures/ct/<name>.json with the command, strace's decoded view (the annotation), the
// bytes, and the routemark input that must encode to the same bytes.
//
// Run as root: node scripts/record-ct-fixtures.mjs [NAME...]   (only the named cases, if any)
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';

const ns = `rmctrec${process.pid}`;
const out = 'test/fixtures/ct';

const cases = [
  {
    name: 'create-tcp-established-mark',
    kind: 'create',
    args: '-I -p tcp -s 192.0.2.1 -d 192.0.2.2 --sport 1000 --dport 80 --timeout 100 --state ESTABLISHED --mark 5',
    input: { protocol: 'tcp', src: '192.0.2.1', dst: '192.0.2.2', sport: 1000, dport: 80, timeout: 100, tcpState: 'ESTABLISHED', mark: 5 },
  },
  {
    name: 'create-udp-zone-status',
    kind: 'create',
    args: '-I -p udp -s 192.0.2.1 -d 192.0.2.2 --sport 1000 --dport 53 --timeout 100 -w 7 -u ASSURED',
    input: { protocol: 'udp', src: '192.0.2.1', dst: '192.0.2.2', sport: 1000, dport: 53, timeout: 100, zone: 7, status: ['ASSURED'] },
  },
  {
    name: 'create-icmp-echo',
    kind: 'create',
    args: '-I -p icmp -s 192.0.2.1 -d 192.0.2.2 --icmp-type 8 --icmp-code 0 --icmp-id 77 --timeout 50',
    input: { protocol: 'icmp', src: '192.0.2.1', dst: '192.0.2.2', icmpType: 8, icmpCode: 0, icmpId: 77, timeout: 50 },
  },
  {
    name: 'create-udp-ipv6',
    kind: 'create',
    args: '-I -p udp -s 2001:db8::1 -d 2001:db8::2 --sport 5 --dport 6 --timeout 60 --mark 0',
    input: { protocol: 'udp', src: '2001:db8::1', dst: '2001:db8::2', sport: 5, dport: 6, timeout: 60, mark: 0 },
  },
  {
    name: 'create-icmp-timestamp',
    kind: 'create',
    args: '-I -p icmp -s 192.0.2.1 -d 192.0.2.2 --icmp-type 13 --icmp-code 0 --icmp-id 5 --timeout 50',
    input: { protocol: 'icmp', src: '192.0.2.1', dst: '192.0.2.2', icmpType: 13, icmpCode: 0, icmpId: 5, timeout: 50 },
  },
  {
    name: 'create-gre-keys',
    kind: 'create',
    args: '-I -p gre -s 10.0.0.1 -d 10.0.0.2 --srckey 11 --dstkey 12 --timeout 300',
    input: { protocol: 'gre', src: '10.0.0.1', dst: '10.0.0.2', sport: 11, dport: 12, timeout: 300 },
  },
  {
    name: 'create-udp-orig-zone',
    kind: 'create',
    args: '-I -p udp -s 192.0.2.1 -d 192.0.2.2 --sport 1 --dport 4 --orig-zone 6 --timeout 300',
    input: { protocol: 'udp', src: '192.0.2.1', dst: '192.0.2.2', sport: 1, dport: 4, timeout: 300, zone: 6, zoneDirection: 'original' },
  },
  {
    name: 'create-udp-reply-zone',
    kind: 'create',
    args: '-I -p udp -s 192.0.2.1 -d 192.0.2.2 --sport 1 --dport 5 --reply-zone 7 --timeout 300',
    input: { protocol: 'udp', src: '192.0.2.1', dst: '192.0.2.2', sport: 1, dport: 5, timeout: 300, zone: 7, zoneDirection: 'reply' },
  },
  {
    // The kernel keeps a vtag as the header's big-endian bytes (nla_get_be32) and compares them
    // with packets. conntrack 1.4.7 swaps the number it is given twice (htonl in the tool and in
    // libnetfilter_conntrack), so on a little-endian host `--orig-vtag 16777216` is what puts
    // vtag 1 on the wire; routemark's sctpVtag is the vtag as the SCTP header carries it.
    name: 'create-sctp-state-vtags',
    kind: 'create',
    args: '-I -p sctp -s 192.0.2.1 -d 192.0.2.2 --sport 5000 --dport 6000 --timeout 100 --state ESTABLISHED --orig-vtag 16777216 --reply-vtag 33554432',
    input: { protocol: 'sctp', src: '192.0.2.1', dst: '192.0.2.2', sport: 5000, dport: 6000, timeout: 100, sctpState: 'ESTABLISHED', sctpVtag: { original: 1, reply: 2 } },
  },
  {
    name: 'dump-mark-mask',
    kind: 'dump',
    args: '-L -m 5/0xff',
    input: { mark: 5, markMask: 255 },
  },
];

const wanted = { create: 'IPCTNL_MSG_CT_NEW', dump: 'IPCTNL_MSG_CT_GET' };
const version = spawnSync('conntrack', ['--version'], { encoding: 'utf8' }).stdout.trim();

execFileSync('ip', ['netns', 'add', ns]);
try {
  mkdirSync(out, { recursive: true });
  const only = process.argv.slice(2);
  for (const c of cases.filter((c) => only.length === 0 || only.includes(c.name))) {
    const run = spawnSync('ip', ['netns', 'exec', ns, 'strace', '-e', 'trace=sendto', '-e', 'write=all', '-x', 'conntrack', ...c.args.split(' ')], { encoding: 'utf8' });
    const lines = run.stderr.split('\n');
    const start = lines.findIndex((l) => l.startsWith('sendto(') && l.includes(`IPCTNL_MSG_CT_${wanted[c.kind].split('_').pop()}`));
    if (start < 0) throw new Error(`${c.name}: no ${wanted[c.kind]} in strace output:\n${run.stderr}`);
    const hex = [];
    for (let i = start + 1; i < lines.length && /^ [|*]/.test(lines[i]); i++) {
      if (lines[i].startsWith(' |')) hex.push(...lines[i].slice(9, 58).trim().split(/\s+/).filter(Boolean));
    }
    writeFileSync(`${out}/${c.name}.json`, JSON.stringify({
      name: c.name,
      command: `conntrack ${c.args}`,
      recordedWith: `strace -e trace=sendto -e write=all -x conntrack ${c.args}   (${version})`,
      kind: c.kind,
      input: c.input,
      notes: 'The whole request message. Tests zero nlmsg_seq, clear NLM_F_ACK, and zero attribute padding, which libmnl leaves uninitialised.',
      decoded: lines[start],
      hex: hex.join(' '),
    }, null, 2) + '\n');
    console.log(`recorded ${c.name} (${hex.length} bytes)`);
  }
} finally {
  execFileSync('ip', ['netns', 'del', ns]);
}
