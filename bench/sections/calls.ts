/**
 * Section 3: calls per operation, counted at the local endpoints (the Secrets Manager/SSM request
 * log, the fake TigerGraph's per-operation stats). Each scenario starts as a cold container would:
 * no TigerGraph version cached, no settings cached. The Secrets Manager call sequence is recorded
 * on the handlers' own SDK client, so each call names what it read (stage, version, credential).
 */
import { RotateSecretCommand } from '@aws-sdk/client-secrets-manager';
import { clearSettingsCache } from '../../functions/lib/settings.js';
import { DEFAULT_SETTINGS } from '../../core/settings.js';
import { SETTLED } from '../../core/secrets/store.js';
import { resetCaches } from '../../core/reset.js';
import { handler as onDemandHandler } from '../../functions/on-demand/handler.js';
import { secretsManagerClient } from '../../functions/lib/runtime.js';
import { handler as scheduledHandler } from '../../functions/scheduled-refresh/handler.js';
import type { FakeStats } from '../../local/fakes/tigergraph/index.js';
import { lambdaContext } from '../../local/lambda-context.js';
import { startLocalStack, type LocalStack } from '../../local/stack.js';
import { goal, type Goal, type SectionResult } from '../lib/results.js';
import type { Table } from '../lib/table.js';

export interface Counts {
  secretsManager: number;
  ssm: number;
  tigergraph: number;
}

export interface ScenarioResult {
  id: string;
  operation: string;
  measured: Counts;
  minimum: Counts;
  /** Why each minimum is what it is. */
  why: string;
  /** Secrets Manager calls in order (RotateSecret first when the scenario starts with it). */
  smSequence: string[];
  ssmOperations: Record<string, number>;
  tigergraphByOp: Partial<Record<keyof FakeStats, number>>;
  /** Calls above the minimum, described precisely; empty when at the minimum. */
  aboveMinimum: string[];
  outcome: string;
}

export interface CallsData {
  conditions: string;
  scenarios: ScenarioResult[];
}

type ScheduledContext = Parameters<typeof scheduledHandler>[1];

/** Calls above the minimum that one cause explains. */
interface Extra {
  service: keyof Counts;
  calls: number;
  text: string;
}
const DAY = 86_400;

interface Scenario {
  id: string;
  operation: string;
  minimum: Counts;
  why: string;
  /** Explains calls above the minimum, given what was measured; anything left unexplained is reported with the sequence. */
  explainExtra: (m: Counts, r: Omit<ScenarioResult, 'aboveMinimum'>) => Extra[];
  prepare: (s: LocalStack) => Promise<{ arn: string; credentialArn?: string }>;
  run: (s: LocalStack, arn: string) => Promise<string>;
}

async function rotateOnce(s: LocalStack, arn: string): Promise<string> {
  const out = await s.secretsManager.send(new RotateSecretCommand({ SecretId: arn }));
  // RotateSecret only starts the rotation (as on AWS): the steps run afterwards.
  await s.aws.rotationsSettled(arn);
  const failure = s.aws.lastRotationError(arn);
  if (failure) throw new Error(`rotation of ${arn} failed: ${JSON.stringify(failure)}`);
  return `rotated to ${out.VersionId?.slice(0, 8)}…`;
}

async function sweepOne(arn: string): Promise<string> {
  const r = await scheduledHandler({ secretIds: [arn] }, lambdaContext('scheduled-refresh', 300_000) as ScheduledContext);
  if (r.failed.length) throw new Error(`sweep failed: ${r.failed[0]?.error}`);
  return `checked ${r.checked}, refreshed ${r.refreshed}, rotated ${r.rotated}, revoked ${r.revoked}`;
}

const rotationScenario = (version: 3 | 4): Scenario => ({
  id: `rotation-${version}x`,
  operation: `full rotation, TigerGraph ${version}.x (RotateSecret + createSecret, setSecret, testSecret, finishSecret)`,
  minimum: { secretsManager: 11, ssm: 0, tigergraph: 3 },
  why:
    'SM: RotateSecret 1; createSecret 5 (DescribeSecret stage check, GetSecretValue AWSPENDING by VersionId for idempotency, GetSecretValue AWSCURRENT for the config, GetSecretValue credential, PutSecretValue AWSPENDING); ' +
    'setSecret 1 (DescribeSecret stage check, AWS template convention; the step itself needs nothing); testSecret 2 (DescribeSecret, GetSecretValue AWSPENDING for the token: verifying is a Bearer call that needs no credential); ' +
    'finishSecret 2 (DescribeSecret, UpdateSecretVersionStage moving AWSCURRENT). TG: version detection 1 (tigergraphVersion "auto", cold container), issue 1, verify 1.',
  explainExtra: (_m, r) => {
    const out: Extra[] = [];
    const credentialReads = r.smSequence.filter((c) => c.includes('credential')).length;
    if (credentialReads > 1) {
      out.push({
        service: 'secretsManager',
        calls: credentialReads - 1,
        text: `${credentialReads - 1} extra GetSecretValue(credential) in testSecret: it opens a provider (core/providers/open.ts reads the credential secret) only to call verify(), a Bearer-token GET /echo that needs no credential. The one credentialed call verify could need is version detection in a cold container, and the pending value already records providerVersion (written by createSecret), so a credential-free verifier built from the pending secret (version = providerVersion) saves 1 call per rotation.`,
      });
    }
    // createSecret reads AWSPENDING once (idempotency) and testSecret once (the token to test).
    const pendingReads = r.smSequence.filter((c) => c === 'GetSecretValue(token, AWSPENDING, VersionId)').length;
    const finishIndex = r.smSequence.lastIndexOf('DescribeSecret(token)');
    const readsInFinish = r.smSequence.slice(finishIndex).filter((c) => c === 'GetSecretValue(token, AWSPENDING, VersionId)').length;
    if (pendingReads > 2 && readsInFinish > 0) {
      out.push({
        service: 'secretsManager',
        calls: Math.min(pendingReads - 2, readsInFinish),
        text: `${Math.min(pendingReads - 2, readsInFinish)} GetSecretValue(AWSPENDING) in finishSecret (core/rotation/steps.ts, since 6583b16): it repeats testSecret's check that the pending version holds a usable token before promoting it. Secrets Manager only calls finishSecret after testSecret succeeded for the same version, so within the protocol the read is redundant; it guards replayed or out-of-order invocations (an outage if an empty placeholder became AWSCURRENT). Above the protocol minimum but arguably worth 1 call per rotation.`,
      });
    }
    const pendingRemovals = r.smSequence.filter((c) => c.startsWith('UpdateSecretVersionStage(') && c.includes('remove AWSPENDING')).length;
    if (pendingRemovals > 0) {
      out.push({
        service: 'secretsManager',
        calls: pendingRemovals,
        text: `${pendingRemovals} UpdateSecretVersionStage(remove AWSPENDING) in finishSecret: AWS's rotation templates only move AWSCURRENT and leave AWSPENDING on the new current version (the next RotateSecret moves it on). The project removes it on purpose ("AWSPENDING never lingers"); dropping it saves 1 call per rotation.`,
      });
    }
    return out;
  },
  prepare: async (s) => ({ arn: await s.createTokenSecret(`bench/calls/rotation-${version}x`, { version }) }),
  run: rotateOnce,
});

/** Token lifetime of the scenarios' secrets (explicit, so the refresh point is known: 3 days before expiry). */
const LIFETIME_SECONDS = 30 * DAY;

/**
 * A token secret as the sweep leaves it between events: rotated once, then settled one grace
 * period later (the first version held no token, so its AWSPREVIOUS label is dropped and TGSETTLED
 * goes onto the current version). A sweep then sees from the batched read alone that nothing is due.
 */
async function settledSecret(s: LocalStack, name: string, version: 3 | 4, lifetimeSeconds = LIFETIME_SECONDS): Promise<string> {
  const arn = await s.createTokenSecret(name, { version, fields: { lifetimeSeconds } });
  s.clock.advance(DEFAULT_SETTINGS.revokeGraceSeconds + 60);
  await sweepOne(arn);
  const stages = s.aws.inspectSecret(arn)?.versions.find((v) => v.stages.includes('AWSCURRENT'))?.stages ?? [];
  if (!stages.includes(SETTLED)) throw new Error(`prepare: ${name} did not settle (AWSCURRENT labels ${stages.join(', ')})`);
  return arn;
}

/** From a fresh token to half a day past its refresh point (3 days before expiry, plus at most an hour of jitter). */
const TO_REFRESH_POINT_SECONDS = LIFETIME_SECONDS - DEFAULT_SETTINGS.refreshBeforeSeconds + DAY / 2;

const credentialExtra = (r: Omit<ScenarioResult, 'aboveMinimum'>, counted: number): Extra[] => {
  const reads = r.smSequence.filter((c) => c.startsWith('GetSecretValue(credential')).length;
  return reads > counted
    ? [{ service: 'secretsManager', calls: reads - counted, text: `${reads - counted} GetSecretValue(credential) more than the ${counted} a cold container needs (core/providers/open.ts caches credentials per container).` }]
    : [];
};

const settleScenario = (version: 3 | 4): Scenario => ({
  id: `settle-${version}x`,
  operation: `settle, TigerGraph ${version}.x (scheduled sweep of one secret rotated more than revokeGraceSeconds ago and not settled; token not due${version === 4 ? '; 90-day tokens, so the replaced one has more than routineRevokeMinRemainingSeconds left and is block-listed' : ''})`,
  minimum: { secretsManager: 8, ssm: 1, tigergraph: 2 },
  why:
    'SSM: settings 1 (cold container). SM: BatchGetSecretValue 1 (the read pass: 1/20 of a call per secret in a fleet), then fleet-plan.ts\'s settle: DescribeSecret (which version holds AWSPREVIOUS, and AWSCURRENT unchanged since the read), ' +
    'GetSecretValue of the AWSPREVIOUS version (the token to revoke), UpdateSecretVersionStage removing AWSPREVIOUS (the revoke is recorded, never repeated) and UpdateSecretVersionStage moving TGSETTLED onto the current version (later sweeps see "nothing to do" from the batched read); ' +
    'DescribeSecret before acting (its tags: is it paused? a sweep of ids has no ListSecrets to carry them) and TagResource recording the outcome (issue 23: status shows the last revoke); ' +
    '+ GetSecretValue credential 1 (cold container; cached per container after that). TG: version detection 1 (tigergraphVersion "auto", cold container), delete 1.',
  explainExtra: (_m, r) => {
    const out = credentialExtra(r, 1);
    if ((r.tigergraphByOp.check ?? 0) > 0) {
      out.push({
        service: 'tigergraph',
        calls: r.tigergraphByOp.check ?? 0,
        text: `${r.tigergraphByOp.check} POST /gsql/v1/tokens/check before DELETE /gsql/v1/tokens (core/providers/tigergraph/client.ts deleteToken on 4.x): the check only tells "already gone" from "revoked"; block-listing an expired or already block-listed JWT is harmless, so the revoke itself needs 1 call.`,
      });
    }
    return out;
  },
  prepare: async (s) => {
    // 4.x block-lists only replaced tokens with more than routineRevokeMinRemainingSeconds (60 days) left.
    const arn = await settledSecret(s, `bench/calls/settle-${version}x`, version, version === 4 ? 90 * DAY : LIFETIME_SECONDS);
    await rotateOnce(s, arn); // AWSPREVIOUS now holds a live token, TGSETTLED is off the new current version
    s.clock.advance(DEFAULT_SETTINGS.revokeGraceSeconds + 60);
    return { arn };
  },
  run: (_s, arn) => sweepOne(arn),
});

const refreshWhy =
  'SSM: settings 1 (cold container). SM: BatchGetSecretValue 1 (the read pass: 1/20 of a call per secret in a fleet), then fleet-plan.ts\'s refresh: DescribeSecret (AWSCURRENT unchanged since the read, no rotation in flight, where AWSPREVIOUS is), ' +
  'PutSecretValue under the private label TGSTAGED (TGSETTLED rides along: same token, nothing new to revoke) and UpdateSecretVersionStage moving AWSCURRENT from the version read (a compare-and-swap: a concurrent rotation\'s version is never overwritten); ' +
  '+ DescribeSecret before acting (its tags: is it paused? a sweep of ids has no ListSecrets to carry them) and TagResource recording the outcome (issue 23: status shows the last refresh); ' +
  '+ GetSecretValue credential 1 (cold container). TG: version detection 1 (auto, cold), refresh 1.';

const refreshScenario = (repeat: boolean): Scenario => ({
  id: repeat ? 'refresh-3x-again' : 'refresh-3x',
  operation: repeat
    ? 'refresh again, TigerGraph 3.x (the steady state: the secret was refreshed in place before, so AWSPREVIOUS is on an older version holding the same token)'
    : 'refresh, TigerGraph 3.x (scheduled sweep of one settled secret whose token is within refreshBeforeSeconds of expiry; its first refresh)',
  minimum: { secretsManager: 7, ssm: 1, tigergraph: 2 },
  why: refreshWhy,
  explainExtra: (_m, r) => {
    const out = credentialExtra(r, 1);
    const back = r.smSequence.filter((c) => c === 'UpdateSecretVersionStage(token, move AWSPREVIOUS)').length;
    if (back) {
      out.push({
        service: 'secretsManager',
        calls: back,
        text: `${back} UpdateSecretVersionStage(move AWSPREVIOUS) back onto the version that held it (core/operations/write-current.ts, same token and an AWSPREVIOUS before the write): moving AWSCURRENT made the service put AWSPREVIOUS on the version just replaced, which holds the same token. The move keeps an older, unrevoked token tracked; on a TGSETTLED current version nothing older is left to revoke, so it could be skipped there (1 write fewer per steady-state refresh; core/operations/fleet-plan.ts counts 2 writes per refresh, the steady state makes 3).`,
      });
    }
    return out;
  },
  prepare: async (s) => {
    const arn = await settledSecret(s, `bench/calls/refresh-3x${repeat ? '-again' : ''}`, 3);
    s.clock.advance(TO_REFRESH_POINT_SECONDS);
    if (repeat) {
      await sweepOne(arn); // the first refresh
      s.clock.advance(TO_REFRESH_POINT_SECONDS);
    }
    return { arn };
  },
  run: async (_s, arn) => {
    const out = await sweepOne(arn);
    if (!out.includes('refreshed 1')) throw new Error(`refresh scenario did not refresh: ${out}`);
    return out;
  },
});

const SCENARIOS: Scenario[] = [
  rotationScenario(3),
  rotationScenario(4),
  refreshScenario(false),
  refreshScenario(true),
  settleScenario(3),
  settleScenario(4),
  {
    id: 'not-due',
    operation: 'scheduled sweep of one settled secret that is not due (the quiet majority of a fleet; also after a rotation, within the grace period)',
    minimum: { secretsManager: 2, ssm: 1, tigergraph: 0 },
    why:
      'SSM: settings 1 (cold container). SM: BatchGetSecretValue 1 (in a fleet 1/20 of a call per secret, plus 1/100 ListSecrets with tag discovery): AWSCURRENT\'s labels show it settled (or its CreatedDate the grace period running), its expiresAt that no refresh is due; DescribeSecret 1 of its credential secret, for the credential-age metric (once per credential per sweep, however many secrets share it). TG: none.',
    explainExtra: () => [],
    prepare: async (s) => ({ arn: await settledSecret(s, 'bench/calls/not-due', 3) }),
    run: async (_s, arn) => {
      const out = await sweepOne(arn);
      if (!out.includes('refreshed 0') || !out.includes('revoked 0')) throw new Error(`not-due scenario acted: ${out}`);
      return out;
    },
  },
  {
    id: 'status',
    operation: 'on-demand status of one secret',
    minimum: { secretsManager: 2, ssm: 0, tigergraph: 0 },
    why: 'SM: GetSecretValue AWSCURRENT (expiry, issue time and detected version are stored there), DescribeSecret (its tags: the pause and the last outcomes; LastRotatedDate). SSM: none needed. TG: none.',
    explainExtra: (_m, r) =>
      (r.ssmOperations.GetParameters ?? 0) + (r.ssmOperations.GetParameter ?? 0) > 0
        ? [
            {
              service: 'ssm',
              calls: (r.ssmOperations.GetParameters ?? 0) + (r.ssmOperations.GetParameter ?? 0),
              text: 'The settings parameter, read by functions/on-demand/handler.ts\'s settingsMiddleware before every action (cached per container for 5 minutes): fleet status, refresh and delete use the settings, the status of one secret does not. Loading them only for those actions saves the read on a cold container.',
            },
          ]
        : [],
    prepare: async (s) => ({ arn: await s.createTokenSecret('bench/calls/status', { version: 3 }) }),
    run: async (_s, arn) => {
      const r = (await onDemandHandler({ action: 'status', secretId: arn }, lambdaContext('on-demand') as never)) as { secondsLeft: number | null };
      return `secondsLeft ${r.secondsLeft}`;
    },
  },
];

/** Names a SecretId as the scenario knows it: token secret or its credential secret. */
function labeller(stack: LocalStack): (id: unknown) => string {
  return (id) => {
    const snap = typeof id === 'string' ? stack.aws.inspectSecret(id) : undefined;
    if (!snap) return String(id);
    return snap.name.endsWith('/credentials') ? 'credential' : 'token';
  };
}

function describeCall(commandName: string, input: Record<string, unknown>, label: (id: unknown) => string): string {
  const op = commandName.replace(/Command$/, '');
  if (op === 'BatchGetSecretValue') {
    const ids = Array.isArray(input.SecretIdList) ? input.SecretIdList : [];
    return `${op}(${ids.length === 1 ? label(ids[0]) : `${ids.length} ids`})`;
  }
  const parts = [label(input.SecretId)];
  if (op === 'UpdateSecretVersionStage') {
    parts.push(input.MoveToVersionId ? `move ${String(input.VersionStage)}` : `remove ${String(input.VersionStage)}`);
  } else {
    if (input.VersionStage) parts.push(String(input.VersionStage));
    if (input.VersionId) parts.push('VersionId');
    if (op === 'PutSecretValue' && Array.isArray(input.VersionStages)) parts.push(`as ${input.VersionStages.join('+')}`);
  }
  return `${op}(${parts.join(', ')})`;
}

export async function runCalls(ctx: { log: (m: string) => void }): Promise<SectionResult<CallsData>> {
  const stack = await startLocalStack();
  try {
    await stack.putSettings(DEFAULT_SETTINGS);
    const label = labeller(stack);
    const sequence: string[] = [];
    let recording = false;
    const client = secretsManagerClient();
    client.middlewareStack.add(
      (next, context) => async (args) => {
        if (recording) sequence.push(describeCall(String(context.commandName), args.input as Record<string, unknown>, label));
        return next(args);
      },
      { step: 'initialize', name: 'benchCallRecorder' },
    );

    const scenarios: ScenarioResult[] = [];
    for (const sc of SCENARIOS) {
      ctx.log(`calls: ${sc.id}`);
      const { arn } = await sc.prepare(stack);
      // A cold container: nothing cached from earlier invocations in this process.
      await resetCaches();
      clearSettingsCache();
      stack.aws.resetRequestLog();
      stack.tg3.resetStats();
      stack.tg4.resetStats();
      sequence.length = 0;
      recording = true;
      let outcome: string;
      try {
        outcome = await sc.run(stack, arn);
      } finally {
        recording = false;
      }
      const log = stack.aws.requestLog;
      const ssmOps: Record<string, number> = {};
      for (const e of log.filter((x) => x.service === 'ssm')) ssmOps[e.operation] = (ssmOps[e.operation] ?? 0) + 1;
      const tgBy: Partial<Record<keyof FakeStats, number>> = {};
      for (const stats of [stack.tg3.stats(), stack.tg4.stats()]) {
        for (const [op, n] of Object.entries(stats)) if (op !== 'total' && n > 0) tgBy[op as keyof FakeStats] = (tgBy[op as keyof FakeStats] ?? 0) + n;
      }
      const measured: Counts = {
        secretsManager: log.filter((x) => x.service === 'secretsmanager').length,
        ssm: log.filter((x) => x.service === 'ssm').length,
        tigergraph: stack.tg3.stats().total + stack.tg4.stats().total,
      };
      const smSequence = log.some((x) => x.operation === 'RotateSecret') ? ['RotateSecret(token)', ...sequence] : [...sequence];
      const partial = { id: sc.id, operation: sc.operation, measured, minimum: sc.minimum, why: sc.why, smSequence, ssmOperations: ssmOps, tigergraphByOp: tgBy, outcome };
      const extras = sc.explainExtra(measured, partial);
      const aboveMinimum = extras.map((e) => e.text);
      for (const k of ['secretsManager', 'ssm', 'tigergraph'] as const) {
        const left = measured[k] - sc.minimum[k] - extras.filter((e) => e.service === k).reduce((a, e) => a + e.calls, 0);
        if (left > 0) {
          const detail =
            k === 'secretsManager'
              ? `sequence: ${smSequence.join(' → ')}`
              : k === 'tigergraph'
                ? `by operation: ${JSON.stringify(tgBy)}`
                : `operations: ${JSON.stringify(ssmOps)}`;
          aboveMinimum.push(`${left} ${k} call(s) above the minimum not explained by the bench (${measured[k]} measured, minimum ${sc.minimum[k]}); ${detail}`);
        }
      }
      scenarios.push({ ...partial, aboveMinimum });
    }

    const goals: Goal[] = scenarios.flatMap((s) =>
      (['secretsManager', 'tigergraph'] as const).map((k) => goal('calls', `${s.id} ${k} calls (minimum ${s.minimum[k]})`, s.measured[k], '<=', s.minimum[k], 'calls')),
    );
    const findings = scenarios.flatMap((s) => s.aboveMinimum.map((f) => `${s.id}: ${f}`));
    const table: Table = {
      title: 'Calls per operation, counted at the local endpoints (cold container: no cached TigerGraph version or settings)',
      columns: ['operation', 'SM calls', 'SM min', 'SSM', 'SSM min', 'TG calls', 'TG min', 'TG by op', 'calls above minimum'],
      rows: scenarios.map((s) => [
        s.id,
        s.measured.secretsManager,
        s.minimum.secretsManager,
        s.measured.ssm,
        s.minimum.ssm,
        s.measured.tigergraph,
        s.minimum.tigergraph,
        Object.entries(s.tigergraphByOp)
          .map(([op, n]) => `${op} ${n}`)
          .join(', '),
        (['secretsManager', 'ssm', 'tigergraph'] as const).reduce((a, k) => a + Math.max(0, s.measured[k] - s.minimum[k]), 0) || 'no',
      ]),
      notes: scenarios.map((s) => `${s.id}: ${s.smSequence.join(' → ')}`),
    };
    return {
      data: { conditions: 'local endpoints, tigergraphVersion "auto", each scenario from a cold container (caches cleared)', scenarios },
      tables: [table],
      goals,
      findings,
    };
  } finally {
    await stack.close();
  }
}
