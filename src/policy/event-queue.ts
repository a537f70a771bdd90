/**
 * The iterator side of an event source (monitor, failover): events queue from the moment an
 * iterator exists; `next()` takes the oldest or waits; the end and a failure reach a waiting
 * `next()` at once. One iterator per source.
 */
export class EventQueue<T> {
  private items: T[] = [];
  private waiting: { resolve: (result: IteratorResult<T>) => void; reject: (error: unknown) => void } | undefined;
  private iterating = false;
  private ended = false;
  private failure: unknown;

  /** `onReturn` runs when the consumer leaves a `for await` early (it should close the source). */
  constructor(
    private readonly what: string,
    private readonly onReturn: () => void,
  ) {}

  /** Whether an iterator was made (events are queued only then). */
  get active(): boolean {
    return this.iterating;
  }

  /** Events waiting for the iterator. */
  get length(): number {
    return this.items.length;
  }

  /** Hands an event to a waiting `next()`, or queues it. Ignored without an iterator or after the end. */
  push(item: T): void {
    if (!this.iterating || this.ended) return;
    if (this.waiting) {
      const { resolve } = this.waiting;
      this.waiting = undefined;
      resolve({ value: item, done: false });
      return;
    }
    this.items.push(item);
  }

  /** Drops what is queued. */
  clear(): void {
    this.items = [];
  }

  /** Ends the iteration after what is queued. */
  end(): void {
    this.ended = true;
    if (this.waiting) {
      const { resolve } = this.waiting;
      this.waiting = undefined;
      resolve({ value: undefined, done: true });
    }
  }

  /** Ends the iteration with an error (after what is queued). */
  fail(error: unknown): void {
    this.failure = error;
    if (this.waiting) {
      const { reject } = this.waiting;
      this.waiting = undefined;
      reject(error);
    }
    this.ended = true;
  }

  /** The one iterator. */
  iterator(): AsyncIterator<T> {
    if (this.iterating) throw new Error(`routemark: a ${this.what} has one iterator`);
    this.iterating = true;
    return {
      next: () => {
        if (this.items.length > 0) return Promise.resolve({ value: this.items.shift()!, done: false });
        if (this.failure !== undefined) return Promise.reject(this.failure);
        if (this.ended) return Promise.resolve({ value: undefined, done: true });
        return new Promise((resolve, reject) => {
          this.waiting = { resolve, reject };
        });
      },
      return: () => {
        this.onReturn();
        return Promise.resolve({ value: undefined, done: true });
      },
    };
  }
}
