/**
 * The holders index: the Distributed Map's list step (fleet-list.ts) writes it next to the fleet
 * list, so a map worker asks it, instead of reading the whole fleet, whether another secret holds
 * a token it is about to revoke (holders.ts). JSON Lines, fingerprints only (`tokenFingerprint`:
 * never a token, nothing that can be used at the provider):
 *   {"fingerprint":"<22 chars>","secretId":"<arn>"}   one per current token that may collide
 *   {"secrets":<n>,"unread":<k>}                       last: the fleet's size and the secrets not read
 * The last line tells a complete index from a cut one; an index with unread secrets does not know
 * their tokens, so a worker does not use it (it falls back to reading the fleet).
 *
 * Only tokens whose provider may collide are indexed (TigerGraph 4.x, ICA: planHints), and tokens
 * whose provider is unknown: the index is asked only about a token that may collide
 * (holders.ts mayBeHeldElsewhere, settle.ts), and a token that cannot collide (a random 3.x or
 * Trifacta token) never equals one that can. A fleet of such tokens then costs the workers an
 * object of one line.
 */
import { DEFAULT_PROVIDER } from '../providers/edges.js';
import { isProviderName, providerDefinition } from '../providers/registry.js';
import { secretJson } from '../secrets/token-secret.js';
import { FingerprintIndex, tokenFingerprint } from './holders.js';

/** What the key of the index object adds to the fleet list's key, in its place of `.jsonl`: `fleet/<execution>.holders.jsonl`. */
export const HOLDERS_KEY_SUFFIX = '.holders.jsonl';

/** The key of the holders index written beside the fleet list `fleetKey`. */
export function holdersKeyFor(fleetKey: string): string {
  return `${fleetKey.replace(/\.jsonl$/, '')}${HOLDERS_KEY_SUFFIX}`;
}

/** A line of the index, newline included. */
export function holdersLine(token: string, secretId: string): string {
  return `${JSON.stringify({ fingerprint: tokenFingerprint(token), secretId })}\n`;
}

/** The last line: how many secrets the list step listed, and how many of them it could not read. */
export function holdersTrailer(counts: { secrets: number; unread: number }): string {
  return `${JSON.stringify({ secrets: counts.secrets, unread: counts.unread })}\n`;
}

/** Whether the token of this secret value (the parsed JSON) may equal another secret's: any provider but one whose planHints say it cannot. */
export type MayCollide = (secret: Record<string, unknown>) => boolean;

/** MayCollide by the registered providers' planHints. */
export const registryMayCollide: MayCollide = (secret) => {
  // As the token secret's schema reads it (token-secret.ts): no provider field is the default one.
  const provider = secret.provider ?? DEFAULT_PROVIDER;
  if (typeof provider !== 'string' || !isProviderName(provider)) return true;
  return providerDefinition(provider).planHints?.(secret)?.tokensMayCollide !== false;
};

/** The token to index in a secret's current value, if any. */
export function indexedToken(secretString: string | undefined, mayCollide: MayCollide): string | undefined {
  const secret = secretJson(secretString);
  const token = secret?.token;
  return typeof token === 'string' && token !== '' && mayCollide(secret!) ? token : undefined;
}

/** Thrown for an index a worker must not use; the message says why (for its log). */
export class UnusableHoldersIndex extends Error {
  override readonly name = 'UnusableHoldersIndex';
}

/** The index in `text`, or an UnusableHoldersIndex: a line that is not the format's, no last line (cut short), or secrets the list step did not read. */
export function parseHoldersIndex(text: string): FingerprintIndex {
  const index = new FingerprintIndex();
  const lines = text.split('\n');
  if (lines.at(-1) === '') lines.pop();
  let trailer: { secrets: number; unread: number } | undefined;
  lines.forEach((line, i) => {
    const parsed = parseLine(line);
    if (parsed === undefined || trailer !== undefined) throw new UnusableHoldersIndex(`holders index: line ${i + 1}: expected {"fingerprint","secretId"} or, last, {"secrets","unread"}`);
    if ('fingerprint' in parsed) index.addFingerprint(parsed.fingerprint, parsed.secretId);
    else trailer = parsed;
  });
  if (trailer === undefined) throw new UnusableHoldersIndex('holders index: no last line {"secrets","unread"}: the object is incomplete');
  if (trailer.unread > 0) throw new UnusableHoldersIndex(`holders index: the list step could not read ${trailer.unread} of ${trailer.secrets} secrets, so it does not know their tokens`);
  return index;
}

function parseLine(line: string): { fingerprint: string; secretId: string } | { secrets: number; unread: number } | undefined {
  let value: unknown;
  try {
    value = JSON.parse(line);
  } catch {
    return undefined;
  }
  if (typeof value !== 'object' || value === null) return undefined;
  const v = value as Record<string, unknown>;
  if (typeof v.fingerprint === 'string' && typeof v.secretId === 'string') return { fingerprint: v.fingerprint, secretId: v.secretId };
  if (Number.isInteger(v.secrets) && Number.isInteger(v.unread)) return { secrets: v.secrets as number, unread: v.unread as number };
  return undefined;
}
