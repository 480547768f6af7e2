/** Shared setup for the TigerGraph client tests: fakes that close themselves after each test. */
import { afterEach, beforeEach } from 'vitest';
import type { Clock, OffsetClock } from '../../../core/clock.js';
import { clearLifetimeUnitCache, clearVersionCache, type TigerGraphClientOptions, type TigerGraphConnection } from '../../../core/providers/tigergraph/index.js';
import { startFakeTigerGraph, type FakeTigerGraph, type FakeTigerGraphOptions } from '../../../local/fakes/tigergraph/index.js';

export const SECRET = 'k3v9q2m8x7w1p0z5r4t6y8u2i1o3a5s7';
export const USERS = { tigergraph: 'tigergraph-pw-123', alice: 'alice-pw-456' };

/** Fast settings so retry and timeout tests stay well under a second each. */
export const FAST: TigerGraphClientOptions = { timeoutMs: 2_000, maxAttempts: 3, baseDelayMs: 5, maxDelayMs: 20 };

/** Registers per-test cleanup; call at the top of a describe or file. */
export function useFakes(): (options: FakeTigerGraphOptions) => Promise<FakeTigerGraph> {
  const started: FakeTigerGraph[] = [];
  beforeEach(() => {
    clearVersionCache();
    clearLifetimeUnitCache();
  });
  afterEach(async () => {
    await Promise.all(started.splice(0).map((f) => f.close()));
  });
  return async (options) => {
    const fake = await startFakeTigerGraph({ secrets: [SECRET], users: USERS, ...options });
    started.push(fake);
    return fake;
  };
}

/** Connection reaching REST++ and GSQL on the fake's single port (the port is in `host`). */
export function connFor(
  fake: { url: string; version: 3 | 4 },
  extra: Partial<TigerGraphConnection> = {},
): TigerGraphConnection {
  return { host: fake.url, tigergraphVersion: String(fake.version) as '3' | '4', allowInsecureHttp: true, ...extra };
}

export function clockOf(fake: FakeTigerGraph): OffsetClock & Clock {
  return fake.clock;
}

/** Awaits a rejection and returns the error (fails the test if it resolves). */
export async function rejection(p: Promise<unknown>): Promise<Error> {
  try {
    await p;
  } catch (e) {
    return e as Error;
  }
  throw new Error('expected the promise to reject');
}
