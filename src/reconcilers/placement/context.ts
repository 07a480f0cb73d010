/**
 * The per-decision ScheduleContext: derived once from the input, then read
 * by every plugin for every cluster.
 */
import type { ClusterView } from './cluster-view.js';
import type { ScheduleContext } from './framework.js';
import { failedOverFrom } from './filters/failback.js';
import { objectProfile, type ObjectProfile } from './object-profile.js';
import type { PlacedObject, PlacementPolicy, PlacementPolicySpec, PluginAnswer, PolicyEngineDecision, ScheduleInput, WorkspaceContext } from './types.js';

export class DecisionContext implements ScheduleContext {
  readonly object: PlacedObject;
  readonly profile: ObjectProfile;
  readonly policy: PlacementPolicy;
  readonly spec: PlacementPolicySpec;
  readonly workspace: WorkspaceContext | undefined;
  readonly now: number;
  readonly strategy: 'Duplicate' | 'Divide';
  readonly minReplicasPerCluster: number;
  readonly current: ReadonlyMap<string, number | undefined>;
  readonly failedOver: ReadonlySet<string>;
  readonly rebalance: boolean;
  readonly copyNotReadySince: ReadonlyMap<string, number>;
  readonly exclusionUntil: ReadonlyMap<string, number>;
  readonly policyEngineDecision: PolicyEngineDecision | undefined;
  /** Filled by the engine's plugin-answer check, before filtering. */
  readonly pluginAnswers = new Map<string, PluginAnswer>();
  feasible: readonly ClusterView[] = [];
  /** Earliest time a time-bounded toleration expires, if any. */
  wakeAt: number | undefined;
  readonly #memo = new Map<string, unknown>();

  constructor(input: ScheduleInput) {
    this.object = input.object;
    this.profile = objectProfile(input.object);
    this.policy = input.policy;
    this.spec = input.policy.spec ?? {};
    this.workspace = input.workspace;
    this.now = input.now ?? Date.now();
    this.policyEngineDecision = input.policyEngineDecision;
    this.strategy = this.spec.replicas?.strategy === 'Divide' && this.profile.replicas !== undefined ? 'Divide' : 'Duplicate';
    if (this.strategy === 'Divide') {
      const total = this.profile.replicas ?? 0;
      this.minReplicasPerCluster = Math.min(total, Math.max(1, this.spec.replicas?.minPerCluster ?? 0));
    } else {
      this.minReplicasPerCluster = this.profile.podCount;
    }
    const current = new Map<string, number | undefined>();
    for (const p of input.currentPlacement ?? []) current.set(p.cluster, p.replicas);
    this.current = current;
    this.failedOver = failedOverFrom(input.previousExclusions);
    this.rebalance = input.rebalance === true;
    this.copyNotReadySince = timesBy(
      input.copies ?? [],
      (c) => c.cluster,
      (c) => c.notReadySince,
    );
    this.exclusionUntil = timesBy(
      input.previousExclusions ?? [],
      (e) => `${e.plugin ?? ''}/${e.cluster}`,
      (e) => e.until,
    );
  }

  memo<T>(key: string, compute: (ctx: ScheduleContext) => T): T {
    const hit = this.#memo.get(key);
    if (hit !== undefined || this.#memo.has(key)) return hit as T;
    const v = compute(this);
    this.#memo.set(key, v);
    return v;
  }

  requeueAt(epochMs: number): void {
    if (epochMs > this.now && (this.wakeAt === undefined || epochMs < this.wakeAt)) this.wakeAt = epochMs;
  }

  /** maxClusters from `spec.replicas.maxClusters`, else `spec.maxClusters`; Infinity when unset. */
  get maxClusters(): number {
    const m = this.spec.replicas?.maxClusters ?? this.spec.maxClusters;
    return m !== undefined && m > 0 ? m : Infinity;
  }
}

/** Parsed RFC 3339 times by key; entries without a (valid) time are left out. */
function timesBy<T>(items: readonly T[], key: (item: T) => string, time: (item: T) => string | undefined): ReadonlyMap<string, number> {
  const out = new Map<string, number>();
  for (const item of items) {
    const t = Date.parse(time(item) ?? '');
    if (Number.isFinite(t)) out.set(key(item), t);
  }
  return out;
}
