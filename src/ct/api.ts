import type { ConnectionProvider } from '../netlink/provider.js';

/** Conntrack (ctnetlink) in one namespace: flows, their marks, and flow events. */
export class ConntrackApi {
  constructor(protected readonly provider: ConnectionProvider) {}
}
