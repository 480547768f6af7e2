/**
 * What the leak tests (issue 21) share: the forms a server may echo a sensitive value in, the
 * sensitive values of each provider, and the check itself: no 8-character piece of a value (as it
 * is, or as the server wrote it) in anything an error carries. Not a test file.
 */
import { basicCredential } from '../../core/http/transport.js';

/** Pieces this long of a value must never appear in an error (shorter ones occur in plain words). */
export const PIECE = 8;

const b64url = (o: unknown) => Buffer.from(JSON.stringify(o)).toString('base64url');

/** A JWT shaped like the ones TigerGraph 4.x and ICA hand out (HS256 header, claims, signature). */
export function jwt(claims: Record<string, unknown>, signature: string): string {
  return `${b64url({ alg: 'HS256', typ: 'JWT' })}.${b64url(claims)}.${Buffer.from(signature).toString('base64url')}`;
}

/**
 * How a server may echo a value: as it is, JSON-escaped (minimal, and Gson's \uXXXX for every
 * punctuation mark), URL-encoded (%XX with %20, and a form's + for a space), and as HTML character
 * references (named, decimal, hexadecimal). Letters and digits stay readable in every form but
 * the named one, so a partial leak shows as a plain piece of the value.
 */
export const ENCODINGS: Readonly<Record<string, (v: string) => string>> = {
  plain: (v) => v,
  'json-escaped': (v) => JSON.stringify(v).slice(1, -1),
  'json-unicode': (v) => v.replace(/[^A-Za-z0-9]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`),
  'url-percent': (v) => encodeURIComponent(v),
  'url-plus': (v) => new URLSearchParams({ v }).toString().slice(2),
  'html-named': (v) => v.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&apos;' })[c] ?? c),
  'html-decimal': (v) => v.replace(/[^A-Za-z0-9]/g, (c) => `&#${c.charCodeAt(0)};`),
  'html-hex': (v) => v.replace(/[^A-Za-z0-9]/g, (c) => `&#x${c.charCodeAt(0).toString(16).toUpperCase()};`),
};

/** Every 8-character piece of `values`, once. */
export function piecesOf(values: readonly string[]): string[] {
  const pieces = new Set<string>();
  for (const value of values) for (let i = 0; i + PIECE <= value.length; i++) pieces.add(value.slice(i, i + PIECE));
  return [...pieces];
}

/** The 8-character pieces of `values` (or the pieces given) that occur in `text`. */
export function leakedPieces(text: string, values: readonly string[], pieces = piecesOf(values)): string[] {
  const found: string[] = [];
  for (const piece of pieces) if (text.includes(piece)) found.push(piece);
  return found;
}

/** Everything an error shows: name, message, the HttpError fields, and the same for its causes. */
export function errorText(e: unknown): string {
  const parts: string[] = [];
  let cur: unknown = e;
  for (let i = 0; i < 5 && cur instanceof Error; i++) {
    const fields = cur as { serverMessage?: unknown; restCode?: unknown };
    parts.push(cur.name, cur.message, String(fields.serverMessage ?? ''), String(fields.restCode ?? ''));
    cur = cur.cause;
  }
  return parts.join('\n');
}

// A password with every character an encoder changes, and a user whose Basic value then holds
// '+' and '/' (so its URL and HTML forms differ from it too).
export const USER = 'analyst@example.com';
export const PASSWORD = `Zq7&Lm?2<>"Xp'9+Rt/ 4%Wv=;Kd#8@Nb!`;
export const BASIC = basicCredential(USER, PASSWORD);
/** TigerGraph 3.x secrets and tokens: 32 lowercase letters and digits. */
export const TG_SECRET = 'q8m3z7x1c6v2b9n4k5j0h7g3f8d2s6a1';
export const TG_TOKEN3 = 'p4o7i2u9y3t8r1e6w5q0l3k8j2h7g4f9';
/** What GSQL's Basic auth sends for a secret (user `__GSQL__secret`). */
export const GSQL_SECRET_BASIC = basicCredential('__GSQL__secret', TG_SECRET);
export const TG_TOKEN4 = jwt({ sub: 'tigergraph', iat: 1767261600, exp: 1767866400, iss: 'TigerGraph' }, 'tg4-signature-0d9c8b7a6f5e4d3c');
export const TRIFACTA_TOKEN = Buffer.from('tf~token/3f9a+8c7d=2b1e?6a5f>4e3d??').toString('base64');
export const ICA_API_KEY = 'icak_x7Kp2-Qm9/Lz4+Rt8Wv1Nb6Yc3Hd5';
export const ICA_JWT = jwt({ sub: 'scientist', iat: 1767261600, exp: 4102444800, tid: 'lab-a' }, 'ica-signature-9a8b7c6d5e4f3a2b');
