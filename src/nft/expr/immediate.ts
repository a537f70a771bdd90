/** `immediate`: loads a constant or a verdict (accept, drop, jump, ...) into a register. */
import type { MessageWriter } from '../../netlink/attributes.js';
import { NFTA_DATA_VERDICT, NFTA_VERDICT_CHAIN, NFTA_VERDICT_CHAIN_ID, NFTA_VERDICT_CODE } from '../constants.js';
import { writeDataValue, type ExprKind, type SlotRecorder } from './spec.js';

export const NFTA_IMMEDIATE_DREG = 1; // NFTA_IMMEDIATE_DREG
export const NFTA_IMMEDIATE_DATA = 2; // NFTA_IMMEDIATE_DATA

/**
 * An immediate expression descriptor (libnftnl NFTNL_EXPR_IMM_*): either `data` (a value) or
 * `verdict` (NF_ACCEPT, NFT_JUMP, ...) with `chain` for jump and goto.
 */
export interface ImmediateExpr {
  expr: 'immediate';
  dreg?: number;
  data?: Uint8Array;
  verdict?: number;
  chain?: string;
  chainId?: number;
}

/** Writes NFTA_IMMEDIATE_DATA { NFTA_DATA_VERDICT { CODE, CHAIN, CHAIN_ID } }. */
export function writeVerdict(writer: MessageWriter, type: number, verdict: number, chain: string | undefined, chainId?: number): void {
  writer.beginNest(type, true);
  writer.beginNest(NFTA_DATA_VERDICT, true);
  writer.attrBe32(NFTA_VERDICT_CODE, verdict);
  if (chain !== undefined) writer.attrString(NFTA_VERDICT_CHAIN, chain);
  if (chainId !== undefined) writer.attrBe32(NFTA_VERDICT_CHAIN_ID, chainId);
  writer.endNest();
  writer.endNest();
}

export const immediateKind: ExprKind = {
  name: 'immediate',
  attrs: [
    { key: 'dreg', type: NFTA_IMMEDIATE_DREG, kind: 'u32' },
    { key: 'data', type: NFTA_IMMEDIATE_DATA, kind: 'data' },
    { key: 'verdict', type: NFTA_IMMEDIATE_DATA, kind: 's32' },
    { key: 'chain', type: NFTA_IMMEDIATE_DATA, kind: 'string' },
    { key: 'chainId', type: NFTA_IMMEDIATE_DATA, kind: 'u32' },
  ],
  encode(writer: MessageWriter, d: Record<string, unknown>, recorder?: SlotRecorder): void {
    if (d.dreg !== undefined) writer.attrBe32(NFTA_IMMEDIATE_DREG, d.dreg as number);
    if (d.data !== undefined) writeDataValue(writer, NFTA_IMMEDIATE_DATA, d.data as Uint8Array, recorder);
    else if (d.verdict !== undefined) writeVerdict(writer, NFTA_IMMEDIATE_DATA, d.verdict as number, d.chain as string | undefined, d.chainId as number | undefined);
  },
};
