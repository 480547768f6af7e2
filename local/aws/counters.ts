/**
 * Per-operation counters of answered requests, kept beside the request log so a benchmark can
 * read achieved rates and throttle counts without scanning (or keeping) the whole log.
 */
import type { RequestLogEntry } from './http.js';

export interface OperationCounts {
  /** Requests answered. */
  calls: number;
  succeeded: number;
  /** Answered with an error, throttled ones included. */
  failed: number;
  /** Answered ThrottlingException (over a quota, or an injected fault). */
  throttled: number;
  /**
   * Real time (ms since the epoch, not the endpoint's clock, which tests move) of the first and
   * last answer counted: `succeeded / ((lastAtMs - firstAtMs) / 1000)` is the achieved rate.
   */
  firstAtMs: number;
  lastAtMs: number;
}

export class OperationCounters {
  private counts = new Map<string, OperationCounts>();

  constructor(private readonly now: () => number = Date.now) {}

  record(entry: RequestLogEntry): void {
    const at = this.now();
    let c = this.counts.get(entry.operation);
    if (!c) {
      c = { calls: 0, succeeded: 0, failed: 0, throttled: 0, firstAtMs: at, lastAtMs: at };
      this.counts.set(entry.operation, c);
    }
    c.calls += 1;
    if (entry.status < 400) c.succeeded += 1;
    else c.failed += 1;
    if (entry.throttled) c.throttled += 1;
    c.lastAtMs = at;
  }

  reset(): void {
    this.counts = new Map();
  }

  /** A copy, by operation name. */
  snapshot(): Record<string, OperationCounts> {
    return Object.fromEntries([...this.counts].map(([op, c]) => [op, { ...c }]));
  }
}
