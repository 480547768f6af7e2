/**
 * Issue 22: what CloudFormation does to a token secret when a deploy updates its rotation schedule
 * (a new interval) with RotateImmediatelyOnUpdate false (infra/construct.ts): RotateSecret with the
 * new rules and RotateImmediately false, so Secrets Manager only tests the configuration (testSecret
 * on an empty AWSPENDING version). Through the real rotation handler: nothing is minted, AWSCURRENT
 * stays, no failure is recorded (a failed configuration test would alarm, and fail the update).
 */
import { DescribeSecretCommand, GetSecretValueCommand, RotateSecretCommand } from '@aws-sdk/client-secrets-manager';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ROTATION_ERROR_TAG } from '../../core/names.js';
import { ROTATION_LAMBDA_ARN, startLocalStack, type LocalStack, type TokenSecretOptions } from '../../local/stack.js';

let stack: LocalStack;
beforeAll(async () => {
  stack = await startLocalStack();
});
afterAll(async () => {
  await stack.close();
});

const minted = () => stack.tg3.minted + stack.tg4.minted + stack.trifacta.minted + stack.ica.minted;

describe('a deploy that changes only the rotation interval', () => {
  it.each<[string, TokenSecretOptions]>([
    ['tigergraph 3.x', { version: 3 }],
    ['tigergraph 4.x', { version: 4 }],
    ['trifacta', { provider: 'trifacta' }],
    ['ica', { provider: 'ica' }],
  ])('%s: rotates nothing and records no failure', async (name, options) => {
    const arn = await stack.createTokenSecret(`schedule-update/${name.replace(/\W+/g, '-')}`, options);
    const before = await stack.secretsManager.send(new GetSecretValueCommand({ SecretId: arn }));
    const mintedBefore = minted();
    await stack.secretsManager.send(
      new RotateSecretCommand({ SecretId: arn, RotationLambdaARN: ROTATION_LAMBDA_ARN, RotationRules: { AutomaticallyAfterDays: 3 }, RotateImmediately: false }),
    );
    await stack.aws.rotationsSettled(arn);
    const after = await stack.secretsManager.send(new GetSecretValueCommand({ SecretId: arn }));
    expect(after.VersionId).toBe(before.VersionId);
    expect(minted()).toBe(mintedBefore);
    expect(stack.aws.lastRotationError(arn)).toBeUndefined();
    const described = await stack.secretsManager.send(new DescribeSecretCommand({ SecretId: arn }));
    expect((described.Tags ?? []).map((t) => t.Key)).not.toContain(ROTATION_ERROR_TAG);
    expect(Object.values(described.VersionIdsToStages ?? {}).flat()).not.toContain('AWSPENDING');
  });
});
