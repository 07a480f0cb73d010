/**
 * Failover part of the propagation benchmark; filled in once the placement
 * reconciler (which moves replicas off a tainted cluster) is registered.
 */
import type { LocalEnvironment } from '../controlplane/launcher/index.js';
import type { ApiClient, Manager } from '../src/controllers/index.js';

export interface FailoverResult {
  readonly objects: number;
  readonly ms: number;
  readonly tolerationSeconds: number;
}

export async function failover(_env: LocalEnvironment, _manager: Manager, _host: ApiClient): Promise<FailoverResult | undefined> {
  return undefined;
}
