/**
 * The custom resource's checks on what it is sent, without a server: which answer URLs it sends
 * to (only CloudFormation's bucket in the stack's region; the local redirect only in a local run),
 * its own stack from the environment, the event's shape, and what CloudFormation must report for
 * an event to be acted on.
 */
import { describe, expect, it } from 'vitest';
import { ValidationError } from '../../core/errors.js';
import { ENV, TOKEN_SECRET_SETTINGS_TYPE } from '../../core/names.js';
import { confirmEvent, ownStack, RefusedEventError, type ResourceState } from '../../functions/connection-settings/confirm.js';
import { parseEvent } from '../../functions/connection-settings/event.js';
import { answerTarget, checkResponseUrl, type CustomResourceEvent } from '../../functions/lib/cfn-response.js';

function thrown(fn: () => unknown): unknown {
  try {
    fn();
  } catch (e) {
    return e;
  }
  throw new Error('expected a throw');
}

describe('the answer URL', () => {
  it.each([
    ['us-east-1', 'https://cloudformation-custom-resource-response-useast1.s3.amazonaws.com/arn%3Aaws%3Acloudformation%7CR%7Cid?X-Amz-Signature=a'],
    ['us-east-1', 'https://cloudformation-custom-resource-response-useast1.s3.us-east-1.amazonaws.com/key?AWSAccessKeyId=A&Expires=1&Signature=s'],
    ['eu-west-1', 'https://cloudformation-custom-resource-response-euwest1.s3-eu-west-1.amazonaws.com/key'],
    ['cn-north-1', 'https://cloudformation-custom-resource-response-cnnorth1.s3.cn-north-1.amazonaws.com.cn/key'],
    ['us-gov-west-1', 'https://cloudformation-custom-resource-response-usgovwest1.s3.us-gov-west-1.amazonaws.com/key'],
  ])('accepts CloudFormation’s bucket in %s: %s', (region, url) => {
    expect(checkResponseUrl(url, region).href).toBe(new URL(url).href);
  });

  it.each([
    ['http', 'http://cloudformation-custom-resource-response-useast1.s3.amazonaws.com/key'],
    ['loopback', 'https://127.0.0.1:8443/answer'],
    ['plain http on loopback', 'http://127.0.0.1:9000/answer?X-Amz-Signature=x'],
    ['another region’s bucket', 'https://cloudformation-custom-resource-response-euwest1.s3.eu-west-1.amazonaws.com/key'],
    ['a region mismatch in the host', 'https://cloudformation-custom-resource-response-useast1.s3.eu-west-1.amazonaws.com/key'],
    ['a look-alike suffix', 'https://cloudformation-custom-resource-response-useast1.s3.amazonaws.com.attacker.example/key'],
    ['a look-alike prefix', 'https://evil-cloudformation-custom-resource-response-useast1.s3.amazonaws.com/key'],
    ['another bucket', 'https://attacker.s3.amazonaws.com/key'],
    ['a port', 'https://cloudformation-custom-resource-response-useast1.s3.amazonaws.com:8443/key'],
    ['user info', 'https://u:p@cloudformation-custom-resource-response-useast1.s3.amazonaws.com/key'],
    ['China suffix outside China', 'https://cloudformation-custom-resource-response-useast1.s3.us-east-1.amazonaws.com.cn/key'],
    ['not a URL', 'cloudformation-custom-resource-response-useast1.s3.amazonaws.com/key'],
  ])('refuses %s, naming the origin but never the signed query', (_what, url) => {
    const error = thrown(() => checkResponseUrl(url, 'us-east-1'));
    expect(error).toBeInstanceOf(ValidationError);
    expect((error as ValidationError).field).toBe('ResponseURL');
    expect((error as Error).message).not.toMatch(/Signature|X-Amz|\/key|\/answer/);
  });

  it('goes to the local endpoint instead only in a local run that names one', () => {
    const checked = checkResponseUrl('https://cloudformation-custom-resource-response-useast1.s3.amazonaws.com/a%7Cb?X-Amz-Signature=s', 'us-east-1');
    const local = 'http://127.0.0.1:4566';
    expect(answerTarget(checked, { [ENV.LOCAL_RUN]: 'true', [ENV.LOCAL_CFN_RESPONSE_ENDPOINT]: local }).href).toBe(`${local}/a%7Cb?X-Amz-Signature=s`);
    expect(answerTarget(checked, { [ENV.LOCAL_CFN_RESPONSE_ENDPOINT]: local })).toBe(checked);
    expect(answerTarget(checked, { [ENV.LOCAL_RUN]: 'false', [ENV.LOCAL_CFN_RESPONSE_ENDPOINT]: local })).toBe(checked);
    expect(answerTarget(checked, { [ENV.LOCAL_RUN]: 'true' })).toBe(checked);
  });
});

describe('the function’s own stack', () => {
  it('is the stack ARN in TG_STACK_ID, with its region', () => {
    const stackId = 'arn:aws:cloudformation:eu-west-1:123456789012:stack/App/0f1e2d3c-aaaa-bbbb-cccc-000000000000';
    expect(ownStack({ [ENV.STACK_ID]: stackId })).toEqual({ stackId, region: 'eu-west-1' });
    expect(ownStack({ [ENV.STACK_ID]: stackId.replace(':aws:', ':aws-cn:').replace('eu-west-1', 'cn-north-1') }).region).toBe('cn-north-1');
  });

  it.each([[undefined], [''], ['App'], ['arn:aws:lambda:us-east-1:123456789012:function:f']])('refuses every event without a stack ARN (%s)', (value) => {
    const error = thrown(() => ownStack(value === undefined ? {} : { [ENV.STACK_ID]: value }));
    expect(error).toBeInstanceOf(ValidationError);
    expect((error as ValidationError).field).toBe(ENV.STACK_ID);
  });
});

describe('the event’s shape', () => {
  const good = {
    RequestType: 'Update',
    ResponseURL: 'https://x',
    StackId: 's',
    RequestId: 'r',
    LogicalResourceId: 'L',
    ResourceType: TOKEN_SECRET_SETTINGS_TYPE,
    PhysicalResourceId: 'p',
    ResourceProperties: {},
  };
  it('accepts what CloudFormation sends', () => {
    expect(parseEvent(good)).toBe(good);
    const { PhysicalResourceId: _none, ...create } = { ...good, RequestType: 'Create' };
    expect(parseEvent(create)).toEqual(create);
  });
  it.each([
    [{ ...good, RequestType: 'Rotate' }, 'RequestType'],
    [{ ...good, StackId: 7 }, 'StackId'],
    [{ ...good, ResponseURL: '' }, 'ResponseURL'],
    [{ ...good, LogicalResourceId: undefined }, 'LogicalResourceId'],
    [{ ...good, PhysicalResourceId: undefined }, 'PhysicalResourceId'],
    [{ ...good, ResourceProperties: 'x' }, 'ResourceProperties'],
    [{ ...good, OldResourceProperties: [] }, 'OldResourceProperties'],
    ['not an event', 'event'],
  ])('names the first bad field (%#)', (event, field) => {
    const error = thrown(() => parseEvent(event));
    expect(error).toBeInstanceOf(ValidationError);
    expect((error as ValidationError).field).toBe(field);
  });
});

describe('confirming an event with CloudFormation', () => {
  const stack = { stackId: 'arn:aws:cloudformation:us-east-1:000000000000:stack/App/1', region: 'us-east-1' };
  const event = (fields: Partial<CustomResourceEvent> = {}): CustomResourceEvent => ({
    RequestType: 'Update',
    ResponseURL: 'https://x',
    StackId: stack.stackId,
    RequestId: 'r',
    LogicalResourceId: 'Settings',
    ResourceType: TOKEN_SECRET_SETTINGS_TYPE,
    PhysicalResourceId: 'arn:secret',
    ResourceProperties: {},
    ...fields,
  });
  const reports = (state: ResourceState | undefined | Error) => {
    const asked: string[] = [];
    const describe = async (stackId: string, logicalId: string) => {
      asked.push(`${stackId} ${logicalId}`);
      if (state instanceof Error) throw state;
      return state;
    };
    return { asked, describe };
  };
  const inProgress = (status: string, physicalId?: string): ResourceState => ({ status, resourceType: TOKEN_SECRET_SETTINGS_TYPE, ...(physicalId ? { physicalId } : {}) });

  it('confirms each request type in its own *_IN_PROGRESS state, asking about this stack and logical id', async () => {
    const cfn = reports(inProgress('UPDATE_IN_PROGRESS', 'arn:secret'));
    expect(await confirmEvent(event(), stack, cfn.describe)).toBe('confirmed');
    expect(cfn.asked).toEqual([`${stack.stackId} Settings`]);
    expect(await confirmEvent(event({ RequestType: 'Create', PhysicalResourceId: undefined }), stack, reports(inProgress('CREATE_IN_PROGRESS')).describe)).toBe('confirmed');
    expect(await confirmEvent(event({ RequestType: 'Delete' }), stack, reports(inProgress('DELETE_IN_PROGRESS', 'arn:secret')).describe)).toBe('confirmed');
    // A rollback's requests, should CloudFormation report the resource in a rollback state.
    expect(await confirmEvent(event(), stack, reports(inProgress('UPDATE_ROLLBACK_IN_PROGRESS', 'arn:secret')).describe)).toBe('confirmed');
    expect(await confirmEvent(event({ RequestType: 'Delete' }), stack, reports(inProgress('ROLLBACK_IN_PROGRESS', 'arn:secret')).describe)).toBe('confirmed');
  });

  it('a Delete for a physical id the resource no longer has is a replaced resource’s clean-up', async () => {
    expect(await confirmEvent(event({ RequestType: 'Delete', PhysicalResourceId: 'arn:old' }), stack, reports(inProgress('UPDATE_COMPLETE', 'arn:new')).describe)).toBe('replaced');
  });

  it.each([
    ['another stack', event({ StackId: 'arn:aws:cloudformation:us-east-1:000000000000:stack/Other/2' }), inProgress('UPDATE_IN_PROGRESS', 'arn:secret'), 'StackId'],
    ['another resource type in the event', event({ ResourceType: 'Custom::Other' }), inProgress('UPDATE_IN_PROGRESS', 'arn:secret'), 'ResourceType'],
    ['another resource type at CloudFormation', event(), { status: 'UPDATE_IN_PROGRESS', resourceType: 'AWS::Lambda::Function', physicalId: 'arn:secret' }, 'LogicalResourceId'],
    ['no such resource', event(), undefined, 'LogicalResourceId'],
    ['CloudFormation unreachable', event(), new Error('socket hang up'), 'LogicalResourceId'],
    ['an Update while nothing is deploying', event(), inProgress('UPDATE_COMPLETE', 'arn:secret'), 'RequestType'],
    ['an Update during a Delete', event(), inProgress('DELETE_IN_PROGRESS', 'arn:secret'), 'RequestType'],
    ['an Update during a failed create’s rollback', event(), inProgress('ROLLBACK_IN_PROGRESS', 'arn:secret'), 'RequestType'],
    ['a Create of a created resource', event({ RequestType: 'Create', PhysicalResourceId: undefined }), inProgress('CREATE_COMPLETE', 'arn:secret'), 'RequestType'],
    ['a Delete of the live resource', event({ RequestType: 'Delete' }), inProgress('UPDATE_COMPLETE', 'arn:secret'), 'RequestType'],
    ['an Update of another physical id', event({ PhysicalResourceId: 'arn:other' }), inProgress('UPDATE_IN_PROGRESS', 'arn:secret'), 'PhysicalResourceId'],
  ])('refuses %s, naming the field', async (_what, e, state, field) => {
    const cfn = reports(state);
    const error = await confirmEvent(e, stack, cfn.describe).catch((x: unknown) => x);
    expect(error).toBeInstanceOf(RefusedEventError);
    expect((error as RefusedEventError).field).toBe(field);
    expect((error as Error).message).toMatch(/^event refused, nothing was done: /);
    // The stack check comes first: another stack's event is not even asked about.
    if (field === 'StackId' || field === 'ResourceType') expect(cfn.asked).toEqual([]);
  });
});
