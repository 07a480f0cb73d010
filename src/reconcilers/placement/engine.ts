/**
 * The placement engine: `schedule(input) → {placement, excluded, condition}`.
 * Pure: no I/O, no hidden state that changes the answer (caches only save
 * work), and the same inputs give the same decision whatever order the
 * clusters come in.
 */
import { sortedClusterViews, type ClusterView } from './cluster-view.js';
import { DecisionContext } from './context.js';
import { formatMoney, monthlyCost } from './cost-estimate.js';
import { divideReplicas } from './division.js';
import { budgetLeft, WORKSPACE_CONSTRAINTS, workspaceConstraintsFilter, workspaceName } from './filters/workspace-constraints.js';
import { replicasThatFit } from './fit.js';
import type { FilterPlugin, ScorePlugin } from './framework.js';
import { ANNOTATION_PLACEMENT_CLUSTERS } from './object-profile.js';
import { defaultRegistry, type PluginRegistry } from './registry.js';
import { rank, spreadOrder, type RankedCluster } from './selection.js';
import { replicaWeights } from './weights.js';
import type { ClusterExclusion, ClusterPlacement, ScheduledReason, ScheduleInput, ScheduleResult } from './types.js';

export interface ScheduleOptions {
  /** Plugins to run; defaults to {@link defaultRegistry}. WorkspaceConstraints always runs. */
  readonly registry?: PluginRegistry;
}

/** Pseudo-plugin names for exclusions made by engine stages rather than filters. */
export const STAGE_PINNING = 'Pinning';
export const STAGE_SELECTION = 'Selection';
export const STAGE_DIVISION = 'ReplicaDivision';
export const STAGE_POLICY_ENGINE = 'PolicyEngine';

const DEFAULT_REGISTRY = defaultRegistry();

export function schedule(input: ScheduleInput, options: ScheduleOptions = {}): ScheduleResult {
  const registry = options.registry ?? DEFAULT_REGISTRY;
  const ctx = new DecisionContext(input);
  const views = sortedClusterViews(input.clusters);
  const excluded: ClusterExclusion[] = [];
  const notes: string[] = [];
  // A failed decision lists every cluster not yet excluded under the stage that failed it.
  const done = (reason: ScheduledReason, message: string, placement: ClusterPlacement[] = [], stage = STAGE_SELECTION): ScheduleResult =>
    finish(ctx, views, placement, excluded, reason, message, stage);

  const pe = ctx.spec.policyEngine;
  if (pe) {
    const d = ctx.policyEngineDecision;
    if (!d || 'error' in d) {
      const why = d && 'error' in d ? d.error : 'no answer was obtained';
      if (pe.failurePolicy !== 'Ignore') {
        for (const v of views) excluded.push({ cluster: v.name, plugin: STAGE_POLICY_ENGINE, reason: `policy engine ${pe.url} failed: ${why}` });
        return done('PolicyEngineFailed', `policy engine ${pe.url} failed: ${why}; failurePolicy Fail leaves the object unscheduled`, [], STAGE_POLICY_ENGINE);
      }
      notes.push(`policy engine ${pe.url} failed (${why}); ignored as failurePolicy is Ignore`);
    }
  }

  const filters = activeFilters(registry, ctx);
  let candidates: readonly ClusterView[] = views;
  const pins = ctx.profile.pinnedClusters;
  if (pins) {
    const pinned = new Set(pins);
    const known = new Set<string>();
    const chosen: ClusterView[] = [];
    for (const v of views) {
      if (pinned.has(v.name)) {
        chosen.push(v);
        known.add(v.name);
      } else {
        excluded.push({ cluster: v.name, plugin: STAGE_PINNING, reason: `not listed in annotation ${ANNOTATION_PLACEMENT_CLUSTERS}` });
      }
    }
    for (const name of pins) {
      if (!known.has(name)) excluded.push({ cluster: name, plugin: STAGE_PINNING, reason: `listed in annotation ${ANNOTATION_PLACEMENT_CLUSTERS} but not registered` });
    }
    // A pinned cluster that policy forbids makes the request itself wrong, whatever else is also wrong with the cluster.
    const forbidden: string[] = [];
    for (const v of chosen) {
      for (const f of filters) {
        if ((f.kind ?? 'policy') !== 'policy') continue;
        const r = f.filter(ctx, v);
        if (!r.ok) forbidden.push(`cluster ${v.name} is forbidden by ${f.name}: ${r.reason}`);
      }
    }
    if (forbidden.length > 0) {
      return done('Invalid', `annotation ${ANNOTATION_PLACEMENT_CLUSTERS} asks for what policy forbids: ${forbidden.join('; ')}`, [], STAGE_PINNING);
    }
    candidates = chosen;
  }

  const feasible: ClusterView[] = [];
  for (const v of candidates) {
    let ok = true;
    for (const f of filters) {
      const r = f.filter(ctx, v);
      if (!r.ok) {
        excluded.push({ cluster: v.name, plugin: f.name, reason: r.reason });
        ok = false;
        break;
      }
    }
    if (ok) feasible.push(v);
  }
  if (feasible.length === 0) return done('Unschedulable', emptySetMessage(views.length, excluded));
  ctx.feasible = feasible;

  const scorers = registry.scores.filter((s) => s.weight > 0 && (s.enabled?.(ctx) ?? true));
  for (const s of scorers) {
    const veto = s.check?.(ctx);
    if (veto) return done('Unschedulable', veto, [], s.name);
  }
  const ranked = rank(feasible.map((v) => scoreCluster(ctx, scorers, v)));
  const spread = ctx.spec.spread;
  const minGroups = spread ? Math.max(1, spread.minGroups ?? 1) : 0;
  const { order, seeds } = spreadOrder(ranked, spread?.topologyKey, minGroups);
  const maxClusters = ctx.maxClusters;
  if (spread && maxClusters < minGroups) {
    return done('Unschedulable', `maxClusters ${maxClusters} cannot cover spread minGroups ${minGroups} over ${spread.topologyKey}`);
  }
  const describe = (r: RankedCluster): string => scoreText(scorers, r) + (pins ? `; requested by annotation ${ANNOTATION_PLACEMENT_CLUSTERS}` : '');
  const left = budgetLeft(ctx);
  const placement: ClusterPlacement[] = [];
  const byName = new Map(order.map((r, i) => [r.view.name, { ...r, index: i }]));

  if (ctx.strategy === 'Duplicate') {
    let spent = 0;
    order.forEach((r, i) => {
      const name = r.view.name;
      if (i >= maxClusters) {
        excluded.push({ cluster: name, plugin: STAGE_SELECTION, reason: `ranked below the ${maxClusters} cluster(s) maxClusters allows (${scoreText(scorers, r)})` });
        return;
      }
      const cost = left === undefined ? 0 : (monthlyCost(ctx.profile, r.view, ctx.minReplicasPerCluster) ?? 0);
      if (left !== undefined && placement.length > 0 && spent + cost > left) {
        excluded.push({
          cluster: name,
          plugin: WORKSPACE_CONSTRAINTS,
          reason: `adding it would bring the estimated monthly cost to ${formatMoney(spent + cost)}, over what is left of workspace costBudget (${formatMoney(left)})`,
        });
        return;
      }
      spent += cost;
      placement.push({ cluster: name, ...(ctx.profile.replicas !== undefined ? { replicas: ctx.profile.replicas } : {}), reason: describe(r) });
    });
    if (spread && placement.length < order.length) {
      const groups = new Set(placement.map((p) => groupOf(byName.get(p.cluster)!.view, spread.topologyKey)));
      groups.delete(undefined);
      if (groups.size < minGroups) {
        return done('Unschedulable', `the workspace costBudget leaves clusters in ${groups.size} group(s), fewer than spread minGroups ${minGroups}`);
      }
    }
    notes.unshift(`placed on ${placement.length} cluster(s) (Duplicate)`);
    return done('Scheduled', notes.join('; '), placement);
  }

  const total = ctx.profile.replicas ?? 0;
  const weights = replicaWeights(ctx, order.map((r) => r.view));
  const division = divideReplicas({
    total,
    candidates: order.map((r, i) => ({
      name: r.view.name,
      weight: weights.values[i]!,
      capacity: Math.min(total, replicasThatFit(ctx.profile, r.view, ctx.current.get(r.view.name) ?? 0)),
    })),
    minPerCluster: ctx.spec.replicas?.minPerCluster ?? 0,
    maxClusters,
    seeds: spread ? seeds : 0,
  });
  if (division.error) return done('Unschedulable', division.error);
  for (const d of division.dropped) excluded.push({ cluster: d.name, plugin: STAGE_DIVISION, reason: d.reason });
  let cost = 0;
  for (const a of division.assignments) {
    const r = byName.get(a.name)!;
    cost += monthlyCost(ctx.profile, r.view, a.replicas) ?? 0;
    const w = weights.values[r.index]!;
    placement.push({ cluster: a.name, replicas: a.replicas, reason: `${describe(r)}; ${a.replicas} of ${total} replica(s) (${weights.source} ${formatWeight(w)})` });
  }
  if (left !== undefined && cost > left) {
    return done(
      'Unschedulable',
      `estimated monthly cost ${formatMoney(cost)} of ${total} replica(s) exceeds what is left of workspace costBudget (${formatMoney(left)}) (workspace ${workspaceName(ctx)})`,
    );
  }
  notes.unshift(`placed ${total} replica(s) on ${placement.length} cluster(s) (Divide by ${weights.source})`);
  if (division.overflow > 0) notes.push(`capacity exhausted: ${division.overflow} replica(s) exceed the clusters' free allocatable and will wait for capacity`);
  notes.push(...division.notes);
  return done('Scheduled', notes.join('; '), placement);
}

/** WorkspaceConstraints first and always; then the registry's enabled filters. */
function activeFilters(registry: PluginRegistry, ctx: DecisionContext): FilterPlugin[] {
  const out: FilterPlugin[] = [workspaceConstraintsFilter];
  for (const f of registry.filters) {
    if (f === workspaceConstraintsFilter) continue;
    if (f.enabled?.(ctx) ?? true) out.push(f);
  }
  return out;
}

function scoreCluster(ctx: DecisionContext, scorers: readonly ScorePlugin[], view: ClusterView): RankedCluster {
  if (scorers.length === 0) return { view, score: 0, scores: [] };
  const scores: number[] = [];
  let sum = 0;
  let weight = 0;
  for (const s of scorers) {
    const raw = s.score(ctx, view);
    const v = Number.isFinite(raw) ? Math.min(100, Math.max(0, raw)) : 0;
    scores.push(v);
    sum += s.weight * v;
    weight += s.weight;
  }
  return { view, score: sum / weight, scores };
}

function scoreText(scorers: readonly ScorePlugin[], r: RankedCluster): string {
  if (scorers.length === 0) return 'passed all filters';
  const parts = scorers.map((s, i) => `${s.name} ${round1(r.scores[i]!)}`);
  return `passed all filters; score ${round1(r.score)} (${parts.join(', ')})`;
}

function groupOf(v: ClusterView, key: string): string | undefined {
  return key === 'region' ? v.region : key === 'provider' ? v.provider : v.labels[key];
}

function round1(v: number): number {
  return Math.round(v * 10) / 10;
}

function formatWeight(w: number): string {
  return Number.isFinite(w) ? String(Math.round(w * 1000) / 1000) : 'unlimited';
}

/** "The filters leave nothing": counts per plugin with one example each, so `kubectl describe` says why. */
function emptySetMessage(registered: number, excluded: readonly ClusterExclusion[]): string {
  if (registered === 0) return 'no clusters are registered';
  const byPlugin = new Map<string, ClusterExclusion[]>();
  for (const e of excluded) {
    const list = byPlugin.get(e.plugin) ?? [];
    list.push(e);
    byPlugin.set(e.plugin, list);
  }
  const parts = [...byPlugin].map(([plugin, list]) => `${plugin} excluded ${list.length} (e.g. ${list[0]!.cluster}: ${list[0]!.reason})`);
  return `no cluster passed the filters (0 of ${registered} left): ${parts.join('; ')}`;
}

function finish(
  ctx: DecisionContext,
  views: readonly ClusterView[],
  placement: ClusterPlacement[],
  excluded: ClusterExclusion[],
  reason: ScheduledReason,
  message: string,
  stage: string,
): ScheduleResult {
  const ok = reason === 'Scheduled';
  const placed = new Set(ok ? placement.map((p) => p.cluster) : []);
  const ex = excluded.filter((e) => !placed.has(e.cluster));
  if (!ok) {
    const named = new Set(ex.map((e) => e.cluster));
    for (const v of views) if (!named.has(v.name)) ex.push({ cluster: v.name, plugin: stage, reason: message });
  }
  // Filters run in name order and later stages append, so restore name order (stable within one cluster).
  ex.sort((a, b) => (a.cluster < b.cluster ? -1 : a.cluster > b.cluster ? 1 : 0));
  return {
    placement: ok ? placement : [],
    excluded: ex,
    condition: { type: 'Scheduled', status: ok ? 'True' : 'False', reason, message },
    ...(ctx.wakeAt !== undefined ? { requeueAfterMs: ctx.wakeAt - ctx.now } : {}),
  };
}
