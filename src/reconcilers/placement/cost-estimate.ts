/**
 * Monthly cost of running an object on a cluster, from the cluster's
 * `spec.pricing` and the object's requests. Used by the Cost score and the
 * workspace costBudget constraint; both compare clusters, so the estimate
 * only has to be consistent, not an invoice.
 */
import type { ClusterView } from './cluster-view.js';
import type { ObjectProfile } from './object-profile.js';

/** Hours in an average month (8760 / 12), the convention cloud price sheets use. */
export const HOURS_PER_MONTH = 730;
const GIB = 1024 ** 3;

/**
 * Estimated monthly cost of `replicas` replicas (plus the object's load
 * balancers) on the cluster, or undefined when the cluster has no pricing or
 * the object requests nothing priced, i.e. when there is nothing to estimate.
 */
export function monthlyCost(profile: ObjectProfile, cluster: ClusterView, replicas: number): number | undefined {
  const prices = cluster.prices;
  if (!prices) return undefined;
  const cpu = profile.requestsPerReplica.get('cpu') ?? 0;
  const memory = profile.requestsPerReplica.get('memory') ?? 0;
  if (cpu === 0 && memory === 0 && profile.loadBalancers === 0) return undefined;
  const perReplicaHour = cpu * (prices.cpuHour ?? 0) + (memory / GIB) * (prices.memoryGiBHour ?? 0);
  const fixedHour = profile.loadBalancers * (prices.loadBalancerHour ?? 0);
  return (perReplicaHour * replicas + fixedHour) * HOURS_PER_MONTH;
}

export function formatMoney(v: number): string {
  return v.toFixed(2);
}
