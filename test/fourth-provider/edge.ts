/**
 * The fourth provider's edge (core/providers/edge.ts): apps call `<host>/api` with the token as
 * Bearer, and a token is refused with 401 (protocol.md). Pure, as every edge must be.
 */
import type { ProviderEdge } from '../../core/providers/edge.js';

export const FOURTH_API_PATH = '/api';

export const fourthEdge: ProviderEdge = {
  name: 'fourth',
  label: 'Fourth',
  apiBase: (_secret, host) => host.origin + FOURTH_API_PATH,
  refusalStatuses: [401],
  refusedHint: ({ baseUrl }) => `that ${baseUrl} is the fourth API the token was minted for, and that nobody revoked it`,
};
