/**
 * The Canopy API (canopy.dev/v1alpha1): schemas, TypeScript types and
 * CustomResourceDefinitions, all derived from the same TypeBox definitions.
 */
import { clusterCustomResourceDefinition } from './cluster.js';
import { clusterPropagatedObjectCustomResourceDefinition } from './clusterpropagatedobject.js';
import type { CustomResourceDefinitionManifest } from './crd.js';
import { logicalClusterCustomResourceDefinition } from './logicalcluster.js';
import { placementPolicyCustomResourceDefinition } from './placementpolicy.js';
import { propagatedObjectCustomResourceDefinition } from './propagatedobject.js';
import { workspaceCustomResourceDefinition } from './workspace.js';

export * from './labels.js';
export * from './schema.js';
export * from './common.js';
export * from './crd.js';
export * from './workspace.js';
export * from './logicalcluster.js';
export * from './cluster.js';
export * from './placementpolicy.js';
export * from './propagatedobject.js';
export * from './rollout.js';
export * from './clusterpropagatedobject.js';

/** The six CRDs in wire format, as written to config/crd. */
export function customResourceDefinitionManifests(): CustomResourceDefinitionManifest[] {
  return [
    workspaceCustomResourceDefinition,
    logicalClusterCustomResourceDefinition,
    clusterCustomResourceDefinition,
    placementPolicyCustomResourceDefinition,
    propagatedObjectCustomResourceDefinition,
    clusterPropagatedObjectCustomResourceDefinition,
  ].map((crd) => structuredClone(crd));
}
