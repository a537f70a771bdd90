// Peak resident memory of a process that adds and then deletes 100k /32 routes with routemark
// (the objects, the batch and the library included). Prints {"peakRssMb": M, "failed": N}.
// usage: node routemark-rss.mjs NETNS COUNT
import { open } from '../../dist/esm/index.js';

const [netns, countText] = process.argv.slice(2);
const count = Number(countText);
const handle = await open({ netns });
const routes = Array.from({ length: count }, (_, i) => ({ dst: `10.${i >> 16}.${(i >> 8) & 255}.${i & 255}/32`, dev: 'v0', table: 100 }));
const added = await handle.routes.addMany(routes);
const deleted = await handle.routes.deleteMany(routes);
handle.close();
console.log(JSON.stringify({ peakRssMb: process.resourceUsage().maxRSS / 1024, failed: added.failed + deleted.failed }));
