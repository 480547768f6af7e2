/**
 * Reads one page of `GET /v4/apiAccessTokens`. Paging of this list is UNCONFIRMED, so a page is
 * read for every signal a /v4-style API might give, and the client (client.ts) follows whichever
 * one the answer shows instead of assuming one page:
 *   a next link   `next`, `nextPage`, `nextLink`, `nextUrl`, `links.next`, `_links.next`,
 *                 `paging.next` (a URL or path string, or `{href}`);
 *   a total       `total`, `totalCount`, `count` (a number, or `{total}`), `paging.total`;
 *   a more flag   `hasMore`, `has_more`.
 * Pure functions: no I/O, so every rule has a unit test.
 */
import { asRecord, nonEmptyString } from '../../http/failures.js';
import type { TrifactaTokenInfo } from './types.js';

export interface TokenPage {
  items: TrifactaTokenInfo[];
  /** The next page's link as given (absolute URL or path); undefined when none. */
  next: string | undefined;
  /** How many tokens the whole list holds, when the answer says. */
  total: number | undefined;
  /** Whether more pages follow, when the answer says. */
  hasMore: boolean | undefined;
}

/** A page, or what is wrong with it (the caller turns that into a typed error with the URL). */
export function readTokenPage(body: unknown): TokenPage | { problem: string } {
  const rec = asRecord(body);
  const data = rec?.data;
  if (!rec || !Array.isArray(data)) return { problem: 'expected a JSON object with a "data" array' };
  const items: TrifactaTokenInfo[] = [];
  for (const entry of data) {
    const info = readTokenInfo(entry);
    if (!info) return { problem: 'expected every "data" item to be an object with a non-empty "tokenId"' };
    items.push(info);
  }
  const next = nextLinkOf(rec);
  if (next !== undefined && typeof next !== 'string') return { problem: next.problem };
  return { items, next, total: totalOf(rec), hasMore: hasMoreOf(rec) };
}

/** A token's info from a list item or a get answer; undefined when it has no usable tokenId. */
export function readTokenInfo(entry: unknown): TrifactaTokenInfo | undefined {
  const rec = asRecord(entry);
  // Ids are documented as UUID strings; a numeric id is accepted as its decimal form.
  const id = typeof rec?.tokenId === 'number' && Number.isFinite(rec.tokenId) ? String(rec.tokenId) : nonEmptyString(rec?.tokenId);
  if (!rec || !id) return undefined;
  const info: TrifactaTokenInfo = { tokenId: id, description: typeof rec.description === 'string' ? rec.description : null };
  if (rec.expiredAt === null || typeof rec.expiredAt === 'string') info.expiredAt = rec.expiredAt;
  if (typeof rec.createdAt === 'string') info.createdAt = rec.createdAt;
  return info;
}

const NEXT_KEYS = ['next', 'nextPage', 'nextLink', 'nextUrl'] as const;

function nextLinkOf(rec: Record<string, unknown>): string | { problem: string } | undefined {
  const candidates: unknown[] = [
    ...NEXT_KEYS.map((k) => rec[k]),
    asRecord(rec.links)?.next,
    asRecord(rec._links)?.next,
    asRecord(rec.paging)?.next,
  ];
  for (const c of candidates) {
    if (c === undefined || c === null || c === '' || c === false) continue;
    const link = typeof c === 'string' ? c : nonEmptyString(asRecord(c)?.href);
    if (link !== undefined && /^(https?:\/\/|\/|\?)/i.test(link)) return link;
    // A page number or an opaque cursor: the way to ask for it is not known, and guessing could
    // skip tokens; failing says so instead of silently reading one page.
    return { problem: 'the answer names a next page in a form this client cannot follow (expected a URL or path)' };
  }
  return undefined;
}

function totalOf(rec: Record<string, unknown>): number | undefined {
  const candidates: unknown[] = [rec.total, rec.totalCount, rec.count, asRecord(rec.count)?.total, asRecord(rec.paging)?.total];
  for (const c of candidates) if (typeof c === 'number' && Number.isInteger(c) && c >= 0) return c;
  return undefined;
}

function hasMoreOf(rec: Record<string, unknown>): boolean | undefined {
  const v = rec.hasMore ?? rec.has_more;
  return typeof v === 'boolean' ? v : undefined;
}
