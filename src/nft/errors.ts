import { Errno } from '../netlink/errno.js';
import { NetlinkError } from '../netlink/errors.js';

/**
 * The ruleset changed between the generation a caller read and its apply (the kernel refused
 * the transaction's NFNL_BATCH_GENID with ERESTART). Nothing was applied.
 */
export class RulesetChangedError extends NetlinkError {
  /** The generation the caller expected. */
  readonly expectedGeneration: number;

  constructor(expectedGeneration: number, netns: string | undefined) {
    super({ errno: Errno.ERESTART, operation: 'nft commit', netns });
    this.name = 'RulesetChangedError';
    this.expectedGeneration = expectedGeneration;
    this.message = `nft commit: ERESTART (the ruleset changed since generation ${expectedGeneration} was read; nothing was applied: read it again and retry)`;
  }
}

