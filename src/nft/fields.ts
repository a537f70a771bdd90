/**
 * What the left-hand side of a match can name: packet header fields (payload), packet metadata
 * (meta) and conntrack data (ct), with the datatypes of their values and the dependencies nft
 * inserts before them (`tcp dport` needs `meta l4proto tcp` first).
 */
import { NFTRACE_BIT, SOCKET_BIT, booleanOfSize, datatype, integerOfSize, type Datatype } from './datatypes.js';
import { NFT_PAYLOAD_LL_HEADER, NFT_PAYLOAD_NETWORK_HEADER, NFT_PAYLOAD_TRANSPORT_HEADER } from './expr/payload.js';
import {
  NFT_META_CGROUP,
  NFT_META_CPU,
  NFT_META_IIF,
  NFT_META_IIFGROUP,
  NFT_META_IIFKIND,
  NFT_META_IIFNAME,
  NFT_META_IIFTYPE,
  NFT_META_L4PROTO,
  NFT_META_LEN,
  NFT_META_MARK,
  NFT_META_NFPROTO,
  NFT_META_NFTRACE,
  NFT_META_OIF,
  NFT_META_OIFGROUP,
  NFT_META_OIFKIND,
  NFT_META_OIFNAME,
  NFT_META_OIFTYPE,
  NFT_META_PKTTYPE,
  NFT_META_PRANDOM,
  NFT_META_PRIORITY,
  NFT_META_PROTOCOL,
  NFT_META_RTCLASSID,
  NFT_META_SECPATH,
  NFT_META_SKGID,
  NFT_META_SKUID,
} from './expr/meta.js';
import { NFT_CT_DIRECTION, NFT_CT_DST_IP, NFT_CT_DST_IP6, NFT_CT_L3PROTOCOL, NFT_CT_MARK, NFT_CT_PROTOCOL, NFT_CT_SRC_IP, NFT_CT_SRC_IP6, NFT_CT_STATE, NFT_CT_STATUS, NFT_CT_ZONE } from './expr/ct.js';
import { NFT_RT_TCPMSS } from './expr/rt.js';
import { NFT_NG_INCREMENTAL, NFT_NG_RANDOM } from './expr/numgen.js';
import { NFT_SOCKET_MARK, NFT_SOCKET_TRANSPARENT, NFT_SOCKET_WILDCARD } from './expr/socket.js';
import { NFTA_FIB_F_DADDR, NFTA_FIB_F_IIF, NFTA_FIB_F_MARK, NFTA_FIB_F_OIF, NFTA_FIB_F_SADDR, NFT_FIB_RESULT_ADDRTYPE, NFT_FIB_RESULT_OIF, NFT_FIB_RESULT_OIFNAME } from './expr/fib.js';

function type(name: string): Datatype {
  return datatype(name)!;
}

/** A header field: where it lies (bytes from the header's start) and what it holds. */
export interface PayloadField {
  readonly name: string;
  readonly offset: number;
  readonly length: number;
  readonly type: Datatype;
}

/** A protocol header with named fields. */
export interface PayloadProtocol {
  readonly name: string;
  readonly base: number;
  readonly fields: readonly PayloadField[];
  /** The network protocol (nfproto) this header belongs to, for inet tables. */
  readonly nfproto?: 'ipv4' | 'ipv6';
  /** The IP protocol number this transport header needs (`meta l4proto`). */
  readonly l4proto?: number;
}

const ports = (l4proto: number | undefined, name: string, extra: PayloadField[] = []): PayloadProtocol => ({
  name,
  base: NFT_PAYLOAD_TRANSPORT_HEADER,
  l4proto,
  fields: [
    { name: 'sport', offset: 0, length: 2, type: type('inet_service') },
    { name: 'dport', offset: 2, length: 2, type: type('inet_service') },
    ...extra,
  ],
});

/** Header protocols by nft name. Bit fields (ip version, ip dscp) are not offered. */
export const PAYLOAD_PROTOCOLS: ReadonlyMap<string, PayloadProtocol> = new Map(
  [
    {
      name: 'ip',
      base: NFT_PAYLOAD_NETWORK_HEADER,
      nfproto: 'ipv4' as const,
      fields: [
        { name: 'length', offset: 2, length: 2, type: integerOfSize(2) },
        { name: 'id', offset: 4, length: 2, type: integerOfSize(2) },
        { name: 'ttl', offset: 8, length: 1, type: integerOfSize(1) },
        { name: 'protocol', offset: 9, length: 1, type: type('inet_proto') },
        { name: 'checksum', offset: 10, length: 2, type: integerOfSize(2) },
        { name: 'saddr', offset: 12, length: 4, type: type('ipv4_addr') },
        { name: 'daddr', offset: 16, length: 4, type: type('ipv4_addr') },
      ],
    },
    {
      name: 'ip6',
      base: NFT_PAYLOAD_NETWORK_HEADER,
      nfproto: 'ipv6' as const,
      fields: [
        { name: 'length', offset: 4, length: 2, type: integerOfSize(2) },
        { name: 'nexthdr', offset: 6, length: 1, type: type('inet_proto') },
        { name: 'hoplimit', offset: 7, length: 1, type: integerOfSize(1) },
        { name: 'saddr', offset: 8, length: 16, type: type('ipv6_addr') },
        { name: 'daddr', offset: 24, length: 16, type: type('ipv6_addr') },
      ],
    },
    ports(6, 'tcp', [
      { name: 'sequence', offset: 4, length: 4, type: integerOfSize(4) },
      { name: 'ackseq', offset: 8, length: 4, type: integerOfSize(4) },
      { name: 'flags', offset: 13, length: 1, type: type('tcp_flag') },
      { name: 'window', offset: 14, length: 2, type: integerOfSize(2) },
      { name: 'checksum', offset: 16, length: 2, type: integerOfSize(2) },
      { name: 'urgptr', offset: 18, length: 2, type: integerOfSize(2) },
    ]),
    ports(17, 'udp', [
      { name: 'length', offset: 4, length: 2, type: integerOfSize(2) },
      { name: 'checksum', offset: 6, length: 2, type: integerOfSize(2) },
    ]),
    ports(136, 'udplite'),
    ports(132, 'sctp'),
    ports(33, 'dccp'),
    // `th`: any transport header's ports, with no protocol dependency.
    ports(undefined, 'th'),
  ].map((protocol) => [protocol.name, protocol]),
);

/** A TCP option with named fields (offsets from the option's first byte, its kind). */
export interface TcpOption {
  readonly name: string;
  /** The option kind (RFC 9293 and successors). */
  readonly kind: number;
  readonly fields: readonly PayloadField[];
}

const optionLength: PayloadField = { name: 'length', offset: 1, length: 1, type: integerOfSize(1) };

/** TCP options by nft name (`tcp option maxseg size`); sack blocks are not offered. */
export const TCP_OPTIONS: ReadonlyMap<string, TcpOption> = new Map(
  [
    { name: 'maxseg', kind: 2, fields: [optionLength, { name: 'size', offset: 2, length: 2, type: integerOfSize(2) }] },
    { name: 'window', kind: 3, fields: [optionLength, { name: 'count', offset: 2, length: 1, type: integerOfSize(1) }] },
    { name: 'sack-perm', kind: 4, fields: [optionLength] },
    {
      name: 'timestamp',
      kind: 8,
      fields: [optionLength, { name: 'tsval', offset: 2, length: 4, type: integerOfSize(4) }, { name: 'tsecr', offset: 6, length: 4, type: integerOfSize(4) }],
    },
  ].map((option) => [option.name, option]),
);

/**
 * Whether a payload match's left side (`{ protocol, field }`) is the field that names the next
 * header's protocol (`ip protocol`, `ip6 nexthdr`): nft's protocol context for the transport
 * header, and where it moves a merged match.
 */
export function namesNextProtocol(payload: Record<string, unknown> | undefined): boolean {
  return (payload?.protocol === 'ip' && payload.field === 'protocol') || (payload?.protocol === 'ip6' && payload.field === 'nexthdr');
}

/** The TCP option with this kind number, or undefined. */
export function tcpOptionByKind(kind: number): TcpOption | undefined {
  for (const option of TCP_OPTIONS.values()) if (option.kind === kind) return option;
  return undefined;
}

/** Payload bases by their JSON name (raw payload expressions). */
export const PAYLOAD_BASES: ReadonlyMap<string, number> = new Map([
  ['ll', NFT_PAYLOAD_LL_HEADER],
  ['nh', NFT_PAYLOAD_NETWORK_HEADER],
  ['th', NFT_PAYLOAD_TRANSPORT_HEADER],
]);

/** A meta or ct key: its NFT_META_* / NFT_CT_* number and datatype. */
export interface KeyInfo {
  readonly name: string;
  readonly key: number;
  readonly type: Datatype;
  /** Whether `meta|ct KEY set ...` is allowed (routemark sets the marks and the ct zone). */
  readonly settable: boolean;
  /** ct keys of one direction of the flow: they need `dir` ('original' or 'reply'). */
  readonly directed?: boolean;
  /** Keys the kernel only sets and never loads (a match on them is EOPNOTSUPP). */
  readonly setOnly?: boolean;
}

/** Meta keys by nft name. */
export const META_KEYS: ReadonlyMap<string, KeyInfo> = new Map(
  [
    { name: 'mark', key: NFT_META_MARK, type: type('mark'), settable: true },
    { name: 'iif', key: NFT_META_IIF, type: type('iface_index'), settable: false },
    { name: 'oif', key: NFT_META_OIF, type: type('iface_index'), settable: false },
    { name: 'iifname', key: NFT_META_IIFNAME, type: type('ifname'), settable: false },
    { name: 'oifname', key: NFT_META_OIFNAME, type: type('ifname'), settable: false },
    { name: 'l4proto', key: NFT_META_L4PROTO, type: type('inet_proto'), settable: false },
    { name: 'nfproto', key: NFT_META_NFPROTO, type: type('nf_proto'), settable: false },
    { name: 'skuid', key: NFT_META_SKUID, type: type('uid'), settable: false },
    { name: 'skgid', key: NFT_META_SKGID, type: type('gid'), settable: false },
    { name: 'length', key: NFT_META_LEN, type: integerOfSize(4, 'host'), settable: false },
    { name: 'cpu', key: NFT_META_CPU, type: integerOfSize(4, 'host'), settable: false },
    { name: 'pkttype', key: NFT_META_PKTTYPE, type: type('pkt_type'), settable: false },
    { name: 'protocol', key: NFT_META_PROTOCOL, type: type('ether_type'), settable: false },
    { name: 'iiftype', key: NFT_META_IIFTYPE, type: type('iface_type'), settable: false },
    { name: 'oiftype', key: NFT_META_OIFTYPE, type: type('iface_type'), settable: false },
    { name: 'iifgroup', key: NFT_META_IIFGROUP, type: type('devgroup'), settable: false },
    { name: 'oifgroup', key: NFT_META_OIFGROUP, type: type('devgroup'), settable: false },
    { name: 'iifkind', key: NFT_META_IIFKIND, type: type('ifname'), settable: false },
    { name: 'oifkind', key: NFT_META_OIFKIND, type: type('ifname'), settable: false },
    { name: 'priority', key: NFT_META_PRIORITY, type: type('classid'), settable: true },
    { name: 'rtclassid', key: NFT_META_RTCLASSID, type: type('realm'), settable: false },
    { name: 'cgroup', key: NFT_META_CGROUP, type: integerOfSize(4, 'host'), settable: false },
    { name: 'random', key: NFT_META_PRANDOM, type: integerOfSize(4, 'big'), settable: false },
    // nft 1.0.6 lists the secpath key as ipsec and reads both names.
    { name: 'ipsec', key: NFT_META_SECPATH, type: booleanOfSize(1), settable: false },
    { name: 'secpath', key: NFT_META_SECPATH, type: booleanOfSize(1), settable: false },
    // The kernel only sets it (a match on it is EOPNOTSUPP): packets it marks show in `nft monitor trace`.
    { name: 'nftrace', key: NFT_META_NFTRACE, type: NFTRACE_BIT, settable: true, setOnly: true },
  ].map((key) => [key.name, key]),
);

/** Conntrack keys by nft name. */
export const CT_KEYS: ReadonlyMap<string, KeyInfo> = new Map(
  [
    { name: 'state', key: NFT_CT_STATE, type: type('ct_state'), settable: false },
    { name: 'direction', key: NFT_CT_DIRECTION, type: type('ct_dir'), settable: false },
    // What conntrack knows of the flow: NATed either way, assured, seen a reply, ...
    { name: 'status', key: NFT_CT_STATUS, type: type('ct_status'), settable: false },
    { name: 'mark', key: NFT_CT_MARK, type: type('mark'), settable: true },
    // Set before conntrack sees the packet (a chain at priority raw), a zone keeps flows of
    // overlapping address spaces apart.
    { name: 'zone', key: NFT_CT_ZONE, type: integerOfSize(2, 'host'), settable: true },
    { name: 'l3proto', key: NFT_CT_L3PROTOCOL, type: type('nf_proto'), settable: false },
    { name: 'protocol', key: NFT_CT_PROTOCOL, type: type('inet_proto'), settable: false },
    // The addresses of one direction of the flow: `ct original ip daddr` is where the first
    // packet was sent, before DNAT rewrote it.
    { name: 'ip saddr', key: NFT_CT_SRC_IP, type: type('ipv4_addr'), settable: false, directed: true },
    { name: 'ip daddr', key: NFT_CT_DST_IP, type: type('ipv4_addr'), settable: false, directed: true },
    { name: 'ip6 saddr', key: NFT_CT_SRC_IP6, type: type('ipv6_addr'), settable: false, directed: true },
    { name: 'ip6 daddr', key: NFT_CT_DST_IP6, type: type('ipv6_addr'), settable: false, directed: true },
  ].map((key) => [key.name, key as KeyInfo]),
);

/** The key of `keys` with this number, or undefined. */
export function keyByNumber(keys: ReadonlyMap<string, KeyInfo>, key: number): KeyInfo | undefined {
  for (const entry of keys.values()) if (entry.key === key) return entry;
  return undefined;
}

/** Route keys by nft name: `rt mtu` is the TCP MSS the route's MTU allows, in host order. */
export const RT_KEYS: ReadonlyMap<string, KeyInfo> = new Map([['mtu', { name: 'mtu', key: NFT_RT_TCPMSS, type: integerOfSize(2, 'host'), settable: false }]]);

/**
 * Socket keys by nft name. Not `cgroupv2`: nft 1.0.6 lists it as JSON that it cannot read back
 * (a path resolved to an id), so routemark lists it raw.
 */
export const SOCKET_KEYS: ReadonlyMap<string, KeyInfo> = new Map(
  [
    { name: 'transparent', key: NFT_SOCKET_TRANSPARENT, type: SOCKET_BIT, settable: false },
    { name: 'mark', key: NFT_SOCKET_MARK, type: type('mark'), settable: false },
    { name: 'wildcard', key: NFT_SOCKET_WILDCARD, type: SOCKET_BIT, settable: false },
  ].map((key) => [key.name, key]),
);

/** numgen modes by nft name. */
export const NUMGEN_MODES: ReadonlyMap<string, number> = new Map([
  ['inc', NFT_NG_INCREMENTAL],
  ['random', NFT_NG_RANDOM],
]);

/** What numgen, jhash and symhash put in their register: a host-order 32-bit integer. */
export const GENERATED_NUMBER: Datatype = integerOfSize(4, 'host');

/** What a fib lookup returns, by nft name, and its datatype. */
export const FIB_RESULTS: ReadonlyMap<string, { result: number; type: Datatype }> = new Map([
  ['oif', { result: NFT_FIB_RESULT_OIF, type: type('iface_index') }],
  ['oifname', { result: NFT_FIB_RESULT_OIFNAME, type: type('ifname') }],
  ['type', { result: NFT_FIB_RESULT_ADDRTYPE, type: type('fib_addrtype') }],
]);

/** What a fib lookup takes from the packet, by nft name, in the order nft lists them. */
export const FIB_FLAGS: ReadonlyMap<string, number> = new Map([
  ['saddr', NFTA_FIB_F_SADDR],
  ['daddr', NFTA_FIB_F_DADDR],
  ['mark', NFTA_FIB_F_MARK],
  ['iif', NFTA_FIB_F_IIF],
  ['oif', NFTA_FIB_F_OIF],
]);
