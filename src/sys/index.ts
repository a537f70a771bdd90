/** Namespace sysctls (/proc/sys/net) that policy routing needs. */
export { SysctlApi, SysctlError, type RpFilterMode, type InterfaceScope } from './api.js';
