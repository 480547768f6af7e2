import { describe, expect, it } from 'vitest';
import { parseCredentials, parseTokenSecret } from '../core/secrets/token-secret.js';
import { ValidationError } from '../core/errors.js';

const base = { host: 'https://tg.example.com', credentialSecretId: 'arn:aws:secretsmanager:us-east-1:1:secret:cred' };

describe('parseTokenSecret', () => {
  it('applies defaults and keeps unknown fields', () => {
    const s = parseTokenSecret(JSON.stringify({ ...base, team: 'graph' }));
    expect(s.tigergraphVersion).toBe('auto');
    expect(s.allowInsecureHttp).toBe(false);
    expect((s as Record<string, unknown>).team).toBe('graph');
  });

  it.each([
    [{ ...base, host: 'tg.example.com' }, 'host'],
    [{ ...base, host: 'https://tg.example.com/restpp' }, 'host'],
    [{ ...base, host: 'ftp://tg.example.com' }, 'host'],
    [{ host: base.host }, 'credentialSecretId'],
    [{ ...base, tigergraphVersion: '5' }, 'tigergraphVersion'],
    [{ ...base, restppPort: 70000 }, 'restppPort'],
    [{ ...base, expiresAt: 'tomorrow' }, 'expiresAt'],
  ])('names the bad field %#', (secret, field) => {
    const err = (() => {
      try {
        parseTokenSecret(JSON.stringify(secret));
      } catch (e) {
        return e;
      }
      return undefined;
    })();
    expect(err).toBeInstanceOf(ValidationError);
    expect((err as ValidationError).message).toContain(field);
    expect((err as ValidationError).field).toBe(field);
  });

  it('rejects non-JSON and non-object secrets without echoing them', () => {
    expect(() => parseTokenSecret('not json sekrit')).toThrow(/not valid JSON/);
    expect(() => parseTokenSecret('not json sekrit')).not.toThrow(/sekrit/);
    expect(() => parseTokenSecret('[1]')).toThrow(/expected a JSON object/);
  });
});

describe('parseCredentials', () => {
  it('accepts a secret or username/password', () => {
    expect(parseCredentials('{"secret":"abc"}')).toEqual({ secret: 'abc' });
    expect(parseCredentials('{"username":"u","password":"p"}')).toEqual({ username: 'u', password: 'p' });
  });
  it('rejects anything else without echoing the value', () => {
    expect(() => parseCredentials('{"username":"hunter2"}')).toThrow(ValidationError);
    expect(() => parseCredentials('{"username":"hunter2"}')).not.toThrow(/hunter2/);
  });
});
