/**
 * Fault injection for the fake Trifacta, like the TigerGraph fake's (latency, 5xx, dropped
 * connections, malformed bodies; counted or at seeded rates), plus the fault that matters most
 * for a create that is not idempotent: the token is minted, then the answer is lost.
 */
import { prng } from '../tigergraph/faults.js';

export type FakeTrifactaOp = 'create' | 'list' | 'get' | 'delete' | 'other';

export interface FakeTrifactaFaults {
  /** Added delay before every answer, ms. A request whose client left meanwhile is not processed. */
  latencyMs?: number;
  /** Share (0..1) of requests answered with `errorStatus` before processing. */
  errorRate?: number;
  /** Status for injected errors. Default 500. */
  errorStatus?: 500 | 502 | 503 | 504;
  /** Share (0..1) of requests whose socket is destroyed before processing. */
  dropRate?: number;
  /** Share (0..1) of requests answered 2xx with a truncated JSON body, before processing. */
  malformedRate?: number;
  /** The next n matching requests answer `errorStatus`, unprocessed. */
  failNext?: number;
  /** The next n matching requests get their connection dropped, unprocessed. */
  dropNext?: number;
  /** The next n matching requests get a truncated 2xx body, unprocessed. */
  malformedNext?: number;
  /** The next n creates mint the token, then lose the answer as `lostMintAs` says. */
  lostMintNext?: number;
  /**
   * How a minted token's answer is lost: 'drop' (default) destroys the socket; 'error' answers
   * `errorStatus`; 'malformed' answers a truncated 201 (without the value); 'hang' never answers.
   */
  lostMintAs?: 'drop' | 'error' | 'malformed' | 'hang';
  /** Seed of the PRNG behind the rates (default 1). */
  seed?: number;
  /** Only requests of these operations are faulted (default: all). */
  ops?: FakeTrifactaOp[];
}

export type FaultAction = { kind: 'none' } | { kind: 'drop' } | { kind: 'error'; status: number } | { kind: 'malformed' };
export type LostMint = 'drop' | 'error' | 'malformed' | 'hang';

export class FaultPlan {
  private faults: FakeTrifactaFaults = {};
  private random: () => number = prng(1);

  set(faults: FakeTrifactaFaults): void {
    this.faults = { ...faults };
    this.random = prng(faults.seed ?? 1);
  }

  applies(op: FakeTrifactaOp): boolean {
    return !this.faults.ops || this.faults.ops.includes(op);
  }

  latencyMs(op: FakeTrifactaOp): number {
    return this.applies(op) ? (this.faults.latencyMs ?? 0) : 0;
  }

  errorStatus(): number {
    return this.faults.errorStatus ?? 500;
  }

  /** Decides (and consumes counters for) one request, before it is processed. */
  before(op: FakeTrifactaOp): FaultAction {
    if (!this.applies(op)) return { kind: 'none' };
    const f = this.faults;
    if (f.dropNext && f.dropNext > 0) {
      f.dropNext--;
      return { kind: 'drop' };
    }
    if (f.failNext && f.failNext > 0) {
      f.failNext--;
      return { kind: 'error', status: this.errorStatus() };
    }
    if (f.malformedNext && f.malformedNext > 0) {
      f.malformedNext--;
      return { kind: 'malformed' };
    }
    if (f.dropRate && this.random() < f.dropRate) return { kind: 'drop' };
    if (f.errorRate && this.random() < f.errorRate) return { kind: 'error', status: this.errorStatus() };
    if (f.malformedRate && this.random() < f.malformedRate) return { kind: 'malformed' };
    return { kind: 'none' };
  }

  /** For a create that minted: how its answer is lost, if it is (consumes the counter). */
  afterMint(): LostMint | undefined {
    const f = this.faults;
    if (!this.applies('create') || !f.lostMintNext || f.lostMintNext <= 0) return undefined;
    f.lostMintNext--;
    return f.lostMintAs ?? 'drop';
  }
}
