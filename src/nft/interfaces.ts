/**
 * Interface names and indexes of the handle's namespace, for `meta iif`/`meta oif` (which
 * hold indexes while JSON names interfaces). One RTM_GETLINK dump, asked only when needed.
 */
import { HOST_IS_LITTLE_ENDIAN } from '../netlink/attributes.js';
import type { Connection } from '../netlink/connection.js';
import { NLM_F_DUMP, NLM_F_REQUEST } from '../netlink/constants.js';
import { messageAttributes } from '../netlink/message.js';
import type { InterfaceNames } from './datatypes.js';

const RTM_GETLINK = 18; // RTM_GETLINK
const IFLA_IFNAME = 3; // IFLA_IFNAME
const IFINFOMSG_SIZE = 16; // sizeof(struct ifinfomsg)

/** Dumps the links of the namespace behind `connection` (a NETLINK_ROUTE connection). */
export async function fetchInterfaces(connection: Connection): Promise<InterfaceNames> {
  const messages = await connection.dump({ operation: 'nft interfaces' }, RTM_GETLINK, NLM_F_REQUEST | NLM_F_DUMP, (writer) => {
    writer.zeros(IFINFOMSG_SIZE);
  });
  const byName = new Map<string, number>();
  const byIndex = new Map<number, string>();
  for (const message of messages) {
    // ifinfomsg.ifi_index, just after the netlink header, family, pad and type.
    const index = new DataView(message.data.buffer, message.data.byteOffset).getInt32(message.start + 16 + 4, HOST_IS_LITTLE_ENDIAN);
    const name = messageAttributes(message, IFINFOMSG_SIZE).string(IFLA_IFNAME);
    if (name === undefined) continue;
    byName.set(name, index);
    byIndex.set(index, name);
  }
  return { index: (name) => byName.get(name), name: (index) => byIndex.get(index) };
}
