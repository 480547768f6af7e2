/**
 * The fourth provider at the edges, with no change to infra/ or consumer/: the consumer library reads
 * its token secrets and refusals from its edge, and the deployment (JSON config and construct) takes
 * its connection field, fills in its defaults and opens its port. The functions' side runs in the
 * conformance suite (test/conformance/providers.test.ts).
 */
import { App, Stack } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import { beforeAll, describe, expect, it } from 'vitest';
import { isAuthRefusal, isAuthRefusalError, tokenInfoFromSecret, TokenRefusedError } from '../../consumer/index.js';
import { registerProvider } from '../../core/providers/registry.js';
import { parseConfig } from '../../infra/config.js';
import { TokenRotation, type ConnectionProps } from '../../infra/construct.js';
import { FOURTH_DEFAULT_LIFETIME_SECONDS, fourth, registerFourthProvider } from './index.js';

beforeAll(() => registerFourthProvider());

describe('the fourth provider in the consumer library', () => {
  const secret = (fields: Record<string, unknown>) =>
    tokenInfoFromSecret({ secretId: 's', versionId: 'v', secretString: JSON.stringify({ provider: 'fourth', host: 'https://api.fourth.example:8443', token: 't0ken', ...fields }), allowInsecureHttp: false });

  it('calls <host>/api, and takes 401 (not 403) for a refusal', async () => {
    expect(secret({}).baseUrl).toBe('https://api.fourth.example:8443/api');
    expect(secret({}).provider).toBe('fourth');
    expect(await isAuthRefusal(new Response(null, { status: 401 }), 'fourth' as never)).toBe(true);
    expect(await isAuthRefusal(new Response(null, { status: 403 }), 'fourth' as never)).toBe(false);
    expect(isAuthRefusalError({ status: 401 }, 'fourth' as never)).toBe(true);
    const refused = new TokenRefusedError({ secretId: 's', provider: 'fourth' as never, versionId: 'v', sameVersion: true, baseUrl: 'https://api.fourth.example:8443/api' });
    expect(refused.message).toContain('that https://api.fourth.example:8443/api is the fourth API the token was minted for');
  });
});

describe('the fourth provider in the deployment', () => {
  it("takes its field, fills in its defaults, and refuses its field on another provider's connection", () => {
    const config = parseConfig({ connections: [{ name: 'f', provider: 'fourth', host: 'https://api.fourth.example' }] });
    expect(config.connections[0]).toMatchObject({ provider: 'fourth', realm: 'main', lifetimeSeconds: FOURTH_DEFAULT_LIFETIME_SECONDS });
    expect(() => parseConfig({ connections: [{ name: 'tg', host: 'https://tg.example.com', realm: 'x' }] })).toThrow('connections[0].realm: only for provider "fourth"');
    expect(() => parseConfig({ connections: [{ name: 'f', provider: 'fourth', host: 'https://api.fourth.example', realm: '' }] })).toThrow('connections[0].realm: expected a non-empty string');
  });

  it("the construct writes its token secret's fields and opens its port", () => {
    const stack = new Stack(new App({ context: { 'aws:cdk:bundling-stacks': [] } }), 'S');
    const vpc = new ec2.Vpc(stack, 'V', { maxAzs: 1, natGateways: 0 });
    const connection = { name: 'f', provider: 'fourth', host: 'https://api.fourth.example:8443', realm: 'lab' } as unknown as ConnectionProps;
    const rotation = new TokenRotation(stack, 'R', { connections: [connection], vpc });
    const template = Template.fromStack(stack);
    const written = { provider: 'fourth', host: 'https://api.fourth.example:8443', realm: 'lab', lifetimeSeconds: FOURTH_DEFAULT_LIFETIME_SECONDS, credentialSecretId: rotation.connections[0]!.credentialSecret.secretArn };
    template.hasResourceProperties('Custom::TokenSecretSettings', Match.objectLike({ Settings: stack.resolve(stack.toJsonString(written)) }));
    const egress = Object.values(template.findResources('AWS::EC2::SecurityGroup')).flatMap((r) => (r as { Properties: { SecurityGroupEgress?: Array<{ FromPort: number }> } }).Properties.SecurityGroupEgress ?? []);
    expect(egress.map((e) => e.FromPort).sort()).toEqual([443, 8443]);
  });

  it('is registered once', () => {
    expect(() => registerProvider(fourth)).toThrow('provider "fourth" is registered already');
  });
});
