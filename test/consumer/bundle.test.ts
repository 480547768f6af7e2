/**
 * The consumer's bundle: examples/consumer-lambda built with the deployed functions' esbuild
 * settings (infra/bundling.ts). Sizes are printed, not asserted; what is asserted is what must
 * not be in it: no provider client (token endpoints, credential handling), no HTTP transport, no
 * zod, no Powertools; from core only the pure tables the consumer reads (names, the host check,
 * the providers' edges).
 */
import { describe, expect, it } from 'vitest';
import { bundleConsumerLambda, byGroup } from '../../examples/consumer-lambda/bundle.js';

describe('consumer bundle (examples/consumer-lambda)', () => {
  it('holds no provider client, transport or zod, with the AWS SDK bundled or left to the runtime', { timeout: 60_000 }, async () => {
    const [bundled, external] = await Promise.all([bundleConsumerLambda({ externalSdk: false }), bundleConsumerLambda({ externalSdk: true })]);
    console.log(
      `consumer-lambda bundle: ${bundled.bytes} bytes minified (${bundled.gzipBytes} gzipped) with the AWS SDK client; ` +
        `${external.bytes} bytes (${external.gzipBytes} gzipped) with @aws-sdk/* left to the nodejs22.x runtime`,
    );
    console.log('without the SDK, by source:', byGroup(external.inputs));
    for (const report of [bundled, external]) {
      // Provider clients: the token endpoints and how they authenticate.
      for (const marker of ['requesttoken', '/gsql/v1/tokens', 'apiAccessTokens', 'tokens:refresh', 'X-API-Key', '__GSQL__secret']) {
        expect(report.text, marker).not.toContain(marker);
      }
      const paths = report.inputs.map((i) => i.path);
      // From core, only the pure tables: names, the host check, and the providers' edges.
      expect(paths.filter((p) => p.startsWith('core/') && !/^core\/(names\.ts|http\/origins\.ts|providers\/(edges?\.ts|[^/]+\/edge\.ts))$/.test(p))).toEqual([]);
      expect(paths.filter((p) => /node_modules\/(zod|@aws-lambda-powertools|undici)\//.test(p))).toEqual([]);
      expect(paths).toContain('consumer/source.ts');
      expect(paths).toContain('core/providers/tigergraph/edge.ts');
    }
    expect(external.inputs.some((i) => i.path.includes('@aws-sdk/'))).toBe(false);
    expect(bundled.inputs.some((i) => i.path.includes('@aws-sdk/client-secrets-manager'))).toBe(true);
    expect(external.bytes).toBeLessThan(bundled.bytes);
  });
});
