import { getSystemErrorMap } from 'node:util';

// libuv's table: negative errno -> [name, description], e.g. -17 -> ['EEXIST', 'file already exists'].
const systemErrors = getSystemErrorMap();

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
