/**
 * Loads the settings parameter through @middy/ssm (cached per container) and puts the parsed
 * Settings on `context.settings`. @middy/ssm fails the invocation when the parameter does not
 * exist; a missing parameter here means "use the defaults", so that one case is caught.
 */
import type middy from '@middy/core';
import ssm from '@middy/ssm';
import { getInternal } from '@middy/util';
import type { Context } from 'aws-lambda';
import { DEFAULT_SETTINGS_PARAMETER, ENV } from '../../core/names.js';
import { parseSettings, type OperationalSettings } from '../../core/settings.js';

export type ContextWithSettings = Context & { settings: OperationalSettings };

export function settingsMiddleware(options: { cacheExpiryMs?: number } = {}): middy.MiddlewareObj<unknown, unknown, Error, ContextWithSettings> {
  const parameterName = process.env[ENV.SETTINGS_PARAMETER] ?? DEFAULT_SETTINGS_PARAMETER;
  // One fetcher (and SSM client) per endpoint: a local process may start endpoints on new ports
  // (the bench runs one stack per section), and a client keeps the endpoint it was made with.
  // Deployed, the endpoint never changes: one fetcher per container, as before.
  type Fetcher = middy.MiddlewareObj;
  let current: { endpoint: string | undefined; fetcher: Fetcher } | undefined;
  const fetcherFor = (endpoint: string | undefined): Fetcher => {
    if (!current || current.endpoint !== endpoint) {
      current = {
        endpoint,
        fetcher: ssm({
          fetchData: { tgSettings: parameterName },
          cacheKey: `tg-settings:${parameterName}:${endpoint ?? 'default'}`,
          cacheExpiry: options.cacheExpiryMs ?? 5 * 60_000,
          // No fetch at import time: a missing parameter must not become an unhandled rejection.
          disablePrefetch: true,
        }) as Fetcher,
      };
    }
    return current.fetcher;
  };
  return {
    before: async (request) => {
      const fetcher = fetcherFor(process.env.AWS_ENDPOINT_URL_SSM ?? process.env.AWS_ENDPOINT_URL);
      await fetcher.before?.(request as never);
      let value: unknown;
      try {
        value = (await getInternal(['tgSettings'], request as never)).tgSettings;
      } catch (e) {
        if (!isMissingParameter(e, parameterName)) throw e;
        value = undefined;
      }
      request.context.settings = parseSettings(value, parameterName);
    },
  };
}

function isMissingParameter(error: unknown, name: string): boolean {
  const causes = ((error as { cause?: { data?: unknown[] } }).cause?.data ?? []) as Array<{ message?: string; name?: string }>;
  return causes.some((c) => c?.message === `InvalidParameter ${name}` || c?.name === 'ParameterNotFound');
}
