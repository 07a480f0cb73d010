/**
 * Cost (`cost: LowestFirst`): the cheapest feasible cluster for this object
 * scores 100, the most expensive 0, linearly between. A cluster whose cost
 * cannot be estimated (no pricing) scores 0: cheapness is not assumed.
 */
import { monthlyCost } from '../cost-estimate.js';
import type { ClusterView, ScheduleContext, ScorePlugin } from '../framework.js';

export const costScore: ScorePlugin = {
  name: 'Cost',
  weight: 1,
  enabled: (ctx) => ctx.spec.cost === 'LowestFirst',
  score(ctx, cluster) {
    const { costs, min, max } = ctx.memo('Cost:bounds', bounds);
    const c = costs.get(cluster);
    if (c === undefined) return 0;
    return max === min ? 100 : (100 * (max - c)) / (max - min);
  },
};

function bounds(ctx: ScheduleContext): { costs: Map<ClusterView, number>; min: number; max: number } {
  const costs = new Map<ClusterView, number>();
  let min = Infinity;
  let max = -Infinity;
  const replicas = Math.max(1, ctx.minReplicasPerCluster);
  for (const cluster of ctx.feasible) {
    const c = monthlyCost(ctx.profile, cluster, replicas);
    if (c === undefined) continue;
    costs.set(cluster, c);
    min = Math.min(min, c);
    max = Math.max(max, c);
  }
  return { costs, min, max };
}
