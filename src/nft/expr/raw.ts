/**
 * An expression routemark does not know, kept as the kernel sent it: its name and the netlink
 * attributes inside NFTA_EXPR_DATA. Listing returns such expressions instead of dropping them,
 * and applying them sends the same bytes back.
 */
export interface RawExpr {
  expr: string;
  raw: Uint8Array;
}
