import { describe, expect, it } from 'vitest';
import { parseRotationEvent } from '../../functions/rotation/handler.js';
import { ValidationError } from '../../core/errors.js';

describe('rotation event validation', () => {
  it('accepts the Secrets Manager event shape', () => {
    expect(parseRotationEvent({ SecretId: 's', ClientRequestToken: 't', Step: 'createSecret', RotationToken: 'r' })).toEqual({
      secretId: 's',
      clientRequestToken: 't',
      step: 'createSecret',
      rotationToken: 'r',
    });
  });
  it.each([
    [{ ClientRequestToken: 't', Step: 'createSecret' }, 'SecretId'],
    [{ SecretId: 's', Step: 'createSecret' }, 'ClientRequestToken'],
    [{ SecretId: 's', ClientRequestToken: 't', Step: 'rotate' }, 'Step'],
    [{ SecretId: '', ClientRequestToken: 't', Step: 'testSecret' }, 'SecretId'],
  ])('names the bad field %#', (event, field) => {
    const err = (() => {
      try {
        parseRotationEvent(event);
      } catch (e) {
        return e;
      }
    })();
    expect(err).toBeInstanceOf(ValidationError);
    expect((err as Error).message).toContain(field);
  });
  it('rejects a non-object event', () => {
    expect(() => parseRotationEvent('createSecret')).toThrow(/rotation event is invalid/);
  });
});
