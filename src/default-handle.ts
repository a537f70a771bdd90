import { Handle } from './handle.js';

let defaultHandle: Handle | undefined;

/**
 * The default handle (current namespace) behind the top-level functions, created on first use.
 * Its sockets do not keep the process alive when idle.
 */
export function defaults(): Handle {
  if (defaultHandle === undefined || defaultHandle.isClosed) defaultHandle = new Handle();
  return defaultHandle;
}

/** Closes the default handle's sockets (it reopens on next use). */
export function closeDefaults(): void {
  defaultHandle?.close();
  defaultHandle = undefined;
}
