/**
 * nftables JSON (libnftables-json(5)): the document routemark applies and lists. The types
 * cover what routemark compiles; anything else is refused with a ValidationError naming the
 * field, before anything is sent.
 */

/** Table families. */
export type NftFamily = 'ip' | 'ip6' | 'inet' | 'arp' | 'bridge' | 'netdev';

/** An expression: an immediate (string, number, boolean), a list, or an expression object. */
export type NftExpression = string | number | boolean | NftExpression[] | NftExpressionObject;

/** Expression objects (`{"payload": {...}}`, `{"prefix": {...}}`, `{"set": [...]}`, ...). */
export interface NftExpressionObject {
  payload?: { protocol: string; field: string } | { base: 'll' | 'nh' | 'th'; offset: number; len: number };
  meta?: { key: string };
  ct?: { key: string; dir?: 'original' | 'reply'; family?: 'ip' | 'ip6' };
  prefix?: { addr: NftExpression; len: number };
  range?: [NftExpression, NftExpression];
  set?: NftExpression | NftExpression[];
  map?: { key: NftExpression; data: NftExpression };
  concat?: NftExpression[];
  /** A number generator: 0, 1, ... (`inc`) or random, below `mod`, plus `offset`. */
  numgen?: { mode: string; mod: number; offset?: number };
  /** A Jenkins hash of `expr` (with `seed`; without one the kernel draws one), below `mod`, plus `offset`. */
  jhash?: { mod: number; offset?: number; expr: NftExpression; seed?: number };
  /** The kernel's symmetric flow hash (the same for both directions), below `mod`, plus `offset`. */
  symhash?: { mod: number; offset?: number };
  /** Data of the packet's local socket: `transparent` (0/1), `mark`, `wildcard` (0/1). */
  socket?: { key: string };
  '&'?: [NftExpression, NftExpression];
  '|'?: [NftExpression, NftExpression];
  '^'?: [NftExpression, NftExpression];
  elem?: { val: NftExpression; timeout?: number; expires?: number; comment?: string; counter?: { packets?: number; bytes?: number } | null };
  accept?: null;
  drop?: null;
  continue?: null;
  return?: null;
  jump?: { target: string };
  goto?: { target: string };
  [key: string]: unknown;
}

/** One expression of a rule as routemark lists an expression it could not decode. */
export interface NftRawExpression {
  /** The kernel's expression name, e.g. `"socket"`. */
  expr: string;
  /** The expression's netlink attributes (inside NFTA_EXPR_DATA), as hex. */
  data: string;
}

/** A statement (an element of a rule's `expr`). */
export interface NftStatement {
  match?: { op: string; left: NftExpression; right: NftExpression };
  mangle?: { key: NftExpression; value: NftExpression };
  /**
   * An anonymous counter (`null`, listed with its values), the named counter of the table:
   * `"NAME"`, or the one an object map gives for a key: `{ map: { key, data: '@m' } }`.
   */
  counter?: null | { packets?: number; bytes?: number; map?: undefined } | string | { map: { key: NftExpression; data: NftExpression }; packets?: undefined; bytes?: undefined };
  log?: null | { prefix?: string; level?: string; group?: number; snaplen?: number; 'queue-threshold'?: number; flags?: string | string[] };
  limit?: { rate: number; per?: string; burst?: number; rate_unit?: string; burst_unit?: string; inv?: boolean };
  /**
   * Matches until `val` bytes have passed (with `inv`, only after); `used` is the count so far.
   * `"NAME"`: the named quota of the table; `{ map: { key, data } }`: the one an object map gives.
   */
  quota?: { val: number; val_unit?: string; used?: number; used_unit?: string; inv?: boolean; map?: undefined } | string | { map: { key: NftExpression; data: NftExpression }; val?: undefined };
  /** The packet bypasses conntrack (in a chain at priority raw). */
  notrack?: null;
  /**
   * Answers the TCP handshake with SYN cookies and opens the connection to the server once the
   * client completed it, with the MSS, window scale and options the server would send (input and
   * forward, for packets that are untracked or `ct state invalid,untracked`).
   */
  synproxy?: null | { mss?: number; wscale?: number; flags?: 'timestamp' | 'sack-perm' | ('timestamp' | 'sack-perm')[] };
  /**
   * Matches while at most `val` of the connections that reached this statement are open (with
   * `inv`, more than `val`): `tcp dport 22 ct count over 4 reject`.
   */
  'ct count'?: { val: number; inv?: boolean };
  /**
   * Sends a copy of the packet to the gateway `addr` (its addresses unchanged), by the interface
   * `dev` if given (it must exist). ip and ip6 tables only: the kernel has no dup for inet.
   */
  dup?: { addr: NftExpression; dev?: NftExpression };
  /**
   * Hands the packet to the local transparent socket at `addr`/`port` (prerouting, after a
   * transport protocol match). `family` only in inet tables; without it a port alone serves both.
   */
  tproxy?: { family?: 'ip' | 'ip6'; addr?: NftExpression; port?: NftExpression };
  snat?: null | { addr?: NftExpression; port?: NftExpression; family?: 'ip' | 'ip6'; flags?: string | string[] };
  dnat?: null | { addr?: NftExpression; port?: NftExpression; family?: 'ip' | 'ip6'; flags?: string | string[] };
  masquerade?: null | { port?: NftExpression; flags?: string | string[] };
  redirect?: null | { port?: NftExpression; flags?: string | string[] };
  reject?: null | { type?: 'tcp reset' | 'icmpx' | 'icmp' | 'icmpv6'; expr?: string };
  vmap?: { key: NftExpression; data: NftExpression };
  /**
   * Adds the packet's `elem` to the named set `"@NAME"`, refreshes it (`update`) or removes it
   * (`delete`). `elem` is an expression (a field, a concat of fields), or `{"elem": {"val",
   * "timeout"}}` with a timeout in seconds for a set with the timeout flag.
   */
  set?: { op: 'add' | 'update' | 'delete'; elem: NftExpression; set: string };
  /** Adds or updates the packet's `elem`, mapped to `data`, in the named map `"@NAME"`. */
  map?: { op: 'add' | 'update'; elem: NftExpression; data: NftExpression; map: string };
  accept?: null;
  drop?: null;
  continue?: null;
  return?: null;
  jump?: { target: string };
  goto?: { target: string };
  /**
   * Expressions routemark could not decode, kept as the kernel holds them. Only routemark
   * reads this statement (nft does not); applying it sends the same expressions back.
   */
  raw?: NftRawExpression[];
  [key: string]: unknown;
}

/** `{"table": ...}`. `flags` and `comment` are routemark extensions that nft 1.0.6 does not list. */
export interface NftTable {
  family: NftFamily;
  name: string;
  handle?: number;
  /** `owner`: the table lives only as long as the routemark handle that made it. `persist` (Linux 6.9): it outlives its owner. `dormant`: its hooks are off. */
  flags?: NftTableFlag | NftTableFlag[];
  comment?: string;
}

/** Table flags. */
export type NftTableFlag = 'dormant' | 'owner' | 'persist';

/** `{"chain": ...}`. Base chains have type, hook, prio and policy. */
export interface NftChain {
  family: NftFamily;
  table: string;
  name: string;
  handle?: number;
  type?: 'filter' | 'nat' | 'route';
  hook?: 'prerouting' | 'input' | 'forward' | 'output' | 'postrouting' | 'ingress' | 'egress';
  prio?: number;
  policy?: 'accept' | 'drop';
  dev?: string;
  comment?: string;
}

/** `{"rule": ...}`. */
export interface NftRule {
  family: NftFamily;
  table: string;
  chain: string;
  expr?: NftStatement[];
  handle?: number;
  index?: number;
  comment?: string;
}

/** `{"set": ...}`. */
export interface NftSet {
  family: NftFamily;
  table: string;
  name: string;
  handle?: number;
  type?: string | string[];
  policy?: 'performance' | 'memory';
  flags?: string[];
  elem?: NftExpression[];
  timeout?: number;
  'gc-interval'?: number;
  size?: number;
  comment?: string;
  /**
   * What the set gives each of its elements, as nft lists it: `[{"counter": null}]` (each element
   * counts its packets and bytes, listed as `{"elem": {"val": ..., "counter": {...}}}`), a
   * `limit` or `quota`. Applied, every element gets fresh ones: counts are not restored (nft -j
   * does the same).
   */
  stmt?: NftStatement[];
  /**
   * Only in listings, for a set whose key or value type routemark does not know: the kernel's
   * type ids and lengths and the elements as hex. Such a set cannot be applied back.
   */
  raw?: { keyType?: number; keyLen?: number; dataType?: number; dataLen?: number; flags?: number; elements: unknown[] };
}

/**
 * `{"map": ...}`: a set whose elements map to `map`-typed values: a datatype, `"verdict"`, or
 * `"counter"`/`"quota"` (an object map: each element names a named object of the table).
 */
export interface NftMap extends NftSet {
  map: string;
}

/** `{"element": ...}`: elements of a named set or map. */
export interface NftElement {
  family: NftFamily;
  table: string;
  name: string;
  elem: NftExpression | NftExpression[];
}

/**
 * `{"counter": ...}` as a table's object: a named counter that rules count into with
 * `{"counter": "NAME"}`. Listed with its `packets` and `bytes`; given, they are its start values.
 */
export interface NftCounter {
  family: NftFamily;
  table: string;
  name: string;
  handle?: number;
  comment?: string;
  packets?: number;
  bytes?: number;
}

/**
 * `{"quota": ...}` as a table's object: a named quota of `bytes` that rules use with
 * `{"quota": "NAME"}`, matching until it is used up (with `inv`, only after). `used` is what
 * has passed so far (listed always, as `inv` is).
 */
export interface NftQuota {
  family: NftFamily;
  table: string;
  name: string;
  handle?: number;
  comment?: string;
  bytes: number;
  used?: number;
  inv?: boolean;
}

/** The ruleset itself, for `flush` and `list`. */
export type NftRuleset = null;

/** A ruleset object. */
export type NftObject =
  | { table: NftTable }
  | { chain: NftChain }
  | { rule: NftRule }
  | { set: NftSet }
  | { map: NftMap }
  | { element: NftElement }
  | { counter: NftCounter }
  | { quota: NftQuota };

/** A named stateful object of a table (what {@link NftObject} holds besides tables, chains, rules and sets). */
export type NftStatefulObject = { counter: NftCounter } | { quota: NftQuota };

/**
 * Which named stateful objects to reset: `{"counter": {family, table, name}}` (one), or without
 * `name` every counter (quota) of the table.
 */
export type NftObjectsRef = { counter: NftObjectRef } | { quota: NftObjectRef };

/** A table's named object by name, or (without `name`) all of its type in the table. */
export interface NftObjectRef {
  family: NftFamily;
  table: string;
  name?: string;
}

/** Library information, the first item of a listing. */
export interface NftMetainfo {
  version?: string;
  release_name?: string;
  json_schema_version: number;
}

/** A command. A bare object means `add`. */
export type NftCommand =
  | { add: NftObject }
  | { create: NftObject }
  | { insert: { rule: NftRule } }
  | { replace: { rule: NftRule } }
  | { delete: NftObject }
  | { flush: NftObject | { ruleset: NftRuleset } }
  | { metainfo: NftMetainfo }
  | NftObject;

/** An nftables JSON document: `{"nftables": [...]}`. */
export interface NftDocument {
  nftables: NftCommand[];
}

/** A listing: ruleset elements, metainfo first (what `nft -j list ruleset` prints). */
export interface NftListing {
  nftables: ({ metainfo: NftMetainfo } | NftObject)[];
}
