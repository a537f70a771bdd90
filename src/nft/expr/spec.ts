/**
 * The machinery shared by the expression kinds (one file each in this folder): an expression
 * descriptor is a plain object naming the kind (`expr`) and its libnftnl attributes; each kind
 * declares how those attributes map to netlink attributes, in the order libnftnl writes them
 * (tests check every kind byte for byte against libnftnl).
 */
import type { MessageWriter } from '../../netlink/attributes.js';
import { NFTA_DATA_VALUE } from '../constants.js';

/**
 * How an attribute is written. Netlink values of nf_tables expressions are big-endian. Strings
 * end in a NUL, except `chars`: where libnftnl writes a name without it (objref), so does
 * routemark (the kernel reads both).
 */
export type AttrKind = 'u8' | 'u16' | 'u32' | 's32' | 'u64' | 'string' | 'chars' | 'data';

/** One attribute of an expression kind: descriptor key, netlink type, encoding. */
export interface AttrSpec {
  readonly key: string;
  readonly type: number;
  readonly kind: AttrKind;
}

/** Where constants were written while encoding a rule template (see ../template.ts). */
export interface SlotRecorder {
  /** The slot number of a data value that came from a rule constant. */
  readonly slots: Map<Uint8Array, number>;
  /** (slot, byte offset in the writer) for each slot written. */
  readonly written: { slot: number; offset: number }[];
}

/** An expression kind: its name and its attributes in libnftnl's build order. */
export interface ExprKind {
  readonly name: string;
  readonly attrs: readonly AttrSpec[];
  /** A custom encoder, for kinds whose attributes are not all flat (immediate). */
  readonly encode?: (writer: MessageWriter, descriptor: Record<string, unknown>, recorder?: SlotRecorder) => void;
}

/** Writes a data register (NFTA_*_DATA { NFTA_DATA_VALUE bytes }). */
export function writeDataValue(writer: MessageWriter, type: number, bytes: Uint8Array, recorder?: SlotRecorder): void {
  writer.beginNest(type, true);
  if (recorder) {
    const slot = recorder.slots.get(bytes);
    if (slot !== undefined) recorder.written.push({ slot, offset: writer.length + 4 });
  }
  writer.attrBytes(NFTA_DATA_VALUE, bytes);
  writer.endNest();
}

/** Writes the attributes of a descriptor as its kind declares them. */
export function writeAttributes(writer: MessageWriter, kind: ExprKind, descriptor: Record<string, unknown>, recorder?: SlotRecorder): void {
  for (const attr of kind.attrs) {
    const value = descriptor[attr.key];
    if (value === undefined) continue;
    switch (attr.kind) {
      case 'u8':
        writer.attrU8(attr.type, value as number);
        break;
      case 'u16':
        writer.attrBe16(attr.type, value as number);
        break;
      case 'u32':
      case 's32':
        writer.attrBe32(attr.type, value as number);
        break;
      case 'u64':
        writer.attrBe64(attr.type, BigInt(value as number | bigint));
        break;
      case 'string':
        writer.attrString(attr.type, value as string);
        break;
      case 'chars':
        writer.attrBytes(attr.type, Buffer.from(value as string));
        break;
      case 'data':
        writeDataValue(writer, attr.type, value as Uint8Array, recorder);
        break;
    }
  }
}
