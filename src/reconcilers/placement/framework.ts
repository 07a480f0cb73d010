/**
 * The placement plugin framework, after Karmada's scheduler framework: a
 * decision runs every enabled filter plugin against every cluster (the first
 * plugin that rejects a cluster names the reason the user reads), then every
 * enabled score plugin against the clusters that are left, then divides
 * replicas. Plugins are small, stateless objects; per-decision state lives in
 * the ScheduleContext.
 */
import type { ClusterView } from './cluster-view.js';
import type { ObjectProfile } from './object-profile.js';
import type { PlacedObject, PlacementPolicy, PlacementPolicySpec, PluginAnswer, PolicyEngineDecision, WorkspaceContext } from './types.js';

export type { ClusterView } from './cluster-view.js';
export type { ObjectProfile } from './object-profile.js';

/** Everything a plugin may read about one decision. */
export interface ScheduleContext {
  readonly object: PlacedObject;
  readonly profile: ObjectProfile;
  readonly policy: PlacementPolicy;
  readonly spec: PlacementPolicySpec;
  readonly workspace: WorkspaceContext | undefined;
  /** Milliseconds since the epoch. */
  readonly now: number;
  /** `Divide` only when the object has replicas to divide; otherwise `Duplicate`. */
  readonly strategy: 'Duplicate' | 'Divide';
  /**
   * The fewest replicas a chosen cluster will run: all of them for Duplicate,
   * `max(1, minPerCluster)` for Divide. Capacity and cost filters test this.
   */
  readonly minReplicasPerCluster: number;
  /** Current placement by cluster name (replicas or undefined). */
  readonly current: ReadonlyMap<string, number | undefined>;
  /** Clusters the previous decision excluded for being unreachable, not Ready or not yet stable again (filters/failback.ts). */
  readonly failedOver: ReadonlySet<string>;
  /** A requested rebalance: stability is ignored for this decision. */
  readonly rebalance: boolean;
  /** Since when (ms) each cluster's copy has been applied but not Ready, from the syncer's report. */
  readonly copyNotReadySince: ReadonlyMap<string, number>;
  /** Back-offs (ms) of the previous decision's exclusions, by plugin and cluster: `<plugin>/<cluster>`. */
  readonly exclusionUntil: ReadonlyMap<string, number>;
  readonly policyEngineDecision: PolicyEngineDecision | undefined;
  /**
   * Answers of the policy's external plugins (`spec.plugins[]`) that are
   * usable in this decision, by plugin name: failed plugins with
   * `failurePolicy: Ignore` are left out (the engine stops the decision
   * before filtering when one with `Fail` failed).
   */
  readonly pluginAnswers: ReadonlyMap<string, PluginAnswer>;
  /** Clusters that passed every filter, in name order; set before scoring starts. */
  readonly feasible: readonly ClusterView[];
  /**
   * Computes a value once per decision (e.g. cost bounds over the feasible
   * set). Keys are namespaced by the caller, conventionally `plugin:thing`.
   * Pass a module-level function rather than a fresh closure: this runs for
   * every cluster, and a closure per call is garbage per call.
   */
  memo<T>(key: string, compute: (ctx: ScheduleContext) => T): T;
  /** Records that the decision will change by itself at this time (a toleration expires). */
  requeueAt(epochMs: number): void;
}

/**
 * `policy` filters enforce what someone declared (policy, workspace
 * constraints): an object that pins a cluster such a filter rejects is
 * `Invalid`. `state` filters reflect the cluster's current condition
 * (readiness, capacity): a pinned cluster they reject is `Unschedulable`.
 */
export type FilterKind = 'policy' | 'state';

/**
 * A filter's verdict. A rejection may override the plugin's kind, for a
 * plugin that enforces both (a taint the platform team set is policy; the
 * unreachable taint the health check set is state).
 */
export type FilterResult =
  | { readonly ok: true }
  /** `until`: ms since the epoch the cluster stays excluded at least (recorded in the exclusion, read back by the plugin). */
  | { readonly ok: false; readonly reason: string; readonly kind?: FilterKind; readonly until?: number };

/** The shared success value: filters return it to avoid allocating on the hot path. */
export const PASS: FilterResult = Object.freeze({ ok: true });

export function reject(reason: string, kind?: FilterKind): FilterResult {
  return kind ? { ok: false, reason, kind } : { ok: false, reason };
}

/** A rejection with a back-off: the exclusion records until when (ms since the epoch). */
export function rejectUntil(reason: string, until: number): FilterResult {
  return { ok: false, reason, until };
}

export interface FilterPlugin {
  readonly name: string;
  /** Defaults to `policy`. */
  readonly kind?: FilterKind;
  /**
   * Promise that the verdict depends only on the policy spec, the workspace
   * and the cluster (not the object, the current placement or the time). The
   * engine then computes it once per cluster snapshot and policy and shares
   * it across all objects the policy places. Only a leading run of such
   * filters is shared, so the first rejecting plugin stays the one reported.
   */
  readonly cacheable?: boolean;
  /** Cheap per-decision check; a plugin with nothing to check is skipped entirely. */
  enabled?(ctx: ScheduleContext): boolean;
  filter(ctx: ScheduleContext, cluster: ClusterView): FilterResult;
}

export interface ScorePlugin {
  readonly name: string;
  /** Relative importance among score plugins; scores are combined as a weighted mean. */
  readonly weight: number;
  enabled?(ctx: ScheduleContext): boolean;
  /**
   * Optional veto over the whole feasible set (e.g. spread needs more groups
   * than remain): a returned message makes the decision Unschedulable.
   */
  check?(ctx: ScheduleContext): string | undefined;
  /** 0..100; higher is better. */
  score(ctx: ScheduleContext, cluster: ClusterView): number;
  /**
   * This decision's weight, for a plugin whose weight the policy sets
   * (external plugins, cluster scores); `weight` when absent. A plugin that
   * combines several policy entries returns their sum and scores their
   * weighted mean, which ranks exactly as if each entry were its own plugin.
   */
  weightFor?(ctx: ScheduleContext): number;
  /** What made up the score, shown after it in status (e.g. each external plugin's score). */
  detail?(ctx: ScheduleContext, cluster: ClusterView): string | undefined;
}
