/**
 * Tag validation for CreateSecret and TagResource. Secrets Manager's TagResource documentation
 * defers to the AWS tagging rules ("Service quotas for Tagging", General Reference): keys 1-128 and
 * values 0-256 Unicode characters; letters, digits, spaces and `_ . : / = + - @` only; `aws:` is
 * reserved. The service's own model only carries the lengths, so:
 * - a length outside the model's range answers ValidationException, in the wording AWS's model
 *   validation uses;
 * - a character outside the set, or the reserved prefix, answers InvalidParameterException (the
 *   error TagResource documents for an invalid value). Which of the two AWS answers for characters
 *   is not documented; what matters to callers is that the fake refuses at least what AWS refuses.
 */
import { invalidParameter, validation } from './errors.js';
import type { Input } from './util.js';

/** A secret carries at most 50 tags. */
export const MAX_TAGS = 50;
const MAX_KEY_CHARS = 128;
const MAX_VALUE_CHARS = 256;

/**
 * The character set AWS documents for tags (the pattern AWS APIs that do model it use):
 * Unicode letters, separators (spaces), digits, and `_ . : / = + - @`. Tabs and newlines are not
 * separators (\p{Z}), so they are refused, as AWS refuses them.
 */
const TAG_CHARS = /^[\p{L}\p{Z}\p{N}_.:/=+\-@]*$/u;
const RESERVED_PREFIX = /^aws:/i;

/** Reads and checks a request's `Tags` list; `field` names it in messages (`tags`). */
export function readTags(tags: readonly Input[], field = 'tags'): Map<string, string> {
  const out = new Map<string, string>();
  tags.forEach((tag, i) => {
    const at = `${field}.${i + 1}.member`;
    const key = tag.string('Key');
    const value = tag.optString('Value') ?? '';
    checkLength(key, `${at}.key`, 1, MAX_KEY_CHARS);
    checkLength(value, `${at}.value`, 0, MAX_VALUE_CHARS);
    for (const [part, text] of [['key', key], ['value', value]] as const) {
      if (!TAG_CHARS.test(text)) {
        throw invalidParameter(
          `The tag ${part} at ${at}.${part} contains characters that are not allowed. Tag keys and values ` +
            'may only contain Unicode letters, digits, spaces, and the characters _ . : / = + - @',
        );
      }
      if (RESERVED_PREFIX.test(text)) {
        throw invalidParameter(`The tag ${part} at ${at}.${part} uses the prefix aws:, which is reserved for AWS use.`);
      }
    }
    out.set(key, value);
  });
  return out;
}

/** The tags a secret would carry after merging `added` into `current`; refuses more than MAX_TAGS. */
export function mergeTags(current: ReadonlyMap<string, string>, added: ReadonlyMap<string, string>): Map<string, string> {
  const merged = new Map([...current, ...added]);
  if (merged.size > MAX_TAGS) {
    throw invalidParameter(`A secret can have at most ${MAX_TAGS} tags; this request would give it ${merged.size}.`);
  }
  return merged;
}

/** Lengths count Unicode characters (code points), as AWS counts them, not UTF-16 units. */
function checkLength(text: string, member: string, min: number, max: number): void {
  const length = [...text].length;
  if (length < min || length > max) {
    throw validation(
      `1 validation error detected: Value '${text}' at '${member}' failed to satisfy constraint: ` +
        `Member must have length ${length < min ? `greater than or equal to ${min}` : `less than or equal to ${max}`}`,
    );
  }
}
