/**
 * Credential bindings (core/providers/binding.ts), the cases its mutation run found unpinned: a
 * credential shared by several token secrets, the remedy each refusal states, and the field a
 * refused connection is named by.
 */
import { describe, expect, it } from 'vitest';
import { CredentialBindingError, ValidationError } from '../../core/errors.js';
import { checkBinding, connectionOrigins, mergeBindings, type BindingPolicy, type BindingRequest } from '../../core/providers/binding.js';

const PREFIX = 'arn:aws:secretsmanager:eu-west-1:123456789012:secret:';
const CREDENTIAL_ARN = `${PREFIX}tg/prod/credentials-AbCdEf`;
const ORIGINS = ['https://tg.example.com:9000', 'https://tg.example.com:14240'];

/** One credential used by two connections of the deployment, merged as the construct renders it. */
const shared: BindingPolicy = {
  bindings: mergeBindings([
    { credential: 'tg/prod/credentials', origins: ORIGINS, tokenSecrets: ['tg/prod/reader-token'] },
    { credential: 'tg/prod/credentials', origins: ORIGINS, tokenSecrets: ['tg/prod/writer-token'] },
  ]),
  secretArnPrefix: PREFIX,
  unboundCredentials: 'refuse',
};

const request = (tokenSecret: string, over: Partial<BindingRequest> = {}): BindingRequest => ({
  tokenSecretArn: `${PREFIX}${tokenSecret}-ZyXwVu`,
  credentialArn: CREDENTIAL_ARN,
  origins: ORIGINS,
  what: `token secret ${tokenSecret}`,
  ...over,
});

function thrown(f: () => unknown): Error {
  try {
    f();
  } catch (e) {
    return e as Error;
  }
  throw new Error('expected a throw');
}

describe('a credential shared by several token secrets', () => {
  it('may be used by each of them, and by no other', () => {
    expect(shared.bindings).toHaveLength(1);
    expect(checkBinding(shared, request('tg/prod/reader-token'))).toEqual(ORIGINS);
    expect(checkBinding(shared, request('tg/prod/writer-token'))).toEqual(ORIGINS);
    expect(() => checkBinding(shared, request('tg/prod/other-token'))).toThrow(CredentialBindingError);
  });
});

describe('each refusal says how to put it right', () => {
  it('another token secret: the credential is used only where the deployment pairs them', () => {
    const error = thrown(() => checkBinding(shared, request('evil/token')));
    expect(error).toBeInstanceOf(CredentialBindingError);
    expect(error.message).toBe(
      `token secret evil/token: the credential secret ${CREDENTIAL_ARN} is bound to other token secrets of this deployment, not to ${PREFIX}evil/token-ZyXwVu; ` +
        'a connection uses a credential only where the deployment pairs them',
    );
  });

  it('an unbound credential: redeploy with the connection in the construct', () => {
    const foreign = `${PREFIX}team/own-credential-AbCdEf`;
    const error = thrown(() => checkBinding(shared, request('tg/prod/reader-token', { credentialArn: foreign })));
    expect(error).toBeInstanceOf(CredentialBindingError);
    expect(error.message).toBe(
      `token secret tg/prod/reader-token: its credential secret ${foreign} is not bound to this deployment: ` +
        'the functions send only the credentials their deployment names, to the hosts it names (redeploy with the connection in the construct)',
    );
  });
});

describe("a connection's origins", () => {
  it('are refused for fields its provider refuses, naming the connection and the field', () => {
    const error = thrown(() => connectionOrigins({ host: 'https://tg.example.com', tigergraphVersion: '7' }, { allowInsecureHttp: false }));
    expect(error).toBeInstanceOf(ValidationError);
    expect(error.message).toMatch(/^tigergraph: connection is invalid: tigergraphVersion: expected one of/);
  });
});
