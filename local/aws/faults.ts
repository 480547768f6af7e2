/** Fault injection for the local AWS endpoint: random throttling and scripted failures. */
import { AwsServiceError, statusForErrorType, throttling } from './errors.js';

export interface FaultConfig {
  /** Probability (0..1) that a request is answered with ThrottlingException. */
  throttleRate?: number;
  /** Limits throttling to these operations (for example `['GetSecretValue']`); all when absent. */
  throttleOperations?: string[];
  /** The next `count` calls of `operation` fail with `errorType` (for example `InternalServiceError`). */
  failNext?: { operation: string; errorType: string; count: number };
}

export class FaultInjector {
  private throttleRate = 0;
  private throttleOperations: ReadonlySet<string> | undefined;
  private failNext: { operation: string; errorType: string; remaining: number } | undefined;

  constructor(private readonly random: () => number = Math.random) {}

  /** Replaces the whole configuration; `set({})` turns every fault off. */
  set(config: FaultConfig): void {
    const rate = config.throttleRate ?? 0;
    if (!(rate >= 0 && rate <= 1)) throw new RangeError('throttleRate must be between 0 and 1');
    this.throttleRate = rate;
    this.throttleOperations = config.throttleOperations ? new Set(config.throttleOperations) : undefined;
    const next = config.failNext;
    if (next && (!Number.isInteger(next.count) || next.count < 0)) {
      throw new RangeError('failNext.count must be a non-negative integer');
    }
    this.failNext = next && next.count > 0 ? { ...next, remaining: next.count } : undefined;
  }

  /** The injected error for this call, if any. Scripted failures take precedence over throttling. */
  check(operation: string): AwsServiceError | undefined {
    const next = this.failNext;
    if (next && next.operation === operation) {
      next.remaining -= 1;
      if (next.remaining <= 0) this.failNext = undefined;
      return new AwsServiceError(
        next.errorType,
        `Injected fault: ${next.errorType}`,
        statusForErrorType(next.errorType),
      );
    }
    const throttled =
      this.throttleRate > 0 &&
      (!this.throttleOperations || this.throttleOperations.has(operation)) &&
      this.random() < this.throttleRate;
    return throttled ? throttling() : undefined;
  }
}
