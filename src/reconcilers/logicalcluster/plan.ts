/**
 * The pure heart of the reconciler: given a LogicalCluster and what the cache
 * knows (its workspace, the clusters, the other logical clusters), decide
 * either "materialize exactly these objects there" or "fail, and here is why".
 * The shell only executes the answer.
 */

import type { LogicalClusterLike, Rule } from '../../hierarchy/logical-cluster.js';
import type { KubernetesObject } from '@kubernetes/client-node';
import { checkNarrows, narrowConstraints, podSecurityRank, type EffectiveConstraints } from '../../hierarchy/constraints.js';
import { matchesSelector } from '../../kube/label-selector.js';
import { chooseCluster, type BindingDecision } from './binding.js';
import { resolveCapabilities } from './capabilities.js';
import { clusterModeCost, namespaceModeCost, type MonthlyCost } from './cost.js';
import { checkWorkspaceLimits, hasWorkspaceLimits, type LimitScope, type LimitViolation, type LogicalClusterClaim } from './limits.js';
import { DEFAULT_POD_SECURITY, type PodSecurityLevel } from '../../crds/common.js';
import { materialize, type MaterializedObjects } from './materialize.js';
import { planNamespaces } from '../../hierarchy/logical-cluster-namespaces.js';
import type { ClusterLike } from './types.js';

export const DEFAULT_TOKEN_LIFETIME_SECONDS = 3600;

/** What the cache knows about the logical cluster's workspace. */
export type WorkspaceView =
  | { readonly state: 'missing' }
  | { readonly state: 'unhealthy'; readonly message: string }
  | {
      readonly state: 'ok';
      readonly effective: EffectiveConstraints;
      /** The workspace first, then its ancestors, each with its own constraints. */
      readonly scopes: readonly LimitScope[];
    };

export interface PlanInput {
  readonly lc: LogicalClusterLike;
  readonly workspace: WorkspaceView;
  readonly clusters: readonly ClusterLike[];
  /** Cluster name → Cluster-mode logical cluster bound to it. */
  readonly bindings: ReadonlyMap<string, string>;
  /**
   * Claims of the other live logical clusters under the workspace's limited
   * scopes; only read when a scope has limits (see needsClaims).
   */
  readonly otherClaims: () => readonly LogicalClusterClaim[];
  /** What the workspace model allows as capabilities; default: the admin preset. */
  readonly allowance?: readonly Rule[];
}

export interface Failure {
  readonly ok: false;
  /** Pending: waiting for something outside the spec; Failed: the spec cannot be satisfied as is. */
  readonly phase: 'Pending' | 'Failed';
  readonly reason: string;
  readonly message: string;
  readonly binding?: BindingDecision;
  readonly limits?: readonly LimitViolation[];
  readonly namespaces?: readonly string[];
}

export interface Plan {
  readonly ok: true;
  readonly mode: 'Namespace' | 'Cluster';
  readonly namespaces: readonly string[];
  /** Cluster mode: the bound cluster (new when binding.kept is false). */
  readonly cluster?: string;
  readonly binding?: BindingDecision;
  readonly objects: MaterializedObjects;
  readonly podSecurity: PodSecurityLevel;
  readonly narrowed: readonly string[];
  readonly tokenLifetimeSeconds: number;
  readonly effective: EffectiveConstraints;
}

export function plan(input: PlanInput): Plan | Failure {
  const { lc } = input;
  const name = lc.metadata.name ?? '';
  const mode = lc.spec.mode === 'Cluster' ? 'Cluster' : 'Namespace';
  const nsPlan = planNamespaces(lc);
  if (!nsPlan.ok) return fail('Failed', 'InvalidSpec', nsPlan.reason);
  const namespaces = nsPlan.namespaces;

  if (input.workspace.state === 'missing') {
    return {
      ...fail(
        'Pending',
        'WorkspaceNotFound',
        `workspace ${lc.spec.workspace} does not exist; create it, or point spec.workspace at an existing one (it is immutable, so recreate this logical cluster)`,
      ),
      namespaces,
    };
  }
  if (input.workspace.state === 'unhealthy') {
    return {
      ...fail('Pending', 'WorkspaceNotReady', `workspace ${lc.spec.workspace} is not part of a well-formed tree: ${input.workspace.message}`),
      namespaces,
    };
  }
  const ws = input.workspace;

  const tooWide = checkNarrows(ws.effective, lc.spec.constraints, { parent: lc.spec.workspace, subject: 'logical cluster' });
  if (tooWide.length > 0) {
    return { ...fail('Failed', 'ConstraintsTooWide', tooWide.map((v) => v.message).join('; ')), namespaces };
  }
  const effective = narrowConstraints(ws.effective, { workspace: name, constraints: lc.spec.constraints });
  if (effective.unsatisfiable.length > 0 && mode === 'Cluster') {
    return { ...fail('Failed', 'ConstraintsUnsatisfiable', effective.unsatisfiable.join('; ')), namespaces };
  }

  const caps = resolveCapabilities(lc.spec.capabilities, input.allowance);
  if (caps.invalid) return { ...fail('Failed', 'InvalidCapabilities', caps.invalid), namespaces };

  let binding: BindingDecision | undefined;
  let boundCluster: ClusterLike | undefined;
  if (mode === 'Cluster') {
    binding = chooseCluster({
      logicalCluster: name,
      current: lc.status?.cluster,
      clusterSelector: lc.spec.clusterSelector,
      regions: effective.constraints.regions,
      constraintSelector: effective.constraints.clusterSelector,
      clusters: input.clusters,
      boundTo: input.bindings,
    });
    if (!binding.ok) return { ...fail('Failed', binding.reason, binding.message), binding, namespaces };
    boundCluster = input.clusters.find((c) => c.metadata.name === (binding as { cluster: string }).cluster);
  }

  if (hasWorkspaceLimits(ws.scopes)) {
    const candidate = claimOf(lc, effective, input.clusters, boundCluster, ws.scopes);
    const violations = checkWorkspaceLimits({ candidate, scopes: ws.scopes, others: input.otherClaims(), order: 'creation' });
    if (violations.length > 0) {
      return {
        ...fail('Failed', violations[0]!.reason, violations.map((v) => v.message).join('; ')),
        limits: violations,
        namespaces,
        ...(binding ? { binding } : {}),
      };
    }
  }

  const podSecurity = podSecurityOf(effective);
  const objects: MaterializedObjects = materialize({
    name,
    workspace: lc.spec.workspace,
    mode,
    namespaces,
    podSecurity,
    quotaHard: effective.constraints.quota?.hard,
    rules: caps.rules,
    owners: lc.spec.owners ?? [],
  });
  return {
    ok: true,
    mode,
    namespaces,
    ...(binding?.ok ? { cluster: binding.cluster, binding } : {}),
    objects,
    podSecurity,
    narrowed: [...new Set(caps.narrowed)],
    tokenLifetimeSeconds: lc.spec.kubeconfig?.expirationSeconds ?? DEFAULT_TOKEN_LIFETIME_SECONDS,
    effective,
  };
}

function fail(phase: 'Pending' | 'Failed', reason: string, message: string): Failure {
  return { ok: false, phase, reason, message };
}

/** The narrowest pod-security level on the path, `baseline` when nobody set one. */
export function podSecurityOf(effective: EffectiveConstraints): PodSecurityLevel {
  const level = effective.constraints.podSecurity;
  return level !== undefined && podSecurityRank(level) >= 0 ? (level as PodSecurityLevel) : DEFAULT_POD_SECURITY;
}

/** Clusters a Namespace-mode logical cluster's workloads may be placed on. */
export function eligibleClusters(effective: EffectiveConstraints, clusters: readonly ClusterLike[]): ClusterLike[] {
  const regions = effective.constraints.regions;
  return clusters.filter(
    (c) => (regions === undefined || regions.includes(c.spec?.region ?? '')) && matchesSelector(effective.constraints.clusterSelector, c.metadata.labels ?? {}),
  );
}

/**
 * What a logical cluster takes from its workspaces' limits. `effective` is its
 * own effective constraints (workspace ∧ spec.constraints); `bound` its
 * Cluster-mode cluster, if any. Exported for the webhook, which builds the
 * same claims for admission.
 */
export function claimOf(
  lc: LogicalClusterLike,
  effective: EffectiveConstraints,
  clusters: readonly ClusterLike[],
  bound: ClusterLike | undefined,
  scopes: readonly LimitScope[],
): LogicalClusterClaim {
  let cost: MonthlyCost;
  if (lc.spec.mode === 'Cluster') cost = bound ? clusterModeCost(bound) : { amount: 0 };
  else cost = namespaceModeCost(effective.constraints.quota?.hard, eligibleClusters(effective, clusters));
  const created = lc.metadata.creationTimestamp;
  return {
    name: lc.metadata.name ?? '',
    created: created instanceof Date ? created.toISOString() : (created ?? ''),
    quota: effective.constraints.quota?.hard ?? {},
    cost,
    workspaces: scopes.map((s) => s.workspace),
  };
}

export type { KubernetesObject };
