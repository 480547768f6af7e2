/**
 * The token secret's JSON: the common fields (core/secrets/token-secret.ts) and, through its
 * definition, a provider's own fields and credential shape. Every refusal names the field and what
 * was expected, and never echoes a value.
 */
import { describe, expect, it } from 'vitest';
import { heldToken, parseJsonSecret, parseTokenSecret, recordedExpiry, secretJson, withIssuedToken } from '../../core/secrets/token-secret.js';
import { ValidationError } from '../../core/errors.js';
import { tigergraph } from '../../core/providers/tigergraph/index.js';

const base = { host: 'https://tg.example.com', credentialSecretId: 'arn:aws:secretsmanager:us-east-1:1:secret:cred' };

function errorOf(fn: () => unknown): ValidationError {
  try {
    fn();
  } catch (e) {
    expect(e).toBeInstanceOf(ValidationError);
    return e as ValidationError;
  }
  throw new Error('expected a ValidationError');
}

describe('parseTokenSecret (common fields)', () => {
  it('applies defaults and keeps unknown fields', () => {
    const s = parseTokenSecret(JSON.stringify({ ...base, team: 'graph' }));
    expect(s.provider).toBe('tigergraph'); // a secret written before providers existed
    expect(s.allowInsecureHttp).toBe(false);
    expect((s as Record<string, unknown>).team).toBe('graph');
  });

  it.each([
    [{ ...base, host: 'tg.example.com' }, 'host'],
    [{ ...base, host: 'https://tg.example.com/restpp' }, 'host'],
    [{ ...base, host: 'ftp://tg.example.com' }, 'host'],
    [{ host: base.host }, 'credentialSecretId'],
    [{ ...base, expiresAt: 'tomorrow' }, 'expiresAt'],
    [{ ...base, expiresAt: '2026-12-22T10:00:00' }, 'expiresAt'], // no time zone: ambiguous
    [{ ...base, issuedAt: '2026-12-22 10:00' }, 'issuedAt'],
    [{ ...base, lifetimeSeconds: 10 }, 'lifetimeSeconds'],
    [{ ...base, retiredVersionIds: 'v1' }, 'retiredVersionIds'],
  ])('names the bad field %#', (secret, field) => {
    const err = errorOf(() => parseTokenSecret(JSON.stringify(secret)));
    expect(err.message).toContain(field);
    expect(err.field).toBe(field);
  });

  it('accepts expiresAt null: a token the provider said never expires', () => {
    expect(parseTokenSecret(JSON.stringify({ ...base, token: 't', expiresAt: null })).expiresAt).toBeNull();
  });

  it('rejects non-JSON and non-object secrets without echoing them', () => {
    expect(() => parseTokenSecret('not json sekrit')).toThrow(/not valid JSON/);
    expect(() => parseTokenSecret('not json sekrit')).not.toThrow(/sekrit/);
    expect(() => parseTokenSecret('[1]')).toThrow(/expected a JSON object/);
  });
});

describe('tigergraph fields and credentials (its definition)', () => {
  const common = parseTokenSecret(JSON.stringify(base));
  it.each([
    [{ tigergraphVersion: '5' }, 'tigergraphVersion'],
    [{ restppPort: 70000 }, 'restppPort'],
    [{ graph: '' }, 'graph'],
  ])('names the bad field %j, prefixed with the provider', (fields, field) => {
    const err = errorOf(() => tigergraph.parseConfig({ ...common, ...fields }, 'token secret t'));
    expect(err.message).toMatch(new RegExp(`^tigergraph: token secret t is invalid: ${field}`));
  });

  it('accepts a secret or username/password', () => {
    expect(tigergraph.parseCredentials({ secret: 'abc' }, 'credential secret c')).toEqual({ secret: 'abc' });
    expect(tigergraph.parseCredentials({ username: 'u', password: 'p' }, 'credential secret c')).toEqual({ username: 'u', password: 'p' });
  });

  it('rejects anything else naming provider and shapes, without echoing the value', () => {
    const err = errorOf(() => tigergraph.parseCredentials({ username: 'hunter2' }, 'credential secret c'));
    expect(err.message).toMatch(/^tigergraph: credential secret c is invalid: .*expected \{"secret": "<TigerGraph secret>"\} or \{"username": "...", "password": "..."\}/);
    expect(err.message).not.toContain('hunter2');
  });
});

describe('writing and reading token fields', () => {
  it('withIssuedToken keeps every other field, replaces the token fields, and drops the old token’s provider fields', () => {
    const next = withIssuedToken(JSON.stringify({ ...base, team: 'x', tokenId: 'old-id', token: 'old' }), {
      token: 'new',
      expiresAt: null,
      issuedAt: new Date('2026-11-25T00:00:00.000Z'),
    }, { tokenFields: ['tokenId'] });
    expect(JSON.parse(next)).toEqual({ ...base, team: 'x', token: 'new', expiresAt: null, issuedAt: '2026-11-25T00:00:00.000Z' });
  });

  it('heldToken reads the token, its provider fields and its expiry, and never throws on odd versions', () => {
    expect(heldToken(JSON.stringify({ token: 't', tokenId: 'id', expiresAt: '2026-12-01T00:00:00.000Z' }), ['tokenId'])).toEqual({
      token: 't',
      fields: { tokenId: 'id' },
      expiresAt: new Date('2026-12-01T00:00:00.000Z'),
    });
    expect(heldToken('not json')).toBeUndefined();
    expect(heldToken(undefined)).toBeUndefined();
    expect(heldToken(JSON.stringify({ token: '' }))).toBeUndefined();
  });
});

describe('timestamps (issue 17)', () => {
  it.each(['2026-12-22T10:00:00.000Z', '2026-12-22T10:00:00+02:00', '2026-12-22T10:00:00-05:30'])('accepts %s: an instant with its time zone', (at) => {
    expect(parseTokenSecret(JSON.stringify({ ...base, token: 't', expiresAt: at, issuedAt: at })).expiresAt).toBe(at);
  });

  it.each(['2026-12-22T10:00:00', '2026-12-22T10:00:00.000', '2026-12-22 10:00', '2026-12-22'])('refuses %s: no time zone, so no single instant', (at) => {
    for (const field of ['expiresAt', 'issuedAt']) {
      expect(errorOf(() => parseTokenSecret(JSON.stringify({ ...base, token: 't', [field]: at }))).field).toBe(field);
    }
  });
});

describe('the rest of the token secret (issue 25)', () => {
  it('parseJsonSecret: a binary secret and a value that is not JSON are named by `what`, never quoted', () => {
    expect(() => parseJsonSecret(undefined, 'credential secret c')).toThrow(new ValidationError('credential secret c has no SecretString (binary secrets are not supported)'));
    expect(() => parseJsonSecret('{sekrit', 'credential secret c')).toThrow(/^credential secret c is not valid JSON: expected a JSON object as described in https?:\/\//);
    expect(parseJsonSecret('[1]', 'w')).toEqual([1]);
  });

  it('parseTokenSecret: JSON that is no object is refused at the root, named "token secret" unless told otherwise', () => {
    for (const v of ['null', '[]', '"x"', '7']) expect(() => parseTokenSecret(v)).toThrow(new ValidationError('token secret is invalid: (root): expected a JSON object'));
    expect(() => parseTokenSecret('null', 'token secret a/b')).toThrow('token secret a/b is invalid: (root): expected a JSON object');
  });

  it('names the other bad fields: a CA that is no PEM, an empty retired version, negative overrides, a provider left empty, a non-boolean allowInsecureHttp', () => {
    expect(errorOf(() => parseTokenSecret(JSON.stringify({ ...base, caCertificate: 'MIIB' }))).message).toBe('token secret is invalid: caCertificate: expected a PEM bundle starting with -----BEGIN');
    for (const [field, value] of [
      ['retiredVersionIds', ['']],
      ['refreshBeforeSeconds', -1],
      ['revokeGraceSeconds', 1.5],
      ['routineRevokeMinRemainingSeconds', -1],
      ['provider', ''],
      ['allowInsecureHttp', 'yes'],
      ['token', ''],
    ] as const) {
      expect(errorOf(() => parseTokenSecret(JSON.stringify({ ...base, [field]: value }))).field?.startsWith(field), field).toBe(true);
    }
    expect(parseTokenSecret(JSON.stringify({ ...base, caCertificate: '-----BEGIN CERTIFICATE-----', refreshBeforeSeconds: 0 }))).toMatchObject({ refreshBeforeSeconds: 0 });
  });

  it('a rotationSchedule is checked as Secrets Manager would, its errors named under rotationSchedule', () => {
    expect(parseTokenSecret(JSON.stringify({ ...base, rotationSchedule: { scheduleExpression: 'rate(4 hours)', duration: '2h' } })).rotationSchedule).toEqual({ scheduleExpression: 'rate(4 hours)', duration: '2h' });
    const expression = errorOf(() => parseTokenSecret(JSON.stringify({ ...base, rotationSchedule: { scheduleExpression: 'every day' } })));
    expect(expression.field).toBe('rotationSchedule.scheduleExpression');
    expect(expression.message).toMatch(/^token secret is invalid: rotationSchedule\.scheduleExpression: expected /);
    const duration = errorOf(() => parseTokenSecret(JSON.stringify({ ...base, rotationSchedule: { scheduleExpression: 'rate(1 day)', duration: '25h' } })));
    expect(duration.field).toBe('rotationSchedule.duration');
    expect(duration.message).toContain('rotationSchedule.duration: expected whole hours from 1h to 24h');
    expect(errorOf(() => parseTokenSecret(JSON.stringify({ ...base, rotationSchedule: { scheduleExpression: 'rate(1 day)', window: '2h' } }))).message).toContain('rotationSchedule: unexpected field(s) window');
  });

  it('secretJson: an object, else undefined (no value, not JSON, null, an array, a scalar)', () => {
    expect(secretJson('{"a":1}')).toEqual({ a: 1 });
    for (const v of [undefined, 'x', 'null', '[1]', '3']) expect(secretJson(v)).toBeUndefined();
  });

  it('recordedExpiry: the expiry as written (an instant or null), else undefined', () => {
    expect(recordedExpiry(JSON.stringify({ expiresAt: '2030-01-01T00:00:00Z' }))).toBe('2030-01-01T00:00:00Z');
    expect(recordedExpiry(JSON.stringify({ expiresAt: null }))).toBeNull();
    for (const v of [JSON.stringify({ expiresAt: 5 }), JSON.stringify({}), undefined, 'x']) expect(recordedExpiry(v)).toBeUndefined();
  });

  it('withIssuedToken: an expiry as an instant, the provider fields and extras written, extras under the token', () => {
    const next = JSON.parse(
      withIssuedToken(JSON.stringify({ ...base, token: 'old' }), { token: 'new', expiresAt: new Date('2030-01-02T00:00:00.000Z'), issuedAt: new Date('2030-01-01T00:00:00.000Z'), fields: { tokenId: 'id-2' } }, { extra: { providerVersion: '4', token: 'not this' } }),
    );
    expect(next).toEqual({ ...base, providerVersion: '4', tokenId: 'id-2', token: 'new', expiresAt: '2030-01-02T00:00:00.000Z', issuedAt: '2030-01-01T00:00:00.000Z' });
  });

  it('heldToken: only the provider fields asked for and present; an expiry never expiring or unreadable', () => {
    expect(heldToken(JSON.stringify({ token: 't', tokenId: 'id', other: 'x', expiresAt: null }), ['tokenId', 'missing'])).toEqual({ token: 't', fields: { tokenId: 'id' }, expiresAt: null });
    expect(heldToken(JSON.stringify({ token: 't', expiresAt: 'soon' }))).toEqual({ token: 't', fields: {} });
    expect(heldToken(JSON.stringify({ token: 7 }))).toBeUndefined();
  });
});
