import { describe, expect, it } from 'vitest';
import { BadCredentialError, HttpError, RefreshUnsupportedError, ValidationError } from '../../../core/errors.js';
import { failureToError, type IcaFailure } from '../../../core/providers/ica/failures.js';
import { parseProblem } from '../../../core/providers/ica/index.js';
import { API_KEY, SECRETS } from './helpers.js';

const JWT = 'eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJhYmMiLCJpYXQiOjE3MDAwMDAwMDB9.c2lnbmF0dXJlLXNpZ25hdHVyZS1zaWc';
const ID = '0f8fad5b-d9cb-469f-a165-70867728950e';

function problem(status: number, detail?: string, extra: Record<string, unknown> = {}) {
  return { type: 'about:blank', title: 'Title', status, ...(detail ? { detail } : {}), parameters: {}, timestamp: '2024-05-01T10:00:00Z', ...extra };
}

function ctx(partial: Partial<IcaFailure>): IcaFailure {
  return {
    op: 'create',
    method: 'POST',
    url: 'https://ica.example.com/ica/rest/api/tokens',
    status: 500,
    body: undefined,
    text: '',
    contentType: 'application/problem+json',
    sensitive: [...SECRETS, JWT],
    mode: 'api-key',
    tenant: undefined,
    ...partial,
  };
}

describe('parseProblem', () => {
  it('reads every documented field', () => {
    const body = { type: 't', title: 'Unauthorized', status: 401, detail: 'd', instance: '/i', id: ID, parameters: { a: 1 }, timestamp: '2024-05-01T10:00:00Z' };
    expect(parseProblem(body)).toEqual(body);
  });

  it('ignores fields of the wrong type and refuses bodies that are not Problems', () => {
    expect(parseProblem({ title: 'T', status: '401', parameters: [] })).toEqual({ title: 'T' });
    expect(parseProblem({ token: 'x' })).toBeUndefined();
    expect(parseProblem('Unauthorized')).toBeUndefined();
    expect(parseProblem(null)).toBeUndefined();
  });
});

describe('failureToError', () => {
  it('quotes title and detail sanitized, and the Problem id when it is a UUID', () => {
    const e = failureToError(ctx({ status: 401, body: problem(401, `key ${API_KEY} and Bearer ${JWT} refused`, { id: ID }) }));
    expect(e).toBeInstanceOf(BadCredentialError);
    expect(e.message).toContain(`(HTTP 401: "Title: key [redacted] and Bearer [redacted] refused" (problem id ${ID}))`);
  });

  it('never quotes an id that is not a UUID or is one of the secrets', () => {
    expect(failureToError(ctx({ status: 500, body: problem(500, undefined, { id: API_KEY }) })).message).not.toContain('problem id');
    const sensitive = [ID];
    expect(failureToError(ctx({ status: 500, body: problem(500, undefined, { id: ID }), sensitive })).message).not.toContain(ID);
  });

  it('a non-Problem body (a proxy page) is never quoted: its type and length are', () => {
    const text = `<html><body><h1>Bad Gateway</h1>${JWT}</body></html>`;
    const e = failureToError(ctx({ status: 502, text, contentType: 'text/html; charset=utf-8' }));
    expect(e).toBeInstanceOf(HttpError);
    expect(e.message).toContain(`HTTP 502, text/html, ${text.length} bytes; the server failed`);
    expect(e.message).not.toContain('Bad Gateway');
    expect((e as HttpError).serverMessage).toBeUndefined();
    expect((e as HttpError).retryable).toBe(true);
  });

  it.each([404, 405])('%i names the host to check (the client adds /ica/rest)', (status) => {
    const e = failureToError(ctx({ status, body: problem(status) }));
    expect(e).toBeInstanceOf(HttpError);
    expect((e as HttpError).retryable).toBe(false);
    expect(e.message).toContain('check the host');
    expect(e.message).toContain('/ica/rest');
  });

  it('400 on create in API-key mode is a plain HttpError (tenant is not sent with a key)', () => {
    const e = failureToError(ctx({ status: 400, body: problem(400) }));
    expect(e).toBeInstanceOf(HttpError);
    expect(e).not.toBeInstanceOf(ValidationError);
  });

  it('403 on refresh is a refusal too (the core then mints); 500 on refresh is not', () => {
    expect(failureToError(ctx({ op: 'refresh', status: 403, mode: 'password' }))).toBeInstanceOf(RefreshUnsupportedError);
    expect(failureToError(ctx({ op: 'refresh', status: 500, mode: 'password' }))).toBeInstanceOf(HttpError);
  });

  it('serverMessage on HttpError is the sanitized text', () => {
    const e = failureToError(ctx({ op: 'check', method: 'GET', status: 429, body: problem(429, `slow down ${JWT}`) })) as HttpError;
    expect(e.serverMessage).toBe('Title: slow down [redacted]');
  });
});

describe('the rest of each rule (issue 25)', () => {
  it('parseProblem: a Problem needs a title, a type or a detail; only string fields, a numeric status and an object of parameters are kept', () => {
    expect(parseProblem({ status: 400, instance: '/x' })).toBeUndefined();
    expect(parseProblem({ type: 'about:blank' })).toStrictEqual({ type: 'about:blank' });
    expect(parseProblem({ detail: 'd' })).toStrictEqual({ detail: 'd' });
    expect(parseProblem({ title: 't', detail: 7, instance: '/i', id: ID, timestamp: 'ts', status: '400', parameters: 'p' })).toStrictEqual({ title: 't', instance: '/i', id: ID, timestamp: 'ts' });
    expect(parseProblem({ title: 't', status: 400, parameters: { a: 1 } })).toStrictEqual({ title: 't', status: 400, parameters: { a: 1 } });
  });

  it('the server\'s words: title and detail joined, an empty one left out', () => {
    const e = failureToError(ctx({ op: 'refresh', status: 500, body: { title: 'Down', detail: '' } })) as HttpError;
    expect(e.serverMessage).toBe('Down');
    expect(e.message).toContain('HTTP 500: "Down"');
    const both = failureToError(ctx({ op: 'refresh', status: 500, body: { title: 'Down', detail: 'for maintenance' } })) as HttpError;
    expect(both.serverMessage).toBe('Down: for maintenance');
  });

  it('a refused create names the tenant only for a password credential without one', () => {
    const hint = 'a user in several tenants must also set "tenant" in the token secret';
    expect(failureToError(ctx({ status: 401, mode: 'password' })).message).toContain(`; ${hint}`);
    expect(failureToError(ctx({ status: 401, mode: 'password', tenant: 't1' })).message).not.toContain(hint);
    expect(failureToError(ctx({ status: 403, mode: 'api-key' })).message).not.toContain(hint);
  });

  it('other answers: 5xx (from 500) is the server, 404 and 405 the host, anything else the credential and tenant', () => {
    const message = (status: number) => failureToError(ctx({ op: 'refresh', status })).message;
    expect(message(499).endsWith("; check the host, the credential secret and the token secret's tenant")).toBe(true);
    expect(message(500).endsWith('; the server failed; retry later and check the ICA service status')).toBe(true);
    for (const s of [404, 405]) expect(message(s)).toMatch(/; check the host: scheme:\/\/host\[:port\] of an ICA region/);
    expect(message(406).endsWith("; check the host, the credential secret and the token secret's tenant")).toBe(true);
  });
});
