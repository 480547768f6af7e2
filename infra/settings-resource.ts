/**
 * The custom resource that owns a token secret's settings (#12): one per connection, type
 * `Custom::TokenSecretSettings`, served by the connection-settings function, which answers
 * CloudFormation itself through the ResponseURL (no Provider framework). CloudFormation sends it
 *   SecretId  the token secret's ARN
 *   Settings  the connection's fields, named as in the token secret JSON: provider, host,
 *             credentialSecretId, lifetimeSeconds and the provider's own fields.
 * Create writes the initial JSON; Update merges changed settings (keeping the token when it stays
 * usable, else rotating to a token minted with the new settings); Delete revokes the connection's
 * replaced tokens, never its current one. CloudFormation itself never writes the token secret's
 * value, so a deploy never replaces a token with a tokenless JSON. The function acts only on events
 * CloudFormation confirms for this stack (functions/connection-settings/confirm.ts).
 *
 * `Settings` is one JSON string, not a nested object: CloudFormation delivers custom resource
 * properties with every number and boolean turned into a string ("2592000"), which the token
 * secret's schema would refuse; a JSON string keeps the types as written.
 */
import { CustomResource, Stack } from 'aws-cdk-lib';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import type { Construct } from 'constructs';
import { TOKEN_SECRET_SETTINGS_TYPE } from '../core/names.js';

export { TOKEN_SECRET_SETTINGS_TYPE };

export interface SettingsResourceProps {
  readonly serviceToken: lambda.IFunction;
  readonly secretId: string;
  /** Token secret fields; undefined values are left out. */
  readonly settings: Readonly<Record<string, unknown>>;
}

export function createSettingsResource(scope: Construct, id: string, props: SettingsResourceProps): CustomResource {
  return new CustomResource(scope, id, {
    serviceToken: props.serviceToken.functionArn,
    resourceType: TOKEN_SECRET_SETTINGS_TYPE,
    properties: {
      SecretId: props.secretId,
      Settings: Stack.of(scope).toJsonString(Object.fromEntries(Object.entries(props.settings).filter(([, v]) => v !== undefined))),
    },
  });
}
