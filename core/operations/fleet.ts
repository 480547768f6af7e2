/**
 * The fleet of managed token secrets, read cheaply: listed by tag (ListSecrets, 100 a call, with
 * each secret's labels and tags) or given as ids, and read in batches (BatchGetSecretValue, 20 a
 * call). A secret that needs nothing costs 1/20 + 1/100 of a call. Pages are streamed, so memory
 * stays flat however large the fleet is.
 */
import { NotOwnedError } from '../errors.js';
import { MANAGED_TAG } from '../names.js';
import { BATCH_GET_LIMIT, type BatchError, type BatchValue, type ListedSecret, type SecretStore } from '../secrets/store.js';

/**
 * Where the fleet comes from: the managed tag (needs ListSecrets), or a list of ids (the stack's).
 * It is also what the deployment owns (`ownsSecret`): the functions act on no other secret.
 */
export type FleetSource = { kind: 'tag'; ownedArnPrefix?: string } | { kind: 'ids'; ids: readonly string[] };

/**
 * Whether the secret with this full ARN is one the deployment owns: one of its ids, or with tag
 * discovery an ARN under the owned prefix (`arn:...:secret:<secretNamePrefix>/`: the stack's
 * account, region and name prefix). Without a prefix (local runs), every tagged secret.
 */
export function ownsSecret(fleet: FleetSource, arn: string): boolean {
  if (fleet.kind === 'ids') return fleet.ids.includes(arn);
  return fleet.ownedArnPrefix === undefined || arn.startsWith(fleet.ownedArnPrefix);
}

/** Throws a NotOwnedError unless the deployment owns the secret with this full ARN. */
export function assertOwned(fleet: FleetSource, arn: string): void {
  if (!ownsSecret(fleet, arn)) throw new NotOwnedError(notOwnedMessage(fleet, arn));
}

function notOwnedMessage(fleet: FleetSource, arn: string): string {
  return fleet.kind === 'ids'
    ? `secret ${arn} is not one of this deployment's token secrets: the functions act only on the secrets their deployment names`
    : `secret ${arn} is outside this deployment's secrets (${fleet.ownedArnPrefix ?? ''}*): the functions act only on tagged secrets in its account, region and name prefix`;
}

export interface FleetEntry {
  /** The id the secret was found by: its ARN when listed, as given otherwise. */
  secretId: string;
  /** Its AWSCURRENT value, or the error that kept it from being read. */
  value?: BatchValue;
  error?: BatchError;
  /** Labels of every version and the tags, when the secret was listed (not for ids). */
  listed?: ListedSecret;
}

/** A tagged secret outside the deployment's prefix: scanFleet reports it without reading it. */
export function isForeign(entry: FleetEntry): boolean {
  return !entry.value && entry.error?.errorCode === 'NotOwnedError';
}

/**
 * A secret of the deployment whose current value could not be read (denied, throttled, undecryptable,
 * not read in time): it may hold any token. One that is gone (deleted, or without a current value)
 * holds none, and a foreign one is not the deployment's.
 */
export function isUnread(entry: FleetEntry): boolean {
  return !entry.value && !isForeign(entry) && entry.error?.errorCode !== 'ResourceNotFoundException';
}

/** The store's calls the reading needs. */
export type FleetReader = Pick<SecretStore, 'listTagged' | 'batchGet'>;

export async function* scanFleet(source: FleetSource, store: FleetReader): AsyncGenerator<FleetEntry[]> {
  if (source.kind === 'ids') {
    const ids = [...new Set(source.ids)];
    for (let i = 0; i < ids.length; i += BATCH_GET_LIMIT) yield read(ids.slice(i, i + BATCH_GET_LIMIT), store);
    return;
  }
  for await (const listed of store.listTagged(MANAGED_TAG, 'true')) {
    // A tagged secret outside the owned prefix is reported, never read.
    const foreign = listed.filter((s) => !ownsSecret(source, s.arn));
    if (foreign.length > 0) yield foreign.map((s) => ({ secretId: s.arn, error: { secretId: s.arn, errorCode: 'NotOwnedError', message: notOwnedMessage(source, s.arn) } }));
    const page = listed.filter((s) => ownsSecret(source, s.arn));
    for (let i = 0; i < page.length; i += BATCH_GET_LIMIT) {
      const chunk = page.slice(i, i + BATCH_GET_LIMIT);
      const entries = await read(
        chunk.map((s) => s.arn),
        store,
      );
      const byArn = new Map(chunk.map((s) => [s.arn, s]));
      yield entries.map((e) => ({ ...e, ...(byArn.get(e.secretId) ? { listed: byArn.get(e.secretId) } : {}) }));
    }
  }
}

async function read(ids: string[], store: FleetReader): Promise<FleetEntry[]> {
  const { values, errors } = await store.batchGet(ids);
  const byId = new Map<string, FleetEntry>(ids.map((id) => [id, { secretId: id }]));
  for (const v of values) {
    const entry = byId.get(v.secretId);
    if (entry) entry.value = v;
  }
  for (const e of errors) {
    const entry = byId.get(e.secretId) ?? [...byId.values()].find((x) => e.secretId.startsWith(x.secretId) || x.secretId.startsWith(e.secretId));
    if (entry && !entry.value) entry.error = e;
  }
  for (const entry of byId.values()) {
    if (!entry.value && !entry.error) entry.error = { secretId: entry.secretId, errorCode: 'ResourceNotFoundException', message: 'not returned by BatchGetSecretValue (deleted, or no current value)' };
  }
  return [...byId.values()];
}
