/**
 * Runs a fake TigerGraph until SIGINT/SIGTERM and prints one JSON line with its URL:
 *   tsx local/fakes/tigergraph/cli.ts --version 4 --port 0 [--secret S]... [--user name:password]...
 *       [--graph G]... [--auth-disabled] [--lifetime-unit seconds|milliseconds] [--restpp-layout root|restpp|both]
 * Without --secret (or FAKE_TIGERGRAPH_SECRET) a throwaway secret is generated and printed in the
 * JSON line, since nothing else could use the fake; given secrets are never printed.
 */
import { randomBytes } from 'node:crypto';
import { parseArgs } from 'node:util';
import { startFakeTigerGraph } from './index.js';

const { values } = parseArgs({
  options: {
    version: { type: 'string', default: '4' },
    port: { type: 'string', default: '0' },
    host: { type: 'string', default: '127.0.0.1' },
    secret: { type: 'string', multiple: true },
    user: { type: 'string', multiple: true },
    graph: { type: 'string', multiple: true },
    'auth-disabled': { type: 'boolean', default: false },
    'lifetime-unit': { type: 'string' },
    'restpp-layout': { type: 'string' },
  },
  strict: true,
});

const version = values.version === '3' ? 3 : values.version === '4' ? 4 : undefined;
if (!version) {
  process.stderr.write('--version must be 3 or 4\n');
  process.exit(2);
}
const port = Number(values.port);
if (!Number.isInteger(port) || port < 0 || port > 65535) {
  process.stderr.write('--port must be an integer between 0 and 65535\n');
  process.exit(2);
}

const given = [...(values.secret ?? []), ...(process.env.FAKE_TIGERGRAPH_SECRET ? [process.env.FAKE_TIGERGRAPH_SECRET] : [])];
const generated = given.length === 0 ? randomBytes(16).toString('hex') : undefined;
const users: Record<string, string> = {};
for (const u of values.user ?? []) {
  const i = u.indexOf(':');
  if (i <= 0) {
    process.stderr.write('--user must be name:password\n');
    process.exit(2);
  }
  users[u.slice(0, i)] = u.slice(i + 1);
}
const unit = values['lifetime-unit'];
if (unit !== undefined && unit !== 'seconds' && unit !== 'milliseconds') {
  process.stderr.write('--lifetime-unit must be seconds or milliseconds\n');
  process.exit(2);
}

const layout = values['restpp-layout'];
if (layout !== undefined && layout !== 'root' && layout !== 'restpp' && layout !== 'both') {
  process.stderr.write('--restpp-layout must be root, restpp or both\n');
  process.exit(2);
}

const fake = await startFakeTigerGraph({
  version,
  port,
  host: values.host,
  secrets: generated ? [generated] : given,
  users,
  graphs: values.graph ?? [],
  authEnabled: !values['auth-disabled'],
  quirks: unit ? { lifetimeUnit: unit } : {},
  ...(layout ? { restppLayout: layout } : {}),
});
process.stdout.write(`${JSON.stringify({ url: fake.url, port: fake.port, version, ...(generated ? { secret: generated } : {}) })}\n`);

const stop = () => {
  void fake.close().then(() => process.exit(0));
};
process.once('SIGINT', stop);
process.once('SIGTERM', stop);
