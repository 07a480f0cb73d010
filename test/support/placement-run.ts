/**
 * Runs one plugin against one cluster the way the engine would, for unit
 * tests of a single plugin.
 */
import { clusterView } from '../../src/reconcilers/placement/cluster-view.js';
import { DecisionContext } from '../../src/reconcilers/placement/context.js';
import type { FilterPlugin, FilterResult, ScorePlugin } from '../../src/reconcilers/placement/framework.js';
import type { Cluster, ScheduleInput } from '../../src/reconcilers/placement/types.js';
import { deployment, policy } from './placement-fixtures.js';

export type PartialInput = Partial<Omit<ScheduleInput, 'clusters'>>;

export function contextFor(input: PartialInput, clusters: readonly Cluster[]): DecisionContext {
  const ctx = new DecisionContext({
    object: input.object ?? deployment('app'),
    policy: input.policy ?? policy({}),
    clusters,
    ...(input.workspace ? { workspace: input.workspace } : {}),
    ...(input.currentPlacement ? { currentPlacement: input.currentPlacement } : {}),
    ...(input.policyEngineDecision ? { policyEngineDecision: input.policyEngineDecision } : {}),
    now: input.now ?? Date.parse('2030-01-01T00:00:00Z'),
  });
  ctx.feasible = clusters.map(clusterView);
  return ctx;
}

/** The plugin's verdict on `cluster`, or `skipped` when the plugin is not enabled for this input. */
export function runFilter(plugin: FilterPlugin, input: PartialInput, cluster: Cluster): FilterResult | 'skipped' {
  const ctx = contextFor(input, [cluster]);
  if (plugin.enabled && !plugin.enabled(ctx)) return 'skipped';
  return plugin.filter(ctx, clusterView(cluster));
}

/** Scores of every cluster by name (the plugin sees all of them as feasible). */
export function runScore(plugin: ScorePlugin, input: PartialInput, clusters: readonly Cluster[]): Record<string, number> | 'skipped' {
  const ctx = contextFor(input, clusters);
  if (plugin.enabled && !plugin.enabled(ctx)) return 'skipped';
  const out: Record<string, number> = {};
  for (const c of clusters) out[c.metadata.name ?? ''] = plugin.score(ctx, clusterView(c));
  return out;
}

/** The rejection reason, or undefined when the cluster passed (or the plugin was skipped). */
export function reasonOf(r: FilterResult | 'skipped'): string | undefined {
  return r === 'skipped' || r.ok ? undefined : r.reason;
}
