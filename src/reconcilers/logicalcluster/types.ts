/**
 * Structural shapes of the LogicalCluster and Cluster APIs that the pure core
 * reads. They follow the CRD field names (docs/api-reference.md) and keep only
 * what this folder uses, so the generated types in src/crds stay assignable to
 * them and the core can be unit-tested with plain object literals.
 */

import type { ConditionLike, ObjectMeta } from '../../hierarchy/logical-cluster.js';

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
