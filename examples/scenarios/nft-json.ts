/**
 * Shorthands for nftables JSON (libnftables-json(5)), the way the README writes it, so that the
 * scenarios read close to the nft commands they replace.
 */
import type { NftExpression, NftStatement } from 'routemark';

/** `meta KEY` (`meta mark`, `iifname`, `oifname`, `l4proto`, `skuid`). */
export const meta = (key: string): NftExpression => ({ meta: { key } });
/** `ct KEY` (`ct mark`, `ct state`). */
export const ct = (key: string): NftExpression => ({ ct: { key } });
/** A header field: `tcp dport`, `ip saddr`, `th dport`. */
export const field = (protocol: string, name: string): NftExpression => ({ payload: { protocol, field: name } });
/** `LEFT RIGHT` (`==`), or another operator: `in` for flags such as `ct state new`. */
export const match = (left: NftExpression, right: NftExpression, op = '=='): NftStatement => ({ match: { op, left, right } });
/** `KEY set VALUE` (`meta mark set 65`, `ct mark set meta mark`). */
export const set = (key: NftExpression, value: NftExpression): NftStatement => ({ mangle: { key, value } });
/** An anonymous set `{ a, b }`. */
export const anyOf = (...items: NftExpression[]): NftExpression => ({ set: items });
/** A prefix `10.20.1.0/24`. */
export const prefix = (cidr: string): NftExpression => {
  const [addr, len] = cidr.split('/');
  return { prefix: { addr: addr!, len: Number(len ?? 32) } };
};
