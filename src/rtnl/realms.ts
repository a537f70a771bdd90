/**
 * Routing realms, which routes (RTA_FLOW, also per path) and rules (FRA_FLOW) carry as the same
 * u32: the source realm in the high 16 bits, the realm in the low ones.
 */
import { integerInRange } from '../common/validate.js';
import { ValidationError } from '../netlink/errors.js';

/** The fields that name realms, on a route, a path or a rule. */
export interface Realms {
  realm?: number;
  fromRealm?: number;
}

/**
 * The flow word of `realm` and `fromRealm` (1..65535 each), or undefined for neither. Only IPv4
 * has realms: `what` names the objects for the error (`routes`, `rules`).
 */
export function resolveRealms(object: { realm?: unknown; fromRealm?: unknown }, field: string, family: 4 | 6, what: string): number | undefined {
  if (object.realm === undefined && object.fromRealm === undefined) return undefined;
  const key = object.realm !== undefined ? 'realm' : 'fromRealm';
  if (family !== 4) throw new ValidationError(`${field}.${key}`, object[key], `only IPv4 ${what} have realms`);
  const to = object.realm !== undefined ? integerInRange(object.realm, `${field}.realm`, 1, 0xffff, 'a realm 1..65535') : 0;
  const from = object.fromRealm !== undefined ? integerInRange(object.fromRealm, `${field}.fromRealm`, 1, 0xffff, 'a realm 1..65535') : 0;
  return ((from << 16) | to) >>> 0;
}

/** Sets `realm` and `fromRealm` of `target` from a flow word (none if absent, or where 0). */
export function decodeRealms(flow: number | undefined, target: Realms): void {
  if (flow === undefined) return;
  if ((flow & 0xffff) !== 0) target.realm = flow & 0xffff;
  if (flow >>> 16 !== 0) target.fromRealm = flow >>> 16;
}
