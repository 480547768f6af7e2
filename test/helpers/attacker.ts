/**
 * An attacker's server for security tests, on 127.0.0.1: it counts every connection and request it
 * receives (and keeps the bodies, to look for a credential), answers 404 or, with `relayTo`,
 * relays each request to that (real) server and its answer back, as a man in the middle would.
 */
import { createServer, request, type IncomingHttpHeaders } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface Attacker {
  /** `http://127.0.0.1:<port>` */
  readonly url: string;
  readonly port: number;
  /** Requests received so far. */
  received(): number;
  /** Connections opened to it so far (a TLS attempt opens one without a readable request). */
  connections(): number;
  /** Their bodies (to look for a credential). */
  bodies(): string[];
  close(): Promise<void>;
}

export async function startAttacker(options: { relayTo?: string } = {}): Promise<Attacker> {
  const bodies: string[] = [];
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks);
      bodies.push(body.toString('utf8'));
      if (!options.relayTo) {
        res.writeHead(404).end();
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
    received: () => bodies.length,
    connections: () => connections,
    bodies: () => [...bodies],
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
