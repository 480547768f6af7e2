/**
 * Acknowledging a cdk-nag finding about one resource value (an ARN in a policy statement).
 *
 * cdk-nag names such a finding after the value as the template holds it (its flattenCfnReference):
 * `Ref` as `<Id>`, `Fn::GetAtt` as `<Id.Attr>`, an `Fn::Join` joined. The name therefore depends on
 * the stack's environment (an account and region known at synthesis appear literally, otherwise as
 * `<AWS::AccountId>` and `<AWS::Region>`): it is derived here from the value itself, never written
 * out, so the acknowledgment matches the finding in every environment (issue 25).
 */
import { Stack, Validations } from 'aws-cdk-lib';
import type { IConstruct } from 'constructs';

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
  Validations.of(scope).acknowledge({ id: `AwsSolutions-IAM5[Resource::${name}]`, reason });
}
