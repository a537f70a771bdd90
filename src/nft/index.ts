/** nf_tables: rules written as nftables JSON. */
export { NftApi } from './api.js';
