/**
 * Desired state for orchestration agents: ownership, plan/apply with rollback, monitor,
 * failover. planPolicy and applyPolicy are exported from src/top-level/policy.ts, which also
 * takes the default handle.
 */
export type { PolicyPlan, PlanChange, PlanOptions } from './plan.js';
export type { ApplyPolicyOptions, ApplyPolicyResult } from './apply.js';
export type { PolicyDocument, PolicyNftObject } from './document.js';
export { PolicyApplyError, PolicyConflictError } from './errors.js';
export { listTables, ownerTag, parseOwnerTag, type HeldTable } from './nft-tables.js';
export { startMonitor, NetworkMonitor, type MonitorEvent, type MonitorOptions, type MonitorKind, type NetworkSnapshot, type NftChange } from './monitor.js';
export { startFailover, Failover, type FailoverOptions, type FailoverEvent, type Uplink, type UplinkStatus, type UplinkDownReason } from './failover.js';
