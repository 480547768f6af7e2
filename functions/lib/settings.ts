/**
 * Loads the settings parameter (cached per container) and puts the parsed Settings on
 * `context.settings`. A missing parameter means "use the defaults". With `when`, only for the
 * events it accepts (the others get no `context.settings` and no SSM read).
 *
 * The read is one signed GetParameter on the Secrets Manager client's stack (ssm-parameter.ts),
 * not @middy/ssm and @aws-sdk/client-ssm: that client was 79 kB of each bundle for this one call
 * (signed-request.ts has the numbers).
 */
import type middy from '@middy/core';
import type { Context } from 'aws-lambda';
import { DEFAULT_SETTINGS_PARAMETER, ENV } from '../../core/names.js';
import { parseSettings, type OperationalSettings } from '../../core/settings.js';
import { secretsManagerClient } from './runtime.js';
import { configuredEndpoint, type RetryOptions } from './signed-request.js';
import { getParameterValue } from './ssm-parameter.js';

export type ContextWithSettings = Context & { settings: OperationalSettings };

/** The context of a handler that loads the settings only for some events (settingsMiddleware's `when`). */
export type ContextWithOptionalSettings = Context & { settings?: OperationalSettings };

/** How long a container keeps the settings it read before reading them again. */
export const SETTINGS_CACHE_MS = 5 * 60_000;

/**
 * The container's settings, by endpoint and parameter name, shared by every handler in the process
 * (as @middy/ssm's cache was). Keyed by endpoint: a local process may start endpoints on new ports
 * (the bench runs one stack per section); deployed, there is one entry. A missing parameter or a
 * failed read is not cached, as before: a parameter created later takes effect on the next call.
 */
const cache = new Map<string, { value: string; expiresAt: number }>();

/** Forgets the cached settings: the next invocation reads the parameter (tests, local runs: a cold container). */
export function clearSettingsCache(): void {
  cache.clear();
}

export function settingsMiddleware<C extends ContextWithOptionalSettings = ContextWithSettings>(
  options: { cacheExpiryMs?: number; when?: (event: unknown) => boolean; retry?: RetryOptions; now?: () => number } = {},
): middy.MiddlewareObj<unknown, unknown, Error, C> {
  const parameterName = process.env[ENV.SETTINGS_PARAMETER] ?? DEFAULT_SETTINGS_PARAMETER;
  const cacheMs = options.cacheExpiryMs ?? SETTINGS_CACHE_MS;
  const now = options.now ?? Date.now;
  const load = async (): Promise<string | undefined> => {
    const key = `${configuredEndpoint('ssm') ?? 'default'}|${parameterName}`;
    const hit = cache.get(key);
    if (hit && now() < hit.expiresAt) return hit.value;
    const value = await getParameterValue(secretsManagerClient(), parameterName, options.retry);
    if (value === undefined) cache.delete(key);
    else cache.set(key, { value, expiresAt: now() + cacheMs });
    return value;
  };
  return {
    before: async (request) => {
      if (options.when && !options.when(request.event)) return;
      (request.context as ContextWithOptionalSettings).settings = parseSettings(await load(), parameterName);
    },
  };
}
