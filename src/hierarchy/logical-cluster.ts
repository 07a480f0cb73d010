/**
 * The LogicalCluster as every part of Canopy reads it: one structural shape
 * that follows the CRD field names (docs/api-reference.md), read-only, with
 * only the fields Canopy uses, so the generated types in src/crds stay
 * assignable to it and pure code can be unit-tested with plain literals.
 * Narrower views (admission, quota) are Picks of it, never re-declarations.
 */
import type { LabelSelector } from '../crds/common.js';
import type { OwnerSubject, WorkspaceConstraints } from './types.js';

export type LogicalClusterMode = 'Namespace' | 'Cluster';

export type CapabilityPreset = 'viewer' | 'developer' | 'admin';

/** rbac/v1 PolicyRule (resource rules only). */
export interface Rule {
  readonly apiGroups?: readonly string[];
  readonly resources: readonly string[];
  readonly verbs: readonly string[];
  readonly resourceNames?: readonly string[];
}

export interface Capabilities {
  readonly preset?: CapabilityPreset | string;
  readonly rules?: readonly Rule[];
}

export interface LogicalClusterSpec {
  readonly workspace: string;
  readonly mode?: LogicalClusterMode | string;
  readonly namespaces?: readonly string[];
  readonly capabilities?: Capabilities;
  readonly constraints?: WorkspaceConstraints;
  readonly owners?: readonly OwnerSubject[];
  readonly clusterSelector?: LabelSelector;
  readonly kubeconfig?: { readonly expirationSeconds?: number };
}

export interface ConditionLike {
  readonly type: string;
  readonly status: string;
  readonly reason?: string;
  readonly message?: string;
  readonly lastTransitionTime?: string | Date;
  readonly observedGeneration?: number;
}

export interface LogicalClusterStatus {
  readonly phase?: string;
  readonly namespaces?: readonly string[];
  readonly cluster?: string;
  readonly kubeconfigSecretRef?: { readonly name: string; readonly namespace: string; readonly key?: string };
  /** Initializers still to run; absent until the list is fixed (initializers.ts). */
  readonly initializers?: readonly string[];
  readonly conditions?: readonly ConditionLike[];
  readonly observedGeneration?: number;
}

export interface ObjectMeta {
  readonly name?: string;
  readonly generation?: number;
  readonly creationTimestamp?: string | Date;
  readonly deletionTimestamp?: string | Date;
  readonly labels?: Readonly<Record<string, string>>;
  readonly annotations?: Readonly<Record<string, string>>;
  readonly finalizers?: readonly string[];
  readonly uid?: string;
}

export interface LogicalClusterLike {
  readonly metadata: ObjectMeta;
  readonly spec: LogicalClusterSpec;
  readonly status?: LogicalClusterStatus;
}
