/**
 * A tiny mutex for workflow code (plain promises, so it stays deterministic). Outreach writes go
 * through it: an update handler and the main loop must not both draft or persist the same
 * customer's outreach at once, and a status must be checked and persisted as one step.
 */
export class Lock {
  private tail: Promise<void> = Promise.resolve();

  async run<T>(fn: () => Promise<T>): Promise<T> {
    const previous = this.tail;
    let release!: () => void;
    this.tail = new Promise<void>((resolve) => { release = resolve; });
    await previous;
    try {
      return await fn();
    } finally {
      release();
    }
  }
}
