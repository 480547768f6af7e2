/**
 * Credential bindings (core/providers/binding.ts) and origins (core/http/origins.ts): one normal
 * form for an origin, path prefixes matched by whole segments, secrets named by ARN or by name
 * under the account's prefix, the binding checked before a credential is read, and the transport
 * refusing any URL outside the bound origins before it connects.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { CredentialBindingError } from '../../core/errors.js';
import { originCovers, originOf } from '../../core/http/origins.js';
import { HttpTransport, httpSettings } from '../../core/http/transport.js';
import { checkBinding, connectionOrigins, mergeBindings, parseBindings, refersTo, type BindingPolicy } from '../../core/providers/binding.js';
import { clearCredentialCache, Providers } from '../../core/providers/open.js';
import { parseTokenSecret } from '../../core/secrets/token-secret.js';
import { useLocalAws } from '../helpers/local-aws.js';

const PREFIX = 'arn:aws:secretsmanager:eu-west-1:123456789012:secret:';

describe('origins', () => {
  it('writes one normal form: lower-case host, explicit port, no trailing slash, no query', () => {
    expect(originOf('https://TG.Example.com')).toBe('https://tg.example.com:443');
    expect(originOf('https://tg.example.com:443/')).toBe('https://tg.example.com:443');
    expect(originOf('http://127.0.0.1:9000/restpp/?x=1#f')).toBe('http://127.0.0.1:9000/restpp');
    expect(() => originOf('ftp://tg.example.com')).toThrow(/http:\/\/ or https:\/\//);
  });

  it('covers a URL on the same scheme, host and port, under its path prefix by whole segments', () => {
    const bound = 'https://tg.example.com:14240/restpp';
    expect(originCovers(bound, 'https://tg.example.com:14240/restpp/echo')).toBe(true);
    expect(originCovers(bound, 'https://tg.example.com/restpp/echo')).toBe(false); // port 443
    expect(originCovers(bound, 'https://tg.example.com:14240/restppx')).toBe(false);
    expect(originCovers(bound, 'https://tg.example.com:14240/gsqlserver/gsql/login')).toBe(false);
    expect(originCovers(bound, 'http://tg.example.com:14240/restpp/echo')).toBe(false);
    expect(originCovers(bound, 'https://tg.example.com.evil.test:14240/restpp')).toBe(false);
    expect(originCovers('https://tg.example.com:14240', 'https://tg.example.com:14240/gsqlserver/gsql/login')).toBe(true);
    // A userinfo trick does not change the host a URL goes to.
    expect(originCovers('https://tg.example.com:443', 'https://tg.example.com@evil.test/')).toBe(false);
  });

  it("derives a connection's origins from its provider and fields", () => {
    expect(connectionOrigins({ host: 'https://tg.example.com', tigergraphVersion: '3' }, { allowInsecureHttp: false })).toEqual([
      'https://tg.example.com:9000',
      'https://tg.example.com:14240',
    ]);
    expect(connectionOrigins({ host: 'https://tg.example.com', tigergraphVersion: '4' }, { allowInsecureHttp: false })).toEqual([
      'https://tg.example.com:14240/restpp',
      'https://tg.example.com:14240',
    ]);
    expect(connectionOrigins({ provider: 'ica', host: 'https://ica.illumina.com' }, { allowInsecureHttp: false })).toEqual(['https://ica.illumina.com:443/ica/rest']);
    expect(connectionOrigins({ provider: 'trifacta', host: 'https://t.example.com:3005' }, { allowInsecureHttp: false })).toEqual(['https://t.example.com:3005']);
  });
});

describe('bindings', () => {
  it('name a secret by ARN exactly, or by name under the account prefix with a six-character suffix', () => {
    const arn = `${PREFIX}tg/prod/credentials-AbCdEf`;
    expect(refersTo(arn, arn, undefined)).toBe(true);
    expect(refersTo('tg/prod/credentials', arn, PREFIX)).toBe(true);
    expect(refersTo('tg/prod/credentials', arn, undefined)).toBe(false);
    expect(refersTo('tg/prod', arn, PREFIX)).toBe(false); // a name prefix is not the name
    expect(refersTo('tg/prod/credentials', `${PREFIX}tg/prod/credentials-x-AbCdEf`, PREFIX)).toBe(false);
    expect(refersTo('tg/prod/credentials', 'arn:aws:secretsmanager:us-east-1:123456789012:secret:tg/prod/credentials-AbCdEf', PREFIX)).toBe(false);
  });

  it('merge per credential and drop origins another one covers', () => {
    expect(
      mergeBindings([
        { credential: 'c', origins: ['https://h:14240/restpp'], tokenSecrets: ['a'] },
        { credential: 'c', origins: ['https://h:14240', 'https://h:9000'], tokenSecrets: ['b'] },
        { credential: 'd', origins: ['https://i:443'], tokenSecrets: ['e'] },
      ]),
    ).toEqual([
      { credential: 'c', origins: ['https://h:14240', 'https://h:9000'], tokenSecrets: ['a', 'b'] },
      { credential: 'd', origins: ['https://i:443'], tokenSecrets: ['e'] },
    ]);
  });

  it('parse what the environment holds, naming a bad field', () => {
    expect(parseBindings('[{"credential":"c","origins":["https://H"],"tokenSecrets":["t"]}]', 'TG_CREDENTIAL_BINDINGS')).toEqual([
      { credential: 'c', origins: ['https://h:443'], tokenSecrets: ['t'] },
    ]);
    expect(() => parseBindings('[{"credential":"c","origins":"https://h"}]', 'TG_CREDENTIAL_BINDINGS')).toThrow(/TG_CREDENTIAL_BINDINGS is invalid: 0\.origins: expected array/);
    expect(() => parseBindings('{', 'TG_CREDENTIAL_BINDINGS')).toThrow(/not valid JSON/);
  });

  const policy: BindingPolicy = {
    bindings: [{ credential: 'tg/prod/credentials', origins: ['https://tg.example.com:9000', 'https://tg.example.com:14240'], tokenSecrets: ['tg/prod/token'] }],
    secretArnPrefix: PREFIX,
    unboundCredentials: 'refuse',
  };
  const request = (over: Partial<Parameters<typeof checkBinding>[1]> = {}) => ({
    tokenSecretArn: `${PREFIX}tg/prod/token-ZyXwVu`,
    credentialArn: `${PREFIX}tg/prod/credentials-AbCdEf`,
    origins: ['https://tg.example.com:9000', 'https://tg.example.com:14240'],
    what: 'token secret tg/prod/token',
    ...over,
  });

  it('let a bound credential go to its origins for its token secrets, and hand the bound origins on', () => {
    expect(checkBinding(policy, request())).toEqual(policy.bindings[0]!.origins);
  });

  it('refuse another host, naming the secret, the host and the bound origins', () => {
    const error = (() => {
      try {
        checkBinding(policy, request({ origins: ['https://evil.test:9000'] }));
      } catch (e) {
        return e;
      }
    })();
    expect(error).toBeInstanceOf(CredentialBindingError);
    expect((error as Error).message).toBe(
      `token secret tg/prod/token: host https://evil.test:9000 is not one the credential secret ${PREFIX}tg/prod/credentials-AbCdEf is bound to ` +
        '(https://tg.example.com:9000, https://tg.example.com:14240); a host is changed by a deploy (the construct renders the binding), never by editing the token secret',
    );
  });

  it('refuse another token secret, and an unbound credential unless tag discovery allows it', () => {
    expect(() => checkBinding(policy, request({ tokenSecretArn: `${PREFIX}evil/token-ZyXwVu` }))).toThrow(/is bound to other token secrets of this deployment/);
    const foreign = request({ credentialArn: `${PREFIX}team/own-credential-AbCdEf`, origins: ['https://theirs.example.com:443'] });
    expect(() => checkBinding(policy, foreign)).toThrow(/is not bound to this deployment/);
    expect(checkBinding({ ...policy, unboundCredentials: 'allow' }, foreign)).toEqual(['https://theirs.example.com:443']);
  });
});

describe('opening a provider against the binding', () => {
  const fx = useLocalAws();
  beforeEach(() => clearCredentialCache());

  it('resolves a credential named by name or partial ARN and refuses it for another host before reading its value', async () => {
    const { arn: credentialArn } = await fx.createSecret('tg/prod/credentials', { secret: 'never-read-value' }, { managed: false });
    const prefix = credentialArn.slice(0, credentialArn.indexOf(':secret:') + 8);
    // The fixture makes names unique with a counter: the credential's name as the deploy would bind it.
    const name = credentialArn.slice(prefix.length, -7);
    const tokenArn = `${prefix}tg/prod/token-ZyXwVu`;
    const providers = new Providers({
      store: fx.store(),
      clock: fx.clock,
      binding: { bindings: [{ credential: name, origins: ['https://tg.example.com:443'], tokenSecrets: ['tg/prod/token'] }], secretArnPrefix: prefix, unboundCredentials: 'refuse' },
    });
    for (const credentialSecretId of [credentialArn, credentialArn.slice(0, -7), name]) {
      clearCredentialCache();
      fx.aws.resetRequestLog();
      const secret = parseTokenSecret(JSON.stringify({ host: 'https://evil.test', tigergraphVersion: '3', credentialSecretId }));
      await expect(providers.open(secret, { arn: tokenArn, what: 'token secret tg/prod/token' })).rejects.toThrow(/host https:\/\/evil\.test:9000 is not one/);
      expect(fx.aws.countCalls('GetSecretValue'), credentialSecretId).toBe(0);
    }
  });
});

describe('the transport with bound origins', () => {
  let server: Server;
  let hits = 0;
  let url = '';
  beforeEach(async () => {
    hits = 0;
    server = createServer((_req, res) => {
      hits++;
      res.end('{}');
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterEach(() => new Promise<void>((resolve) => server.close(() => resolve())));

  it('sends within the bound origins and refuses anything else before connecting', async () => {
    const transport = new HttpTransport(httpSettings('Test', { allowedOrigins: [`${url}/api`] }));
    await expect(transport.send({ op: 'ok', method: 'GET', url: `${url}/api/echo` })).resolves.toMatchObject({ status: 200 });
    expect(hits).toBe(1);
    await expect(transport.send({ op: 'escape', method: 'POST', url: `${url}/admin`, json: { secret: 'x' } })).rejects.toThrow(
      /Test escape: http:\/\/127\.0\.0\.1:\d+\/admin is not an origin this credential is bound to .*nothing was sent/,
    );
    expect(hits).toBe(1);
  });
});
