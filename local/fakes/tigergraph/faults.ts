/**
 * Fault injection for the fake: latency, 5xx answers, dropped connections and malformed bodies,
 * either counted ("the next n requests") for deterministic tests or at a rate drawn from a
 * seeded PRNG so a run is reproducible.
 */
export type FakeOp = 'request' | 'refresh' | 'delete' | 'check' | 'echo' | 'version' | 'endpoints' | 'other';

export interface FakeFaults {
  /** Added delay before every answer, ms. */
  latencyMs?: number;
  /** Share (0..1) of requests answered with `errorStatus`. */
  errorRate?: number;
  /** Status for injected errors: 500 (default) or 503. */
  errorStatus?: 500 | 503;
  /** Share (0..1) of requests whose socket is destroyed without an answer. */
  dropRate?: number;
  /** Share (0..1) of requests answered 200 with a truncated JSON body. */
  malformedRate?: number;
  /** The next n matching requests answer `errorStatus`. */
  failNext?: number;
  /** The next n matching requests get their connection dropped. */
  dropNext?: number;
  /** The next n matching requests get a malformed 200 body. */
  malformedNext?: number;
  /** Seed of the PRNG behind the rates (default 1). */
  seed?: number;
  /** Only requests of these operations are faulted (default: all). */
  ops?: FakeOp[];
}

export type FaultAction = { kind: 'none' } | { kind: 'drop' } | { kind: 'error'; status: number } | { kind: 'malformed' };

/** mulberry32: tiny, seedable, good enough to spread injected faults. */
export function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export class FaultPlan {
  private faults: FakeFaults = {};
  private random: () => number = prng(1);

  set(faults: FakeFaults): void {
    this.faults = { ...faults };
    this.random = prng(faults.seed ?? 1);
  }

  get(): FakeFaults {
    return { ...this.faults };
  }

  applies(op: FakeOp): boolean {
    return !this.faults.ops || this.faults.ops.includes(op);
  }

  latencyMs(op: FakeOp): number {
    return this.applies(op) ? (this.faults.latencyMs ?? 0) : 0;
  }

  /** Decides (and consumes counters for) one request. */
  next(op: FakeOp): FaultAction {
    if (!this.applies(op)) return { kind: 'none' };
    const f = this.faults;
    const status = f.errorStatus ?? 500;
    if (f.dropNext && f.dropNext > 0) {
      f.dropNext--;
      return { kind: 'drop' };
    }
    if (f.failNext && f.failNext > 0) {
      f.failNext--;
      return { kind: 'error', status };
    }
    if (f.malformedNext && f.malformedNext > 0) {
      f.malformedNext--;
      return { kind: 'malformed' };
    }
    if (f.dropRate && this.random() < f.dropRate) return { kind: 'drop' };
    if (f.errorRate && this.random() < f.errorRate) return { kind: 'error', status };
    if (f.malformedRate && this.random() < f.malformedRate) return { kind: 'malformed' };
    return { kind: 'none' };
  }
}
