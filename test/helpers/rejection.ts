/** What a promise (or a call's promise) rejects with, or undefined if it resolves. */
export async function rejection(work: Promise<unknown> | (() => Promise<unknown>)): Promise<unknown> {
  const promise = typeof work === 'function' ? work() : work;
  return promise.then(() => undefined, (e: unknown) => e);
}
