/**
 * The placement engine: `schedule(input) → {placement, excluded, condition}`.
 * Pure: no I/O, no hidden state that changes the answer (caches only save
 * work), and the same inputs give the same decision whatever order the
 * clusters come in.
 *
 * Stages: policy-engine and external-plugin answer checks → pinned clusters → filters (first
 * rejecting plugin names the reason) → score vetoes → ranking (score, then
 * name) → spread-aware ordering → Duplicate or Divide → workspace budget.
 */
import { clusterSnapshot, type ClusterSnapshot, type ClusterView } from './cluster-view.js';
import { DecisionContext } from './context.js';
import { formatMoney, monthlyCost } from './cost-estimate.js';
import { divideReplicas } from './division.js';
import { budgetLeft, WORKSPACE_CONSTRAINTS, workspaceBudgetFilter, workspaceConstraintsFilter, workspaceName } from './filters/workspace-constraints.js';
import { checkPluginAnswers, EXTERNAL, pluginLabel } from './filters/external.js';
import { replicasThatFit } from './fit.js';
import { contentId, identityId } from './identity.js';
import type { FilterPlugin, ScorePlugin } from './framework.js';
import { ANNOTATION_PLACEMENT_CLUSTERS } from './object-profile.js';
import { defaultRegistry, type PluginRegistry } from './registry.js';
import { topologyValue } from './scores/spread.js';
import { rank, spreadOrder, type RankedCluster } from './selection.js';
import type { ClusterExclusion, ClusterPlacement, ScheduledReason, ScheduleInput, ScheduleResult } from './types.js';
import { replicaWeights } from './weights.js';

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
  const d = new Decision(ctx, clusterSnapshot(input.clusters));
  const views = d.snapshot.views;

  const pe = ctx.spec.policyEngine;
  if (pe) {
    const answer = ctx.policyEngineDecision;
    if (!answer || 'error' in answer) {
      const why = answer && 'error' in answer ? answer.error : 'no answer was obtained';
      if (pe.failurePolicy !== 'Ignore') {
        return d.fail('PolicyEngineFailed', `policy engine ${pe.url} failed: ${why}; failurePolicy Fail leaves the object unscheduled`, STAGE_POLICY_ENGINE);
      }
      d.notes.push(`policy engine ${pe.url} failed (${why}); ignored as failurePolicy is Ignore`);
    }
  }

  const plugins = ctx.spec.plugins ?? [];
  if (plugins.length > 0) {
    const check = checkPluginAnswers(plugins, input.pluginAnswers);
    for (const { plugin, why } of check.ignored) d.notes.push(`${pluginLabel(plugin)} failed (${why}); ignored as failurePolicy is Ignore`);
    if (check.failed) {
      const { plugin, why } = check.failed;
      return d.fail('PluginFailed', `${pluginLabel(plugin)} failed: ${why}; failurePolicy Fail leaves the object unscheduled`, `${EXTERNAL}/${plugin.name}`);
    }
    for (const [name, answer] of check.usable) ctx.pluginAnswers.set(name, answer);
  }

  const { shared, rest } = activeFilters(registry, ctx);
  const feasible: ClusterView[] = [];
  const pins = ctx.profile.pinnedClusters;
  if (pins) {
    const all = [...shared, ...rest];
    const invalid = pinCandidates(d, all, pins);
    if (invalid) return d.fail('Invalid', invalid, STAGE_PINNING);
    for (const v of d.pinned) if (passes(d, all, v)) feasible.push(v);
  } else {
    const verdicts = sharedVerdicts(ctx, d.snapshot, shared, registry);
    for (let i = 0; i < views.length; i++) {
      const prior = verdicts[i];
      if (prior) d.excludeAt(i, prior);
      else if (passes(d, rest, views[i]!)) feasible.push(views[i]!);
    }
  }
  if (feasible.length === 0) return d.fail('Unschedulable', emptySetMessage(views.length, d), STAGE_SELECTION);
  ctx.feasible = feasible;

  const scorers: Scorer[] = [];
  for (const s of registry.scores) {
    if (!(s.enabled?.(ctx) ?? true)) continue;
    const weight = s.weightFor?.(ctx) ?? s.weight;
    if (weight > 0) scorers.push({ plugin: s, weight });
  }
  for (const s of scorers) {
    const veto = s.plugin.check?.(ctx);
    if (veto) return d.fail('Unschedulable', veto, s.plugin.name);
  }
  const ranked: RankedCluster[] = [];
  for (const v of feasible) ranked.push(scoreCluster(ctx, scorers, v));
  rank(ranked);
  const spread = ctx.spec.spread;
  const minGroups = spread ? Math.max(1, spread.minGroups ?? 1) : 0;
  const { order, seeds } = spreadOrder(ranked, spread?.topologyKey, minGroups);
  if (spread && ctx.maxClusters < minGroups) {
    return d.fail('Unschedulable', `maxClusters ${ctx.maxClusters} cannot cover spread minGroups ${minGroups} over ${spread.topologyKey}`, STAGE_SELECTION);
  }
  const pinNote = pins ? `; requested by annotation ${ANNOTATION_PLACEMENT_CLUSTERS}` : '';
  return ctx.strategy === 'Duplicate' ? duplicate(d, scorers, order, minGroups, pinNote) : divide(d, scorers, order, spread ? seeds : 0, pinNote);
}

/** Collects one decision's exclusions (in cluster-name order by construction) and notes. */
class Decision {
  readonly #byIndex: (ClusterExclusion | undefined)[];
  /** Exclusions of names that are not registered clusters (pins of unknown clusters). */
  readonly #unregistered: ClusterExclusion[] = [];
  readonly notes: string[] = [];
  pinned: ClusterView[] = [];

  constructor(
    readonly ctx: DecisionContext,
    readonly snapshot: ClusterSnapshot,
  ) {
    this.#byIndex = new Array<ClusterExclusion | undefined>(snapshot.views.length);
  }

  excludeAt(index: number, exclusion: ClusterExclusion): void {
    this.#byIndex[index] ??= exclusion;
  }

  exclude(cluster: string, plugin: string, reason: string, until?: number): void {
    const exclusion = until === undefined ? { cluster, plugin, reason } : { cluster, plugin, reason, until: new Date(until).toISOString() };
    const i = this.snapshot.indexOf.get(cluster);
    if (i === undefined) this.#unregistered.push(exclusion);
    else this.#byIndex[i] ??= exclusion;
  }

  excluded(): ClusterExclusion[] {
    const out: ClusterExclusion[] = [];
    for (const e of this.#byIndex) if (e) out.push(e);
    return out;
  }

  succeed(placement: ClusterPlacement[]): ScheduleResult {
    return this.#result(placement, this.#merged(), 'Scheduled', this.notes.join('; '));
  }

  /**
   * A failed decision places nothing; every cluster not excluded by a filter
   * is listed under the stage that failed, so status still explains each one.
   */
  fail(reason: Exclude<ScheduledReason, 'Scheduled'>, message: string, stage: string): ScheduleResult {
    const views = this.snapshot.views;
    for (let i = 0; i < views.length; i++) this.#byIndex[i] ??= { cluster: views[i]!.name, plugin: stage, reason: message };
    return this.#result([], this.#merged(), reason, message);
  }

  #merged(): ClusterExclusion[] {
    const out = this.excluded();
    if (this.#unregistered.length === 0) return out;
    out.push(...this.#unregistered);
    return out.sort((a, b) => (a.cluster < b.cluster ? -1 : a.cluster > b.cluster ? 1 : 0));
  }

  #result(placement: ClusterPlacement[], excluded: ClusterExclusion[], reason: ScheduledReason, message: string): ScheduleResult {
    const ctx = this.ctx;
    return {
      placement,
      excluded,
      condition: { type: 'Scheduled', status: reason === 'Scheduled' ? 'True' : 'False', reason, message },
      ...(ctx.wakeAt !== undefined ? { requeueAfterMs: ctx.wakeAt - ctx.now } : {}),
    };
  }
}

/**
 * Restricts candidates to the clusters the object asks for. Returns the
 * Invalid message when policy forbids one of them: the request itself is
 * wrong then, whatever else is also wrong with the cluster, so every policy
 * filter is asked (not just the first that fails).
 */
function pinCandidates(d: Decision, filters: readonly FilterPlugin[], pins: readonly string[]): string | undefined {
  const pinned = new Set(pins);
  for (const v of d.snapshot.views) {
    if (pinned.has(v.name)) d.pinned.push(v);
    else d.exclude(v.name, STAGE_PINNING, `not listed in annotation ${ANNOTATION_PLACEMENT_CLUSTERS}`);
  }
  for (const name of pins) {
    if (!d.snapshot.indexOf.has(name)) d.exclude(name, STAGE_PINNING, `listed in annotation ${ANNOTATION_PLACEMENT_CLUSTERS} but not registered`);
  }
  const forbidden: string[] = [];
  for (const v of d.pinned) {
    for (const f of filters) {
      const pluginKind = f.kind ?? 'policy';
      if (pluginKind !== 'policy') continue;
      const r = f.filter(d.ctx, v);
      if (!r.ok && (r.kind ?? pluginKind) === 'policy') forbidden.push(`cluster ${v.name} is forbidden by ${f.name}: ${r.reason}`);
    }
  }
  return forbidden.length > 0 ? `annotation ${ANNOTATION_PLACEMENT_CLUSTERS} asks for what policy forbids: ${forbidden.join('; ')}` : undefined;
}

/** Every chosen cluster gets the whole object; maxClusters and the workspace budget cut the ranking. */
function duplicate(d: Decision, scorers: readonly Scorer[], order: readonly RankedCluster[], minGroups: number, pinNote: string): ScheduleResult {
  const ctx = d.ctx;
  const left = budgetLeft(ctx);
  const maxClusters = ctx.maxClusters;
  const placement: ClusterPlacement[] = [];
  const groups = new Set<string>();
  let spent = 0;
  for (let i = 0; i < order.length; i++) {
    const r = order[i]!;
    const name = r.view.name;
    if (i >= maxClusters) {
      d.exclude(name, STAGE_SELECTION, `ranked below the ${maxClusters} cluster(s) maxClusters allows (score ${round1(r.score)})`);
      continue;
    }
    const cost = left === undefined ? 0 : (monthlyCost(ctx.profile, r.view, ctx.minReplicasPerCluster) ?? 0);
    if (left !== undefined && placement.length > 0 && spent + cost > left) {
      d.exclude(
        name,
        WORKSPACE_CONSTRAINTS,
        `adding it would bring the estimated monthly cost to ${formatMoney(spent + cost)}, over what is left of workspace costBudget (${formatMoney(left)})`,
      );
      continue;
    }
    spent += cost;
    const group = ctx.spec.spread ? topologyValue(r.view, ctx.spec.spread.topologyKey) : undefined;
    if (group !== undefined) groups.add(group);
    const replicas = ctx.profile.replicas;
    placement.push(
      replicas !== undefined
        ? { cluster: name, replicas, reason: scoreText(ctx, scorers, r) + pinNote }
        : { cluster: name, reason: scoreText(ctx, scorers, r) + pinNote },
    );
  }
  if (ctx.spec.spread && groups.size < minGroups) {
    const key = ctx.spec.spread.topologyKey;
    return d.fail('Unschedulable', `the chosen clusters cover ${groups.size} ${key} group(s), fewer than spread minGroups ${minGroups}`, STAGE_SELECTION);
  }
  d.notes.unshift(`placed on ${placement.length} cluster(s) (Duplicate)`);
  return d.succeed(placement);
}

/** `spec.replicas` split over the ranking by weights, capacity, minPerCluster and maxClusters. */
function divide(d: Decision, scorers: readonly Scorer[], order: readonly RankedCluster[], seeds: number, pinNote: string): ScheduleResult {
  const ctx = d.ctx;
  const total = ctx.profile.replicas ?? 0;
  const views = order.map((r) => r.view);
  const fits = views.map((v) => replicasThatFit(ctx.profile, v, ctx.current.get(v.name) ?? 0));
  const weights = replicaWeights(ctx, views, fits);
  const division = divideReplicas({
    total,
    candidates: views.map((v, i) => ({ name: v.name, weight: weights.values[i]!, capacity: Math.min(total, fits[i]!) })),
    minPerCluster: ctx.spec.replicas?.minPerCluster ?? 0,
    maxClusters: ctx.maxClusters,
    seeds,
  });
  if (division.error) return d.fail('Unschedulable', division.error, STAGE_DIVISION);
  for (const x of division.dropped) d.exclude(x.name, STAGE_DIVISION, x.reason);
  const position = new Map(order.map((r, i) => [r.view.name, i]));
  const placement: ClusterPlacement[] = [];
  let cost = 0;
  for (const a of division.assignments) {
    const i = position.get(a.name)!;
    const r = order[i]!;
    cost += monthlyCost(ctx.profile, r.view, a.replicas) ?? 0;
    const share = `${a.replicas} of ${total} replica(s) (${weights.source} ${formatWeight(weights.values[i]!)})`;
    placement.push({ cluster: a.name, replicas: a.replicas, reason: `${scoreText(ctx, scorers, r)}${pinNote}; ${share}` });
  }
  const left = budgetLeft(ctx);
  if (left !== undefined && cost > left) {
    return d.fail(
      'Unschedulable',
      `estimated monthly cost ${formatMoney(cost)} of ${total} replica(s) exceeds what is left of workspace costBudget (${formatMoney(left)}) (workspace ${workspaceName(ctx)})`,
      WORKSPACE_CONSTRAINTS,
    );
  }
  d.notes.unshift(`placed ${total} replica(s) on ${placement.length} cluster(s) (Divide by ${weights.source})`);
  if (division.overflow > 0)
    d.notes.push(`capacity exhausted: ${division.overflow} replica(s) exceed the clusters' free allocatable and will wait for capacity`);
  d.notes.push(...division.notes);
  return d.succeed(placement);
}

/** Runs filters in order; the first rejection is recorded as the cluster's reason. */
function passes(d: Decision, filters: readonly FilterPlugin[], v: ClusterView): boolean {
  for (const f of filters) {
    const r = f.filter(d.ctx, v);
    if (!r.ok) {
      d.exclude(v.name, f.name, r.reason, r.until);
      return false;
    }
  }
  return true;
}

/**
 * The enabled filters in run order: the workspace constraints first and
 * always, then the registry's. `shared` is the leading run of cacheable
 * filters, whose verdicts are computed once for all objects.
 */
function activeFilters(registry: PluginRegistry, ctx: DecisionContext): { shared: FilterPlugin[]; rest: FilterPlugin[] } {
  const shared: FilterPlugin[] = [];
  const rest: FilterPlugin[] = [];
  const add = (f: FilterPlugin): void => {
    if (!(f.enabled?.(ctx) ?? true)) return;
    if (f.cacheable && rest.length === 0) shared.push(f);
    else rest.push(f);
  };
  const list = registry.filters.filter((f) => f !== workspaceConstraintsFilter && f !== workspaceBudgetFilter);
  add(workspaceConstraintsFilter);
  let i = 0;
  while (i < list.length && list[i]!.cacheable) add(list[i++]!);
  // The budget depends on the object: it closes the shareable run.
  add(workspaceBudgetFilter);
  while (i < list.length) add(list[i++]!);
  return { shared, rest };
}

const sharedCache = new WeakMap<ClusterSnapshot, Map<string, readonly (ClusterExclusion | undefined)[]>>();
const MAX_SHARED_PER_SNAPSHOT = 512;
const NOTHING_SHARED: readonly (ClusterExclusion | undefined)[] = [];

/**
 * Exclusions by the shared (cacheable) filters, by snapshot index, computed
 * once per cluster snapshot, registry, policy spec and workspace content.
 * Policies usually narrow by labels and regions, so this skips most of the
 * per-cluster work for every object after the first. The exclusion records
 * are shared between results, hence frozen.
 */
function sharedVerdicts(
  ctx: DecisionContext,
  snapshot: ClusterSnapshot,
  shared: readonly FilterPlugin[],
  registry: PluginRegistry,
): readonly (ClusterExclusion | undefined)[] {
  if (shared.length === 0) return NOTHING_SHARED;
  let perSnapshot = sharedCache.get(snapshot);
  if (!perSnapshot) {
    perSnapshot = new Map();
    sharedCache.set(snapshot, perSnapshot);
  }
  const key = `${identityId(registry)}:${contentId(ctx.spec)}:${contentId(ctx.workspace)}`;
  let verdicts = perSnapshot.get(key);
  if (!verdicts) {
    const out = new Array<ClusterExclusion | undefined>(snapshot.views.length);
    snapshot.views.forEach((v, i) => {
      for (const f of shared) {
        const r = f.filter(ctx, v);
        if (!r.ok) {
          out[i] = Object.freeze({ cluster: v.name, plugin: f.name, reason: r.reason });
          break;
        }
      }
    });
    if (perSnapshot.size >= MAX_SHARED_PER_SNAPSHOT) perSnapshot.clear();
    perSnapshot.set(key, out);
    verdicts = out;
  }
  return verdicts;
}

function scoreCluster(ctx: DecisionContext, scorers: readonly Scorer[], view: ClusterView): RankedCluster {
  if (scorers.length === 0) return { view, score: 0, scores: [] };
  const scores: number[] = [];
  let sum = 0;
  let weight = 0;
  for (const s of scorers) {
    const raw = s.plugin.score(ctx, view);
    const v = Number.isFinite(raw) ? Math.min(100, Math.max(0, raw)) : 0;
    scores.push(v);
    sum += s.weight * v;
    weight += s.weight;
  }
  return { view, score: sum / weight, scores };
}

function scoreText(ctx: DecisionContext, scorers: readonly Scorer[], r: RankedCluster): string {
  if (scorers.length === 0) return 'passed all filters';
  const parts = scorers.map((s, i) => {
    const detail = s.plugin.detail?.(ctx, r.view);
    return `${s.plugin.name} ${round1(r.scores[i]!)}${detail ? ` [${detail}]` : ''}`;
  });
  return `passed all filters; score ${round1(r.score)} (${parts.join(', ')})`;
}

/** A score plugin enabled for one decision, with that decision's weight. */
interface Scorer {
  readonly plugin: ScorePlugin;
  readonly weight: number;
}

function round1(v: number): number {
  return Math.round(v * 10) / 10;
}

function formatWeight(w: number): string {
  return Number.isFinite(w) ? String(Math.round(w * 1000) / 1000) : 'unlimited';
}

/** "The filters leave nothing": counts per plugin with one example each, so `kubectl describe` says why. */
function emptySetMessage(registered: number, d: Decision): string {
  if (registered === 0) return 'no clusters are registered';
  const byPlugin = new Map<string, { count: number; first: ClusterExclusion }>();
  for (const e of d.excluded()) {
    const entry = byPlugin.get(e.plugin);
    if (entry) entry.count++;
    else byPlugin.set(e.plugin, { count: 1, first: e });
  }
  const parts = [...byPlugin].map(([plugin, { count, first }]) => `${plugin} excluded ${count} (e.g. ${first.cluster}: ${first.reason})`);
  return `no cluster passed the filters (0 of ${registered} left): ${parts.join('; ')}`;
}
