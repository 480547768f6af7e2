/**
 * Fault injection for the fake: latency, 5xx answers, dropped connections and malformed bodies,
 * either counted ("the next n requests") for deterministic tests or at a rate drawn from a
 * seeded PRNG so a run is reproducible. The machinery is shared (../shared/faults.ts): counters
 * dropNext, failNext, malformedNext first, then one draw per enabled rate in the order dropRate,
 * errorRate, malformedRate, stopping at the first hit.
 */
import type { CommonFaults } from '../shared/faults.js';

export { prng } from '../shared/faults.js';

export type FakeOp = 'request' | 'refresh' | 'delete' | 'check' | 'echo' | 'version' | 'endpoints' | 'other';

/** The shared faults; injected errors answer 500 (default) or 503. */
export type FakeFaults = CommonFaults<FakeOp, 500 | 503>;
