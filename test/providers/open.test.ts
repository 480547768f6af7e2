/**
 * Opening a provider (core/providers/open.ts): provider fields checked before any call, the
 * credential secret read once per container and shared, a refused credential re-read once (so an
 * operator's fix is used at once), a placeholder credential named as such, and plain HTTP only in
 * an explicitly local process.
 */
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { PutSecretValueCommand } from '@aws-sdk/client-secrets-manager';
import { BadCredentialError, CredentialBindingError, CredentialNotSetError, ValidationError } from '../../core/errors.js';
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
    // The credential's resolved ARN is forgotten too.
    expect(fx.aws.countCalls('DescribeSecret')).toBe(2);
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

describe('opening a provider: the caches, the context and the re-read (issue 25)', () => {
  afterEach(() => vi.useRealTimers());

  /** A provider whose every call checks the credential it was opened with; `accepted` says which are good. */
  function checking(accepted: (password: string) => boolean, seen: string[], opened: Array<{ config: unknown; context: unknown }> = []): ProviderDefinition<unknown, { password: string }> {
    return {
      ...memoryDefinition,
      credentialShapes: [{ password: '...' }],
      parseConfig: (secret) => secret,
      parseCredentials: (raw) => raw as { password: string },
      origins: () => ['https://h.example.com:443'],
      open: (config, credentials, context): TokenProvider => {
        opened.push({ config, context });
        const inner = new MemoryProvider();
        const check = <T>(v: () => Promise<T>) => {
          seen.push(credentials.password);
          if (!accepted(credentials.password)) return Promise.reject(new BadCredentialError('the server refused the credential'));
          return v();
        };
        return {
          name: 'memory',
          version: () => check(() => inner.version()),
          capabilities: () => check(() => inner.capabilities()),
          issue: (r) => check(() => inner.issue(r)),
          refresh: (h, o) => check(() => inner.refresh(h, o)),
          revoke: (h) => check(() => inner.revoke(h)),
          verify: (h) => check(() => inner.verify(h)),
        };
      },
    };
  }
  const providersWith = (definition: ProviderDefinition<unknown, { password: string }>, extra: Partial<ConstructorParameters<typeof Providers>[0]> = {}) =>
    new Providers({ store: fx.store(), clock: fx.clock, binding: UNBOUND_ALLOWED, definitions: () => definition as never, ...extra });

  it('every call, not only issue, is made again once with a credential the operator changed', async () => {
    const { secret, credentialArn } = await secretWithCredential('old');
    const held = { token: 't', fields: {} };
    const calls: Array<[string, (p: TokenProvider) => Promise<unknown>]> = [
      ['version', (p) => p.version()],
      ['capabilities', (p) => p.capabilities()],
      ['refresh', (p) => p.refresh(held, {}).catch((e: unknown) => (e instanceof BadCredentialError ? Promise.reject(e) : 'answered'))],
      ['revoke', (p) => p.revoke(held)],
      ['verify', (p) => p.verify(held)],
    ];
    for (const [name, call] of calls) {
      clearCredentialCache();
      await fx.client.send(new PutSecretValueCommand({ SecretId: credentialArn, SecretString: JSON.stringify({ password: `old-${name}` }) }));
      const seen: string[] = [];
      const provider = await providersWith(checking((p) => p === `new-${name}`, seen)).open(secret, HOLDER);
      await fx.client.send(new PutSecretValueCommand({ SecretId: credentialArn, SecretString: JSON.stringify({ password: `new-${name}` }) }));
      await expect(call(provider), name).resolves.toBeDefined();
      expect(seen, name).toEqual([`old-${name}`, `new-${name}`]);
    }
  });

  it('re-reads once per provider: a changed credential still refused is thrown, and later refusals read nothing', async () => {
    const { secret, credentialArn } = await secretWithCredential('first');
    const seen: string[] = [];
    const provider = await providersWith(checking(() => false, seen)).open(secret, HOLDER);
    await fx.client.send(new PutSecretValueCommand({ SecretId: credentialArn, SecretString: JSON.stringify({ password: 'second' }) }));
    fx.aws.resetRequestLog();
    await expect(provider.version()).rejects.toBeInstanceOf(BadCredentialError);
    expect(seen).toEqual(['first', 'second']);
    await fx.client.send(new PutSecretValueCommand({ SecretId: credentialArn, SecretString: JSON.stringify({ password: 'third' }) }));
    await expect(provider.version()).rejects.toBeInstanceOf(BadCredentialError);
    expect(seen).toEqual(['first', 'second', 'second']);
    expect(fx.aws.countCalls('GetSecretValue')).toBe(1);
  });

  it('another error is not a refusal: thrown at once, nothing re-read', async () => {
    const { secret } = await secretWithCredential('x');
    const definition = { ...checking(() => true, []), open: (): TokenProvider => ({ ...new MemoryProvider(), name: 'memory', version: () => Promise.reject(new Error('boom')) }) as unknown as TokenProvider };
    const provider = await providersWith(definition).open(secret, HOLDER);
    fx.aws.resetRequestLog();
    await expect(provider.version()).rejects.toThrow('boom');
    expect(fx.aws.countCalls('GetSecretValue')).toBe(0);
  });

  it('the credential and its resolved ARN are cached for a minute, and read again from the minute on', async () => {
    vi.useFakeTimers({ toFake: ['Date'] });
    const { secret } = await secretWithCredential('right');
    const providers = providersWith(checking(() => true, []));
    await providers.open(secret, HOLDER);
    vi.setSystemTime(Date.now() + 59_999);
    await providers.open(secret, HOLDER);
    expect([fx.aws.countCalls('GetSecretValue'), fx.aws.countCalls('DescribeSecret')]).toEqual([1, 1]);
    vi.setSystemTime(Date.now() + 1);
    await providers.open(secret, HOLDER);
    expect([fx.aws.countCalls('GetSecretValue'), fx.aws.countCalls('DescribeSecret')]).toEqual([2, 2]);
  });

  it('a credential bound by ARN is taken as it is: no DescribeSecret', async () => {
    const { secret, credentialArn } = await secretWithCredential('right');
    const binding: BindingPolicy = { bindings: [{ credential: credentialArn, origins: ['https://h.example.com:443'], tokenSecrets: [HOLDER.arn] }], unboundCredentials: 'refuse' };
    await providersWith(checking(() => true, []), { binding }).open(secret, HOLDER);
    expect(fx.aws.countCalls('DescribeSecret')).toBe(0);
    expect(fx.aws.countCalls('GetSecretValue')).toBe(1);
  });

  it('a credential secret that does not exist: a ValidationError naming credentialSecretId, and nothing cached', async () => {
    const secret = parseTokenSecret(JSON.stringify({ provider: 'memory', host: 'https://h.example.com', credentialSecretId: 'open/does-not-exist' }));
    const providers = providersWith(checking(() => true, []));
    const error = (await providers.open(secret, HOLDER).catch((e: unknown) => e)) as ValidationError;
    expect(error).toBeInstanceOf(ValidationError);
    expect(error.field).toBe('credentialSecretId');
    expect(error.message).toBe(`credentialSecretId: the credential secret open/does-not-exist of ${HOLDER.what} was not found`);
    await providers.open(secret, HOLDER).catch(() => undefined);
    expect(fx.aws.countCalls('DescribeSecret')).toBe(2);
  });

  it('access denied when resolving a credential: a CredentialBindingError naming the token secret and the credential', async () => {
    const { secret, credentialArn } = await secretWithCredential('right');
    fx.aws.setFaults({ failNext: { operation: 'DescribeSecret', errorType: 'AccessDeniedException', count: 1 } });
    const error = (await providersWith(checking(() => true, [])).open(secret, HOLDER).catch((e: unknown) => e)) as Error;
    expect(error).toBeInstanceOf(CredentialBindingError);
    expect(error.message).toBe(`${HOLDER.what}: its credential secret ${credentialArn} is not one this deployment may use (access denied when resolving it)`);
  });

  it('a bound credential secret that does not exist: a ValidationError naming credentialSecretId, saying what to create', async () => {
    const missing = 'arn:aws:secretsmanager:us-east-1:000000000000:secret:open/missing-AbCdEf';
    const secret = parseTokenSecret(JSON.stringify({ provider: 'memory', host: 'https://h.example.com', credentialSecretId: missing }));
    const binding: BindingPolicy = { bindings: [{ credential: missing, origins: ['https://h.example.com:443'], tokenSecrets: [HOLDER.arn] }], unboundCredentials: 'refuse' };
    const error = (await providersWith(checking(() => true, []), { binding }).open(secret, HOLDER).catch((e: unknown) => e)) as ValidationError;
    expect(error).toBeInstanceOf(ValidationError);
    expect(error.field).toBe('credentialSecretId');
    expect(error.message).toMatch(new RegExp(`^credentialSecretId: the credential secret ${missing} was not found or has no current value; create it with the shape the provider expects \\(see `));
  });

  it('a DescribeSecret that fails otherwise is surfaced as itself, not as a binding refusal', async () => {
    const { secret } = await secretWithCredential('right');
    fx.aws.setFaults({ failNext: { operation: 'DescribeSecret', errorType: 'InternalServiceError', count: 1 } });
    await expect(providersWith(checking(() => true, [])).open(secret, HOLDER)).rejects.toMatchObject({ name: 'InternalServiceError' });
  });

  it('a credential read that failed is not cached: the next open reads it again', async () => {
    const { secret } = await secretWithCredential('right');
    fx.aws.setFaults({ failNext: { operation: 'GetSecretValue', errorType: 'InternalServiceError', count: 1 } });
    const providers = providersWith(checking(() => true, []));
    // Surfaced as itself: a service failure is neither "not found" nor a binding refusal.
    await expect(providers.open(secret, HOLDER)).rejects.toMatchObject({ name: 'InternalServiceError' });
    await expect(providers.open(secret, HOLDER)).resolves.toBeDefined();
    expect(fx.aws.countCalls('GetSecretValue')).toBe(2);
  });

  it('a credential that is null or a list is no placeholder: the provider\'s own parse refuses it', async () => {
    for (const value of ['null', '[""]']) {
      const { arn } = await fx.createSecret('open/odd-credential', { password: 'x' }, { managed: false });
      await fx.client.send(new PutSecretValueCommand({ SecretId: arn, SecretString: value }));
      const secret = parseTokenSecret(JSON.stringify({ provider: 'memory', host: 'https://h.example.com', credentialSecretId: arn }));
      const strict = {
        ...checking(() => true, []),
        parseCredentials: (): { password: string } => {
          throw new ValidationError('credential secret: expected {"password": "..."}', 'password');
        },
      };
      const error = await providersWith(strict).open(secret, HOLDER).catch((e: unknown) => e);
      expect(error, value).toBeInstanceOf(ValidationError);
      expect(error, value).not.toBeInstanceOf(CredentialNotSetError);
    }
  });

  it('a credential secret that is not JSON is named in the error', async () => {
    const { arn } = await fx.createSecret('open/not-json', { password: 'x' }, { managed: false });
    await fx.client.send(new PutSecretValueCommand({ SecretId: arn, SecretString: 'not json' }));
    const secret = parseTokenSecret(JSON.stringify({ provider: 'memory', host: 'https://h.example.com', credentialSecretId: arn }));
    await expect(providersWith(checking(() => true, [])).open(secret, HOLDER)).rejects.toThrow(`memory: credential secret ${arn}`);
  });

  it('only an object of empty strings is the placeholder: an empty object or one real value is a credential', async () => {
    for (const value of [{}, { password: '', realm: 'r' }]) {
      const { arn } = await fx.createSecret('open/almost-placeholder', value, { managed: false });
      const secret = parseTokenSecret(JSON.stringify({ provider: 'memory', host: 'https://h.example.com', credentialSecretId: arn }));
      await expect(providersWith(checking(() => true, [])).open(secret, HOLDER)).resolves.toBeDefined();
    }
  });

  it('plain http only in an explicitly local process; the provider gets the clock, the HTTP tuning and the allowed origins', async () => {
    const { credentialArn } = await secretWithCredential('right');
    const insecure = parseTokenSecret(JSON.stringify({ provider: 'memory', host: 'http://h.example.com', credentialSecretId: credentialArn, allowInsecureHttp: true }));
    const opened: Array<{ config: unknown; context: unknown }> = [];
    await providersWith(checking(() => true, [], opened)).open(insecure, HOLDER);
    await providersWith(checking(() => true, [], opened), { allowInsecureHttp: true, http: { timeoutMs: 1_234 } as never }).open(insecure, HOLDER);
    const secure = parseTokenSecret(JSON.stringify({ provider: 'memory', host: 'https://h.example.com', credentialSecretId: credentialArn }));
    await providersWith(checking(() => true, [], opened), { allowInsecureHttp: true }).open(secure, HOLDER);
    expect(opened.map((o) => (o.config as { allowInsecureHttp: boolean }).allowInsecureHttp)).toEqual([false, true, false]);
    expect(opened[0]?.context).toEqual({ clock: fx.clock, allowInsecureHttp: false, http: { allowedOrigins: ['https://h.example.com:443'] } });
    expect(opened[1]?.context).toEqual({ clock: fx.clock, allowInsecureHttp: true, http: { timeoutMs: 1_234, allowedOrigins: ['https://h.example.com:443'] } });
  });
});
