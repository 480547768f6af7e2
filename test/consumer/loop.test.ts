/**
 * The loop: consumers call every provider continuously (TigerGraph 3.x and 4.x REST++ GET /echo,
 * Trifacta GET /v4/apiAccessTokens, ICA GET /ica/rest/api/regions, ICA with an API key and with a
 * username/password) while the product refreshes, rotates and revokes underneath them: the
 * scheduled refresh every three hours of fake time (refresh in place on TigerGraph 3.x, rotation
 * elsewhere, ICA password mode included, revoke of replaced tokens after the
 * grace period) and, every 12 hours, an on-demand `request` (rotate now) followed at once by an
 * on-demand `delete` (revoke the replaced token now), as after a leak. Time moves on the stack's
 * clock; rotations run after RotateSecret answers, as on AWS.
 *
 * Consumers watching each secret at the same time, through the same loop:
 *   helper    createTokenSource (defaults: 5 min cache, 60 s before expiry) + tokenFetch
 *   no-cache  maxAgeMs 0 and plain fetch: one GetSecretValue per call
 *   stale     maxAgeMs Infinity and plain fetch (no re-read on refusal): the common bug
 * Figures asserted: the helper's failed calls = 0 and re-reads (after a refusal) per rotation
 * <= 1; the stale consumer's calls do fail once an old token is revoked.
 *
 * ICA password mode was the exception this loop found: the fake's `tokens:refresh` invalidates the
 * refreshed JWT at once (its default for a point ica-token-api.md leaves UNCONFIRMED), before the
 * product had stored the new JWT as AWSCURRENT, so a call in that window failed whatever the
 * consumer did. The product now renews ICA JWTs by minting (refresh 'new-token-retiring' is never
 * used), which takes no token away: `helperNoDelay` (the consumer's defaults) must fail no call
 * either, and the `helper` variant keeps `rereadDelayMs` to show the option does no harm.
 *
 * A second run (issue 22) turns on the fakes' invalidate-on-issue variants and spaces the rotation
 * steps a second apart: see its own comment below.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { handler as rotationHandler } from '../../functions/rotation/handler.js';
import { createTokenSource, tokenFetch, type TokenSource } from '../../consumer/index.js';
import { handler as onDemand } from '../../functions/on-demand/handler.js';
import { handler as scheduled } from '../../functions/scheduled-refresh/handler.js';
import { providerNames } from '../../core/providers/registry.js';
import { lambdaContext } from '../../local/lambda-context.js';
import { CHECK_PATH, PROVIDER_OF, startConsumerStack, type ConsumerStack, type SecretKind } from './consumer-stack.js';

const HOUR = 3600;
const DAY = 24 * HOUR;
const ALL_KINDS: SecretKind[] = ['tigergraph3', 'tigergraph4', 'trifacta', 'ica', 'icaPassword'];
/**
 * The providers the product registers now (core/providers/registry.ts). Other work may take one
 * out of the registry for a while; the loop then covers the others and says which it left out.
 */
const KINDS = ALL_KINDS.filter((kind) => providerNames().includes(PROVIDER_OF[kind]));
const LEFT_OUT = ALL_KINDS.filter((kind) => !KINDS.includes(kind));
/** Providers whose replaced tokens the product revokes (ICA cannot: its JWTs lapse at exp). */
const REVOKING = KINDS.filter((kind) => ['tigergraph3', 'tigergraph4', 'trifacta'].includes(kind));
const STEP_SECONDS = 3 * HOUR;
const STEPS = 24; // three days of fake time
const LEAK_EVERY = 4; // an on-demand request + delete every 12 hours
/** ICA password mode: wait this long (real ms) before the one re-read, so the product's write of the new JWT lands first. */
const ICA_PASSWORD_REREAD_DELAY_MS = 1_500;

type Variant = 'helper' | 'helperNoDelay' | 'noCache' | 'stale';
/** Real milliseconds between two rotation steps in the invalidate-on-issue run: separate invocations, seconds apart. */
const STEP_GAP_MS = 1_000;
const VARIANTS: Record<SecretKind, Variant[]> = {
  tigergraph3: ['helper', 'noCache', 'stale'],
  tigergraph4: ['helper', 'noCache', 'stale'],
  trifacta: ['helper', 'noCache', 'stale'],
  ica: ['helper', 'noCache', 'stale'],
  icaPassword: ['helper', 'helperNoDelay', 'noCache', 'stale'],
};
/** Concurrent callers per consumer: the helper's share one source (one read in flight, one re-read per refusal). */
const WORKERS: Record<Variant, number> = { helper: 2, helperNoDelay: 2, noCache: 1, stale: 1 };
/**
 * Real milliseconds between one worker's calls: continuous, without starving the product's
 * handlers (everything here shares one event loop, and a loopback call costs a few ms).
 */
const PAUSE_MS = 50;

interface Consumer {
  kind: SecretKind;
  variant: Variant;
  source: TokenSource;
  client: { calls: number };
  call: () => Promise<Response>;
  calls: number;
  failures: number;
  failureReasons: Map<string, number>;
}

let cs: ConsumerStack;
const secrets = new Map<SecretKind, string>();

beforeAll(async () => {
  if (LEFT_OUT.length > 0) console.warn(`consumer loop: not registered in core/providers/registry.ts, left out: ${LEFT_OUT.join(', ')}`);
  process.env.TG_HTTP_TIMEOUT_MS = '2000';
  process.env.TG_HTTP_BASE_DELAY_MS = '5';
  cs = await startConsumerStack();
  await cs.stack.putSettings({ refreshBeforeSeconds: 2 * DAY, revokeGraceSeconds: HOUR, routineRevokeMinRemainingSeconds: 0, concurrency: 4 });
  for (const kind of KINDS) {
    // ICA JWTs live 12 hours (the fake's tenant setting); the others 4 days.
    secrets.set(kind, await cs.createSecret(kind, `consumer-loop/${kind}`, kind.startsWith('ica') ? {} : { lifetimeSeconds: 4 * DAY }));
  }
}, 60_000);
afterAll(async () => cs?.close());

type SweepContext = Parameters<typeof scheduled>[1];
const sweep = () =>
  scheduled({ secretIds: [...secrets.values()] }, lambdaContext('scheduled-refresh', 300_000) as SweepContext) as Promise<{
    failed: Array<{ secretId: string; error: string }>;
  }>;
// The settings middleware adds `settings` to the context; the handler's type asks for it up front.
const invoke = (event: Record<string, unknown>) => onDemand(event, lambdaContext('on-demand') as Parameters<typeof onDemand>[1]);

/** A plain fetch with the token a source gives: no re-read, no retry. */
function naiveFetch(source: TokenSource): (path: string) => Promise<Response> {
  return async (path) => {
    const info = await source.get();
    const headers: Record<string, string> = { authorization: `Bearer ${info.token}` };
    if (info.provider === 'ica') headers.accept = 'application/problem+json, application/vnd.illumina.v3+json';
    return fetch(info.baseUrl + path, { headers });
  };
}

function consumer(kind: SecretKind, variant: Variant): Consumer {
  const client = cs.countingClient();
  const source = createTokenSource({
    secretId: secrets.get(kind) as string,
    client,
    now: () => cs.stack.clock.now(),
    ...(variant === 'noCache' ? { maxAgeMs: 0 } : variant === 'stale' ? { maxAgeMs: Infinity } : {}),
  });
  const send =
    variant === 'helper' || variant === 'helperNoDelay'
      ? tokenFetch(source, kind === 'icaPassword' && variant === 'helper' ? { rereadDelayMs: ICA_PASSWORD_REREAD_DELAY_MS } : {})
      : naiveFetch(source);
  return { kind, variant, source, client, call: () => send(CHECK_PATH[kind]), calls: 0, failures: 0, failureReasons: new Map() };
}

async function work(c: Consumer, stop: { stopped: boolean }): Promise<void> {
  while (!stop.stopped) {
    c.calls++;
    let reason: string | undefined;
    try {
      const res = await c.call();
      if (!res.ok) reason = `HTTP ${res.status}`;
      await res.arrayBuffer();
    } catch (e) {
      reason = (e as Error).name;
    }
    if (reason) {
      c.failures++;
      c.failureReasons.set(reason, (c.failureReasons.get(reason) ?? 0) + 1);
    }
    await sleep(PAUSE_MS);
  }
}

describe('consumers while the product rotates, refreshes and revokes underneath them', () => {
  it('the helper never fails and re-reads at most once per rotation; a stale cache fails once old tokens are revoked', { timeout: 180_000 }, async () => {
    const consumers = KINDS.flatMap((kind) => VARIANTS[kind].map((variant) => consumer(kind, variant)));
    const tokenChanges = new Map<SecretKind, number>(KINDS.map((k) => [k, 0]));
    const last = new Map<SecretKind, string>();
    for (const kind of KINDS) last.set(kind, (await cs.currentToken(secrets.get(kind) as string)).token);
    const noteRotations = async () => {
      for (const kind of KINDS) {
        const { token } = await cs.currentToken(secrets.get(kind) as string);
        if (token !== last.get(kind)) {
          tokenChanges.set(kind, (tokenChanges.get(kind) ?? 0) + 1);
          last.set(kind, token);
        }
      }
    };

    const stop = { stopped: false };
    const workers = consumers.flatMap((c) => Array.from({ length: WORKERS[c.variant] }, () => work(c, stop)));
    const sweepFailures: string[] = [];
    let leaks = 0;
    try {
      await sleep(100);
      for (let step = 1; step <= STEPS; step++) {
        cs.stack.clock.advance(STEP_SECONDS);
        await sleep(2 * PAUSE_MS);
        const result = await sweep();
        // The sweep's rotations run after RotateSecret answers, as on AWS: let them finish.
        await cs.settled();
        sweepFailures.push(...result.failed.map((f) => f.error));
        await noteRotations();
        await sleep(2 * PAUSE_MS);
        if (step % LEAK_EVERY === 0) {
          leaks++;
          // Rotate now, then revoke the replaced token at once; seconds apart, so 4.x JWTs differ.
          cs.stack.clock.advance(5);
          for (const secretId of secrets.values()) await invoke({ action: 'request', secretId });
          await cs.settled();
          await noteRotations();
          await sleep(2 * PAUSE_MS);
          cs.stack.clock.advance(5);
          for (const secretId of secrets.values()) await invoke({ action: 'delete', secretId });
          await sleep(2 * PAUSE_MS);
        }
      }
      // Let calls refused at the end finish their delayed re-read.
      await sleep(ICA_PASSWORD_REREAD_DELAY_MS + 500);
    } finally {
      stop.stopped = true;
      await Promise.all(workers);
    }

    const rows = consumers.map((c) => ({
      kind: c.kind,
      variant: c.variant,
      calls: c.calls,
      failed: c.failures,
      reads: c.client.calls,
      rereadsAfterRefusal: c.source.stats().refreshes,
      rotations: tokenChanges.get(c.kind) ?? 0,
      failures: [...c.failureReasons].map(([r, n]) => `${r} x${n}`).join(', '),
    }));
    console.table(rows);

    expect(KINDS).toEqual(expect.arrayContaining(['tigergraph3', 'tigergraph4']));
    expect(sweepFailures).toEqual([]);
    expect(leaks).toBe(STEPS / LEAK_EVERY);
    for (const kind of KINDS) expect(tokenChanges.get(kind)).toBeGreaterThanOrEqual(leaks);

    const row = (kind: SecretKind, variant: Variant) => rows.find((r) => r.kind === kind && r.variant === variant)!;
    for (const kind of KINDS) {
      const helper = row(kind, 'helper');
      expect(helper.calls, `${kind}: helper calls`).toBeGreaterThan(STEPS * 4);
      expect(helper.failed, `${kind}: helper failed calls (${helper.failures})`).toBe(0);
      expect(helper.rereadsAfterRefusal, `${kind}: re-reads per rotation`).toBeLessThanOrEqual(helper.rotations);
      // The cache does its job: far fewer reads than calls.
      expect(helper.reads).toBeLessThan(helper.calls / 4);
      // Without a cache every call costs a GetSecretValue.
      const noCache = row(kind, 'noCache');
      expect(noCache.reads).toBeGreaterThanOrEqual(noCache.calls);
    }
    if (KINDS.includes('icaPassword')) {
      const noDelay = row('icaPassword', 'helperNoDelay');
      expect(noDelay.failed, `icaPassword: helper with the defaults, failed calls (${noDelay.failures})`).toBe(0);
    }
    for (const kind of REVOKING) {
      // The refusals were real: the helper had to re-read...
      expect(row(kind, 'helper').rereadsAfterRefusal, `${kind}: helper re-reads`).toBeGreaterThanOrEqual(1);
      // ...and the stale cache kept using dead tokens.
      expect(row(kind, 'stale').failed, `${kind}: stale-cache failed calls`).toBeGreaterThan(0);
    }
  });
});

/**
 * Issue 22: APIs that end a user's older tokens when they issue a new one (a Trifacta workspace
 * with one live token per user; ICA in username/password mode, where the docs leave it open), with
 * the rotation's four steps as separate invocations a second apart, as on AWS. From the mint until
 * finishSecret, AWSCURRENT holds a dead token and AWSPENDING the live one: the consumer library at
 * its documented defaults must fail no call (it reads AWSPENDING when the refused version is still
 * current), and the stale cache must fail (the fakes really kill the old tokens).
 */
describe('consumers of APIs that end older tokens on issue, steps seconds apart (issue 22)', () => {
  it('the helper at its defaults never fails; a stale cache does', { timeout: 240_000 }, async () => {
    const kinds = KINDS.filter((k): k is 'trifacta' | 'icaPassword' => k === 'trifacta' || k === 'icaPassword');
    expect(kinds.length).toBeGreaterThan(0);
    cs.trifacta.setQuirks({ oneLiveTokenPerUser: true });
    cs.ica.setQuirks({ passwordMintInvalidatesEarlier: true });
    cs.stack.aws.setRotationInvoker(async (event) => {
      if (event.Step !== 'createSecret') await sleep(STEP_GAP_MS);
      await rotationHandler(event, lambdaContext('rotation'));
    });
    const consumers = kinds.flatMap((kind) => (['helperNoDelay', 'stale'] as const).map((variant) => consumer(kind, variant)));
    const stop = { stopped: false };
    const workers = consumers.flatMap((c) => Array.from({ length: WORKERS[c.variant] }, () => work(c, stop)));
    const before = new Map(await Promise.all(kinds.map(async (k) => [k, (await cs.currentToken(secrets.get(k) as string)).token] as const)));
    const sweepFailures: string[] = [];
    const steps = 8; // a day of fake time: ICA's 12-hour JWTs rotate at each half-life, Trifacta on demand
    try {
      await sleep(100);
      for (let step = 1; step <= steps; step++) {
        cs.stack.clock.advance(STEP_SECONDS);
        const result = await sweep();
        await cs.settled();
        sweepFailures.push(...result.failed.map((f) => f.error));
        if (step % LEAK_EVERY === 0) {
          cs.stack.clock.advance(5);
          for (const kind of kinds) await invoke({ action: 'request', secretId: secrets.get(kind) });
          await cs.settled();
        }
        await sleep(2 * PAUSE_MS);
      }
      await sleep(500);
    } finally {
      stop.stopped = true;
      await Promise.all(workers);
      cs.trifacta.setQuirks({ oneLiveTokenPerUser: false });
      cs.ica.setQuirks({ passwordMintInvalidatesEarlier: false });
      cs.stack.aws.setRotationInvoker(async (event) => {
        await rotationHandler(event, lambdaContext('rotation'));
      });
    }
    const rows = consumers.map((c) => ({
      kind: c.kind,
      variant: c.variant,
      calls: c.calls,
      failed: c.failures,
      pendingUsed: c.source.stats().pendingUsed,
      failures: [...c.failureReasons].map(([r, n]) => `${r} x${n}`).join(', '),
    }));
    console.table(rows);
    expect(sweepFailures).toEqual([]);
    for (const kind of kinds) {
      // Rotations happened, and each ended the token it replaced at once.
      const { token } = await cs.currentToken(secrets.get(kind) as string);
      expect(token).not.toBe(before.get(kind));
      expect(cs.isLive(kind, before.get(kind) as string)).toBe(false);
      const helper = rows.find((r) => r.kind === kind && r.variant === 'helperNoDelay')!;
      expect(helper.calls, `${kind}: helper calls`).toBeGreaterThan(steps * 4);
      expect(helper.failed, `${kind}: helper (defaults) failed calls (${helper.failures})`).toBe(0);
      expect(helper.pendingUsed, `${kind}: refusals answered from AWSPENDING`).toBeGreaterThan(0);
      expect(rows.find((r) => r.kind === kind && r.variant === 'stale')!.failed, `${kind}: stale-cache failed calls`).toBeGreaterThan(0);
    }
  });
});
