/**
 * Issue 21, end to end: a token server that echoes the credential it was sent in its error body
 * (HTML-escaped inside a JSON message, or in a plain-text or HTML page across where the old cuts
 * at 200 and 300 characters fell) gets no piece of it into anything a consumer or operator
 * can read: the rotation-error tag, the rotation handler's thrown error, the on-demand answer and
 * the logged output (the handlers log at DEBUG here). The token servers are small node:http
 * servers on 127.0.0.1 that count the requests they answered, so the test cannot pass without
 * the handlers having talked to them.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { ROTATION_ERROR_TAG } from '../../core/names.js';
import type { LocalStack } from '../../local/stack.js';
import { ENCODINGS, leakedPieces } from '../providers/leaks.js';

// The handlers create their loggers when they are imported: logging goes on first.
process.env.POWERTOOLS_LOG_LEVEL = 'DEBUG';
const { invoke, rotateSecret, startStack } = await import('./helpers.js');

/** Long runs of letters and digits, so a leaked piece stays visible through the tag's character filter too. */
const PASSWORD = `Trf4Passw0rdQx7Lm&"<9KdWvNbRtZp'2+HjYs`;
const TG_SECRET = 'e2esecret7q3m9x1c6v2b8n4k5j0h7g3f';
const USER = 'analyst@example.com';
const basic = (user: string, password: string) => Buffer.from(`${user}:${password}`).toString('base64');

/** Text before the echoed value, so it straddles where the old code cut (200 and 300 characters). */
const pad = (n: number) => 'The server refused the request for this user; check the credential. '.repeat(10).slice(0, n);

interface Echo {
  /** The provider's error answer quoting `value` as the server received it. */
  answer(received: { password?: string; basic?: string; secret?: string }): { status: number; contentType: string; body: string };
}

const CASES: Record<string, { provider: 'trifacta' | 'tigergraph 3.x' | 'tigergraph 4.x'; echo: Echo }> = {
  'trifacta, password HTML-escaped in the JSON message': {
    provider: 'trifacta',
    echo: {
      answer: (r) => ({
        status: 401,
        contentType: 'application/json',
        body: JSON.stringify({ exception: { name: 'UnauthorizedException', message: `${pad(200)} '${ENCODINGS['html-named']!(r.password ?? '')}'`, details: '' } }),
      }),
    },
  },
  'trifacta, password across character 300 of a plain-text page': {
    provider: 'trifacta',
    echo: { answer: (r) => ({ status: 401, contentType: 'text/plain', body: `${pad(260)} Invalid password ${r.password ?? ''} for ${USER}` }) },
  },
  'tigergraph 4.x, password across character 200 of an HTML page': {
    provider: 'tigergraph 4.x',
    echo: {
      answer: (r) => ({
        status: 401,
        contentType: 'text/html',
        body: `<html><body><h1>401</h1><p>${pad(170)} password ${ENCODINGS['url-plus']!(r.password ?? '')} refused</p></body></html>`,
      }),
    },
  },
  'tigergraph 3.x, secret across character 200 of a plain-text page': {
    provider: 'tigergraph 3.x',
    echo: { answer: (r) => ({ status: 401, contentType: 'text/plain', body: `${pad(170)} secret ${r.secret ?? ''} refused` }) },
  },
};

/** A token server answering every request with `echo`'s error, quoting the credential it received. */
async function echoServer(echo: Echo): Promise<{ url: string; requests: number; close(): Promise<void> }> {
  const state = { requests: 0 };
  const server: Server = createServer((req: IncomingMessage, res: ServerResponse) => {
    let raw = '';
    req.on('data', (c: Buffer) => (raw += c.toString('utf8')));
    req.on('end', () => {
      state.requests++;
      const auth = req.headers.authorization ?? '';
      const value = auth.startsWith('Basic ') ? auth.slice(6) : undefined;
      const decoded = value ? Buffer.from(value, 'base64').toString('utf8') : undefined;
      let secret: string | undefined;
      try {
        secret = (JSON.parse(raw) as { secret?: string }).secret;
      } catch {
        secret = undefined;
      }
      const a = echo.answer({ basic: value, password: decoded?.slice(decoded.indexOf(':') + 1), secret });
      res.writeHead(a.status, { 'content-type': a.contentType, 'content-length': Buffer.byteLength(a.body) });
      res.end(a.body);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    get requests() {
      return state.requests;
    },
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

let stack: LocalStack;
let output = '';
const restore: Array<() => void> = [];

beforeAll(async () => {
  stack = await startStack();
  for (const stream of [process.stdout, process.stderr]) {
    const spy = vi.spyOn(stream, 'write').mockImplementation((chunk: string | Uint8Array) => {
      output += typeof chunk === 'string' ? chunk : Buffer.from(chunk).toString('utf8');
      return true;
    });
    restore.push(() => spy.mockRestore());
  }
});

afterAll(async () => {
  for (const r of restore) r();
  await stack.close();
});

describe('a token server echoing the credential in its error body', () => {
  it.each(Object.keys(CASES))('%s: no piece of it in the tag, the thrown error, the on-demand answer or the logs', async (name) => {
    const { provider, echo } = CASES[name]!;
    const server = await echoServer(echo);
    try {
      const logged = output.length;
      const secretName = `leaks/${Object.keys(CASES).indexOf(name)}`;
      const port = Number(new URL(server.url).port);
      const tigergraph = { host: 'http://127.0.0.1', restppPort: port, gsqlPort: port };
      const arn =
        provider === 'trifacta'
          ? await stack.createTokenSecret(secretName, { provider: 'trifacta', fields: { host: server.url }, credentials: { username: USER, password: PASSWORD } })
          : provider === 'tigergraph 4.x'
            ? await stack.createTokenSecret(secretName, { version: 4, fields: { ...tigergraph, tigergraphVersion: '4' }, credentials: { username: USER, password: PASSWORD } })
            : await stack.createTokenSecret(secretName, { version: 3, fields: { ...tigergraph, tigergraphVersion: '3' }, credentials: { secret: TG_SECRET } });
      const thrown = stack.aws.lastRotationError(arn)?.message ?? '';
      let answer = '';
      try {
        answer = JSON.stringify(await invoke.onDemand({ action: 'request', secretId: arn }));
      } catch (e) {
        answer = e instanceof Error ? `${e.name}: ${e.message}` : String(e);
      }
      await rotateSecret(stack, arn).catch(() => undefined);
      const tag = stack.aws.inspectSecret(arn)?.tags[ROTATION_ERROR_TAG] ?? '';
      const logs = output.slice(logged);

      // The attack happened, and every place it could show was written.
      expect(server.requests).toBeGreaterThan(0);
      expect(thrown).toMatch(/refused the credential/);
      expect(answer).toMatch(/refused the credential/);
      expect(tag).toMatch(/refused the credential/);
      expect(logs).toContain('"rotation step failed"');
      expect(logs).toContain('"on-demand failed"');

      const values = provider === 'tigergraph 3.x' ? [TG_SECRET] : [PASSWORD, basic(USER, PASSWORD)];
      const forms = values.flatMap((v) => Object.values(ENCODINGS).map((encode) => encode(v)));
      for (const [where, text] of Object.entries({ tag, thrown, answer, logs })) {
        expect(leakedPieces(text, [...values, ...forms]), where).toEqual([]);
      }
    } finally {
      await server.close();
    }
  });
});
