/**
 * Fault injection for the fake Trifacta, like the TigerGraph fake's (latency, 5xx, dropped
 * connections, malformed bodies; counted or at seeded rates: ../shared/faults.ts), plus the fault
 * that matters most for a create that is not idempotent: the token is minted, then the answer is lost.
 */
import { FaultPlan, type CommonFaults } from '../shared/faults.js';

export type FakeTrifactaOp = 'create' | 'list' | 'get' | 'delete' | 'other';

/**
 * The shared faults, every one decided before the request is processed (a 2xx malformed body is
 * 201 for a create, 200 otherwise), plus the lost mint. A request whose client left during the
 * injected latency is not processed.
 */
export interface FakeTrifactaFaults extends CommonFaults<FakeTrifactaOp, 500 | 502 | 503 | 504> {
  /** The next n creates mint the token, then lose the answer as `lostMintAs` says. */
  lostMintNext?: number;
  /**
   * How a minted token's answer is lost: 'drop' (default) destroys the socket; 'error' answers
   * `errorStatus`; 'malformed' answers a truncated 201 (without the value); 'hang' never answers.
   */
  lostMintAs?: 'drop' | 'error' | 'malformed' | 'hang';
}

export type LostMint = 'drop' | 'error' | 'malformed' | 'hang';

export class TrifactaFaultPlan extends FaultPlan<FakeTrifactaOp, FakeTrifactaFaults> {
  /** For a create that minted: how its answer is lost, if it is (consumes the counter). */
  afterMint(): LostMint | undefined {
    const f = this.faults;
    if (!this.applies('create') || !f.lostMintNext || f.lostMintNext <= 0) return undefined;
    f.lostMintNext--;
    return f.lostMintAs ?? 'drop';
  }
}
