/**
 * Fault soak: many rotations (RotateSecret, on-demand request/refresh/delete) and scheduled sweeps
 * over a set of TigerGraph 3.x and 4.x, Trifacta and ICA (API key and password) secrets while the
 * fakes fail a seeded share of calls (5xx, dropped connections, latency above the client timeout,
 * malformed bodies; ICA also mints and then drops the answer) and the Secrets Manager endpoint
 * throttles (and now and then fails PutSecretValue / UpdateSecretVersionStage outright). After
 * every operation (and the rotations it started, which run in the background as on AWS) the stored
 * state is checked against the fail-safe invariants (helpers.ts Ledger), and no result or error
 * may quote a token or a credential; at the end, with faults off, every rotation left pending
 * completes and nothing dangles.
 *
 * Short by default (part of `npm test`); `TG_SOAK=long` (`npm run soak`) runs a longer, wider plan.
 * Reproducible: one seed drives the fault plan, the fakes' fault PRNGs, the endpoint's throttling
 * and the backoff jitter (Math.random is seeded for the run); operations run one at a time and
 * sweeps with concurrency 1, so requests reach the fakes in the same order on every run.
 */
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import type { FaultConfig } from '../../local/aws/index.js';
import type { FakeIcaFaults } from '../../local/fakes/ica/index.js';
import type { FakeFaults, FakeOp, FakeTigerGraph } from '../../local/fakes/tigergraph/index.js';
import type { FakeTrifactaFaults } from '../../local/fakes/trifacta/index.js';
import type { LocalStack } from '../../local/stack.js';
import {
  AWS_MAX_ATTEMPTS,
  BLOCK_LIST_REVOKES, DAY,
  Ledger,
  credentialValues,
  fastSdkThrottleBackoff,
  invoke,
  knownTokens,
  prng,
  putSettings,
  replayInjectedFaults,
  rotateSecret,
  startStack,
  sweepSettled,
  unreadableSweepMessage,
  untypedReason,
  type Kind as SecretKind,
} from './helpers.js';

const LONG = process.env.TG_SOAK === 'long';
const PLAN = {
  ...(LONG
    ? { seed: 20_260_522, secretsPerVersion: 6, secretsPerOtherProvider: 3, rounds: 30, opsPerRound: 10, throttleRate: 0.08 }
    : { seed: 8, secretsPerVersion: 3, secretsPerOtherProvider: 1, rounds: 8, opsPerRound: 6, throttleRate: 0.05 }),
  // TG_SOAK_SEED explores other fault plans; the defaults keep `npm test` reproducible.
  ...(process.env.TG_SOAK_SEED ? { seed: Number(process.env.TG_SOAK_SEED) } : {}),
};

/** Client timeout for the soak, and the injected latency well above it. */
const TIMEOUT_MS = 200;
const SLOW_MS = 400;

type Mode = 'none' | 'errors' | 'drops' | 'malformed' | 'slow' | 'mixed';
type Kind = 'rotate' | 'request' | 'refresh' | 'revoke' | 'aws-retry' | 'sweep';

interface Plan {
  mode: Mode;
  tg3: FakeFaults;
  tg4: FakeFaults;
  trifacta: FakeTrifactaFaults;
  ica: FakeIcaFaults;
  /** Operation the latency targets in 'slow' mode. */
  slowOps: FakeOp[];
  aws: FaultConfig;
  putFails: boolean;
}

const stats = {
  operations: 0,
  byKind: {} as Record<string, number>,
  succeeded: 0,
  failed: 0,
  failuresByName: {} as Record<string, number>,
  /** RotateSecret answered but a step failed (lastRotationError recorded, AWSPENDING left for a retry). */
  rotationsFailed: 0,
  sweepSecretFailures: 0,
  tgFaults: 0,
  awsThrottles: 0,
  awsFailures: 0,
  /** Operations in which PutSecretValue failed outright (each can leave at most one minted, unstored token). */
  putFailures: 0,
  putFailuresWithTgFaults: 0,
  untyped: [] as string[],
  /** Results or error messages that quoted a token or a credential. */
  leaks: [] as string[],
  orphanCauses: [] as string[],
};

let stack: LocalStack;
let ledger: Ledger;
let random: () => number;
let restoreBackoff: () => void;

beforeAll(async () => {
  // Seed everything that draws Math.random in this process (the endpoint's throttling decisions,
  // the SDK's and the TigerGraph client's backoff jitter) before the endpoint captures it.
  const seeded = prng(PLAN.seed ^ 0x5eed);
  vi.spyOn(Math, 'random').mockImplementation(seeded);
  restoreBackoff = fastSdkThrottleBackoff();
  random = prng(PLAN.seed);
  // ICA: tokens:refresh here leaves the old JWT valid until its exp (the doc's assumption). With
  // the fake's default (the old JWT invalidated) a refresh whose new JWT cannot be stored leaves
  // AWSCURRENT refused: a product bug reproduced in known-issues.test.ts, kept out of the soak.
  // Its JWTs live 2 days like every token here (the tenant's setting; the fake's default is 12 h,
  // which under this fault density can run out while a failed rotation waits for its retry).
  stack = await startStack({ ica: { jwtLifetimeSeconds: 2 * DAY, quirks: { refreshKeepsOldValid: true } } }, { TG_HTTP_TIMEOUT_MS: String(TIMEOUT_MS) });
  ledger = new Ledger(stack);
  // Tokens live 2 days; the refresh point is half a token's life: sweeps come every 2 h, so a
  // secret whose refresh keeps failing has 12 sweeps to succeed before its token would expire.
  await putSettings(stack, { refreshBeforeSeconds: 1.5 * DAY, revokeGraceSeconds: 3600, concurrency: 1, ...BLOCK_LIST_REVOKES });
  const create = async (name: string, kind: SecretKind, options: Parameters<LocalStack['createTokenSecret']>[1], i: number) => {
    const arn = await stack.createTokenSecret(name, { ...options, fields: { ...options.fields, team: `team-${i}`, labels: { env: 'soak', n: i } } });
    expect(stack.aws.lastRotationError(arn)).toBeUndefined();
    ledger.track(arn, kind);
  };
  for (const version of [3, 4] as const) {
    for (let i = 0; i < PLAN.secretsPerVersion; i++) await create(`soak/tg${version}/${i}`, version, { version, fields: { lifetimeSeconds: 2 * DAY } }, i);
  }
  for (let i = 0; i < PLAN.secretsPerOtherProvider; i++) {
    await create(`soak/trifacta/${i}`, 'trifacta', { provider: 'trifacta', fields: { lifetimeSeconds: 2 * DAY } }, i);
    await create(`soak/ica-key/${i}`, 'ica', { provider: 'ica' }, i);
    await create(`soak/ica-password/${i}`, 'ica', { provider: 'ica', icaMode: 'password' }, i);
  }
  ledger.check('after setup', { requireNoPending: true });
}, 60_000);

afterAll(async () => {
  await stack?.close();
  restoreBackoff?.();
  vi.restoreAllMocks();
});

function pick<T>(items: readonly T[]): T {
  return items[Math.floor(random() * items.length)]!;
}

function drawPlan(): Plan {
  const mode = pick<Mode>(['none', 'none', 'errors', 'errors', 'drops', 'malformed', 'slow', 'mixed', 'mixed']);
  const seed = Math.floor(random() * 2 ** 31);
  const status = random() < 0.5 ? 500 : 503;
  const rates: Record<Mode, FakeFaults> = {
    none: {},
    errors: { errorRate: 0.3, errorStatus: status },
    drops: { dropRate: 0.3 },
    malformed: { malformedRate: 0.25 },
    slow: {},
    mixed: { errorRate: 0.15, errorStatus: status, dropRate: 0.1, malformedRate: 0.1 },
  };
  // Latency above TG_HTTP_TIMEOUT_MS on one kind of call: every attempt times out.
  const slowOps = mode === 'slow' ? [pick<FakeOp>(['request', 'echo', 'check', 'delete', 'refresh', 'version'])] : [];
  const tgFaults = (s: number): FakeFaults =>
    mode === 'slow' ? { latencyMs: SLOW_MS, ops: slowOps } : { ...rates[mode], seed: s };
  // Trifacta and ICA: the same rates (5xx statuses they use), latency on their mint call when slow,
  // and for ICA now and then a JWT minted whose answer is lost (it cannot be revoked: left to expire).
  const { errorRate, errorStatus, dropRate, malformedRate } = rates[mode];
  const shared = { ...(errorRate ? { errorRate, errorStatus } : {}), ...(dropRate ? { dropRate } : {}), ...(malformedRate ? { malformedRate } : {}) };
  const trifacta: FakeTrifactaFaults = mode === 'slow' ? { latencyMs: SLOW_MS, ops: ['create'] } : { ...shared, seed: seed + 2 };
  const ica: FakeIcaFaults =
    mode === 'slow' ? { latencyMs: SLOW_MS, ops: ['create', 'refresh'] } : { ...shared, ...(mode === 'mixed' ? { mintThenDropRate: 0.1 } : {}), seed: seed + 3 };
  const aws: FaultConfig = { throttleRate: PLAN.throttleRate };
  const roll = random();
  let putFails = false;
  if (roll < 0.14) {
    aws.failNext = { operation: 'PutSecretValue', errorType: 'InternalServiceError', count: AWS_MAX_ATTEMPTS };
    putFails = true;
  } else if (roll < 0.2) {
    aws.failNext = { operation: 'UpdateSecretVersionStage', errorType: 'InternalServiceError', count: AWS_MAX_ATTEMPTS };
  }
  return { mode, tg3: tgFaults(seed), tg4: tgFaults(seed + 1), trifacta, ica, slowOps, aws, putFails };
}

function faultsOff(): void {
  stack.tg3.setFaults({});
  stack.tg4.setFaults({});
  stack.trifacta.setFaults({});
  stack.ica.setFaults({});
  stack.aws.setFaults({});
}

/** Whether a result or an error message quotes a token or a credential in play. */
function quotesSecret(text: string): boolean {
  return [...knownTokens(stack), ...credentialValues(stack)].some((v) => v.length >= 12 && text.includes(v));
}

/** Runs one operation under `plan`, counts what was injected, checks the invariants after it. */
async function operate(kind: Kind, label: string, plan: Plan, run: () => Promise<unknown>, arn?: string): Promise<unknown> {
  const fakes: Array<[FakeTigerGraph, FakeFaults]> = [
    [stack.tg3, plan.tg3],
    [stack.tg4, plan.tg4],
  ];
  const before = fakes.map(([tg]) => tg.stats());
  const logStart = stack.aws.requestLog.length;
  const orphansBefore = new Set(ledger.tokenCensus().orphans);
  const failureBefore = arn ? stack.aws.lastRotationError(arn) : undefined;
  stack.tg3.setFaults(plan.tg3);
  stack.tg4.setFaults(plan.tg4);
  stack.trifacta.setFaults(plan.trifacta);
  stack.ica.setFaults(plan.ica);
  stack.aws.setFaults(plan.aws);
  let result: unknown;
  let error: unknown;
  try {
    result = await run();
  } catch (e) {
    error = e;
  } finally {
    // Rotations the operation started run in the background (as on AWS), under the same faults.
    await stack.aws.rotationsSettled();
    faultsOff();
  }

  stats.operations++;
  stats.byKind[kind] = (stats.byKind[kind] ?? 0) + 1;
  fakes.forEach(([tg, faults], i) => {
    const after = tg.stats();
    if (plan.mode === 'slow') stats.tgFaults += plan.slowOps.reduce((n, op) => n + after[op] - before[i]![op], 0);
    else if (plan.mode !== 'none') stats.tgFaults += replayInjectedFaults(faults, after.total - before[i]!.total);
  });
  const entries = stack.aws.requestLog.slice(logStart);
  stats.awsThrottles += entries.filter((e) => e.errorType === 'ThrottlingException').length;
  const injected = entries.filter((e) => e.errorType === 'InternalServiceError').length;
  stats.awsFailures += injected;
  if (plan.putFails && entries.some((e) => e.operation === 'PutSecretValue' && e.errorType === 'InternalServiceError')) {
    stats.putFailures++;
    if (plan.mode !== 'none') stats.putFailuresWithTgFaults++;
  }

  if (quotesSecret(error !== undefined ? String((error as Error)?.message) : JSON.stringify(result ?? null))) stats.leaks.push(label);
  if (error !== undefined) {
    const reason = untypedReason(error);
    if (reason) stats.untyped.push(`${label}: ${reason}`);
    const name = (error as Error).name ?? 'unknown';
    stats.failuresByName[name] = (stats.failuresByName[name] ?? 0) + 1;
    stats.failed++;
  } else {
    stats.succeeded++;
  }
  const failureAfter = arn ? stack.aws.lastRotationError(arn) : undefined;
  if (failureAfter && failureAfter.at.getTime() !== failureBefore?.at.getTime()) stats.rotationsFailed++;

  const { orphans } = ledger.check(`after ${label} [tg: ${plan.mode}${plan.slowOps.length ? ` ${plan.slowOps}` : ''}; aws: ${plan.aws.failNext?.operation ?? 'throttling only'}]`);
  const fresh = orphans.filter((t) => !orphansBefore.has(t));
  if (fresh.length) {
    // A token can be minted and then left live only if createSecret could not store it (the put
    // failed) and the compensating revoke failed too (the server was faulting at that moment).
    // (ICA cannot revoke: its unstored JWTs expire on their own, and the fake does not list them.)
    stats.orphanCauses.push(`${label}: ${fresh.length} orphan(s) under put failure=${plan.putFails}, tg=${plan.mode}`);
    expect(plan.putFails, `orphan without a failed put at ${label}`).toBe(true);
    expect(fresh.length, `more than one orphan from one failed put at ${label}`).toBe(1);
  }
  return error === undefined ? result : undefined;
}

async function rotationOp(arn: string, kind: Kind, n: number): Promise<void> {
  const label = `#${n} ${kind} ${arn.split(':').pop()}`;
  const plan = drawPlan();
  switch (kind) {
    case 'rotate':
      await operate(kind, label, plan, () => rotateSecret(stack, arn), arn);
      break;
    case 'request':
      await operate(kind, label, plan, () => invoke.onDemand({ action: 'request', secretId: arn }), arn);
      break;
    case 'refresh':
      await operate(kind, label, plan, () => invoke.onDemand({ action: 'refresh', secretId: arn }), arn);
      break;
    case 'revoke':
      await operate(kind, label, plan, () => invoke.onDemand({ action: 'delete', secretId: arn }), arn);
      break;
    case 'aws-retry': {
      // What Secrets Manager does after a failed rotation: run it again for the same version.
      const pending = ledger.danglingPending(arn);
      if (pending) await operate(kind, label, plan, () => rotateSecret(stack, arn, pending), arn);
      break;
    }
    case 'sweep':
      break;
  }
}

async function sweepOp(n: number): Promise<void> {
  const plan = drawPlan();
  const summary = (await operate('sweep', `#${n} sweep`, plan, () => sweepSettled(stack, { secretIds: ledger.arns() }))) as
    | { checked: number; failed: Array<{ secretId: string; error: string }> }
    | undefined;
  if (summary) {
    expect(summary.checked).toBe(ledger.arns().length);
    stats.sweepSecretFailures += summary.failed.length;
    for (const f of summary.failed) {
      const reason = unreadableSweepMessage(f.error);
      if (reason) stats.untyped.push(`sweep #${n} ${f.secretId}: ${reason}`);
    }
  }
}

describe(`fault soak (${LONG ? 'long' : 'short'})`, () => {
  it(
    'keeps every invariant through seeded TigerGraph and Secrets Manager faults, and recovers fully once they stop',
    async () => {
      let n = 0;
      for (let round = 0; round < PLAN.rounds; round++) {
        for (let i = 0; i < PLAN.opsPerRound; i++) {
          const arn = pick(ledger.arns());
          const kind = pick<Kind>(['rotate', 'rotate', 'request', 'request', 'refresh', 'revoke']);
          await rotationOp(arn, kind, ++n);
        }
        for (const arn of ledger.arns()) await rotationOp(arn, 'aws-retry', ++n);
        stack.clock.advance(2 * 3600);
        await sweepOp(++n);
      }

      // Faults off: Secrets Manager's retries complete every rotation left pending, and one
      // clean sweep finds nothing wrong.
      for (const arn of ledger.arns()) {
        const pending = ledger.danglingPending(arn);
        if (!pending) continue;
        await rotateSecret(stack, arn, pending);
        expect(stack.aws.lastRotationError(arn), `retry of ${arn}`).toBeUndefined();
      }
      const final = await sweepSettled(stack, { secretIds: ledger.arns() });
      expect(final.failed).toEqual([]);
      const end = ledger.check('at the end', { requireNoPending: true });
      for (const arn of ledger.arns()) expect(stack.aws.lastRotationError(arn)).toBeUndefined();

      const summary = {
        soak: LONG ? 'long' : 'short',
        seed: PLAN.seed,
        secrets: ledger.arns().length,
        operations: stats.operations,
        byKind: stats.byKind,
        succeeded: stats.succeeded,
        failed: stats.failed,
        failuresByName: stats.failuresByName,
        rotationsFailed: stats.rotationsFailed,
        sweepSecretFailures: stats.sweepSecretFailures,
        injected: { tigergraph: stats.tgFaults, awsThrottles: stats.awsThrottles, awsFailures: stats.awsFailures },
        minted: { tg3: stack.tg3.minted, tg4: stack.tg4.minted },
        orphans: {
          ever: ledger.orphansEver.size,
          liveAtEnd: end.orphans.length,
          failedPuts: stats.putFailures,
          failedPutsWhileTigerGraphFaulted: stats.putFailuresWithTgFaults,
        },
        untrackedLiveTokensAtEnd: end.untracked.length,
        leftToExpireAtEnd: end.leftToExpire.length,
        revokedThenAcceptedAgain: ledger.revivedEver.size,
        tg4DeleteRequests: stack.tg4.stats().delete,
        otherProviders: { trifacta: stack.trifacta.minted, ica: stack.ica.minted },
      };
      console.log(`[soak] ${JSON.stringify(summary)}`);

      expect(stats.untyped).toEqual([]);
      expect(stats.leaks).toEqual([]);
      expect(ledger.untrackedEver.size).toBe(0);
      // Every orphan comes from a put failure whose compensating revoke failed too (TigerGraph was
      // faulting): at most one per such operation; when the revoke got through there is none.
      expect(ledger.orphansEver.size).toBeLessThanOrEqual(stats.putFailuresWithTgFaults);
      expect(stats.putFailures).toBeGreaterThan(0);
      // The soak must actually have been hostile, and must have done real work.
      expect(stats.tgFaults).toBeGreaterThan(10);
      expect(stats.awsThrottles).toBeGreaterThan(5);
      expect(stats.failed + stats.rotationsFailed + stats.sweepSecretFailures).toBeGreaterThan(5);
      expect(stats.succeeded).toBeGreaterThan(stats.operations / 3);
      expect(stack.tg3.minted + stack.tg4.minted).toBeGreaterThan(ledger.arns().length * 2);
    },
    LONG ? 900_000 : 60_000,
  );
});
