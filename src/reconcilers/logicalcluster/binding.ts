/**
 * Cluster mode: which registered Cluster a logical cluster binds to.
 *
 * A binding is exclusive and sticky: once recorded in status.cluster it is
 * kept for as long as that Cluster exists (moving a tenant's namespaces to
 * another cluster would lose its data), so the choice below only runs for an
 * unbound logical cluster. Candidates are tried in name order, so the same
 * inputs always give the same answer, and every rejected cluster gets a
 * reason the user can act on.
 */

import type { ConditionLike } from '../../hierarchy/logical-cluster.js';
import type { LabelSelector } from '../../crds/common.js';
import { matchesSelector, describeRequirements, selectorRequirements } from '../../kube/label-selector.js';
import type { ClusterLike } from './types.js';

export interface BindingInput {
  readonly logicalCluster: string;
  /** status.cluster, if already bound. */
  readonly current?: string | undefined;
  /** spec.clusterSelector. */
  readonly clusterSelector?: LabelSelector | undefined;
  /** Effective regions (workspace ∧ logical cluster); undefined means any, [] means none. */
  readonly regions?: readonly string[] | undefined;
  /** Effective clusterSelector of the workspace ∧ logical cluster constraints. */
  readonly constraintSelector?: LabelSelector | undefined;
  readonly clusters: readonly ClusterLike[];
  /** Cluster name → the Cluster-mode logical cluster holding it (this one excluded or included, either works). */
  readonly boundTo: ReadonlyMap<string, string>;
}

export interface ClusterRejection {
  readonly cluster: string;
  readonly reason: string;
}

export type BindingDecision =
  | { readonly ok: true; readonly cluster: string; readonly kept: boolean }
  | {
      readonly ok: false;
      readonly reason: 'NoSuitableCluster' | 'BoundClusterMissing';
      readonly message: string;
      readonly rejections: readonly ClusterRejection[];
    };

export function readyCondition(cluster: ClusterLike): ConditionLike | undefined {
  return cluster.status?.conditions?.find((c) => c.type === 'Ready');
}

/** Why `cluster` cannot take this logical cluster, or undefined if it can. */
export function rejectionReason(input: BindingInput, cluster: ClusterLike): string | undefined {
  const name = cluster.metadata.name ?? '';
  const labels = cluster.metadata.labels ?? {};
  const holder = input.boundTo.get(name);
  if (holder !== undefined && holder !== input.logicalCluster) return `already bound to logical cluster ${holder}`;
  if (input.regions !== undefined) {
    const region = cluster.spec?.region;
    if (input.regions.length === 0) return 'the workspace constraints allow no region';
    if (region === undefined || !input.regions.includes(region)) {
      return `region ${region ?? '(none)'} is not allowed (allowed: ${input.regions.join(', ')})`;
    }
  }
  if (!matchesSelector(input.constraintSelector, labels)) {
    return `labels do not match the workspace's clusterSelector (${describeSelector(input.constraintSelector)})`;
  }
  if (!matchesSelector(input.clusterSelector, labels)) {
    return `labels do not match spec.clusterSelector (${describeSelector(input.clusterSelector)})`;
  }
  const ready = readyCondition(cluster);
  if (ready?.status !== 'True') {
    return ready ? `not Ready (${ready.reason ?? ready.status}${ready.message ? `: ${ready.message}` : ''})` : 'not Ready (no health probe reported yet)';
  }
  const taint = cluster.spec?.taints?.find((t) => t.effect === 'NoSchedule' || t.effect === 'NoExecute');
  if (taint) return `tainted ${taint.key}${taint.value ? `=${taint.value}` : ''}:${taint.effect}`;
  return undefined;
}

export function chooseCluster(input: BindingInput): BindingDecision {
  const byName = new Map(input.clusters.map((c) => [c.metadata.name ?? '', c]));
  if (input.current) {
    if (byName.has(input.current)) return { ok: true, cluster: input.current, kept: true };
    return {
      ok: false,
      reason: 'BoundClusterMissing',
      message: `bound to cluster ${input.current}, which is no longer registered; register it again, or delete this logical cluster (its namespaces there cannot be reached)`,
      rejections: [],
    };
  }
  const rejections: ClusterRejection[] = [];
  for (const name of [...byName.keys()].sort()) {
    const why = rejectionReason(input, byName.get(name)!);
    if (why === undefined) return { ok: true, cluster: name, kept: false };
    rejections.push({ cluster: name, reason: why });
  }
  const detail = rejections.length === 0 ? 'no Cluster is registered' : rejections.map((r) => `${r.cluster}: ${r.reason}`).join('; ');
  return { ok: false, reason: 'NoSuitableCluster', message: `no registered cluster can be bound: ${detail}`, rejections };
}

/**
 * Cluster → holder from the logical clusters' recorded bindings. Should two
 * ever claim the same cluster, the older one (then the smaller name) keeps it.
 */
export function bindingsOf(logicalClusters: Iterable<{ name: string; created: string; cluster: string | undefined }>): Map<string, string> {
  const winner = new Map<string, { name: string; created: number }>();
  for (const lc of logicalClusters) {
    if (!lc.cluster) continue;
    const created = Date.parse(lc.created) || 0;
    const prev = winner.get(lc.cluster);
    if (!prev || created < prev.created || (created === prev.created && lc.name < prev.name)) winner.set(lc.cluster, { name: lc.name, created });
  }
  return new Map([...winner].map(([cluster, w]) => [cluster, w.name]));
}

function describeSelector(selector: LabelSelector | undefined): string {
  const reqs = selectorRequirements(selector);
  return [...new Set(reqs.map((r) => r.key))].map((k) => describeRequirements(reqs, k)).join(', ');
}
