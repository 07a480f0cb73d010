/**
 * Ranking and spread-aware ordering of the feasible clusters.
 */
import { compareNames, type ClusterView } from './cluster-view.js';
import { topologyValue } from './scores/spread.js';

export interface RankedCluster {
  readonly view: ClusterView;
  /** Weighted mean of the enabled score plugins, 0..100. */
  readonly score: number;
  /** Per score plugin, in plugin order (for the placement reason). */
  readonly scores: readonly number[];
}

/** Best first: score descending, then name ascending. Deterministic for equal inputs. */
export function rank(list: RankedCluster[]): RankedCluster[] {
  return list.sort((a, b) => b.score - a.score || compareNames(a.view.name, b.view.name));
}

/**
 * Reorders a ranking so that its first entries cover `minGroups` distinct
 * topology groups (the best cluster of each group, groups in the order of
 * their best cluster), followed by everything else in rank order. Any prefix
 * at least `minGroups` long then satisfies the spread constraint, so
 * maxClusters and minPerCluster can simply cut the list. Returns how many
 * leading entries are such group seeds.
 */
export function spreadOrder(ranked: readonly RankedCluster[], topologyKey: string | undefined, minGroups: number): { order: RankedCluster[]; seeds: number } {
  if (!topologyKey || minGroups <= 1) return { order: [...ranked], seeds: 0 };
  const seen = new Set<string>();
  const seeds: RankedCluster[] = [];
  const rest: RankedCluster[] = [];
  for (const r of ranked) {
    const g = topologyValue(r.view, topologyKey);
    if (g !== undefined && !seen.has(g) && seeds.length < minGroups) {
      seen.add(g);
      seeds.push(r);
    } else {
      rest.push(r);
    }
  }
  return { order: [...seeds, ...rest], seeds: seeds.length };
}
