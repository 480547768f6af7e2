/**
 * Section 6: hostile error bodies (issue 21). Each provider's failure parser turns a 1 MiB error
 * answer (the transport's MAX_BODY_BYTES cap) of a hostile shape into a typed error: one token-like
 * run, '<' without '>', whitespace runs, deep JSON, escapes of every kind, and so on, sent both as
 * a page (not JSON) and as the message of the provider's JSON error. Timed: `failureToError` on
 * the answer as the transport hands it over (body already parsed). Baselines measured in the same
 * run on the same body: the transport's own JSON.parse of it (spent before any failure parsing),
 * and one linear pass over it (Buffer.byteLength). Goal: under 50 ms for every shape.
 */
import { MAX_BODY_BYTES, MAX_ERROR_JSON_BYTES, parseBody, readAnswer } from '../../core/http/transport.js';
import * as ica from '../../core/providers/ica/failures.js';
import * as tigergraph from '../../core/providers/tigergraph/failures.js';
import * as trifacta from '../../core/providers/trifacta/failures.js';
import { goal, type Goal, type SectionResult } from '../lib/results.js';
import { round } from '../lib/stats.js';
import type { Table } from '../lib/table.js';

export const MAX_MS = 50;
export const PROVIDERS = ['tigergraph', 'trifacta', 'ica'] as const;
type Provider = (typeof PROVIDERS)[number];

/** Hostile texts of `n` characters (about n bytes: all ASCII). */
export const SHAPES: Readonly<Record<string, (n: number) => string>> = {
  'one token-like run': (n) => 'a'.repeat(n),
  "'<' without '>'": (n) => '<'.repeat(n),
  "'<a' without '>'": (n) => '<a'.repeat(n / 2),
  'whitespace run between words': (n) => `x${' '.repeat(n - 2)}y`,
  "'token' then whitespace": (n) => `token${' '.repeat(n - 5)}`,
  "'token = \"' without the closing quote": (n) => `token = "${'a b '.repeat((n - 9) / 4)}`,
  "'Bearer ' repeated": (n) => 'Bearer '.repeat(n / 7),
  'deep JSON': (n) => '['.repeat(n),
  'JWT-like dotted runs': (n) => 'aaaaaaaa.'.repeat(n / 9),
  'entity-like, unterminated': (n) => '&#x0000000000'.repeat(n / 13),
  'one entity with 1 MiB of zeros': (n) => `&#x${'0'.repeat(n - 3)}`,
  'broken UTF-8 %XX': (n) => '%F0%9F%98'.repeat(n / 9),
  'JSON \\u escapes': (n) => '\\u0041'.repeat(n / 6),
};

/** Values in play as a provider passes them: a password full of characters every encoding changes, its Basic value, a JWT. */
const PASSWORD = `Zq7&Lm?2<>"Xp'9+Rt/ 4%Wv=;Kd#8@Nb!`;
const SENSITIVE = [
  PASSWORD,
  Buffer.from(`analyst@example.com:${PASSWORD}`).toString('base64'),
  `${Buffer.from('{"alg":"HS256","typ":"JWT"}').toString('base64url')}.${Buffer.from(JSON.stringify({ sub: 'x', pad: 'p'.repeat(600) })).toString('base64url')}.${'s'.repeat(43)}`,
];

/** The provider's JSON error with `text` as its message. */
function jsonError(provider: Provider, text: string): string {
  switch (provider) {
    case 'tigergraph':
      return JSON.stringify({ error: true, message: text, code: 'REST-10016' });
    case 'trifacta':
      return JSON.stringify({ exception: { name: 'UnauthorizedException', message: text, details: text } });
    case 'ica':
      return JSON.stringify({ type: 'about:blank', title: text, status: 401, detail: text });
  }
}

/** The provider's failure parser over one answer, as its client calls it. */
function toError(provider: Provider, answer: { text: string; body: unknown; contentType: string }): Error {
  const common = { method: 'POST', status: 401, ...answer, sensitive: SENSITIVE };
  switch (provider) {
    case 'tigergraph':
      return tigergraph.failureToError({ ...common, op: 'request', url: 'https://tg.example.com:14240/gsql/v1/tokens' });
    case 'trifacta':
      return trifacta.failureToError({ ...common, op: 'create', url: 'https://example.cloud.trifacta.com/v4/apiAccessTokens', auth: 'basic' });
    case 'ica':
      return ica.failureToError({ ...common, op: 'create', url: 'https://ica.example.com/ica/rest/api/tokens', mode: 'password', tenant: undefined });
  }
}

export interface ErrorParsingRow {
  shape: string;
  form: 'page' | 'JSON message';
  bytes: number;
  /** Baselines, ms (median): the transport's JSON.parse of the body, and one pass over it. */
  jsonParseMs: number;
  onePassMs: number;
  /** failureToError, ms (median and max of the runs), per provider. */
  ms: Record<Provider, { median: number; max: number }>;
}

export interface ErrorParsingData {
  bytes: number;
  runs: number;
  rows: ErrorParsingRow[];
  /** Per provider, the slowest shape (by median). */
  worst: Record<Provider, { shape: string; form: string; ms: number }>;
}

function time(fn: () => unknown, runs: number, warmup: number): { median: number; max: number } {
  for (let i = 0; i < warmup; i++) fn();
  const samples: number[] = [];
  for (let i = 0; i < runs; i++) {
    const t = performance.now();
    fn();
    samples.push(performance.now() - t);
  }
  samples.sort((a, b) => a - b);
  return { median: round(samples[Math.floor(samples.length / 2)] as number, 3), max: round(samples[samples.length - 1] as number, 3) };
}

export async function runErrorParsing(ctx: { smoke: boolean; log: (m: string) => void }): Promise<SectionResult<ErrorParsingData>> {
  const bytes = ctx.smoke ? 64 * 1024 : MAX_BODY_BYTES;
  const runs = ctx.smoke ? 1 : 15;
  const warmup = ctx.smoke ? 0 : 3;
  ctx.log(`errors: ${Object.keys(SHAPES).length} hostile shapes x 2 forms x ${PROVIDERS.length} providers, ${bytes} bytes, ${warmup} warm-up + ${runs} runs each`);
  const rows: ErrorParsingRow[] = [];
  for (const [shape, make] of Object.entries(SHAPES)) {
    const raw = make(bytes);
    for (const form of ['page', 'JSON message'] as const) {
      const bodies = Object.fromEntries(PROVIDERS.map((p) => [p, form === 'page' ? raw : jsonError(p, raw)])) as Record<Provider, string>;
      const sample = bodies.tigergraph;
      const jsonParseMs = time(() => parseBody(sample), runs, warmup).median;
      const onePassMs = time(() => Buffer.byteLength(sample, 'utf8'), runs, warmup).median;
      const ms = {} as ErrorParsingRow['ms'];
      for (const provider of PROVIDERS) {
        const text = bodies[provider];
        const contentType = form === 'page' ? 'text/html' : 'application/json';
        // From the raw body: the transport's reading of an error answer (readAnswer), then the provider's failure parser.
        ms[provider] = time(() => toError(provider, { text, contentType, ...readAnswer(400, text) }), runs, warmup);
      }
      rows.push({ shape, form, bytes: Buffer.byteLength(sample, 'utf8'), jsonParseMs, onePassMs, ms });
    }
  }
  const worst = Object.fromEntries(
    PROVIDERS.map((p) => {
      const row = rows.reduce((a, b) => (b.ms[p].median > a.ms[p].median ? b : a));
      return [p, { shape: row.shape, form: row.form, ms: row.ms[p].median }];
    }),
  ) as ErrorParsingData['worst'];

  const table: Table = {
    title: `Hostile error bodies: failureToError on a ${Math.round(bytes / 1024)} KiB answer, ms (median of ${runs} runs; goal < ${MAX_MS} ms each)`,
    columns: ['shape', 'form', 'JSON.parse of the body (baseline)', 'one pass (baseline)', ...PROVIDERS, 'slowest run', 'goal'],
    rows: rows.map((r) => {
      const slowest = Math.max(...PROVIDERS.map((p) => r.ms[p].median));
      const max = Math.max(...PROVIDERS.map((p) => r.ms[p].max));
      return [r.shape, r.form, r.jsonParseMs, r.onePassMs, ...PROVIDERS.map((p) => r.ms[p].median), max, slowest < MAX_MS ? 'met' : 'MISSED'];
    }),
    notes: [
      "Timed from the raw body (the transport's reading of an error answer, then the failure parser) to the typed error, with a password, its Basic value and a 1 kB JWT as the values in play.",
      '"page": the body is the hostile text (never quoted: only its type and length reach the error). "JSON message": the text is the message of the provider\'s JSON error (sanitized, then cut).',
      '"goal": the slowest provider\'s median against the goal; "slowest run": the longest single run of any provider (GC pauses and other load on the machine land there).',
    ],
  };
  const goals: Goal[] = PROVIDERS.map((p) => goal('errors', `${p}: slowest hostile error body -> error (${worst[p].shape}, ${worst[p].form})`, worst[p].ms, '<', MAX_MS, 'ms'));
  const findings: string[] = [];
  const deepest = rows.filter((r) => r.shape === 'deep JSON' && r.form === 'page')[0];
  if (deepest && deepest.jsonParseMs >= MAX_MS) {
    findings.push(
      `JSON.parse of ${Math.round(bytes / 1024)} KiB of '[' takes ${deepest.jsonParseMs} ms (V8's parser on deep nesting): the transport parses no error answer over ` +
        `${MAX_ERROR_JSON_BYTES / 1024} KiB (core/http/transport.ts readAnswer), so the timings above, which include its reading, stay within the goal`,
    );
  }
  return { data: { bytes, runs, rows, worst }, tables: [table], goals, findings };
}
