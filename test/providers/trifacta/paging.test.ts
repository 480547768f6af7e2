/** readTokenPage: every paging signal the client follows, and answers it must refuse. */
import { describe, expect, it } from 'vitest';
import { readTokenPage, type TokenPage } from '../../../core/providers/trifacta/index.js';

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
