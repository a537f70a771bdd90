// Runs inside a worker_thread: opens a handle in a namespace, adds and lists a rule, closes.
import { parentPort, workerData } from 'node:worker_threads';

const { open } = await import(`${workerData.root}dist/esm/index.js`);
const handle = await open({ netns: workerData.netns });
await handle.rules.add({ fwmark: 7, priority: 4242, table: 42 });
const listed = await handle.rules.list({ table: 42 });
handle.close();
parentPort.postMessage({ ok: true, listed });
