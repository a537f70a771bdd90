/**
 * numgen, jhash, socket and tproxy with real packets, in the scenario topology.
 *
 * Load balancing over two uplinks: the router marks LAN datagrams `numgen inc mod 2 offset 10`
 * (round robin) or `jhash ip saddr mod 2 seed S offset 10` (per source), and policy rules send
 * mark 10 by isp1 and mark 11 by isp2; counters written with the `nft` tool in the ISPs see
 * which uplink each datagram left by.
 *
 * Transparent proxy: the router hands LAN TCP to 203.0.113.77:80 (an address nobody has) to a
 * local IP_TRANSPARENT listener (`tproxy to :PORT meta mark set 1`, `ip rule fwmark 1 lookup
 * 100`, `local default dev lo table 100`); the listener sees the original destination as its own
 * address, and `socket transparent 1` takes the connection's later packets.
 */
import { spawn } from 'node:child_process';
import { setTimeout as sleep } from 'node:timers/promises';
import t from 'tap';
import { open, type NftExpression, type NftStatement } from '../../src/index.js';
import type { TestNetns } from '../helpers/netns.js';
import { buildScenarioTopology } from '../helpers/scenario-topology.js';
import { echo, sendDatagrams } from '../helpers/traffic.js';
import { nftCounters } from '../helpers/witness.js';
import { withoutHandles } from './helpers.js';

const table = { family: 'ip', table: 'rm' } as const;
const match = (left: NftExpression, right: NftExpression): NftStatement => ({ match: { op: '==', left, right } });
const meta = (key: string): NftExpression => ({ meta: { key } });
const setMark = (value: NftExpression): NftStatement => ({ mangle: { key: meta('mark'), value } });
const fromLan = match(meta('iifname'), 'lan0');
const udpTo = (port: number) => match({ payload: { protocol: 'udp', field: 'dport' } }, port);

/**
 * The kernel's jhash (include/linux/jhash.h) of a 4-byte key, an IPv4 address in network
 * order as `ip saddr` loads it: the value nft_jhash_eval scales to the modulus.
 */
function jhashOfAddress(address: string, seed: number): number {
  const k = address.split('.').map(Number);
  const rol = (x: number, n: number) => ((x << n) | (x >>> (32 - n))) >>> 0;
  let a = (0xdeadbeef + 4 + seed) >>> 0;
  let b = a;
  let c = a;
  a = (a + (k[0]! | (k[1]! << 8) | (k[2]! << 16)) + k[3]! * 0x1000000) >>> 0;
  // __jhash_final
  c = ((c ^ b) - rol(b, 14)) >>> 0;
  a = ((a ^ c) - rol(c, 11)) >>> 0;
  b = ((b ^ a) - rol(a, 25)) >>> 0;
  c = ((c ^ b) - rol(b, 16)) >>> 0;
  a = ((a ^ c) - rol(c, 4)) >>> 0;
  b = ((b ^ a) - rol(a, 14)) >>> 0;
  c = ((c ^ b) - rol(b, 24)) >>> 0;
  return c;
}

/** `jhash ip saddr mod N seed S offset O` for one address (reciprocal_scale, then the offset). */
function jhashMark(address: string, seed: number, mod: number, offset: number): number {
  return Math.floor((jhashOfAddress(address, seed) * mod) / 2 ** 32) + offset;
}

/** The rules of a chain as routemark lists them and as `nft -j` lists them, handles left out. */
async function bothListings(handle: Awaited<ReturnType<typeof open>>, ns: TestNetns, chain: string): Promise<[NftStatement[][], unknown[]]> {
  const ours = (await handle.nft.list({ ...table, chain })).nftables.flatMap((item) => ('rule' in item && item.rule ? [item.rule.expr ?? []] : []));
  const nft = JSON.parse(ns.exec('nft', ['-j', 'list', 'chain', 'ip', 'rm', chain])) as { nftables: { rule?: { expr: unknown[] } }[] };
  return [withoutHandles(ours), nft.nftables.flatMap((item) => (item.rule ? [item.rule.expr] : []))];
}

t.test('numgen and jhash marks balance LAN datagrams over two uplinks by policy rules', async (t) => {
  const { router, lan, isp1, isp2 } = await buildScenarioTopology(t);
  const handle = await open({ netns: router.name });
  t.teardown(() => handle.close());
  const counted = ['udp dport 5000', 'ip saddr 10.10.0.2 udp dport 5001', 'ip saddr 10.10.0.3 udp dport 5001'];
  const seen1 = nftCounters(isp1, 'prerouting', 'raw', counted);
  const seen2 = nftCounters(isp2, 'prerouting', 'raw', counted);

  // A seed that puts the LAN's two addresses in different buckets (found by the kernel's hash).
  let seed = 0;
  while (jhashMark('10.10.0.2', seed, 2, 10) === jhashMark('10.10.0.3', seed, 2, 10)) seed++;
  const numgen = { numgen: { mode: 'inc', mod: 2, offset: 10 } };
  const jhash = { jhash: { mod: 2, seed, offset: 10, expr: { payload: { protocol: 'ip', field: 'saddr' } } } };
  await handle.nft.apply([
    { add: { table: { family: 'ip', name: 'rm' } } },
    { add: { chain: { ...table, name: 'pre', type: 'filter', hook: 'prerouting', prio: -150, policy: 'accept' } } },
    { add: { rule: { ...table, chain: 'pre', expr: [fromLan, udpTo(5000), setMark(numgen)] } } },
    { add: { rule: { ...table, chain: 'pre', expr: [fromLan, udpTo(5001), setMark(jhash)] } } },
  ]);
  await handle.rules.add({ fwmark: 10, priority: 1000, table: 10 });
  await handle.rules.add({ fwmark: 11, priority: 1001, table: 11 });
  await handle.routes.add({ dst: 'default', gateway: '10.1.0.1', dev: 'up1', table: 10 });
  await handle.routes.add({ dst: 'default', gateway: '10.2.0.1', dev: 'up2', table: 11 });
  t.match(router.exec('nft', ['list', 'chain', 'ip', 'rm', 'pre']), new RegExp(`udp dport 5000 meta mark set numgen inc mod 2 offset 10\\n[^]*udp dport 5001 meta mark set jhash ip saddr mod 2 seed 0x${seed.toString(16)} offset 10\\n`), 'nft lists the rules routemark applied (the seed too, which the kernel lists only when given)');
  const [ours, nfts] = await bothListings(handle, router, 'pre');
  t.same(ours, nfts, 'routemark lists them as nft -j does');
  t.same(ours.map((expr) => expr[2]), [setMark(numgen), setMark(jhash)], 'with the numgen and the jhash as applied');

  // numgen inc counts 0, 1, 0, ...: the uplink of each datagram in turn, isp1 first.
  const uplinks: string[] = [];
  for (let i = 0; i < 6; i++) {
    const [before1, before2] = [seen1.read()[0]!, seen2.read()[0]!];
    sendDatagrams(lan, '10.10.0.2', '203.0.113.10', 5000);
    await sleep(20);
    const [after1, after2] = [seen1.read()[0]!, seen2.read()[0]!];
    uplinks.push(after1 > before1 && after2 === before2 ? 'isp1' : after2 > before2 && after1 === before1 ? 'isp2' : 'lost');
  }
  t.same(uplinks, ['isp1', 'isp2', 'isp1', 'isp2', 'isp1', 'isp2'], 'round robin: marks 10, 11, 10, ... leave by isp1, isp2, isp1, ...');

  // jhash: every datagram of a source leaves by the uplink its hash picks.
  sendDatagrams(lan, '10.10.0.2', '203.0.113.10', 5001, 3);
  sendDatagrams(lan, '10.10.0.3', '203.0.113.10', 5001, 3);
  await sleep(100);
  const expected = (address: string, isp: number) => (jhashMark(address, seed, 2, 10) === isp + 9 ? 3 : 0);
  t.same(seen1.read(), [3, expected('10.10.0.2', 1), expected('10.10.0.3', 1)], `isp1: three round-robin datagrams, and the jhash (seed ${seed}) source that maps to mark 10`);
  t.same(seen2.read(), [3, expected('10.10.0.2', 2), expected('10.10.0.3', 2)], 'isp2: three round-robin datagrams, and the other source');
});

/**
 * An IP_TRANSPARENT listener on 0.0.0.0:PORT (Node cannot set the option) that accepts one
 * connection, echoes what it reads, and prints its own address and its peer's as one JSON line.
 */
const TRANSPARENT_LISTENER = `
import json, socket, sys
s = socket.socket()
s.setsockopt(socket.SOL_IP, 19, 1)  # IP_TRANSPARENT
s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("0.0.0.0", int(sys.argv[1])))
s.listen(1)
s.settimeout(10)
c, peer = s.accept()
c.sendall(c.recv(100))
print(json.dumps({"local": c.getsockname(), "peer": peer}), flush=True)
`;

t.test('tproxy hands a LAN connection to a non-local address to a transparent listener', async (t) => {
  const { router, lan } = await buildScenarioTopology(t);
  const handle = await open({ netns: router.name });
  t.teardown(() => handle.close());
  const port = 8080;

  const tcp = match(meta('l4proto'), 'tcp');
  await handle.nft.apply([
    { add: { table: { family: 'ip', name: 'rm' } } },
    { add: { chain: { ...table, name: 'pre', type: 'filter', hook: 'prerouting', prio: -150, policy: 'accept' } } },
    // Packets of a connection the proxy holds already go straight to its socket.
    { add: { rule: { ...table, chain: 'pre', expr: [tcp, match({ socket: { key: 'transparent' } }, 1), { counter: null }, setMark(1), { accept: null }] } } },
    { add: { rule: { ...table, chain: 'pre', expr: [fromLan, tcp, match({ payload: { protocol: 'ip', field: 'daddr' } }, '203.0.113.77'), { counter: null }, { tproxy: { port } }, setMark(1), { accept: null }] } } },
  ]);
  await handle.rules.add({ fwmark: 1, priority: 999, table: 100 });
  await handle.routes.add({ type: 'local', dst: 'default', dev: 'lo', table: 100 });
  t.match(router.exec('nft', ['list', 'chain', 'ip', 'rm', 'pre']), /meta l4proto tcp socket transparent 1 counter packets 0 bytes 0 meta mark set 0x00000001 accept\n[^]*ip daddr 203\.0\.113\.77 counter packets 0 bytes 0 tproxy to :8080 meta mark set 0x00000001 accept\n/, 'nft lists the rules routemark applied');

  const listener = spawn('ip', ['netns', 'exec', router.name, '/usr/bin/python3', '-c', TRANSPARENT_LISTENER, String(port)], { stdio: ['ignore', 'pipe', 'inherit'] });
  t.teardown(() => {
    if (listener.pid !== undefined && listener.exitCode === null) listener.kill();
  });
  let output = '';
  listener.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const exited = new Promise<number | null>((resolve) => listener.once('exit', resolve));
  for (let i = 0; i < 100 && router.exec('ss', ['-Hltn', `sport = :${port}`]).trim() === ''; i++) await sleep(50);

  t.ok(echo(lan, 'tcp', '203.0.113.77', 80), 'the LAN host talks to 203.0.113.77:80 (the proxy answers for it)');
  t.equal(await exited, 0, 'the listener took one connection');
  const seen = (output === '' ? undefined : JSON.parse(output)) as { local: [string, number]; peer: [string, number] } | undefined;
  t.same(seen?.local, ['203.0.113.77', 80], "the accepted socket's own address is the original destination");
  t.equal(seen?.peer[0], '10.10.0.2', 'and its peer the LAN host');

  const [ours, nfts] = await bothListings(handle, router, 'pre');
  t.same(ours, nfts, 'routemark lists the rules, counters and all, as nft -j does');
  const packets = ours.map((expr) => expr.find((statement) => statement.counter)?.counter as { packets: number });
  t.ok(packets[1]!.packets >= 1, `tproxy took the SYN (${packets[1]!.packets} packets)`);
  t.ok(packets[0]!.packets >= 2, `socket transparent 1 took the connection's later packets (${packets[0]!.packets})`);
  t.same(ours[1]!.slice(4), [{ tproxy: { port } }, setMark(1), { accept: null }], 'with the tproxy statement as applied');
});
