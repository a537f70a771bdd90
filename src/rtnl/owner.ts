/**
 * Owner ids: the protocol number (FRA_PROTOCOL, rtm_protocol) a handle tags its rules and routes
 * with, so that an agent can find, compare and prune what it made and nothing else.
 */
import { ValidationError } from '../netlink/errors.js';
import { PROTOCOL_CODES } from './names.js';

/**
 * The range recommended for owner ids: no routing daemon that iproute2 names uses these
 * numbers (its table stops at 192, eigrp), and the kernel gives them no meaning.
 */
export const OWNER_ID_RANGE = { min: 200, max: 254 } as const;

/** Numbers that never name an owner: what the kernel and `ip` put on routes by themselves. */
const RESERVED = new Map<number, string>([
  [0, 'unspec'], // RTPROT_UNSPEC: "any protocol" in deletes and dump filters
  [1, 'redirect'], // RTPROT_REDIRECT
  [2, 'kernel'], // RTPROT_KERNEL: the kernel's own (connected) routes
  [3, 'boot'], // RTPROT_BOOT: every `ip route add` without proto
  [4, 'static'], // RTPROT_STATIC: administrators' routes
]);

const NAMED = new Map<number, string>(Object.entries(PROTOCOL_CODES).map(([name, code]) => [code, name]));

/**
 * Checks an owner id: an integer 1..255 that neither the kernel nor `ip` uses on its own (0..4
 * are refused: pruning them would delete everyone's routes) and that no routing daemon named
 * by iproute2 uses (bird, zebra, bgp, ...). Ids in {@link OWNER_ID_RANGE} are always safe.
 */
export function ownerId(value: unknown, field = 'owner'): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 0 || value > 255) {
    throw new ValidationError(field, value, `expected an owner id, an integer ${OWNER_ID_RANGE.min}..${OWNER_ID_RANGE.max} (a route protocol number)`);
  }
  const reserved = RESERVED.get(value);
  if (reserved !== undefined) {
    throw new ValidationError(field, value, `protocol ${value} ('${reserved}') is what the kernel and ip put on routes of every other tool; pick an owner id in ${OWNER_ID_RANGE.min}..${OWNER_ID_RANGE.max}`);
  }
  const named = NAMED.get(value);
  if (named !== undefined) {
    throw new ValidationError(field, value, `protocol ${value} belongs to '${named}'; pick an owner id in ${OWNER_ID_RANGE.min}..${OWNER_ID_RANGE.max}`);
  }
  return value;
}

/** What a provider may say about the owner of what it creates (a Handle opened with `owner`). */
export interface OwnerSource {
  readonly owner?: number | undefined;
}

/** The owner of a provider, if it has one. */
export function ownerOf(provider: object): number | undefined {
  return (provider as OwnerSource).owner;
}

/** The owner id a list filter's `owned: true` stands for; a ValidationError if the handle has none. */
export function ownedFilter(owned: unknown, owner: number | undefined, field = 'filter.owned'): number | undefined {
  if (owned === undefined || owned === false) return undefined;
  if (owned !== true) throw new ValidationError(field, owned, 'expected a boolean');
  if (owner === undefined) throw new ValidationError(field, owned, 'the handle has no owner: open it with { owner: ID }');
  return owner;
}
