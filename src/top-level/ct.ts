/** Top-level ct functions on the default handle (current namespace). */
export {};
