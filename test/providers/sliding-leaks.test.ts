/**
 * Issue 21, items 3 and 4: a server that echoes a credential or token in its error body, in any
 * encoding and at any offset, never gets a piece of it into an error. Each sensitive value of each
 * provider (TigerGraph 3.x and 4.x, Trifacta, ICA), as it is and in every form of ENCODINGS, is
 * slid across positions 0 to 400 of a JSON error body and of non-JSON pages (HTML, plain text);
 * every error the provider's failure parsers build from that answer is searched for 8-character
 * pieces of the value and of the form it was sent in. The answers are parsed as the transport
 * parses them (parseBody), so a value that breaks the JSON makes a non-JSON body, as on the wire.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MAX_BODY_BYTES, MAX_ERROR_JSON_BYTES, parseBody, readAnswer } from '../../core/http/transport.js';
import * as ica from '../../core/providers/ica/failures.js';
import * as tigergraph from '../../core/providers/tigergraph/failures.js';
import * as trifacta from '../../core/providers/trifacta/failures.js';
import {
  BASIC,
  ENCODINGS,
  errorText,
  GSQL_SECRET_BASIC,
  ICA_API_KEY,
  ICA_JWT,
  leakedPieces,
  PASSWORD,
  piecesOf,
  TG_SECRET,
  TG_TOKEN3,
  TG_TOKEN4,
  TRIFACTA_TOKEN,
} from './leaks.js';

/** What a failure parser reads of an answer. */
interface Answer {
  status: number;
  contentType: string | undefined;
  text: string;
  body: unknown;
}

interface Scenario {
  name: string;
  /** The sensitive values in play, by what they are. */
  values: Record<string, string>;
  /** A realistic JSON error body of this provider, longer than the 400 positions slid over. */
  json: { text: string; contentType: string };
  /** Every error the provider's parsers build from an answer (status set per error). */
  errors(answer: Omit<Answer, 'status'>, sensitive: readonly string[]): Error[];
}

// Words after the quoted value, so every slide position up to 400 falls inside the message field.
const WORDS =
  'The request could not be completed because the server refused it; the per-user limit on tokens may also apply here. ' +
  'Check the credential, the user and the graph, then retry the request after the server has recovered from the failure. ' +
  'See the server logs for the details of this refusal, including the time, the client address and the endpoint called. ' +
  'Contact the administrator of this service if the problem persists after the credential and the settings were checked.';

const TG3 = 'https://tg.example.com:9000/requesttoken';
const TG4 = 'https://tg.example.com:14240/gsql/v1/tokens';

function tigergraphErrors(url: string) {
  return (a: Omit<Answer, 'status'>, sensitive: readonly string[]): Error[] => {
    const ctx = (op: 'request' | 'refresh' | 'delete', method: string, status: number): tigergraph.FailureContext => ({ op, method, url, status, ...a, sensitive });
    // Every message quotes failureFacts' detail; an HttpError carries its parts too, and a full
    // block list (the words say "limit") has a builder of its own.
    const deleted = ctx('delete', 'DELETE', 500);
    return [
      tigergraph.failureToError(ctx('request', 'POST', 401)),
      tigergraph.isBlockListFull(deleted) ? tigergraph.blockListFullError(deleted) : tigergraph.failureToError(deleted),
    ];
  };
}

function trifactaErrors(a: Omit<Answer, 'status'>, sensitive: readonly string[]): Error[] {
  const url = 'https://example.cloud.trifacta.com/v4/apiAccessTokens';
  const ctx = (op: trifacta.FailureContext['op'], method: string, status: number, auth: 'basic' | 'bearer'): trifacta.FailureContext => ({
    op,
    method,
    url,
    status,
    auth,
    ...a,
    sensitive,
  });
  // A refusal quotes the detail; an HttpError also carries the exception name and message.
  return [trifacta.failureToError(ctx('create', 'POST', 401, 'basic')), trifacta.failureToError(ctx('verify', 'GET', 500, 'bearer'))];
}

function icaErrors(mode: 'api-key' | 'password') {
  return (a: Omit<Answer, 'status'>, sensitive: readonly string[]): Error[] => {
    const ctx = (op: ica.IcaFailure['op'], status: number): ica.IcaFailure => ({
      op,
      method: op === 'check' ? 'GET' : 'POST',
      url: `https://ica.example.com/ica/rest/api/${op === 'check' ? 'regions' : op === 'refresh' ? 'tokens:refresh' : 'tokens'}`,
      status,
      ...a,
      sensitive,
      mode,
      tenant: undefined,
    });
    // A refusal quotes the detail; an HttpError also carries the server message.
    return [ica.failureToError(ctx('create', 401)), ica.failureToError(ctx('check', 500))];
  };
}

const tgJson = (code: string) => ({
  text: `{"error":true,"message":"Access Denied because the input token = '' is invalid. ${WORDS}","code":"${code}","results":null}`,
  contentType: 'application/json',
});

const SCENARIOS: Scenario[] = [
  { name: 'tigergraph 3.x', values: { secret: TG_SECRET, token: TG_TOKEN3 }, json: tgJson('REST-10016'), errors: tigergraphErrors(TG3) },
  { name: 'tigergraph 4.x, username/password', values: { password: PASSWORD, basic: BASIC, token: TG_TOKEN4 }, json: tgJson('REST-10018'), errors: tigergraphErrors(TG4) },
  { name: 'tigergraph 4.x, secret', values: { secret: TG_SECRET, basic: GSQL_SECRET_BASIC, token: TG_TOKEN4 }, json: tgJson('REST-10018'), errors: tigergraphErrors(TG4) },
  {
    name: 'trifacta',
    values: { password: PASSWORD, basic: BASIC, token: TRIFACTA_TOKEN },
    json: { text: `{"exception":{"name":"UnauthorizedException","message":"Invalid credential '' for this workspace. ${WORDS}","details":"${WORDS}"}}`, contentType: 'application/json' },
    errors: trifactaErrors,
  },
  {
    name: 'ica, API key',
    values: { apiKey: ICA_API_KEY, token: ICA_JWT },
    json: {
      text: `{"type":"about:blank","title":"Unauthorized","status":401,"detail":"The API key '' is not valid. ${WORDS}","instance":"/ica/rest/api/tokens","id":"0f8fad5b-d9cb-469f-a165-70867728950e","parameters":{},"timestamp":"2026-01-15T10:00:00Z"}`,
      contentType: 'application/problem+json',
    },
    errors: icaErrors('api-key'),
  },
  {
    name: 'ica, username/password',
    values: { password: PASSWORD, basic: BASIC, token: ICA_JWT },
    json: {
      text: `{"type":"about:blank","title":"Unauthorized","status":401,"detail":"Bad credentials '' for this tenant. ${WORDS}","instance":"/ica/rest/api/tokens","id":"0f8fad5b-d9cb-469f-a165-70867728950e","parameters":{},"timestamp":"2026-01-15T10:00:00Z"}`,
      contentType: 'application/problem+json',
    },
    errors: icaErrors('password'),
  },
];

const PAGES: Record<string, { text: string; contentType: string | undefined }> = {
  html: {
    text: `<html><head><title>502 Bad Gateway</title></head><body><center><h1>502 Bad Gateway</h1></center><hr><p>${WORDS}</p><center>nginx</center></body></html>`,
    contentType: 'text/html; charset=utf-8',
  },
  'plain text': { text: `Unauthorized: Invalid credential for this request. ${WORDS}`, contentType: 'text/plain' },
};

const POSITIONS = 400;

/** The forms of ENCODINGS that differ for `value` (a 3.x token of letters and digits has one). */
function distinctForms(value: string): Array<[string, string]> {
  const seen = new Map<string, string>();
  for (const [encoding, encode] of Object.entries(ENCODINGS)) {
    const sent = encode(value);
    if (!seen.has(sent)) seen.set(sent, encoding);
  }
  return [...seen].map(([sent, encoding]) => [encoding, sent]);
}

describe.each(SCENARIOS)('$name: a value slid across the error body never reaches an error', (scenario) => {
  const sensitive = Object.values(scenario.values);
  // Each slide builds tens of thousands of errors: their stack traces are not what is tested here,
  // and capturing them would be most of the run time.
  let stackTraceLimit = Error.stackTraceLimit;
  beforeAll(() => {
    stackTraceLimit = Error.stackTraceLimit;
    Error.stackTraceLimit = 0;
  });
  afterAll(() => {
    Error.stackTraceLimit = stackTraceLimit;
  });
  const bodies = { json: scenario.json, ...PAGES };

  it.each(Object.keys(bodies))('%s body', (kind) => {
    const base = bodies[kind as keyof typeof bodies];
    expect(base.text.length).toBeGreaterThan(POSITIONS);
    const leaks: string[] = [];
    let quoted = 0;
    for (const [what, value] of Object.entries(scenario.values)) {
      for (const [encoding, sent] of distinctForms(value)) {
        const pieces = piecesOf([value, sent]);
        for (let at = 0; at <= POSITIONS; at++) {
          const text = base.text.slice(0, at) + sent + base.text.slice(at);
          const errors = scenario.errors({ contentType: base.contentType, text, ...parseBody(text) }, sensitive);
          // The errors of one answer repeat the same detail: each distinct line is searched once.
          const shown = [...new Set(errors.flatMap((e) => errorText(e).split('\n')))].join('\n');
          if (shown.includes('[redacted]')) quoted++;
          const found = leakedPieces(shown, [], pieces);
          if (found.length) leaks.push(`${what} ${encoding} at ${at} (${errors.map((e) => e.name).join(', ')}): ${found.slice(0, 3).join(' ')}`);
        }
      }
    }
    expect(leaks.slice(0, 20), `${leaks.length} leaks`).toEqual([]);
    // The JSON body's message was quoted (with the value redacted), so the slide tested redaction,
    // not merely a parser that quotes nothing.
    if (kind === 'json') expect(quoted).toBeGreaterThan(0);
  });
});

describe('a non-JSON error page is described, never quoted', () => {
  it.each(SCENARIOS)('$name: status, content type and length', (scenario) => {
    const page = PAGES.html!;
    for (const e of scenario.errors({ contentType: page.contentType, text: page.text, body: undefined }, [])) {
      expect(e.message).toMatch(/^[^"]*HTTP \d{3}, text\/html, \d+ bytes/);
      expect(e.message).toContain(`text/html, ${Buffer.byteLength(page.text)} bytes`);
      expect(errorText(e)).not.toMatch(/Bad Gateway|refused it|recovered/);
    }
    // Without a Content-Type, or with one that is not a plain media type, the length still says something.
    for (const contentType of [undefined, '', `text/html; charset="${PASSWORD}"`, `text/${TG_SECRET}`, 'text/html <b>']) {
      for (const e of scenario.errors({ contentType, text: 'é', body: undefined }, [PASSWORD, TG_SECRET])) {
        expect(e.message).toMatch(/(no content type|an unreadable content type|text\/html), 2 bytes/);
        expect(leakedPieces(errorText(e), [PASSWORD, TG_SECRET])).toEqual([]);
      }
    }
  });

  it.each(SCENARIOS)('$name: a JSON body that is not an error object is not quoted either', (scenario) => {
    for (const text of ['"Access denied: Bad Gateway"', '["Bad Gateway"]', '42']) {
      for (const e of scenario.errors({ contentType: 'application/json', text, ...parseBody(text) }, [])) {
        expect(e.message).toContain(`application/json, ${text.length} bytes`);
        expect(errorText(e)).not.toMatch(/Bad Gateway|Access denied/);
      }
    }
  });
});

/**
 * Hostile bodies at the transport's 1 MiB cap. Without linear-time parsing these take minutes
 * (many '<' without '>' made the markup stripper quadratic); the assertions are about the error,
 * the test's timeout is what a quadratic parser runs into.
 */
describe('a 1 MiB hostile error body gives a bounded error', () => {
  const n = MAX_BODY_BYTES;
  const shapes: Record<string, string> = {
    'one token-like run': 'a'.repeat(n),
    "'<' without '>'": '<'.repeat(n),
    "'<a' without '>'": '<a'.repeat(n / 2),
    'a whitespace run': `x${' '.repeat(n - 2)}y`,
    "'token' then whitespace": `token${' '.repeat(n - 5)}`,
    'deep JSON': '['.repeat(n),
    'dotted runs': 'aaaaaaaa.'.repeat(Math.floor(n / 9)),
    'entity-like': '&#x0000000000'.repeat(Math.floor(n / 13)),
    'percent-like': '%F0%9F%98'.repeat(Math.floor(n / 9)),
  };
  it.each(Object.keys(shapes))('%s, as a page and as the JSON message', (shape) => {
    const raw = shapes[shape]!;
    const asJson = JSON.stringify({ message: raw, exception: { name: 'X', message: raw }, title: raw, detail: raw });
    for (const text of [raw, asJson]) {
      const answer = { contentType: 'text/html', text, ...readAnswer(502, text) };
      for (const scenario of SCENARIOS) {
        for (const e of scenario.errors(answer, Object.values(scenario.values))) {
          expect(e.message.length).toBeLessThan(2_000);
        }
      }
    }
  });
});

describe("the transport's reading of an error answer", () => {
  it('parses a short JSON error, and no error answer too long to be one (V8 takes over 100 ms on 1 MiB of nested brackets)', () => {
    expect(readAnswer(401, '{"error":true,"message":"no"}')).toEqual({ body: { error: true, message: 'no' }, malformed: false });
    expect(readAnswer(502, '['.repeat(MAX_ERROR_JSON_BYTES + 1))).toEqual({ body: undefined, malformed: true });
    const long = JSON.stringify({ results: 'x'.repeat(MAX_ERROR_JSON_BYTES) });
    expect(readAnswer(400, long)).toEqual({ body: undefined, malformed: true });
    // A successful answer is read whole (a long Trifacta token list is legitimate).
    expect(readAnswer(200, long).body).toEqual({ results: 'x'.repeat(MAX_ERROR_JSON_BYTES) });
  });
});
