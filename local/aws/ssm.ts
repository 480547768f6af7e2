/**
 * The local SSM Parameter Store: GetParameter, GetParameters, GetParametersByPath, PutParameter and
 * DeleteParameter over an in-memory map, with the service's versioning and error codes
 * (`ParameterNotFound`, `ParameterAlreadyExists`, `ParameterVersionNotFound`).
 */
import { createHash } from 'node:crypto';
import type { Clock } from '../../core/clock.js';
import { AwsServiceError, validation } from './errors.js';
import { Input, checkMaxResults, decodeCursor, encodeCursor, epochSeconds, type JsonObject } from './util.js';

export type ParameterType = 'String' | 'StringList' | 'SecureString';

export interface ParameterSnapshot {
  name: string;
  type: ParameterType;
  value: string;
  version: number;
  lastModifiedDate: Date;
  description?: string;
}

export interface SsmOptions {
  clock: Clock;
  region: string;
  accountId: string;
}

interface ParameterVersion {
  readonly version: number;
  readonly type: ParameterType;
  readonly value: string;
  readonly modifiedMs: number;
  readonly description?: string;
  readonly dataType: string;
}

interface ParameterRecord {
  readonly name: string;
  readonly seq: number;
  history: ParameterVersion[]; // oldest first; the last one is current
  tags: Map<string, string>;
}

const TYPES: readonly ParameterType[] = ['String', 'StringList', 'SecureString'];
/** Parameter Store keeps the last 100 versions of a parameter. */
const MAX_HISTORY = 100;

type Operation = (input: Input) => JsonObject;

const parameterNotFound = (name: string): AwsServiceError =>
  new AwsServiceError('ParameterNotFound', `Parameter ${name} not found.`);

export class SsmStore {
  private readonly parameters = new Map<string, ParameterRecord>();
  private seq = 0;
  private readonly operations: Readonly<Record<string, Operation>>;

  constructor(private readonly options: SsmOptions) {
    this.operations = {
      GetParameter: (i) => this.getParameter(i),
      GetParameters: (i) => this.getParameters(i),
      GetParametersByPath: (i) => this.getParametersByPath(i),
      PutParameter: (i) => this.putParameter(i),
      DeleteParameter: (i) => this.deleteParameter(i),
    };
  }

  supports(operation: string): boolean {
    return Object.hasOwn(this.operations, operation);
  }

  handle(operation: string, body: JsonObject): JsonObject {
    const op = this.operations[operation];
    if (!op) throw new AwsServiceError('UnknownOperationException', `Unknown operation ${operation}`);
    return op(new Input(body));
  }

  inspect(name: string): ParameterSnapshot | undefined {
    const p = this.parameters.get(normalize(name, this.parameters));
    const current = p?.history.at(-1);
    if (!p || !current) return undefined;
    const out: ParameterSnapshot = {
      name: p.name,
      type: current.type,
      value: current.value,
      version: current.version,
      lastModifiedDate: new Date(current.modifiedMs),
    };
    if (current.description !== undefined) out.description = current.description;
    return out;
  }

  // -------------------------------------------------------------------------------------------

  private getParameter(input: Input): JsonObject {
    const decrypt = input.optBoolean('WithDecryption') ?? false;
    return { Parameter: this.lookup(input.string('Name'), decrypt) };
  }

  private getParameters(input: Input): JsonObject {
    const names = input.optStringList('Names');
    if (!names || names.length < 1 || names.length > 10) {
      throw validation(
        `1 validation error detected: Value at 'names' failed to satisfy constraint: ` +
          'Member must have length between 1 and 10',
      );
    }
    const decrypt = input.optBoolean('WithDecryption') ?? false;
    const found: JsonObject[] = [];
    const invalid: string[] = [];
    for (const name of new Set(names)) {
      try {
        found.push(this.lookup(name, decrypt));
      } catch (err) {
        if (err instanceof AwsServiceError && err.errorType.startsWith('Parameter')) invalid.push(name);
        else throw err;
      }
    }
    return { Parameters: found, InvalidParameters: invalid };
  }

  private getParametersByPath(input: Input): JsonObject {
    const path = input.string('Path');
    if (!path.startsWith('/')) {
      throw validation('The parameter path must begin with a forward slash (/).');
    }
    const recursive = input.optBoolean('Recursive') ?? false;
    const decrypt = input.optBoolean('WithDecryption') ?? false;
    const maxResults = checkMaxResults(input.optNumber('MaxResults'), 10);
    const token = input.optString('NextToken');
    let after: number | undefined;
    if (token !== undefined) {
      after = decodeCursor('GetParametersByPath', token);
      if (after === undefined) throw new AwsServiceError('InvalidNextToken', 'The specified token is not valid.');
    }
    const prefix = path.endsWith('/') ? path : `${path}/`;
    const matching = [...this.parameters.values()]
      .filter((p) => p.name.startsWith(prefix) && (recursive || !p.name.slice(prefix.length).includes('/')))
      .filter((p) => after === undefined || p.seq > after)
      .sort((a, b) => a.seq - b.seq);
    const page = matching.slice(0, maxResults);
    const out: JsonObject = {
      Parameters: page.map((p) => this.render(p, p.history.at(-1) as ParameterVersion, decrypt)),
    };
    const last = page.at(-1);
    if (matching.length > page.length && last) out.NextToken = encodeCursor('GetParametersByPath', last.seq);
    return out;
  }

  private putParameter(input: Input): JsonObject {
    const name = normalize(input.string('Name'), this.parameters);
    validateName(name);
    const value = input.string('Value');
    if (value.length === 0) {
      throw validation(
        "1 validation error detected: Value '' at 'value' failed to satisfy constraint: Member must have length greater than or equal to 1",
      );
    }
    const typeInput = input.optString('Type');
    if (typeInput !== undefined && !TYPES.includes(typeInput as ParameterType)) {
      throw validation(
        `1 validation error detected: Value '${typeInput}' at 'type' failed to satisfy constraint: ` +
          'Member must satisfy enum value set: [SecureString, StringList, String]',
      );
    }
    const overwrite = input.optBoolean('Overwrite') ?? false;
    const tags = input.optObjectList('Tags');
    if (tags && overwrite) {
      throw validation('Invalid request: tags and overwrite can\'t be used together. To create a parameter with tags, ' +
        'please remove overwrite flag. To update tags for an existing parameter, please use AddTagsToResource or RemoveTagsFromResource.');
    }
    const existing = this.parameters.get(name);
    const current = existing?.history.at(-1);
    if (existing && !overwrite) {
      throw new AwsServiceError(
        'ParameterAlreadyExists',
        'The parameter already exists. To overwrite this value, set the overwrite option in the request to true.',
      );
    }
    const description = input.optString('Description') ?? current?.description;
    const version: ParameterVersion = {
      version: (current?.version ?? 0) + 1,
      type: (typeInput as ParameterType | undefined) ?? current?.type ?? 'String',
      value,
      modifiedMs: this.options.clock.now(),
      dataType: input.optString('DataType') ?? 'text',
      ...(description !== undefined ? { description } : {}),
    };
    if (existing) {
      existing.history.push(version);
      if (existing.history.length > MAX_HISTORY) existing.history.shift();
    } else {
      const record: ParameterRecord = { name, seq: ++this.seq, history: [version], tags: new Map() };
      for (const tag of tags ?? []) record.tags.set(tag.string('Key'), tag.optString('Value') ?? '');
      this.parameters.set(name, record);
    }
    return { Version: version.version, Tier: 'Standard' };
  }

  private deleteParameter(input: Input): JsonObject {
    const name = normalize(input.string('Name'), this.parameters);
    if (!this.parameters.delete(name)) throw parameterNotFound(name);
    return {};
  }

  // -------------------------------------------------------------------------------------------

  /** `name` or `name:version` (a version selector), as GetParameter accepts. */
  private lookup(rawName: string, decrypt: boolean): JsonObject {
    const selector = rawName.match(/^(.*):(\d+)$/);
    const name = normalize(selector?.[1] ?? rawName, this.parameters);
    const p = this.parameters.get(name);
    if (!p) throw parameterNotFound(name);
    if (selector?.[2] !== undefined) {
      const wanted = Number(selector[2]);
      const version = p.history.find((h) => h.version === wanted);
      if (!version) {
        throw new AwsServiceError(
          'ParameterVersionNotFound',
          `Systems Manager could not find version ${wanted} of ${name}. Verify the version and try again.`,
        );
      }
      return { ...this.render(p, version, decrypt), Selector: `:${wanted}` };
    }
    return this.render(p, p.history.at(-1) as ParameterVersion, decrypt);
  }

  private render(p: ParameterRecord, v: ParameterVersion, decrypt: boolean): JsonObject {
    const path = p.name.startsWith('/') ? p.name : `/${p.name}`;
    return {
      Name: p.name,
      Type: v.type,
      Value: v.type === 'SecureString' && !decrypt ? fakeCiphertext(p.name, v) : v.value,
      Version: v.version,
      LastModifiedDate: epochSeconds(v.modifiedMs),
      ARN: `arn:aws:ssm:${this.options.region}:${this.options.accountId}:parameter${path}`,
      DataType: v.dataType,
    };
  }
}

/**
 * Parameter names are case-sensitive; a full parameter ARN is accepted in place of the name. The ARN
 * of `/a/b` ends `parameter/a/b` and that of `name` (no leading slash) ends `parameter/name`.
 */
function normalize(name: string, known: ReadonlyMap<string, unknown>): string {
  const arn = name.match(/^arn:aws[\w-]*:ssm:[^:]*:\d*:parameter(\/.*)$/);
  if (!arn?.[1]) return name;
  return known.has(arn[1]) ? arn[1] : arn[1].slice(1);
}

function validateName(name: string): void {
  if (!/^[A-Za-z0-9_.\-/]{1,2048}$/.test(name) || /^\/?(aws|ssm)/i.test(name)) {
    throw validation(
      'Parameter name: can\'t be prefixed with "aws" or "ssm" (case-insensitive). It must use only letters, ' +
        'numbers, or the following symbols: . (period), - (hyphen), _ (underscore), and /.',
    );
  }
}

/** What a SecureString read without decryption returns: an opaque stand-in for the KMS ciphertext. */
function fakeCiphertext(name: string, v: ParameterVersion): string {
  const digest = createHash('sha256').update(`${name}\0${v.version}\0${v.value}`).digest();
  return Buffer.concat([Buffer.from('local-kms:'), digest]).toString('base64');
}

/** The parameter a request names, for the request log. */
export function parameterNameOf(body: JsonObject): string | undefined {
  return typeof body.Name === 'string' ? body.Name : undefined;
}
