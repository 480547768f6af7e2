/**
 * The one rule for server text in errors (core/http/failures.ts, redaction.ts), case by case:
 * redaction before any cut, every encoding of a value, overlapping and repeated values, and what
 * an identifier or a content type must look like to be quoted at all.
 */
import { describe, expect, it } from 'vitest';
import { describeBody, MAX_SERVER_MESSAGE, sanitizeServerMessage, serverIdentifier } from '../../core/http/failures.js';
import { sensitiveSpans } from '../../core/http/redaction.js';
import { ENCODINGS, jwt, leakedPieces } from './leaks.js';

/** Not token-like (spaces and punctuation), so only redaction by value can remove it. */
const PHRASE = 'open sesame, said Ali & his 40 friends';

describe('sanitizeServerMessage: redaction first, then the cut', () => {
  it('a value across the 300-character cut is redacted whole, at every offset', () => {
    for (let at = MAX_SERVER_MESSAGE - PHRASE.length - 2; at <= MAX_SERVER_MESSAGE + 2; at++) {
      const message = `${'x'.repeat(at)}${PHRASE} and more words after it`;
      const out = sanitizeServerMessage(message, [PHRASE]);
      expect(leakedPieces(out, [PHRASE]), `at ${at}`).toEqual([]);
      expect(out.length).toBeLessThanOrEqual(MAX_SERVER_MESSAGE + 1);
    }
  });

  it('a value across the end of the part read is found whole, however long its encoded form', () => {
    // Whitespace collapses, so text far into the message still reaches the error; the value's
    // HTML form (references with leading zeros) starts in the 2,000 characters read and runs far
    // past them (its first word, 'open', ends before them).
    const encoded = PHRASE.replace(/[^ ]/g, (c) => `&#x${'0'.repeat(12)}${c.charCodeAt(0).toString(16)};`);
    for (const at of [1_800, 1_900, 1_920]) {
      const out = sanitizeServerMessage(`${' '.repeat(at)}${encoded} tail`, [PHRASE]);
      expect(out).toContain('[redacted]');
      expect(out).not.toMatch(/&#x0/);
    }
  });

  it('overlapping values are both redacted whole', () => {
    const a = 'alpha!beta!gamma!1234';
    const b = 'gamma!1234!delta!omega';
    const out = sanitizeServerMessage('before alpha!beta!gamma!1234!delta!omega after', [a, b]);
    expect(out).toBe('before [redacted] after');
  });

  it('a value repeated with overlaps ("abab" twice in "ababab") leaves no piece of it', () => {
    const value = 'ab1!ab1!ab1!';
    const out = sanitizeServerMessage(`x ${'ab1!'.repeat(7)} y`, [value]);
    expect(leakedPieces(out, [value])).toEqual([]);
    expect(out).toBe('x [redacted] y');
  });

  it.each(Object.keys(ENCODINGS))('a value %s is redacted and the words around it kept', (encoding) => {
    const out = sanitizeServerMessage(`denied for '${ENCODINGS[encoding]!(PHRASE)}' at login`, [PHRASE]);
    expect(out).toBe("denied for '[redacted]' at login");
  });

  it('UTF-8 in %XX, \\u escapes, upper-case hex, legacy and zero-padded references', () => {
    const value = 'pässwörd 🔑 & <más>';
    for (const form of [
      encodeURIComponent(value),
      encodeURIComponent(value).toLowerCase(),
      JSON.stringify(value).slice(1, -1).replace(/[^\x20-\x7e]/g, (c) => `\\u${c.charCodeAt(0).toString(16).toUpperCase().padStart(4, '0')}`),
      value.replace(/&/g, '&amp').replace(/</g, '&lt').replace(/>/g, '&gt'),
      [...value].map((c) => `&#000${c.codePointAt(0)};`).join(''),
      [...value].map((c) => `&#X${c.codePointAt(0)!.toString(16)}`).join(''),
    ]) {
      expect(sanitizeServerMessage(`refused ${form} here`, [value]), form).toBe('refused [redacted] here');
    }
  });

  it('numeric references are read to 32 digits (leading zeros included), no further', () => {
    const value = 'abcd&efgh';
    const reference = (digits: number) => `&#x${'0'.repeat(digits - 2)}26;`;
    expect(sanitizeServerMessage(`x abcd${reference(32)}efgh y`, [value])).toBe('x [redacted] y');
    // Longer ones are not decoded: reading them could take a whole body, and they show no
    // character of the value (their run of zeros is redacted as token-like).
    expect(sanitizeServerMessage(`x abcd${reference(33)}efgh y`, [value])).toBe('x abcd&#[redacted];efgh y');
  });

  it('a form-encoded value: + for a space, and %2B for a +', () => {
    const value = 'a+b c=d';
    expect(sanitizeServerMessage('got a%2Bb+c%3Dd ok', [value])).toBe('got [redacted] ok');
  });

  it('token-like text nobody named is redacted too: quoted tokens, Bearer and Basic values, JWTs, long runs', () => {
    const token = jwt({ sub: 'x', exp: 1 }, 'a-signature-of-some-length');
    const out = sanitizeServerMessage(
      `token = 'short' and Bearer abc.def and Basic YWxpY2U6cGFzc3dvcmQ= and ${token} and ${'k3v9q2m8'.repeat(4)} and basic auth required`,
    );
    expect(out).toBe("token = '[redacted]' and Bearer [redacted] and Basic [redacted] and [redacted] and [redacted] and basic auth required");
  });

  it('a word cut by the end of the part read is left out whole (it may be a token)', () => {
    const out = sanitizeServerMessage(`${'word '.repeat(399)}abcdefghij${'k'.repeat(20)} tail`);
    expect(out.endsWith('…')).toBe(true);
    expect(out).not.toMatch(/abcdefgh/);
  });

  it('values shorter than 3 characters are not redacted (they would mangle every word)', () => {
    expect(sanitizeServerMessage('an ab code', ['ab'])).toBe('an ab code');
    expect(sensitiveSpans('an abc code', ['abc'])).toEqual([{ start: 3, end: 6 }]);
  });
});

describe('serverIdentifier: codes and exception names only', () => {
  it('quotes codes and names, long ones included', () => {
    for (const id of ['REST-10016', 'DataNotFoundException', 'InternalServerErrorException', 'com.trifacta.RouteNotFoundException']) {
      expect(serverIdentifier(id, [])).toBe(id);
    }
  });

  it('refuses text, tokens, JWTs and anything holding a sensitive value', () => {
    const secret = 'hunter2hunter2';
    for (const value of ['two words', '', 42, undefined, 'k3v9q2m8x7w1p0z5r4t6y8u2i1o3a5s7', jwt({ a: 1 }, 'sig-nature-1'), `E-${secret}`, `E-${encodeURIComponent(secret)}x`, 'x'.repeat(81)]) {
      expect(serverIdentifier(value, [secret]), String(value)).toBeUndefined();
    }
  });
});

describe('describeBody: a body that is not quoted', () => {
  it('names a plain media type and the length in bytes', () => {
    expect(describeBody({ contentType: 'text/html; charset=utf-8', text: 'é<p>' }, [])).toBe('text/html, 5 bytes');
    expect(describeBody({ contentType: 'Application/Problem+JSON', text: '{}' }, [])).toBe('application/problem+json, 2 bytes');
  });

  it('says nothing of a content type that is missing, not a media type, or holds a sensitive value', () => {
    const secret = 'hunter2hunter2';
    expect(describeBody({ contentType: undefined, text: 'x' }, [])).toBe('no content type, 1 bytes');
    expect(describeBody({ contentType: ' ; charset=x', text: 'x' }, [])).toBe('no content type, 1 bytes');
    for (const contentType of ['text', 'text/html extra', `text/${secret}`, `${'a'.repeat(65)}/b`]) {
      expect(describeBody({ contentType, text: 'x' }, [secret]), contentType).toBe('an unreadable content type, 1 bytes');
    }
  });
});
