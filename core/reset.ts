/**
 * One call that forgets everything cached per container: credentials, each provider's detected
 * versions and learned units, pooled HTTP connections. For tests and local runs that change
 * servers or credentials within one process; a Lambda container never needs it.
 */
import { closeAllAgents } from './http/transport.js';
import { clearCredentialCache } from './providers/open.js';
import { allProviderDefinitions } from './providers/registry.js';

export async function resetCaches(): Promise<void> {
  clearCredentialCache();
  for (const definition of allProviderDefinitions()) definition.resetCaches?.();
  await closeAllAgents();
}
