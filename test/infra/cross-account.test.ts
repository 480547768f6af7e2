/**
 * grantReadToken for readers outside the stack's account: a principal of another account and an
 * organization (aws:PrincipalOrgID). Neither can be given an identity policy by this stack, so the
 * grant is the token secret's resource policy (an Allow of GetSecretValue and DescribeSecret for
 * that principal, beside the write fence) and the key policy (kms:Decrypt through Secrets Manager,
 * with the encryption context of that secret). The fence's denies are the same statements as
 * without the grant, nothing else is allowed, and a same-account role still gets an identity policy.
 */
import * as iam from 'aws-cdk-lib/aws-iam';
import type { Template } from 'aws-cdk-lib/assertions';
import { beforeAll, describe, expect, it } from 'vitest';
import { SECRET_ARN_PREFIX } from '../../infra/bindings.js';
import { TOKEN_READ_ACTIONS } from '../../infra/construct.js';
import type { TgTokenRotationStack } from '../../infra/stack.js';
import { DEPLOYMENT_OWNED_ACTIONS, VALUE_WRITE_ACTIONS } from '../../infra/write-fence.js';
import { ENVIRONMENTS, nagViolations, resolve, resourcePolicyStatements, roleStatements, synthesize, SYNTH_TIMEOUT_MS } from './helpers.js';

const OTHER_ACCOUNT = '111122223333';
const ORG = 'o-a1b2c3d4e5';

type Statement = Record<string, unknown>;

describe.each(ENVIRONMENTS)('grantReadToken to readers in other accounts (%s)', (_name, env) => {
  let stack: TgTokenRotationStack;
  let template: Template;
  let plain: Template;
  let plainStack: TgTokenRotationStack;
  let sameAccountRole: iam.Role;

  beforeAll(() => {
    ({ stack: plainStack, template: plain } = synthesize(undefined, env ? { env } : {}));
    ({ stack, template } = synthesize(undefined, {
      ...(env ? { env } : {}),
      extend: (s) => {
        s.rotation.grantReadToken(new iam.AccountPrincipal(OTHER_ACCOUNT), 'analytics');
        s.rotation.grantReadToken(new iam.OrganizationPrincipal(ORG), 'wrangling');
        sameAccountRole = new iam.Role(s, 'SameAccountReader', { assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com') });
        s.rotation.grantReadToken(sameAccountRole, 'genomics');
      },
    }));
  }, SYNTH_TIMEOUT_MS);

  const accountPrincipal = () => ({ AWS: { 'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, `:iam::${OTHER_ACCOUNT}:root`]] } });
  const allows = (statements: Statement[]) => statements.filter((s) => s.Effect === 'Allow');
  const keyStatements = (t: Template) => Object.values(t.findResources('AWS::KMS::Key'))[0]!.Properties.KeyPolicy.Statement as Statement[];

  it("another account: its token secret's resource policy allows that account to read it, and nothing more", () => {
    expect(allows(resourcePolicyStatements(stack, template, stack.rotation.tokenSecret('analytics')))).toEqual([
      { Effect: 'Allow', Principal: accountPrincipal(), Action: [...TOKEN_READ_ACTIONS], Resource: '*' },
    ]);
  });

  it("an organization: its token secret's resource policy allows any principal of that organization (aws:PrincipalOrgID) to read it", () => {
    expect(allows(resourcePolicyStatements(stack, template, stack.rotation.tokenSecret('wrangling')))).toEqual([
      { Effect: 'Allow', Principal: { AWS: '*' }, Action: [...TOKEN_READ_ACTIONS], Resource: '*', Condition: { StringEquals: { 'aws:PrincipalOrgID': ORG } } },
    ]);
  });

  it('the key policy lets each decrypt through Secrets Manager, for its token secret only (encryption context: its ARN, by name)', () => {
    // arn:<partition>:secretsmanager:<region>:<account>:secret:<name>-?????? of this stack's account and region.
    const arnOf = (name: string) => resolve(stack, `${SECRET_ARN_PREFIX}tg-token-rotation/${name}/token-??????`);
    const via = (name: string, extra: Record<string, unknown> = {}) => ({
      StringEquals: { ...extra, 'kms:ViaService': resolve(stack, `secretsmanager.${stack.region}.amazonaws.com`) },
      StringLike: { 'kms:EncryptionContext:SecretARN': [arnOf(name)] },
    });
    const added = keyStatements(template).filter((s) => !keyStatements(plain).some((p) => JSON.stringify(p) === JSON.stringify(s)));
    expect(added).toEqual([
      { Effect: 'Allow', Principal: accountPrincipal(), Action: 'kms:Decrypt', Resource: '*', Condition: via('analytics') },
      { Effect: 'Allow', Principal: { AWS: '*' }, Action: 'kms:Decrypt', Resource: '*', Condition: via('wrangling', { 'aws:PrincipalOrgID': ORG }) },
    ]);
    expect(JSON.stringify(arnOf('analytics'))).toMatch(/:secretsmanager:.*:secret:tg-token-rotation\/analytics\/token-\?{6}"/);
  });

  it('the write fence is untouched: the same denies as without the grant, and no write is allowed to anyone', () => {
    for (const name of ['analytics', 'wrangling', 'genomics']) {
      const denies = (t: Template, s: TgTokenRotationStack) => resourcePolicyStatements(s, t, s.rotation.tokenSecret(name)).filter((st) => st.Effect === 'Deny');
      expect(JSON.stringify(denies(template, stack)).replaceAll(/"Ref":"[^"]+"/g, '')).toBe(JSON.stringify(denies(plain, plainStack)).replaceAll(/"Ref":"[^"]+"/g, ''));
      const allowed = allows(resourcePolicyStatements(stack, template, stack.rotation.tokenSecret(name))).flatMap((s) => ([] as string[]).concat(s.Action as string[]));
      for (const write of [...VALUE_WRITE_ACTIONS, ...DEPLOYMENT_OWNED_ACTIONS]) expect(allowed).not.toContain(write);
    }
  });

  it('a role of this account still gets an identity policy, and its token secret no resource-policy allow', () => {
    expect(roleStatements(stack, template, sameAccountRole).map((s) => s.Action)).toEqual([[...TOKEN_READ_ACTIONS], 'kms:Decrypt']);
    expect(allows(resourcePolicyStatements(stack, template, stack.rotation.tokenSecret('genomics')))).toEqual([]);
  });

  it('passes cdk-nag', () => {
    expect(nagViolations(stack)).toEqual([]);
  });
});
