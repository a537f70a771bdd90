/**
 * The seeds' iptables lines, written as nftables JSON, applied by routemark and witnessed by
 * nft (text and JSON listings): mark `tcp dport 465` with 65 in a route chain on output,
 * connmark restore in prerouting and save in postrouting, SNAT to 10.2.2.1:20000-40000 for tcp
 * leaving eth0, MASQUERADE leaving tun0, DNAT of tcp dport 6022 to 192.168.53.206:22, SNAT per
 * source subnet, LOG with a prefix. Then real packets: the mark reroutes port 465 through the
 * second uplink, and conntrack holds the saved mark.
 */
import t from 'tap';
import { spawnSync } from 'node:child_process';
import { open, type NftCommand } from '../../src/index.js';
import { addVeth, makeNetns } from '../helpers/netns.js';
import { nftObjects, withoutHandles } from './helpers.js';

const table = { family: 'ip', name: 'seeds' } as const;
const chain = (name: string, type: string, hook: string, prio: number) => ({ add: { chain: { ...table, table: table.name, name, type, hook, prio, policy: 'accept' } } });
const rule = (chainName: string, expr: unknown[]) => ({ add: { rule: { family: table.family, table: table.name, chain: chainName, expr } } });
const meta = (key: string) => ({ meta: { key } });
const ct = (key: string) => ({ ct: { key } });
const tcpDport = { payload: { protocol: 'tcp', field: 'dport' } };
const match = (left: unknown, right: unknown) => ({ match: { op: '==', left, right } });

/** The seeds, as a document. */
const SEEDS = [
  { add: { table } },
  chain('mark_out', 'route', 'output', -150),
  chain('restore', 'filter', 'prerouting', -150),
  chain('save', 'filter', 'postrouting', -150),
  chain('snat', 'nat', 'postrouting', 100),
  chain('dnat', 'nat', 'prerouting', -100),
  chain('log_in', 'filter', 'input', 0),
  // iptables -t mangle -A OUTPUT -p tcp --dport 465 -j MARK --set-mark 65
  rule('mark_out', [match(tcpDport, 465), { mangle: { key: meta('mark'), value: 65 } }]),
  // iptables -t mangle -A PREROUTING -j CONNMARK --restore-mark
  rule('restore', [{ mangle: { key: meta('mark'), value: ct('mark') } }]),
  // iptables -t mangle -A POSTROUTING -j CONNMARK --save-mark
  rule('save', [{ mangle: { key: ct('mark'), value: meta('mark') } }]),
  // iptables -t nat -A POSTROUTING -o eth0 -p tcp -j SNAT --to-source 10.2.2.1:20000-40000
  rule('snat', [match(meta('oifname'), 'eth0'), match(meta('l4proto'), 'tcp'), { snat: { addr: '10.2.2.1', port: { range: [20000, 40000] } } }]),
  // iptables -t nat -A POSTROUTING -o tun0 -j MASQUERADE
  rule('snat', [match(meta('oifname'), 'tun0'), { masquerade: null }]),
  // iptables -t nat -A POSTROUTING -s 10.1.0.0/16 -j SNAT --to-source 198.51.100.3 (one per subnet)
  rule('snat', [match({ payload: { protocol: 'ip', field: 'saddr' } }, { prefix: { addr: '10.1.0.0', len: 16 } }), { snat: { addr: '198.51.100.3' } }]),
  rule('snat', [match({ payload: { protocol: 'ip', field: 'saddr' } }, { prefix: { addr: '10.2.0.0', len: 16 } }), { snat: { addr: '198.51.100.4' } }]),
  // iptables -t nat -A PREROUTING -p tcp --dport 6022 -j DNAT --to-destination 192.168.53.206:22
  rule('dnat', [match(tcpDport, 6022), { dnat: { addr: '192.168.53.206', port: 22 } }]),
  // iptables -A INPUT -j LOG --log-prefix "routemark: "
  rule('log_in', [{ log: { prefix: 'routemark: ' } }]),
] as NftCommand[];

t.test('the seeds as nftables JSON, witnessed by nft', async (t) => {
  const ns = makeNetns(t);
  const handle = await open({ netns: ns.name });
  t.teardown(() => handle.close());
  const result = await handle.nft.apply(SEEDS);
  t.equal(result.handles.filter((h) => h !== undefined).length, 9, 'a handle for each of the 9 rules');

  const text = ns.exec('nft', ['list', 'table', 'ip', 'seeds']);
  const lines = text.split('\n').map((line) => line.trim());
  for (const expected of [
    'type route hook output priority mangle; policy accept;',
    'tcp dport 465 meta mark set 0x00000041',
    'meta mark set ct mark',
    'ct mark set meta mark',
    'oifname "eth0" meta l4proto tcp snat to 10.2.2.1:20000-40000',
    'oifname "tun0" masquerade',
    'ip saddr 10.1.0.0/16 snat to 198.51.100.3',
    'ip saddr 10.2.0.0/16 snat to 198.51.100.4',
    'tcp dport 6022 dnat to 192.168.53.206:22',
    'log prefix "routemark: "',
  ]) {
    t.ok(lines.includes(expected), `nft list shows: ${expected}`);
  }
  const listed = nftObjects(ns).filter((o) => 'rule' in o).map((o) => o.rule);
  const applied = withoutHandles(SEEDS.filter((c) => 'add' in c && 'rule' in (c as { add: object }).add).map((c) => (c as { add: { rule: unknown } }).add.rule));
  t.same(listed, applied, 'nft -j lists exactly the JSON applied');
  const ours = (await handle.nft.list({ family: 'ip', table: 'seeds' })).nftables.filter((o) => 'rule' in o).map((o) => (o as { rule: { handle?: number } }).rule);
  t.same(ours.map((r) => r.handle), result.handles.filter((h) => h !== undefined), 'the handles apply returned are the rules routemark lists');
});

t.test('packets: port 465 is marked 65 and routed by the mark; conntrack keeps the saved mark', async (t) => {
  const client = makeNetns(t, 'rmn-client');
  const uplink1 = makeNetns(t, 'rmn-up1');
  const uplink2 = makeNetns(t, 'rmn-up2');
  addVeth(client, 'up1', 'c1', { address: '192.0.2.1/24', peerNetns: uplink1, peerAddress: '192.0.2.2/24' });
  addVeth(client, 'up2', 'c2', { address: '198.51.100.1/24', peerNetns: uplink2, peerAddress: '198.51.100.2/24' });
  client.ip('route', 'add', 'default', 'via', '192.0.2.2', 'dev', 'up1');
  client.ip('route', 'add', 'default', 'via', '198.51.100.2', 'dev', 'up2', 'table', '100');
  client.ip('rule', 'add', 'fwmark', '65', 'lookup', '100', 'priority', '1000');

  const handle = await open({ netns: client.name });
  t.teardown(() => handle.close());
  const counter = (oif: string, port: number) => rule('count', [match(meta('oifname'), oif), match(tcpDport, port), { counter: null }]);
  await handle.nft.apply([
    { add: { table } },
    chain('mark_out', 'route', 'output', -150),
    chain('save', 'filter', 'postrouting', -150),
    chain('count', 'filter', 'postrouting', 0),
    rule('mark_out', [match(tcpDport, 465), { mangle: { key: meta('mark'), value: 65 } }]),
    rule('save', [{ mangle: { key: ct('mark'), value: meta('mark') } }]),
    counter('up1', 465),
    counter('up2', 465),
    counter('up1', 80),
    counter('up2', 80),
  ] as NftCommand[]);

  // Nothing answers: each connect sends SYNs and gives up; the counters see where they went.
  for (const port of [465, 80]) {
    spawnSync('ip', ['netns', 'exec', client.name, 'timeout', '0.5', 'bash', '-c', `exec 3<>/dev/tcp/203.0.113.5/${port}`]);
  }
  const packets = (oif: string, port: number): number => {
    for (const o of client.nftJson().nftables) {
      const r = (o as { rule?: { chain: string; expr: { match?: { left: unknown; right: unknown }; counter?: { packets: number } }[] } }).rule;
      if (r?.chain !== 'count') continue;
      if (r.expr[0]?.match?.right === oif && r.expr[1]?.match?.right === port) return r.expr[2]!.counter!.packets;
    }
    throw new Error(`no counter for ${oif} ${port}`);
  };
  t.ok(packets('up2', 465) >= 1, `SYNs to port 465 left by up2, the mark's uplink (${packets('up2', 465)})`);
  t.equal(packets('up1', 465), 0, 'none by up1');
  t.ok(packets('up1', 80) >= 1, `SYNs to port 80 left by up1, the default uplink (${packets('up1', 80)})`);
  t.equal(packets('up2', 80), 0, 'none by up2');

  const flows = client.exec('conntrack', ['-L', '-p', 'tcp']);
  const flow465 = flows.split('\n').find((line) => line.includes('dport=465'));
  const flow80 = flows.split('\n').find((line) => line.includes('dport=80 '));
  t.match(flow465, /mark=65\b/, 'conntrack -L: the port-465 flow carries the saved mark 65');
  t.match(flow80, /mark=0\b/, 'and the port-80 flow none');
});
