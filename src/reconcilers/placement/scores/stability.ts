/**
 * Stability: clusters the object already runs on score 100. Without it, any
 * small change in another score (a price update, a new cluster) would move
 * workloads whenever `maxClusters` makes the choice a close call.
 */
import type { ScorePlugin } from '../framework.js';

export const stabilityScore: ScorePlugin = {
  name: 'Stability',
  weight: 1,
  // A requested rebalance decides afresh (placement/cluster-scoped.ts, reconciler.ts).
  enabled: (ctx) => ctx.current.size > 0 && !ctx.rebalance,
  score: (ctx, cluster) => (ctx.current.has(cluster.name) ? 100 : 0),
};
