/**
 * settingsMiddleware (functions/lib/settings.ts) against the local endpoint: the parsed settings on
 * the context, the per-container cache and its expiry, a missing parameter as the defaults (and
 * not cached), and `when`.
 */
import { afterAll, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { DeleteParameterCommand, PutParameterCommand, SSMClient } from '@aws-sdk/client-ssm';
import { startLocalAws, type LocalAws } from '../../local/aws/index.js';
import { DEFAULT_SETTINGS_PARAMETER } from '../../core/names.js';
import { DEFAULT_SETTINGS } from '../../core/settings.js';
import { clearSettingsCache, settingsMiddleware, type ContextWithOptionalSettings } from '../../functions/lib/settings.js';

const credentials = { accessKeyId: 'local', secretAccessKey: 'local' };
let aws: LocalAws;
let ssm: SSMClient;

beforeAll(async () => {
  aws = await startLocalAws();
  vi.stubEnv('AWS_ENDPOINT_URL', aws.url);
  vi.stubEnv('AWS_ENDPOINT_URL_SSM', aws.url);
  vi.stubEnv('AWS_REGION', 'us-east-1');
  vi.stubEnv('AWS_ACCESS_KEY_ID', credentials.accessKeyId);
  vi.stubEnv('AWS_SECRET_ACCESS_KEY', credentials.secretAccessKey);
  ssm = new SSMClient({ endpoint: aws.url, region: 'us-east-1', credentials });
});
afterAll(async () => {
  ssm.destroy();
  vi.unstubAllEnvs();
  await aws.close();
});
beforeEach(async () => {
  clearSettingsCache();
  await ssm.send(new DeleteParameterCommand({ Name: DEFAULT_SETTINGS_PARAMETER })).catch(() => undefined);
  aws.resetRequestLog();
});

const reads = (): number => aws.requestLog.filter((e) => e.service === 'ssm' && e.operation === 'GetParameter').length;
const put = (value: object) => ssm.send(new PutParameterCommand({ Name: DEFAULT_SETTINGS_PARAMETER, Type: 'String', Overwrite: true, Value: JSON.stringify(value) }));

async function run(middleware: ReturnType<typeof settingsMiddleware<ContextWithOptionalSettings>>, event: unknown = {}): Promise<ContextWithOptionalSettings> {
  const context = {} as ContextWithOptionalSettings;
  await middleware.before?.({ event, context, response: undefined, error: undefined, internal: {} } as never);
  return context;
}

describe('settingsMiddleware', () => {
  it('puts the parameter on the context and reads it once until the cache expires', async () => {
    await put({ concurrency: 7 });
    aws.resetRequestLog();
    let now = 1_000_000;
    const middleware = settingsMiddleware<ContextWithOptionalSettings>({ cacheExpiryMs: 60_000, now: () => now });
    expect((await run(middleware)).settings?.concurrency).toBe(7);
    await put({ concurrency: 9 });
    now += 59_999;
    expect((await run(middleware)).settings?.concurrency).toBe(7);
    now += 1;
    expect((await run(middleware)).settings?.concurrency).toBe(9);
    expect(reads()).toBe(2);
  });

  it('uses the defaults for a missing parameter and reads again next time (a parameter created later applies)', async () => {
    const middleware = settingsMiddleware<ContextWithOptionalSettings>();
    expect((await run(middleware)).settings).toEqual(DEFAULT_SETTINGS);
    await put({ concurrency: 4 });
    expect((await run(middleware)).settings?.concurrency).toBe(4);
  });

  it('reads nothing for the events `when` refuses', async () => {
    const middleware = settingsMiddleware<ContextWithOptionalSettings>({ when: (e) => (e as { use?: boolean }).use === true });
    expect((await run(middleware, { use: false })).settings).toBeUndefined();
    expect(reads()).toBe(0);
    expect((await run(middleware, { use: true })).settings).toEqual(DEFAULT_SETTINGS);
    expect(reads()).toBe(1);
  });

  it('fails the invocation with the service, operation and code when the read fails', async () => {
    aws.setFaults({ failNext: { operation: 'GetParameter', errorType: 'AccessDeniedException', count: 1 } });
    await expect(run(settingsMiddleware<ContextWithOptionalSettings>())).rejects.toThrow('ssm GetParameter failed: HTTP 400 AccessDeniedException');
  });
});
