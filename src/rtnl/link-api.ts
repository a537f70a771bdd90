/** Links (`ip link`) and addresses (`ip addr`). */
import { closeSync, openSync } from 'node:fs';
import { formatAddress, type FamilyName } from '../common/ip.js';
import { integerInRange, interfaceLookupName, knownKeys, plainObject } from '../common/validate.js';
import { NLM_F_DUMP, NLM_F_REQUEST } from '../netlink/constants.js';
import { NetlinkError, ValidationError, fromSystemError } from '../netlink/errors.js';
import { Errno } from '../netlink/errno.js';
import { native } from '../native.js';
import type { NetlinkMessage } from '../netlink/message.js';
import { ADDRESS_REQUESTS, addressFlags, addressIfindex, addressProtocolCode, addressProtocolName, decodeAddress, encodeAddress, encodeAddressDumpRequest, resolveAddress, type Address, type AddressProtocolName } from './addresses.js';
import { ownedFilter } from './owner.js';
import { RtnlApi, attributeTo, familyCode } from './base.js';
import { IFA_F_DADFAILED, IFA_F_TENTATIVE, RTM_GETADDR, RTM_GETLINK } from './constants.js';
import {
  LINK_REQUESTS,
  NETNS_ATTRIBUTES,
  checkLinkChanges,
  checkLinkSpec,
  decodeLink,
  decodeLinkIdentity,
  dumpLinks,
  encodeIfinfo,
  encodeLinkChange,
  encodeLinkCreate,
  encodeLinkLookup,
  tunFlags,
  type Link,
  type LinkChanges,
  type LinkNetns,
  type LinkSpec,
  type NetnsTarget,
  type TunSpec,
} from './links.js';
import { AF_UNSPEC } from './constants.js';

/**
 * A namespace for IFLA_NET_NS_FD / IFLA_NET_NS_PID: a pid is sent as is; a name under /run/netns
 * or a path is opened, and the fd closed once the request is answered.
 */
function netnsTarget(netns: LinkNetns, field: string): NetnsTarget {
  if (typeof netns === 'number') {
    integerInRange(netns, field, 1, 0x7fffffff, 'a process id');
    return { attribute: NETNS_ATTRIBUTES.pid, value: netns, release: () => {} };
  }
  if (typeof netns !== 'string' || netns === '' || netns.includes('\0') || (!netns.includes('/') && (netns === '.' || netns === '..'))) {
    throw new ValidationError(field, netns, 'expected a namespace name, a path or a pid');
  }
  const path = netns.includes('/') ? netns : `/run/netns/${netns}`;
  let fd: number;
  try {
    fd = openSync(path, 'r');
  } catch {
    throw new ValidationError(field, netns, `no such network namespace (${path})`);
  }
  return { attribute: NETNS_ATTRIBUTES.fd, value: fd, release: () => closeSync(fd) };
}

/** What {@link LinkApi.list} takes as a filter: nothing. */
const LINK_FILTER_KEYS: ReadonlySet<string> = new Set();

/** Network interfaces (`ip link`) in one namespace. */
export class LinkApi extends RtnlApi {
  /**
   * Lists every link, like `ip link show`. It takes no filter: an argument other than an empty
   * object is refused (a ValidationError naming its first key) rather than ignored.
   */
  async list(filter: Record<string, never> = {}): Promise<Link[]> {
    knownKeys(plainObject(filter, 'filter'), 'filter', LINK_FILTER_KEYS);
    const messages = await dumpLinks(this.connection);
    const names = new Map<number, string>();
    const links = messages.map((message) => decodeLink(message, (index) => names.get(index)));
    for (const link of links) names.set(link.index, link.name);
    // Masters and parents may come after their links in the dump: name them now that all are known.
    for (const link of links) {
      if (link.masterIndex !== undefined) link.master = names.get(link.masterIndex);
      if (link.linkIndex !== undefined) link.link = names.get(link.linkIndex);
    }
    return links;
  }

  /** One link by name, altname or index, like `ip link show NAME`; undefined if there is none. */
  async get(nameOrIndex: string | number): Promise<Link | undefined> {
    const message = await this.lookup(nameOrIndex);
    if (message === undefined) return undefined;
    const link = decodeLink(message, () => undefined);
    // Only names: a veth's peer names this link back.
    const nameOf = async (index: number) => {
      const found = await this.lookup(index);
      return found !== undefined ? decodeLinkIdentity(found).name : undefined;
    };
    if (link.masterIndex !== undefined) link.master = await nameOf(link.masterIndex);
    if (link.linkIndex !== undefined) link.link = await nameOf(link.linkIndex);
    return link;
  }

  /** The kernel's message for one link by name or index; undefined if there is none. */
  private async lookup(nameOrIndex: string | number): Promise<NetlinkMessage | undefined> {
    let replies;
    try {
      replies = await this.connection.request({ operation: 'getLink' }, RTM_GETLINK, NLM_F_REQUEST, (w) => {
        if (typeof nameOrIndex === 'number') {
          encodeIfinfo(w, AF_UNSPEC, integerInRange(nameOrIndex, 'link', 1, 0x7fffffff, 'an interface index'));
        } else {
          encodeLinkLookup(w, interfaceLookupName(nameOrIndex, 'link'));
        }
      });
    } catch (error) {
      if (error instanceof NetlinkError && (error.code === 'ENODEV' || error.code === 'ENOENT')) return undefined;
      throw error;
    }
    return replies[0];
  }

  /**
   * Creates a link, like `ip link add`: a veth pair (whose peer may go straight into another
   * namespace), a bridge, a dummy, a VRF, a VLAN or a macvlan; or a persistent tun or tap
   * device, like `ip tuntap add`. A name already taken rejects with EEXIST.
   * @example await handle.links.add({ name: 'v0', kind: 'veth', peer: { name: 'v1', netns: 'guest' } })
   * @example await handle.links.add({ name: 'red', kind: 'vrf', table: 10 })
   * @example await handle.links.add({ name: 'eth0.10', kind: 'vlan', link: 'eth0', vlanId: 10 })
   * @example await handle.links.add({ name: 'tun0', kind: 'tun', owner: 1000 })
   */
  async add(spec: LinkSpec): Promise<void> {
    const checked = checkLinkSpec(spec, 'link', this.tables());
    if (checked.kind === 'tun') return this.addTun(checked);
    const parent = checked.kind === 'vlan' || checked.kind === 'macvlan' ? checked.link : undefined;
    const parentIndex = parent !== undefined ? (await this.interfaces('addLink', [[parent, 'link.link']])).get(parent) : undefined;
    const peerNetns = checked.kind === 'veth' && checked.peer.netns !== undefined ? netnsTarget(checked.peer.netns, 'link.peer.netns') : undefined;
    try {
      await this.single({ operation: 'addLink' }, LINK_REQUESTS.create.type, LINK_REQUESTS.create.flags, (w) => encodeLinkCreate(w, checked, peerNetns, parentIndex));
    } finally {
      peerNetns?.release();
    }
  }

  /** Makes a tun/tap device through the addon (ioctls on /dev/net/tun), then sets its MTU. */
  private async addTun(spec: TunSpec): Promise<void> {
    const operation = 'addLink';
    try {
      native().createTun(this.provider.netnsPath, spec.name, tunFlags(spec), spec.owner ?? -1, spec.group ?? -1);
    } catch (error) {
      const failure = fromSystemError(error, { operation, netns: this.provider.netnsLabel });
      // With IFF_TUN_EXCL the kernel answers EBUSY for a name in use: say what it means.
      if (failure instanceof NetlinkError && failure.code === 'EBUSY' && failure.syscall === 'ioctl(TUNSETIFF)') {
        throw new NetlinkError({ errno: Errno.EEXIST, syscall: failure.syscall, operation, netns: this.provider.netnsLabel, detail: `a link named ${spec.name} exists`, cause: error });
      }
      throw failure;
    }
    if (spec.mtu === undefined) return;
    try {
      await this.set(spec.name, { mtu: spec.mtu });
    } catch (error) {
      // Nothing half made: a device without the MTU asked for goes again.
      await this.delete(spec.name).catch(() => undefined);
      // The caller added a link: the MTU is part of that, and the message says it was this step.
      throw attributeTo(error, operation, 'setting the MTU (RTM_NEWLINK)');
    }
  }

  /** Deletes a link (and a veth's peer with it), like `ip link del`; by its name or an altname. */
  async delete(name: string): Promise<void> {
    const links = await this.interfaces('deleteLink', [[interfaceLookupName(name, 'link'), 'link']]);
    await this.single({ operation: 'deleteLink' }, LINK_REQUESTS.delete.type, LINK_REQUESTS.delete.flags, (w) => encodeIfinfo(w, AF_UNSPEC, links.get(name)!));
  }

  /**
   * Changes a link, like `ip link set NAME up mtu 1400 master br0`; all changes go in one
   * message. `master: null` releases it (`nomaster`); `netns` moves it to another namespace.
   * The link and the master may be named by an altname.
   */
  set(name: string, changes: LinkChanges): Promise<void> {
    return this.setFor('setLink', name, changes);
  }

  /** Sets a link up, like `ip link set NAME up`; its failures name `upLink`. */
  up(name: string): Promise<void> {
    return this.setFor('upLink', name, { up: true });
  }

  /** Sets a link down, like `ip link set NAME down`; its failures name `downLink`. */
  down(name: string): Promise<void> {
    return this.setFor('downLink', name, { up: false });
  }

  /** {@link set} on behalf of `operation` (set, up or down), whose name its failures carry. */
  private async setFor(operation: string, name: string, changes: LinkChanges): Promise<void> {
    const checked = checkLinkChanges(changes);
    const wanted: [string, string][] = [[interfaceLookupName(name, 'link'), 'link']];
    if (typeof checked.master === 'string') wanted.push([checked.master, 'changes.master']);
    const links = await this.interfaces(operation, wanted);
    const netns = checked.netns !== undefined ? netnsTarget(checked.netns, 'changes.netns') : undefined;
    try {
      await this.single({ operation }, LINK_REQUESTS.change.type, LINK_REQUESTS.change.flags, (w) =>
        encodeLinkChange(w, links.get(name)!, checked, typeof checked.master === 'string' ? links.get(checked.master) : undefined, netns),
      );
    } finally {
      netns?.release();
    }
  }
}

/** Which addresses {@link AddressApi.list} returns. */
export interface AddressFilter {
  /** Only this family (default: both). */
  family?: FamilyName;
  /** Only addresses on this interface (its name or an altname, as `ip addr show dev`). */
  dev?: string;
  /** Only addresses with this protocol (IFA_PROTO). */
  protocol?: AddressProtocolName | number;
  /** Only addresses of the handle's owner (its `owner` option; a ValidationError without one). */
  owned?: boolean;
}

const ADDRESS_FILTER_KEYS: ReadonlySet<string> = new Set(['family', 'dev', 'protocol', 'owned']);

/** Interface addresses (`ip addr`) in one namespace. */
export class AddressApi extends RtnlApi {
  /**
   * Adds an address, like `ip addr add 192.0.2.2/24 dev v0`. Rejects with EEXIST if it is there.
   * On a handle with an owner, an address without `protocol` is tagged with the owner id.
   * @example await handle.addresses.add({ address: '2001:db8::2/64', dev: 'v0', nodad: true })
   */
  async add(address: Address): Promise<void> {
    await this.send('add', address);
  }

  /** Adds or updates an address, like `ip addr replace` (idempotent). */
  async replace(address: Address): Promise<void> {
    await this.send('replace', address);
  }

  /** Deletes an address, like `ip addr del`. What {@link list} returns deletes exactly that address. */
  async delete(address: Address): Promise<void> {
    await this.send('delete', address);
  }

  private async send(request: keyof typeof ADDRESS_REQUESTS, address: Address): Promise<void> {
    const resolved = resolveAddress(address);
    // The kernel ignores IFA_PROTO on delete: only adds and replaces carry the owner.
    if (request !== 'delete' && resolved.protocol === undefined && this.owner !== undefined) resolved.protocol = this.owner;
    const operation = `${request}Address`;
    const links = await this.interfaces(operation, [[resolved.dev, 'address.dev']]);
    const { type, flags } = ADDRESS_REQUESTS[request];
    await this.single({ operation }, type, flags, (w) => encodeAddress(w, resolved, links.get(resolved.dev)!));
  }

  /**
   * Resolves once an address is usable: there, and no longer tentative (a new IPv6 address is
   * tentative until duplicate address detection ends, and the kernel will not use it as a
   * route's source before). Rejects with EADDRNOTAVAIL if it is not there or DAD failed, with
   * ETIMEDOUT after `timeoutMs` (default 5000), and with the signal's reason once `signal` aborts.
   * @example await handle.addresses.add(a); await handle.addresses.usable(a);
   */
  async usable(address: Address, timeoutMs = 5000, signal?: AbortSignal): Promise<void> {
    const resolved = resolveAddress(address);
    integerInRange(timeoutMs, 'timeoutMs', 1, 3_600_000, 'a number of milliseconds');
    if (signal !== undefined && !(signal instanceof AbortSignal)) throw new ValidationError('signal', signal, 'expected an AbortSignal');
    signal?.throwIfAborted();
    const operation = 'usableAddress';
    const index = (await this.interfaces(operation, [[resolved.dev, 'address.dev']])).get(resolved.dev)!;
    const local = resolved.local.bytes;
    const fail = (errno: number, detail: string) => new NetlinkError({ errno, operation, netns: this.provider.netnsLabel, detail: `${address.address} on ${resolved.dev}: ${detail}` });
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const messages = await this.connection.dump({ operation }, RTM_GETADDR, NLM_F_REQUEST | NLM_F_DUMP, (w) => encodeAddressDumpRequest(w, resolved.family, index));
      const found = messages.find((m) => {
        const listed = decodeAddress(m, (i) => (i === index ? resolved.dev : undefined));
        return listed.dev === resolved.dev && listed.address.slice(0, listed.address.lastIndexOf('/')) === formatAddress(local);
      });
      if (found === undefined) throw fail(Errno.EADDRNOTAVAIL, 'not there');
      const flags = addressFlags(found);
      if (flags & IFA_F_DADFAILED) throw fail(Errno.EADDRNOTAVAIL, 'duplicate address detection failed');
      if (!(flags & IFA_F_TENTATIVE)) return;
      if (Date.now() >= deadline) throw fail(Errno.ETIMEDOUT, `still tentative after ${timeoutMs} ms`);
      await new Promise((resolve) => setTimeout(resolve, 20));
      signal?.throwIfAborted();
    }
  }

  /** Lists addresses, like `ip addr show`, IPv4 first; `{ owned: true }` lists the owner's. */
  async list(filter: AddressFilter = {}): Promise<Address[]> {
    knownKeys(plainObject(filter, 'filter'), 'filter', ADDRESS_FILTER_KEYS);
    const dev = filter.dev !== undefined ? interfaceLookupName(filter.dev, 'filter.dev') : undefined;
    const owner = ownedFilter(filter.owned, this.owner);
    const protocol = filter.protocol !== undefined ? addressProtocolCode(filter.protocol, 'filter.protocol') : undefined;
    if (owner !== undefined && protocol !== undefined && owner !== protocol) throw new ValidationError('filter.protocol', filter.protocol, `contradicts owned: true (owner ${owner})`);
    const wanted = owner ?? protocol;
    // Listed addresses carry the protocol as a name or number: compare in that form.
    const wantedName = wanted === undefined ? undefined : addressProtocolName(wanted);
    const family = familyCode(filter.family);
    const [names, index] = await this.linkNamesAndFilterDev('listAddresses', dev);
    const addresses: Address[] = [];
    // One dump for both families (AF_UNSPEC): the kernel walks them in family order, IPv4 first.
    const messages = await this.connection.dump({ operation: 'listAddresses' }, RTM_GETADDR, NLM_F_REQUEST | NLM_F_DUMP, (w) => encodeAddressDumpRequest(w, family, index ?? 0));
    for (const message of messages) {
      // By index: `dev` may be an altname, and listed addresses carry the link's name.
      if (index !== undefined && addressIfindex(message) !== index) continue;
      const address = decodeAddress(message, (i) => names.get(i));
      if (wanted !== undefined && address.protocol !== wantedName) continue;
      addresses.push(address);
    }
    return addresses;
  }
}
