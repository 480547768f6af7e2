/**
 * The local CloudFormation (local/aws/cloudformation.ts) through the real SDK client and raw HTTP:
 * DescribeStackResource over the Query protocol (answers and CloudFormation's error codes), the
 * events a custom resource is sent, and the answer PUT: the status it moves, and the PUTs S3 would
 * refuse (a URL it did not sign, a Content-Type the signature does not cover).
 */
import { CloudFormationClient, DescribeStackResourceCommand } from '@aws-sdk/client-cloudformation';
import { afterEach, describe, expect, it } from 'vitest';
import { CUSTOM_RESOURCE_ANSWER, startLocalAws, type LocalAws } from '../../../local/aws/index.js';
import { rejectionOf } from './test-support.js';

let aws: LocalAws | undefined;
let client: CloudFormationClient | undefined;
afterEach(async () => {
  client?.destroy();
  await aws?.close();
  aws = undefined;
  client = undefined;
});

async function start(): Promise<{ aws: LocalAws; client: CloudFormationClient }> {
  aws = await startLocalAws();
  client = new CloudFormationClient({ endpoint: aws.url, region: 'us-east-1', credentials: { accessKeyId: 'a', secretAccessKey: 'b' }, maxAttempts: 1 });
  return { aws, client };
}

/** PUT `body` to the local endpoint at the path and query of `answerUrl`, as the function's local redirect does. */
async function put(local: LocalAws, answerUrl: string, body: unknown, headers: Record<string, string> = {}): Promise<number> {
  const url = new URL(answerUrl);
  // Bytes, not a string: fetch would add a text/plain Content-Type to a string body.
  const res = await fetch(new URL(`${url.pathname}${url.search}`, local.url), { method: 'PUT', headers, body: new TextEncoder().encode(JSON.stringify(body)) });
  await res.arrayBuffer();
  return res.status;
}

describe('local CloudFormation', () => {
  it('DescribeStackResource answers from the registry, by stack id or name', async () => {
    const { aws, client } = await start();
    const stackId = aws.cloudFormation.createStack('app');
    expect(stackId).toMatch(/^arn:aws:cloudformation:us-east-1:000000000000:stack\/app\/[0-9a-f-]{36}$/);
    aws.cloudFormation.setResource(stackId, 'Settings', { resourceType: 'Custom::TokenSecretSettings', resourceStatus: 'UPDATE_IN_PROGRESS', physicalResourceId: 'arn:p<&>' });
    for (const name of [stackId, 'app']) {
      const out = await client.send(new DescribeStackResourceCommand({ StackName: name, LogicalResourceId: 'Settings' }));
      expect(out.StackResourceDetail).toMatchObject({
        StackId: stackId,
        StackName: 'app',
        LogicalResourceId: 'Settings',
        PhysicalResourceId: 'arn:p<&>',
        ResourceType: 'Custom::TokenSecretSettings',
        ResourceStatus: 'UPDATE_IN_PROGRESS',
      });
      expect(out.StackResourceDetail?.LastUpdatedTimestamp).toBeInstanceOf(Date);
    }
    expect(aws.countCalls('DescribeStackResource', 'cloudformation')).toBe(2);
  });

  it('answers an unknown stack or resource with ValidationError, in CloudFormation’s words', async () => {
    const { aws, client } = await start();
    const stackId = aws.cloudFormation.createStack('app');
    const noStack = await rejectionOf(client.send(new DescribeStackResourceCommand({ StackName: 'other', LogicalResourceId: 'X' })));
    expect(noStack).toMatchObject({ name: 'ValidationError', message: 'Stack with id other does not exist', $metadata: { httpStatusCode: 400 } });
    const noResource = await rejectionOf(client.send(new DescribeStackResourceCommand({ StackName: stackId, LogicalResourceId: 'X' })));
    expect(noResource).toMatchObject({ name: 'ValidationError', message: 'Resource X does not exist for stack app' });
    const res = await fetch(aws.url, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: 'Action=CreateStack&Version=2010-05-15' });
    expect(res.status).toBe(400);
    expect(await res.text()).toContain('<Code>InvalidAction</Code>');
  });

  it('takes injected faults like the other services', async () => {
    const { aws, client } = await start();
    const stackId = aws.cloudFormation.createStack('app');
    aws.cloudFormation.setResource(stackId, 'R', { resourceType: 'Custom::X', resourceStatus: 'CREATE_COMPLETE' });
    aws.setFaults({ failNext: { operation: 'DescribeStackResource', errorType: 'Throttling', count: 1 } });
    expect(await rejectionOf(client.send(new DescribeStackResourceCommand({ StackName: stackId, LogicalResourceId: 'R' })))).toMatchObject({ name: 'Throttling' });
    expect((await client.send(new DescribeStackResourceCommand({ StackName: stackId, LogicalResourceId: 'R' }))).StackResourceDetail?.ResourceStatus).toBe('CREATE_COMPLETE');
  });

  it('sends a custom resource the events of a deploy, and moves its status on the first answer', async () => {
    const { aws } = await start();
    const stackId = aws.cloudFormation.createStack('app');
    aws.cloudFormation.setResource(stackId, 'Settings', { resourceType: 'Custom::TokenSecretSettings', resourceStatus: 'CREATE_IN_PROGRESS' });
    const create = aws.cloudFormation.request(stackId, 'Settings', 'Create', { ServiceToken: 'arn:fn', SecretId: 's' });
    expect(create).toMatchObject({ RequestType: 'Create', ServiceToken: 'arn:fn', StackId: stackId, LogicalResourceId: 'Settings', ResourceType: 'Custom::TokenSecretSettings' });
    expect(create).not.toHaveProperty('PhysicalResourceId');
    expect(create.ResponseURL).toMatch(/^https:\/\/cloudformation-custom-resource-response-useast1\.s3\.us-east-1\.amazonaws\.com\/arn%3Aaws%3Acloudformation.*%7CSettings%7C.*\?X-Amz-Algorithm=/);
    expect(await put(aws, create.ResponseURL, { Status: 'SUCCESS', PhysicalResourceId: 'phys-1', StackId: stackId, RequestId: create.RequestId, LogicalResourceId: 'Settings' })).toBe(200);
    expect(aws.cloudFormation.inspectResource(stackId, 'Settings')).toMatchObject({ resourceStatus: 'CREATE_COMPLETE', physicalResourceId: 'phys-1' });
    // A second answer to the same request is kept but changes nothing.
    expect(await put(aws, create.ResponseURL, { Status: 'FAILED', PhysicalResourceId: 'phys-2' })).toBe(200);
    expect(aws.cloudFormation.inspectResource(stackId, 'Settings')).toMatchObject({ resourceStatus: 'CREATE_COMPLETE', physicalResourceId: 'phys-1' });
    expect(aws.cloudFormation.answers().map((a) => a.first)).toEqual([true, false]);

    const update = aws.cloudFormation.request(stackId, 'Settings', 'Update', { SecretId: 's2' }, { SecretId: 's' });
    expect(update).toMatchObject({ RequestType: 'Update', PhysicalResourceId: 'phys-1', ResourceProperties: { SecretId: 's2' }, OldResourceProperties: { SecretId: 's' } });
    expect(aws.cloudFormation.inspectResource(stackId, 'Settings')?.resourceStatus).toBe('UPDATE_IN_PROGRESS');
    expect(await put(aws, update.ResponseURL, { Status: 'FAILED', PhysicalResourceId: 'phys-1' })).toBe(200);
    expect(aws.cloudFormation.inspectResource(stackId, 'Settings')?.resourceStatus).toBe('UPDATE_FAILED');

    const del = aws.cloudFormation.request(stackId, 'Settings', 'Delete', {});
    expect(del).toMatchObject({ RequestType: 'Delete', PhysicalResourceId: 'phys-1' });
    expect(await put(aws, del.ResponseURL, { Status: 'SUCCESS', PhysicalResourceId: 'phys-1' })).toBe(200);
    expect(aws.cloudFormation.inspectResource(stackId, 'Settings')?.resourceStatus).toBe('DELETE_COMPLETE');
    expect(aws.countCalls(CUSTOM_RESOURCE_ANSWER, 'cloudformation')).toBe(4);
  });

  it('refuses answers S3 would refuse: a URL it did not hand out, a Content-Type the signature does not cover', async () => {
    const { aws } = await start();
    const stackId = aws.cloudFormation.createStack('app');
    aws.cloudFormation.setResource(stackId, 'Settings', { resourceType: 'Custom::TokenSecretSettings', resourceStatus: 'CREATE_IN_PROGRESS' });
    const create = aws.cloudFormation.request(stackId, 'Settings', 'Create', {});
    const forged = create.ResponseURL.replace(encodeURIComponent(create.RequestId), 'another-request');
    expect(await put(aws, forged, { Status: 'SUCCESS', PhysicalResourceId: 'x' })).toBe(403);
    expect(await put(aws, create.ResponseURL, { Status: 'SUCCESS', PhysicalResourceId: 'x' }, { 'content-type': 'application/json' })).toBe(403);
    expect(aws.cloudFormation.answers()).toEqual([]);
    expect(aws.cloudFormation.inspectResource(stackId, 'Settings')?.resourceStatus).toBe('CREATE_IN_PROGRESS');
  });
});
