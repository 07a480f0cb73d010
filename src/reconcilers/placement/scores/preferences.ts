/**
 * Preferences: the policy's weighted `preferences[]`; a cluster scores the
 * share of the total preference weight whose selectors it matches.
 */
import type { ScorePlugin } from '../framework.js';
import { compileSelector } from '../../../kube/label-selector.js';

export const preferencesScore: ScorePlugin = {
  name: 'Preferences',
  weight: 1,
  enabled: (ctx) => (ctx.spec.preferences?.length ?? 0) > 0,
  score(ctx, cluster) {
    let total = 0;
    let matched = 0;
    for (const p of ctx.spec.preferences ?? []) {
      if (!(p.weight > 0)) continue;
      total += p.weight;
      if (compileSelector(p.clusterSelector).matches(cluster.labels)) matched += p.weight;
    }
    return total === 0 ? 0 : (100 * matched) / total;
  },
};
