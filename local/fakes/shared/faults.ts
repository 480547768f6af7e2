/**
 * The fault injection every fake offers: latency, 5xx answers, dropped connections and malformed
 * bodies, either counted ("the next n requests") for deterministic tests or at a rate drawn from a
 * seeded PRNG so a run is reproducible. A fake with faults of its own (ICA's mint-then-drop,
 * Trifacta's lost mint) extends FaultPlan.
 *
 * The order is fixed, because seeded tests replay it (test/reliability/helpers.ts): first the
 * counters (dropNext, failNext, malformedNext), then one draw per enabled rate (dropRate,
 * errorRate, malformedRate), stopping at the first hit. A subclass's own counters come after the
 * shared counters, its own rates after the shared rates.
 */

/** Faults every fake takes; `Op` names the fake's operations, `Status` its injectable statuses. */
export interface CommonFaults<Op extends string, Status extends number = number> {
  /** Added delay before every answer, ms. */
  latencyMs?: number;
  /** Share (0..1) of requests answered with `errorStatus`, unprocessed. */
  errorRate?: number;
  /** Status for injected errors (default 500). */
  errorStatus?: Status;
  /** Share (0..1) of requests whose socket is destroyed without an answer, unprocessed. */
  dropRate?: number;
  /** Share (0..1) of requests answered with a success status and a truncated JSON body, unprocessed. */
  malformedRate?: number;
  /** The next n matching requests answer `errorStatus`, unprocessed. */
  failNext?: number;
  /** The next n matching requests get their connection dropped, unprocessed. */
  dropNext?: number;
  /** The next n matching requests get a truncated success body, unprocessed. */
  malformedNext?: number;
  /** Seed of the PRNG behind the rates (default 1). */
  seed?: number;
  /** Only requests of these operations are faulted (default: all). */
  ops?: Op[];
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

/**
 * The fault plan of one fake. `F` is its fault options, `Extra` the actions its own faults add
 * (decided by overriding `counted` and `drawn`, calling super first).
 */
export class FaultPlan<Op extends string, F extends CommonFaults<Op> = CommonFaults<Op>, Extra extends { kind: string } = never> {
  protected faults = {} as F;
  protected random: () => number = prng(1);

  constructor(faults?: F) {
    if (faults) this.set(faults);
  }

  /** Replaces the plan: counters restart, and so does the PRNG (from `seed`). */
  set(faults: F): void {
    this.faults = { ...faults };
    this.random = prng(faults.seed ?? 1);
  }

  get(): F {
    return { ...this.faults };
  }

  applies(op: Op): boolean {
    return !this.faults.ops || this.faults.ops.includes(op);
  }

  latencyMs(op: Op): number {
    return this.applies(op) ? (this.faults.latencyMs ?? 0) : 0;
  }

  errorStatus(): number {
    return this.faults.errorStatus ?? 500;
  }

  /** Decides (and consumes counters for) one request, before it is processed. */
  next(op: Op): FaultAction | Extra {
    if (!this.applies(op)) return { kind: 'none' };
    return this.counted(op) ?? this.drawn(op) ?? { kind: 'none' };
  }

  /** The counted faults, in order; consumes the counter that hits. */
  protected counted(_op: Op): FaultAction | Extra | undefined {
    const f: CommonFaults<Op> = this.faults;
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
    return undefined;
  }

  /** The rates, in order: one draw per enabled rate until one hits. */
  protected drawn(_op: Op): FaultAction | Extra | undefined {
    const f: CommonFaults<Op> = this.faults;
    if (f.dropRate && this.random() < f.dropRate) return { kind: 'drop' };
    if (f.errorRate && this.random() < f.errorRate) return { kind: 'error', status: this.errorStatus() };
    if (f.malformedRate && this.random() < f.malformedRate) return { kind: 'malformed' };
    return undefined;
  }
}
