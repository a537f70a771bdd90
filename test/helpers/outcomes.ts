/**
 * Outcomes compared in the differential tests: what routemark did with one operation (done, or
 * refused and how) against what a real tool did with the same operation.
 */
import { constants } from 'node:os';
import { NetlinkError, ValidationError } from '../../src/index.js';
import type { CommandOutcome } from './shell.js';

/** What routemark did with one operation: succeeded, or refused (and how). */
export type RoutemarkOutcome = { ok: true } | { ok: false; error: unknown };

/** Runs one routemark operation and says how it ended. */
export async function outcomeOf(work: () => Promise<unknown>): Promise<RoutemarkOutcome> {
  try {
    await work();
    return { ok: true };
  } catch (error) {
    return { ok: false, error };
  }
}

/** One line on a routemark error, for failure messages. */
export function describeError(error: unknown): string {
  if (error instanceof NetlinkError) return `NetlinkError ${error.code}${error.extAckMessage ? ` ("${error.extAckMessage}")` : ''}`;
  if (error instanceof ValidationError) return `ValidationError on ${error.field}: ${error.message}`;
  return `${(error as Error)?.name ?? 'throw'}: ${String(error)}`;
}

const errno = constants.errno;

/**
 * strerror(3) texts `ip` prints ("RTNETLINK answers: ..."), by errno value: compared by value,
 * since Linux has two names for 95 (EOPNOTSUPP, ENOTSUP).
 */
const IP_STRERROR: Readonly<Record<string, number>> = {
  'Operation not permitted': errno.EPERM,
  'No such file or directory': errno.ENOENT,
  'No such process': errno.ESRCH,
  'No such device': errno.ENODEV,
  'File exists': errno.EEXIST,
  'Invalid argument': errno.EINVAL,
  'Permission denied': errno.EACCES,
  'Network is unreachable': errno.ENETUNREACH,
  'No route to host': errno.EHOSTUNREACH,
  'Network is down': errno.ENETDOWN,
  'Operation not supported': errno.EOPNOTSUPP,
  'Cannot assign requested address': errno.EADDRNOTAVAIL,
  'Numerical result out of range': errno.ERANGE,
  'Resource temporarily unavailable': errno.EAGAIN,
  'Device or resource busy': errno.EBUSY,
  'Too many levels of symbolic links': errno.ELOOP,
  'Address family not supported by protocol': errno.EAFNOSUPPORT,
  'Protocol not supported': errno.EPROTONOSUPPORT,
};

/**
 * Why routemark's outcome disagrees with `ip`'s, or undefined if they agree: both succeeded, or
 * both refused, routemark before any I/O (a ValidationError) or with the kernel's own refusal
 * (the extended-ACK text ip printed, or the errno it named).
 */
export function ipDisagreement(ip: CommandOutcome, routemark: RoutemarkOutcome): string | undefined {
  const ipText = ip.output.trim() || '(no output)';
  if (ip.status === 0 && routemark.ok) return undefined;
  if (ip.status === 0 && !routemark.ok) return `ip accepted it, routemark refused it: ${describeError(routemark.error)}`;
  if (routemark.ok) return `ip refused it (${ipText}), routemark accepted it`;
  const error = routemark.error;
  if (error instanceof ValidationError) return undefined;
  if (!(error instanceof NetlinkError)) return `routemark refused it with neither a ValidationError nor a NetlinkError: ${describeError(error)} (ip: ${ipText})`;
  const extAck = /^Error: (.*?)\.?$/m.exec(ipText);
  // ip's own messages also start with "Error:" (say, "Error: argument ... is wrong"): only the
  // kernel's are compared, when routemark heard one too.
  if (extAck && error.extAckMessage !== undefined) {
    return error.extAckMessage.replace(/\.$/, '') === extAck[1] ? undefined : `both refused it, but ip says "${extAck[1]}" and routemark ${describeError(error)}`;
  }
  const answer = /^RTNETLINK answers: (.*)$/m.exec(ipText);
  if (answer) {
    const value = IP_STRERROR[answer[1]!];
    return value === undefined || value === error.errno ? undefined : `both refused it, but ip says errno ${value} (${answer[1]}) and routemark ${describeError(error)} (errno ${error.errno})`;
  }
  // ip refused it before asking the kernel (say, a device it cannot find): the kernel never said.
  return undefined;
}
