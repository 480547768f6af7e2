/**
 * ICA's edge (core/providers/edge.ts): the REST API under the host, the Accept header it wants,
 * and a token refused with 401 (an RFC 7807 problem; 403 is a permission, not a token, problem).
 * Pure: the consumer library bundles it.
 */
import type { ProviderEdge } from '../edge.js';

/** The REST base path under the host. */
export const ICA_BASE_PATH = '/ica/rest';

/** Sent on every call: ICA answers errors as RFC 7807 Problems and data in its versioned media type. */
export const ICA_ACCEPT = 'application/problem+json, application/vnd.illumina.v3+json';

export const icaEdge: ProviderEdge = {
  name: 'ica',
  label: 'ICA',
  apiBase: (_secret, host) => host.origin + ICA_BASE_PATH,
  refusalStatuses: [401],
  headers: { accept: ICA_ACCEPT },
  refusedHint: () => "that the JWT's tenant may make this call and that the API key or user behind the credential secret is still valid in the ICA portal",
};
