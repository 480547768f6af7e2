/**
 * The rotation hook end to end over real HTTP: the AWS SDK against the local Secrets Manager
 * endpoint (whose RotateSecret runs the real handler), the TigerGraph client against the fakes.
 */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { RotateSecretCommand } from '@aws-sdk/client-secrets-manager';
import { startLocalStack, type LocalStack } from '../../local/stack.js';
import { handler as rotationHandler } from '../../functions/rotation/handler.js';
import { lambdaContext } from '../../local/lambda-context.js';
import type { FakeTigerGraph } from '../../local/fakes/tigergraph/index.js';

let stack: LocalStack;

beforeAll(async () => {
  process.env.TG_HTTP_TIMEOUT_MS = '400';
  process.env.TG_HTTP_BASE_DELAY_MS = '5';
  process.env.AWS_MAX_ATTEMPTS = '2';
  stack = await startLocalStack();
});
afterAll(async () => {
  await stack.close();
});

function tg(version: 3 | 4): FakeTigerGraph {
  return version === 3 ? stack.tg3 : stack.tg4;
}

/** Stages and values of a secret straight from the endpoint's state. */
function state(arn: string) {
  const snap = stack.aws.inspectSecret(arn)!;
  const byStage = (stage: string) => snap.versions.find((v) => v.stages.includes(stage));
  const tokenOf = (stage: string) => {
    const v = byStage(stage);
    return v?.secretString ? (JSON.parse(v.secretString) as { token?: string }).token : undefined;
  };
  return { snap, byStage, tokenOf, pending: snap.versions.filter((v) => v.stages.includes('AWSPENDING')) };
}

/** RotateSecret, then (as on AWS the steps run afterwards) wait for the rotation to settle. */
async function rotate(arn: string, clientRequestToken?: string) {
  const out = await stack.secretsManager.send(new RotateSecretCommand({ SecretId: arn, ...(clientRequestToken ? { ClientRequestToken: clientRequestToken } : {}) }));
  await stack.aws.rotationsSettled(arn);
  return out;
}

let counter = 0;
const uniqueName = (v: number) => `it/rotation/tg${v}-${++counter}`;

beforeEach(() => {
  stack.tg3.setFaults({});
  stack.tg4.setFaults({});
  stack.aws.setFaults({});
});

describe.each([3, 4] as const)('TigerGraph %s.x', (version) => {
  it('a full RotateSecret leaves a new working AWSCURRENT, the old token still valid on AWSPREVIOUS, no AWSPENDING', async () => {
    const arn = await stack.createTokenSecret(uniqueName(version), { version });
    expect(stack.aws.lastRotationError(arn)).toBeUndefined();
    const first = state(arn).tokenOf('AWSCURRENT')!;
    expect(tg(version).isLive(first)).toBe(true);

    const minted = tg(version).minted;
    await rotate(arn);
    expect(stack.aws.lastRotationError(arn)).toBeUndefined();
    const s = state(arn);
    const second = s.tokenOf('AWSCURRENT')!;
    expect(second).not.toBe(first);
    expect(tg(version).minted).toBe(minted + 1);
    expect(tg(version).isLive(second)).toBe(true);
    expect(tg(version).isLive(first)).toBe(true);
    expect(s.tokenOf('AWSPREVIOUS')).toBe(first);
    expect(s.pending).toHaveLength(0);
    const current = JSON.parse(s.byStage('AWSCURRENT')!.secretString!);
    expect(current.providerVersion).toBe(String(version));
    expect(current.allowInsecureHttp).toBe(true); // user's fields kept
    expect(Date.parse(current.expiresAt)).toBeGreaterThan(stack.clock.now());
  });

  it('each step run twice gives the same state and exactly one minted token', async () => {
    const arn = await stack.createTokenSecret(uniqueName(version), { version });
    stack.aws.setRotationInvoker(undefined); // RotateSecret only creates the AWSPENDING placeholder
    try {
      const { VersionId } = await rotate(arn);
      // A 4.x JWT minted in the same second as the current one is byte-identical, and createSecret
      // then mints once more a second later (core/rotation/steps.ts): a second mint that depends on
      // timing, not on the replay. Move the servers' clock on so the first mint already differs.
      stack.clock.advance(1);
      const minted = tg(version).minted;
      for (const Step of ['createSecret', 'setSecret', 'testSecret', 'finishSecret'] as const) {
        await rotationHandler({ SecretId: arn, ClientRequestToken: VersionId!, Step }, lambdaContext('rotation'));
        const once = JSON.stringify(stack.aws.inspectSecret(arn)!.versions.map((v) => [v.versionId, v.stages, v.secretString]));
        await rotationHandler({ SecretId: arn, ClientRequestToken: VersionId!, Step }, lambdaContext('rotation'));
        const twice = JSON.stringify(stack.aws.inspectSecret(arn)!.versions.map((v) => [v.versionId, v.stages, v.secretString]));
        expect(twice).toBe(once);
      }
      expect(tg(version).minted).toBe(minted + 1);
      const s = state(arn);
      expect(s.byStage('AWSCURRENT')!.versionId).toBe(VersionId);
      expect(s.pending).toHaveLength(0);
    } finally {
      stack.aws.setRotationInvoker(async (event) => {
        await rotationHandler(event, lambdaContext('rotation'));
      });
    }
  });

  const faults: Array<[string, () => void]> = [
    ['TigerGraph 500 on token request (createSecret)', () => tg(version).setFaults({ errorRate: 1, ops: ['request'] })],
    ['TigerGraph timeout on the test call (testSecret)', () => tg(version).setFaults({ latencyMs: 1_000, ops: ['echo', 'check'] })],
    ['dropped connections on every call', () => tg(version).setFaults({ dropRate: 1 })],
    ['Secrets Manager error on PutSecretValue (createSecret)', () => stack.aws.setFaults({ failNext: { operation: 'PutSecretValue', errorType: 'InternalServiceError', count: 10 } })],
    ['Secrets Manager error on UpdateSecretVersionStage (finishSecret)', () => stack.aws.setFaults({ failNext: { operation: 'UpdateSecretVersionStage', errorType: 'InternalServiceError', count: 10 } })],
  ];

  it.each(faults)('%s: AWSCURRENT stays unchanged and working, and the retried rotation succeeds', async (_name, inject) => {
    const arn = await stack.createTokenSecret(uniqueName(version), { version });
    const before = state(arn);
    const currentVersion = before.byStage('AWSCURRENT')!.versionId;
    const currentToken = before.tokenOf('AWSCURRENT')!;
    const liveBefore = tg(version).liveTokens().length;

    inject();
    const { VersionId } = await rotate(arn);
    expect(stack.aws.lastRotationError(arn)).toBeDefined();
    const after = state(arn);
    expect(after.byStage('AWSCURRENT')!.versionId).toBe(currentVersion);
    expect(after.tokenOf('AWSCURRENT')).toBe(currentToken);

    tg(version).setFaults({});
    stack.aws.setFaults({});
    expect(tg(version).isLive(currentToken)).toBe(true);
    // No orphan: a token minted but never stored was revoked (where the server was reachable).
    if (_name.includes('PutSecretValue')) expect(tg(version).liveTokens().length).toBe(liveBefore);

    // Secrets Manager retries the rotation with the same version; here we ask for it.
    await rotate(arn, VersionId);
    expect(stack.aws.lastRotationError(arn)).toBeUndefined();
    const done = state(arn);
    expect(done.byStage('AWSCURRENT')!.versionId).toBe(VersionId);
    expect(tg(version).isLive(done.tokenOf('AWSCURRENT')!)).toBe(true);
    expect(done.pending).toHaveLength(0);
  });
});

describe('bad input leaves the secret untouched', () => {
  it.each([
    ['credential secret without secret or username/password', { credentials: { user: 'x' } }, /credential secret/],
    ['token secret without a usable host', { fields: { host: 'tg.example.com' } }, /host/],
    ['http:// host without allowInsecureHttp', { fields: { allowInsecureHttp: false } }, /allowInsecureHttp|http/],
  ])('%s', async (_name, options, message) => {
    const arn = await stack.createTokenSecret(uniqueName(3), { version: 3, ...options });
    const err = stack.aws.lastRotationError(arn);
    expect(err?.message).toMatch(message);
    const s = state(arn);
    expect(s.byStage('AWSCURRENT')!.secretString).not.toContain('"token"');
    expect(s.snap.versions.filter((v) => v.secretString && v.stages.includes('AWSPENDING'))).toHaveLength(0);
  });

  it('TigerGraph with authentication disabled fails with what to do', async () => {
    const { startFakeTigerGraph } = await import('../../local/fakes/tigergraph/index.js');
    const noAuth = await startFakeTigerGraph({ version: 3, authEnabled: false });
    try {
      const arn = await stack.createTokenSecret(uniqueName(3), {
        version: 3,
        fields: { restppPort: noAuth.port, gsqlPort: noAuth.port, tigergraphVersion: '3' },
      });
      expect(stack.aws.lastRotationError(arn)?.message).toMatch(/authentication/i);
    } finally {
      await noAuth.close();
    }
  });
});
