/**
 * SECURITY.md matches the code: each row of "Who can do what" lists exactly the actions of that
 * role in the template of the example config, the write fence section names exactly the fenced
 * actions, and the names it quotes are the ones core/ defines.
 */
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import * as iam from 'aws-cdk-lib/aws-iam';
import type { Template } from 'aws-cdk-lib/assertions';
import { beforeAll, describe, expect, it } from 'vitest';
import { ENV, ROTATION_ERROR_TAG } from '../../core/names.js';
import type { TgTokenRotationStack } from '../../infra/stack.js';
import { DEPLOYMENT_OWNED_ACTIONS, VALUE_WRITE_ACTIONS } from '../../infra/write-fence.js';
import { REPO_ROOT, resolve, resourcePolicyStatements, roleActions, synthesize, SYNTH_TIMEOUT_MS } from './helpers.js';

const SECURITY_MD = readFileSync(path.join(REPO_ROOT, 'SECURITY.md'), 'utf8');

/** Service condition keys the rows quote beside the actions they condition. */
const CONDITION_KEYS = new Set(['secretsmanager:RotationLambdaARN']);

/** The `service:Action` names quoted in `text` (not condition keys such as `aws:PrincipalArn`). */
function actionsIn(text: string): string[] {
  return [...new Set([...text.matchAll(/`([a-z0-9-]+:[A-Za-z*]+)`/g)].map((m) => m[1]!).filter((name) => !name.startsWith('aws:') && !CONDITION_KEYS.has(name)))].sort();
}

/** The actions column of the "Who can do what" row of `principal`. */
function row(principal: string): string {
  const line = SECURITY_MD.split('\n').find((l) => l.startsWith(`| ${principal} |`));
  if (!line) throw new Error(`SECURITY.md has no row "${principal}"`);
  return line;
}

function section(heading: string): string {
  const start = SECURITY_MD.indexOf(`\n## ${heading}\n`);
  if (start < 0) throw new Error(`SECURITY.md has no section "${heading}"`);
  const end = SECURITY_MD.indexOf('\n## ', start + 4);
  return SECURITY_MD.slice(start, end < 0 ? undefined : end);
}

let stack: TgTokenRotationStack;
let template: Template;
let consumer: iam.Role;
const OTHER_ACCOUNT = '111122223333';

beforeAll(() => {
  ({ stack, template } = synthesize(undefined, (s) => {
    consumer = new iam.Role(s, 'Consumer', { assumedBy: new iam.ServicePrincipal('ecs-tasks.amazonaws.com') });
    s.rotation.grantReadToken(consumer, 'analytics');
    s.rotation.grantReadToken(new iam.AccountPrincipal(OTHER_ACCOUNT), 'wrangling');
  }));
}, SYNTH_TIMEOUT_MS);

/** Every action the resource policies of the token secrets and the key policy allow a principal naming `account`. */
function resourcePolicyActions(account: string): string[] {
  const statements = [
    ...stack.rotation.connections.flatMap((c) => resourcePolicyStatements(stack, template, c.tokenSecret)),
    ...(Object.values(template.findResources('AWS::KMS::Key'))[0]!.Properties.KeyPolicy.Statement as Array<Record<string, unknown>>),
  ];
  return [
    ...new Set(statements.filter((s) => s.Effect === 'Allow' && JSON.stringify(s.Principal).includes(`:${account}:`)).flatMap((s) => ([] as string[]).concat(s.Action as string | string[]))),
  ].sort();
}

describe('SECURITY.md "Who can do what" lists exactly what each role may do', () => {
  it('rotation, scheduled-refresh, on-demand, connection-settings, scheduler and consumer rows', () => {
    const r = stack.rotation;
    const schedulerRole = r.node.findChild('SchedulerRole') as iam.Role;
    const rows: Array<[string, iam.IRole, string[]]> = [
      ['rotation function', r.rotationFunction.role!, actionsIn(row('rotation function'))],
      ['scheduled-refresh function', r.scheduledRefreshFunction.role!, actionsIn(row('scheduled-refresh function'))],
      // "as scheduled-refresh, plus ..."
      ['on-demand function', r.onDemandFunction.role!, actionsIn(row('scheduled-refresh function') + row('on-demand function'))],
      ['connection-settings function', r.connectionSettingsFunction.role!, actionsIn(row('connection-settings function'))],
      ['EventBridge Scheduler role', schedulerRole, actionsIn(row('EventBridge Scheduler role'))],
      ['consumer (`grantReadToken`)', consumer, actionsIn(row('consumer (`grantReadToken`)'))],
    ];
    for (const [name, role, documented] of rows) {
      expect({ name, actions: roleActions(stack, template, role) }).toEqual({ name, actions: documented });
    }
    // A reader in another account has no role here: what the resource and key policies allow it.
    expect(resourcePolicyActions(OTHER_ACCOUNT)).toEqual(actionsIn(row('reader in another account or organization (`grantReadToken`)')));
  });

  it('the options paragraph names the wildcard actions the options add', () => {
    const options = SECURITY_MD.slice(SECURITY_MD.indexOf('With options:'));
    expect(actionsIn(options)).toEqual(
      expect.arrayContaining([
        'secretsmanager:ListSecrets',
        'ec2:AssignPrivateIpAddresses',
        'ec2:CreateNetworkInterface',
        'ec2:DeleteNetworkInterface',
        'ec2:DescribeNetworkInterfaces',
        'ec2:DescribeSubnets',
        'ec2:UnassignPrivateIpAddresses',
      ]),
    );
  });
});

describe('SECURITY.md "The write path" matches the fence', () => {
  it('names exactly the fenced actions, and they are what every token secret denies', () => {
    const writePath = section('The write path');
    const fence = writePath.slice(writePath.indexOf('**A write fence'), writePath.indexOf('- **CloudFormation never writes'));
    expect(actionsIn(fence)).toEqual([...VALUE_WRITE_ACTIONS, ...DEPLOYMENT_OWNED_ACTIONS].sort());
    for (const c of stack.rotation.connections) {
      const denied = resourcePolicyStatements(stack, template, c.tokenSecret)
        .filter((s) => s.Sid)
        .flatMap((s) => s.Action as string[]);
      expect(denied.sort()).toEqual([...VALUE_WRITE_ACTIONS, ...DEPLOYMENT_OWNED_ACTIONS].sort());
    }
  });

  it('explains how CloudFormation passes every deployment-owned action, and that it never writes the value', () => {
    const writePath = section('The write path');
    for (const action of DEPLOYMENT_OWNED_ACTIONS) expect(writePath).toContain(action.replace('secretsmanager:', ''));
    expect(writePath).toContain('CloudFormation never does: the secret has no template value');
    for (const secret of Object.values(template.findResources('AWS::SecretsManager::Secret', {}))) {
      if (String(secret.Properties.Name).endsWith('/token')) expect(secret.Properties.SecretString).toBeUndefined();
    }
    // The default deployment role the section names is the one in the fence.
    expect(writePath).toContain('cdk-<qualifier>-cfn-exec-role-<account>-<region>');
    expect(JSON.stringify(resourcePolicyStatements(stack, template, stack.rotation.connections[0]!.tokenSecret))).toContain(
      'cdk-hnb659fds-cfn-exec-role-${AWS::AccountId}-${AWS::Region}',
    );
  });
});

describe('SECURITY.md quotes the names core defines', () => {
  it('the local-run variable, the fleet variable, the error tag', () => {
    expect(SECURITY_MD).toContain(`\`${ENV.LOCAL_RUN}=true\``);
    expect(SECURITY_MD).toContain(`\`${ENV.MANAGED_SECRET_IDS}\``);
    expect(SECURITY_MD).toContain(`\`${ROTATION_ERROR_TAG}\``);
  });

  it('the key section describes the scoping every grant of the stack carries', () => {
    const key = SECURITY_MD.slice(SECURITY_MD.indexOf('**The key.**'), SECURITY_MD.indexOf('## The write path'));
    expect(key).toContain('kms:EncryptionContext:SecretARN');
    expect(key).toContain('root statement');
    // Every KMS statement of the stack's roles is scoped as described: through a service, and for secrets by ARN.
    const keyArn = JSON.stringify(resolve(stack, stack.rotation.key.keyArn));
    for (const policy of Object.values(template.findResources('AWS::IAM::Policy'))) {
      for (const s of policy.Properties.PolicyDocument.Statement as Array<{ Action: string | string[]; Resource: unknown; Condition?: { StringEquals?: Record<string, unknown> } }>) {
        if (JSON.stringify(s.Resource) !== keyArn) continue;
        const via = JSON.stringify(s.Condition?.StringEquals?.['kms:ViaService']);
        expect(via).toMatch(/secretsmanager\.|sqs\./);
        if (via.includes('secretsmanager.')) expect(s.Condition?.StringEquals?.['kms:EncryptionContext:SecretARN']).toBeDefined();
      }
    }
  });

  it('reporting goes through GitHub private vulnerability reporting, not a placeholder address', () => {
    const reporting = section('Reporting a vulnerability');
    expect(reporting).toContain('private vulnerability reporting');
    expect(reporting).not.toMatch(/example\.com|placeholder/);
  });
});
