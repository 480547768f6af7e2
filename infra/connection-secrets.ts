/**
 * The two secrets of one connection, in a scope named after it (ids `<name>/Credentials` and
 * `<name>/Token`, stable: they name the deployed secrets):
 *   credentials  created for the operator to fill in (the provider's shape with empty values), or
 *                imported by complete ARN;
 *   token        tagged managed, created with NO CloudFormation-managed value: the connection's
 *                settings custom resource (settings-resource.ts) writes the initial JSON and later
 *                merges changed settings into it, so a deploy never overwrites a token.
 */
import { RemovalPolicy, SecretValue, Tags } from 'aws-cdk-lib';
import type * as kms from 'aws-cdk-lib/aws-kms';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import { Construct } from 'constructs';
import { MANAGED_TAG, PRODUCT } from '../core/names.js';
import { credentialSecretName, tokenSecretName } from './bindings.js';
import { credentialDescription, credentialPlaceholder, providerLabel } from './providers.js';
import { acknowledgeFinding } from './nag.js';

export interface ConnectionSecretsProps {
  readonly name: string;
  readonly provider: string;
  readonly host: string;
  readonly secretNamePrefix: string;
  /** Encrypts the token secret and a created credential secret. */
  readonly key: kms.IKey;
  /** An imported credential secret; undefined: one is created. */
  readonly credentialSecret?: secretsmanager.ISecret;
}

export interface ConnectionSecrets {
  readonly tokenSecret: secretsmanager.Secret;
  readonly credentialSecret: secretsmanager.ISecret;
  readonly credentialSecretCreated: boolean;
}

export function createConnectionSecrets(parent: Construct, props: ConnectionSecretsProps): ConnectionSecrets {
  // One scope per connection, named after it (names are unique, so ids never collide).
  const scope = new Construct(parent, props.name);
  const credentialSecretCreated = props.credentialSecret === undefined;
  const credentialSecret =
    props.credentialSecret ??
    new secretsmanager.Secret(scope, 'Credentials', {
      secretName: credentialSecretName(props.secretNamePrefix, props.name),
      description: credentialDescription(props.provider, props.name, PRODUCT),
      encryptionKey: props.key,
      // A placeholder for the operator to replace; CloudFormation never rewrites it unless this template value changes.
      secretStringValue: SecretValue.unsafePlainText(credentialPlaceholder(props.provider)),
      removalPolicy: RemovalPolicy.RETAIN,
    });
  if (credentialSecretCreated) {
    acknowledgeFinding(
      credentialSecret,
      'AwsSolutions-SMG4',
      `The ${providerLabel(props.provider)} credential is issued by the token API's administrator and filled in by the operator; this app rotates the tokens derived from it, not the credential itself.`,
    );
  }

  const tokenSecret = new secretsmanager.Secret(scope, 'Token', {
    secretName: tokenSecretName(props.secretNamePrefix, props.name),
    description: `${providerLabel(props.provider)} token for ${props.name} (${props.host}), rotated by ${PRODUCT}`,
    encryptionKey: props.key,
  });
  // Secret defaults to generating a random value; with neither SecretString nor
  // GenerateSecretString, CloudFormation creates the secret with no version at all.
  (tokenSecret.node.defaultChild as secretsmanager.CfnSecret).addPropertyDeletionOverride('GenerateSecretString');
  Tags.of(tokenSecret).add(MANAGED_TAG, 'true');
  return { tokenSecret, credentialSecret, credentialSecretCreated };
}
