/** The netlink layer: framing, attributes, batches, connections and errors. */
export { Attributes, MessageWriter, align4, HOST_IS_LITTLE_ENDIAN } from './attributes.js';
export { Batch, type BatchChunk, type BatchOptions, DEFAULT_REPLY_COST } from './batch.js';
export { Connection, type BatchResult, type ConnectionOptions } from './connection.js';
export * as netlinkConstants from './constants.js';
export { errnoName, errnoNumber, errnoDescription } from './errno.js';
export { NetlinkError, ValidationError, type ExtendedAck, type OperationRef, type NetlinkErrorOptions } from './errors.js';
export { parseMessages, parseErrorPayload, messageAttributes, messageBytes, payloadStart, type NetlinkMessage, type ErrorPayload } from './message.js';
export type { Transport } from './transport.js';
export type { ConnectionProvider } from './provider.js';
