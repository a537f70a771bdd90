/**
 * The demo and each scenario example run on their own, as a user runs them
 * (`node dist/examples/...`): each builds its own sandbox lab with routemark, sends real
 * packets and removes everything; its output shows the paths the scenario promises.
 */
import { spawn } from 'node:child_process';
import t from 'tap';

function run(script: string): Promise<{ status: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [script], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += String(d)));
    child.stderr.on('data', (d: Buffer) => (stderr += String(d)));
    child.on('close', (status) => resolve({ status, stdout, stderr }));
  });
}

const EXPECTED: Record<string, RegExp[]> = {
  'route-by-mark': [/router -> tcp 203\.0\.113\.10:465 +-> isp2 saw 10\.9\.0\.2:/, /router -> tcp 203\.0\.113\.10:80 +-> isp1 saw 10\.1\.0\.2:/],
  'reply-by-uplink': [/Before[^]*10\.2\.0\.2:8080 +-> no answer[^]*After[^]*10\.1\.0\.2:8080 +-> server saw 198\.51\.100\.10:\d+\n.*10\.2\.0\.2:8080 +-> server saw 198\.51\.100\.10:/],
  connmark: [/lan host -> udp 203\.0\.113\.10:465 +-> isp2 saw 10\.2\.0\.2:/, /the same flow, request 2 +-> isp2 saw/, /a new tcp flow to :465 +-> isp1 saw/],
  'lan-host-by-source': [/10\.10\.0\.3 -> tcp 203\.0\.113\.10:80 +-> isp2 saw 10\.2\.0\.2:/, /10\.10\.0\.2 -> tcp 203\.0\.113\.10:80 +-> isp1 saw 10\.1\.0\.2:/],
  'per-user': [/uid 469 -> tcp 203\.0\.113\.10:80 +-> isp2 saw 10\.2\.0\.2:/, /uid 470 -> udp 203\.0\.113\.10:80 +-> isp1 saw/],
  guests: [/guest1 -> tcp .* isp1 saw 10\.1\.0\.2:2\d{4}/, /isp2 -> tcp 10\.2\.0\.2:6022 +-> guest1 saw 10\.2\.0\.1/, /isp1 answered [1-9]\d* and isp2 [1-9]\d*/],
  'mss-clamp': [/no clamping: SYNs isp1 received, by MSS: 1460: 1, 1380: 0, 1300: 0/, /set rt mtu: SYNs isp1 received, by MSS: 1460: 1, 1380: 1, 1300: 0/, /set 1300: [^\n]*1300: 1/],
  failover: [/request 1 +-> isp1 saw 10\.1\.0\.2/, /1 flow\(s\) of isp1 cleared/, /request 2 +-> isp2 saw 10\.2\.0\.2/],
};

for (const [name, patterns] of Object.entries(EXPECTED)) {
  t.test(`examples/scenarios/${name}.ts runs on its own`, async (t) => {
    const result = await run(`dist/examples/scenarios/${name}.js`);
    t.equal(result.status, 0, result.stderr);
    for (const pattern of patterns) t.match(result.stdout, pattern);
  });
}

t.test('the demo prints its report', async (t) => {
  const result = await run('dist/examples/demo.js');
  t.equal(result.status, 0, result.stderr);
  t.match(result.stdout, /lan host -> tcp 203\.0\.113\.10:465 +left by isp2 \(up2\) +isp2 saw 10\.2\.0\.2:\d+; 3 request\(s\), all on that path/);
  t.match(result.stdout, /router -> udp 203\.0\.113\.10:80 +left by isp1 \(up1\)/);
  t.match(result.stdout, /packets from 10\.2\.0\.2 forwarded by isp1: 0, by isp2: [1-9]/);
  t.match(result.stdout, /1000:\s+from all fwmark 0x1 lookup 111/);
  t.match(result.stdout, /table 112:\n\s+default via 10\.2\.0\.1 dev up2/);
  t.match(result.stdout, /th dport @pick meta mark set 2/);
  t.match(result.stdout, /Flows \(conntrack -L\): \d+\n[^]*dport=465 .*mark=2/);
});

t.test('the other examples run on their own, in their own sandbox lab', async (t) => {
  const nft = await run('dist/examples/nft-mark-routing.js');
  t.equal(nft.status, 0, nft.stderr);
  t.match(nft.stdout, /a packet marked 65 leaves by uplink2/);
  t.match(nft.stdout, /"chain":\{"family":"ip","table":"routemark","name":"mark_out"/);
  const agent = await run('dist/examples/orchestration-agent.js');
  t.equal(agent.status, 0, agent.stderr);
  t.match(agent.stdout, /apply #1: 5 changes[^]*apply #2: 0 changes[^]*apply #3: 0 changes/);
  t.match(agent.stdout, /refused and rolled back: addRule #0 EINVAL \(rolled back: true\)/);
  t.match(agent.stdout, /empty document refused: addresses: deleting owner 201's 192\.0\.2\.2\/24 on up0 would make the kernel delete or change 1 object\(s\) of others \(route 10\.9\.0\.0\/16 table 100 proto static\)/);
  t.match(agent.stdout, /after an empty document: 0 route\(s\) in table 100, 0 IPv4 address\(es\) on up0/);
  const rtnl = await run('dist/examples/rtnl-policy-routing.js');
  t.equal(rtnl.status, 0, rtnl.stderr);
  t.match(rtnl.stdout, /mark 66 by nexthop 1 -> via 192\.0\.2\.1 dev up0 \(table 102\)\nmark 66 after replacing nexthop 1 -> via 198\.51\.100\.1 dev up1 \(table 102\)/);
});
