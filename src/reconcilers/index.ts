import type { Manager } from '../runtime/index.js';
import type { KubeconfigEndpoint } from './logicalcluster/index.js';
import { register as registerClusterHealth } from './cluster/index.js';
import { register as registerPlacement } from './placement/register.js';
import { register as registerLogicalClusters } from './logicalcluster/index.js';
import { register as registerPropagation } from './propagation/index.js';
import { register as registerWorkspace } from './workspace/index.js';

/** Operator-wide settings a feature may read (from CANOPY_* variables, see main.ts). */
export interface ReconcilerSettings {
  /** How long a deletion waits for unreachable members before releasing its finalizer (CANOPY_FINALIZER_TIMEOUT_SECONDS). */
  readonly finalizerTimeoutMs?: number;
  /**
   * Where tenant kubeconfigs point (CANOPY_TENANT_KUBECONFIG): resolves to the
   * tenant gateway's endpoint, or undefined for the direct apiserver (the default).
   */
  readonly tenantKubeconfigEndpoint?: KubeconfigEndpoint;
}

export type { GatewayEndpoint, KubeconfigEndpoint } from './logicalcluster/index.js';

/** A feature's wiring: adds its controllers, runnables and informers to the manager. */
export type Registration = (manager: Manager, settings?: ReconcilerSettings) => void;

/**
 * Every feature the operator runs, in order. Append yours:
 * `import { registerWorkspace } from './workspace/register.js';` and add it below.
 */
export const registrations: Registration[] = [
  registerClusterHealth,
  (manager) => registerPlacement(manager),
  (manager, settings) =>
    registerLogicalClusters(manager, {
      ...(settings?.finalizerTimeoutMs !== undefined ? { finalizerTimeoutMs: settings.finalizerTimeoutMs } : {}),
      ...(settings?.tenantKubeconfigEndpoint ? { kubeconfigEndpoint: settings.tenantKubeconfigEndpoint } : {}),
    }),
  registerPropagation,
  (manager) => registerWorkspace(manager),
];

export function registerReconcilers(manager: Manager, features: readonly Registration[] = registrations, settings: ReconcilerSettings = {}): void {
  for (const register of features) register(manager, settings);
}
