/**
 * Issue 21 through the clients: a token server on 127.0.0.1 that echoes everything sensitive it
 * received (the Authorization header's value, the password inside a Basic value, an X-API-Key,
 * the secret and token fields of a JSON body), in each form of ENCODINGS, at a few offsets around
 * the old cuts, in a JSON error of the provider's shape and in an HTML page. Each client must pass
 * the failure parsers every value it sent, so no piece of one reaches the error. The server counts
 * the requests it answered, so the test cannot pass without the clients having sent them.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { closeAllAgents } from '../../core/http/transport.js';
import { IcaClient } from '../../core/providers/ica/index.js';
import { clearVersionCache, TigerGraphClient } from '../../core/providers/tigergraph/index.js';
import { TrifactaClient } from '../../core/providers/trifacta/index.js';
import {
  BASIC,
  ENCODINGS,
  errorText,
  GSQL_SECRET_BASIC,
  ICA_API_KEY,
  ICA_JWT,
  leakedPieces,
  PASSWORD,
  TG_SECRET,
  TG_TOKEN3,
  TG_TOKEN4,
  TRIFACTA_TOKEN,
  USER,
} from './leaks.js';

/** One attempt, so each request answers one call. */
const ONCE = { timeoutMs: 2_000, maxAttempts: 1 };
const OFFSETS = [0, 150, 190, 280, 295];

type Shape = 'tigergraph' | 'trifacta' | 'ica' | 'html';

/** What the server answers next: the body shape, the status, the form and the offset of the echo. */
const plan = { shape: 'html' as Shape, status: 401, encoding: 'plain', offset: 0 };
let server: Server;
let base = '';
let requests = 0;

/** Everything sensitive a request carried, as the server received it. */
function received(req: IncomingMessage, raw: string): string[] {
  const values: string[] = [];
  const auth = req.headers.authorization;
  if (auth) {
    const [scheme, value = ''] = auth.split(' ');
    values.push(value);
    if (scheme === 'Basic') {
      const decoded = Buffer.from(value, 'base64').toString('utf8');
      values.push(decoded.slice(decoded.indexOf(':') + 1));
    }
  }
  const key = req.headers['x-api-key'];
  if (typeof key === 'string') values.push(key);
  try {
    const body = JSON.parse(raw) as Record<string, unknown>;
    for (const field of ['secret', 'token', 'tokens']) if (typeof body[field] === 'string') values.push(body[field]);
  } catch {
    // No JSON body.
  }
  return values;
}

function answer(values: string[]): { type: string; body: string } {
  const echoed = values.map((v) => ENCODINGS[plan.encoding]!(v)).join(' and ');
  const message = `${'The server refused this request; '.repeat(10).slice(0, plan.offset)}${echoed} was refused`;
  switch (plan.shape) {
    case 'tigergraph':
      return { type: 'application/json', body: JSON.stringify({ error: true, message, code: 'REST-10016' }) };
    case 'trifacta':
      return { type: 'application/json', body: JSON.stringify({ exception: { name: 'UnauthorizedException', message, details: '' } }) };
    case 'ica':
      return { type: 'application/problem+json', body: JSON.stringify({ type: 'about:blank', title: 'Unauthorized', status: plan.status, detail: message }) };
    case 'html':
      return { type: 'text/html', body: `<html><body><h1>Error</h1><p>${message}</p></body></html>` };
  }
}

beforeAll(async () => {
  server = createServer((req: IncomingMessage, res: ServerResponse) => {
    let raw = '';
    req.on('data', (c: Buffer) => (raw += c.toString('utf8')));
    req.on('end', () => {
      requests++;
      const { type, body } = answer(received(req, raw));
      res.writeHead(plan.status, { 'content-type': type, 'content-length': Buffer.byteLength(body) });
      res.end(body);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(async () => {
  await closeAllAgents();
  await new Promise<void>((resolve) => server.close(() => resolve()));
});

beforeEach(() => clearVersionCache());

const port = () => Number(new URL(base).port);
const tigergraph = (version: '3' | '4', credentials: { secret: string } | { username: string; password: string }) =>
  new TigerGraphClient({ host: 'http://127.0.0.1', restppPort: port(), gsqlPort: port(), tigergraphVersion: version, allowInsecureHttp: true }, credentials, ONCE);
const trifacta = () => new TrifactaClient({ host: base, allowInsecureHttp: true }, { username: USER, password: PASSWORD }, ONCE);
const ica = (credentials: { apiKey: string } | { username: string; password: string }) => new IcaClient({ host: base, allowInsecureHttp: true }, credentials, ONCE);

/** Every value any of the calls below sends. */
const SENT = [PASSWORD, BASIC, TG_SECRET, GSQL_SECRET_BASIC, TG_TOKEN3, TG_TOKEN4, TRIFACTA_TOKEN, ICA_API_KEY, ICA_JWT];

/** A call that fails at the server, the values it sends, and the JSON error shape of its provider. */
const CALLS: Array<{ name: string; shape: Shape; status: number; call: () => Promise<unknown> }> = [
  { name: 'tigergraph 3.x request (secret in the body)', shape: 'tigergraph', status: 401, call: () => tigergraph('3', { secret: TG_SECRET }).requestToken() },
  { name: 'tigergraph 3.x refresh (token in the body)', shape: 'tigergraph', status: 500, call: () => tigergraph('3', { secret: TG_SECRET }).refreshToken(TG_TOKEN3) },
  { name: 'tigergraph 3.x request (Basic)', shape: 'tigergraph', status: 401, call: () => tigergraph('3', { username: USER, password: PASSWORD }).requestToken() },
  { name: 'tigergraph 4.x request (Basic)', shape: 'tigergraph', status: 401, call: () => tigergraph('4', { username: USER, password: PASSWORD }).requestToken() },
  { name: 'tigergraph 4.x revoke (secret as GSQL Basic)', shape: 'tigergraph', status: 500, call: () => tigergraph('4', { secret: TG_SECRET }).deleteToken(TG_TOKEN4) },
  { name: 'trifacta create (Basic)', shape: 'trifacta', status: 401, call: () => trifacta().createToken(3600, 'leak test') },
  { name: 'trifacta verify (Bearer)', shape: 'trifacta', status: 500, call: () => trifacta().checkToken(TRIFACTA_TOKEN) },
  { name: 'ica create (API key)', shape: 'ica', status: 401, call: () => ica({ apiKey: ICA_API_KEY }).createToken() },
  { name: 'ica create (Basic)', shape: 'ica', status: 401, call: () => ica({ username: USER, password: PASSWORD }).createToken() },
  { name: 'ica refresh (Bearer JWT)', shape: 'ica', status: 500, call: () => ica({ username: USER, password: PASSWORD }).refreshToken(ICA_JWT) },
];

describe('a token server echoing what it received', () => {
  it.each(CALLS)('$name: no piece of it in the error', async ({ shape, status, call }) => {
    const leaks: string[] = [];
    const before = requests;
    let calls = 0;
    for (const kind of [shape, 'html'] as const) {
      for (const encoding of Object.keys(ENCODINGS)) {
        for (const offset of OFFSETS) {
          Object.assign(plan, { shape: kind, status, encoding, offset });
          calls++;
          const e = await call().then(
            () => new Error('the call succeeded'),
            (err: unknown) => err,
          );
          const values = SENT.flatMap((v) => [v, ENCODINGS[encoding]!(v)]);
          const found = leakedPieces(errorText(e), values);
          if (found.length) leaks.push(`${kind} ${encoding} at ${offset}: ${found.slice(0, 3).join(' ')}`);
        }
      }
    }
    // Every call reached the server (a refresh or revoke may prove the refusal with more calls).
    expect(requests - before).toBeGreaterThanOrEqual(calls);
    expect(leaks.slice(0, 10), `${leaks.length} leaks`).toEqual([]);
  });
});
