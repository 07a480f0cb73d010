/**
 * The engine's view of a Cluster: everything plugins compare, parsed once per
 * Cluster object (cached by identity) rather than once per decision.
 */
import { parseQuantity, parseResourceList } from './quantity.js';
import type { Cluster, ConditionLike, Taint } from './types.js';
import type { Labels } from '../../crds/common.js';

export interface ClusterPrices {
  readonly cpuHour: number | undefined;
  readonly memoryGiBHour: number | undefined;
  readonly loadBalancerHour: number | undefined;
}

export interface ClusterView {
  readonly name: string;
  readonly cluster: Cluster;
  readonly labels: Labels;
  readonly region: string | undefined;
  readonly provider: string | undefined;
  readonly taints: readonly Taint[];
  /** The `Ready` condition, if the cluster reported one. */
  readonly ready: ConditionLike | undefined;
  /** `status.allocatable`, else `spec.capacity`; undefined when neither is reported. */
  readonly allocatable: ReadonlyMap<string, number> | undefined;
  /** `status.allocated` (requests already placed); empty when not reported. */
  readonly allocated: ReadonlyMap<string, number>;
  /**
   * True when `allocatable` already excludes running workloads (reported
   * `status.allocatable`, or total minus `allocated`), so this object's own
   * current replicas there count as free when re-placing it.
   */
  readonly freeExcludesOwnUsage: boolean;
  readonly prices: ClusterPrices | undefined;
  /** `group/version/Kind` keys the cluster serves; undefined when it did not report them. */
  readonly apis: ReadonlySet<string> | undefined;
}

const views = new WeakMap<Cluster, ClusterView>();
const snapshots = new WeakMap<readonly Cluster[], ClusterSnapshot>();

export function clusterView(cluster: Cluster): ClusterView {
  let v = views.get(cluster);
  if (!v) {
    v = build(cluster);
    views.set(cluster, v);
  }
  return v;
}

/** All clusters of one decision input, sorted by name, with each name's position. */
export interface ClusterSnapshot {
  readonly views: readonly ClusterView[];
  readonly indexOf: ReadonlyMap<string, number>;
}

/**
 * Views of all clusters sorted by name, so that every decision is independent
 * of the order the cache listed clusters in. Cached per array, because the
 * reconciler hands the same snapshot to many decisions.
 */
export function clusterSnapshot(clusters: readonly Cluster[]): ClusterSnapshot {
  let snap = snapshots.get(clusters);
  if (!snap) {
    const seen = new Set<string>();
    const out: ClusterView[] = [];
    for (const c of clusters) {
      const name = c.metadata.name;
      // Names are unique and present in the API; be defensive about hand-made input.
      if (!name || seen.has(name)) continue;
      seen.add(name);
      out.push(clusterView(c));
    }
    out.sort((a, b) => compareNames(a.name, b.name));
    snap = { views: out, indexOf: new Map(out.map((v, i) => [v.name, i])) };
    snapshots.set(clusters, snap);
  }
  return snap;
}

/** Locale-independent name order (the order kubectl lists objects in). */
export function compareNames(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** `group/version/Kind` key used for API availability. */
export function apiKey(groupVersion: string, kind: string): string {
  return `${groupVersion}/${kind}`;
}

function build(cluster: Cluster): ClusterView {
  const spec = cluster.spec ?? {};
  const status = cluster.status ?? {};
  const allocatableList = status.allocatable ?? spec.capacity;
  let apis: Set<string> | undefined;
  if (Array.isArray(status.apiEnablements)) {
    apis = new Set();
    for (const gv of status.apiEnablements) {
      for (const r of gv.resources ?? []) apis.add(apiKey(gv.groupVersion, typeof r === 'string' ? r : r.kind));
    }
  }
  const p = spec.pricing;
  return {
    name: cluster.metadata.name ?? '',
    cluster,
    labels: cluster.metadata.labels ?? {},
    region: spec.region,
    provider: spec.provider,
    taints: spec.taints ?? [],
    ready: status.conditions?.find((c) => c.type === 'Ready'),
    allocatable: allocatableList ? parseResourceList(allocatableList) : undefined,
    allocated: parseResourceList(status.allocated),
    freeExcludesOwnUsage: status.allocatable !== undefined || status.allocated !== undefined,
    prices: p
      ? { cpuHour: parseQuantity(p.cpuHour), memoryGiBHour: parseQuantity(p.memoryGiBHour), loadBalancerHour: parseQuantity(p.loadBalancerHour) }
      : undefined,
    apis,
  };
}
