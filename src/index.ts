/**
 * routemark: Linux policy routing, nf_tables and conntrack marks over netlink.
 *
 * Use {@link open} for a handle bound to a network namespace, or the top-level functions
 * (addRule, listRoutes, ...) which use a default handle in the current namespace.
 */
export { Handle, open, type OpenOptions } from './handle.js';
export { defaults, closeDefaults } from './default-handle.js';
export type { NetnsRef } from './netns.js';
export { NetlinkError, ValidationError, type ExtendedAck, type OperationRef } from './netlink/errors.js';
export * from './rtnl/index.js';
export * from './nft/index.js';
export * from './ct/index.js';
export * from './sys/index.js';
export * from './top-level/rtnl.js';
export * from './top-level/nft.js';
export * from './top-level/ct.js';
export * from './policy/index.js';
export * from './top-level/policy.js';
export { OWNER_ID_RANGE, ownerId } from './rtnl/owner.js';
