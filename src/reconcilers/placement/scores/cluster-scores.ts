/**
 * ClusterScores: per-cluster values written as data into Cluster
 * `status.scores` by programs outside Canopy (green energy, spot price,
 * latency), read when the policy names them in `spec.clusterScores[]`.
 * Signals that change over hours need no plugin server and no request per
 * decision: the writer updates the Cluster, the Cluster update re-decides.
 */
import type { ClusterView } from '../cluster-view.js';
import type { ScheduleContext, ScorePlugin } from '../framework.js';
import type { ClusterScoreRef } from '../types.js';

export const CLUSTER_SCORES = 'ClusterScores';

export const clusterScoresScore: ScorePlugin = {
  name: CLUSTER_SCORES,
  weight: 1,
  enabled: (ctx) => refs(ctx).length > 0,
  weightFor: (ctx) => refs(ctx).reduce((sum, r) => sum + Math.max(0, r.weight), 0),
  score(ctx, cluster) {
    let sum = 0;
    let weight = 0;
    for (const r of refs(ctx)) {
      const w = Math.max(0, r.weight);
      sum += w * scoreOf(ctx, r, cluster).value;
      weight += w;
    }
    return weight === 0 ? 0 : sum / weight;
  },
  detail: (ctx, cluster) =>
    refs(ctx)
      .map((r) => {
        const v = scoreOf(ctx, r, cluster);
        return `${r.name} ${v.value}${v.note ? ` (${v.note})` : ''}`;
      })
      .join(', '),
};

function refs(ctx: ScheduleContext): readonly ClusterScoreRef[] {
  return ctx.spec.clusterScores ?? [];
}

/**
 * The entry's value, or the policy's default when the cluster has none, a
 * malformed one, or one older than maxAgeSeconds. A fresh entry asks to be
 * decided again when it goes stale, so the decision changes then by itself.
 */
export function scoreOf(ctx: ScheduleContext, ref: ClusterScoreRef, cluster: ClusterView): { value: number; note?: string } {
  const fallback = clamp(ref.defaultValue ?? 0);
  const entry = cluster.cluster.status?.scores?.find((s) => s.name === ref.name);
  if (!entry) return { value: fallback, note: 'not reported' };
  if (typeof entry.value !== 'number' || !Number.isFinite(entry.value)) return { value: fallback, note: 'not a number' };
  if (ref.maxAgeSeconds !== undefined) {
    const at = entry.updatedAt === undefined ? NaN : new Date(entry.updatedAt).getTime();
    if (!Number.isFinite(at)) return { value: fallback, note: 'no updatedAt' };
    const staleAt = at + ref.maxAgeSeconds * 1000;
    if (staleAt <= ctx.now) return { value: fallback, note: 'stale' };
    ctx.requeueAt(staleAt);
  }
  return { value: clamp(entry.value) };
}

function clamp(v: number): number {
  return Math.min(100, Math.max(0, v));
}
