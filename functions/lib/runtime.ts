/**
 * What the Lambda entries share: AWS clients and loggers created once per container (outside the
 * handler), with the SDK's default endpoint resolution so AWS_ENDPOINT_URL_* point them at the
 * local endpoints. Retries (including ThrottlingException) are the SDK's own standard mode.
 */
import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { Logger } from '@aws-lambda-powertools/logger';
import { currentClock } from '../../core/clock.js';
import { providerOpener, type OpenProvider } from '../../core/connection.js';
import { SecretStore } from '../../core/secrets/store.js';

let secretsManager: { client: SecretsManagerClient; endpoint: string | undefined } | undefined;

/**
 * One client per container, created lazily so importing a handler does no work. Local runs may
 * start endpoints on new ports within one process, so the client follows the endpoint variables.
 */
export function secretsManagerClient(): SecretsManagerClient {
  const endpoint = process.env.AWS_ENDPOINT_URL_SECRETS_MANAGER ?? process.env.AWS_ENDPOINT_URL;
  if (!secretsManager || secretsManager.endpoint !== endpoint) {
    secretsManager = { client: new SecretsManagerClient({ maxAttempts: Number(process.env.AWS_MAX_ATTEMPTS ?? 5) }), endpoint };
  }
  return secretsManager.client;
}

export function secretStore(): SecretStore {
  return new SecretStore(secretsManagerClient());
}

export function openProvider(store: SecretStore): OpenProvider {
  return providerOpener(store, currentClock());
}

export function createLogger(function_: string): Logger {
  return new Logger({ serviceName: process.env.POWERTOOLS_SERVICE_NAME ?? `tg-token-rotation-${function_}` });
}

/** Error fields safe to log: our messages never carry secrets, and no request/response bodies are attached. */
export function errorFields(error: unknown): Record<string, unknown> {
  if (error instanceof Error) {
    return { errorName: error.name, errorMessage: error.message, ...('code' in error && typeof error.code === 'string' ? { errorCode: error.code } : {}) };
  }
  return { errorName: 'Unknown', errorMessage: String(error) };
}
