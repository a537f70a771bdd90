import { MessageWriter } from '../netlink/attributes.js';
import type { Connection } from '../netlink/connection.js';
import { NetlinkError, ValidationError } from '../netlink/errors.js';
import { messageAttributes, payloadStart, type NetlinkMessage } from '../netlink/message.js';
import { NLM_F_DUMP, NLM_F_REQUEST } from '../netlink/constants.js';
import { HOST_IS_LITTLE_ENDIAN } from '../netlink/attributes.js';
import {
  AF_UNSPEC,
  IFINFOMSG_LEN,
  IFLA_EXT_MASK,
  IFLA_IFNAME,
  RTEXT_FILTER_SKIP_STATS,
  RTEXT_FILTER_VF,
  RTM_GETLINK,
} from './constants.js';

/** Writes struct ifinfomsg. */
export function encodeIfinfo(writer: MessageWriter, family: number, index: number, flags = 0, change = 0): void {
  writer.u8(family);
  writer.u8(0);
  writer.u16(0); // type
  writer.s32(index);
  writer.u32(flags);
  writer.u32(change);
}

/** Writes the RTM_GETLINK request iproute2 uses to look a name up. */
export function encodeLinkLookup(writer: MessageWriter, name: string): void {
  encodeIfinfo(writer, AF_UNSPEC, 0);
  writer.attrU32(IFLA_EXT_MASK, RTEXT_FILTER_VF | RTEXT_FILTER_SKIP_STATS);
  writer.attrString(IFLA_IFNAME, name);
}

/** The index and name in an RTM_NEWLINK message. */
export function decodeLinkIdentity(message: NetlinkMessage): { index: number; name: string | undefined } {
  const view = new DataView(message.data.buffer, message.data.byteOffset);
  const index = view.getInt32(payloadStart(message) + 4, HOST_IS_LITTLE_ENDIAN);
  return { index, name: messageAttributes(message, IFINFOMSG_LEN).string(IFLA_IFNAME) };
}

/**
 * Interface names resolved to indexes for one call: each name is asked once, and a name the
 * namespace does not have becomes a ValidationError naming the field, before anything changes.
 */
export async function resolveInterfaces(
  connection: Connection,
  names: Iterable<[name: string, field: string]>,
  netnsLabel: string | undefined,
): Promise<Map<string, number>> {
  const unique = new Map<string, string>();
  for (const [name, field] of names) if (!unique.has(name)) unique.set(name, field);
  const result = new Map<string, number>();
  await Promise.all(
    [...unique].map(async ([name, field]) => {
      try {
        const replies = await connection.request({ operation: 'lookupLink' }, RTM_GETLINK, NLM_F_REQUEST, (w) => encodeLinkLookup(w, name));
        const reply = replies[0];
        if (!reply) throw new ValidationError(field, name, `no such interface${netnsLabel ? ` in namespace ${netnsLabel}` : ''}`);
        result.set(name, decodeLinkIdentity(reply).index);
      } catch (error) {
        if (error instanceof NetlinkError && (error.code === 'ENODEV' || error.code === 'ENOENT')) {
          throw new ValidationError(field, name, `no such interface${netnsLabel ? ` in namespace ${netnsLabel}` : ''}`);
        }
        throw error;
      }
    }),
  );
  return result;
}

/** Index -> name for every link in the namespace (one dump). */
export async function linkNameMap(connection: Connection): Promise<Map<number, string>> {
  const messages = await connection.dump({ operation: 'listLinks' }, RTM_GETLINK, NLM_F_REQUEST | NLM_F_DUMP, (w) => {
    encodeIfinfo(w, AF_UNSPEC, 0);
    w.attrU32(IFLA_EXT_MASK, RTEXT_FILTER_VF | RTEXT_FILTER_SKIP_STATS);
  });
  const names = new Map<number, string>();
  for (const message of messages) {
    const { index, name } = decodeLinkIdentity(message);
    if (name !== undefined) names.set(index, name);
  }
  return names;
}
