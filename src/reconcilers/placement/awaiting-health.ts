/**
 * A first decision waits briefly for clusters that were just registered.
 *
 * A Cluster has no `Ready` condition until its first health probe, and
 * ClusterReady keeps new workloads off it meanwhile. On a fresh install the
 * Clusters and the workloads appear together, so without waiting every
 * object would land on whichever clusters happened to be probed first and
 * move again as soon as the rest reported: a make-before-break handover per
 * object, for nothing. So an object that runs nowhere yet is not placed while
 * a cluster registered less than the grace ago has no health verdict and
 * would be chosen if it were Ready. Objects that already run somewhere are
 * never held (a joining cluster is just one more candidate for them), and a
 * cluster the object would not get anyway holds nothing.
 */
import { schedule, type ScheduleOptions } from './engine.js';
import type { Cluster, ScheduleInput } from './types.js';

/** How long after a Cluster's creation a first decision may wait for its first probe. */
export const FIRST_PROBE_GRACE_MS = 15_000;

export interface AwaitedClusters {
  /** The clusters waited for, by name. */
  readonly clusters: readonly string[];
  /** When the wait ends at the latest, in ms from now. */
  readonly waitMs: number;
}

/**
 * The clusters a first decision should wait for, or undefined to decide now.
 * Pure: runs the engine once more, with the unprobed clusters taken as Ready,
 * only while some cluster is both young and unprobed.
 */
export function awaitedClusters(input: ScheduleInput, options: ScheduleOptions = {}, graceMs = FIRST_PROBE_GRACE_MS): AwaitedClusters | undefined {
  if ((input.currentPlacement?.length ?? 0) > 0) return undefined;
  const now = input.now ?? Date.now();
  const waiting = new Map<string, number>();
  for (const cluster of input.clusters) {
    const left = graceLeft(cluster, now, graceMs);
    if (left > 0 && cluster.metadata.name) waiting.set(cluster.metadata.name, left);
  }
  if (waiting.size === 0) return undefined;
  const probedReady = input.clusters.map((c) => (c.metadata.name && waiting.has(c.metadata.name) ? assumedReady(c) : c));
  const hypothetical = schedule({ ...input, clusters: probedReady }, options);
  const wanted = hypothetical.placement.map((p) => p.cluster).filter((name) => waiting.has(name));
  if (wanted.length === 0) return undefined;
  return { clusters: wanted.sort(), waitMs: Math.max(...wanted.map((name) => waiting.get(name)!)) };
}

/** The message of the Scheduled condition while waiting. */
export function awaitingMessage(awaited: AwaitedClusters): string {
  const seconds = Math.ceil(awaited.waitMs / 1000);
  const names = awaited.clusters.join(', ');
  return `waiting up to ${seconds}s for the first health probe of newly registered cluster(s) ${names}, which the policy would choose; placing now would put the object elsewhere and move it again once they report`;
}

function graceLeft(cluster: Cluster, now: number, graceMs: number): number {
  if (cluster.status?.conditions?.some((c) => c.type === 'Ready')) return 0;
  const created = cluster.metadata.creationTimestamp ? new Date(cluster.metadata.creationTimestamp).getTime() : NaN;
  if (Number.isNaN(created)) return 0;
  return created + graceMs - now;
}

function assumedReady(cluster: Cluster): Cluster {
  const conditions = [...(cluster.status?.conditions ?? []), { type: 'Ready', status: 'True', reason: 'AssumedForPlanning', message: 'not probed yet' }];
  return { ...cluster, status: { ...cluster.status, conditions } };
}
