/**
 * The fleet of managed token secrets, read cheaply: listed by tag (ListSecrets, 100 a call, with
 * each secret's labels and tags) or given as ids, and read in batches (BatchGetSecretValue, 20 a
 * call). A secret that needs nothing costs 1/20 + 1/100 of a call. Pages are streamed, so memory
 * stays flat however large the fleet is.
 */
import { MANAGED_TAG } from '../names.js';
import { BATCH_GET_LIMIT, type BatchError, type BatchValue, type ListedSecret, type SecretStore } from '../secrets/store.js';

/** Where the fleet comes from: the managed tag (needs ListSecrets), or a list of ids (the stack's). */
export type FleetSource = { kind: 'tag' } | { kind: 'ids'; ids: readonly string[] };

export interface FleetEntry {
  /** The id the secret was found by: its ARN when listed, as given otherwise. */
  secretId: string;
  /** Its AWSCURRENT value, or the error that kept it from being read. */
  value?: BatchValue;
  error?: BatchError;
  /** Labels of every version and the tags, when the secret was listed (not for ids). */
  listed?: ListedSecret;
}

export async function* scanFleet(source: FleetSource, store: SecretStore): AsyncGenerator<FleetEntry[]> {
  if (source.kind === 'ids') {
    const ids = [...new Set(source.ids)];
    for (let i = 0; i < ids.length; i += BATCH_GET_LIMIT) yield read(ids.slice(i, i + BATCH_GET_LIMIT), store);
    return;
  }
  for await (const page of store.listTagged(MANAGED_TAG, 'true')) {
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

async function read(ids: string[], store: SecretStore): Promise<FleetEntry[]> {
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
