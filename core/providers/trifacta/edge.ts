/**
 * Trifacta's edge (core/providers/edge.ts): the v4 API under the host, and a token refused with
 * 401 or 403 (an unknown or deleted token gets either; 403 is also a missing permission, which one
 * re-read and retry cannot hurt). Pure: the consumer library bundles it.
 */
import type { ProviderEdge } from '../edge.js';

/** Trifacta / Designer Cloud v4 API root under the host (trifacta-token-api.md). */
export const TRIFACTA_API_PATH = '/v4';

export const trifactaEdge: ProviderEdge = {
  name: 'trifacta',
  label: 'Trifacta',
  apiBase: (_secret, host) => host.origin + TRIFACTA_API_PATH,
  refusalStatuses: [401, 403],
  refusedHint: () => "that the token's user may make this call (Trifacta answers 403 for a missing permission too) and that nobody deleted the token in the Trifacta UI",
};
