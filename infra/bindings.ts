/**
 * The credential bindings the deployment renders into the functions' environment
 * (ENV.CREDENTIAL_BINDINGS, core/providers/binding.ts): for each credential secret, the origins of
 * the connections that use it and their token secrets. Only a deploy changes a function's
 * environment, so only a deploy changes where a credential may go; a token secret someone
 * repointed at another host, or a secret outside the stack naming a stack credential, gets
 * nothing sent (the functions check before they read the credential).
 *
 * Secrets the construct creates are named (`<prefix>/<connection>/token`, `.../credentials`),
 * which the functions match under ENV.SECRET_ARN_PREFIX (this account and region) with Secrets
 * Manager's six-character suffix: names are known at synth, shorter than ARNs (Lambda allows 4 KB
 * of environment in all), and readable in the template. An imported credential is bound by its
 * complete ARN.
 */
import { Aws, Token } from 'aws-cdk-lib';
import type { Origin } from '../core/http/origins.js';
import { connectionOrigins, mergeBindings, type CredentialBinding } from '../core/providers/binding.js';
import { providerOf, providerSettings } from './providers.js';

/** The fields of a connection the bindings need (the construct's ConnectionProps). */
export interface BoundConnection {
  readonly name: string;
  readonly provider?: string;
  readonly host: string;
  readonly credentialSecret?: { readonly secretFullArn?: string | undefined };
}

/** `arn:<partition>:secretsmanager:<region>:<account>:secret:`, resolved at deploy (ENV.SECRET_ARN_PREFIX). */
export const SECRET_ARN_PREFIX = `arn:${Aws.PARTITION}:secretsmanager:${Aws.REGION}:${Aws.ACCOUNT_ID}:secret:`;

/** Bytes an imported credential's ARN may take once CloudFormation resolves it (for the size check). */
const RESOLVED_ARN_BYTES = 'arn:aws-us-gov:secretsmanager:ap-southeast-2:123456789012:secret:'.length + 64;

export function tokenSecretName(prefix: string, connection: string): string {
  return `${prefix}/${connection}/token`;
}

export function credentialSecretName(prefix: string, connection: string): string {
  return `${prefix}/${connection}/credentials`;
}

/** One binding per credential secret, merged where connections share one. */
export function connectionBindings(prefix: string, connections: readonly BoundConnection[]): CredentialBinding[] {
  return mergeBindings(
    connections.map((c) => ({
      credential: c.credentialSecret?.secretFullArn ?? credentialSecretName(prefix, c.name),
      origins: deployedOrigins(c),
      tokenSecrets: [tokenSecretName(prefix, c.name)],
    })),
  );
}

/** The bindings as JSON, with an unresolved imported ARN counted at its longest resolved length. */
export function bindingsBytes(bindings: readonly CredentialBinding[]): number {
  const unresolved = bindings.filter((b) => Token.isUnresolved(b.credential));
  const json = JSON.stringify(bindings.map((b) => (Token.isUnresolved(b.credential) ? { ...b, credential: '' } : b)));
  return Buffer.byteLength(json) + unresolved.length * RESOLVED_ARN_BYTES;
}

/**
 * The origins a connection's provider calls (core/providers/binding.ts connectionOrigins), from the
 * fields it writes into its token secret: what its credential is bound to and the ports the
 * functions' security group opens. Throws a ValidationError or ConfigError for fields the provider
 * refuses.
 */
export function deployedOrigins(c: BoundConnection): Origin[] {
  const provider = providerOf(c);
  return connectionOrigins({ provider, host: c.host, ...providerSettings(c, provider, { resolvedOnly: true }) }, { allowInsecureHttp: false });
}
