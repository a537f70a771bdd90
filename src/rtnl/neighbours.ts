/** Neighbours (`ip neigh`): the ARP / NDP cache, read for gateway health (failover). */
import { familyName, formatAddress, type FamilyName } from '../common/ip.js';
import { interfaceLookupName, knownKeys, plainObject } from '../common/validate.js';
import { HOST_IS_LITTLE_ENDIAN, type MessageWriter } from '../netlink/attributes.js';
import { NLM_F_DUMP, NLM_F_REQUEST } from '../netlink/constants.js';
import { messageAttributes, payloadStart, type NetlinkMessage } from '../netlink/message.js';
import { RtnlApi, familiesOf } from './base.js';
import {
  AF_INET6,
  NDA_DST,
  NDA_LLADDR,
  NDMSG_LEN,
  NUD_DELAY,
  NUD_FAILED,
  NUD_INCOMPLETE,
  NUD_NOARP,
  NUD_PERMANENT,
  NUD_PROBE,
  NUD_REACHABLE,
  NUD_STALE,
  RTM_GETNEIGH,
} from './constants.js';

/** Neighbour states, as `ip neigh` prints them. */
export type NeighbourState = 'INCOMPLETE' | 'REACHABLE' | 'STALE' | 'DELAY' | 'PROBE' | 'FAILED' | 'NOARP' | 'PERMANENT' | 'NONE';

const STATES: [number, NeighbourState][] = [
  [NUD_INCOMPLETE, 'INCOMPLETE'],
  [NUD_REACHABLE, 'REACHABLE'],
  [NUD_STALE, 'STALE'],
  [NUD_DELAY, 'DELAY'],
  [NUD_PROBE, 'PROBE'],
  [NUD_FAILED, 'FAILED'],
  [NUD_NOARP, 'NOARP'],
  [NUD_PERMANENT, 'PERMANENT'],
];

/** A neighbour entry (`ip neigh show`). */
export interface Neighbour {
  family: FamilyName;
  /** The neighbour's IP address. */
  address: string;
  /** The interface it is on (its index if the name is unknown). */
  dev: string;
  /** The interface index. */
  ifindex: number;
  /** Its link-layer address, once resolved. */
  lladdr?: string;
  /** The NUD state. */
  state: NeighbourState;
}

/** Writes a neighbour dump request for one family (0 for both). */
export function encodeNeighbourDumpRequest(writer: MessageWriter, family: number): void {
  writer.u8(family);
  writer.zeros(NDMSG_LEN - 1);
}

/** Decodes an RTM_NEWNEIGH / RTM_DELNEIGH message; undefined for entries without an IP address. */
export function decodeNeighbour(message: NetlinkMessage, linkName: (index: number) => string | undefined): Neighbour | undefined {
  const base = payloadStart(message);
  const view = new DataView(message.data.buffer, message.data.byteOffset, message.data.byteLength);
  const family = message.data[base]!;
  const ifindex = view.getInt32(base + 4, HOST_IS_LITTLE_ENDIAN);
  const stateBits = view.getUint16(base + 8, HOST_IS_LITTLE_ENDIAN);
  const attrs = messageAttributes(message, NDMSG_LEN);
  const dst = attrs.bytes(NDA_DST);
  if (dst === undefined || (dst.length !== 4 && dst.length !== 16)) return undefined;
  const neighbour: Neighbour = {
    family: familyName(family === AF_INET6 ? 6 : 4),
    address: formatAddress(dst),
    dev: linkName(ifindex) ?? String(ifindex),
    ifindex,
    state: STATES.find(([bit]) => stateBits & bit)?.[1] ?? 'NONE',
  };
  const lladdr = attrs.bytes(NDA_LLADDR);
  if (lladdr && lladdr.length > 0) neighbour.lladdr = Array.from(lladdr, (b) => b.toString(16).padStart(2, '0')).join(':');
  return neighbour;
}

/** Which neighbours {@link NeighbourApi.list} returns. */
export interface NeighbourFilter {
  /** Only this family (default: both). */
  family?: FamilyName;
  /** Only entries on this interface (its name or an altname, as `ip neigh show dev`). */
  dev?: string;
}

const NEIGHBOUR_FILTER_KEYS: ReadonlySet<string> = new Set(['family', 'dev']);

/** Neighbours (`ip neigh`) in one namespace. */
export class NeighbourApi extends RtnlApi {
  /**
   * Lists neighbour entries, IPv4 first, like `ip neigh show nud all`: every state, NOARP and
   * NONE entries included (plain `ip neigh show` hides those; `state` tells them apart). An
   * interface the namespace lacks, or an unknown filter key, is a ValidationError.
   */
  async list(filter: NeighbourFilter = {}): Promise<Neighbour[]> {
    knownKeys(plainObject(filter, 'filter'), 'filter', NEIGHBOUR_FILTER_KEYS);
    const families = familiesOf(filter.family);
    const dev = filter.dev !== undefined ? interfaceLookupName(filter.dev, 'filter.dev') : undefined;
    const [names, ifindex] = await this.linkNamesAndFilterDev('listNeighbours', dev);
    const out: Neighbour[] = [];
    for (const family of families) {
      const messages = await this.connection.dump({ operation: 'listNeighbours' }, RTM_GETNEIGH, NLM_F_REQUEST | NLM_F_DUMP, (w) => encodeNeighbourDumpRequest(w, family));
      for (const message of messages) {
        const neighbour = decodeNeighbour(message, (i) => names.get(i));
        // By index: `dev` may be an altname, and listed entries carry the link's name.
        if (neighbour === undefined || (ifindex !== undefined && neighbour.ifindex !== ifindex)) continue;
        out.push(neighbour);
      }
    }
    return out;
  }
}
