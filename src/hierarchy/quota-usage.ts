/**
 * Hierarchical quota as observed: ResourceQuota usage summed over a
 * workspace's subtree (home and logical-cluster namespaces), and what the
 * logical clusters below have been allotted (their quota claims, the figure
 * admission checks new logical clusters against).
 *
 * Several ResourceQuotas in one namespace all count the same pods, so a
 * namespace's usage of a resource is the largest any of its quotas reports,
 * not their sum.
 */

import type { LogicalClusterSpec } from './logical-cluster.js';
import type { ResourceList } from '../crds/common.js';
import type { Informer, KubeObject } from '../runtime/index.js';
import { narrowConstraints } from './constraints.js';
import type { Forest } from './forest.js';
import { addQuantities, compareQuantities, type Quantity, ZERO_QUANTITY } from '../kube/quantity.js';
import { parseResourceList } from '../kube/resource-list.js';

export interface QuotaObject extends KubeObject {
  status?: { used?: ResourceList };
}

export type LogicalClusterQuotaView = KubeObject & { readonly spec?: Partial<Pick<LogicalClusterSpec, 'workspace' | 'constraints'>> };

/** Keeps only what usage needs from a ResourceQuota. */
export function stripQuota(quota: QuotaObject): QuotaObject {
  const meta = quota.metadata ?? {};
  return {
    apiVersion: quota.apiVersion,
    kind: quota.kind,
    metadata: { name: meta.name, namespace: meta.namespace, resourceVersion: meta.resourceVersion },
    ...(quota.status?.used ? { status: { used: quota.status.used } } : {}),
  };
}

export function namespaceUsage(quotas: readonly QuotaObject[]): Map<string, Quantity> {
  const used = new Map<string, Quantity>();
  for (const quota of quotas) {
    for (const [resource, q] of parseResourceList(quota.status?.used).values) {
      const prev = used.get(resource);
      if (!prev || compareQuantities(q, prev) > 0) used.set(resource, q);
    }
  }
  return used;
}

function add(total: Map<string, Quantity>, part: ReadonlyMap<string, Quantity>, only: ReadonlySet<string>): void {
  for (const [resource, q] of part) {
    if (!only.has(resource)) continue;
    const prev = total.get(resource);
    total.set(resource, prev ? addQuantities(prev, q) : q);
  }
}

/** Usage over `workspace`'s subtree, for the resources in `resources` (each present, zero if unused). */
export function subtreeUsage(
  forest: Forest,
  workspace: string,
  quotasIn: (namespace: string) => readonly QuotaObject[],
  resources: ReadonlySet<string>,
): Map<string, Quantity> {
  const total = new Map<string, Quantity>();
  for (const ws of forest.subtree(workspace)) {
    for (const ns of forest.namespacesOf(ws)) add(total, namespaceUsage(quotasIn(ns)), resources);
  }
  // Seeded only now: a sum keeps its first term's notation (64Mi, not 67108864).
  for (const resource of resources) if (!total.has(resource)) total.set(resource, ZERO_QUANTITY);
  return total;
}

/**
 * The quota the logical clusters of `workspace`'s subtree claim: each one's
 * effective quota (its own narrowed by its workspace's), as admission counts them.
 */
export function subtreeAllotment(
  forest: Forest,
  workspace: string,
  logicalClustersOf: (workspace: string) => readonly LogicalClusterQuotaView[],
  resources: ReadonlySet<string>,
): Map<string, Quantity> {
  const total = new Map<string, Quantity>();
  for (const ws of forest.subtree(workspace)) {
    const effective = forest.effectiveConstraints(ws);
    if (!effective) continue;
    for (const lc of logicalClustersOf(ws)) {
      if (lc.metadata?.deletionTimestamp) continue;
      const claim = narrowConstraints(effective, { workspace: lc.metadata?.name ?? '', constraints: lc.spec?.constraints });
      add(total, parseResourceList(claim.constraints.quota?.hard).values, resources);
    }
  }
  return total;
}

/** Canonical resource names of a workspace's effective quota. */
export function quotaResources(forest: Forest, workspace: string): Set<string> {
  return new Set(parseResourceList(forest.effectiveConstraints(workspace)?.constraints.quota?.hard).values.keys());
}

export type QuotaInformer = Informer<QuotaObject>;
