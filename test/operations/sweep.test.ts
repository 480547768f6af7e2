/**
 * The sweep against the local Secrets Manager endpoint (real SDK, real HTTP) with an in-memory
 * provider: which secrets it finds, when a token is due, what a settle revokes and what it never
 * touches, what each secret costs in calls, and what the summary (and so the alarms) report.
 */
import { describe, expect, it } from 'vitest';
import { sweep, type SweepSummary } from '../../core/operations/sweep.js';
import { loadManaged, managedFrom, refreshPointSeconds, type ManagedSecret } from '../../core/operations/managed-secret.js';
import { FingerprintIndex } from '../../core/operations/holders.js';
import { isSettleDue, settle } from '../../core/operations/settle.js';
import { parseTokenSecret } from '../../core/secrets/token-secret.js';
import { DEFAULT_SETTINGS, type OperationalSettings } from '../../core/settings.js';
import { MemoryProvider, memoryOpener } from '../helpers/memory-provider.js';
import { DAY, tokenJson, useLocalAws } from '../helpers/local-aws.js';

const fx = useLocalAws();

function run(ids: string[] | 'tag', provider: MemoryProvider, settings: Partial<OperationalSettings> = {}, extra: Parameters<typeof sweep>[2] extends infer O ? Partial<O> : never = {}): Promise<SweepSummary> {
  const source = ids === 'tag' ? ({ kind: 'tag' } as const) : ({ kind: 'ids', ids } as const);
  return sweep(source, fx.deps(memoryOpener(provider)), { settings: { ...DEFAULT_SETTINGS, ...settings }, ...extra });
}

function memory(options: ConstructorParameters<typeof MemoryProvider>[0] = {}): MemoryProvider {
  return new MemoryProvider({ now: () => fx.clock.now(), lifetimeSeconds: 30 * DAY, ...options });
}

/**
 * A secret rotated `agoSeconds` ago (default two hours: past the default grace period): the first
 * version, now AWSPREVIOUS, holds `old` (expiring in `oldExpiresIn`, default 20 days; `oldJson`
 * replaces its JSON), the second, AWSCURRENT, holds `token` (expiring in `expiresIn`, default 30
 * days; `retired` lists older versions in its retiredVersionIds).
 */
async function rotatedSecret(
  provider: MemoryProvider,
  options: { name?: string; agoSeconds?: number; expiresIn?: number; oldExpiresIn?: number; oldJson?: Record<string, unknown>; retired?: string[] } = {},
) {
  const old = await provider.issue();
  const { arn } = await fx.createSecret(options.name ?? 'sweep/rot', options.oldJson ?? tokenJson(fx.clock, old.token, options.oldExpiresIn ?? 20 * DAY));
  const oldVersion = Object.keys(fx.labels(arn))[0]!;
  const ago = options.agoSeconds ?? 7200;
  fx.clock.advance(-ago);
  const { token } = await provider.issue();
  await fx.putVersion(arn, tokenJson(fx.clock, token, options.expiresIn ?? 30 * DAY, options.retired ? { retiredVersionIds: options.retired } : {}), ['AWSCURRENT']);
  fx.clock.advance(ago);
  return { arn, token, old: old.token, oldVersion };
}

/** A managed secret whose current token expires in `expiresIn` s; settled (nothing to revoke) unless said otherwise. */
async function secretWith(provider: MemoryProvider, expiresIn: number, options: { settled?: boolean; extra?: Record<string, unknown> } = {}) {
  const { token } = await provider.issue();
  const { arn } = await fx.createSecret('sweep/s', tokenJson(fx.clock, token, expiresIn, options.extra));
  if (options.settled !== false) await fx.putVersion(arn, tokenJson(fx.clock, token, expiresIn, options.extra), ['AWSCURRENT', 'TGSETTLED']);
  return { arn, token };
}

describe('sweep: which tokens are due', () => {
  it('leaves a token far from expiry alone at the cost of one batched read, and reports its expiry', async () => {
    const provider = memory();
    const a = await secretWith(provider, 20 * DAY);
    fx.aws.resetRequestLog();
    const summary = await run([a.arn], provider);
    expect(summary).toMatchObject({ checked: 1, refreshed: 0, rotated: 0, revoked: 0, skipped: 0, failed: [] });
    expect(summary.minSecondsToExpiry).toBeGreaterThan(19 * DAY);
    expect(fx.aws.requestLog.map((e) => e.operation)).toEqual(['BatchGetSecretValue']);
    expect(provider.calls).toEqual({ issue: 1, refresh: 0, revoke: 0, verify: 0 });
  });

  it('reads up to 20 secrets per call: 45 quiet secrets cost 3 calls', async () => {
    const provider = memory();
    const arns: string[] = [];
    for (let i = 0; i < 45; i++) arns.push((await secretWith(provider, 20 * DAY)).arn);
    fx.aws.resetRequestLog();
    expect((await run(arns, provider)).checked).toBe(45);
    expect(fx.aws.countCalls()).toBe(3);
  });

  it('refreshes a near-expiry token in place, keeping issuedAt, the other fields and the settled state', async () => {
    const provider = memory();
    const a = await secretWith(provider, 2 * DAY, { extra: { team: 'x' } });
    const before = fx.valueAt(a.arn, 'AWSCURRENT')!;
    const summary = await run([a.arn], provider, {}, {});
    expect(summary).toMatchObject({ refreshed: 1, rotated: 0, failed: [] });
    const after = fx.valueAt(a.arn, 'AWSCURRENT')!;
    expect(after.token).toBe(a.token);
    expect(after.team).toBe('x');
    expect(after.issuedAt).toBe(before.issuedAt);
    expect(Math.abs(Date.parse(String(after.refreshedAt)) - fx.clock.now())).toBeLessThan(5_000);
    // Exactly now + the requested lifetime (30 days), within seconds.
    expect(Math.abs(Date.parse(String(after.expiresAt)) - (fx.clock.now() + 30 * DAY * 1000))).toBeLessThan(5_000);
    const current = Object.entries(fx.labels(a.arn)).find(([, s]) => s.includes('AWSCURRENT'))![1];
    expect(current).toContain('TGSETTLED');
  });

  it('an in-place refresh of a settled secret costs two writes (the AWSPREVIOUS label, marking nothing to revoke, is not moved back)', async () => {
    const provider = memory();
    const a = await secretWith(provider, 2 * DAY);
    fx.aws.resetRequestLog();
    expect(await run([a.arn], provider)).toMatchObject({ refreshed: 1, failed: [] });
    expect(fx.aws.countCalls('PutSecretValue') + fx.aws.countCalls('UpdateSecretVersionStage')).toBe(2);
  });

  it('an in-place refresh within the grace period keeps AWSPREVIOUS on the replaced token, which the settle still revokes', async () => {
    const provider = memory();
    const old = await provider.issue();
    const { arn } = await fx.createSecret('sweep/grace-refresh', tokenJson(fx.clock, old.token, 20 * DAY));
    const { token } = await provider.issue();
    await fx.putVersion(arn, tokenJson(fx.clock, token, 2 * DAY), ['AWSCURRENT']);
    expect(await run([arn], provider, { revokeGraceSeconds: 3600 })).toMatchObject({ refreshed: 1, revoked: 0, failed: [] });
    expect(fx.valueAt(arn, 'AWSCURRENT')!.token).toBe(token);
    expect(fx.valueAt(arn, 'AWSPREVIOUS')!.token).toBe(old.token);
    fx.clock.advance(3601);
    expect(await run([arn], provider, { revokeGraceSeconds: 3600 })).toMatchObject({ revoked: 1, failed: [] });
    expect(provider.isLive(old.token)).toBe(false);
    expect(provider.isLive(token)).toBe(true);
  });

  it('refreshes with the secret’s own lifetimeSeconds when it sets one', async () => {
    const provider = memory();
    const a = await secretWith(provider, 2 * DAY, { extra: { lifetimeSeconds: 10 * DAY } });
    await run([a.arn], provider);
    expect(provider.refreshedWith).toEqual([{ lifetimeSeconds: 10 * DAY }]);
    expect(Math.abs(Date.parse(String(fx.valueAt(a.arn, 'AWSCURRENT')!.expiresAt)) - (fx.clock.now() + 10 * DAY * 1000))).toBeLessThan(5_000);
  });

  it.each(['none', 'new-token-retiring'] as const)('rotates where the provider cannot refresh without taking the token away (refresh %s)', async (refresh) => {
    const provider = memory({ capabilities: { refresh } });
    const a = await secretWith(provider, 60);
    fx.aws.resetRequestLog();
    const summary = await run([a.arn], provider);
    // No rotation function runs here: started, and pending when the sweep returned.
    expect(summary).toMatchObject({ refreshed: 0, rotationsStarted: 1, rotated: 0, rotationsPending: 1, failed: [] });
    expect(fx.aws.countCalls('RotateSecret')).toBe(1);
    expect(provider.calls.refresh).toBe(0);
  });

  it('refreshes where the provider hands out a new token and the old one keeps working (refresh new-token)', async () => {
    const provider = memory({ capabilities: { refresh: 'new-token' } });
    const a = await secretWith(provider, 60);
    const summary = await run([a.arn], provider);
    expect(summary).toMatchObject({ refreshed: 1, rotated: 0, failed: [] });
    expect(fx.valueAt(a.arn, 'AWSCURRENT')!.token).not.toBe(a.token);
    expect(provider.isLive(a.token)).toBe(true);
  });

  it.each([
    ['an expired token', (t: string) => tokenJson(fx.clock, t, -60)],
    ['a secret with no token yet', () => tokenJson(fx.clock, undefined, 0)],
    ['a token pasted by hand without expiresAt', (t: string) => ({ host: 'https://tg.example.com', credentialSecretId: 'cred', token: t })],
  ])('rotates %s without trying to refresh, and the expiry metric stays a number or null', async (_name, make) => {
    const provider = memory();
    const { token } = await provider.issue();
    const { arn } = await fx.createSecret('sweep/odd', make(token));
    const summary = await run([arn], provider);
    expect(summary).toMatchObject({ refreshed: 0, rotationsStarted: 1 });
    expect(provider.calls.refresh).toBe(0);
    expect(summary.minSecondsToExpiry === null || Number.isFinite(summary.minSecondsToExpiry)).toBe(true);
  });

  it('rotates when the server refuses the token on refresh', async () => {
    const provider = memory();
    const { arn } = await fx.createSecret('sweep/refused', tokenJson(fx.clock, 'revoked-elsewhere-token', 60));
    const summary = await run([arn], provider);
    expect(provider.calls.refresh).toBe(1);
    expect(summary).toMatchObject({ refreshed: 0, rotationsStarted: 1, failed: [] });
  });

  it('does not turn any other refresh failure into a rotation', async () => {
    const provider = memory();
    const a = await secretWith(provider, 60);
    fx.aws.resetRequestLog();
    provider.failRefresh = new Error('server unavailable');
    const summary = await run([a.arn], provider);
    expect(summary).toMatchObject({ refreshed: 0, rotated: 0 });
    expect(summary.failed).toEqual([{ secretId: a.arn, error: 'refresh: server unavailable' }]);
    expect(fx.aws.countCalls('RotateSecret')).toBe(0);
  });

  it('honours a per-secret refreshBeforeSeconds override', async () => {
    const provider = memory();
    const a = await secretWith(provider, 5 * DAY, { extra: { refreshBeforeSeconds: 6 * DAY } });
    expect((await run([a.arn], provider)).refreshed).toBe(1);
    const b = await secretWith(provider, 5 * DAY);
    expect((await run([b.arn], provider)).refreshed).toBe(0);
  });

  it('never rotates a token that does not expire (expiresAt null) for expiry', async () => {
    const provider = memory({ capabilities: { refresh: 'none' } });
    const { token } = await provider.issue();
    const { arn } = await fx.createSecret('sweep/forever', { ...tokenJson(fx.clock, token, 1), expiresAt: null });
    await fx.putVersion(arn, { ...tokenJson(fx.clock, token, 1), expiresAt: null }, ['AWSCURRENT', 'TGSETTLED']);
    const summary = await run([arn], provider);
    expect(summary).toMatchObject({ rotated: 0, refreshed: 0, failed: [] });
    expect(summary.minSecondsToExpiry).toBeNull();
  });
});

describe('sweep: the refresh point follows the token’s own lifetime, with a stable jitter', () => {
  const twelveHours = 12 * 3600;
  const secretFor = (leftSeconds: number) =>
    parseTokenSecret(
      JSON.stringify({
        host: 'https://ica.example.com',
        credentialSecretId: 'c',
        token: 't'.repeat(40),
        issuedAt: new Date(Date.now() - (twelveHours - leftSeconds) * 1000).toISOString(),
        expiresAt: new Date(Date.now() + leftSeconds * 1000).toISOString(),
      }),
    );

  it('a 12-hour token is refreshed at half its life, not three days early', () => {
    const point = refreshPointSeconds(secretFor(10 * 3600), DEFAULT_SETTINGS, 'arn:a');
    expect(point).toBeGreaterThanOrEqual(6 * 3600);
    expect(point).toBeLessThan(6 * 3600 + 3600);
  });

  it('the jitter is stable per secret, differs between secrets and stays within 10 % of the refresh window', () => {
    const secret = parseTokenSecret(JSON.stringify({ host: 'https://h', credentialSecretId: 'c', token: 'x'.repeat(32), issuedAt: new Date(Date.now() - DAY * 1000).toISOString(), expiresAt: new Date(Date.now() + 29 * DAY * 1000).toISOString() }));
    const points = Array.from({ length: 50 }, (_, i) => refreshPointSeconds(secret, DEFAULT_SETTINGS, `arn:secret-${i}`));
    expect(refreshPointSeconds(secret, DEFAULT_SETTINGS, 'arn:secret-7')).toBe(points[7]);
    expect(new Set(points).size).toBeGreaterThan(40);
    for (const p of points) {
      expect(p).toBeGreaterThanOrEqual(DEFAULT_SETTINGS.refreshBeforeSeconds);
      expect(p).toBeLessThanOrEqual(DEFAULT_SETTINGS.refreshBeforeSeconds + 3600);
    }
  });
});

describe('sweep: settling replaced tokens', () => {
  it('does not revoke within the grace period', async () => {
    const provider = memory();
    const s = await rotatedSecret(provider, { agoSeconds: 60 });
    const summary = await run([s.arn], provider, { revokeGraceSeconds: 3600 });
    expect(summary.revoked).toBe(0);
    expect(provider.isLive(s.old)).toBe(true);
    expect(fx.aws.countCalls('UpdateSecretVersionStage')).toBe(0);
  });

  it('after the grace period revokes AWSPREVIOUS, removes the label and marks the current version settled; the next sweep does nothing', async () => {
    const provider = memory();
    const s = await rotatedSecret(provider);
    const summary = await run([s.arn], provider, { revokeGraceSeconds: 3600 });
    expect(summary.revoked).toBe(1);
    expect(provider.isLive(s.old)).toBe(false);
    expect(provider.isLive(s.token)).toBe(true);
    const labels = Object.values(fx.labels(s.arn)).flat();
    expect(labels).not.toContain('AWSPREVIOUS');
    expect(Object.entries(fx.labels(s.arn)).find(([, l]) => l.includes('AWSCURRENT'))![1]).toContain('TGSETTLED');
    fx.aws.resetRequestLog();
    const again = await run([s.arn], provider, { revokeGraceSeconds: 3600 });
    expect(again.revoked).toBe(0);
    expect(fx.aws.requestLog.map((e) => e.operation)).toEqual(['BatchGetSecretValue']);
    expect(provider.calls.revoke).toBe(1);
  });

  it('revokes the older tokens listed in retiredVersionIds too (two rotations within one grace period)', async () => {
    const provider = memory();
    const oldest = await provider.issue();
    const { arn } = await fx.createSecret('sweep/retired', tokenJson(fx.clock, oldest.token, 20 * DAY));
    const oldestVersion = Object.keys(fx.labels(arn))[0]!;
    const middle = await provider.issue();
    await fx.putVersion(arn, tokenJson(fx.clock, middle.token, 20 * DAY), ['AWSCURRENT']);
    fx.clock.advance(-7200);
    const { token } = await provider.issue();
    await fx.putVersion(arn, tokenJson(fx.clock, token, 30 * DAY, { retiredVersionIds: [oldestVersion] }), ['AWSCURRENT']);
    fx.clock.advance(7200);
    const summary = await run([arn], provider);
    expect(summary.revoked).toBe(2);
    expect(provider.isLive(oldest.token)).toBe(false);
    expect(provider.isLive(middle.token)).toBe(false);
    expect(provider.isLive(token)).toBe(true);
  });

  it('never revokes a replaced version that holds the current token (after an in-place refresh)', async () => {
    const provider = memory();
    const { token } = await provider.issue();
    const { arn } = await fx.createSecret('sweep/same', tokenJson(fx.clock, token, 1 * DAY));
    fx.clock.advance(-7200);
    await fx.putVersion(arn, tokenJson(fx.clock, token, 20 * DAY), ['AWSCURRENT']);
    fx.clock.advance(7200);
    const summary = await run([arn], provider);
    expect(summary.revoked).toBe(0);
    expect(provider.calls.revoke).toBe(0);
    expect(provider.isLive(token)).toBe(true);
  });

  it('never revokes a token another managed secret holds as current (identical tokens minted in the same second)', async () => {
    const provider = memory({ capabilities: { tokensMayCollide: true } });
    const s = await rotatedSecret(provider);
    // Another secret was given the very same token string as s's replaced one.
    const other = await fx.createSecret('sweep/twin', tokenJson(fx.clock, s.old, 20 * DAY));
    const summary = await run([s.arn, other.arn], provider);
    expect(provider.calls.revoke).toBe(0);
    expect(provider.isLive(s.old)).toBe(true);
    expect(summary.failed).toEqual([]);
    // s is settled: the twin tracks the token and revokes it once it replaces it.
    expect(Object.entries(fx.labels(s.arn)).find(([, l]) => l.includes('AWSCURRENT'))![1]).toContain('TGSETTLED');
  });

  it('over a subset of the fleet (options.fleet), never revokes a token a secret outside the subset holds as current', async () => {
    const provider = memory({ capabilities: { tokensMayCollide: true } });
    const s = await rotatedSecret(provider);
    const other = await fx.createSecret('sweep/twin-outside', tokenJson(fx.clock, s.old, 20 * DAY));
    const summary = await run([s.arn], provider, {}, { fleet: { kind: 'ids', ids: [s.arn, other.arn] } });
    expect(provider.calls.revoke).toBe(0);
    expect(provider.isLive(s.old)).toBe(true);
    expect(summary).toMatchObject({ revoked: 0, failed: [] });
  });

  it('over a subset, reads the fleet once, and only when a revoke of a token that can collide is about to run', async () => {
    const colliding = memory({ capabilities: { tokensMayCollide: true } });
    const a = await rotatedSecret(colliding);
    const b = await rotatedSecret(colliding);
    const outside = await secretWith(colliding, 20 * DAY);
    const fleet = { kind: 'ids', ids: [a.arn, b.arn, outside.arn] } as const;
    fx.aws.resetRequestLog();
    expect(await run([a.arn, b.arn], colliding, {}, { fleet })).toMatchObject({ revoked: 2, failed: [] });
    // One read of the subset, one of the fleet for both revokes.
    expect(fx.aws.countCalls('BatchGetSecretValue')).toBe(2);

    const plain = memory();
    const c = await rotatedSecret(plain);
    fx.aws.resetRequestLog();
    expect(await run([c.arn], plain, {}, { fleet: { kind: 'ids', ids: [c.arn, outside.arn] } })).toMatchObject({ revoked: 1, failed: [] });
    expect(fx.aws.countCalls('BatchGetSecretValue')).toBe(1);
  });

  it('a failing revoke keeps the token tracked, is reported, and does not stop the refresh of the current token', async () => {
    const provider = memory();
    const { arn, old } = await rotatedSecret(provider, { name: 'sweep/failing', expiresIn: DAY });
    provider.failRevoke = new Error('proxy refused DELETE');
    const summary = await run([arn], provider);
    expect(summary.revokeFailures).toBe(1);
    expect(summary.refreshed).toBe(1);
    expect(summary.failed).toEqual([{ secretId: arn, error: 'revoke: proxy refused DELETE' }]);
    expect(provider.isLive(old)).toBe(true);
    expect(Object.values(fx.labels(arn)).flat()).toContain('AWSPREVIOUS');
    expect(Object.values(fx.labels(arn)).flat()).not.toContain('TGSETTLED');
    // The previous token is still tracked after the refresh wrote a new version.
    expect(fx.valueAt(arn, 'AWSPREVIOUS')!.token).toBe(old);
  });

  it('reports a token the provider cannot revoke as expiring, not revoked, and settles', async () => {
    const provider = memory({ capabilities: { revoke: 'none', refresh: 'new-token' } });
    const s = await rotatedSecret(provider);
    const summary = await run([s.arn], provider);
    expect(summary).toMatchObject({ revoked: 0, expiring: 1, failed: [] });
    expect(provider.calls.revoke).toBe(0);
    expect(fx.valueAt(s.arn, 'AWSPREVIOUS')!.token).toBe(s.old);
  });

  it.each([
    [2 * DAY, 'expiring', 0],
    [20 * DAY, 'expiring', 0],
    [59 * DAY, 'expiring', 0],
    [61 * DAY, 'revoked', 1],
  ] as const)('where routine revokes are costly, a replaced token with %i s left is %s', async (left, _fate, revokes) => {
    const provider = memory({ capabilities: { routineRevoke: 'long-lived-only' } });
    const s = await rotatedSecret(provider, { oldExpiresIn: left });
    await run([s.arn], provider);
    expect(provider.calls.revoke).toBe(revokes);
  });
});

describe('sweep: many secrets', () => {
  it('one bad secret never stops the others, and the summary says which failed and why', async () => {
    const provider = memory();
    const ok1 = await secretWith(provider, 2 * DAY);
    const ok2 = await secretWith(provider, 2 * DAY);
    const bad = await fx.createSecret('sweep/bad', { host: 'not a url', credentialSecretId: 'c' });
    const summary = await run([ok1.arn, bad.arn, 'sweep/gone-never-created', ok2.arn], provider);
    expect(summary.checked).toBe(4);
    expect(summary.refreshed).toBe(2);
    expect(summary.failed.map((f) => f.secretId).sort()).toEqual([bad.arn, 'sweep/gone-never-created'].sort());
    expect(summary.failed.find((f) => f.secretId === bad.arn)!.error).toMatch(/host/);
    expect(summary.failed.find((f) => f.secretId === 'sweep/gone-never-created')!.error).toMatch(/ResourceNotFoundException/);
  });

  it('reports the soonest expiry, not the latest, and a failed secret does not pull it to 0', async () => {
    const provider = memory();
    const far = await secretWith(provider, 20 * DAY);
    const near = await secretWith(provider, 4 * DAY);
    const bad = await fx.createSecret('sweep/bad2', { host: 'https://h', credentialSecretId: 'c', expiresAt: 'not a date' });
    const summary = await run([far.arn, near.arn, bad.arn], provider, { refreshBeforeSeconds: DAY });
    expect(summary.failed).toHaveLength(1);
    expect(summary.minSecondsToExpiry).toBeGreaterThan(4 * DAY - 60);
    expect(summary.minSecondsToExpiry).toBeLessThanOrEqual(4 * DAY);
  });

  it('keeps at most `concurrency` secrets in flight', async () => {
    const provider = memory();
    let inFlight = 0;
    let peak = 0;
    const refresh = provider.refresh.bind(provider);
    provider.refresh = async (held, options) => {
      inFlight++;
      peak = Math.max(peak, inFlight);
      await new Promise((r) => setTimeout(r, 10));
      inFlight--;
      return refresh(held, options);
    };
    const arns: string[] = [];
    for (let i = 0; i < 9; i++) arns.push((await secretWith(provider, DAY)).arn);
    const summary = await run(arns, provider, { concurrency: 3 });
    expect(summary.refreshed).toBe(9);
    expect(peak).toBe(3);
  });

  it('acts while it reads: secrets read but not yet acted on never exceed one batch plus twice the concurrency (issue 15: memory stays flat)', async () => {
    const provider = memory();
    const arns: string[] = [];
    for (let i = 0; i < 100; i++) arns.push((await secretWith(provider, DAY)).arn);
    const deps = fx.deps(memoryOpener(provider));
    let read = 0;
    let refreshed = 0;
    let peakWaiting = 0;
    let readWhenFirstRefreshed: number | undefined;
    const batchGet = deps.store.batchGet.bind(deps.store);
    deps.store.batchGet = async (ids) => {
      const result = await batchGet(ids);
      read += result.values.length;
      peakWaiting = Math.max(peakWaiting, read - refreshed);
      return result;
    };
    const refresh = provider.refresh.bind(provider);
    provider.refresh = async (held, options) => {
      readWhenFirstRefreshed ??= read;
      const result = await refresh(held, options);
      refreshed++;
      return result;
    };
    const summary = await sweep({ kind: 'ids', ids: arns }, deps, { settings: { ...DEFAULT_SETTINGS, concurrency: 2 } });
    expect(summary).toMatchObject({ checked: 100, refreshed: 100, failed: [] });
    expect(readWhenFirstRefreshed).toBeLessThanOrEqual(20);
    expect(peakWaiting).toBeLessThanOrEqual(20 + 2 * 2);
  });

  it('a secret due for a settle waits until the whole fleet is read: a twin of its replaced token in a later batch keeps the token alive', async () => {
    const provider = memory({ capabilities: { tokensMayCollide: true } });
    const { arn, old } = await rotatedSecret(provider, { name: 'sweep/settle-first' });
    const quiet: string[] = [];
    for (let i = 0; i < 45; i++) quiet.push((await secretWith(provider, 20 * DAY)).arn);
    const twin = await fx.createSecret('sweep/settle-twin', tokenJson(fx.clock, old, 20 * DAY));
    // The later batches come slowly, so a settle started on the first batch would be done before the twin is read.
    const deps = fx.deps(memoryOpener(provider));
    const batchGet = deps.store.batchGet.bind(deps.store);
    let batches = 0;
    deps.store.batchGet = async (ids) => {
      if (batches++ > 0) await new Promise((r) => setTimeout(r, 300));
      return batchGet(ids);
    };
    const summary = await sweep({ kind: 'ids', ids: [arn, ...quiet, twin.arn] }, deps, { settings: DEFAULT_SETTINGS });
    expect(summary).toMatchObject({ checked: 47, revoked: 0, failed: [] });
    expect(provider.calls.revoke).toBe(0);
    expect(provider.isLive(old)).toBe(true);
  });

  it('leaves work it cannot finish in time for the next run, counted as skipped', async () => {
    const provider = memory();
    const arns: string[] = [];
    for (let i = 0; i < 3; i++) arns.push((await secretWith(provider, DAY)).arn);
    let remaining = 20_000;
    const summary = await run(arns, provider, { concurrency: 1 }, { remainingTimeMs: () => (remaining -= 4_000), reserveMs: 10_000 });
    expect(summary.checked).toBe(3);
    expect(summary.refreshed).toBe(2);
    expect(summary.skipped).toBe(1);
  });
});

describe('sweep: the expiry metric after the sweep acted (issue 17)', () => {
  it('counts a refreshed token at its new expiry, not the one it had before the refresh', async () => {
    const provider = memory();
    const far = await secretWith(provider, 20 * DAY);
    const due = await secretWith(provider, 2 * DAY);
    const summary = await run([far.arn, due.arn], provider);
    expect(summary.refreshed).toBe(1);
    // The refreshed token now lives 30 days: the soonest is a 20-day one, not the 2 days it had.
    expect(summary.minSecondsToExpiry).toBeGreaterThan(20 * DAY - 60);
    expect(summary.minSecondsToExpiry).toBeLessThanOrEqual(20 * DAY);
  });

  it('counts a token whose refresh failed at its real expiry, and a failed secret without a token does not pull it to 0', async () => {
    const provider = memory();
    const far = await secretWith(provider, 20 * DAY);
    const failing = await secretWith(provider, 2 * DAY);
    provider.failRefresh = new Error('server unavailable');
    // No token yet, and its rotation cannot start: failed, with no expiry to report.
    const { arn: empty } = await fx.createSecret('sweep/empty', tokenJson(fx.clock, undefined, 0));
    fx.aws.setFaults({ failNext: { operation: 'RotateSecret', errorType: 'AccessDeniedException', count: 1 } });
    const summary = await run([far.arn, failing.arn, empty], provider);
    expect(summary.failed.map((f) => f.secretId).sort()).toEqual([failing.arn, empty].sort());
    expect(summary.minSecondsToExpiry).toBeGreaterThan(2 * DAY - 60);
    expect(summary.minSecondsToExpiry).toBeLessThanOrEqual(2 * DAY);
  });

  it('counts a secret left for the next run (skipped) at its current expiry', async () => {
    const provider = memory();
    const a = await secretWith(provider, DAY);
    const summary = await run([a.arn], provider, {}, { remainingTimeMs: () => 1_000, reserveMs: 10_000 });
    expect(summary).toMatchObject({ skipped: 1, refreshed: 0 });
    expect(summary.minSecondsToExpiry).toBeGreaterThan(DAY - 60);
    expect(summary.minSecondsToExpiry).toBeLessThanOrEqual(DAY);
  });
});

describe('sweep: AWSPREVIOUS when one run revokes and refreshes (issue 17)', () => {
  /** Rotated two hours ago (past the grace period), its current token due for refresh. */
  const rotatedAndDue = (provider: MemoryProvider) => rotatedSecret(provider, { name: 'sweep/revoke-refresh', expiresIn: DAY });

  it('in-place refresh: the revoked token loses its label, AWSPREVIOUS holds only the current token, the secret stays settled', async () => {
    const provider = memory();
    const s = await rotatedAndDue(provider);
    const summary = await run([s.arn], provider);
    expect(summary).toMatchObject({ revoked: 1, refreshed: 1, failed: [] });
    expect(provider.isLive(s.old)).toBe(false);
    expect(fx.labels(s.arn)[s.oldVersion] ?? []).not.toContain('AWSPREVIOUS');
    expect(fx.valueAt(s.arn, 'AWSCURRENT')!.token).toBe(s.token);
    const previous = fx.valueAt(s.arn, 'AWSPREVIOUS');
    if (previous) expect(previous.token).toBe(s.token);
    expect(Object.entries(fx.labels(s.arn)).find(([, l]) => l.includes('AWSCURRENT'))![1]).toContain('TGSETTLED');
    // Nothing is left to do: the next sweep reads and stops.
    fx.aws.resetRequestLog();
    expect(await run([s.arn], provider)).toMatchObject({ revoked: 0, refreshed: 0, failed: [] });
    expect(fx.aws.requestLog.map((e) => e.operation)).toEqual(['BatchGetSecretValue']);
  });

  it('refresh with a new token: the replaced token is AWSPREVIOUS and revoked after the next grace period; the revoked one stays unlabelled', async () => {
    const provider = memory({ capabilities: { refresh: 'new-token' } });
    const s = await rotatedAndDue(provider);
    const summary = await run([s.arn], provider);
    expect(summary).toMatchObject({ revoked: 1, refreshed: 1, failed: [] });
    const current = fx.valueAt(s.arn, 'AWSCURRENT')!;
    expect(current.token).not.toBe(s.token);
    expect(current).not.toHaveProperty('retiredVersionIds');
    expect(fx.valueAt(s.arn, 'AWSPREVIOUS')!.token).toBe(s.token);
    expect(fx.labels(s.arn)[s.oldVersion] ?? []).not.toContain('AWSPREVIOUS');
    fx.clock.advance(7200);
    expect(await run([s.arn], provider)).toMatchObject({ revoked: 1, failed: [] });
    expect(provider.isLive(s.token)).toBe(false);
    expect(provider.isLive(String(current.token))).toBe(true);
  });
});

describe('sweep: failures while removing AWSPREVIOUS (issue 17)', () => {
  const rotated = (provider: MemoryProvider) => rotatedSecret(provider, { name: 'sweep/label' });
  const currentStages = (arn: string) => Object.entries(fx.labels(arn)).find(([, l]) => l.includes('AWSCURRENT'))![1];

  it.each(['InternalServiceError', 'ThrottlingException', 'AccessDeniedException', 'InvalidParameterException'])(
    'a %s leaves the secret unsettled and labelled, is reported, and the next sweep finishes the job',
    async (errorType) => {
      const provider = memory();
      const s = await rotated(provider);
      fx.aws.setFaults({ failNext: { operation: 'UpdateSecretVersionStage', errorType, count: 1 } });
      const summary = await run([s.arn], provider);
      expect(summary.failed).toEqual([{ secretId: s.arn, error: expect.stringMatching(/^revoke: /) }]);
      expect(summary.revokeFailures).toBe(1);
      expect(fx.labels(s.arn)[s.oldVersion]).toContain('AWSPREVIOUS');
      expect(currentStages(s.arn)).not.toContain('TGSETTLED');
      const again = await run([s.arn], provider);
      expect(again.failed).toEqual([]);
      expect(fx.labels(s.arn)[s.oldVersion] ?? []).not.toContain('AWSPREVIOUS');
      expect(currentStages(s.arn)).toContain('TGSETTLED');
      expect(provider.isLive(s.old)).toBe(false);
    },
  );

  /** A store whose removal of AWSPREVIOUS happens, then answers `errorName` (a concurrent sweep got there first, or the answer was lost). */
  function racingDeps(provider: MemoryProvider, errorName: string) {
    const base = fx.deps(memoryOpener(provider));
    const store = base.store;
    const removeStage = store.removeStage.bind(store);
    store.removeStage = async (secretId, stage, fromVersionId) => {
      await removeStage(secretId, stage, fromVersionId);
      if (stage === 'AWSPREVIOUS') throw Object.assign(new Error(`${errorName}: simulated`), { name: errorName });
    };
    return base;
  }

  it('a label already removed by a concurrent sweep (InvalidParameterException, label gone) is not a failure: the secret is settled', async () => {
    const provider = memory();
    const s = await rotated(provider);
    const summary = await sweep({ kind: 'ids', ids: [s.arn] }, racingDeps(provider, 'InvalidParameterException'), { settings: DEFAULT_SETTINGS });
    expect(summary).toMatchObject({ revoked: 1, revokeFailures: 0, failed: [] });
    expect(currentStages(s.arn)).toContain('TGSETTLED');
  });

  it('any other error is reported even when the label did go (it is not looked up again)', async () => {
    const provider = memory();
    const s = await rotated(provider);
    const summary = await sweep({ kind: 'ids', ids: [s.arn] }, racingDeps(provider, 'InternalServiceError'), { settings: DEFAULT_SETTINGS });
    expect(summary.revokeFailures).toBe(1);
    expect(summary.failed).toEqual([{ secretId: s.arn, error: 'revoke: InternalServiceError: simulated' }]);
    expect(currentStages(s.arn)).not.toContain('TGSETTLED');
  });
});

describe('settle, called directly: what it revokes, reports and labels (issue 17)', () => {
  async function settleNow(provider: MemoryProvider, arn: string, index: FingerprintIndex = new FingerprintIndex(), managed?: ManagedSecret) {
    const deps = fx.deps(memoryOpener(provider));
    return settle(managed ?? (await loadManaged(arn, deps.store)), deps, { settings: DEFAULT_SETTINGS, index });
  }
  /** Current token `token` written `agoSeconds` ago over `old` (now AWSPREVIOUS); `oldJson` overrides the old version's JSON. */
  const replaced = (provider: MemoryProvider, agoSeconds: number, oldJson?: Record<string, unknown>) =>
    rotatedSecret(provider, { name: 'settle/s', agoSeconds, ...(oldJson ? { oldJson } : {}) });
  const labelled = (arn: string, versionId: string, stage: string) => (fx.labels(arn)[versionId] ?? []).includes(stage);

  it('within the grace period: not due, nothing read at the provider', async () => {
    const provider = memory();
    const s = await replaced(provider, 60);
    expect(await settleNow(provider, s.arn)).toEqual({ state: 'not-due', fates: [] });
    expect(provider.calls.revoke).toBe(0);
  });

  it('a version written since the read (a rotation finished meanwhile): not due, left for the next sweep', async () => {
    const provider = memory();
    const s = await replaced(provider, 7200);
    const deps = fx.deps(memoryOpener(provider));
    const stale = await loadManaged(s.arn, deps.store);
    await fx.putVersion(s.arn, tokenJson(fx.clock, (await provider.issue()).token, 30 * DAY), ['AWSCURRENT']);
    expect(await settleNow(provider, s.arn, undefined, stale)).toEqual({ state: 'not-due', fates: [] });
    expect(provider.calls.revoke).toBe(0);
    expect(provider.isLive(s.old)).toBe(true);
  });

  it('a secret never rotated settles with nothing to report', async () => {
    const provider = memory();
    const { arn } = await fx.createSecret('settle/fresh', tokenJson(fx.clock, (await provider.issue()).token, 20 * DAY));
    fx.clock.advance(7200);
    expect(await settleNow(provider, arn)).toEqual({ state: 'settled', fates: [] });
    expect(provider.calls.revoke).toBe(0);
  });

  it('the same token on AWSPREVIOUS and in retiredVersionIds is revoked once', async () => {
    const provider = memory();
    const twice = await provider.issue();
    const { arn } = await fx.createSecret('settle/dup', tokenJson(fx.clock, twice.token, 20 * DAY));
    const retired = Object.keys(fx.labels(arn))[0]!;
    const previous = await fx.putVersion(arn, tokenJson(fx.clock, twice.token, 20 * DAY), ['AWSCURRENT']);
    fx.clock.advance(-7200);
    await fx.putVersion(arn, tokenJson(fx.clock, (await provider.issue()).token, 30 * DAY, { retiredVersionIds: [retired] }), ['AWSCURRENT']);
    fx.clock.advance(7200);
    expect(await settleNow(provider, arn)).toEqual({ state: 'settled', fates: [{ versionId: previous, fate: 'revoked' }] });
    expect(provider.calls.revoke).toBe(1);
  });

  it.each([
    ['already gone', 'already-gone', false],
    ['expired, where the provider cannot revoke', 'expired', false],
    ['held by no version value', 'no-token', false],
    ['held by another secret as its current token', 'held-elsewhere', false],
    ['expiring on its own, where the provider cannot revoke', 'expiring', true],
  ] as const)('AWSPREVIOUS holding a token %s: fate %s, label kept: %s', async (_what, fate, kept) => {
    const provider = memory({
      capabilities: { ...(fate === 'expired' || fate === 'expiring' ? { revoke: 'none' as const } : {}), ...(fate === 'held-elsewhere' ? { tokensMayCollide: true } : {}) },
    });
    const oldJson =
      fate === 'expired' ? tokenJson(fx.clock, 'e'.repeat(32), -60) : fate === 'no-token' ? tokenJson(fx.clock, undefined, 0) : undefined;
    const s = await replaced(provider, 7200, oldJson);
    if (fate === 'already-gone') await provider.revoke({ token: s.old, fields: {} });
    const index = new FingerprintIndex();
    if (fate === 'held-elsewhere') index.add(s.old, 'arn:aws:secretsmanager:us-east-1:000000000000:secret:twin');
    expect(await settleNow(provider, s.arn, index)).toEqual({ state: 'settled', fates: [{ versionId: s.oldVersion, fate }] });
    expect(labelled(s.arn, s.oldVersion, 'AWSPREVIOUS')).toBe(kept);
    if (fate !== 'already-gone') expect(provider.calls.revoke).toBe(0);
  });

  it('a version listed as retired that no longer exists counts as holding no token', async () => {
    const provider = memory();
    const s = await replaced(provider, 7200);
    const deps = fx.deps(memoryOpener(provider));
    const managed = await loadManaged(s.arn, deps.store);
    const gone = '00000000-0000-4000-8000-000000000000';
    const listing = { ...managed, secret: { ...managed.secret, retiredVersionIds: [gone] } };
    expect(await settleNow(provider, s.arn, undefined, listing)).toEqual({
      state: 'settled',
      fates: [
        { versionId: s.oldVersion, fate: 'revoked' },
        { versionId: gone, fate: 'no-token' },
      ],
    });
  });

  it('after an in-place refresh AWSPREVIOUS holds the current token: reported as such, never revoked', async () => {
    const provider = memory();
    const { token } = await provider.issue();
    const { arn } = await fx.createSecret('settle/same', tokenJson(fx.clock, token, DAY));
    const previousVersion = Object.keys(fx.labels(arn))[0]!;
    fx.clock.advance(-7200);
    await fx.putVersion(arn, tokenJson(fx.clock, token, 20 * DAY), ['AWSCURRENT']);
    fx.clock.advance(7200);
    expect(await settleNow(provider, arn)).toEqual({ state: 'settled', fates: [{ versionId: previousVersion, fate: 'same-as-current' }] });
    expect(provider.calls.revoke).toBe(0);
  });

  it('a failing revoke: unsettled, its fate failed, the error handed back', async () => {
    const provider = memory();
    const s = await replaced(provider, 7200);
    provider.failRevoke = new Error('proxy refused DELETE');
    const report = await settleNow(provider, s.arn);
    expect(report).toEqual({ state: 'unsettled', fates: [{ versionId: s.oldVersion, fate: 'failed' }], error: provider.failRevoke });
    expect(labelled(s.arn, s.oldVersion, 'AWSPREVIOUS')).toBe(true);
  });

  it('where routine revokes are costly, an already expired replaced token is expired (label off), a short-lived one expiring (label kept)', async () => {
    for (const [expiresIn, fate, kept] of [
      [-60, 'expired', false],
      [DAY, 'expiring', true],
    ] as const) {
      const provider = memory({ capabilities: { routineRevoke: 'long-lived-only' } });
      const s = await replaced(provider, 7200, tokenJson(fx.clock, fate.padEnd(32, 'x'), expiresIn));
      expect(await settleNow(provider, s.arn)).toEqual({ state: 'settled', fates: [{ versionId: s.oldVersion, fate }] });
      expect(labelled(s.arn, s.oldVersion, 'AWSPREVIOUS')).toBe(kept);
      expect(provider.calls.revoke).toBe(0);
    }
  });

  it('a retired token dealt with does not take the label off an AWSPREVIOUS token still expiring', async () => {
    const provider = memory({ capabilities: { revoke: 'none' } });
    const { arn } = await fx.createSecret('settle/mixed', tokenJson(fx.clock, 'r'.repeat(32), -60));
    const retired = Object.keys(fx.labels(arn))[0]!;
    const previous = await fx.putVersion(arn, tokenJson(fx.clock, 'p'.repeat(32), 2 * DAY), ['AWSCURRENT']);
    fx.clock.advance(-7200);
    await fx.putVersion(arn, tokenJson(fx.clock, 'c'.repeat(32), 30 * DAY, { retiredVersionIds: [retired] }), ['AWSCURRENT']);
    fx.clock.advance(7200);
    expect(await settleNow(provider, arn)).toEqual({
      state: 'settled',
      fates: [
        { versionId: previous, fate: 'expiring' },
        { versionId: retired, fate: 'expired' },
      ],
    });
    expect(labelled(arn, previous, 'AWSPREVIOUS')).toBe(true);
  });
});

describe('isSettleDue: the grace period counts from the current version’s write (issue 17)', () => {
  const NOW = Date.parse('2030-01-01T00:00:00.000Z');
  const GRACE = 3600;
  function managedWith(stages: string[], createdAgo?: number, issuedAgo?: number): ManagedSecret {
    const json = { host: 'https://h.example.com', credentialSecretId: 'c', token: 't'.repeat(32), ...(issuedAgo !== undefined ? { issuedAt: new Date(NOW - issuedAgo * 1000).toISOString() } : {}) };
    return managedFrom('arn:a', { versionId: 'v', secretString: JSON.stringify(json), stages, ...(createdAgo !== undefined ? { createdDate: new Date(NOW - createdAgo * 1000) } : {}) });
  }
  it.each([
    ['settled', ['AWSCURRENT', 'TGSETTLED'], 10 * DAY, undefined, false],
    ['written within the grace period', ['AWSCURRENT'], 60, undefined, false],
    ['written within the grace period, its token issued long before (refreshed in place)', ['AWSCURRENT'], 60, 10 * DAY, false],
    ['written exactly one grace period ago', ['AWSCURRENT'], GRACE, undefined, true],
    ['written long ago', ['AWSCURRENT'], 2 * GRACE, undefined, true],
    ['of unknown write time, issued within the grace period', ['AWSCURRENT'], undefined, 60, false],
    ['of unknown write time, issued long ago', ['AWSCURRENT'], undefined, 2 * GRACE, true],
    ['of unknown write and issue time', ['AWSCURRENT'], undefined, undefined, true],
  ] as const)('a current version %s: due %s', (_what, stages, createdAgo, issuedAgo, due) => {
    expect(isSettleDue(managedWith([...stages], createdAgo, issuedAgo), GRACE, NOW)).toBe(due);
  });
});

describe('FingerprintIndex: which current tokens another secret holds (issue 17)', () => {
  it('tells a token held by another secret from one held only by the asking secret, with one or many holders', async () => {
    const index = new FingerprintIndex();
    index.add('token-one', 'arn:A');
    expect(await index.heldElsewhere('token-one', 'arn:A')).toBe(false);
    expect(await index.heldElsewhere('token-one', 'arn:B')).toBe(true);
    expect(await index.heldElsewhere('token-two', 'arn:A')).toBe(false);
    index.add('token-one', 'arn:B');
    for (const asking of ['arn:A', 'arn:B', 'arn:C']) expect(await index.heldElsewhere('token-one', asking)).toBe(true);
    // The same secret added twice is still one holder.
    index.add('token-two', 'arn:A');
    index.add('token-two', 'arn:A');
    expect(await index.heldElsewhere('token-two', 'arn:A')).toBe(false);
    expect(await index.heldElsewhere('token-two', 'arn:B')).toBe(true);
    index.add('token-one', 'arn:B');
    index.add('token-one', 'arn:C');
    for (const asking of ['arn:A', 'arn:B', 'arn:C', 'arn:D']) expect(await index.heldElsewhere('token-one', asking)).toBe(true);
  });
});

describe('sweep: what it reports per secret and as it goes', () => {
  type Report = Parameters<NonNullable<Parameters<typeof sweep>[2]['onSecret']>>[0];
  function reported(ids: string[], provider: MemoryProvider, extra: Parameters<typeof run>[3] = {}) {
    const reports: Report[] = [];
    return run(ids, provider, {}, { ...extra, onSecret: (r) => reports.push(r) }).then((summary) => ({ summary, reports }));
  }

  it('a refreshed secret: ok, refresh, its new expiry; a quiet one is not reported', async () => {
    const provider = memory();
    const quiet = await secretWith(provider, 20 * DAY);
    const due = await secretWith(provider, 2 * DAY);
    const { reports } = await reported([quiet.arn, due.arn], provider);
    expect(reports).toEqual([
      { secretId: due.arn, outcome: 'ok', action: 'refresh', settle: 'none', fates: [], secondsLeft: expect.any(Number), durationMs: expect.any(Number) },
    ]);
    expect(reports[0]!.secondsLeft).toBeGreaterThan(30 * DAY - 60);
    expect(reports[0]!.secondsLeft).toBeLessThanOrEqual(30 * DAY);
    expect(reports[0]!.durationMs).toBeGreaterThanOrEqual(0);
    expect(reports[0]!.durationMs).toBeLessThan(60_000);
  });

  it('a rotation started: rotate, and the expiry of the token apps still hold', async () => {
    const provider = memory({ capabilities: { refresh: 'none' } });
    const a = await secretWith(provider, 2 * DAY);
    const { summary, reports } = await reported([a.arn], provider);
    expect(reports).toMatchObject([{ secretId: a.arn, outcome: 'ok', action: 'rotate', settle: 'none' }]);
    expect(reports[0]!.secondsLeft).toBeGreaterThan(2 * DAY - 60);
    expect(reports[0]!.secondsLeft).toBeLessThanOrEqual(2 * DAY);
    expect(summary.minSecondsToExpiry).toBe(reports[0]!.secondsLeft);
  });

  it('a settle: its state and each replaced token’s fate', async () => {
    const provider = memory();
    const { arn } = await rotatedSecret(provider, { name: 'sweep/report-settle', expiresIn: 20 * DAY });
    const { summary, reports } = await reported([arn], provider);
    expect(reports).toMatchObject([{ secretId: arn, outcome: 'ok', action: 'none', settle: 'settled', fates: ['revoked'] }]);
    expect(summary).toMatchObject({ revoked: 1, expiring: 0, revokeFailures: 0 });
  });

  it('a replaced token found already gone counts as revoked', async () => {
    const provider = memory();
    const { arn, old } = await rotatedSecret(provider, { name: 'sweep/report-gone', expiresIn: 20 * DAY });
    await provider.revoke({ token: old, fields: {} });
    const { summary, reports } = await reported([arn], provider);
    expect(reports).toMatchObject([{ settle: 'settled', fates: ['already-gone'] }]);
    expect(summary).toMatchObject({ revoked: 1, expiring: 0 });
  });

  it('a revoke and a refresh that both fail: one failure naming both, and the first error’s name', async () => {
    const provider = memory();
    const { arn } = await rotatedSecret(provider, { name: 'sweep/report-both', expiresIn: DAY });
    provider.failRevoke = Object.assign(new Error('proxy refused DELETE'), { name: 'ProxyError' });
    provider.failRefresh = new TypeError('server unavailable');
    const { summary, reports } = await reported([arn], provider);
    const error = 'revoke: proxy refused DELETE; refresh: server unavailable';
    expect(summary.failed).toEqual([{ secretId: arn, error }]);
    expect(summary).toMatchObject({ revokeFailures: 1, refreshed: 0, rotated: 0 });
    expect(reports).toMatchObject([{ secretId: arn, outcome: 'failed', action: 'none', settle: 'unsettled', fates: ['failed'], error, errorName: 'ProxyError' }]);
  });

  it('a secret that cannot be read or parsed: failed, with the error and its name', async () => {
    const provider = memory();
    const bad = await fx.createSecret('sweep/report-bad', { host: 'not a url', credentialSecretId: 'c' });
    const { reports } = await reported([bad.arn, 'sweep/report-never-created'], provider);
    const byId = Object.fromEntries(reports.map((r) => [r.secretId, r]));
    expect(byId[bad.arn]).toMatchObject({ outcome: 'failed', action: 'none', errorName: 'ValidationError', error: expect.stringMatching(/host/) });
    expect(byId['sweep/report-never-created']).toMatchObject({
      outcome: 'failed',
      errorName: 'ResourceNotFoundException',
      error: "ResourceNotFoundException: Secrets Manager can't find the specified secret.",
    });
  });

  it('a secret left for the next run: skipped', async () => {
    const provider = memory();
    const a = await secretWith(provider, DAY);
    const { reports } = await reported([a.arn], provider, { remainingTimeMs: () => 1_000, reserveMs: 10_000 });
    expect(reports).toEqual([{ secretId: a.arn, outcome: 'skipped', action: 'none', settle: 'none', fates: [], secondsLeft: null, durationMs: 0 }]);
  });

  it('keeps 15 s in reserve unless told otherwise', async () => {
    const provider = memory();
    const a = await secretWith(provider, DAY);
    expect(await run([a.arn], provider, {}, { remainingTimeMs: () => 14_999 })).toMatchObject({ skipped: 1, refreshed: 0 });
    expect(await run([a.arn], provider, {}, { remainingTimeMs: () => 15_000 })).toMatchObject({ skipped: 0, refreshed: 1 });
  });

  it('reports progress after each page read: secrets checked so far', async () => {
    const provider = memory();
    const arns: string[] = [];
    for (let i = 0; i < 45; i++) arns.push((await secretWith(provider, 20 * DAY)).arn);
    const progress: number[] = [];
    await run(arns, provider, {}, { onProgress: (n) => progress.push(n) });
    expect(progress).toEqual([20, 40, 45]);
  });
});

describe('sweep: the whole fleet is read only for a sweep over a subset of it', () => {
  /** Rotated two hours ago by a provider whose tokens may collide: its settle asks who else holds the replaced token. */
  const rotatedColliding = (provider: MemoryProvider) => rotatedSecret(provider, { name: 'sweep/fleet' });

  it('without options.fleet: the revoke goes through on the sweep’s own reading, in one read', async () => {
    const provider = memory({ capabilities: { tokensMayCollide: true } });
    const s = await rotatedColliding(provider);
    fx.aws.resetRequestLog();
    expect(await run([s.arn], provider)).toMatchObject({ revoked: 1, failed: [] });
    expect(provider.isLive(s.old)).toBe(false);
    expect(fx.aws.countCalls('BatchGetSecretValue')).toBe(1);
  });

  it('with options.fleet the very source being swept: not read a second time', async () => {
    const provider = memory({ capabilities: { tokensMayCollide: true } });
    const s = await rotatedColliding(provider);
    const source = { kind: 'ids', ids: [s.arn] } as const;
    fx.aws.resetRequestLog();
    const summary = await sweep(source, fx.deps(memoryOpener(provider)), { settings: DEFAULT_SETTINGS, fleet: source });
    expect(summary).toMatchObject({ revoked: 1, failed: [] });
    expect(fx.aws.countCalls('BatchGetSecretValue')).toBe(1);
  });
});

describe('sweep over a subset with the list step’s index (options.loadFleetIndex: a Distributed Map worker)', () => {
  /** A loader that counts its calls and answers `index`, or fails with `error`. */
  const loader = (index: FingerprintIndex | Error) => {
    const calls = { count: 0 };
    const load = async () => {
      calls.count++;
      if (index instanceof Error) throw index;
      return index;
    };
    return { calls, load };
  };

  it('asks the loaded index, once, about the replaced tokens it settles, and reads nothing of the fleet outside its subset', async () => {
    const provider = memory({ capabilities: { tokensMayCollide: true } });
    const a = await rotatedSecret(provider, { name: 'sweep/listed-a' });
    const b = await rotatedSecret(provider, { name: 'sweep/listed-b' });
    const twin = await fx.createSecret('sweep/listed-twin', tokenJson(fx.clock, b.old, 20 * DAY));
    const listed = new FingerprintIndex();
    listed.add(b.old, twin.arn);
    const { calls, load } = loader(listed);
    fx.aws.resetRequestLog();
    const summary = await run([a.arn, b.arn], provider, {}, { fleet: { kind: 'ids', ids: [a.arn, b.arn, twin.arn] }, loadFleetIndex: load });
    // a's replaced token nobody holds: revoked; b's, which the twin outside the subset holds: kept.
    expect(summary).toMatchObject({ revoked: 1, failed: [] });
    expect(provider.isLive(a.old)).toBe(false);
    expect(provider.isLive(b.old)).toBe(true);
    expect(calls.count).toBe(1);
    expect(fx.aws.countCalls('BatchGetSecretValue')).toBe(1);
  });

  it('an index that cannot be loaded: the fleet is read instead (once), and why is logged', async () => {
    const provider = memory({ capabilities: { tokensMayCollide: true } });
    const s = await rotatedSecret(provider, { name: 'sweep/unlisted' });
    const twin = await fx.createSecret('sweep/unlisted-twin', tokenJson(fx.clock, s.old, 20 * DAY));
    const { calls, load } = loader(new Error('holders index: the object is incomplete'));
    const logged: Array<Record<string, unknown>> = [];
    const deps = { ...fx.deps(memoryOpener(provider)), log: (_message: string, fields: Record<string, unknown>) => logged.push(fields) };
    fx.aws.resetRequestLog();
    const summary = await sweep({ kind: 'ids', ids: [s.arn] }, deps, { settings: DEFAULT_SETTINGS, fleet: { kind: 'ids', ids: [s.arn, twin.arn] }, loadFleetIndex: load });
    expect(summary).toMatchObject({ revoked: 0, failed: [] });
    expect(provider.isLive(s.old)).toBe(true);
    expect(calls.count).toBe(1);
    expect(fx.aws.countCalls('BatchGetSecretValue')).toBe(2);
    expect(logged).toContainEqual({ reason: 'holders index: the object is incomplete' });
  });

  it('a token the sweep minted and could not store is asked of the fleet as read now, never of the list step’s index (older than the token)', async () => {
    const provider = memory({ capabilities: { refresh: 'new-token', tokensMayCollide: true } });
    const s = await secretWith(provider, 2 * DAY);
    const other = await secretWith(provider, 20 * DAY);
    const { calls, load } = loader(new FingerprintIndex());
    fx.aws.resetRequestLog();
    fx.aws.setFaults({ failNext: { operation: 'PutSecretValue', errorType: 'AccessDeniedException', count: 1 } });
    const summary = await run([s.arn], provider, {}, { fleet: { kind: 'ids', ids: [s.arn, other.arn] }, loadFleetIndex: load });
    fx.aws.setFaults({});
    expect(summary.failed.map((f) => f.secretId)).toEqual([s.arn]);
    expect(provider.calls.refresh).toBe(1);
    // Nobody holds the new token, by the fleet read after it was minted: revoked, not left live.
    expect(provider.calls.revoke).toBe(1);
    expect(calls.count).toBe(0);
    expect(fx.aws.countCalls('BatchGetSecretValue')).toBe(2);
  });
});
