/**
 * Credential age (issue 22): the product never rotates a credential secret (an ICA API key, a
 * Trifacta password, a TigerGraph secret), so nothing else tells anyone when one is a year old.
 * The sweep measures each credential secret its token secrets name, once per run (DescribeSecret:
 * LastChangedDate, any change of the secret), for a metric per credential and an alarm at a
 * configurable age (infra/observability.ts); on-demand `status` reports the one of its secret.
 */
import pLimit from 'p-limit';
import type { Clock } from '../clock.js';
import type { SecretStore } from '../secrets/store.js';

const DAY_MS = 86_400_000;

export interface CredentialAge {
  /** The credential secret's ARN (as Secrets Manager answers it). */
  credentialSecretId: string;
  /** When the secret last changed (its value, or anything else about it); null when unknown. */
  lastChangedAt: string | null;
  /** Whole days since then; null when unknown. */
  ageDays: number | null;
}

export async function credentialAge(store: Pick<SecretStore, 'describe'>, credentialSecretId: string, clock: Clock): Promise<CredentialAge> {
  const description = await store.describe(credentialSecretId);
  const changed = description.lastChangedDate;
  return {
    credentialSecretId: description.arn,
    lastChangedAt: changed ? changed.toISOString() : null,
    ageDays: changed ? Math.floor((clock.now() - changed.getTime()) / DAY_MS) : null,
  };
}

/** The ages of these credential secrets (each once); one that cannot be described is left out and counted. */
export async function credentialAges(
  store: Pick<SecretStore, 'describe'>,
  ids: Iterable<string>,
  clock: Clock,
  concurrency = 5,
): Promise<{ ages: CredentialAge[]; unreadable: number }> {
  const limit = pLimit(concurrency);
  let unreadable = 0;
  const measured = await Promise.all(
    [...new Set(ids)].map((id) =>
      limit(() =>
        credentialAge(store, id, clock).catch(() => {
          unreadable++;
          return undefined;
        }),
      ),
    ),
  );
  // Two ids (a name and an ARN) may name one secret: one entry per ARN.
  const byArn = new Map<string, CredentialAge>();
  for (const age of measured) if (age) byArn.set(age.credentialSecretId, age);
  return { ages: [...byArn.values()], unreadable };
}
