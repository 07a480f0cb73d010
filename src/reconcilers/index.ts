import type { Manager } from '../controllers/index.js';
import { register as registerClusterHealth } from './cluster/index.js';
import { register as registerPlacement } from './placement/register.js';
import { register as registerLogicalClusters } from './logicalcluster/index.js';
import { register as registerPropagation } from './propagation/index.js';
import { register as registerWorkspace } from './workspace/index.js';

/** A feature's wiring: adds its controllers, runnables and informers to the manager. */
export type Registration = (manager: Manager) => void;

/**
 * Every feature the operator runs, in order. Append yours:
 * `import { registerWorkspace } from './workspace/register.js';` and add it below.
 */
export const registrations: Registration[] = [
  registerClusterHealth,
  registerPlacement,
  registerLogicalClusters,
  registerPropagation,
  registerWorkspace,
];

export function registerReconcilers(manager: Manager, features: readonly Registration[] = registrations): void {
  for (const register of features) register(manager);
}
