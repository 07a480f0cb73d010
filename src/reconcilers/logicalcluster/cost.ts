/**
 * What a logical cluster costs per month, for workspace cost budgets.
 *
 * Namespace mode: its quota (requests, else limits) priced at the most
 * expensive cluster its constraints allow: workloads may be placed anywhere
 * allowed, so the budget check is conservative. Cluster mode: the bound
 * cluster's whole capacity, since the tenant has it exclusively.
 */

import type { ResourceList } from '../../crds/common.js';
import { parseResourceList } from '../../kube/resource-list.js';
import type { ClusterLike, PricingLike } from './types.js';

export const HOURS_PER_MONTH = 730;
const GIB = 2 ** 30;

export type MonthlyCost = { readonly amount: number } | { readonly unbounded: string };

function price(p: PricingLike | undefined, key: keyof PricingLike): number {
  const raw = p?.[key];
  const n = typeof raw === 'string' ? Number(raw) : raw;
  return typeof n === 'number' && Number.isFinite(n) && n > 0 ? n : 0;
}

function amount(list: ReadonlyMap<string, { nanos: bigint }>, ...names: string[]): number | undefined {
  for (const name of names) {
    const q = list.get(name);
    if (q) return Number(q.nanos) / 1e9;
  }
  return undefined;
}

/** Namespace mode: quota × the highest price among `eligible` clusters. */
export function namespaceModeCost(quotaHard: ResourceList | undefined, eligible: readonly ClusterLike[]): MonthlyCost {
  const q = parseResourceList(quotaHard).values;
  const cpuHour = Math.max(0, ...eligible.map((c) => price(c.spec?.pricing, 'cpuHour')));
  const memHour = Math.max(0, ...eligible.map((c) => price(c.spec?.pricing, 'memoryGiBHour')));
  const lbHour = Math.max(0, ...eligible.map((c) => price(c.spec?.pricing, 'loadBalancerHour')));
  const cpu = amount(q, 'requests.cpu', 'limits.cpu');
  const memory = amount(q, 'requests.memory', 'limits.memory');
  const lbs = amount(q, 'services.loadbalancers');
  const missing = [
    cpuHour > 0 && cpu === undefined ? 'cpu' : '',
    memHour > 0 && memory === undefined ? 'memory' : '',
    lbHour > 0 && lbs === undefined ? 'services.loadbalancers' : '',
  ].filter(Boolean);
  if (missing.length > 0) {
    return { unbounded: `it has no quota on ${missing.join(', ')}, so its cost has no upper bound; set spec.constraints.quota.hard` };
  }
  return { amount: HOURS_PER_MONTH * ((cpu ?? 0) * cpuHour + ((memory ?? 0) / GIB) * memHour + (lbs ?? 0) * lbHour) };
}

/** Cluster mode: the bound cluster's capacity at its own prices. */
export function clusterModeCost(cluster: ClusterLike): MonthlyCost {
  const cap = parseResourceList(cluster.spec?.capacity as ResourceList | undefined).values;
  const cpuHour = price(cluster.spec?.pricing, 'cpuHour');
  const memHour = price(cluster.spec?.pricing, 'memoryGiBHour');
  const cpu = amount(cap, 'requests.cpu');
  const memory = amount(cap, 'requests.memory');
  if ((cpuHour > 0 && cpu === undefined) || (memHour > 0 && memory === undefined)) {
    return { unbounded: `cluster ${cluster.metadata.name} declares no spec.capacity, so its cost is unknown` };
  }
  return { amount: HOURS_PER_MONTH * ((cpu ?? 0) * cpuHour + ((memory ?? 0) / GIB) * memHour) };
}

export function formatMoney(value: number): string {
  return value.toFixed(2);
}
