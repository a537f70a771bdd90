/** ctnetlink: conntrack flows and marks. */
export { ConntrackApi } from './api.js';
