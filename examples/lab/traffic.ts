/**
 * Real traffic between namespaces, for the examples, the demo and the scenario tests: a
 * "whoami" server that answers every request with its own label and the source address and
 * port it saw (what proves which uplink, and which NAT, a flow took), and a client that asks
 * it. Both are small Node programs started inside a namespace with `nsenter --net=PATH`, so
 * they work with any namespace file: /run/netns/NAME as well as /proc/PID/ns/net.
 *
 * This is topology and traffic, not configuration: nothing here changes routes, rules or
 * nf_tables.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';

/** What a whoami server answered: its label, and the source address and port it saw. */
export interface Answer {
  server: string;
  address: string;
  port: number;
}

/** Layer-4 protocol of a flow. */
export type Protocol = 'tcp' | 'udp';

const SERVER = `
const net = require('net'), dgram = require('dgram');
const [label, proto, port, host] = process.argv.slice(1);
// Ends with whoever started it: its stdin is that program's pipe.
process.stdin.on('end', () => process.exit(0)).on('error', () => process.exit(0)).resume();
const answer = (address, port) => label + ' ' + address.replace(/^::ffff:/, '') + ' ' + port + '\\n';
if (proto === 'tcp') {
  net.createServer((s) => {
    s.on('error', () => {});
    let buffered = '';
    s.on('data', (d) => {
      buffered += d;
      for (let i; (i = buffered.indexOf('\\n')) >= 0; buffered = buffered.slice(i + 1)) s.write(answer(s.remoteAddress, s.remotePort));
    });
  }).listen(Number(port), host, () => console.log('ready'));
} else {
  const u = dgram.createSocket('udp4');
  u.on('message', (m, r) => u.send(answer(r.address, r.port), r.port, r.address));
  u.bind(Number(port), host, () => console.log('ready'));
}`;

// One "flow" is one TCP connection or one UDP socket; each request on it is one line or one
// datagram, answered by the server. Results are JSON lines on stdout.
const CLIENT = `
const net = require('net'), dgram = require('dgram'), readline = require('readline');
const spec = JSON.parse(process.argv[1]);
function open(sourcePort) {
  const pending = [];
  const settle = (text, error) => { const p = pending.shift(); if (p) { clearTimeout(p.timer); p.resolve(text === undefined ? { error } : { answer: text }); } };
  let send, close;
  if (spec.protocol === 'tcp') {
    const s = net.connect({ host: spec.host, port: spec.port, localAddress: spec.localAddress, localPort: sourcePort });
    let buffered = '';
    s.on('data', (d) => { buffered += d; for (let i; (i = buffered.indexOf('\\n')) >= 0; buffered = buffered.slice(i + 1)) settle(buffered.slice(0, i)); });
    s.on('error', (e) => { while (pending.length) settle(undefined, e.code || String(e)); });
    s.on('close', () => { while (pending.length) settle(undefined, 'closed'); });
    send = () => s.write('who\\n');
    close = () => s.destroy();
  } else {
    const u = dgram.createSocket('udp4');
    const bound = new Promise((resolve) => u.bind({ port: sourcePort || 0, address: spec.localAddress }, resolve));
    u.on('message', (m) => settle(String(m).trim()));
    u.on('error', (e) => { while (pending.length) settle(undefined, e.code || String(e)); });
    send = () => bound.then(() => u.send('who', spec.port, spec.host));
    close = () => u.close();
  }
  return {
    ask: () => new Promise((resolve) => {
      const p = { resolve, timer: setTimeout(() => { pending.splice(pending.indexOf(p), 1); resolve({ error: 'timeout' }); }, spec.timeoutMs) };
      pending.push(p);
      send();
    }),
    close,
  };
}
(async () => {
  if (spec.interactive) {
    const flow = open(spec.sourcePorts && spec.sourcePorts[0]);
    for await (const line of readline.createInterface({ input: process.stdin })) {
      if (line === 'close') break;
      console.log(JSON.stringify(await flow.ask()));
    }
    flow.close();
    process.exit(0);
  }
  const flows = spec.sourcePorts ? spec.sourcePorts.length : spec.flows;
  for (let f = 0; f < flows; f++) {
    const flow = open(spec.sourcePorts && spec.sourcePorts[f]);
    for (let r = 0; r < spec.requests; r++) console.log(JSON.stringify({ flow: f, ...(await flow.ask()) }));
    flow.close();
  }
  process.exit(0);
})();`;

/** The command that runs `argv` inside the namespace file `netns`, optionally as another user. */
function inNamespace(netns: string, argv: string[], uid?: number): [string, string[]] {
  const user = uid === undefined ? [] : ['setpriv', `--reuid=${uid}`, `--regid=${uid}`, '--clear-groups'];
  return ['nsenter', [`--net=${netns}`, '--', ...user, ...argv]];
}

function parseAnswer(text: string): Answer {
  const [server, address, port] = text.split(' ');
  return { server: server!, address: address!, port: Number(port) };
}

/** A running whoami server. */
export interface WhoamiServer {
  /** The server's pid (to end it: {@link WhoamiServer.close}). */
  readonly pid: number;
  /** Ends the server (by its pid). */
  close(): void;
}

/** Where and how a whoami server listens. */
export interface WhoamiOptions {
  /** Its name in every answer (`'isp1'`): which server saw the flow. */
  label: string;
  protocol: Protocol;
  port: number;
  /** Address to listen on (default all). */
  host?: string;
}

/**
 * Starts a whoami server inside the namespace file `netns` (`/run/netns/NAME`,
 * `/proc/PID/ns/net`); resolves once it listens. It answers every TCP line and every UDP
 * datagram with `LABEL ADDRESS PORT`: its label and the source it saw.
 */
export function startWhoami(netns: string, options: WhoamiOptions): Promise<WhoamiServer> {
  const [command, args] = inNamespace(netns, [process.execPath, '-e', SERVER, options.label, options.protocol, String(options.port), options.host ?? '0.0.0.0']);
  const child = spawn(command, args, { stdio: ['pipe', 'pipe', 'inherit'] });
  const server: WhoamiServer = {
    pid: child.pid!,
    close: () => {
      if (child.exitCode === null && child.signalCode === null) child.kill();
    },
  };
  return new Promise((resolve, reject) => {
    child.stdout!.once('data', () => resolve(server));
    child.once('exit', (code) => reject(new Error(`whoami server ${options.label} in ${netns} exited (${code})`)));
  });
}

/** What to ask a whoami server. */
export interface AskOptions {
  protocol: Protocol;
  host: string;
  port: number;
  /** Source address to bind (a LAN host with several addresses). */
  localAddress?: string;
  /** Source port of the flow (default: the kernel picks). */
  sourcePort?: number;
  /** Run the client as this uid (per-user routing). */
  uid?: number;
  /** Requests sent one after another on the same flow (default 1): later packets of one flow. */
  requests?: number;
  /** How long one request may wait for its answer (default 2000 ms). */
  timeoutMs?: number;
}

/** One request's outcome: the answer, or why none came (`'timeout'`, `'ECONNREFUSED'`, ...). */
export type Outcome = Answer | { error: string };

/** Whether an outcome is an answer. */
export function answered(outcome: Outcome | undefined): outcome is Answer {
  return outcome !== undefined && !('error' in outcome);
}

function runClient(netns: string, spec: object, uid: number | undefined): Promise<{ flow: number; answer?: string; error?: string }[]> {
  const [command, args] = inNamespace(netns, [process.execPath, '-e', CLIENT, JSON.stringify(spec)], uid);
  const child = spawn(command, args, { stdio: ['ignore', 'pipe', 'inherit'] });
  const lines: string[] = [];
  child.stdout!.setEncoding('utf8');
  let buffered = '';
  child.stdout!.on('data', (chunk: string) => {
    buffered += chunk;
  });
  return new Promise((resolve, reject) => {
    child.once('error', reject);
    child.once('close', () => {
      lines.push(...buffered.split('\n').filter((line) => line !== ''));
      try {
        resolve(lines.map((line) => JSON.parse(line) as { flow: number; answer?: string; error?: string }));
      } catch {
        reject(new Error(`the whoami client in ${netns} printed ${JSON.stringify(buffered)}`));
      }
    });
  });
}

/**
 * Opens one flow from inside `netns` to a whoami server and sends `requests` requests on it,
 * one after another. Resolves with each request's outcome (an answer means the reply came back).
 */
export async function ask(netns: string, options: AskOptions): Promise<Outcome[]> {
  const results = await runClient(
    netns,
    {
      protocol: options.protocol, host: options.host, port: options.port, localAddress: options.localAddress,
      sourcePorts: options.sourcePort === undefined ? undefined : [options.sourcePort], flows: 1,
      requests: options.requests ?? 1, timeoutMs: options.timeoutMs ?? 2000,
    },
    options.uid,
  );
  return results.map((r) => (r.answer !== undefined ? parseAnswer(r.answer) : { error: r.error ?? 'no answer' }));
}

/** The first request's outcome of {@link ask}: one flow, one request. */
export async function askOnce(netns: string, options: Omit<AskOptions, 'requests'>): Promise<Outcome> {
  return (await ask(netns, { ...options, requests: 1 }))[0] ?? { error: 'no answer' };
}

/**
 * Opens many flows (one per source port, one after another) from one client process and asks
 * once on each: for load balancing, where every flow may take another path.
 */
export async function askFlows(netns: string, options: Omit<AskOptions, 'sourcePort' | 'requests'> & { sourcePorts: number[] }): Promise<Outcome[]> {
  const results = await runClient(
    netns,
    {
      protocol: options.protocol, host: options.host, port: options.port, localAddress: options.localAddress,
      sourcePorts: options.sourcePorts, requests: 1, timeoutMs: options.timeoutMs ?? 2000,
    },
    options.uid,
  );
  const outcomes: Outcome[] = options.sourcePorts.map(() => ({ error: 'no answer' }));
  for (const r of results) outcomes[r.flow] = r.answer !== undefined ? parseAnswer(r.answer) : { error: r.error ?? 'no answer' };
  return outcomes;
}

/**
 * A long-lived flow (one TCP connection or one UDP socket) whose requests are sent when asked,
 * so that something can change between two packets of the same flow.
 */
export class Session {
  private readonly child: ChildProcess;
  private readonly waiting: ((outcome: Outcome) => void)[] = [];

  /** Use {@link openSession}. */
  constructor(netns: string, options: Omit<AskOptions, 'requests'>) {
    const spec = {
      protocol: options.protocol, host: options.host, port: options.port, localAddress: options.localAddress,
      sourcePorts: options.sourcePort === undefined ? undefined : [options.sourcePort],
      interactive: true, timeoutMs: options.timeoutMs ?? 2000,
    };
    const [command, args] = inNamespace(netns, [process.execPath, '-e', CLIENT, JSON.stringify(spec)], options.uid);
    this.child = spawn(command, args, { stdio: ['pipe', 'pipe', 'inherit'] });
    createInterface({ input: this.child.stdout! }).on('line', (line) => {
      const result = JSON.parse(line) as { answer?: string; error?: string };
      this.waiting.shift()?.(result.answer !== undefined ? parseAnswer(result.answer) : { error: result.error ?? 'no answer' });
    });
    this.child.once('exit', () => {
      for (const resolve of this.waiting.splice(0)) resolve({ error: 'client exited' });
    });
  }

  /** Sends one request on the flow and resolves with its outcome. */
  ask(): Promise<Outcome> {
    return new Promise((resolve) => {
      this.waiting.push(resolve);
      this.child.stdin!.write('ask\n');
    });
  }

  /** Closes the flow and ends the client (by its pid). */
  close(): void {
    if (this.child.exitCode === null && this.child.signalCode === null) {
      this.child.stdin!.end('close\n');
      this.child.kill();
    }
  }
}

/** Opens a {@link Session} from inside the namespace file `netns`. */
export function openSession(netns: string, options: Omit<AskOptions, 'requests'>): Session {
  return new Session(netns, options);
}
