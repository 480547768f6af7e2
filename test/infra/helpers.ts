/** Shared helpers for the CDK tests: synthesize the stack from a config and read its IAM. */
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { App, CfnResource, Stack, Validations, type Environment, type IStackSynthesizer } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import type * as iam from 'aws-cdk-lib/aws-iam';
import type * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import { AwsSolutionsChecks } from 'cdk-nag';
import type { IConstruct } from 'constructs';
import { parseConfig, type TokenRotationConfigInput } from '../../infra/config.js';
import { TgTokenRotationStack } from '../../infra/stack.js';

export const REPO_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
export const EXAMPLE_CONFIG_PATH = path.join(REPO_ROOT, 'infra/config.example.json');

/**
 * Synthesis runs CDK's built-in CloudFormation validation (WebAssembly), whose first run per process
 * takes seconds, more on a busy machine: hooks that synthesize get this much time.
 */
export const SYNTH_TIMEOUT_MS = 180_000;

/** The concrete environment the tests synthesize in, besides the environment-agnostic one. */
export const TEST_ACCOUNT = '123456789012';
export const TEST_REGION = 'eu-west-1';

/**
 * The environments every synthesized variant runs in: environment-agnostic (`cdk synth` without a
 * profile) and a concrete account and region (what `cdk deploy` sets in CDK_DEFAULT_ACCOUNT and
 * CDK_DEFAULT_REGION, and infra/app.ts passes on): a name for the test title, the stack's `env`.
 */
export const ENVIRONMENTS: ReadonlyArray<readonly [string, Environment | undefined]> = [
  ['environment-agnostic', undefined],
  [`${TEST_ACCOUNT}/${TEST_REGION}`, { account: TEST_ACCOUNT, region: TEST_REGION }],
];

export function exampleConfig(): TokenRotationConfigInput {
  return JSON.parse(readFileSync(EXAMPLE_CONFIG_PATH, 'utf8')) as TokenRotationConfigInput;
}

export interface Synthesized {
  app: App;
  stack: TgTokenRotationStack;
  template: Template;
}

export interface SynthesizeOptions {
  /** May add constructs before synthesis. */
  extend?: (stack: TgTokenRotationStack) => void;
  env?: Environment;
  synthesizer?: IStackSynthesizer;
}

/**
 * Builds the stack from a config. Bundling is skipped (`aws:cdk:bundling-stacks: []`) to keep the
 * suite fast; synth.test.ts bundles for real.
 */
export function synthesize(
  config: TokenRotationConfigInput = exampleConfig(),
  options: SynthesizeOptions | ((stack: TgTokenRotationStack) => void) = {},
): Synthesized {
  const opts = typeof options === 'function' ? { extend: options } : options;
  const app = new App({ context: { 'aws:cdk:bundling-stacks': [] } });
  const stack = new TgTokenRotationStack(app, 'Test', {
    config: parseConfig(config),
    ...(opts.env ? { env: opts.env } : {}),
    ...(opts.synthesizer ? { synthesizer: opts.synthesizer } : {}),
  });
  opts.extend?.(stack);
  return { app, stack, template: Template.fromStack(stack) };
}

/** Resolves a token (ARN, name) to what the template holds, e.g. `{ Ref: "..." }`. */
export function resolve(stack: Stack, value: unknown): unknown {
  return stack.resolve(value);
}

/** The logical id of an L1 resource, or of an L2 construct's default child. */
export function logicalId(stack: Stack, construct: IConstruct): string {
  return stack.getLogicalId((CfnResource.isCfnResource(construct) ? construct : construct.node.defaultChild) as CfnResource);
}

/** The statements of the one AWS::IAM::Policy attached to `role`. */
export function roleStatements(stack: Stack, template: Template, role: iam.IRole): Array<Record<string, unknown>> {
  const roleId = logicalId(stack, role);
  const policies = Object.values(template.findResources('AWS::IAM::Policy')).filter((p) =>
    (p.Properties.Roles as unknown[]).some((r) => JSON.stringify(r) === JSON.stringify({ Ref: roleId })),
  );
  if (policies.length !== 1) throw new Error(`expected one policy for role ${roleId}, found ${policies.length}`);
  return policies[0]!.Properties.PolicyDocument.Statement as Array<Record<string, unknown>>;
}

/** Every action a role's policy allows. */
export function roleActions(stack: Stack, template: Template, role: iam.IRole): string[] {
  return [...new Set(roleStatements(stack, template, role).flatMap((s) => ([] as string[]).concat(s.Action as string | string[])))].sort();
}

/** The statements of the AWS::SecretsManager::ResourcePolicy of `secret`. */
export function resourcePolicyStatements(stack: Stack, template: Template, secret: secretsmanager.ISecret): Array<Record<string, unknown>> {
  const secretRef = JSON.stringify(resolve(stack, secret.secretArn));
  const policies = Object.values(template.findResources('AWS::SecretsManager::ResourcePolicy')).filter(
    (p) => JSON.stringify(p.Properties.SecretId) === secretRef,
  );
  if (policies.length !== 1) throw new Error(`expected one resource policy for ${secretRef}, found ${policies.length}`);
  return policies[0]!.Properties.ResourcePolicy.Statement as Array<Record<string, unknown>>;
}

/** A dashboard body with its tokens replaced by their logical ids: parseable JSON. */
export function dashboardBody(template: Template): { widgets: Array<{ properties: { title: string; metrics: unknown[][] } }> } {
  const [dashboard] = Object.values(template.findResources('AWS::CloudWatch::Dashboard'));
  const body = dashboard!.Properties.DashboardBody as { 'Fn::Join': [string, unknown[]] } | string;
  const text = typeof body === 'string' ? body : body['Fn::Join'][1].map((p) => (typeof p === 'string' ? p : 'TOKEN')).join('');
  return JSON.parse(text);
}

/** Runs the cdk-nag AwsSolutions pack over the stack, as `cdk synth` does through Validations. */
export function nagViolations(stack: Stack) {
  return new AwsSolutionsChecks(undefined, { verbose: true }).validateScope(stack).violations;
}

/** Every acknowledged (suppressed) rule in the tree: `rule id -> reasons`. */
export function acknowledgments(root: IConstruct): Map<string, string[]> {
  const found = new Map<string, string[]>();
  for (const c of root.node.findAll()) {
    for (const entry of c.node.metadata) {
      if (entry.type !== Validations.ACKNOWLEDGED_RULES_METADATA_KEY || !entry.data) continue;
      for (const [id, reason] of Object.entries(entry.data as Record<string, unknown>)) {
        const key = id.replace(/^annotation::/i, '');
        found.set(key, [...(found.get(key) ?? []), String(reason)]);
      }
    }
  }
  return found;
}

/** Paths of the constructs that acknowledge `rule`. */
export function acknowledgedAt(root: IConstruct, rule: string): string[] {
  return root.node
    .findAll()
    .filter((c) =>
      c.node.metadata.some(
        (m) => m.type === Validations.ACKNOWLEDGED_RULES_METADATA_KEY && Object.keys((m.data ?? {}) as object).some((k) => k.replace(/^annotation::/i, '') === rule),
      ),
    )
    .map((c) => c.node.path);
}

/** One statement of a resource policy, as SECURITY.md's "Resource policies" table writes it. */
export interface PolicyRow {
  /** `Deny` (to every principal), or `Allow` and the service principal in backticks. */
  readonly effect: string;
  readonly actions: string[];
  /** The resources, with the policy's own resource as `<name>` (e.g. `<bucket>/fleet/*`); `!` before one of NotResource ("all but"). */
  readonly on: string[];
  readonly conditionKeys: string[];
  /** For an `aws:PrincipalArn` condition "is not": the principals it lets through, by their SECURITY.md names, sorted. */
  readonly except?: string[];
  /** For an `aws:PrincipalArn` condition "is": the principal it applies to. */
  readonly only?: string;
}

const backticked = (text: string) => [...text.matchAll(/`([^`]+)`/g)].map((m) => m[1]!);

/** The rows of SECURITY.md's "Resource policies" table for `resource`; `principals` are the names an `aws:PrincipalArn` row may give. */
export function documentedPolicyRows(securityMd: string, resource: string, principals: readonly string[]): PolicyRow[] {
  return securityMd
    .split('\n')
    .filter((line) => line.startsWith(`| ${resource} |`))
    .map((line) => {
      const [, , effect, actions, on, condition] = line.split('|').map((c) => c.trim());
      // "is not the a role or the b role": every principal named after "is not"; "is the a role": that one.
      const negated = condition!.includes('is not the ');
      const named = principals.filter((p) => condition!.includes(`the ${p}`)).sort();
      return {
        effect: effect!,
        actions: backticked(actions!).sort(),
        on: backticked(on!)
          .map((r) => (on!.startsWith('all but') ? `!${r}` : r))
          .sort(),
        conditionKeys: backticked(condition!).filter((k) => k.includes(':')).sort(),
        ...(negated && named.length > 0 ? { except: named } : {}),
        ...(!negated && named.length === 1 ? { only: named[0] } : {}),
      };
    });
}

/**
 * The statements of a resource policy in the template as PolicyRow: `names` maps the logical ids
 * the statements reference (the resource itself, the roles of `aws:PrincipalArn`) to their names.
 */
export function templatePolicyRows(statements: Array<Record<string, unknown>>, names: Record<string, string>): PolicyRow[] {
  const name = (id: string) => names[id] ?? `unnamed ${id}`;
  const render = (value: unknown): string => {
    if (typeof value === 'string') return value;
    const fn = value as { Ref?: string; 'Fn::GetAtt'?: [string, string]; 'Fn::Join'?: [string, unknown[]] };
    if (fn.Ref) return `<${name(fn.Ref)}>`;
    if (fn['Fn::GetAtt']) return `<${name(fn['Fn::GetAtt'][0])}>`;
    if (fn['Fn::Join']) return fn['Fn::Join'][1].map(render).join(fn['Fn::Join'][0]);
    return JSON.stringify(value);
  };
  return statements.map((s) => {
    const principal = s.Principal as { AWS?: string; Service?: string };
    const conditions = (s.Condition ?? {}) as Record<string, Record<string, unknown>>;
    const exceptArns = conditions.ArnNotEquals?.['aws:PrincipalArn'];
    const onlyArn = conditions.ArnEquals?.['aws:PrincipalArn'];
    const on = s.NotResource !== undefined ? ([] as unknown[]).concat(s.NotResource).map((r) => `!${render(r)}`) : ([] as unknown[]).concat(s.Resource).map(render);
    return {
      effect: principal.Service ? `${s.Effect as string} \`${principal.Service}\`` : (s.Effect as string),
      actions: ([] as string[]).concat(s.Action as string | string[]).sort(),
      on: on.sort(),
      conditionKeys: Object.values(conditions).flatMap((c) => Object.keys(c)).sort(),
      ...(exceptArns ? { except: ([] as unknown[]).concat(exceptArns).map((a) => render(a).slice(1, -1)).sort() } : {}),
      ...(onlyArn ? { only: render(onlyArn).slice(1, -1) } : {}),
    };
  });
}
