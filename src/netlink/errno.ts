import { getSystemErrorMap } from 'node:util';

// libuv's table: negative errno -> [name, description], e.g. -17 -> ['EEXIST', 'file already exists'].
const systemErrors = new Map(getSystemErrorMap()); // a copy: Node uses its own map internally

// Linux errno values libuv does not name, which netlink families do return (nf_tables answers
// a stale generation with ERESTART).
const LINUX_ONLY: ReadonlyArray<[number, string, string]> = [
  [85, 'ERESTART', 'interrupted system call should be restarted'],
  [77, 'EBADFD', 'file descriptor in bad state'],
  [74, 'EBADMSG', 'bad message'],
  [524, 'ENOTSUPP', 'operation not supported (kernel-internal)'],
];
for (const [errno, name, description] of LINUX_ONLY) {
  if (!systemErrors.has(-errno)) systemErrors.set(-errno, [name, description]);
}
// 95 is both ENOTSUP and EOPNOTSUPP on Linux. libuv names it ENOTSUP, "operation not supported on
// socket"; the kernel answers netlink requests with EOPNOTSUPP, and ip, the man pages and this
// library's documentation say so.
systemErrors.set(-95, ['EOPNOTSUPP', 'operation not supported']);


/** The symbolic name of an errno value (`17` -> `'EEXIST'`), or `'E<number>'` if unknown. */
export function errnoName(errno: number): string {
  return systemErrors.get(-Math.abs(errno))?.[0] ?? `E${Math.abs(errno)}`;
}

/** A short description of an errno value (`17` -> `'file already exists'`). */
export function errnoDescription(errno: number): string {
  return systemErrors.get(-Math.abs(errno))?.[1] ?? `error ${Math.abs(errno)}`;
}

/** The errno value of a symbolic name (`'EEXIST'` -> `17`), or undefined if unknown. */
export function errnoNumber(name: string): number | undefined {
  for (const [negative, [entryName]] of systemErrors) {
    if (entryName === name) return -negative;
  }
  return undefined;
}

/** `name`'s value from libuv's table (this platform's), else the asm-generic one. */
function known(name: string, generic: number): number {
  return errnoNumber(name) ?? generic;
}

/** The errno values this library itself raises or tests for, by name. */
export const Errno = {
  ENOENT: known('ENOENT', 2),
  EINTR: known('EINTR', 4),
  EIO: known('EIO', 5),
  EBUSY: known('EBUSY', 16),
  EEXIST: known('EEXIST', 17),
  ENODATA: known('ENODATA', 61),
  EPROTO: known('EPROTO', 71),
  /** nf_tables' answer to a stale ruleset generation. */
  ERESTART: known('ERESTART', 85),
  EMSGSIZE: known('EMSGSIZE', 90),
  EADDRNOTAVAIL: known('EADDRNOTAVAIL', 99),
  ENOBUFS: known('ENOBUFS', 105),
  ETIMEDOUT: known('ETIMEDOUT', 110),
  ECANCELED: known('ECANCELED', 125),
} as const;
