/**
 * How much of a cluster's allocatable is free for the object, and how many
 * of its replicas fit there. Shared by the Capacity filter and division by
 * capacity so both agree on the arithmetic.
 */
import type { ClusterView } from './cluster-view.js';
import type { ObjectProfile } from './object-profile.js';

/**
 * Free amount of one resource, or undefined when the cluster does not report
 * it (unknown is not zero: an unreported resource does not block placement).
 * Replicas the object already runs there count as free when the reported
 * free amount already has them subtracted: re-placing an object must not
 * compete with itself.
 */
export function freeResource(cluster: ClusterView, resource: string, perReplica: number, currentReplicas: number): number | undefined {
  const allocatable = cluster.allocatable?.get(resource);
  if (allocatable === undefined) return undefined;
  const free = allocatable - (cluster.allocated.get(resource) ?? 0);
  return cluster.freeExcludesOwnUsage ? free + perReplica * currentReplicas : free;
}

/** Replicas of the object that fit into the cluster's free allocatable; Infinity when nothing limits it. */
export function replicasThatFit(profile: ObjectProfile, cluster: ClusterView, currentReplicas: number): number {
  let fit = Infinity;
  if (!cluster.allocatable) return fit;
  for (const [resource, perReplica] of profile.requestsPerReplica) {
    if (perReplica <= 0) continue;
    const free = freeResource(cluster, resource, perReplica, currentReplicas);
    if (free === undefined) continue;
    // A tiny epsilon keeps 0.1+0.2-style float noise from costing a replica.
    fit = Math.min(fit, Math.max(0, Math.floor(free / perReplica + 1e-9)));
  }
  return fit;
}
