/**
 * No token value, password or Basic value in any error, even from a server that quotes them
 * (the fake's quoteCredentials quirk), in both error body shapes: the envelope's message is quoted
 * with the values redacted, a plain-text body is never quoted (its type and length are).
 */
import { describe, expect, it } from 'vitest';
import { ALICE, allText, providerFor, PURPOSE, rejection, secretsOf, useFakes, WRONG } from './helpers.js';

const start = useFakes();

describe.each(['envelope', 'plain'] as const)('error bodies %s, server quoting credentials', (errorBody) => {
  const quirks = { errorBody, quoteCredentials: true };
  /** What the error shows of the server's words: quoted and redacted (envelope), or only described (plain). */
  const expectServerWords = (text: string, words: string | RegExp) => {
    if (errorBody === 'envelope') {
      expect(text).toMatch(words);
      expect(text).toContain('[redacted]');
    } else {
      expect(text).toMatch(/text\/plain, \d+ bytes/);
      expect(text).not.toMatch(words);
    }
  };

  it('a refused password: the server text is kept, the password and Basic value are not', async () => {
    const fake = await start({ quirks });
    const held = await providerFor(fake).issue({ purpose: PURPOSE });
    for (const p of [
      providerFor(fake, WRONG).issue({ purpose: { ...PURPOSE, versionId: 'v-2' } }),
      providerFor(fake, WRONG).revoke({ token: held.token, fields: held.fields ?? {} }),
    ]) {
      const e = await rejection(p);
      const text = allText(e);
      expectServerWords(text, 'Invalid password');
      for (const s of secretsOf(WRONG, [held.token])) expect(text).not.toContain(s);
    }
  });

  it('a 5xx while verifying quotes the Bearer header: the token is not in the error', async () => {
    const fake = await start({ quirks });
    const held = await providerFor(fake).issue({ purpose: PURPOSE });
    fake.setFaults({ failNext: 10, ops: ['get'] });
    const e = await rejection(providerFor(fake).verify({ token: held.token, fields: held.fields ?? {} }));
    const text = allText(e);
    expectServerWords(text, 'Internal server error');
    for (const s of secretsOf(ALICE, [held.token])) expect(text).not.toContain(s);
  });

  it('a 5xx while listing or deleting quotes the Basic header: not in the error', async () => {
    const fake = await start({ quirks });
    const held = await providerFor(fake).issue({ purpose: PURPOSE });
    fake.setFaults({ failNext: 10, ops: ['list', 'delete'] });
    const errors = [
      await rejection(providerFor(fake).issue({ purpose: { ...PURPOSE, versionId: 'v-2' } })),
      await rejection(providerFor(fake).revoke({ token: held.token, fields: held.fields ?? {} })),
    ];
    for (const e of errors) {
      expectServerWords(allText(e), /Internal server error/);
      for (const s of secretsOf(ALICE, [held.token])) expect(allText(e)).not.toContain(s);
    }
  });

  it('a refused token is never quoted back (verify answers false, and no error carries it)', async () => {
    const fake = await start({ quirks });
    const held = await providerFor(fake).issue({ purpose: PURPOSE });
    await providerFor(fake).revoke({ token: held.token, fields: held.fields ?? {} });
    expect(await providerFor(fake).verify({ token: held.token, fields: held.fields ?? {} })).toBe(false);
    const e = await rejection(providerFor(fake).revoke({ token: held.token, fields: {} }));
    expect(allText(e)).not.toContain(held.token);
  });
});
