/**
 * The token secrets' write fence: a resource policy on every token secret that denies writing it to
 * every principal but the product's function roles.
 *
 * Why: the token secret's JSON says where the credential goes (`host`, the provider fields). Anyone
 * who can write it could point `host` at a server of their own; the next rotation would then send
 * the credential there. IAM grants alone do not prevent that: any principal of the account whose
 * identity policy allows secretsmanager:PutSecretValue on `*` (administrators, broad automation
 * roles) could. An explicit deny in the resource policy wins over every allow.
 *
 *   value writes       PutSecretValue, UpdateSecretVersionStage: only the function roles. CloudFormation
 *                      never writes the value (the secret has no CloudFormation-managed SecretString;
 *                      the settings custom resource writes it, as a function role).
 *   deployment-owned   UpdateSecret (description, key; it can also set a value), RotateSecret
 *                      (rotation function and schedule), PutResourcePolicy, DeleteResourcePolicy (this
 *                      fence): the function roles, and the roles CloudFormation deploys the stack with,
 *                      which update the secret, its rotation schedule and this policy, and delete the
 *                      policy before the secret when the stack is deleted.
 *
 * Principals are matched with `aws:PrincipalArn` and `ArnNotEquals` (the IAM guide's recommendation
 * over NotPrincipal): for a role session it is the role's ARN. Requests without the key (AWS services
 * acting as themselves) are denied too. Consumers are unaffected: reads are not fenced.
 */
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';

/** Actions that write the token secret's value. */
export const VALUE_WRITE_ACTIONS = ['secretsmanager:PutSecretValue', 'secretsmanager:UpdateSecretVersionStage'] as const;

/** Actions CloudFormation performs on the token secret, its rotation and this fence. */
export const DEPLOYMENT_OWNED_ACTIONS = [
  'secretsmanager:DeleteResourcePolicy',
  'secretsmanager:PutResourcePolicy',
  'secretsmanager:RotateSecret',
  'secretsmanager:UpdateSecret',
] as const;

export interface WriteFenceProps {
  /** The roles of the product's functions. */
  readonly writers: readonly iam.IRole[];
  /**
   * The roles CloudFormation deploys the stack with. Empty: CloudFormation uses the deployer's own
   * credentials, and requests it makes for them (`aws:CalledVia` cloudformation.amazonaws.com) pass.
   */
  readonly deployers: readonly string[];
}

/** Adds the fence to `secret`'s resource policy (AWS::SecretsManager::ResourcePolicy). */
export function fenceWritePath(secret: secretsmanager.ISecret, props: WriteFenceProps): void {
  const writers = props.writers.map((r) => r.roleArn);
  secret.addToResourcePolicy(
    new iam.PolicyStatement({
      sid: 'OnlyTheFunctionsWriteTheToken',
      effect: iam.Effect.DENY,
      principals: [new iam.AnyPrincipal()],
      actions: [...VALUE_WRITE_ACTIONS],
      resources: ['*'],
      conditions: { ArnNotEquals: { 'aws:PrincipalArn': writers } },
    }),
  );
  secret.addToResourcePolicy(
    new iam.PolicyStatement({
      sid: 'OnlyTheDeploymentReconfigures',
      effect: iam.Effect.DENY,
      principals: [new iam.AnyPrincipal()],
      actions: [...DEPLOYMENT_OWNED_ACTIONS],
      resources: ['*'],
      conditions: {
        ArnNotEquals: { 'aws:PrincipalArn': [...writers, ...props.deployers] },
        ...(props.deployers.length === 0 ? { 'ForAllValues:StringNotEquals': { 'aws:CalledVia': ['cloudformation.amazonaws.com'] } } : {}),
      },
    }),
  );
}
