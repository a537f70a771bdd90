// Runs inside a worker_thread and keeps a handle busy until the worker is terminated.
import { parentPort, workerData } from 'node:worker_threads';

const { open } = await import(`${workerData.root}dist/esm/index.js`);
const handle = await open({ netns: workerData.netns });
await handle.rules.list();
parentPort.postMessage('ready');
setInterval(() => handle.rules.list().catch(() => {}), 1);
