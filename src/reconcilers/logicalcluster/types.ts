// Structural shapes of the LogicalCluster and Cluster APIs that the pure core
// reads. They follow the CRD field names (docs/api-reference.md) and keep only
// what this folder uses, so the generated types in src/crds stay assignable to
// them and the core can be unit-tested with plain object literals.

import type { LabelSelector } from '../../crds/common.js';
import type { OwnerSubject, WorkspaceConstraints } from '../../hierarchy/types.js';

export type { LabelSelector, OwnerSubject, WorkspaceConstraints };

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

export interface TaintLike {
  readonly key: string;
  readonly value?: string;
  readonly effect: string;
}

export interface PricingLike {
  readonly cpuHour?: number | string;
  readonly memoryGiBHour?: number | string;
  readonly loadBalancerHour?: number | string;
}

/** The parts of a registered `Cluster` that binding and cost decisions read. */
export interface ClusterLike {
  readonly metadata: ObjectMeta;
  readonly spec?: {
    readonly region?: string;
    readonly taints?: readonly TaintLike[];
    readonly capacity?: Readonly<Record<string, string | number>>;
    readonly pricing?: PricingLike;
  };
  readonly status?: { readonly conditions?: readonly ConditionLike[] };
}
