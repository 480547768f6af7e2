/**
 * Where the sensitive values (credentials, tokens, Basic values) sit in a server's text, in every
 * form a server may echo them in: as they are, JSON-escaped (`\"`, `\u0026`), URL-encoded (`%26`,
 * `+` for a space) and as HTML character references (`&amp;`, `&#38;`, `&#x26;`). Each form is
 * read through its own decoded view of the text, whose every character remembers the span of the
 * original it came from, so a value found in a view is redacted in the original as a whole.
 *
 * Linear in the text read: each view decodes once, and reads at most `limit` characters plus
 * what the longest value needs past it, so a value that starts before the limit is found whole
 * however far its encoded form reaches.
 */

/** A half-open range [start, end) of the original text. */
export interface Span {
  start: number;
  end: number;
}

/** Values shorter than this cannot be redacted without mangling ordinary words. */
const MIN_VALUE_LENGTH = 3;

/** One escape at `i`, decoded, and how many characters it took; undefined when there is none. */
type Decoder = (text: string, i: number) => { value: string; length: number } | undefined;

interface View {
  /** The character every escape of this form starts with. */
  lead: string;
  decode: Decoder;
  /** Applied to the decoded text and to the values alike (one character to one). */
  fold?: (s: string) => string;
}

const VIEWS: readonly View[] = [
  { lead: '\\', decode: jsonEscape },
  // A form writes a space as '+': '+' and ' ' are read as the same character in this view.
  { lead: '%', decode: percentEncoding, fold: (s) => s.replaceAll('+', ' ') },
  { lead: '&', decode: htmlReference },
];

/**
 * The spans of `text` holding a sensitive value in any form, for every occurrence that starts
 * before `limit` (each span whole, even where it reaches past `limit`). Spans may overlap.
 */
export function sensitiveSpans(text: string, sensitive: readonly string[], limit = text.length): Span[] {
  const values = [...new Set(sensitive.filter((v) => v.length >= MIN_VALUE_LENGTH))];
  if (values.length === 0 || text.length === 0) return [];
  const longest = Math.max(...values.map((v) => v.length));
  const spans: Span[] = [];
  // As it is: the text itself is the view.
  const plain = text.length > limit + longest ? text.slice(0, limit + longest) : text;
  for (const value of values) {
    for (const k of occurrences(plain, value, limit)) spans.push({ start: k, end: k + value.length });
  }
  for (const view of VIEWS) {
    // Without a single escape in the text read, a view is the text itself, searched above
    // (past `plain`, a view only reads on when escapes shrank what came before).
    if (!plain.includes(view.lead) && !(view.fold && plain.includes('+'))) continue;
    const decoded = decodeView(text, view.decode, view.lead, limit, longest);
    const haystack = view.fold ? view.fold(decoded.text) : decoded.text;
    for (const raw of values) {
      const value = view.fold ? view.fold(raw) : raw;
      for (const k of occurrences(haystack, value, decoded.within)) {
        spans.push({ start: decoded.sourceStart(k), end: decoded.sourceEnd(k + value.length - 1) });
      }
    }
  }
  return spans;
}

/** Where `value` starts in `haystack` before `before`, overlapping occurrences included ("abab" twice in "ababab"). */
function* occurrences(haystack: string, value: string, before: number): Generator<number> {
  for (let k = haystack.indexOf(value); k !== -1 && k < before; k = haystack.indexOf(value, k + 1)) yield k;
}

/** A stretch of a decoded view: decoded [from, to) came from the original [source, sourceEnd). */
interface Segment {
  from: number;
  to: number;
  source: number;
  sourceEnd: number;
  /** Copied as it is (one character to one), rather than decoded from one escape. */
  literal: boolean;
}

interface DecodedView {
  text: string;
  /** Decoded characters before this one started before `limit` in the original. */
  within: number;
  /** The original span of decoded character k: where it starts, and where it ends. */
  sourceStart(k: number): number;
  sourceEnd(k: number): number;
}

/**
 * `text` decoded from its start, far enough to hold every value that starts before `limit`: the
 * characters that start before it (`within`), and `extra` more (or to the end of the text).
 * Literal stretches are copied whole between escapes (found with indexOf of `lead`).
 */
function decodeView(text: string, decode: Decoder, lead: string, limit: number, extra: number): DecodedView {
  const parts: string[] = [];
  const segments: Segment[] = [];
  let length = 0;
  let within = -1;
  let i = 0;
  const literal = (end: number) => {
    if (within < 0 && end > limit) within = length + Math.max(0, limit - i);
    parts.push(text.slice(i, end));
    segments.push({ from: length, to: length + end - i, source: i, sourceEnd: end, literal: true });
    length += end - i;
    i = end;
  };
  while (i < text.length) {
    if (within < 0 && i >= limit) within = length;
    const needed = within >= 0 ? within + extra - length : limit - i + extra;
    if (needed <= 0) break;
    const next = text.indexOf(lead, i);
    if (next !== i) {
      literal(Math.min(next < 0 ? text.length : next, i + needed));
      continue;
    }
    const escape = decode(text, i);
    if (!escape) {
      literal(i + 1);
      continue;
    }
    parts.push(escape.value);
    segments.push({ from: length, to: length + escape.value.length, source: i, sourceEnd: i + escape.length, literal: false });
    length += escape.value.length;
    i += escape.length;
  }
  const segmentOf = (k: number): Segment => {
    let lo = 0;
    let hi = segments.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if ((segments[mid] as Segment).from <= k) lo = mid;
      else hi = mid - 1;
    }
    return segments[lo] as Segment;
  };
  return {
    text: parts.join(''),
    within: within < 0 ? length : within,
    sourceStart: (k) => {
      const s = segmentOf(k);
      return s.literal ? s.source + (k - s.from) : s.source;
    },
    sourceEnd: (k) => {
      const s = segmentOf(k);
      return s.literal ? s.source + (k - s.from) + 1 : s.sourceEnd;
    },
  };
}

const JSON_ESCAPES: Readonly<Record<string, string>> = { '"': '"', '\\': '\\', '/': '/', b: '\b', f: '\f', n: '\n', r: '\r', t: '\t' };

/** `\"`, `\\`, `\/`, `\n` and the like, and `\uXXXX`. */
function jsonEscape(text: string, i: number): { value: string; length: number } | undefined {
  if (text.charCodeAt(i) !== 0x5c) return undefined;
  const next = text[i + 1];
  if (next === undefined) return undefined;
  const simple = JSON_ESCAPES[next];
  if (simple !== undefined) return { value: simple, length: 2 };
  if (next === 'u') {
    const code = hexValue(text, i + 2, 4);
    if (code !== undefined) return { value: String.fromCharCode(code), length: 6 };
  }
  return undefined;
}

/** `%XX`, and the `%XX%XX…` of one UTF-8 encoded character. */
function percentEncoding(text: string, i: number): { value: string; length: number } | undefined {
  const first = percentByte(text, i);
  if (first === undefined) return undefined;
  if (first < 0x80) return { value: String.fromCharCode(first), length: 3 };
  // The lead byte says how many continuation bytes follow; anything else is not UTF-8 and stays as it is.
  const more = first >= 0xc2 && first <= 0xdf ? 1 : first >= 0xe0 && first <= 0xef ? 2 : first >= 0xf0 && first <= 0xf4 ? 3 : -1;
  if (more < 0) return undefined;
  let code = first & (0x3f >> more);
  for (let k = 1; k <= more; k++) {
    const byte = percentByte(text, i + 3 * k);
    if (byte === undefined || (byte & 0xc0) !== 0x80) return undefined;
    code = (code << 6) | (byte & 0x3f);
  }
  const lowest = [0, 0x80, 0x800, 0x10000][more] as number;
  if (code < lowest || code > 0x10ffff || (code >= 0xd800 && code <= 0xdfff)) return undefined;
  return { value: String.fromCodePoint(code), length: 3 * (more + 1) };
}

function percentByte(text: string, i: number): number | undefined {
  return text.charCodeAt(i) === 0x25 ? hexValue(text, i + 1, 2) : undefined;
}

/**
 * The named references HTML defines for printable ASCII characters and the no-break space: a
 * credential is printable ASCII in practice, and every other character a server can only write
 * as a numeric reference or as it is. (The full table of 2,231 names would add tens of kB to
 * every Lambda bundle for characters no credential holds.)
 */
const NAMED: Readonly<Record<string, string>> = {
  Tab: '\t',
  NewLine: '\n',
  nbsp: '\u00a0',
  NonBreakingSpace: '\u00a0',
  excl: '!',
  quot: '"',
  QUOT: '"',
  num: '#',
  dollar: '$',
  percnt: '%',
  amp: '&',
  AMP: '&',
  apos: "'",
  lpar: '(',
  rpar: ')',
  ast: '*',
  midast: '*',
  plus: '+',
  comma: ',',
  period: '.',
  sol: '/',
  colon: ':',
  semi: ';',
  lt: '<',
  LT: '<',
  equals: '=',
  gt: '>',
  GT: '>',
  quest: '?',
  commat: '@',
  lsqb: '[',
  lbrack: '[',
  bsol: '\\',
  rsqb: ']',
  rbrack: ']',
  Hat: '^',
  lowbar: '_',
  UnderBar: '_',
  grave: '`',
  DiacriticalGrave: '`',
  lcub: '{',
  lbrace: '{',
  verbar: '|',
  vert: '|',
  VerticalLine: '|',
  rcub: '}',
  rbrace: '}',
};

/** Names browsers also read without the closing ';' (legacy references), longest first. */
const LEGACY: readonly string[] = ['QUOT', 'quot', 'nbsp', 'AMP', 'amp', 'LT', 'lt', 'GT', 'gt'];

/** The longest name in NAMED: a reference is never read further. */
const LONGEST_NAME = Math.max(...Object.keys(NAMED).map((n) => n.length));

/**
 * Digits a numeric reference may have. HTML allows any number of leading zeros, but no server
 * escaping text writes more than a few; a longer one is left as it is (reading it could take a
 * whole 1 MiB body), and as it is it shows no character of a value either.
 */
const MAX_REFERENCE_DIGITS = 32;

/** `&#38;`, `&#x26;` (the ';' optional, as browsers read them), and the names in NAMED. */
function htmlReference(text: string, i: number): { value: string; length: number } | undefined {
  if (text.charCodeAt(i) !== 0x26) return undefined;
  if (text[i + 1] === '#') {
    const hex = text[i + 2] === 'x' || text[i + 2] === 'X';
    const from = i + (hex ? 3 : 2);
    let end = from;
    let code = 0;
    for (; end < text.length && end - from <= MAX_REFERENCE_DIGITS; end++) {
      const digit = hex ? hexDigit(text.charCodeAt(end)) : decimalDigit(text.charCodeAt(end));
      if (digit === undefined) break;
      // Past the last code point the value no longer matters (it decodes to U+FFFD): stop adding.
      if (code <= 0x10ffff) code = code * (hex ? 16 : 10) + digit;
    }
    if (end === from || end - from > MAX_REFERENCE_DIGITS) return undefined;
    const length = end - i + (text[end] === ';' ? 1 : 0);
    const valid = code > 0 && code <= 0x10ffff && !(code >= 0xd800 && code <= 0xdfff);
    return { value: valid ? String.fromCodePoint(code) : '\ufffd', length };
  }
  let end = i + 1;
  while (end < text.length && end - i - 1 < LONGEST_NAME && isAlphanumeric(text.charCodeAt(end))) end++;
  const name = text.slice(i + 1, end);
  const value = NAMED[name];
  if (value !== undefined && text[end] === ';') return { value, length: end - i + 1 };
  // Without its ';', a legacy name is read as the longest one the letters start with ("&ltb" is "<b").
  const legacy = LEGACY.find((n) => name.startsWith(n));
  return legacy === undefined ? undefined : { value: NAMED[legacy] as string, length: legacy.length + 1 };
}

function hexValue(text: string, i: number, digits: number): number | undefined {
  let code = 0;
  for (let k = 0; k < digits; k++) {
    const d = hexDigit(text.charCodeAt(i + k));
    if (d === undefined) return undefined;
    code = code * 16 + d;
  }
  return code;
}

function hexDigit(c: number): number | undefined {
  if (c >= 0x30 && c <= 0x39) return c - 0x30;
  if (c >= 0x41 && c <= 0x46) return c - 0x37;
  if (c >= 0x61 && c <= 0x66) return c - 0x57;
  return undefined;
}

function decimalDigit(c: number): number | undefined {
  return c >= 0x30 && c <= 0x39 ? c - 0x30 : undefined;
}

function isAlphanumeric(c: number): boolean {
  return (c >= 0x30 && c <= 0x39) || (c >= 0x41 && c <= 0x5a) || (c >= 0x61 && c <= 0x7a);
}
