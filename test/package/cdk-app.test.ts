/**
 * examples/cdk-app: `npx tsx examples/cdk-app/app.ts` synthesizes offline into a temporary
 * directory it names, an existing stack (a bucket) with TokenRotation added (one connection per
 * provider) and an app Lambda that reads one token with exactly what grantReadToken gives.
 */
import { readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { serviceName } from '../../core/names.js';
import { childEnv, describeRun, REPO_BIN, REPO_ROOT, resourcesOfType, run, seconds, serviceNameOf, type Template } from './helpers.js';

let outdir: string | undefined;
afterAll(() => {
  if (outdir) rmSync(outdir, { recursive: true, force: true });
});

describe('examples/cdk-app', () => {
  it('synthesizes offline into a temporary directory: the existing stack, TokenRotation with a connection per provider, a reader of one token', { timeout: 150_000 }, async () => {
    const result = await run(path.join(REPO_BIN, 'tsx'), ['examples/cdk-app/app.ts'], { cwd: REPO_ROOT, env: childEnv(), timeoutMs: 140_000 });
    expect(result.code, describeRun(result)).toBe(0);
    console.log(`npx tsx examples/cdk-app/app.ts took ${seconds(result.ms)}`);
    outdir = /^Synthesized ReportsWithTokenRotation into (.+)$/m.exec(result.stdout)?.[1];
    expect(outdir, result.stdout).toBeDefined();
    expect(path.dirname(outdir!)).toBe(path.resolve(tmpdir()));
    const templatePath = /^Template: (.+)$/m.exec(result.stdout)?.[1];
    expect(templatePath).toBe(path.join(outdir!, 'ReportsWithTokenRotation.template.json'));
    const template = JSON.parse(readFileSync(templatePath!, 'utf8')) as Template;

    // What the stack already had is still there.
    expect(resourcesOfType(template, 'AWS::S3::Bucket')).toHaveLength(1);

    // One connection per provider, each with its settings resource.
    const settings = resourcesOfType(template, 'Custom::TokenSecretSettings').map(([, p]) => {
      const joined = p.Settings as { 'Fn::Join': [string, unknown[]] };
      return /"provider":"(\w+)"/.exec(joined['Fn::Join'][1].filter((x) => typeof x === 'string').join(''))?.[1];
    });
    expect(settings.sort()).toEqual(['ica', 'tigergraph', 'trifacta']);

    // The app Lambda: the token secret's ARN in its environment; reads that secret, nothing else.
    const [reportId, report] = resourcesOfType(template, 'AWS::Lambda::Function').find(([id]) => id.startsWith('ReportFunction'))!;
    expect(serviceNameOf(report)).toBeUndefined();
    const tokenSecretRef = (report.Environment as { Variables: Record<string, unknown> }).Variables.TOKEN_SECRET_ID as { Ref: string };
    expect(template.Resources[tokenSecretRef.Ref]?.Type).toBe('AWS::SecretsManager::Secret');
    expect(tokenSecretRef.Ref).toMatch(/^TokenRotationanalyticsToken/);
    const [, policy] = resourcesOfType(template, 'AWS::IAM::Policy').find(([id]) => id.startsWith('ReportFunctionServiceRole'))!;
    expect((policy.PolicyDocument as { Statement: unknown[] }).Statement).toEqual([
      { Effect: 'Allow', Action: ['secretsmanager:DescribeSecret', 'secretsmanager:GetSecretValue'], Resource: { Ref: tokenSecretRef.Ref } },
      {
        Effect: 'Allow',
        Action: 'kms:Decrypt',
        Resource: { 'Fn::GetAtt': [expect.stringMatching(/^TokenRotationKey/), 'Arn'] },
        Condition: {
          StringEquals: {
            'kms:ViaService': { 'Fn::Join': ['', ['secretsmanager.', { Ref: 'AWS::Region' }, '.amazonaws.com']] },
            'kms:EncryptionContext:SecretARN': [{ Ref: tokenSecretRef.Ref }],
          },
        },
      },
    ]);
    expect(reportId).toBeTruthy();

    // The product's functions are there, bundled from this checkout's TypeScript (no build needed).
    expect(resourcesOfType(template, 'AWS::Lambda::Function').map(([, fn]) => serviceNameOf(fn))).toContain(serviceName('rotation'));
    expect(result.stdout + result.stderr).toMatch(/Bundling asset ReportsWithTokenRotation\/TokenRotation\/RotationFunction/);
  });
});
