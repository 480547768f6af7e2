/**
 * Acknowledging cdk-nag findings on the construct's own resources.
 *
 * An acknowledgment is the node metadata entry `aws:cdk:acknowledged-rules` ({ ruleId: reason }),
 * which cdk-nag 3 reads from a resource and its scopes, and which aws-cdk-lib's
 * `Validations.of(x).acknowledge()` writes. It is written here directly instead: `Validations`
 * exists only in recent aws-cdk-lib versions, and the construct must synthesize with older ones
 * (package.json peerDependencies); metadata works with every version.
 *
 * A finding about one resource value (an ARN in a policy statement):
 *
 * cdk-nag names such a finding after the value as the template holds it (its flattenCfnReference):
 * `Ref` as `<Id>`, `Fn::GetAtt` as `<Id.Attr>`, an `Fn::Join` joined. The name therefore depends on
 * the stack's environment (an account and region known at synthesis appear literally, otherwise as
 * `<AWS::AccountId>` and `<AWS::Region>`): it is derived here from the value itself, never written
 * out, so the acknowledgment matches the finding in every environment (issue 25).
 */
import { Stack } from 'aws-cdk-lib';
import type { IConstruct } from 'constructs';

/** The metadata type aws-cdk-lib's `Validations.ACKNOWLEDGED_RULES_METADATA_KEY` names, and cdk-nag 3 reads. */
export const ACKNOWLEDGED_RULES_METADATA = 'aws:cdk:acknowledged-rules';

/**
 * Acknowledges cdk-nag's finding `id` (e.g. `AwsSolutions-L1`, `AwsSolutions-IAM5[Resource::*]`)
 * on `scope` and everything under it, as `Validations.of(scope).acknowledge({ id, reason })` does.
 */
export function acknowledgeFinding(scope: IConstruct, id: string, reason: string): void {
  scope.node.addMetadata(ACKNOWLEDGED_RULES_METADATA, { [id]: reason });
}

/** cdk-nag's flat name of a resolved template value. */
export function flattenReference(value: unknown): string {
  if (typeof value === 'string') return value.replace(/\$\{/g, '<').replace(/\}/g, '>');
  const fn = (value ?? {}) as Record<string, unknown>;
  if (Array.isArray(fn['Fn::Join'])) {
    const [delimiter, items] = fn['Fn::Join'] as [string, unknown[]];
    return items.map(flattenReference).join(delimiter);
  }
  if (Array.isArray(fn['Fn::GetAtt'])) {
    const [id, attribute] = fn['Fn::GetAtt'] as [unknown, unknown];
    return `<${flattenReference(id)}.${flattenReference(attribute)}>`;
  }
  if (fn.Ref !== undefined) return `<${flattenReference(fn.Ref)}>`;
  return JSON.stringify(value);
}

/** Acknowledges, on `scope`, cdk-nag's AwsSolutions-IAM5 finding for `resource` (a token or a literal ARN). */
export function acknowledgeWildcardResource(scope: IConstruct, resource: string, reason: string): void {
  const name = flattenReference(Stack.of(scope).resolve(resource));
  acknowledgeFinding(scope, `AwsSolutions-IAM5[Resource::${name}]`, reason);
}
