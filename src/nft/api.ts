import type { ConnectionProvider } from '../netlink/provider.js';

/**
 * nf_tables (`nft`) in one namespace: tables, chains, rules, sets and maps, written and read as
 * nftables JSON (libnftables-json(5)).
 */
export class NftApi {
  constructor(protected readonly provider: ConnectionProvider) {}
}
