/**
 * Structural shapes of the Workspace API that the pure hierarchy core reads.
 *
 * They mirror the CRD field names (docs/api-reference.md) and are deliberately
 * structural (only the fields this core uses), so the generated CRD types in
 * src/crds are assignable to them without this folder importing the schema
 * module.
 */

import type { LabelSelector, PodSecurityLevel, ResourceList } from '../crds/common.js';

/** `spec.constraints` of a Workspace (and of a LogicalCluster). */
export interface WorkspaceConstraints {
  regions?: readonly string[];
  clusterSelector?: LabelSelector;
  maxLogicalClusters?: number;
  quota?: { hard?: ResourceList };
  podSecurity?: PodSecurityLevel | string;
  /** Per month, in the clusters' price currency: a number or a decimal quantity string. */
  costBudget?: number | string;
  /** Image reference prefixes, matched at a '/' boundary. */
  allowedRegistries?: readonly string[];
}

/** An RBAC subject from `spec.owners[]`. */
export interface OwnerSubject {
  kind: 'User' | 'Group' | 'ServiceAccount' | string;
  name: string;
  namespace?: string;
}

/** An entry of `spec.propagate[]`. */
export interface PropagatedType {
  apiVersion: string;
  kind: string;
}

/** What the forest keeps of a Workspace besides its parent link. */
export interface WorkspaceData {
  owners?: readonly OwnerSubject[];
  constraints?: WorkspaceConstraints;
  propagate?: readonly PropagatedType[];
}
