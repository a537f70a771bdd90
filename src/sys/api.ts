import type { ConnectionProvider } from '../netlink/provider.js';

/** The sysctls policy routing needs, in one namespace, read and written through /proc/sys. */
export class SysctlApi {
  constructor(protected readonly provider: ConnectionProvider) {}
}
