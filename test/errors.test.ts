/** The typed errors (core/errors.ts): each one's code, name and retryability, and a zod failure turned into a ValidationError that names fields, never values. */
import { describe, expect, it } from 'vitest';
import * as z from 'zod/mini';
import {
  AuthenticationDisabledError,
  BadCredentialError,
  ConfigError,
  CredentialBindingError,
  CredentialNotSetError,
  describeIssues,
  HttpError,
  NotOwnedError,
  RefreshUnsupportedError,
  RevokeLimitError,
  RotationStateError,
  TokenNotFoundError,
  toValidationError,
  TransportError,
  ValidationError,
} from '../core/errors.js';

describe('the typed errors', () => {
  it.each([
    [new AuthenticationDisabledError('m'), 'AuthenticationDisabledError', 'AUTH_DISABLED'],
    [new BadCredentialError('m'), 'BadCredentialError', 'BAD_CREDENTIAL'],
    [new TokenNotFoundError('m'), 'TokenNotFoundError', 'TOKEN_NOT_FOUND'],
    [new RefreshUnsupportedError('m'), 'RefreshUnsupportedError', 'REFRESH_UNSUPPORTED'],
    [new RevokeLimitError('m'), 'RevokeLimitError', 'REVOKE_LIMIT'],
    [new ConfigError('m'), 'ConfigError', 'CONFIG'],
    [new CredentialBindingError('m'), 'CredentialBindingError', 'BINDING'],
    [new NotOwnedError('m'), 'NotOwnedError', 'NOT_OWNED'],
    [new RotationStateError('m'), 'RotationStateError', 'ROTATION_STATE'],
    [new ValidationError('m', 'f'), 'ValidationError', 'VALIDATION'],
  ] as const)('%s: its name and code, not retryable', (error, name, code) => {
    expect(error).toBeInstanceOf(Error);
    expect({ name: error.name, code: error.code, retryable: error.retryable, message: error.message }).toEqual({ name, code, retryable: false, message: 'm' });
  });

  it('a subclass is named after itself', () => {
    class OddError extends RotationStateError {}
    expect(new OddError('m').name).toBe('OddError');
  });

  it('ValidationError keeps the field; CredentialNotSetError names the secret, the shapes and the field', () => {
    expect(new ValidationError('m', 'host').field).toBe('host');
    const e = new CredentialNotSetError('cred/app', '{"secret": "..."}');
    expect(e).toBeInstanceOf(ValidationError);
    expect({ name: e.name, field: e.field, code: e.code }).toEqual({ name: 'CredentialNotSetError', field: 'credentialSecretId', code: 'VALIDATION' });
    expect(e.message).toBe('credentialSecretId: the credential secret cred/app has not been filled in yet; set it to {"secret": "..."}');
  });

  it('HttpError: retryable from 500 on; keeps the status, the REST code and the server message', () => {
    expect(new HttpError('m', 499).retryable).toBe(false);
    expect(new HttpError('m', 500).retryable).toBe(true);
    expect(new HttpError('m', 503, 'REST-1', 'busy')).toMatchObject({ code: 'HTTP_ERROR', status: 503, restCode: 'REST-1', serverMessage: 'busy', name: 'HttpError' });
  });

  it('TransportError: always retryable, with its reason and cause', () => {
    const cause = new Error('ECONNRESET');
    expect(new TransportError('m', 'reset', { cause })).toMatchObject({ code: 'TRANSPORT_ERROR', retryable: true, reason: 'reset', cause, name: 'TransportError' });
  });
});

describe('toValidationError', () => {
  const fail = (schema: z.ZodMiniType, value: unknown, hints?: { union?: string }) => {
    const r = schema.safeParse(value);
    if (r.success) throw new Error('accepted');
    return toValidationError('the input', r.error, hints);
  };

  it('each field and what it expected, the first field as the error\'s field, never the value', () => {
    const e = fail(z.object({ a: z.string(), b: z.number().check(z.int()) }), { a: 12345, b: 1.5 });
    expect(e).toBeInstanceOf(ValidationError);
    expect(e.field).toBe('a');
    expect(e.message).toBe('the input is invalid: a: expected string; b: expected an integer');
    expect(e.message).not.toContain('12345');
  });

  it.each([
    ['a value not among the allowed', z.object({ k: z.enum(['x', 'y']) }), { k: 'z' }, 'k: expected one of "x", "y"'],
    ['an empty string', z.object({ s: z.string().check(z.minLength(1)) }), { s: '' }, 's: expected a non-empty string'],
    ['too few items', z.object({ l: z.array(z.string()).check(z.minLength(2)) }), { l: ['a'] }, 'l: expected at least 2 item(s)'],
    ['a number too small', z.object({ n: z.number().check(z.minimum(3)) }), { n: 1 }, 'n: expected at least 3'],
    ['a number too big', z.object({ n: z.number().check(z.maximum(3)) }), { n: 9 }, 'n: expected at most 3'],
    ['unexpected fields', z.strictObject({ a: z.optional(z.string()) }), { b: 1, c: 2 }, '(root): unexpected field(s) b, c'],
    ['a nested field', z.object({ o: z.object({ p: z.string() }) }), { o: { p: 1 } }, 'o.p: expected string'],
    ['a custom check', z.string().check(z.refine(() => false, { message: 'expected a good one' })), 'x', '(root): expected a good one'],
  ])('%s', (_what, schema, value, expected) => {
    expect(fail(schema as z.ZodMiniType, value).message).toBe(`the input is invalid: ${expected}`);
  });

  it('a union failure: the hint given, else the documented shapes', () => {
    const union = z.union([z.object({ apiKey: z.string() }), z.object({ password: z.string() })]);
    expect(fail(union, 1, { union: 'expected {"apiKey": "..."}' }).message).toBe('the input is invalid: (root): expected {"apiKey": "..."}');
    expect(fail(union, 1).message).toBe('the input is invalid: (root): expected one of the documented shapes');
    expect(fail(union, 1).field).toBeUndefined();
  });

  it('describeIssues: the field of each issue (undefined at the root) and what was expected', () => {
    const r = z.object({ a: z.string() }).safeParse({});
    expect(r.success).toBe(false);
    expect(describeIssues(r.error as never)).toEqual([{ field: 'a', expected: 'expected string' }]);
  });
});
