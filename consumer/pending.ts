/**
 * The rotation's pending token, for a refused current one (issue 22). Some token APIs end a user's
 * older tokens when they issue a new one (a Trifacta workspace that allows one live token per
 * user; ICA may, in username/password mode). Then, from the moment a rotation mints until its
 * finishSecret makes the new version current (separate invocations, seconds apart, and testSecret
 * may wait for the new token), AWSCURRENT holds a token the server has already killed, and
 * AWSPENDING the live one. A re-read of AWSCURRENT alone returns the dead token again.
 *
 * So when a re-read after a refusal finds the refused version still current, the source also
 * reads AWSPENDING: a version of the same secret, written only by the rotation, with the host and
 * token it pairs. Between the mint and that write (milliseconds) AWSPENDING has no value yet: it
 * is read again a few times within `pendingWaitMs`. Nothing is used unless it holds a token other
 * than the refused one.
 */
import { GetSecretValueCommand } from '@aws-sdk/client-secrets-manager';
import { TokenNotReadyError } from './errors.js';
import { tokenInfoFromSecret } from './secret.js';
import type { SecretsClient, TokenInfo } from './types.js';

/** Default TokenSourceOptions.pendingWaitMs: how long a refusal waits for AWSPENDING to be written. */
export const DEFAULT_PENDING_WAIT_MS = 500;
const FIRST_DELAY_MS = 100;

export interface PendingRead {
  client: SecretsClient;
  secretId: string;
  allowInsecureHttp: boolean;
  waitMs: number;
  /** Counts each GetSecretValue of AWSPENDING. */
  onRead: () => void;
}

/** AWSPENDING's token when it is another than `refused`'s; undefined when there is none (or no usable one) within the wait. */
export async function pendingToken(read: PendingRead, refused: TokenInfo): Promise<TokenInfo | undefined> {
  const started = Date.now();
  for (let delay = FIRST_DELAY_MS; ; delay *= 2) {
    const found = await readPending(read);
    if (found === 'other-error') return undefined;
    if (found !== 'not-yet') return found.versionId !== refused.versionId && found.token !== refused.token ? found : undefined;
    const left = read.waitMs - (Date.now() - started);
    if (left <= 0) return undefined;
    await new Promise((resolve) => setTimeout(resolve, Math.min(delay, left)));
  }
}

async function readPending(read: PendingRead): Promise<TokenInfo | 'not-yet' | 'other-error'> {
  read.onRead();
  try {
    const out = await read.client.send(new GetSecretValueCommand({ SecretId: read.secretId, VersionStage: 'AWSPENDING' }));
    return tokenInfoFromSecret({ secretId: read.secretId, versionId: out.VersionId ?? '', secretString: out.SecretString, allowInsecureHttp: read.allowInsecureHttp });
  } catch (e) {
    // No AWSPENDING, or one without a value yet (RotateSecret's placeholder before createSecret
    // writes it), or a value without a token: perhaps not yet. Anything else: no fallback.
    if ((e as { name?: unknown }).name === 'ResourceNotFoundException' || e instanceof TokenNotReadyError) return 'not-yet';
    return 'other-error';
  }
}
