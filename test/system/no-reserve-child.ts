/**
 * Child process of netlink-read.test.ts: opens a connection while its parent holds this
 * process's address space (RLIMIT_AS, set from outside with prlimit) a few MiB above what it
 * uses, so that the addon's 4 MiB receive reserve is refused and only the arena fits, then
 * dumps links with the limit lifted again. Nothing here changes a system setting.
 *
 * argv: netns name, arena bytes. Messages to the parent, in order: { addressSpace } (bytes
 * mapped now; the parent then limits and answers), { opened, error?, reserve } (the parent then
 * lifts the limit and answers), { dump } (a LinkDump) or { dumpError }.
 */
import { readFileSync } from 'node:fs';
import type { Connection } from '../../src/netlink/connection.js';
import { dumpLinksOver, linkConnection, linkTransport } from './link-dump.js';

/** Bytes of address space this process has mapped (VmSize). */
function addressSpace(): number {
  const match = /^VmSize:\s+(\d+) kB$/m.exec(readFileSync('/proc/self/status', 'utf8'));
  return Number(match![1]) * 1024;
}

function nextMessage(): Promise<unknown> {
  return new Promise((resolve) => process.once('message', resolve));
}

function send(message: object): Promise<void> {
  return new Promise((resolve, reject) => process.send!(message, (error: Error | null) => (error ? reject(error) : resolve())));
}

// A parent that is gone (a failed or timed-out test) takes this process with it.
process.once('disconnect', () => process.exit(1));
const [netns, arenaArgument] = process.argv.slice(2);
// Made before the limit: entering the namespace takes a thread, and its stack, of address space.
const transport = linkTransport(netns!, Number(arenaArgument));
await send({ addressSpace: addressSpace() });
await nextMessage();
let opened: { connection: Connection; overruns: () => number } | undefined;
let error: string | undefined;
try {
  // Starting the socket maps its receive arena.
  opened = linkConnection(transport);
} catch (caught) {
  error = String(caught);
}
await send({ opened: opened !== undefined, error, reserve: transport.receiveReserveBytes });
await nextMessage();
if (opened !== undefined) {
  try {
    await send({ dump: await dumpLinksOver(opened.connection, opened.overruns) });
  } catch (caught) {
    await send({ dumpError: String(caught) });
  }
  opened.connection.close();
}
transport.close();
process.removeAllListeners('disconnect');
process.disconnect();
