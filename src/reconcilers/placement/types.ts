/**
 * Inputs and outputs of the placement engine.
 *
 * These are deliberately small structural interfaces that use the field names
 * of the API (docs/api-reference.md), so the CRD types in src/crds (and plain
 * objects read from the informer cache) are assignable to them without
 * conversion. Every field the engine does not need is left out; every field
 * it reads is optional unless a Cluster or policy is meaningless without it.
 *
 * The engine treats all inputs as immutable: it caches derived data (parsed
 * quantities, compiled selectors and CEL programs) keyed by object identity,
 * which matches how an informer cache replaces objects on update.
 */

import type { LabelSelector, ResourceList } from '../../crds/common.js';

export type TaintEffect = 'NoSchedule' | 'PreferNoSchedule' | 'NoExecute';

/** Kubernetes taint shape (core/v1 Taint). */
export interface Taint {
  readonly key: string;
  readonly value?: string;
  readonly effect: TaintEffect | string;
  /** RFC 3339; only meaningful for NoExecute (start of the toleration clock). */
  readonly timeAdded?: string;
}

/** Kubernetes toleration shape (core/v1 Toleration). */
export interface Toleration {
  readonly key?: string;
  readonly operator?: 'Exists' | 'Equal' | string;
  readonly value?: string;
  readonly effect?: TaintEffect | string;
  readonly tolerationSeconds?: number;
}

/** metav1.Condition (only what the engine reads). */
export interface ConditionLike {
  readonly type: string;
  readonly status: 'True' | 'False' | 'Unknown' | string;
  readonly reason?: string;
  readonly message?: string;
  /** RFC 3339; failback (filters/failback.ts) reads how long a cluster has been Ready. */
  readonly lastTransitionTime?: string;
}

export interface ObjectMetaLike {
  readonly name: string;
  readonly namespace?: string;
  readonly labels?: Readonly<Record<string, string>>;
  readonly annotations?: Readonly<Record<string, string>>;
}

/** Prices in the currency of the cluster, per hour. */
export interface Pricing {
  readonly cpuHour?: number | string;
  readonly memoryGiBHour?: number | string;
  readonly loadBalancerHour?: number | string;
}

/**
 * One group/version a member cluster serves (`status.apiEnablements`, after
 * Karmada): the kinds served, as names or as `{name, kind}` resource entries.
 */
export interface APIEnablement {
  readonly groupVersion: string;
  readonly resources?: readonly (string | { readonly name?: string; readonly kind: string })[];
}

/**
 * A registered physical cluster (`Cluster`, docs/api-reference.md). The name is
 * optional only so that the CRD type (V1ObjectMeta) is assignable as-is; a
 * nameless Cluster is ignored.
 */
export interface Cluster {
  readonly metadata: Omit<ObjectMetaLike, 'name'> & {
    readonly name?: string;
    /** RFC 3339 (a Date from @kubernetes/client-node's models): tells placement whether it was registered moments ago. */
    readonly creationTimestamp?: string | Date;
  };
  readonly spec?: {
    readonly region?: string;
    readonly provider?: string;
    readonly taints?: readonly Taint[];
    readonly capacity?: ResourceList;
    readonly pricing?: Pricing;
  };
  readonly status?: {
    readonly conditions?: readonly ConditionLike[];
    /**
     * What is still free for placement (the CRD's meaning). Falls back to
     * `spec.capacity` when the cluster has not reported.
     */
    readonly allocatable?: ResourceList;
    /**
     * Requests already placed, for clusters that report total allocatable
     * and usage separately: free is then `allocatable - allocated`.
     */
    readonly allocated?: ResourceList;
    /** Served APIs. Absent means "unknown": the API-availability filter then allows. */
    readonly apiEnablements?: readonly APIEnablement[];
    readonly kubernetesVersion?: string;
    /** Per-cluster scores written as data by programs outside Canopy; read by `spec.clusterScores`. */
    readonly scores?: readonly ClusterScoreEntry[];
  };
}

/** One entry of Cluster `status.scores`. */
export interface ClusterScoreEntry {
  readonly name: string;
  /** 0-100, higher is better. */
  readonly value: number;
  /** RFC 3339 (a Date from @kubernetes/client-node's models). */
  readonly updatedAt?: string | Date;
}

/**
 * A placement rule: a CEL expression over `object`, `cluster` and `workspace`
 * that must evaluate to `true` for a cluster to stay a candidate. The object
 * form lets a policy author give a rule a name and a message for the user.
 */
export type PlacementRule = string | { readonly name?: string; readonly expression: string; readonly message?: string };

export interface ClusterPreference {
  readonly weight: number;
  readonly clusterSelector?: LabelSelector;
}

export interface SpreadConstraint {
  /** `region` means `spec.region`, `provider` means `spec.provider`; anything else is a Cluster label key. */
  readonly topologyKey: string;
  readonly minGroups?: number;
}

export interface ReplicaWeight {
  /** Exact cluster name; takes precedence over a selector entry. */
  readonly cluster?: string;
  readonly clusterSelector?: LabelSelector;
  readonly weight: number;
}

export interface ReplicaScheduling {
  readonly strategy?: 'Duplicate' | 'Divide' | string;
  /** Static weights. Clusters matching no entry get weight 0 (not placed). */
  readonly weights?: readonly ReplicaWeight[];
  /**
   * Divide in proportion to how many replicas fit into each cluster's free
   * allocatable. Unset: by capacity when there are no `weights`. `true` with
   * `weights`: weights only choose which clusters take part (weight 0 = no).
   * `false` without weights: equal shares.
   */
  readonly byCapacity?: boolean;
  readonly minPerCluster?: number;
  readonly maxClusters?: number;
}

export interface PolicyEngineRef {
  readonly url: string;
  readonly timeoutSeconds?: number;
  readonly failurePolicy?: 'Fail' | 'Ignore' | string;
}

/** An external placement plugin (`spec.plugins[]`), reached over HTTPS. */
export interface ExternalPluginRef {
  readonly name: string;
  readonly type: 'Filter' | 'Score' | string;
  readonly url: string;
  readonly caBundle?: string;
  readonly weight?: number;
  readonly timeoutSeconds?: number;
  readonly cacheSeconds?: number;
  readonly failurePolicy?: 'Fail' | 'Ignore' | string;
}

/** A score read from Cluster `status.scores` (`spec.clusterScores[]`). */
export interface ClusterScoreRef {
  readonly name: string;
  readonly weight: number;
  readonly defaultValue?: number;
  readonly maxAgeSeconds?: number;
}

export interface FailoverSpec {
  readonly enabled?: boolean;
  /** How long workloads stay on a cluster tainted `canopy.dev/unreachable:NoExecute`. */
  readonly tolerationSeconds?: number;
  /** When workloads return to a cluster they failed over from (filters/failback.ts). */
  readonly failback?: 'Never' | 'WhenRecovered' | string;
  /** WhenRecovered: seconds of Ready before they return. */
  readonly stableSeconds?: number;
  /** Opt-in: a copy not Ready this long on a Ready cluster is moved (filters/app-health.ts). */
  readonly unhealthySeconds?: number;
  /** How long that cluster stays excluded for the object. */
  readonly unhealthyBackoffSeconds?: number;
}

export interface ResourceSelector {
  readonly apiVersion: string;
  readonly kind: string;
  readonly labelSelector?: LabelSelector;
  readonly namespaces?: readonly string[];
  readonly workspace?: string;
}

export interface PlacementPolicySpec {
  readonly resourceSelectors?: readonly ResourceSelector[];
  readonly priority?: number;
  readonly clusterSelector?: LabelSelector;
  readonly regions?: readonly string[];
  readonly tolerations?: readonly Toleration[];
  readonly rules?: readonly PlacementRule[];
  readonly preferences?: readonly ClusterPreference[];
  readonly cost?: 'LowestFirst' | string;
  readonly spread?: SpreadConstraint;
  readonly replicas?: ReplicaScheduling;
  /** Accepted next to `replicas` as well as inside it; `replicas.maxClusters` wins (context.ts). */
  readonly maxClusters?: number;
  readonly policyEngine?: PolicyEngineRef;
  readonly plugins?: readonly ExternalPluginRef[];
  readonly clusterScores?: readonly ClusterScoreRef[];
  readonly failover?: FailoverSpec;
}

export interface PlacementPolicy {
  readonly metadata: ObjectMetaLike;
  readonly spec: PlacementPolicySpec;
}

/** The placement-relevant part of a Workspace's `status.effectiveConstraints`. */
export interface EffectiveConstraints {
  readonly regions?: readonly string[];
  readonly clusterSelector?: LabelSelector;
  /** Not used for placement (enforced by the logicalcluster reconciler). */
  readonly maxLogicalClusters?: number;
  /** Not used for placement (hierarchical quota). */
  readonly quota?: { readonly hard?: ResourceList };
  /** Not used for placement (pod-security admission). */
  readonly podSecurity?: string;
  /** Per month, in the currency of the clusters' prices. */
  readonly costBudget?: number | string;
}

/** The workspace the placed object belongs to, as the engine sees it. */
export interface WorkspaceContext {
  readonly name: string;
  /** `root:acme:team-a`. */
  readonly path?: string;
  readonly labels?: Readonly<Record<string, string>>;
  readonly constraints?: EffectiveConstraints;
  /**
   * Estimated monthly cost of everything else the workspace already runs
   * (excluding the object being placed); `costBudget - costUsed` is what the
   * object may spend. Absent counts as 0.
   */
  readonly costUsed?: number;
}

/** Any Kubernetes object: the thing being placed. */
export interface PlacedObject {
  readonly apiVersion: string;
  readonly kind: string;
  readonly metadata: ObjectMetaLike;
  readonly spec?: unknown;
}

/** One cluster of a placement: where the object runs and why. */
export interface ClusterPlacement {
  readonly cluster: string;
  /** Replicas on this cluster; absent for objects without `spec.replicas`. */
  readonly replicas?: number;
  readonly reason: string;
}

/** One cluster the object does not run on, and why. */
export interface ClusterExclusion {
  readonly cluster: string;
  /** The plugin (or engine stage) that dropped the cluster. */
  readonly plugin: string;
  readonly reason: string;
  /** RFC 3339: a back-off the plugin keeps the cluster out for (filters/app-health.ts reads it back next time). */
  readonly until?: string;
}

export type ScheduledReason = 'Scheduled' | 'Unschedulable' | 'Invalid' | 'PolicyEngineFailed' | 'PluginFailed';

/** The `Scheduled` condition of a PropagatedObject. */
export interface ScheduledCondition {
  readonly type: 'Scheduled';
  readonly status: 'True' | 'False';
  readonly reason: ScheduledReason;
  readonly message: string;
}

/**
 * The answer of an external policy engine (`spec.policyEngine`), fetched by
 * the reconciler shell before it calls the engine. An `error` means the
 * engine could not be asked (timeout, non-2xx, bad body).
 */
export type PolicyEngineDecision = { readonly allowed: readonly string[]; readonly weights?: Readonly<Record<string, number>> } | { readonly error: string };

/** One cluster's verdict from an external Filter plugin. */
export interface PluginVerdict {
  readonly pass: boolean;
  readonly reason?: string;
}

/**
 * What an external plugin (`spec.plugins[]`) answered, fetched by the
 * reconciler shell before it calls the engine (the engine does no I/O).
 * Clusters missing from `verdicts` are rejected, from `scores` score 0.
 */
export type PluginAnswer =
  | { readonly verdicts: Readonly<Record<string, PluginVerdict>> }
  | { readonly scores: Readonly<Record<string, number>> }
  /** `unreachable`: the plugin itself could not be reached (connection, TLS, address, deadline), whatever was asked. */
  | { readonly error: string; readonly unreachable?: boolean };

export interface CurrentPlacement {
  readonly cluster: string;
  readonly replicas?: number;
}

export interface ScheduleInput {
  readonly object: PlacedObject;
  readonly policy: PlacementPolicy;
  readonly clusters: readonly Cluster[];
  readonly workspace?: WorkspaceContext;
  /** Where the object runs now (PropagatedObject `status.placement`), for stability and failover. */
  readonly currentPlacement?: readonly CurrentPlacement[];
  readonly policyEngineDecision?: PolicyEngineDecision;
  /** Answers of the policy's external plugins, by plugin name; a plugin without one counts as failed. */
  readonly pluginAnswers?: Readonly<Record<string, PluginAnswer>>;
  /** Milliseconds since the epoch; used for toleration expiry. Defaults to the current time. */
  readonly now?: number;
  /** The previous decision's exclusions (`status.excluded`): which clusters the object failed over from (filters/failback.ts). */
  readonly previousExclusions?: readonly { readonly cluster: string; readonly plugin?: string; readonly until?: string }[];
  /** The syncer's per-cluster report (`status.clusters`): since when each copy has been applied but not Ready. */
  readonly copies?: readonly { readonly cluster: string; readonly notReadySince?: string }[];
  /** A one-shot rebalance: decide as if the object ran nowhere yet (no stability score, no failback hold). */
  readonly rebalance?: boolean;
}

export interface ScheduleResult {
  /**
   * The clusters chosen, best first. Empty whenever `condition.status` is
   * `False`: the caller then keeps whatever already runs (as Karmada keeps
   * the previous binding) rather than deleting workloads on a failed decision.
   */
  readonly placement: readonly ClusterPlacement[];
  /** Every registered cluster that is not in `placement`, sorted by name. */
  readonly excluded: readonly ClusterExclusion[];
  readonly condition: ScheduledCondition;
  /**
   * Set when a time-bounded toleration (failover) will expire: the decision
   * changes by then even if nothing else does, so the caller requeues.
   */
  readonly requeueAfterMs?: number;
}
