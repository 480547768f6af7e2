/**
 * What the Lambda entries share: AWS clients and loggers created once per container (outside the
 * handler), with the SDK's default endpoint resolution so AWS_ENDPOINT_URL_* point them at the
 * local endpoints, and the core dependencies built from the Lambda environment (core/ reads no
 * environment variables itself). Retries (including ThrottlingException) are the SDK's standard mode.
 */
import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { Logger } from '@aws-lambda-powertools/logger';
import { currentClock } from '../../core/clock.js';
import type { Deps, LogFn } from '../../core/deps.js';
import type { ChangeEventSink } from '../../core/events.js';
import { ConfigError, ValidationError } from '../../core/errors.js';
import type { HttpTuning } from '../../core/http/transport.js';
import { ENV, serviceName, type FunctionName } from '../../core/names.js';
import type { FleetSource } from '../../core/operations/fleet.js';
import { parseBindings, type BindingPolicy } from '../../core/providers/binding.js';
import { Providers } from '../../core/providers/open.js';
import type { StoreBudgets } from '../../core/secrets/budget.js';
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

/** The core dependencies of one invocation. */
export function coreDeps(options: { budgets?: StoreBudgets; log?: LogFn; events?: ChangeEventSink; correlationId?: string } = {}): Deps {
  const store = new SecretStore(secretsManagerClient(), options.budgets);
  const clock = currentClock();
  const http = httpTuning();
  const providers = new Providers({
    store,
    clock,
    ...(http ? { http } : {}),
    binding: bindingPolicy(),
    // Deployed functions never speak plain HTTP: only an explicitly local process honours allowInsecureHttp.
    allowInsecureHttp: process.env[ENV.LOCAL_RUN] === 'true',
  });
  return {
    store,
    providers,
    clock,
    ...(options.log ? { log: options.log } : {}),
    ...(options.events ? { events: options.events } : {}),
    ...(options.correlationId ? { correlationId: options.correlationId } : {}),
  };
}

/**
 * The managed secrets, which are also the only secrets the functions act on: the stack's token
 * secret ARNs the construct passes in the environment, or (FLEET_DISCOVERY=tag, or no ids given,
 * as in local runs) every secret with the managed tag under the owned ARN prefix.
 */
export function fleetSource(): FleetSource {
  const ids = (process.env[ENV.MANAGED_SECRET_IDS] ?? '').split(',').map((s) => s.trim()).filter(Boolean);
  if (process.env[ENV.FLEET_DISCOVERY] === 'tag' || ids.length === 0) {
    const names = process.env[ENV.OWNED_SECRET_NAME_PREFIX];
    if (names === undefined) return { kind: 'tag' };
    const arns = process.env[ENV.SECRET_ARN_PREFIX];
    if (!arns) throw new ConfigError(`${ENV.OWNED_SECRET_NAME_PREFIX} is set without ${ENV.SECRET_ARN_PREFIX}: the construct sets both`);
    return { kind: 'tag', ownedArnPrefix: `${arns}${names}` };
  }
  return { kind: 'ids', ids };
}

/**
 * Where each credential may go (core/providers/binding.ts), from the environment the deploy
 * wrote. Missing is an error, not "anything goes": a function the construct did not configure
 * sends no credential anywhere. Credentials no binding names are allowed with tag discovery only.
 */
export function bindingPolicy(): BindingPolicy {
  const raw = process.env[ENV.CREDENTIAL_BINDINGS];
  if (raw === undefined || raw.trim() === '') {
    throw new ConfigError(`${ENV.CREDENTIAL_BINDINGS} is not set: the functions send credentials only where their deployment binds them (the CDK construct sets it)`);
  }
  const secretArnPrefix = process.env[ENV.SECRET_ARN_PREFIX];
  return {
    bindings: parseBindings(raw, ENV.CREDENTIAL_BINDINGS),
    ...(secretArnPrefix ? { secretArnPrefix } : {}),
    unboundCredentials: fleetSource().kind === 'tag' ? 'allow' : 'refuse',
  };
}

/**
 * HTTP tuning from the environment (Lambda configuration), so a deployment can trade latency for
 * patience without a code change: TG_HTTP_TIMEOUT_MS, TG_HTTP_MAX_ATTEMPTS, TG_HTTP_BASE_DELAY_MS.
 */
export function httpTuning(): HttpTuning | undefined {
  const read = (name: string): number | undefined => {
    const raw = process.env[name];
    if (raw === undefined || raw === '') return undefined;
    const value = Number(raw);
    if (!Number.isInteger(value) || value < 0) throw new ValidationError(`${name}: expected a non-negative integer, got a non-numeric value`, name);
    return value;
  };
  const timeoutMs = read(ENV.HTTP_TIMEOUT_MS);
  const maxAttempts = read(ENV.HTTP_MAX_ATTEMPTS);
  const baseDelayMs = read(ENV.HTTP_BASE_DELAY_MS);
  if (timeoutMs === undefined && maxAttempts === undefined && baseDelayMs === undefined) return undefined;
  return {
    ...(timeoutMs !== undefined ? { timeoutMs } : {}),
    ...(maxAttempts !== undefined ? { maxAttempts: Math.max(1, maxAttempts) } : {}),
    ...(baseDelayMs !== undefined ? { baseDelayMs } : {}),
  };
}

export function createLogger(fn: FunctionName): Logger {
  return new Logger({ serviceName: process.env.POWERTOOLS_SERVICE_NAME ?? serviceName(fn) });
}

/** Error fields safe to log: our messages never carry secrets, and no request/response bodies are attached. */
export function errorFields(error: unknown): Record<string, unknown> {
  if (error instanceof Error) {
    return { errorName: error.name, errorMessage: error.message, ...('code' in error && typeof error.code === 'string' ? { errorCode: error.code } : {}) };
  }
  return { errorName: 'Unknown', errorMessage: String(error) };
}
