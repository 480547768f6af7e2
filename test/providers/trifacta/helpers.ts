/** Shared setup for the Trifacta tests: fakes that close themselves after each test, clients and providers for them. */
import { TrifactaClient, TrifactaProvider, type TrifactaClientOptions, type TrifactaCredentials } from '../../../core/providers/trifacta/index.js';
import { basicCredential } from '../../../core/http/transport.js';
import { startFakeTrifacta, type FakeTrifacta, type FakeTrifactaOptions } from '../../../local/fakes/trifacta/index.js';
import { closedAfterEach } from '../../helpers/fakes.js';

export { rejection } from '../../helpers/fakes.js';

export const USERS = { alice: 'alice-pw-4567', bob: 'bob-pw-8901' };
export const ALICE: TrifactaCredentials = { username: 'alice', password: USERS.alice };
export const WRONG: TrifactaCredentials = { username: 'alice', password: 'not-alices-password' };

/** Fast settings so retry and timeout tests stay well under a second each. */
export const FAST: TrifactaClientOptions = { timeoutMs: 2_000, maxAttempts: 3, baseDelayMs: 5, maxDelayMs: 20 };

export const PURPOSE = { secretName: 'team/trifacta-token', versionId: '5f0c1a2b-3c4d-4e5f-8a9b-0c1d2e3f4a5b' };
export const DESCRIPTION = `tg-token-rotation ${PURPOSE.secretName} ${PURPOSE.versionId}`;

/** Registers per-test cleanup; call at the top of a file. */
export function useFakes(): (options?: FakeTrifactaOptions) => Promise<FakeTrifacta> {
  return closedAfterEach((options: FakeTrifactaOptions = {}) => startFakeTrifacta({ users: USERS, ...options }));
}

export function clientFor(fake: { url: string }, credentials: TrifactaCredentials = ALICE, options: TrifactaClientOptions = FAST): TrifactaClient {
  return new TrifactaClient({ host: fake.url, allowInsecureHttp: true }, credentials, { clock: (fake as FakeTrifacta).clock, ...options });
}

export function providerFor(fake: { url: string }, credentials: TrifactaCredentials = ALICE, options: TrifactaClientOptions = FAST): TrifactaProvider {
  return new TrifactaProvider(clientFor(fake, credentials, options));
}

/** Everything sensitive for a credential and some token values: none may appear in an error. */
export function secretsOf(credentials: TrifactaCredentials, tokens: string[] = []): string[] {
  return [credentials.password, basicCredential(credentials.username, credentials.password), ...tokens];
}

/** The error's message, its server message and its causes' messages, for hygiene checks. */
export function allText(e: unknown): string {
  const parts: string[] = [];
  let cur: unknown = e;
  for (let i = 0; i < 5 && cur instanceof Error; i++) {
    parts.push(cur.message, String((cur as { serverMessage?: unknown }).serverMessage ?? ''));
    cur = cur.cause;
  }
  return parts.join('\n');
}
