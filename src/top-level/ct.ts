/** Top-level conntrack and sysctl functions on the default handle (current namespace). */
import type { BulkFlowResult, MarkOptions, BulkOptions } from '../ct/api.js';
import type { FlowEventOptions, FlowEvents } from '../ct/events.js';
import type { FlowFilter } from '../ct/filter.js';
import type { Flow, FlowKey, FlowSpec } from '../ct/flow.js';
import { defaults } from '../default-handle.js';

/** Lists conntrack flows. See {@link ConntrackApi.list}. */
export function listFlows(filter?: FlowFilter): Promise<Flow[]> {
  return defaults().conntrack.list(filter);
}

/** Counts conntrack flows. See {@link ConntrackApi.count}. */
export function countFlows(filter?: FlowFilter): Promise<number> {
  return defaults().conntrack.count(filter);
}

/** Sets the mark of one flow. See {@link ConntrackApi.updateMark}. */
export function updateFlowMark(flow: FlowKey, mark: number, options?: Pick<MarkOptions, 'mask'>): Promise<void> {
  return defaults().conntrack.updateMark(flow, mark, options);
}

/** Sets the mark of every matching flow. See {@link ConntrackApi.updateMarkWhere}. */
export function updateFlowMarksWhere(filter: FlowFilter, mark: number, options?: MarkOptions): Promise<BulkFlowResult> {
  return defaults().conntrack.updateMarkWhere(filter, mark, options);
}

/** Deletes every matching flow. See {@link ConntrackApi.deleteWhere}. */
export function deleteFlowsWhere(filter: FlowFilter, options?: BulkOptions): Promise<BulkFlowResult> {
  return defaults().conntrack.deleteWhere(filter, options);
}

/** Creates a flow. See {@link ConntrackApi.create}. */
export function createFlow(flow: FlowSpec): Promise<void> {
  return defaults().conntrack.create(flow);
}

/** Flow events. See {@link ConntrackApi.events}. */
export function flowEvents(options?: FlowEventOptions): FlowEvents {
  return defaults().conntrack.events(options);
}
