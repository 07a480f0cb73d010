/**
 * Spread (`spread: {topologyKey, minGroups}`): favours clusters in groups
 * with fewer feasible clusters, so that choosing by score covers many groups,
 * and makes the decision Unschedulable when the filters leave fewer groups
 * than `minGroups`. Selection and division then guarantee the coverage.
 */
import type { ClusterView, ScheduleContext, ScorePlugin } from '../framework.js';

export const spreadScore: ScorePlugin = {
  name: 'Spread',
  weight: 1,
  enabled: (ctx) => ctx.spec.spread !== undefined && ctx.spec.spread.topologyKey !== '',
  check(ctx) {
    const spread = ctx.spec.spread;
    const min = spread?.minGroups ?? 1;
    if (!spread) return undefined;
    const groups = groupSizes(ctx);
    if (groups.size >= min) return undefined;
    const names = [...groups.keys()].sort();
    return `spread over ${spread.topologyKey} needs minGroups ${min} but the filters leave ${groups.size} group(s)${names.length ? ` [${names.join(', ')}]` : ''}`;
  },
  score(ctx, cluster) {
    const key = ctx.spec.spread?.topologyKey ?? '';
    const group = topologyValue(cluster, key);
    if (group === undefined) return 0;
    const sizes = groupSizes(ctx);
    const smallest = ctx.memo('Spread:smallest', smallestGroup);
    return (100 * smallest) / (sizes.get(group) ?? 1);
  },
};

/** The cluster's group for a topology key: `region` and `provider` read the spec, anything else a label. */
export function topologyValue(cluster: ClusterView, key: string): string | undefined {
  if (key === 'region') return cluster.region;
  if (key === 'provider') return cluster.provider;
  return cluster.labels[key];
}

function groupSizes(ctx: ScheduleContext): Map<string, number> {
  return ctx.memo('Spread:groups', computeGroupSizes);
}

function computeGroupSizes(ctx: ScheduleContext): Map<string, number> {
  const key = ctx.spec.spread?.topologyKey ?? '';
  const sizes = new Map<string, number>();
  for (const c of ctx.feasible) {
    const g = topologyValue(c, key);
    if (g !== undefined) sizes.set(g, (sizes.get(g) ?? 0) + 1);
  }
  return sizes;
}

function smallestGroup(ctx: ScheduleContext): number {
  return Math.min(...groupSizes(ctx).values());
}
