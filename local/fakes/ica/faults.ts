/**
 * Fault injection for the fake ICA: latency, 5xx answers, dropped connections, malformed bodies,
 * and the one that matters most for a token API without revoke: "mint, then drop the connection
 * without answering" (the JWT exists at the server, the client never sees it). Counted ("the next
 * n requests") for deterministic tests or at a rate drawn from a seeded PRNG so a run is reproducible.
 */
export type FakeIcaOp = 'create' | 'refresh' | 'regions' | 'other';

export interface FakeIcaFaults {
  /** Added delay before every answer, ms. */
  latencyMs?: number;
  /** Share (0..1) of requests answered with `errorStatus`. */
  errorRate?: number;
  /** Status for injected errors (default 500). */
  errorStatus?: 500 | 502 | 503;
  /** Share (0..1) of requests whose socket is destroyed before they are processed. */
  dropRate?: number;
  /** Share (0..1) of requests answered 200 with a truncated JSON body. */
  malformedRate?: number;
  /** Share (0..1) of create/refresh requests that mint a JWT and then drop the connection. */
  mintThenDropRate?: number;
  /** The next n matching requests answer `errorStatus`. */
  failNext?: number;
  /** The next n matching requests get their connection dropped before processing. */
  dropNext?: number;
  /** The next n matching requests get a malformed 200 body. */
  malformedNext?: number;
  /** The next n create/refresh requests mint a JWT, then get their connection dropped. */
  mintThenDropNext?: number;
  /** Seed of the PRNG behind the rates (default 1). */
  seed?: number;
  /** Only requests of these operations are faulted (default: all). */
  ops?: FakeIcaOp[];
}

export type FaultAction = { kind: 'none' } | { kind: 'drop' } | { kind: 'error'; status: number } | { kind: 'malformed' } | { kind: 'mint-then-drop' };

/** mulberry32: tiny, seedable, good enough to spread injected faults (same as the TigerGraph fake's). */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const MINTING: ReadonlySet<FakeIcaOp> = new Set(['create', 'refresh']);

export class FaultPlan {
  private faults: FakeIcaFaults = {};
  private random: () => number = prng(1);

  set(faults: FakeIcaFaults): void {
    this.faults = { ...faults };
    this.random = prng(faults.seed ?? 1);
  }

  private applies(op: FakeIcaOp): boolean {
    return !this.faults.ops || this.faults.ops.includes(op);
  }

  latencyMs(op: FakeIcaOp): number {
    return this.applies(op) ? (this.faults.latencyMs ?? 0) : 0;
  }

  /** Decides (and consumes counters for) one request. */
  next(op: FakeIcaOp): FaultAction {
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
    if (MINTING.has(op) && f.mintThenDropNext && f.mintThenDropNext > 0) {
      f.mintThenDropNext--;
      return { kind: 'mint-then-drop' };
    }
    if (f.dropRate && this.random() < f.dropRate) return { kind: 'drop' };
    if (f.errorRate && this.random() < f.errorRate) return { kind: 'error', status };
    if (f.malformedRate && this.random() < f.malformedRate) return { kind: 'malformed' };
    if (MINTING.has(op) && f.mintThenDropRate && this.random() < f.mintThenDropRate) return { kind: 'mint-then-drop' };
    return { kind: 'none' };
  }
}
