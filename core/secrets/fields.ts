/**
 * zod/mini building blocks shared by the token secret, the providers' own fields and the CDK
 * config: hosts, ports, lifetimes, timestamps. Each says what it expects without quoting input.
 *
 * Import zod as `import * as z from 'zod/mini'`: esbuild tree-shakes a namespace import, but not
 * the `z` object of `import { z } from 'zod/mini'`, which keeps all of zod (~430 kB) in a bundle.
 */
import * as z from 'zod/mini';
import { checkedHost, HostError } from '../http/origins.js';

/** Longest token lifetime any field accepts (ten years). */
export const MAX_LIFETIME_SECONDS = 10 * 365 * 86_400;
/** Shortest token lifetime any field accepts. */
export const MIN_LIFETIME_SECONDS = 60;

export const isoInstant = z.string().check(
  z.refine((s) => !Number.isNaN(Date.parse(s)) && /Z$|[+-]\d\d:\d\d$/.test(s), {
    message: 'expected a UTC ISO-8601 timestamp such as 2026-12-22T10:00:00.000Z',
  }),
);

/**
 * A host URL: scheme, host and optional port only (core/http/origins.ts checkedHost). A token
 * secret may name an http:// host, which the providers then refuse unless the process is a local
 * run and the secret sets allowInsecureHttp; `deployed` refuses it here already (the construct:
 * deployed functions never use plain HTTP). Classic zod schemas can embed it, since both are zod 4
 * core schemas.
 */
export function hostUrlSchema(options: { deployed?: boolean } = {}) {
  const rules = options.deployed
    ? { allowInsecureHttp: false, insecureHint: ' (deployed functions never use plain HTTP)', originOnly: true }
    : { allowInsecureHttp: true, originOnly: true };
  return z.string().check(
    z.superRefine((value, ctx) => {
      try {
        checkedHost(value, rules);
      } catch (e) {
        if (!(e instanceof HostError)) throw e;
        ctx.addIssue({ code: 'custom', message: e.message });
      }
    }),
  );
}

export const port = () => z.number().check(z.int(), z.minimum(1), z.maximum(65535));
export const nonEmpty = () => z.string().check(z.minLength(1));
export const nonNegativeInt = () => z.number().check(z.int(), z.minimum(0));
export const lifetimeSeconds = () => z.number().check(z.int(), z.minimum(MIN_LIFETIME_SECONDS), z.maximum(MAX_LIFETIME_SECONDS));
