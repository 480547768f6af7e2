/** Shared helpers for the CDK tests: synthesize the stack from a config and read its IAM. */
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { App, Stack, Validations, type CfnResource } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import type * as iam from 'aws-cdk-lib/aws-iam';
import { AwsSolutionsChecks } from 'cdk-nag';
import type { IConstruct } from 'constructs';
import { parseConfig, type TokenRotationConfigInput } from '../../infra/config.js';
import { TgTokenRotationStack } from '../../infra/stack.js';

export const REPO_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
export const EXAMPLE_CONFIG_PATH = path.join(REPO_ROOT, 'infra/config.example.json');

export function exampleConfig(): TokenRotationConfigInput {
  return JSON.parse(readFileSync(EXAMPLE_CONFIG_PATH, 'utf8')) as TokenRotationConfigInput;
}

export interface Synthesized {
  app: App;
  stack: TgTokenRotationStack;
  template: Template;
}

/**
 * Builds the stack from a config. Bundling is skipped (`aws:cdk:bundling-stacks: []`) to keep the
 * suite fast; synth.test.ts bundles for real. `extend` may add constructs before synthesis.
 */
export function synthesize(config: TokenRotationConfigInput = exampleConfig(), extend?: (stack: TgTokenRotationStack) => void): Synthesized {
  const app = new App({ context: { 'aws:cdk:bundling-stacks': [] } });
  const stack = new TgTokenRotationStack(app, 'Test', { config: parseConfig(config) });
  extend?.(stack);
  return { app, stack, template: Template.fromStack(stack) };
}

/** Resolves a token (ARN, name) to what the template holds, e.g. `{ Ref: "..." }`. */
export function resolve(stack: Stack, value: unknown): unknown {
  return stack.resolve(value);
}

export function logicalId(stack: Stack, construct: IConstruct): string {
  return stack.getLogicalId(construct.node.defaultChild as CfnResource);
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
