/** readTokenPage: every paging signal the client follows, and answers it must refuse. */
import { describe, expect, it } from 'vitest';
import { readTokenPage, type TokenPage } from '../../../core/providers/trifacta/index.js';
import { readTokenInfo } from '../../../core/providers/trifacta/paging.js';

const item = { tokenId: 'a1', description: 'd', expiredAt: null, lastUsed: null, createdAt: '2026-01-01T00:00:00.000Z' };

function page(body: unknown): TokenPage {
  const p = readTokenPage(body);
  if ('problem' in p) throw new Error(p.problem);
  return p;
}

describe('readTokenPage', () => {
  it('reads the documented {"data": [...]} with no paging signal', () => {
    expect(page({ data: [item] })).toEqual({
      items: [{ tokenId: 'a1', description: 'd', expiredAt: null, createdAt: '2026-01-01T00:00:00.000Z' }],
      next: undefined,
      total: undefined,
      hasMore: undefined,
    });
  });

  it.each([
    [{ next: 'https://h/v4/apiAccessTokens?page=2' }, 'https://h/v4/apiAccessTokens?page=2'],
    [{ nextPage: '/v4/apiAccessTokens?offset=25' }, '/v4/apiAccessTokens?offset=25'],
    [{ nextLink: '?cursor=abc' }, '?cursor=abc'],
    [{ links: { next: '/v4/apiAccessTokens?offset=2' } }, '/v4/apiAccessTokens?offset=2'],
    [{ _links: { next: { href: '/v4/apiAccessTokens?p=2' } } }, '/v4/apiAccessTokens?p=2'],
    [{ paging: { next: 'http://h/x?o=3' } }, 'http://h/x?o=3'],
  ])('finds a next link: %j', (signal, expected) => {
    expect(page({ data: [item], ...signal }).next).toBe(expected);
  });

  it('a null or empty next link means the last page', () => {
    expect(page({ data: [item], next: null }).next).toBeUndefined();
    expect(page({ data: [item], nextPage: '' }).next).toBeUndefined();
  });

  it.each([
    [{ count: 7 }, 7],
    [{ total: 3 }, 3],
    [{ totalCount: 9 }, 9],
    [{ count: { total: 4, owned: 4 } }, 4],
    [{ paging: { total: 5 } }, 5],
  ])('reads a total: %j', (signal, expected) => {
    expect(page({ data: [item], ...signal }).total).toBe(expected);
  });

  it('reads a more flag', () => {
    expect(page({ data: [], hasMore: false }).hasMore).toBe(false);
    expect(page({ data: [], has_more: true }).hasMore).toBe(true);
  });

  it.each([
    ['no data array', { tokens: [item] }],
    ['data not an array', { data: { tokenId: 'x' } }],
    ['an item without tokenId', { data: [{ description: 'x' }] }],
    ['a page number it cannot follow', { data: [item], nextPage: 2 }],
    ['an opaque cursor', { data: [item], next: 'eyJvZmZzZXQiOjJ9' }],
  ])('refuses %s instead of reading one page', (_name, body) => {
    expect('problem' in readTokenPage(body)).toBe(true);
  });
});

describe('readTokenPage: the rest of each rule (issue 25)', () => {
  it('says what is wrong, for the caller\'s typed error', () => {
    expect(readTokenPage({ tokens: [] })).toEqual({ problem: 'expected a JSON object with a "data" array' });
    expect(readTokenPage(null)).toEqual({ problem: 'expected a JSON object with a "data" array' });
    expect(readTokenPage({ data: [{ tokenId: '' }] })).toEqual({ problem: 'expected every "data" item to be an object with a non-empty "tokenId"' });
    expect(readTokenPage({ data: [], next: 'page-2' })).toEqual({ problem: 'the answer names a next page in a form this client cannot follow (expected a URL or path)' });
  });

  it('a next link: false means none; the scheme in any case; a URL or path only at the start; an href that is empty is no link', () => {
    expect(page({ data: [], next: false }).next).toBeUndefined();
    expect(page({ data: [], next: false, links: { next: '/p2' } }).next).toBe('/p2');
    expect(page({ data: [], next: 'HTTPS://h/p2' }).next).toBe('HTTPS://h/p2');
    expect('problem' in readTokenPage({ data: [], next: 'p2/https://h' })).toBe(true);
    expect('problem' in readTokenPage({ data: [], _links: { next: { href: '' } } })).toBe(true);
  });

  it('a total: a whole number from 0 on; anything else is skipped for the next candidate', () => {
    expect(page({ data: [], total: 0 }).total).toBe(0);
    expect(page({ data: [], total: -1, totalCount: 3 }).total).toBe(3);
    expect(page({ data: [], total: 1.5 }).total).toBeUndefined();
    expect(page({ data: [], count: '7' }).total).toBeUndefined();
  });

  it('a more flag: a boolean only, hasMore before has_more', () => {
    expect(page({ data: [], hasMore: 'true' }).hasMore).toBeUndefined();
    expect(page({ data: [], hasMore: false, has_more: true }).hasMore).toBe(false);
  });
});

describe('readTokenInfo', () => {
  it('a numeric id in its decimal form; a description that is not a string is null; expiredAt and createdAt only when they are strings (expiredAt also null)', () => {
    expect(readTokenInfo({ tokenId: 42, description: 7, expiredAt: 5, createdAt: 6 })).toStrictEqual({ tokenId: '42', description: null });
    expect(readTokenInfo({ tokenId: 'a', description: 'd', expiredAt: '2030-01-01T00:00:00Z', createdAt: '2029-01-01T00:00:00Z' })).toStrictEqual({
      tokenId: 'a',
      description: 'd',
      expiredAt: '2030-01-01T00:00:00Z',
      createdAt: '2029-01-01T00:00:00Z',
    });
    expect(readTokenInfo({ tokenId: 'a', expiredAt: null })).toStrictEqual({ tokenId: 'a', description: null, expiredAt: null });
  });

  it('undefined without a usable id', () => {
    for (const entry of [null, 'a', { tokenId: '' }, { tokenId: true }, { tokenId: null }, {}]) expect(readTokenInfo(entry)).toBeUndefined();
  });
});
