/**
 * Pure "who runs where" helpers for the CLI: which objects run on a set of
 * clusters, and which would move if a cluster lost a label.
 */
import type { LabelSelector } from '../../crds/common.js';
import { schedule, type ScheduleOptions } from './engine.js';
import { compileSelector } from '../../kube/label-selector.js';
import type { Cluster, ClusterPlacement, CurrentPlacement, ScheduledCondition, ScheduleInput } from './types.js';

export interface ObjectRef {
  readonly apiVersion: string;
  readonly kind: string;
  readonly namespace?: string;
  readonly name: string;
}

/** Where one object runs (a PropagatedObject's `status.placement`). */
export interface ObjectPlacementRecord {
  readonly object: ObjectRef;
  readonly placement: readonly CurrentPlacement[];
  /** Owning workspace, when known, so callers can group by tenant. */
  readonly workspace?: string;
}

/** Clusters to ask about: every given criterion must hold. A function is used as-is. */
export type ClusterQuery =
  | {
      readonly labelSelector?: LabelSelector;
      readonly regions?: readonly string[];
      readonly providers?: readonly string[];
      readonly names?: readonly string[];
    }
  | ((cluster: Cluster) => boolean);

export interface ObjectOnClusters {
  readonly object: ObjectRef;
  readonly workspace?: string;
  /** The matching clusters the object runs on. */
  readonly clusters: readonly CurrentPlacement[];
}

/** Objects with at least one placement on a cluster matching the query, sorted by namespace/name. */
export function objectsOnClusters(placements: readonly ObjectPlacementRecord[], clusters: readonly Cluster[], selector: ClusterQuery): ObjectOnClusters[] {
  const test = toPredicate(selector);
  const matching = new Set(clusters.filter(test).map((c) => c.metadata.name));
  const out: ObjectOnClusters[] = [];
  for (const rec of placements) {
    const on = rec.placement.filter((p) => matching.has(p.cluster));
    if (on.length === 0) continue;
    out.push({ object: rec.object, ...(rec.workspace !== undefined ? { workspace: rec.workspace } : {}), clusters: on });
  }
  return out.sort((a, b) => compareRefs(a.object, b.object));
}

export interface PlacementChange {
  readonly object: ObjectRef;
  readonly workspace?: string;
  readonly before: readonly ClusterPlacement[];
  readonly after: readonly ClusterPlacement[];
  /** The object runs on the cluster now and would not afterwards. */
  readonly losesCluster: boolean;
  /** The decision after the change (e.g. Unschedulable when nothing else fits). */
  readonly conditionAfter: ScheduledCondition;
}

/**
 * Re-runs the engine for every input with `labelKey` removed from cluster
 * `clusterName` and returns the objects whose placement would change, e.g.
 * "which tenants are affected if eu-1 loses compliance/pci".
 */
export function affectedIfLabelRemoved(
  inputs: readonly ScheduleInput[],
  clusterName: string,
  labelKey: string,
  options: ScheduleOptions = {},
): PlacementChange[] {
  const modified = new Map<readonly Cluster[], readonly Cluster[]>();
  const without = (clusters: readonly Cluster[]): readonly Cluster[] => {
    let m = modified.get(clusters);
    if (!m) {
      m = clusters.map((c) => (c.metadata.name === clusterName ? withoutLabel(c, labelKey) : c));
      modified.set(clusters, m);
    }
    return m;
  };
  const out: PlacementChange[] = [];
  for (const input of inputs) {
    const target = input.clusters.find((c) => c.metadata.name === clusterName);
    if (!target || target.metadata.labels?.[labelKey] === undefined) continue;
    const before = schedule(input, options);
    const after = schedule({ ...input, clusters: without(input.clusters) }, options);
    if (samePlacement(before.placement, after.placement) && before.condition.status === after.condition.status) continue;
    out.push({
      object: refOf(input),
      ...(input.workspace ? { workspace: input.workspace.name } : {}),
      before: before.placement,
      after: after.placement,
      losesCluster: before.placement.some((p) => p.cluster === clusterName) && !after.placement.some((p) => p.cluster === clusterName),
      conditionAfter: after.condition,
    });
  }
  return out.sort((a, b) => compareRefs(a.object, b.object));
}

function withoutLabel(c: Cluster, key: string): Cluster {
  const labels = { ...(c.metadata.labels ?? {}) };
  delete labels[key];
  return { ...c, metadata: { ...c.metadata, labels } };
}

function samePlacement(a: readonly ClusterPlacement[], b: readonly ClusterPlacement[]): boolean {
  if (a.length !== b.length) return false;
  const m = new Map(a.map((p) => [p.cluster, p.replicas]));
  return b.every((p) => m.has(p.cluster) && m.get(p.cluster) === p.replicas);
}

function refOf(input: ScheduleInput): ObjectRef {
  const o = input.object;
  return {
    apiVersion: o.apiVersion,
    kind: o.kind,
    ...(o.metadata.namespace !== undefined ? { namespace: o.metadata.namespace } : {}),
    name: o.metadata.name,
  };
}

function toPredicate(q: ClusterQuery): (c: Cluster) => boolean {
  if (typeof q === 'function') return q;
  const selector = q.labelSelector ? compileSelector(q.labelSelector) : undefined;
  return (c) =>
    (!selector || selector.matches(c.metadata.labels ?? {})) &&
    (!q.regions || (c.spec?.region !== undefined && q.regions.includes(c.spec.region))) &&
    (!q.providers || (c.spec?.provider !== undefined && q.providers.includes(c.spec.provider))) &&
    (!q.names || (c.metadata.name !== undefined && q.names.includes(c.metadata.name)));
}

function compareRefs(a: ObjectRef, b: ObjectRef): number {
  const ka = `${a.namespace ?? ''}/${a.name}/${a.kind}`;
  const kb = `${b.namespace ?? ''}/${b.name}/${b.kind}`;
  return ka < kb ? -1 : ka > kb ? 1 : 0;
}
