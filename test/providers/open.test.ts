/**
 * Opening a provider (core/providers/open.ts): provider fields checked before any call, the
 * credential secret read once per container and shared, a refused credential re-read once (so an
 * operator's fix is used at once), a placeholder credential named as such, and plain HTTP only in
 * an explicitly local process.
 */
import { beforeEach, describe, expect, it } from 'vitest';
import { PutSecretValueCommand } from '@aws-sdk/client-secrets-manager';
import { BadCredentialError, CredentialNotSetError, ValidationError } from '../../core/errors.js';
import type { BindingPolicy } from '../../core/providers/binding.js';
import { clearCredentialCache, Providers } from '../../core/providers/open.js';
import type { ProviderDefinition, TokenProvider } from '../../core/providers/provider.js';
import { providerDefinition } from '../../core/providers/registry.js';
import { resetCaches } from '../../core/reset.js';
import { parseTokenSecret } from '../../core/secrets/token-secret.js';
import { memoryDefinition, MemoryProvider } from '../helpers/memory-provider.js';
import { useLocalAws } from '../helpers/local-aws.js';

const fx = useLocalAws();

/** A definition whose provider refuses every credential but `accepted`. */
function definitionAccepting(accepted: string, seen: string[]): ProviderDefinition<unknown, { password: string }> {
  return {
    ...memoryDefinition,
    credentialShapes: [{ password: '...' }],
    tokenFields: [],
    parseConfig: (secret) => secret,
    parseCredentials: (raw) => raw as { password: string },
    origins: () => ['https://h.example.com:443'],
    open: (_config, credentials): TokenProvider => {
      const inner = new MemoryProvider();
      const check = () => {
        seen.push(credentials.password);
        if (credentials.password !== accepted) throw new BadCredentialError('the server refused the credential');
      };
      return {
        name: 'memory',
        version: () => inner.version(),
        capabilities: () => inner.capabilities(),
        issue: async (r) => (check(), inner.issue(r)),
        refresh: (h, o) => inner.refresh(h, o),
        revoke: (h) => inner.revoke(h),
        verify: (h) => inner.verify(h),
      };
    },
  };
}

async function secretWithCredential(password: string) {
  const { arn: credentialArn } = await fx.createSecret('open/cred', { password }, { managed: false });
  return { credentialArn, secret: parseTokenSecret(JSON.stringify({ provider: 'memory', host: 'https://h.example.com', credentialSecretId: credentialArn })) };
}

beforeEach(() => clearCredentialCache());
/** These tests are about opening, not binding: every credential is allowed (binding.test.ts covers the binding). */
const UNBOUND_ALLOWED: BindingPolicy = { bindings: [], unboundCredentials: 'allow' };
const HOLDER = { arn: 'arn:aws:secretsmanager:us-east-1:000000000000:secret:open/token-AbCdEf', what: 'token secret open/token' };
const purpose = { secretName: 's', versionId: 'v' };

describe('opening a provider', () => {
  it('reads a credential secret once for every secret that shares it', async () => {
    const seen: string[] = [];
    const { secret } = await secretWithCredential('right');
    const providers = new Providers({ store: fx.store(), clock: fx.clock, binding: UNBOUND_ALLOWED, definitions: () => definitionAccepting('right', seen) as never });
    await providers.open(secret, HOLDER);
    await providers.open(secret, HOLDER);
    expect(fx.aws.countCalls('GetSecretValue')).toBe(1);
  });

  it('resetCaches (core/reset.ts) forgets the cached credential: the next open reads it again', async () => {
    const seen: string[] = [];
    const { secret } = await secretWithCredential('right');
    const providers = new Providers({ store: fx.store(), clock: fx.clock, binding: UNBOUND_ALLOWED, definitions: () => definitionAccepting('right', seen) as never });
    await providers.open(secret, HOLDER);
    await resetCaches();
    await providers.open(secret, HOLDER);
    expect(fx.aws.countCalls('GetSecretValue')).toBe(2);
  });

  it('re-reads a refused credential once and retries with the operator’s fix', async () => {
    const seen: string[] = [];
    const { secret, credentialArn } = await secretWithCredential('old');
    const providers = new Providers({ store: fx.store(), clock: fx.clock, binding: UNBOUND_ALLOWED, definitions: () => definitionAccepting('new', seen) as never });
    const provider = await providers.open(secret, HOLDER); // cached: "old"
    await fx.client.send(new PutSecretValueCommand({ SecretId: credentialArn, SecretString: JSON.stringify({ password: 'new' }) }));
    await expect(provider.issue({ purpose })).resolves.toMatchObject({ token: expect.any(String) });
    expect(seen).toEqual(['old', 'new']);
  });

  it('surfaces the refusal when the credential has not changed (one re-read, no loop)', async () => {
    const seen: string[] = [];
    const { secret } = await secretWithCredential('wrong');
    const providers = new Providers({ store: fx.store(), clock: fx.clock, binding: UNBOUND_ALLOWED, definitions: () => definitionAccepting('right', seen) as never });
    const provider = await providers.open(secret, HOLDER);
    fx.aws.resetRequestLog();
    await expect(provider.issue({ purpose })).rejects.toBeInstanceOf(BadCredentialError);
    expect(seen).toEqual(['wrong']);
    expect(fx.aws.countCalls('GetSecretValue')).toBe(1);
  });

  it('names a credential secret still holding the deployment’s empty placeholder', async () => {
    const { arn: credentialArn } = await fx.createSecret('open/placeholder', { secret: '' }, { managed: false });
    const secret = parseTokenSecret(JSON.stringify({ host: 'https://tg.example.com', credentialSecretId: credentialArn }));
    const error = await new Providers({ store: fx.store(), clock: fx.clock, binding: UNBOUND_ALLOWED }).open(secret, HOLDER).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(CredentialNotSetError);
    expect((error as Error).message).toMatch(/has not been filled in yet; set it to \{"secret":/);
  });

  it('checks the provider’s own fields before reading anything', async () => {
    const secret = parseTokenSecret(JSON.stringify({ host: 'https://tg.example.com', credentialSecretId: 'never-read', restppPort: 70000 }));
    fx.aws.resetRequestLog();
    const error = await new Providers({ store: fx.store(), clock: fx.clock, binding: UNBOUND_ALLOWED }).open(secret, HOLDER).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ValidationError);
    expect((error as Error).message).toMatch(/^tigergraph: .*restppPort/);
    expect(fx.aws.countCalls()).toBe(0);
  });

  it('refuses an unknown provider by name', () => {
    expect(() => providerDefinition('oracle')).toThrow(/provider: expected one of "tigergraph"/);
  });

  it.each([
    [false, /plain http/],
    [true, null],
  ])('honours allowInsecureHttp only in an explicitly local process (local: %s)', async (local, refusal) => {
    const { arn: credentialArn } = await fx.createSecret('open/tg', { secret: 's3cr3t-value' }, { managed: false });
    const secret = parseTokenSecret(JSON.stringify({ host: 'http://127.0.0.1:9', credentialSecretId: credentialArn, allowInsecureHttp: true, tigergraphVersion: '3' }));
    const opening = new Providers({ store: fx.store(), clock: fx.clock, allowInsecureHttp: local, binding: UNBOUND_ALLOWED }).open(secret, HOLDER);
    if (refusal) await expect(opening).rejects.toThrow(refusal);
    else await expect(opening).resolves.toMatchObject({ name: 'tigergraph' });
  });
});
