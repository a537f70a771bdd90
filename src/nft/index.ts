/** nf_tables: rules written as nftables JSON. */
export { NftApi, type ApplyOptions, type ApplyResult, type NftListFilter, type NftSnapshot, type NftSetRef } from './api.js';
export { RulesetChangedError } from './errors.js';
export type {
  NftCommand,
  NftDocument,
  NftListing,
  NftExpression,
  NftExpressionObject,
  NftStatement,
  NftRawExpression,
  NftTable,
  NftTableFlag,
  NftChain,
  NftRule,
  NftSet,
  NftMap,
  NftElement,
  NftCounter,
  NftQuota,
  NftStatefulObject,
  NftObjectsRef,
  NftObjectRef,
  NftObject,
  NftFamily,
  NftMetainfo,
} from './json.js';
