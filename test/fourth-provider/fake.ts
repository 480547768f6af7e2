/**
 * The fourth API's fake (protocol.md) on 127.0.0.1, built on local/fakes/shared like the others.
 * Where the protocol leaves a behaviour open it takes the one that breaks a careless client: a
 * revoke of an id it does not hold answers 404.
 */
import { randomBytes } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { currentClock, type Clock } from '../../core/clock.js';
import { bearerToken, jsonBody, readBody, sendJson, startFakeServer } from '../../local/fakes/shared/index.js';
import { refusedWhileFresh } from '../../local/fakes/shared/fresh.js';

export interface FakeFourth {
  readonly url: string;
  /** Whether the server accepts `token` now: minted here, not revoked, not expired. */
  isLive(token: string): boolean;
  /** Tokens minted so far. */
  readonly minted: number;
  /** Issue 22's quirk, as every fake has it (local/fakes/shared/fresh.ts): a new token refused on whoami for its first N seconds. */
  setQuirks(quirks: { freshTokenRefusedSeconds?: number }): void;
  close(): Promise<void>;
}

interface Minted {
  id: string;
  key: string;
  realm: string;
  expiresAt: number;
  revoked: boolean;
  mintedAt: number;
}

export async function startFakeFourth(options: { apiKeys: readonly string[]; clock?: Clock }): Promise<FakeFourth> {
  const now = () => (options.clock ?? currentClock()).now();
  const tokens = new Map<string, Minted>();
  let minted = 0;
  let freshTokenRefusedSeconds = 0;
  const live = (t: Minted | undefined): t is Minted => t !== undefined && !t.revoked && t.expiresAt > now();

  const mint = (res: ServerResponse, key: string, realm: string, text: string) => {
    const lifetime = jsonBody(text)?.lifetimeSeconds;
    if (typeof lifetime !== 'number' || lifetime < 60) return sendJson(res, 400, { error: 'lifetimeSeconds: expected at least 60' });
    const token = randomBytes(24).toString('base64url');
    const entry = { id: randomBytes(8).toString('hex'), key, realm, expiresAt: now() + lifetime * 1000, revoked: false, mintedAt: now() };
    tokens.set(token, entry);
    minted++;
    sendJson(res, 201, { id: entry.id, token, expiresAt: new Date(entry.expiresAt).toISOString() });
  };
  const revoke = (res: ServerResponse, key: string, id: string) => {
    const entry = [...tokens.values()].find((t) => t.id === id && t.key === key && live(t));
    if (!entry) return sendJson(res, 404, { error: 'not_found' });
    entry.revoked = true;
    res.writeHead(204).end();
  };

  const handle = async (req: IncomingMessage, res: ServerResponse) => {
    const url = new URL(req.url ?? '/', 'http://fake');
    const text = await readBody(req);
    if (req.method === 'GET' && url.pathname === '/api/whoami') {
      const entry = tokens.get(bearerToken(req.headers.authorization) ?? '');
      return live(entry) && !refusedWhileFresh(entry.mintedAt, now(), freshTokenRefusedSeconds) ? sendJson(res, 200, { realm: entry.realm }) : sendJson(res, 401, { error: 'unauthorized' });
    }
    const key = req.headers['x-api-key'];
    if (typeof key !== 'string' || !options.apiKeys.includes(key)) return sendJson(res, 401, { error: 'unauthorized' });
    if (req.method === 'POST' && url.pathname === '/api/tokens') return mint(res, key, url.searchParams.get('realm') ?? 'main', text);
    const revoked = /^\/api\/tokens\/([^/]+)$/.exec(url.pathname);
    if (req.method === 'DELETE' && revoked) return revoke(res, key, decodeURIComponent(revoked[1] as string));
    sendJson(res, 404, { error: 'no_route' });
  };

  const server = await startFakeServer({}, (req, res) => handle(req, res), (res) => sendJson(res, 500, { error: 'crashed' }));
  return {
    url: server.url,
    isLive: (token) => live(tokens.get(token)),
    get minted() {
      return minted;
    },
    setQuirks: (quirks) => {
      freshTokenRefusedSeconds = quirks.freshTokenRefusedSeconds ?? freshTokenRefusedSeconds;
    },
    close: () => server.close(),
  };
}
