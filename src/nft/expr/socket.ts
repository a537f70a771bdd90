/** `socket`: loads data of the local socket a packet belongs to (transparent proxies). */
import type { ExprKind } from './spec.js';

export const NFTA_SOCKET_KEY = 1; // NFTA_SOCKET_KEY
export const NFTA_SOCKET_DREG = 2; // NFTA_SOCKET_DREG
export const NFTA_SOCKET_LEVEL = 3; // NFTA_SOCKET_LEVEL

/** Whether the socket has IP_TRANSPARENT set (one byte, 0 or 1). */
export const NFT_SOCKET_TRANSPARENT = 0; // NFT_SOCKET_TRANSPARENT
/** The socket's SO_MARK. */
export const NFT_SOCKET_MARK = 1; // NFT_SOCKET_MARK
/** Whether the socket is bound to the wildcard address (one byte, 0 or 1). */
export const NFT_SOCKET_WILDCARD = 2; // NFT_SOCKET_WILDCARD
/** The socket's cgroup v2 id at an ancestor level (NFTA_SOCKET_LEVEL). */
export const NFT_SOCKET_CGROUPV2 = 3; // NFT_SOCKET_CGROUPV2

/** A socket expression descriptor (libnftnl NFTNL_EXPR_SOCKET_*). */
export interface SocketExpr {
  expr: 'socket';
  key?: number;
  dreg?: number;
  level?: number;
}

export const socketKind: ExprKind = {
  name: 'socket',
  attrs: [
    { key: 'key', type: NFTA_SOCKET_KEY, kind: 'u32' },
    { key: 'dreg', type: NFTA_SOCKET_DREG, kind: 'u32' },
    { key: 'level', type: NFTA_SOCKET_LEVEL, kind: 'u32' },
  ],
};
