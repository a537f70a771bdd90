import type { Connection } from '../netlink/connection.js';
import { NETLINK_NETFILTER, NLM_F_CREATE } from '../netlink/constants.js';
import type { NetlinkMessage } from '../netlink/message.js';
import { NFNL_SUBSYS_CTNETLINK, nfnlType, writeNfgenmsg } from '../netlink/nfnetlink.js';
import type { ConnectionProvider } from '../netlink/provider.js';
import { AF_UNSPEC } from '../rtnl/constants.js';
import { readSysctl } from '../sys/api.js';
import { IPCTNL_MSG_CT_NEW, NFNLGRP_CONNTRACK_NEW } from './constants.js';
import { passesKernelPart, type CompiledFlowFilter } from './filter.js';
import { decodeFlow, type Flow } from './flow.js';
import { CT_REQUESTS, type KernelFlowFilter } from './messages.js';

const NEW_TYPE = nfnlType(NFNL_SUBSYS_CTNETLINK, IPCTNL_MSG_CT_NEW);

/**
 * Whether the namespace reports new flows at all (net.netfilter.nf_conntrack_events: 1 always,
 * 2 while someone listens, 0 never). Unknown counts as no.
 */
function eventsReported(provider: ConnectionProvider): boolean {
  try {
    const value = readSysctl(provider, ['net', 'netfilter', 'nf_conntrack_events']);
    return value === '1' || value === '2';
  } catch {
    return false;
  }
}

/** Whether a new flow may be one a call's dump selects; when unsure (a `where` that throws), yes. */
function matches(ticket: Ticket, flow: Flow): boolean {
  if (!passesKernelPart(ticket.kernel, flow)) return false;
  const { filter } = ticket;
  try {
    return filter.matchesAll || filter.matches(flow);
  } catch {
    return true;
  }
}

/** One bulk call's interest in new flows: those that pass its filter. */
export interface NewFlowTicket {
  /**
   * Whether a matching flow was announced since the last call. A request on the watch socket
   * goes first: the kernel queues its answer behind every event announced before it, so once
   * it is back, every flow made before this call was read.
   */
  sawMatchingFlow(): Promise<boolean>;
  /** Ends the interest (leaves the multicast group when no other call watches). */
  end(): void;
}

interface Ticket {
  filter: CompiledFlowFilter;
  /** The part of the filter a dump applies, as far as the watch can rely on it. */
  kernel: KernelFlowFilter;
  seen: boolean;
}

/**
 * Tells bulk calls whether a flow they may not have dumped was made while they ran. A call
 * joins the new-flow group before its first dump: a flow that existed throughout a dump is in
 * it (the kernel walks its hash table, and starts a bucket over when it lost its place), so the
 * only flows a round can miss are those inserted after the dump began, and each of those is
 * announced here. While none that matches is announced, the call needs no second walk of the
 * whole table (5 ms on an empty namespace with this kernel's 262144 buckets, more under load).
 * One socket per handle, opened on first use, in the group only while a call watches.
 */
export class NewFlowWatcher {
  private connection: Connection | undefined;
  private readonly tickets = new Set<Ticket>();

  constructor(private readonly provider: ConnectionProvider) {}

  /**
   * Starts watching for one call, or returns undefined where it cannot (no event sockets, or the
   * namespace reports no events): the caller then dumps again instead.
   */
  begin(filter: CompiledFlowFilter): NewFlowTicket | undefined {
    if (this.provider.connectionFor === undefined || !eventsReported(this.provider)) return undefined;
    let connection: Connection;
    try {
      connection = this.watchConnection();
      if (this.tickets.size === 0) connection.socket.addMembership(NFNLGRP_CONNTRACK_NEW);
    } catch {
      return undefined;
    }
    // This kernel dumps only zone 0 for a zone-0 filter; kernels that read zone 0 as "any zone"
    // dump them all, so every zone counts as a match there (costing at most a second dump).
    const kernel = filter.kernel.zone === 0 ? { ...filter.kernel, zone: undefined } : filter.kernel;
    const ticket: Ticket = { filter, kernel, seen: false };
    this.tickets.add(ticket);
    return {
      sawMatchingFlow: async () => {
        try {
          await connection.request({ operation: 'watchNewFlows' }, CT_REQUESTS.stats.type, CT_REQUESTS.stats.flags, (w) => writeNfgenmsg(w, AF_UNSPEC));
        } catch {
          return true;
        }
        const seen = ticket.seen;
        ticket.seen = false;
        return seen;
      },
      end: () => {
        if (!this.tickets.delete(ticket) || this.tickets.size > 0) return;
        try {
          connection.socket.dropMembership(NFNLGRP_CONNTRACK_NEW);
        } catch {
          // Closed with the handle meanwhile.
        }
      },
    };
  }

  private watchConnection(): Connection {
    if (this.connection === undefined || this.connection.isClosed) {
      this.connection = this.provider.connectionFor!('conntrack-new-flows', NETLINK_NETFILTER, {
        onUnsolicited: (message) => this.onMessage(message),
        // Lost events may have announced a match.
        onOverrun: () => {
          for (const ticket of this.tickets) ticket.seen = true;
        },
      });
    }
    return this.connection;
  }

  private onMessage(message: NetlinkMessage): void {
    if (this.tickets.size === 0 || message.type !== NEW_TYPE || !(message.flags & NLM_F_CREATE)) return;
    let flow: Flow | undefined;
    try {
      flow = decodeFlow(message);
    } catch {
      flow = undefined;
    }
    for (const ticket of this.tickets) {
      if (ticket.seen) continue;
      ticket.seen = flow === undefined || matches(ticket, flow);
    }
  }
}
