/**
 * An attacker's server for security tests: listens on 127.0.0.1, answers every request with a
 * plausible JSON error, and keeps what it received, so a test can assert that nothing (or nothing
 * carrying a secret value) ever reached it.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface ReceivedRequest {
  method: string;
  url: string;
  headers: Record<string, string | string[] | undefined>;
  body: string;
}

export interface Attacker {
  url: string;
  port: number;
  received: ReceivedRequest[];
  /** Requests whose URL, headers or body contain any of `values` (or their Base64). */
  carrying(values: readonly string[]): ReceivedRequest[];
  close(): Promise<void>;
}

export async function startAttacker(): Promise<Attacker> {
  const received: ReceivedRequest[] = [];
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      received.push({ method: req.method ?? '', url: req.url ?? '', headers: req.headers, body: Buffer.concat(chunks).toString('utf8') });
      res.writeHead(401, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ error: true, message: 'unauthorized' }));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    port,
    received,
    carrying(values) {
      const needles = values.filter(Boolean).flatMap((v) => [v, Buffer.from(v).toString('base64')]);
      return received.filter((r) => {
        const text = `${r.url}\n${JSON.stringify(r.headers)}\n${r.body}`;
        return needles.some((n) => text.includes(n));
      });
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
