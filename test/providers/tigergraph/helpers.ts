/** Shared setup for the TigerGraph client tests: fakes that close themselves after each test. */
import { beforeEach } from 'vitest';
import { OffsetClock, type Clock } from '../../../core/clock.js';
import { clearLifetimeUnitCache, clearVersionCache, type TigerGraphClientOptions, type TigerGraphConfig } from '../../../core/providers/tigergraph/index.js';
import { startFakeTigerGraph, type FakeTigerGraph, type FakeTigerGraphOptions } from '../../../local/fakes/tigergraph/index.js';
import { closedAfterEach } from '../../helpers/fakes.js';

export { rejection } from '../../helpers/fakes.js';

export const SECRET = 'k3v9q2m8x7w1p0z5r4t6y8u2i1o3a5s7';
export const USERS = { tigergraph: 'tigergraph-pw-123', alice: 'alice-pw-456' };

/** Fast settings so retry and timeout tests stay well under a second each. */
export const FAST: TigerGraphClientOptions = { timeoutMs: 2_000, maxAttempts: 3, baseDelayMs: 5, maxDelayMs: 20 };

/** Registers per-test cleanup; call at the top of a describe or file. */
export function useFakes(): (options: FakeTigerGraphOptions) => Promise<FakeTigerGraph> {
  beforeEach(() => {
    clearVersionCache();
    clearLifetimeUnitCache();
  });
  return closedAfterEach((options: FakeTigerGraphOptions) => startFakeTigerGraph({ secrets: [SECRET], users: USERS, ...options }));
}

/** Connection reaching REST++ and GSQL on the fake's single port (the port is in `host`). */
export function connFor(
  fake: { url: string; version: 3 | 4 },
  extra: Partial<TigerGraphConfig> = {},
): TigerGraphConfig {
  return { host: fake.url, tigergraphVersion: String(fake.version) as '3' | '4', allowInsecureHttp: true, ...extra };
}

/**
 * A clock that does not tick: a fake on it mints every 4.x token in the same second, so "two
 * tokens minted in the same second" is certain rather than likely. `advance` still moves it.
 */
export class FrozenClock extends OffsetClock {
  private at = Math.floor(Date.now() / 1000) * 1000 + 100;
  override now(): number {
    return this.at;
  }
  override advance(seconds: number): void {
    this.at += seconds * 1000;
  }
}

/** A TokenProvider call's `purpose` (the secret and version a token is for). */
export const PURPOSE = { secretName: 'test/tigergraph', versionId: 'v-1' };

/** A HeldToken for provider calls. */
export const held = (token: string) => ({ token, fields: {} });

export function clockOf(fake: FakeTigerGraph): OffsetClock & Clock {
  return fake.clock;
}
