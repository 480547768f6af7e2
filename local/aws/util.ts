/** Small helpers shared by the local Secrets Manager and SSM: input reading, dates, ids, paging. */
import { randomBytes, randomUUID } from 'node:crypto';
import { AwsServiceError, validation } from './errors.js';

/** A decoded JSON 1.1 request body. */
export type JsonObject = Record<string, unknown>;

/**
 * Typed access to a request body. A field of the wrong JSON type fails the way the service fails a
 * request that does not match its model (`SerializationException`); a missing required field is a
 * `ValidationException`, as AWS reports it.
 */
export class Input {
  constructor(private readonly body: JsonObject) {}

  has(field: string): boolean {
    return this.body[field] !== undefined && this.body[field] !== null;
  }

  optString(field: string): string | undefined {
    const value = this.body[field];
    if (value === undefined || value === null) return undefined;
    if (typeof value !== 'string') throw wrongType(field, 'string');
    return value;
  }

  string(field: string): string {
    const value = this.optString(field);
    if (value === undefined) throw missing(field);
    return value;
  }

  optBoolean(field: string): boolean | undefined {
    const value = this.body[field];
    if (value === undefined || value === null) return undefined;
    if (typeof value !== 'boolean') throw wrongType(field, 'boolean');
    return value;
  }

  optNumber(field: string): number | undefined {
    const value = this.body[field];
    if (value === undefined || value === null) return undefined;
    if (typeof value !== 'number' || !Number.isFinite(value)) throw wrongType(field, 'number');
    return value;
  }

  optStringList(field: string): string[] | undefined {
    const value = this.body[field];
    if (value === undefined || value === null) return undefined;
    if (!Array.isArray(value) || value.some((v) => typeof v !== 'string')) {
      throw wrongType(field, 'list of strings');
    }
    return value as string[];
  }

  optObject(field: string): Input | undefined {
    const value = this.body[field];
    if (value === undefined || value === null) return undefined;
    if (!isObject(value)) throw wrongType(field, 'structure');
    return new Input(value);
  }

  optObjectList(field: string): Input[] | undefined {
    const value = this.body[field];
    if (value === undefined || value === null) return undefined;
    if (!Array.isArray(value) || !value.every(isObject)) throw wrongType(field, 'list of structures');
    return value.map((v) => new Input(v as JsonObject));
  }
}

export function isObject(value: unknown): value is JsonObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function wrongType(field: string, expected: string): AwsServiceError {
  return new AwsServiceError('SerializationException', `${field} must be a ${expected}`);
}

function missing(field: string): AwsServiceError {
  const member = field.charAt(0).toLowerCase() + field.slice(1);
  return validation(
    `1 validation error detected: Value null at '${member}' failed to satisfy constraint: Member must not be null`,
  );
}

/** AWS JSON protocols send timestamps as epoch seconds (fractional), which the SDK turns into `Date`. */
export function epochSeconds(ms: number): number {
  return ms / 1000;
}

/** Secrets Manager reports LastAccessedDate rounded down to the day (UTC). */
export function startOfUtcDay(ms: number): number {
  const day = 86_400_000;
  return Math.floor(ms / day) * day;
}

export function newUuid(): string {
  return randomUUID();
}

const SUFFIX_ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';

/** The six random characters Secrets Manager appends to a secret's name in its ARN. */
export function arnSuffix(): string {
  const bytes = randomBytes(6);
  let out = '';
  for (const b of bytes) out += SUFFIX_ALPHABET[b % SUFFIX_ALPHABET.length];
  return out;
}

/**
 * Opaque pagination cursors. A cursor records the sequence number of the last item returned, so a
 * page boundary stays correct when items are created or removed between calls.
 */
export function encodeCursor(kind: string, lastSeq: number): string {
  return Buffer.from(JSON.stringify({ k: kind, s: lastSeq }), 'utf8').toString('base64url');
}

/** Returns the sequence number in a cursor, or undefined when the token is not one of ours. */
export function decodeCursor(kind: string, token: string): number | undefined {
  try {
    const parsed: unknown = JSON.parse(Buffer.from(token, 'base64url').toString('utf8'));
    if (isObject(parsed) && parsed.k === kind && typeof parsed.s === 'number') return parsed.s;
  } catch {
    // fall through
  }
  return undefined;
}

/** Checks a MaxResults value against the model's range the way AWS validates it. */
export function checkMaxResults(value: number | undefined, max: number): number {
  if (value === undefined) return max;
  if (!Number.isInteger(value) || value < 1 || value > max) {
    throw validation(
      `1 validation error detected: Value '${value}' at 'maxResults' failed to satisfy constraint: ` +
        `Member must have value ${value < 1 ? 'greater than or equal to 1' : `less than or equal to ${max}`}`,
    );
  }
  return value;
}
