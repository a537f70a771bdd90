/**
 * Real traffic between test namespaces: small Node programs started inside a namespace with
 * `ip netns exec`. Servers are ended by their pid when the test ends.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import type { TeardownHost, TestNetns } from './netns.js';

const SERVER = `
const net = require('net'), dgram = require('dgram');
const [proto, port, host] = process.argv.slice(1);
if (proto === 'tcp') {
  net.createServer((s) => { s.on('data', (d) => s.write(d)); s.on('error', () => {}); }).listen(Number(port), host, () => console.log('ready'));
} else {
  const u = dgram.createSocket(host.includes(':') ? 'udp6' : 'udp4');
  u.on('message', (m, r) => u.send(m, r.port, r.address));
  u.bind(Number(port), host, () => console.log('ready'));
}`;

const CLIENT = `
const net = require('net'), dgram = require('dgram');
const [proto, host, port, sport, payload] = process.argv.slice(1);
const done = (ok) => { console.log(ok ? 'ok' : 'fail'); process.exit(ok ? 0 : 1); };
setTimeout(() => done(false), 3000);
if (proto === 'tcp') {
  const s = net.connect({ host, port: Number(port), localPort: sport ? Number(sport) : undefined }, () => s.write(payload || 'x'));
  s.on('data', () => { s.end(); done(true); });
  s.on('error', () => done(false));
} else {
  const u = dgram.createSocket(host.includes(':') ? 'udp6' : 'udp4');
  u.on('message', () => { u.close(); done(true); });
  u.bind(sport ? Number(sport) : 0, () => u.send(payload || 'x', Number(port), host));
}`;

const WHOAMI = `
const net = require('net'), dgram = require('dgram');
const [proto, port, host] = process.argv.slice(1);
if (proto === 'tcp') {
  net.createServer((s) => { s.end(s.remoteAddress.replace(/^::ffff:/, '') + ' ' + s.remotePort); s.on('error', () => {}); })
    .listen(Number(port), host, () => console.log('ready'));
} else {
  const u = dgram.createSocket(host.includes(':') ? 'udp6' : 'udp4');
  u.on('message', (m, r) => u.send(r.address + ' ' + r.port, r.port, r.address));
  u.bind(Number(port), host, () => console.log('ready'));
}`;

const ASK = `
const net = require('net'), dgram = require('dgram');
const [proto, host, port, sport, timeout] = process.argv.slice(1);
const done = (text) => { console.log(text); process.exit(text ? 0 : 1); };
setTimeout(() => done(''), Number(timeout || 3000));
if (proto === 'tcp') {
  let text = '';
  const s = net.connect({ host, port: Number(port), localPort: sport ? Number(sport) : undefined });
  s.on('data', (d) => { text += d; });
  s.on('end', () => done(text.trim()));
  s.on('error', () => done(''));
} else {
  const u = dgram.createSocket(host.includes(':') ? 'udp6' : 'udp4');
  u.on('message', (m) => { u.close(); done(String(m).trim()); });
  u.bind(sport ? Number(sport) : 0, () => u.send('who', Number(port), host));
}`;

/**
 * Starts a server in `ns` that answers every TCP connection or UDP datagram with the source
 * address and port it saw: what proves which path (and which NAT) a flow took.
 */
export async function startWhoamiServer(t: TeardownHost, ns: TestNetns, protocol: 'tcp' | 'udp', port: number, host = '0.0.0.0'): Promise<ChildProcess> {
  return startServer(t, ns, WHOAMI, protocol, port, host);
}

/** Options for {@link askWhoami}. */
export interface AskOptions {
  sourcePort?: number;
  /** Run the client as this uid (for per-user routing). */
  uid?: number;
  timeoutMs?: number;
}

/**
 * Asks a whoami server from `ns`; returns the "address port" it saw, or undefined if no
 * answer came (the reply did not make it back).
 */
export function askWhoami(ns: TestNetns, protocol: 'tcp' | 'udp', host: string, port: number, options: AskOptions = {}): { address: string; port: number } | undefined {
  const node = [process.execPath, '-e', ASK, protocol, host, String(port), options.sourcePort ? String(options.sourcePort) : '', String(options.timeoutMs ?? 3000)];
  const command = options.uid !== undefined ? ['setpriv', `--reuid=${options.uid}`, `--regid=${options.uid}`, '--clear-groups', ...node] : node;
  const result = spawnSync('ip', ['netns', 'exec', ns.name, ...command], { encoding: 'utf8' });
  const text = result.stdout.trim();
  if (result.status !== 0 || text === '') return undefined;
  const [address, seenPort] = text.split(' ');
  return { address: address!, port: Number(seenPort) };
}

async function startServer(t: TeardownHost, ns: TestNetns, code: string, protocol: 'tcp' | 'udp', port: number, host: string): Promise<ChildProcess> {
  const child = spawn('ip', ['netns', 'exec', ns.name, process.execPath, '-e', code, protocol, String(port), host], { stdio: ['ignore', 'pipe', 'inherit'] });
  t.teardown(() => {
    if (child.pid !== undefined && child.exitCode === null) child.kill();
  });
  await new Promise<void>((resolve, reject) => {
    child.stdout!.once('data', () => resolve());
    child.once('exit', (code) => reject(new Error(`server in ${ns.name} exited with ${code}`)));
  });
  return child;
}

/** Starts an echo server (tcp or udp) in `ns`; resolves once it listens. Ended at teardown. */
export async function startEchoServer(t: TeardownHost, ns: TestNetns, protocol: 'tcp' | 'udp', port: number, host = '0.0.0.0'): Promise<ChildProcess> {
  return startServer(t, ns, SERVER, protocol, port, host);
}

/** Sends one message to an echo server from `ns` and waits for the echo. Returns whether it came. */
export function echo(ns: TestNetns, protocol: 'tcp' | 'udp', host: string, port: number, sourcePort?: number): boolean {
  const result = spawnSync('ip', ['netns', 'exec', ns.name, process.execPath, '-e', CLIENT, protocol, host, String(port), sourcePort ? String(sourcePort) : ''], { encoding: 'utf8' });
  return result.status === 0 && result.stdout.trim() === 'ok';
}

const DATAGRAMS = `
const [from, to, port, count] = process.argv.slice(1);
const s = require('node:dgram').createSocket('udp4');
let left = Number(count);
const next = () => (left-- > 0 ? s.send('x', Number(port), to, () => setTimeout(next, 5)) : s.close());
s.bind(0, from, next);`;

/**
 * Sends `count` UDP datagrams of one byte (29 bytes of IP) from `ns`, source address `from`, to
 * `to`:`port`, 5 ms apart, one socket for all, expecting no answer: for counting packets on a path.
 */
export function sendDatagrams(ns: TestNetns, from: string, to: string, port: number, count = 1): void {
  const result = spawnSync('ip', ['netns', 'exec', ns.name, process.execPath, '-e', DATAGRAMS, from, to, String(port), String(count)], { encoding: 'utf8' });
  if (result.status !== 0) throw new Error(`datagrams to ${to}:${port}: ${result.stderr}`);
}

/** One ping from `ns` to `host`; returns whether it was answered. */
export function ping(ns: TestNetns, host: string): boolean {
  return spawnSync('ip', ['netns', 'exec', ns.name, 'ping', '-c', '1', '-W', '2', host], { encoding: 'utf8' }).status === 0;
}
