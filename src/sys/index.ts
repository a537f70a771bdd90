/** Namespace sysctls (/proc/sys/net) that policy routing needs. */
export { SysctlApi } from './api.js';
