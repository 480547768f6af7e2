/**
 * Credential bindings: which origins a credential secret may be sent to, and which token secrets
 * may use it, decided at deploy time. The CDK construct renders them into the functions'
 * environment (ENV.CREDENTIAL_BINDINGS), which only a deploy can change; local runs render their
 * own (local/stack.ts). Providers.open (open.ts) checks a token secret against them before it
 * reads the credential's value, and hands the bound origins to the transport, which refuses any
 * other URL. So a token secret that someone repointed at their own host, or a secret the
 * deployment does not own that names one of its credentials, gets nothing sent anywhere.
 *
 * A credential no binding names (a secret managed by tag that brings a credential of its own) is
 * allowed only where the deployment says so (tag discovery): the functions can read such a
 * credential only when its owner's resource policy lets them, and it is not the deployment's to
 * protect.
 */
import * as z from 'zod/mini';
import { CredentialBindingError, toValidationError } from '../errors.js';
import { originCovers, originOf, withinOrigins, type Origin } from '../http/origins.js';
import { parseJsonSecret } from '../secrets/token-secret.js';
import { DEFAULT_PROVIDER } from './edges.js';
import { providerDefinition } from './registry.js';

/**
 * A secret as a binding names it: a full ARN, or (what the construct writes, to keep the
 * functions' 4 KB environment small) a name in the deployment's own account and region, which
 * matches the ARN `<secretArnPrefix><name>-XXXXXX` (Secrets Manager's six-character suffix).
 */
export type SecretRef = string;

export interface CredentialBinding {
  /** The credential secret. */
  credential: SecretRef;
  /** Where it may be sent: the origins of the connections that use it. */
  origins: Origin[];
  /** The token secrets that may use it. */
  tokenSecrets: SecretRef[];
}

export interface BindingPolicy {
  bindings: readonly CredentialBinding[];
  /** `arn:<partition>:secretsmanager:<region>:<account>:secret:`: what a ref by name is under. */
  secretArnPrefix?: string;
  /** What to do with a credential no binding names: 'allow' only with tag discovery. */
  unboundCredentials: 'allow' | 'refuse';
}

/** Whether `ref` names the secret with full ARN `arn`. */
export function refersTo(ref: SecretRef, arn: string, secretArnPrefix: string | undefined): boolean {
  if (ref.startsWith('arn:')) return ref === arn;
  if (secretArnPrefix === undefined) return false;
  const stem = `${secretArnPrefix}${ref}-`;
  return arn.length === stem.length + 6 && arn.startsWith(stem);
}

const bindingSchema = z.array(
  z.object({
    credential: z.string().check(z.minLength(1)),
    origins: z.array(z.string().check(z.minLength(1))),
    tokenSecrets: z.array(z.string().check(z.minLength(1))),
  }),
);

/** Parses the bindings as the environment holds them (JSON); `what` names the source in errors. */
export function parseBindings(json: string, what: string): CredentialBinding[] {
  const parsed = bindingSchema.safeParse(parseJsonSecret(json, what));
  if (!parsed.success) throw toValidationError(what, parsed.error);
  return parsed.data.map((b) => ({ ...b, origins: b.origins.map(originOf) }));
}

/**
 * Merges bindings of the same credential (several connections may share one), and drops origins
 * another origin of the same credential covers (`https://h:14240/restpp` under `https://h:14240`).
 */
export function mergeBindings(bindings: readonly CredentialBinding[]): CredentialBinding[] {
  const byCredential = new Map<string, CredentialBinding>();
  for (const b of bindings) {
    const seen = byCredential.get(b.credential);
    byCredential.set(
      b.credential,
      seen
        ? { credential: b.credential, origins: [...new Set([...seen.origins, ...b.origins])], tokenSecrets: [...new Set([...seen.tokenSecrets, ...b.tokenSecrets])] }
        : { ...b, origins: [...new Set(b.origins)], tokenSecrets: [...new Set(b.tokenSecrets)] },
    );
  }
  return [...byCredential.values()].map((b) => ({ ...b, origins: b.origins.filter((o) => !b.origins.some((other) => other !== o && originCovers(other, o))) }));
}

/**
 * The origins a connection's provider would call, from its token secret fields (provider, host and
 * the provider's own fields): what a deployment binds its credential to. Throws a
 * ValidationError or ConfigError for fields the provider refuses.
 */
export function connectionOrigins(fields: Readonly<Record<string, unknown>> & { host: string }, options: { allowInsecureHttp: boolean }): Origin[] {
  const definition = providerDefinition(typeof fields.provider === 'string' ? fields.provider : DEFAULT_PROVIDER);
  const config = definition.parseConfig({ ...fields, host: fields.host, allowInsecureHttp: options.allowInsecureHttp }, 'connection');
  return definition.origins(config);
}

/** The environment value of the bindings (ENV.CREDENTIAL_BINDINGS): JSON, one entry per credential. */
export function renderBindings(bindings: readonly CredentialBinding[]): string {
  return JSON.stringify(mergeBindings(bindings));
}

/** What is checked: one token secret, the credential it names (resolved to its full ARN) and the origins its provider would call. */
export interface BindingRequest {
  tokenSecretArn: string;
  credentialArn: string;
  origins: readonly Origin[];
  /** Names the token secret in messages. */
  what: string;
}

/**
 * The origins the credential may be sent to for this token secret; throws a
 * CredentialBindingError naming the secret, the offending origin and the bound ones.
 */
export function checkBinding(policy: BindingPolicy, request: BindingRequest): readonly Origin[] {
  const binding = policy.bindings.find((b) => refersTo(b.credential, request.credentialArn, policy.secretArnPrefix));
  if (!binding) {
    if (policy.unboundCredentials === 'allow') return request.origins;
    throw new CredentialBindingError(
      `${request.what}: its credential secret ${request.credentialArn} is not bound to this deployment: ` +
        'the functions send only the credentials their deployment names, to the hosts it names (redeploy with the connection in the construct)',
    );
  }
  if (!binding.tokenSecrets.some((ref) => refersTo(ref, request.tokenSecretArn, policy.secretArnPrefix))) {
    throw new CredentialBindingError(
      `${request.what}: the credential secret ${request.credentialArn} is bound to other token secrets of this deployment, not to ${request.tokenSecretArn}; ` +
        'a connection uses a credential only where the deployment pairs them',
    );
  }
  const outside = request.origins.find((origin) => !withinOrigins(binding.origins, origin));
  if (outside !== undefined) {
    throw new CredentialBindingError(
      `${request.what}: host ${outside} is not one the credential secret ${request.credentialArn} is bound to (${binding.origins.join(', ')}); ` +
        'a host is changed by a deploy (the construct renders the binding), never by editing the token secret',
    );
  }
  return binding.origins;
}
