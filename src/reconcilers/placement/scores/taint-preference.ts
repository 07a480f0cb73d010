/**
 * TaintPreference: a `PreferNoSchedule` taint the policy does not tolerate
 * never excludes a cluster, it only makes it score lower.
 */
import type { ClusterView, ScheduleContext, ScorePlugin } from '../framework.js';
import { tolerates } from '../filters/taint-toleration.js';

export const taintPreferenceScore: ScorePlugin = {
  name: 'TaintPreference',
  weight: 1,
  enabled: (ctx) => ctx.memo('TaintPreference:any', anySoftTaint),
  score(ctx, cluster) {
    const tolerations = ctx.spec.tolerations ?? [];
    for (const taint of cluster.taints) {
      if (taint.effect === 'PreferNoSchedule' && !tolerations.some((t) => tolerates(t, taint))) return 0;
    }
    return 100;
  },
};

function anySoftTaint(ctx: ScheduleContext): boolean {
  return ctx.feasible.some(hasSoftTaint);
}

function hasSoftTaint(c: ClusterView): boolean {
  return c.taints.some((t) => t.effect === 'PreferNoSchedule');
}
