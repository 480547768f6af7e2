/**
 * Work the endpoint runs after answering a request (rotations in `async` mode), tracked so tests
 * and local runs can wait for it instead of sleeping. Keyed by secret ARN: the ARN names one
 * secret for its whole life, while a name can be reused after a forced deletion.
 */
export class BackgroundWork {
  private readonly running = new Map<Promise<void>, string>();

  /** Tracks `work` (which must not reject) until it settles. */
  add(key: string, work: Promise<void>): void {
    this.running.set(work, key);
    void work.finally(() => this.running.delete(work));
  }

  /** Whether work for `key` (or any work, without a key) is still running. */
  busy(key?: string): boolean {
    return this.pending(key).length > 0;
  }

  /**
   * Resolves once no work for `key` (or none at all) is running, including work started while
   * waiting: a rotation's invoker may itself start another.
   */
  async settled(key?: string): Promise<void> {
    for (let pending = this.pending(key); pending.length > 0; pending = this.pending(key)) {
      await Promise.all(pending);
    }
  }

  private pending(key: string | undefined): Promise<void>[] {
    return [...this.running].filter(([, k]) => key === undefined || k === key).map(([work]) => work);
  }
}
