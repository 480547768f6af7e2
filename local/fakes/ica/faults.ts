/**
 * Fault injection for the fake ICA: latency, 5xx answers, dropped connections, malformed bodies
 * (the shared machinery, ../shared/faults.ts), and the one that matters most for a token API
 * without revoke: "mint, then drop the connection without answering" (the JWT exists at the
 * server, the client never sees it). Counted ("the next n requests") for deterministic tests or at
 * a rate drawn from a seeded PRNG so a run is reproducible. Order: the shared counters, then
 * mintThenDropNext; the shared rates, then mintThenDropRate.
 */
import { FaultPlan, type CommonFaults } from '../shared/faults.js';

export type FakeIcaOp = 'create' | 'refresh' | 'regions' | 'other';

/** The shared faults (decided before the request is processed; malformed bodies are 200s), plus mint-then-drop. */
export interface FakeIcaFaults extends CommonFaults<FakeIcaOp, 500 | 502 | 503> {
  /** Share (0..1) of create/refresh requests that mint a JWT and then drop the connection. */
  mintThenDropRate?: number;
  /** The next n create/refresh requests mint a JWT, then get their connection dropped. */
  mintThenDropNext?: number;
}

type MintThenDrop = { kind: 'mint-then-drop' };

const MINTING: ReadonlySet<FakeIcaOp> = new Set(['create', 'refresh']);

export class IcaFaultPlan extends FaultPlan<FakeIcaOp, FakeIcaFaults, MintThenDrop> {
  protected override counted(op: FakeIcaOp) {
    const hit = super.counted(op);
    if (hit) return hit;
    const f = this.faults;
    if (MINTING.has(op) && f.mintThenDropNext && f.mintThenDropNext > 0) {
      f.mintThenDropNext--;
      return { kind: 'mint-then-drop' } as const;
    }
    return undefined;
  }

  protected override drawn(op: FakeIcaOp) {
    const hit = super.drawn(op);
    if (hit) return hit;
    const f = this.faults;
    if (MINTING.has(op) && f.mintThenDropRate && this.random() < f.mintThenDropRate) return { kind: 'mint-then-drop' } as const;
    return undefined;
  }
}
