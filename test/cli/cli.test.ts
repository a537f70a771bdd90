/**
 * The routemark command against test namespaces, with `ip`, `nft` and `conntrack` as witnesses:
 * what it shows is what the tools show, route-get answers as `ip route get`, apply makes the
 * kernel hold a policy document (and a second apply changes nothing), monitor prints the changes
 * the tools make. Bad input gets one line on stderr and a non-zero status.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import t from 'tap';
import { addVeth, makeNetns, type TeardownHost, type TestNetns } from '../helpers/netns.js';
import { CLI, routemark } from './helpers.js';

/** A namespace with a link and a little policy routing, made with ip and nft. */
function configured(t: TeardownHost): TestNetns {
  const ns = makeNetns(t, 'cli');
  addVeth(ns, 'v0', 'v1', { address: '192.0.2.2/24' });
  ns.ip('rule', 'add', 'fwmark', '65', 'priority', '1000', 'table', '100');
  ns.ip('route', 'add', 'default', 'via', '192.0.2.1', 'dev', 'v0', 'table', '100');
  ns.exec('nft', ['-f', '-'], 'table ip rm {\n chain out {\n  type route hook output priority mangle; policy accept;\n  tcp dport 465 meta mark set 65\n }\n}\n');
  return ns;
}

function tempFile(t: TeardownHost, name: string, text: string): string {
  const dir = mkdtempSync(join(tmpdir(), 'routemark-cli-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const file = join(dir, name);
  writeFileSync(file, text);
  return file;
}

t.test('help', async (t) => {
  const help = routemark(['--help']);
  t.equal(help.status, 0);
  for (const command of ['show', 'route-get', 'apply', 'monitor', '--netns']) t.match(help.stdout, command);
  const showHelp = routemark(['help', 'show']);
  t.equal(showHelp.status, 0);
  t.match(showHelp.stdout, /Usage: routemark show/);
  t.match(routemark(['apply', '--help']).stdout, /--owner ID/);
  const bare = routemark([]);
  t.equal(bare.status, 2, 'no command is a usage error');
  t.match(bare.stderr, /Usage: routemark COMMAND/);
  t.equal(bare.stdout, '');
});

t.test('bad input: one line on stderr and a non-zero status', async (t) => {
  const ns = makeNetns(t, 'cli');
  const document = tempFile(t, 'bad.json', JSON.stringify({ rules: [{ fwmark: 2 ** 32, priority: 1000, table: 100 }] }));
  const notJson = tempFile(t, 'not.json', '{ rules: ');
  const cases: [string, string[], number, RegExp][] = [
    ['unknown command', ['frobnicate'], 2, /unknown command "frobnicate"/],
    ['unknown option', ['show', '--bogus'], 2, /Unknown option '--bogus'/],
    ['option of another command', ['show', '--owner', '201'], 2, /show: option --owner does not apply/],
    ['unknown part', ['show', 'nftables'], 2, /unknown part "nftables"/],
    ['bad mark', ['route-get', '192.0.2.9', '--mark', 'sixty-five', '--netns', ns.name], 2, /--mark: expected a number/],
    ['no address', ['route-get', '--netns', ns.name], 2, /expected one destination address/],
    ['bad address', ['route-get', '192.0.2.300', '--netns', ns.name], 2, /bad input: .*192\.0\.2\.300/],
    ['no owner', ['apply', document, '--netns', ns.name], 2, /--owner ID is required/],
    ['a refused owner id', ['apply', document, '--owner', '2', '--netns', ns.name], 2, /bad input: --owner: protocol 2 \('kernel'\)/],
    ['an owner id above 255', ['apply', document, '--owner', '300', '--netns', ns.name], 2, /bad input: --owner: expected an owner id, an integer 200\.\.254 .*got 300/],
    ['an owner id that is no number', ['apply', document, '--owner', 'me', '--netns', ns.name], 2, /bad input: --owner: expected an owner id, an integer 200\.\.254 .*got "me"/],
    ['missing file', ['apply', '/nonexistent/policy.json', '--owner', '201', '--netns', ns.name], 2, /cannot read \/nonexistent\/policy.json: ENOENT/],
    ['not JSON', ['apply', notJson, '--owner', '201', '--netns', ns.name], 2, /is not a policy document/],
    ['a bad document', ['apply', document, '--owner', '201', '--netns', ns.name], 2, /bad input: rules\[0\]\.fwmark/],
    ['unknown monitor kind', ['monitor', '--kinds', 'route,neigh', '--netns', ns.name], 2, /unknown kind "neigh"/],
    ['no such namespace', ['show', '--netns', 'no-such-ns'], 1, /ENOENT.*no-such-ns/],
    ['no route', ['route-get', '198.51.100.7', '--netns', ns.name], 1, /ENETUNREACH/],
  ];
  for (const [what, args, status, message] of cases) {
    const result = routemark(args);
    t.equal(result.status, status, `${what}: status ${status}`);
    t.match(result.stderr, message, what);
    t.equal(result.stderr.trimEnd().split('\n').length, 1, `${what}: one line (${JSON.stringify(result.stderr)})`);
    t.equal(result.stdout, '', `${what}: nothing on stdout`);
  }
  t.same(ns.ipJson('rule', 'show', 'priority', '1000'), [], 'the refused documents changed nothing');
});

t.test('show: what the tools show, as JSON and as text', async (t) => {
  const ns = configured(t);
  ns.exec('conntrack', ['-I', '-p', 'tcp', '-s', '192.0.2.2', '-d', '198.51.100.7', '--sport', '40000', '--dport', '465', '--state', 'ESTABLISHED', '-t', '120', '-m', '65']);
  const json = routemark(['show', '--json', '--netns', ns.name]);
  t.equal(json.status, 0, json.stderr);
  const shown = JSON.parse(json.stdout) as { rules: { priority: number }[]; routes: { dst?: string; table: unknown }[]; nftables: Record<string, unknown>[]; flows: { mark: number; original: object }[] };
  const ipRules = ns.ipJson<{ priority: number }[]>('-4', 'rule', 'show').map((r) => r.priority);
  t.same(shown.rules.filter((r) => !('family' in r) || (r as { family: string }).family === 'inet').map((r) => r.priority), ipRules, 'the IPv4 rules ip shows, in its order');
  t.match(shown.rules, [{}, { priority: 1000, fwmark: 65, table: 100 }]);
  t.match(shown.routes, [{ dst: 'default', gateway: '192.0.2.1', dev: 'v0', table: 100 }]);
  t.notOk(shown.routes.some((r) => r.table === 'local'), 'the local table is left out unless asked');
  const nft = ns.nftJson().nftables.filter((o) => !('metainfo' in o));
  t.same(shown.nftables.filter((o) => !('metainfo' in o)).map((o) => Object.keys(o)[0]), nft.map((o) => Object.keys(o)[0]), 'the objects nft lists');
  t.match(shown.nftables, [{}, { table: { family: 'ip', name: 'rm' } }, { chain: { name: 'out', hook: 'output', type: 'route' } }, { rule: { chain: 'out' } }]);
  t.match(shown.flows, [{ protocol: 'tcp', mark: 65, original: { src: '192.0.2.2', dst: '198.51.100.7', sport: 40000, dport: 465 } }]);

  const text = routemark(['show', '--netns', `/run/netns/${ns.name}`]);
  t.equal(text.status, 0, text.stderr);
  t.match(text.stdout, /1000:\s+from all fwmark 0x41 lookup 100\n/);
  t.match(text.stdout, /table 100:\n\s+default via 192\.0\.2\.1 dev v0 proto boot\n/);
  t.match(text.stdout, /table ip rm \{\n\s+chain out \{\n\s+type route hook output priority -150; policy accept;\n\s+tcp dport 465 meta mark set 65 # handle \d+\n/);
  t.match(text.stdout, /tcp \d+ ESTABLISHED src=192\.0\.2\.2 dst=198\.51\.100\.7 sport=40000 dport=465 .* mark=65/);

  const some = routemark(['show', 'rules', '--table', '100', '--netns', ns.name]);
  t.equal(some.status, 0);
  t.match(some.stdout, /^Rules \(ip rule\):\n\s+1000:\s+from all fwmark 0x41 lookup 100\n$/, 'one part, one table');
  const marked = JSON.parse(routemark(['show', 'flows', '--mark', '66', '--json', '--netns', ns.name]).stdout) as { flows: unknown[] };
  t.same(marked.flows, [], 'flows filtered by mark');
});

t.test('show links addresses: what ip -br link and ip -br addr show, and the links as listed', async (t) => {
  const ns = configured(t);
  ns.ip('link', 'set', 'lo', 'up');
  ns.ip('addr', 'add', '2001:db8::2/64', 'dev', 'v0', 'nodad');
  ns.ip('addr', 'add', '10.9.0.2', 'peer', '10.9.0.1', 'dev', 'v1');
  ns.ip('tuntap', 'add', 'dev', 'tun0', 'mode', 'tap');
  // Wait for the kernel's link-local addresses, so that both listings see the same.
  for (let i = 0; i < 100 && (ns.ip('-6', 'addr', 'show', 'dev', 'v1').match(/fe80::/g) ?? []).length === 0; i++) await new Promise((r) => setTimeout(r, 20));
  const text = routemark(['show', 'links', 'addresses', '--netns', ns.name]);
  t.equal(text.status, 0, text.stderr);
  const [linkSection, addressSection] = text.stdout.trimEnd().split('\n\n');
  const words = (line: string) => line.trim().split(/\s+/);
  const linkLines = linkSection!.split('\n');
  t.equal(linkLines[0], 'Links (ip -br link):');
  const ipLinks = ns.ip('-br', 'link').trimEnd().split('\n');
  t.equal(linkLines.length - 1, ipLinks.length, 'a line per link');
  ipLinks.forEach((line, i) => {
    // ip's words less its flags (<BROADCAST,...>), which routemark does not print.
    const ip = words(line).filter((w) => !w.startsWith('<'));
    t.same(words(linkLines[i + 1]!).slice(0, ip.length), ip, `${ip[0]}: name, state and address as ip -br link prints them`);
  });
  t.match(text.stdout, /tun0 +DOWN +\S+ mtu 1500 tun \(tap\)\n/, "and what -br leaves out: the tap's mode");
  const addressLines = addressSection!.split('\n');
  t.equal(addressLines[0], 'Addresses (ip -br addr):');
  t.same(addressLines.slice(1).map(words), ns.ip('-br', 'addr').trimEnd().split('\n').map(words), 'every line as ip -br addr prints it (peer addresses too)');

  const json = JSON.parse(routemark(['show', 'links', 'addresses', '--json', '--netns', ns.name]).stdout) as { links: { name: string; tun?: { mode: string } }[]; addresses: { address: string; dev: string }[] };
  t.same(json.links.map((l) => l.name), ns.ipJson<{ ifname: string }[]>('link', 'show').map((l) => l.ifname), 'the links ip lists');
  t.same(json.links.find((l) => l.name === 'tun0')?.tun?.mode, 'tap');
  t.match(json.addresses, [{ address: '127.0.0.1/8', dev: 'lo' }]);
  t.ok(json.addresses.some((a) => a.address === '10.9.0.2/32' && a.dev === 'v1'));
  t.same(Object.keys(JSON.parse(routemark(['show', 'rules', '--json', '--netns', ns.name]).stdout) as object), ['rules'], 'links and addresses only when asked for or by default');
});

t.test('show neighbours: every line as ip neigh show nud all and ip neigh show proxy print it', async (t) => {
  const ns = configured(t);
  ns.ip('neigh', 'add', '192.0.2.5', 'lladdr', '02:00:00:00:00:05', 'dev', 'v0', 'extern_learn', 'protocol', 'static', 'router');
  ns.ip('neigh', 'add', '192.0.2.7', 'dev', 'v0', 'nud', 'none');
  ns.ip('neigh', 'add', '192.0.2.8', 'lladdr', '02:00:00:00:00:08', 'dev', 'v0', 'nud', 'stale', 'protocol', '99');
  ns.ip('neigh', 'add', '192.0.2.10', 'dev', 'v0', 'nud', 'incomplete');
  ns.ip('neigh', 'add', '192.0.2.11', 'lladdr', '02:00:00:00:00:11', 'dev', 'v1', 'nud', 'noarp');
  ns.ip('neigh', 'add', '2001:db8::3', 'lladdr', '02:00:00:00:00:13', 'dev', 'v0', 'nud', 'stale', 'router');
  ns.ip('neigh', 'add', 'proxy', '192.0.2.9', 'dev', 'v0');
  ns.ip('neigh', 'add', 'proxy', '2001:db8::9', 'dev', 'v0', 'router', 'protocol', '98');
  // The kernel's own multicast entries come and go with MLD reports: left out on both sides.
  const lines = (text: string) => text.split('\n').map((l) => l.trim()).filter((l) => l !== '' && !l.startsWith('ff02'));
  const ipShows = (family: string[]) => [...lines(ns.ip(...family, 'neigh', 'show', 'nud', 'all')), ...lines(ns.ip(...family, 'neigh', 'show', 'proxy'))];

  const text = routemark(['show', 'neighbours', '--netns', ns.name]);
  t.equal(text.status, 0, text.stderr);
  const [header, ...shown] = lines(text.stdout);
  t.equal(header, 'Neighbours (ip neigh show nud all; ip neigh show proxy):');
  t.same(shown, ipShows([]), 'every entry, in the order ip lists them, as ip prints it');
  t.same(lines(routemark(['show', 'neighbours', '--family', 'inet6', '--netns', ns.name]).stdout).slice(1), ipShows(['-6']), 'one family: as ip -6 neigh shows it');

  const json = JSON.parse(routemark(['show', 'neighbours', '--json', '--netns', ns.name]).stdout) as { neighbours: { address: string; proxy?: boolean; protocol?: unknown }[] };
  t.same(Object.keys(json), ['neighbours']);
  t.match(json.neighbours.find((n) => n.address === '192.0.2.5'), { dev: 'v0', lladdr: '02:00:00:00:00:05', state: 'PERMANENT', router: true, externLearn: true, protocol: 'static' });
  t.match(json.neighbours.find((n) => n.address === '2001:db8::9'), { proxy: true, router: true, protocol: 98 });
  t.notOk('neighbours' in (JSON.parse(routemark(['show', '--json', '--netns', ns.name]).stdout) as object), 'not shown unless named');
});

t.test('show nexthops: the objects ip nexthop shows, as text and JSON', async (t) => {
  const ns = configured(t);
  ns.ip('nexthop', 'add', 'id', '1', 'via', '192.0.2.1', 'dev', 'v0');
  ns.ip('nexthop', 'add', 'id', '2', 'via', '192.0.2.3', 'dev', 'v0', 'proto', 'static');
  ns.ip('nexthop', 'add', 'id', '3', 'blackhole');
  ns.ip('nexthop', 'add', 'id', '10', 'group', '1,3/2');
  const text = routemark(['show', 'nexthops', '--netns', ns.name]);
  t.equal(text.status, 0, text.stderr);
  // ip's own lines, less the scope routemark does not show.
  const ipLines = ns.ip('nexthop', 'show').trim().split('\n').map((l) => `  ${l.replace(/ scope \w+/, '').trim()}`);
  t.same(text.stdout.trimEnd().split('\n'), ['Nexthop objects (ip nexthop):', ...ipLines], 'each line as ip prints it');
  const json = JSON.parse(routemark(['show', 'nexthops', '--json', '--netns', ns.name]).stdout) as { nexthops: { id: number }[] };
  t.same(json.nexthops.map((n) => n.id), [1, 2, 3, 10]);
  t.notMatch(routemark(['show', 'rules', '--netns', ns.name]).stdout, /Nexthop/, 'not shown unless asked for or present');
});

t.test('route-get answers as ip route get does', async (t) => {
  const ns = configured(t);
  ns.ip('rule', 'add', 'uidrange', '469-469', 'priority', '1001', 'table', '100');
  ns.ip('route', 'add', '198.51.100.0/24', 'via', '192.0.2.3', 'dev', 'v0');
  for (const extra of [['--mark', '0x41'], ['--uid', '469'], []]) {
    const result = routemark(['route-get', '198.51.100.7', ...extra, '--json', '--netns', ns.name]);
    t.equal(result.status, 0, result.stderr);
    const ipArgs = extra.length ? [extra[0]!.slice(2), extra[1]!] : [];
    const witness = ns.ipJson<{ gateway: string; dev: string }[]>('route', 'get', '198.51.100.7', ...ipArgs)[0]!;
    t.match(JSON.parse(result.stdout), { dst: '198.51.100.7', gateway: witness.gateway, dev: witness.dev }, `route-get ${extra.join(' ')}: via ${witness.gateway}`);
  }
  const text = routemark(['route-get', '198.51.100.7', '--mark', '65', '--netns', ns.name]);
  t.match(text.stdout, /^198\.51\.100\.7 via 192\.0\.2\.1 dev v0 table 100 src 192\.0\.2\.2 mark 0x41/);
  const fibmatch = routemark(['route-get', '198.51.100.7', '--mark', '65', '--fibmatch', '--netns', ns.name]);
  t.equal(fibmatch.stdout, 'default via 192.0.2.1 dev v0 proto boot table 100\n');
});

t.test('apply a policy document: made once, then nothing to change; dry runs and stdin', async (t) => {
  const ns = makeNetns(t, 'cli');
  addVeth(ns, 'v0', 'v1', { address: '192.0.2.2/24' });
  ns.ip('rule', 'add', 'fwmark', '7', 'priority', '1500', 'table', '100'); // someone else's
  const document = {
    addresses: [{ address: '203.0.113.5/24', dev: 'v0', label: 'v0:agent' }],
    rules: [{ fwmark: 65, priority: 1000, table: 100 }],
    routes: [{ dst: 'default', gateway: '192.0.2.1', dev: 'v0', table: 100 }],
    nftables: [
      { table: { family: 'ip', name: 'agent' } },
      { chain: { family: 'ip', table: 'agent', name: 'out', type: 'route', hook: 'output', prio: -150, policy: 'accept' } },
      { rule: { family: 'ip', table: 'agent', chain: 'out', expr: [{ match: { op: '==', left: { payload: { protocol: 'tcp', field: 'dport' } }, right: 465 } }, { mangle: { key: { meta: { key: 'mark' } }, value: 65 } }] } },
    ],
  };
  const file = tempFile(t, 'policy.json', JSON.stringify(document));
  const dry = routemark(['apply', file, '--owner', '201', '--dry-run', '--netns', ns.name]);
  t.equal(dry.status, 0, dry.stderr);
  t.match(dry.stdout, /would change: 4 to add/);
  t.match(dry.stdout, /add address 203\.0\.113\.5\/24 dev v0/);
  t.match(dry.stdout, /add nft table ip agent/);
  t.same(ns.ipJson('rule', 'show', 'priority', '1000'), [], 'a dry run changes nothing');

  const first = routemark(['apply', file, '--owner', '201', '--netns', ns.name]);
  t.equal(first.status, 0, first.stderr);
  t.match(first.stdout, /owner 201: changed: 4 to add/);
  t.match(ns.ipJson('addr', 'show', 'dev', 'v0'), [{ addr_info: [{ local: '192.0.2.2' }, { local: '203.0.113.5', label: 'v0:agent' }] }], 'ip shows the address');
  t.match(first.stdout, /add rule 1000: from all fwmark 0x41 lookup 100 proto 201/);
  t.match(ns.ipJson('rule', 'show', 'priority', '1000'), [{ fwmark: '0x41', table: '100', protocol: '201' }], 'ip shows the rule, owned by 201');
  t.match(ns.ipJson('route', 'show', 'table', '100'), [{ dst: 'default', gateway: '192.0.2.1', protocol: '201' }]);
  t.match(ns.exec('nft', ['list', 'table', 'ip', 'agent']), /tcp dport 465 meta mark set 0x00000041/, 'nft shows the table');

  const again = routemark(['apply', file, '--owner', '201', '--json', '--netns', ns.name]);
  t.equal(again.status, 0);
  t.match(JSON.parse(again.stdout), { changed: false, changes: [] }, 'the second apply changes nothing');

  const empty = routemark(['apply', '-', '--owner', '201', '--netns', ns.name], '{}');
  t.equal(empty.status, 0, empty.stderr);
  t.same(ns.ipJson('rule', 'show', 'priority', '1000'), [], 'an empty document (from stdin) removes what owner 201 made');
  t.notMatch(ns.ip('addr', 'show', 'dev', 'v0'), /203\.0\.113\.5/);
  t.match(ns.ipJson('rule', 'show', 'priority', '1500'), [{ fwmark: '0x7' }], 'and leaves the foreign rule');
  t.match(ns.exec('nft', ['list', 'tables']), /^$/);
});

t.test('monitor prints the changes ip makes', async (t) => {
  const ns = makeNetns(t, 'cli');
  addVeth(ns, 'v0', 'v1', { address: '192.0.2.2/24' });
  // IPv4 only: the kernel adds v0's IPv6 link-local routes on its own, at any moment.
  const child = spawn(process.execPath, [CLI, 'monitor', '--kinds', 'route,rule', '--family', 'inet', '--json', '--count', '2', '--netns', ns.name], { stdio: ['ignore', 'pipe', 'pipe'] });
  t.teardown(() => {
    if (child.exitCode === null) child.kill();
  });
  await new Promise<void>((resolve, reject) => {
    child.stderr.once('data', (chunk: Buffer) => (/watching route, rule/.test(String(chunk)) ? resolve() : reject(new Error(String(chunk)))));
  });
  const lines: unknown[] = [];
  createInterface({ input: child.stdout }).on('line', (line) => lines.push(JSON.parse(line)));
  const exited = new Promise<number | null>((resolve) => child.once('exit', resolve));
  ns.ip('route', 'add', '10.9.0.0/16', 'via', '192.0.2.1', 'table', '100');
  ns.ip('rule', 'add', 'fwmark', '65', 'priority', '1000', 'table', '100');
  t.equal(await exited, 0, 'it stops after --count events');
  t.match(lines, [
    { type: 'route', action: 'new', route: { dst: '10.9.0.0/16', gateway: '192.0.2.1', table: 100 } },
    { type: 'rule', action: 'new', rule: { fwmark: 65, priority: 1000, table: 100 } },
  ]);

  const text = spawn(process.execPath, [CLI, 'monitor', '--kinds', 'route', '--family', 'inet', '--netns', ns.name], { stdio: ['ignore', 'pipe', 'pipe'] });
  t.teardown(() => {
    if (text.exitCode === null) text.kill();
  });
  await new Promise((resolve) => text.stderr.once('data', resolve));
  const line = new Promise<string>((resolve) => createInterface({ input: text.stdout }).once('line', resolve));
  ns.ip('route', 'del', '10.9.0.0/16', 'table', '100');
  t.equal(await line, 'route deleted: 10.9.0.0/16 via 192.0.2.1 dev v0 proto boot table 100');
  const ended = new Promise<number | null>((resolve) => text.once('exit', resolve));
  text.kill('SIGINT');
  t.equal(await ended, 0, 'Ctrl-C ends it cleanly');
});
