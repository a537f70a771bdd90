/** ctnetlink: conntrack flows and marks. */
export { ConntrackApi, type BulkFlowResult, type FlowOutcome, type ManyResult, type BulkOptions, type MarkOptions } from './api.js';
export { FlowEvents, type FlowEvent, type FlowEventType, type FlowEventOptions } from './events.js';
export type { FlowFilter } from './filter.js';
export type { Flow, FlowKey, FlowSpec, FlowTuple, FlowCounters, FlowProtocolName, SctpVtags } from './flow.js';
export type { FlowStatus, SctpState, TcpState } from './constants.js';
