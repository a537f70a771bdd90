/** Top-level nft functions on the default handle (current namespace). */
import { defaults } from '../default-handle.js';
import type { ApplyOptions, ApplyResult, NftListFilter, NftSnapshot } from '../nft/api.js';
import type { NftCommand, NftDocument, NftListing } from '../nft/json.js';

/** Applies an nftables JSON document atomically in the current namespace. See {@link NftApi.apply}. */
export function applyNftables(document: NftDocument | NftCommand[], options?: ApplyOptions): Promise<ApplyResult> {
  return defaults().nft.apply(document, options);
}

/** Lists the current namespace's nf_tables ruleset as nftables JSON. See {@link NftApi.list}. */
export function listNftables(filter?: NftListFilter): Promise<NftListing> {
  return defaults().nft.list(filter);
}

/** Lists with the generation the listing shows. See {@link NftApi.snapshot}. */
export function snapshotNftables(filter?: NftListFilter): Promise<NftSnapshot> {
  return defaults().nft.snapshot(filter);
}
