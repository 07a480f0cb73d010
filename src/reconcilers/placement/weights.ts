/**
 * Where Divide's weights come from, in order of precedence: the external
 * policy engine's answer; free capacity (`byCapacity`, the default when no
 * static weights are given, as the CRD documents); static `weights`; equal
 * shares when capacity is unknown everywhere.
 */
import type { ClusterView } from './cluster-view.js';
import type { ScheduleContext } from './framework.js';
import { compileSelector } from '../../kube/label-selector.js';
import type { ReplicaWeight } from './types.js';

export interface ReplicaWeights {
  /** One weight per view, same order. */
  readonly values: readonly number[];
  /** How the user should read a weight: `weight`, `free capacity`, ... */
  readonly source: string;
}

/**
 * One weight per view. `fits` are the replicas that fit into each view's free
 * allocatable (the caller needs them for capacity caps anyway).
 */
export function replicaWeights(ctx: ScheduleContext, views: readonly ClusterView[], fits: readonly number[]): ReplicaWeights {
  const d = ctx.policyEngineDecision;
  if (ctx.spec.policyEngine && d && 'allowed' in d && d.weights) {
    const w = d.weights;
    // The policy engine allowed these clusters; one it gave no weight gets an ordinary share.
    return { values: views.map((v) => sanitize(w[v.name] ?? 1)), source: 'policy engine weight' };
  }
  const replicas = ctx.spec.replicas;
  const entries = replicas?.weights;
  const statics = entries && entries.length > 0 ? views.map((v) => staticWeight(entries, v)) : undefined;
  const byCapacity = replicas?.byCapacity ?? statics === undefined;
  if (byCapacity) {
    const finite = fits.filter((f) => Number.isFinite(f));
    if (finite.length > 0) {
      // A cluster that does not report capacity is assumed as roomy as the roomiest one that does.
      const unknown = Math.max(1, ...finite);
      const values = fits.map((f, i) => (statics && statics[i] === 0 ? 0 : Number.isFinite(f) ? f : unknown));
      return { values, source: 'free capacity' };
    }
    // Nothing reports capacity (or the object requests nothing): capacity cannot tell clusters apart.
  }
  if (statics) return { values: statics, source: 'weight' };
  return { values: views.map(() => 1), source: 'equal weight' };
}

/** An entry naming the cluster wins over selector entries; among selectors the first match wins; no match is 0. */
function staticWeight(entries: readonly ReplicaWeight[], v: ClusterView): number {
  for (const e of entries) if (e.cluster === v.name) return sanitize(e.weight);
  for (const e of entries) {
    if (e.cluster === undefined && e.clusterSelector && compileSelector(e.clusterSelector).matches(v.labels)) return sanitize(e.weight);
  }
  return 0;
}

function sanitize(w: number): number {
  return Number.isFinite(w) && w > 0 ? w : 0;
}
