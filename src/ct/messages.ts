import { HOST_IS_LITTLE_ENDIAN, type MessageWriter } from '../netlink/attributes.js';
import { NLMSG_HDRLEN, NLM_F_CREATE, NLM_F_DUMP, NLM_F_EXCL, NLM_F_REQUEST } from '../netlink/constants.js';
import { NFNL_SUBSYS_CTNETLINK, nfnlType, writeNfgenmsg } from '../netlink/nfnetlink.js';
import {
  CTA_MARK,
  CTA_MARK_MASK,
  CTA_TUPLE_ORIG,
  CTA_ZONE,
  IPCTNL_MSG_CT_DELETE,
  IPCTNL_MSG_CT_GET,
  IPCTNL_MSG_CT_GET_STATS,
  IPCTNL_MSG_CT_NEW,
} from './constants.js';
import { encodeTuple, type ResolvedFlowKey } from './flow.js';
import type { FlowRecords } from './records.js';

/** Message type and flags of each ctnetlink request, as the conntrack tool sends them (NLM_F_ACK aside). */
export const CT_REQUESTS = {
  create: { type: nfnlType(NFNL_SUBSYS_CTNETLINK, IPCTNL_MSG_CT_NEW), flags: NLM_F_REQUEST | NLM_F_CREATE | NLM_F_EXCL },
  update: { type: nfnlType(NFNL_SUBSYS_CTNETLINK, IPCTNL_MSG_CT_NEW), flags: NLM_F_REQUEST },
  delete: { type: nfnlType(NFNL_SUBSYS_CTNETLINK, IPCTNL_MSG_CT_DELETE), flags: NLM_F_REQUEST },
  get: { type: nfnlType(NFNL_SUBSYS_CTNETLINK, IPCTNL_MSG_CT_GET), flags: NLM_F_REQUEST },
  dump: { type: nfnlType(NFNL_SUBSYS_CTNETLINK, IPCTNL_MSG_CT_GET), flags: NLM_F_REQUEST | NLM_F_DUMP },
  stats: { type: nfnlType(NFNL_SUBSYS_CTNETLINK, IPCTNL_MSG_CT_GET_STATS), flags: NLM_F_REQUEST },
} as const;

/**
 * Body of a mark update. The kernel computes `(old & ~mask) ^ mark`, so `mark` must have no
 * bits outside `mask` (the API checks it).
 */
export function encodeUpdateMark(writer: MessageWriter, key: ResolvedFlowKey, mark: number, mask: number | undefined): void {
  writeNfgenmsg(writer, key.family);
  encodeTuple(writer, CTA_TUPLE_ORIG, key.original, key.originalZone);
  writer.attrBe32(CTA_MARK, mark);
  if (mask !== undefined) writer.attrBe32(CTA_MARK_MASK, mask);
  if (key.zone !== undefined) writer.attrBe16(CTA_ZONE, key.zone);
}

/**
 * Body of a get or delete request: the original tuple (and zone: inside the tuple when it applies
 * to the original direction only, as `conntrack -D --orig-zone` sends it).
 */
export function encodeFlowKey(writer: MessageWriter, key: ResolvedFlowKey): void {
  writeNfgenmsg(writer, key.family);
  encodeTuple(writer, CTA_TUPLE_ORIG, key.original, key.originalZone);
  if (key.zone !== undefined) writer.attrBe16(CTA_ZONE, key.zone);
}

/**
 * The first bytes of every bulk message of one kind and family: nlmsghdr (length and sequence
 * number filled in later) and nfgenmsg. Bulk writers copy them instead of writing field by field.
 */
export function messageHead(request: { type: number; flags: number }, family: number): Uint8Array {
  const head = new Uint8Array(NLMSG_HDRLEN + 4);
  const view = new DataView(head.buffer);
  view.setUint16(4, request.type, HOST_IS_LITTLE_ENDIAN);
  view.setUint16(6, request.flags, HOST_IS_LITTLE_ENDIAN);
  head[NLMSG_HDRLEN] = family; // nfgenmsg: family, version NFNETLINK_V0, res_id 0
  return head;
}

/** Body (after nfgenmsg) of a mark update for dumped flow `i`: its original tuple copied verbatim. */
export function encodeRecordUpdateMark(writer: MessageWriter, records: FlowRecords, i: number, mark: number, mask: number | undefined): void {
  records.copyTuple(writer, i);
  writer.attrBe32(CTA_MARK, mark);
  if (mask !== undefined) writer.attrBe32(CTA_MARK_MASK, mask);
  const zone = records.zones[i]!;
  if (zone >= 0) writer.attrBe16(CTA_ZONE, zone);
}

/** Body (after nfgenmsg) of a delete for dumped flow `i`: its original tuple copied verbatim. */
export function encodeRecordKey(writer: MessageWriter, records: FlowRecords, i: number): void {
  records.copyTuple(writer, i);
  const zone = records.zones[i]!;
  if (zone >= 0) writer.attrBe16(CTA_ZONE, zone);
}

/** What the kernel can filter a dump by. */
export interface KernelFlowFilter {
  family: number;
  mark?: number;
  markMask?: number;
  zone?: number;
}

/** Body of a dump request with the kernel-side filters. */
export function encodeDump(writer: MessageWriter, filter: KernelFlowFilter): void {
  writeNfgenmsg(writer, filter.family);
  if (filter.mark !== undefined) {
    writer.attrBe32(CTA_MARK, filter.mark);
    writer.attrBe32(CTA_MARK_MASK, filter.markMask ?? 0xffffffff);
  }
  // A top-level CTA_ZONE makes the kernel dump only that zone (checked on this kernel; the
  // CTA_FILTER tuple-filter forms are refused with EINVAL without a tuple family).
  if (filter.zone !== undefined) writer.attrBe16(CTA_ZONE, filter.zone);
}
