/** Top-level nft functions on the default handle (current namespace). */
export {};
