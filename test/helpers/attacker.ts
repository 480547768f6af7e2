/**
 * An attacker's server for security tests, on 127.0.0.1: it counts every connection and request it
 * receives and keeps them (method, URL, headers, body), to look for a credential or a token;
 * answers a plausible JSON refusal or, with `relayTo`, relays each request to that (real) server
 * and its answer back, as a man in the middle would.
 */
import { createServer, request, type IncomingHttpHeaders } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface ReceivedRequest {
  method: string;
  url: string;
  headers: IncomingHttpHeaders;
  body: string;
}

export interface Attacker {
  /** `http://127.0.0.1:<port>` */
  readonly url: string;
  readonly port: number;
  /** The requests received so far. */
  readonly requests: readonly ReceivedRequest[];
  /** How many requests it received so far. */
  received(): number;
  /** Connections opened to it so far (a TLS attempt opens one without a readable request). */
  connections(): number;
  /** Their bodies. */
  bodies(): string[];
  /** Requests whose URL, headers or body contain any of `values` (or their Base64). */
  carrying(values: readonly string[]): ReceivedRequest[];
  close(): Promise<void>;
}

export async function startAttacker(options: { relayTo?: string } = {}): Promise<Attacker> {
  const requests: ReceivedRequest[] = [];
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks);
      requests.push({ method: req.method ?? '', url: req.url ?? '', headers: req.headers, body: body.toString('utf8') });
      if (!options.relayTo) {
        res.writeHead(401, { 'content-type': 'application/json' }).end(JSON.stringify({ error: true, message: 'unauthorized' }));
        return;
      }
      const target = new URL(req.url ?? '/', options.relayTo);
      const headers: IncomingHttpHeaders = { ...req.headers, host: target.host };
      const upstream = request(target, { method: req.method, headers }, (answer) => {
        res.writeHead(answer.statusCode ?? 502, answer.headers);
        answer.pipe(res);
      });
      upstream.on('error', () => res.writeHead(502).end());
      upstream.end(body);
    });
  });
  let connections = 0;
  server.on('connection', () => connections++);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  return {
    url: `http://127.0.0.1:${port}`,
    port,
    requests,
    received: () => requests.length,
    connections: () => connections,
    bodies: () => requests.map((r) => r.body),
    carrying(values) {
      const needles = values.filter(Boolean).flatMap((v) => [v, Buffer.from(v).toString('base64')]);
      return requests.filter((r) => {
        const text = `${r.url}\n${JSON.stringify(r.headers)}\n${r.body}`;
        return needles.some((n) => text.includes(n));
      });
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
