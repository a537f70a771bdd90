// The npm `netlink` package doing the benchmark's work: one request per object (each awaits its
// ack), 256 in flight at a time. Run inside the namespace (`ip netns exec`); prints
// {"seconds": S, "errors": N}.
// usage: node netlink-npm.mjs rules|routes add|del COUNT IFINDEX
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);
const { createRtNetlink } = require('netlink');
const [kind, op, countText, ifindexText] = process.argv.slice(2);
const count = Number(countText);
const ifindex = Number(ifindexText);
const socket = createRtNetlink();
const WINDOW = 256;

function one(i) {
  if (kind === 'rules') {
    const header = { family: 2, table: 100, action: op === 'add' ? 1 : 0 };
    const attrs = { priority: 1000 + i, fwmark: i + 1 };
    return op === 'add' ? socket.newRule(header, attrs, { flags: 0x400 | 0x200 }) : socket.delRule(header, attrs);
  }
  const dst = Buffer.from([10, i >> 16, (i >> 8) & 255, i & 255]);
  const header = op === 'add'
    ? { family: 2, dstLen: 32, table: 100, protocol: 3, scope: 253, type: 1 }
    : { family: 2, dstLen: 32, table: 100, scope: 255 };
  const attrs = { dst, oif: ifindex };
  return op === 'add' ? socket.newRoute(header, attrs, { flags: 0x400 | 0x200 }) : socket.delRoute(header, attrs);
}

let errors = 0;
const start = process.hrtime.bigint();
let next = 0;
async function worker() {
  while (next < count) {
    const i = next++;
    try {
      await one(i);
    } catch {
      errors++;
    }
  }
}
await Promise.all(Array.from({ length: WINDOW }, worker));
const seconds = Number(process.hrtime.bigint() - start) / 1e9;
socket.socket.close();
console.log(JSON.stringify({ seconds, errors }));
