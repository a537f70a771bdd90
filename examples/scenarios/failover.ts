/**
 * Scenario 7, failover: the default route follows the healthy uplinks. When an uplink's link
 * goes down, the route by it is replaced by the next uplink's, and the conntrack flows marked
 * for the dead uplink are deleted, so that they start again (with a new NAT) on the live one
 * instead of leaving with the dead uplink's source address.
 *
 * Run it on its own (a sandbox lab; isp1's cable is pulled while a flow is open):
 *   scripts/in-sandbox node dist/examples/scenarios/failover.js
 */
import { startFailover, type Failover, type FailoverEvent, type Handle, type NftCommand } from 'routemark';
import { withLab } from '../lab/lab.js';
import { askOnce, openSession } from '../lab/traffic.js';
import { buildUplinkLab, describe, isMain, NET } from '../lab/topologies.js';
import { ct, match, meta, set } from './nft-json.js';

/** An uplink: a name for events, interface, gateway, the router's address on it, its flows' mark. */
export interface FailoverUplink {
  name: string;
  dev: string;
  gateway: string;
  address: string;
  mark: number;
}

/** Scenario 7's uplinks (most preferred first) and how often to check them. */
export interface FailoverScenarioOptions {
  uplinks: FailoverUplink[];
  /** Check interval in milliseconds (default 500); a lost carrier is acted on at once. */
  intervalMs?: number;
}

/**
 * Applies scenario 7 in the handle's namespace and starts the failover, which runs until you
 * close it: each new flow is marked with the uplink it leaves by and SNATed to that uplink's
 * address; the main table's default route is kept on the first healthy uplink.
 * @example const failover = await failoverUplinks(ns, { uplinks: [{ name: 'isp1', dev: 'up1', gateway: '10.1.0.1', address: '10.1.0.2', mark: 1 }, ...] });
 */
export async function failoverUplinks(ns: Handle, options: FailoverScenarioOptions): Promise<Failover> {
  const { uplinks, intervalMs = 500 } = options;
  const fo = { family: 'ip', table: 'failover' } as const;
  await ns.nft.apply([
    { add: { table: { family: 'ip', name: 'failover' } } },
    { add: { chain: { ...fo, name: 'mark', type: 'filter', hook: 'postrouting', prio: -150, policy: 'accept' } } },
    { add: { chain: { ...fo, name: 'post', type: 'nat', hook: 'postrouting', prio: 100, policy: 'accept' } } },
    ...uplinks.flatMap((u): NftCommand[] => [
      // ct state new oifname "up1" ct mark set 1: the flow belongs to the uplink it first left by.
      { add: { rule: { ...fo, chain: 'mark', expr: [match(ct('state'), 'new', 'in'), match(meta('oifname'), u.dev), set(ct('mark'), u.mark)] } } },
      // oifname "up1" snat to 10.1.0.2. (A fixed SNAT keeps its binding when the link dies;
      // only deleting the flow lets its next packet take a new one.)
      { add: { rule: { ...fo, chain: 'post', expr: [match(meta('oifname'), u.dev), { snat: { addr: u.address } }] } } },
    ]),
  ]);
  // What no `ip` command does: watch carrier and neighbours, then `ip route replace default via
  // 10.2.0.1 dev up2` and `conntrack -D -m 1`.
  return startFailover(ns, {
    uplinks: uplinks.map((u) => ({ name: u.name, dev: u.dev, gateway: u.gateway, flows: { mark: u.mark } })),
    mode: 'replace',
    intervalMs,
  });
}

/** The lab's uplinks (and the scenario tests'). */
export const LAB_FAILOVER_UPLINKS: FailoverUplink[] = [
  { name: 'isp1', dev: 'up1', gateway: NET.isp1, address: NET.up1, mark: 1 },
  { name: 'isp2', dev: 'up2', gateway: NET.isp2, address: NET.up2, mark: 2 },
];

/** Resolves with the failover's next event that passes `test`. */
export function nextFailoverEvent(failover: Failover, test: (event: FailoverEvent) => boolean, timeoutMs = 10_000): Promise<FailoverEvent> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      failover.off('event', listener);
      reject(new Error(`no such failover event within ${timeoutMs} ms`));
    }, timeoutMs);
    const listener = (event: FailoverEvent) => {
      if (!test(event)) return;
      clearTimeout(timer);
      failover.off('event', listener);
      resolve(event);
    };
    failover.on('event', listener);
  });
}

if (isMain(import.meta.url)) {
  await withLab(async (lab) => {
    const { router, lan, isp1 } = await buildUplinkLab(lab);
    const failover = await failoverUplinks(router.handle, { uplinks: LAB_FAILOVER_UPLINKS });
    failover.on('event', (event: FailoverEvent) => {
      if (event.type === 'uplink') console.log(`  failover: ${event.name} is ${event.up ? 'up' : `down (${event.reason})`}`);
      if (event.type === 'route') console.log(`  failover: the default route now uses ${event.active.join(', ') || 'nothing'}`);
      if (event.type === 'flows') console.log(`  failover: ${event.deleted} flow(s) of ${event.name} cleared`);
    });
    try {
      console.log('Scenario 7, failover between isp1 and isp2');
      const session = openSession(lan.netns, { protocol: 'udp', host: NET.server, port: 80 });
      console.log(describe('lan, one udp flow, request 1', await session.ask()));
      const moved = nextFailoverEvent(failover, (e) => e.type === 'flows');
      console.log("  (isp1's end of the cable goes down)");
      await isp1.handle.links.down('d1');
      await moved;
      console.log(describe('the same udp flow, request 2', await session.ask()));
      console.log(describe('lan, a new tcp flow', await askOnce(lan.netns, { protocol: 'tcp', host: NET.server, port: 80 })));
      session.close();
    } finally {
      failover.close();
    }
  });
}
