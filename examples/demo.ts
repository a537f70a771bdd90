/**
 * The demo (`npm run demo`): builds a sandbox topology of network namespaces (a LAN, a router
 * with two uplinks, two ISPs, a client out on the internet), applies two scenarios on the
 * router — reply by the same uplink (2) and connmark (3) — sends real TCP and UDP traffic, and
 * prints a report: the rules, routes, nf_tables rules and conntrack flows the router holds, and
 * which uplink each flow used. Then it removes everything.
 *
 * It never touches the host's network: every namespace is its own (see examples/lab/lab.ts),
 * and `npm run demo` runs it inside scripts/in-sandbox as well.
 */
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { Handle, NftListing } from 'routemark';
import { withLab } from './lab/lab.js';
import { ask, answered, type Outcome } from './lab/traffic.js';
import { buildUplinkLab, NET } from './lab/topologies.js';
import { connmark, type MarkedUplink } from './scenarios/connmark.js';
import { LAB_UPLINKS, replyByUplink } from './scenarios/reply-by-uplink.js';
import { field, match } from './scenarios/nft-json.js';

const UPLINK_OF: Record<string, string> = { [NET.up1]: 'isp1 (up1)', [NET.up2]: 'isp2 (up2)' };

function heading(text: string): void {
  console.log(`\n${text}\n${'='.repeat(text.length)}`);
}

/** Flows that did not take the path their scenario gives them (the demo then exits with 1). */
let surprises = 0;

/** One line per flow: what was sent, and by which uplink it left, from what the server saw. */
function flowLine(what: string, outcomes: Outcome[], expected: string): string {
  const first = outcomes[0];
  const sameFlow = outcomes.every((o) => answered(o) && answered(first) && o.server === first.server && o.address === first.address && o.port === first.port);
  if (!sameFlow || !answered(first) || first.server !== expected) surprises++;
  if (!outcomes.every(answered) || !answered(first)) return `  ${what.padEnd(34)} NO ANSWER (${outcomes.map((o) => ('error' in o ? o.error : 'ok')).join(', ')})`;
  const via = UPLINK_OF[first.address] ?? first.address;
  return `  ${what.padEnd(34)} left by ${via.padEnd(11)} ${first.server} saw ${first.address}:${first.port}; ${outcomes.length} request(s), ${sameFlow ? 'all on that path' : 'PATH CHANGED'}`;
}

/** Counts, in each ISP, the packets it forwards from the server's two addresses (routemark's nft API). */
async function countReplies(isp: Handle): Promise<void> {
  const w = { family: 'ip', table: 'witness' } as const;
  await isp.nft.apply([
    { add: { table: { family: 'ip', name: 'witness' } } },
    { add: { chain: { ...w, name: 'fwd', type: 'filter', hook: 'forward', prio: 0, policy: 'accept' } } },
    ...[NET.up1, NET.up2].map((address) => ({ add: { rule: { ...w, chain: 'fwd', expr: [match(field('ip', 'saddr'), address), { counter: null }] } } })),
  ]);
}

async function repliesCounted(isp: Handle): Promise<Record<string, number>> {
  const listing: NftListing = await isp.nft.list({ family: 'ip', table: 'witness' });
  const counts: Record<string, number> = {};
  for (const item of listing.nftables) {
    if (!('rule' in item)) continue;
    const [matched, counter] = item.rule.expr ?? [];
    counts[String(matched?.match?.right)] = (counter?.counter as { packets?: number } | undefined)?.packets ?? 0;
  }
  return counts;
}

/** The router's state as the `routemark show` command prints it. */
function showRouter(netns: string): void {
  const cli = fileURLToPath(new URL('../esm/cli/main.js', import.meta.url));
  const result = spawnSync(process.execPath, [cli, 'show', '--family', 'inet', '--netns', netns], { encoding: 'utf8' });
  process.stdout.write(result.stdout.replace(/^/gm, '  '));
  if (result.status !== 0) throw new Error(`routemark show failed: ${result.stderr}`);
}

await withLab(async (lab) => {
  console.log('routemark demo: a sandbox of network namespaces, real packets, nothing on the host');
  const { lan, router, isp1, isp2, internet } = await buildUplinkLab(lab, { internet: true });
  console.log(`
       lan ---- router ---up1--- isp1 ---+
  10.10.0.2        |                      +--- internet (198.51.100.10)
                   +------up2--- isp2 ---+
  isp1 and isp2 both answer on ${NET.server}, each with its own name: the answer tells the path.
  The router's main table sends everything by isp1; the ISPs drop sources they cannot route back.`);

  // Scenario 3 first: its fwmark rules (priorities 999-1001) must come before scenario 2's
  // source rules, or a rerouted local flow would match its original source address first.
  const uplinks: [MarkedUplink, MarkedUplink] = [
    { dev: 'up1', gateway: NET.isp1, mark: 1, table: 111 },
    { dev: 'up2', gateway: NET.isp2, mark: 2, table: 112 },
  ];
  await connmark(router.handle, { lanDev: 'lan0', uplinks, ports: [465] });
  await replyByUplink(router.handle, LAB_UPLINKS, 2000);
  await lab.serve(router, { label: 'router', protocol: 'tcp', port: 8080 });
  await countReplies(isp1.handle);
  await countReplies(isp2.handle);

  heading('Scenario 3, connmark: new flows to port 465 pick isp2, all others isp1; later packets follow');
  for (const [who, node] of [['lan host', lan], ['router', router]] as const) {
    for (const protocol of ['tcp', 'udp'] as const) {
      for (const port of [465, 80]) {
        const outcomes = await ask(node.netns, { protocol, host: NET.server, port, requests: 3 });
        console.log(flowLine(`${who} -> ${protocol} ${NET.server}:${port}`, outcomes, port === 465 ? 'isp2' : 'isp1'));
      }
    }
  }

  heading('Scenario 2, reply by the same uplink: a client on the internet asks the router on both addresses');
  for (const address of [NET.up1, NET.up2]) {
    const outcome = (await ask(internet!.netns, { protocol: 'tcp', host: address, port: 8080 }))[0]!;
    if (!answered(outcome)) surprises++;
    console.log(`  internet -> tcp ${address}:8080`.padEnd(36) + (answered(outcome) ? ` answered (the router saw ${outcome.address}:${outcome.port})` : ` NO ANSWER (${outcome.error})`));
  }
  const [byIsp1, byIsp2] = [await repliesCounted(isp1.handle), await repliesCounted(isp2.handle)];
  if (!byIsp1[NET.up1] || byIsp1[NET.up2] || !byIsp2[NET.up2] || byIsp2[NET.up1]) surprises++;
  for (const address of [NET.up1, NET.up2]) {
    console.log(`  packets from ${address} forwarded by isp1: ${byIsp1[address] ?? 0}, by isp2: ${byIsp2[address] ?? 0}`);
  }

  heading('What the router holds (routemark show)');
  showRouter(router.netns);
  console.log('\nEach flow\'s conntrack mark is the uplink it picked (1: isp1, 2: isp2); the sandbox is removed now.');
});
if (surprises > 0) {
  console.error(`\ndemo: ${surprises} result(s) differ from what the scenarios promise`);
  process.exitCode = 1;
}
