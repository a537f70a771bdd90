/**
 * The lab topology the scenarios run in (TOPOLOGY ONLY: links, addresses, plain routes and
 * forwarding; each scenario adds its own policy). The scenario tests build the same one with
 * `ip` (test/helpers/scenario-topology.ts).
 *
 * ```
 *  lan ─── router ──up1── isp1 ──┐        isp1, isp2: each holds 203.0.113.10 (the "server")
 *  (10.10.0.2,   └─up2── isp2 ───┴─ internet (198.51.100.10: a client out there, optional)
 *   10.10.0.3)   └─g1/g2── guest1, guest2 (optional)
 * ```
 */
import { pathToFileURL } from 'node:url';
import { realpathSync } from 'node:fs';
import type { Lab, LabNode } from './lab.js';
import { answered, type Outcome } from './traffic.js';

/** The addresses of the lab (and of the scenario tests' topology). */
export const NET = {
  lanHost: '10.10.0.2',
  lanHost2: '10.10.0.3',
  routerLan: '10.10.0.1',
  /** The router's end of uplink 1, and isp1's. */
  up1: '10.1.0.2',
  isp1: '10.1.0.1',
  up2: '10.2.0.2',
  isp2: '10.2.0.1',
  /** Uplink 2 as a point-to-point link (the tunnel of the route-by-mark scenario). */
  tun: '10.9.0.2',
  tunPeer: '10.9.0.1',
  /** What both ISPs answer on: the same address behind each uplink, so the answer names the path. */
  server: '203.0.113.10',
  /** A client on the internet, reachable through either ISP. */
  internet: '198.51.100.10',
  guest1: '10.20.1.5',
  guest2: '10.20.2.5',
} as const;

/** The nodes of a built lab topology. */
export interface UplinkLab {
  lan: LabNode;
  router: LabNode;
  isp1: LabNode;
  isp2: LabNode;
  internet?: LabNode;
  guest1?: LabNode;
  guest2?: LabNode;
}

/** What to build besides the router, its LAN and its two ISPs. */
export interface UplinkLabOptions {
  /** Uplink 2 is `tun0`, point-to-point (10.9.0.2 peer 10.9.0.1), instead of `up2`. */
  tunnel?: boolean;
  /** A client node behind both ISPs (the reply-by-uplink scenario). */
  internet?: boolean;
  /** Two guest networks on the router (g1: 10.20.1.0/24, g2: 10.20.2.0/24). */
  guests?: boolean;
  /** Ports the ISPs' whoami servers answer on, TCP and UDP (default 80 and 465). */
  ports?: number[];
}

/**
 * Builds the lab topology: the router's main table sends everything by isp1; the ISPs know only
 * their own link (so only packets NATed to the router's address on that link get an answer) and
 * check sources strictly (rp_filter 1), as does the router.
 */
export async function buildUplinkLab(lab: Lab, options: UplinkLabOptions = {}): Promise<UplinkLab> {
  const lan = await lab.node('lan');
  const router = await lab.node('router');
  const isp1 = await lab.node('isp1');
  const isp2 = await lab.node('isp2');
  const up2 = options.tunnel ? 'tun0' : 'up2';
  await lab.link('lan:eth0', 'router:lan0', { a: [`${NET.lanHost}/24`, `${NET.lanHost2}/24`], b: `${NET.routerLan}/24` });
  await lab.link('router:up1', 'isp1:d1', { a: `${NET.up1}/24`, b: `${NET.isp1}/24` });
  if (options.tunnel) await lab.link(`router:${up2}`, 'isp2:d2', { a: { address: NET.tun, peer: NET.tunPeer }, b: { address: NET.tunPeer, peer: NET.tun } });
  else await lab.link(`router:${up2}`, 'isp2:d2', { a: `${NET.up2}/24`, b: `${NET.isp2}/24` });
  await lan.routes({ dst: 'default', gateway: NET.routerLan });
  await router.routes({ dst: 'default', gateway: NET.isp1, dev: 'up1' });
  await router.forward();
  for (const node of [router, isp1, isp2]) await node.handle.sysctl.setRpFilter('all', 1);
  for (const [node, label] of [[isp1, 'isp1'], [isp2, 'isp2']] as const) {
    await node.loopbackAddress(`${NET.server}/32`);
    for (const port of options.ports ?? [80, 465]) {
      for (const protocol of ['tcp', 'udp'] as const) await lab.serve(node, { label, protocol, port, host: NET.server });
    }
  }
  const built: UplinkLab = { lan, router, isp1, isp2 };
  if (options.internet) {
    const internet = await lab.node('internet');
    await lab.link('isp1:n1', 'internet:i1', { a: '10.101.0.1/24', b: '10.101.0.2/24' });
    await lab.link('isp2:n2', 'internet:i2', { a: '10.102.0.1/24', b: '10.102.0.2/24' });
    await internet.loopbackAddress(`${NET.internet}/32`);
    await internet.routes(
      { dst: '10.1.0.0/24', gateway: '10.101.0.1', src: NET.internet },
      { dst: '10.2.0.0/24', gateway: '10.102.0.1', src: NET.internet },
    );
    await isp1.routes({ dst: `${NET.internet}/32`, gateway: '10.101.0.2' });
    await isp2.routes({ dst: `${NET.internet}/32`, gateway: '10.102.0.2' });
    await isp1.forward();
    await isp2.forward();
    built.internet = internet;
  }
  if (options.guests) {
    built.guest1 = await lab.node('guest1');
    built.guest2 = await lab.node('guest2');
    await lab.link('router:g1', 'guest1:eth0', { a: '10.20.1.1/24', b: `${NET.guest1}/24` });
    await lab.link('router:g2', 'guest2:eth0', { a: '10.20.2.1/24', b: `${NET.guest2}/24` });
    await built.guest1.routes({ dst: 'default', gateway: '10.20.1.1' });
    await built.guest2.routes({ dst: 'default', gateway: '10.20.2.1' });
  }
  return built;
}

/** True when the module at `url` is the program node was started with (not imported). */
export function isMain(url: string): boolean {
  const script = process.argv[1];
  if (script === undefined) return false;
  try {
    return pathToFileURL(realpathSync(script)).href === url;
  } catch {
    return false;
  }
}

/** One line of an example's output: what was sent, which server answered and what it saw. */
export function describe(what: string, outcome: Outcome | undefined): string {
  if (!answered(outcome)) return `  ${what.padEnd(44)} -> no answer (${outcome?.error ?? 'none'})`;
  return `  ${what.padEnd(44)} -> ${outcome.server} saw ${outcome.address}:${outcome.port}`;
}
