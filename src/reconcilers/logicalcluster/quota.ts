/**
 * Turns a logical cluster's effective quota into per-namespace ResourceQuota
 * and LimitRange contents.
 *
 * quota.hard is the logical cluster's total (hierarchical quota sums over the
 * subtree), but a ResourceQuota binds one namespace, so a logical cluster with
 * N namespaces gives each 1/N of every limit (rounded down). That keeps the
 * sum of its namespaces' quotas within what the workspace budget admitted.
 */

import type { ResourceList } from '../../crds/common.js';
import { compareQuantities, formatQuantity, parseQuantity, type Quantity } from '../../kube/quantity.js';
import { parseResourceList } from '../../kube/resource-list.js';

/** Each namespace's share of `hard`, names canonical, sorted. Empty when there is no quota. */
export function namespaceQuota(hard: ResourceList | undefined, namespaceCount: number): Record<string, string> {
  const { values } = parseResourceList(hard);
  const out: Record<string, string> = {};
  const n = BigInt(Math.max(1, namespaceCount));
  for (const name of [...values.keys()].sort()) {
    const q = values.get(name)!;
    out[name] = formatQuantity(share(q, n, name));
  }
  return out;
}

// Object counts (pods, count/*, services...) must stay whole numbers; compute
// resources may go down to milli-units, which is what the apiserver keeps.
function share(q: Quantity, n: bigint, name: string): Quantity {
  const step = isCount(name) ? 1_000_000_000n : 1_000_000n;
  const part = q.nanos / n;
  return { nanos: part - (part % step), format: q.format };
}

function isCount(name: string): boolean {
  return !/(^|\.)(cpu|memory|ephemeral-storage|storage)$/.test(name) && !name.startsWith('hugepages-') && !name.startsWith('requests.hugepages-');
}

export interface LimitRangeItem {
  type: 'Container';
  default: Record<string, string>;
  defaultRequest: Record<string, string>;
}

const DEFAULT_REQUEST = { cpu: '100m', memory: '128Mi' } as const;
const DEFAULT_LIMIT = { cpu: '500m', memory: '512Mi' } as const;

/**
 * Container defaults, so that pods without requests/limits still fit a quota
 * on requests.* / limits.* instead of being refused. Each default is capped by
 * the namespace's share, and a request never exceeds its limit.
 */
export function limitRangeItem(perNamespace: Readonly<Record<string, string>>): LimitRangeItem {
  const item: LimitRangeItem = { type: 'Container', default: {}, defaultRequest: {} };
  for (const resource of ['cpu', 'memory'] as const) {
    const limit = capped(DEFAULT_LIMIT[resource], perNamespace[`limits.${resource}`]);
    let request = capped(DEFAULT_REQUEST[resource], perNamespace[`requests.${resource}`]);
    if (compareQuantities(request, limit) > 0) request = limit;
    item.default[resource] = formatQuantity(limit);
    item.defaultRequest[resource] = formatQuantity(request);
  }
  return item;
}

function capped(value: string, cap: string | undefined): Quantity {
  const q = parseQuantity(value);
  if (cap === undefined) return q;
  const c = parseQuantity(cap);
  return compareQuantities(c, q) < 0 ? c : q;
}
