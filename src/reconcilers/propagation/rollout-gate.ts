/**
 * The syncer's side of a Rolling or Staged rollout: works out the revision,
 * what each placed cluster runs and whether it is Ready for the revision,
 * asks the pure decision (rollout.ts), turns the applies of held clusters
 * into waits (they keep the copy they run), and adds the rollout's part to
 * the status: per cluster the revision applied and the latest one Ready,
 * `status.rollout` with the bounded history `undo` restores, and the
 * `RolloutProgressing` / `RolloutStopped` conditions.
 *
 * It also paces placement changes: when the object already runs and no
 * cluster holding it has failed, clusters that get their first copy (a
 * rebalance after `status.rebalancedAt`, a failback, a policy asking for more
 * clusters) are released by the strategy like a new revision; a failover away
 * from a cluster that cannot serve is not (rollout.ts, `additionPacing`).
 *
 * With strategy `All` (the default) the syncer does not call this at all, so
 * objects without a rollout behave, and report, exactly as before.
 *
 * Release and readiness times are kept in memory (a restart only makes a
 * rollout wait longer; the progress deadline then counts from the last
 * apply the status recorded).
 */
import { createHash } from 'node:crypto';
import type { Condition } from '../../crds/common.js';
import {
  ANNOTATION_ROLLOUT_APPROVED_STAGE,
  ANNOTATION_ROLLOUT_PAUSED,
  ROLLOUT_HISTORY_LIMIT,
  ROLLOUT_HISTORY_MAX_BYTES,
  type Rollout,
  type RolloutHistoryEntry,
  type RolloutStatus,
} from '../../crds/rollout.js';
import type { Informer, KubeObject } from '../../runtime/index.js';
import { inSync } from './drift.js';
import type { PropagatedObjectLike } from './host.js';
import type { ClusterView } from './observe.js';
import type { ClusterAction, Plan } from './plan.js';
import type { PortableObject } from './portable.js';
import { isRecord } from './portable.js';
import type { RenderResult } from './render.js';
import {
  type AdditionPacing,
  additionPacing,
  approvedStages,
  type CopyHolder,
  decideRollout,
  type RolloutCluster,
  type RolloutDecision,
  type RolloutStop,
  type StopReason,
} from './rollout.js';
import { condition, type SyncStatus } from './status.js';

export const RolloutConditions = { Progressing: 'RolloutProgressing', Stopped: 'RolloutStopped' } as const;
/** Reasons of a True `RolloutProgressing`: the phase of a rollout still under way. */
export const RolloutProgressingReasons = {
  Progressing: 'Progressing',
  Waiting: 'Waiting',
  WaitingForApproval: 'WaitingForApproval',
  Paused: 'Paused',
} as const;

interface PolicyLike extends KubeObject {
  spec?: { rollout?: Rollout };
}

interface Progress {
  revision: string;
  releasedAt: Map<string, number>;
  readySince: Map<string, number>;
  /** Clusters released while they had no copy (they count against maxSurgeClusters until done). */
  added: Set<string>;
}

export interface GateInput {
  readonly po: PropagatedObjectLike & { spec?: { rollout?: Rollout }; status?: { policy?: string; rollout?: RolloutStatus } };
  readonly plan: Plan;
  readonly views: ReadonlyMap<string, ClusterView>;
  readonly placement: ReadonlyArray<{ cluster: string; replicas: number | undefined }>;
  readonly template: PortableObject;
  readonly render: (cluster: string, replicas: number | undefined) => RenderResult | undefined;
  readonly clusterLabels: (cluster: string) => Record<string, string>;
  /** The cluster cannot serve (a NoExecute taint, or not Ready): moving away from it is a failover, not paced. */
  readonly clusterUnhealthy?: ((cluster: string) => boolean) | undefined;
  readonly now: number;
}

export interface Gated {
  readonly plan: Plan;
  readonly decision: RolloutDecision;
  readonly pacing: AdditionPacing;
  /** A cluster without a copy is held: a handover towards it has not started yet. */
  readonly heldAdditions: boolean;
  /** Adds the rollout's part to the status the syncer reports. */
  decorate(status: SyncStatus): void;
}

/** The template as a revision sees it: what is placed, without the metadata and status the apiserver keeps. */
export function portableTemplate(template: PortableObject): Record<string, unknown> {
  const { metadata, status: _status, ...rest } = template as PortableObject & { status?: unknown };
  const meta = (metadata ?? {}) as { name?: string; labels?: Record<string, string>; annotations?: Record<string, string> };
  return {
    ...rest,
    metadata: { name: meta.name, ...(meta.labels ? { labels: meta.labels } : {}), ...(meta.annotations ? { annotations: meta.annotations } : {}) },
  };
}

function canonical(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(canonical);
  if (isRecord(value))
    return Object.fromEntries(
      Object.keys(value)
        .sort()
        .filter((k) => value[k] !== undefined)
        .map((k) => [k, canonical(value[k])]),
    );
  return value;
}

/** A short hash of the template and the overrides: changes exactly when what is placed changes. */
export function revisionOf(template: PortableObject, overrides: unknown): string {
  return createHash('sha256')
    .update(JSON.stringify(canonical({ template: portableTemplate(template), overrides: overrides ?? [] })))
    .digest('hex')
    .slice(0, 16);
}

/** Ready for the revision it runs: for workloads, every replica updated and available and no old one left. */
export function readyForRevision(live: KubeObject, fallback: boolean): boolean {
  const o = live as KubeObject & { spec?: { replicas?: number }; status?: Record<string, unknown> };
  const status = o.status ?? {};
  const num = (k: string): number => (typeof status[k] === 'number' ? (status[k] as number) : 0);
  const generation = o.metadata?.generation;
  const observed = typeof status['observedGeneration'] === 'number' ? (status['observedGeneration'] as number) : undefined;
  const caughtUp = generation === undefined || (observed !== undefined && observed >= generation);
  const want = typeof o.spec?.replicas === 'number' ? o.spec.replicas : 1;
  switch (o.kind) {
    case 'Deployment':
      return caughtUp && num('updatedReplicas') >= want && num('availableReplicas') >= want && num('replicas') <= want;
    case 'StatefulSet':
      return caughtUp && num('updatedReplicas') >= want && num('readyReplicas') >= want && status['currentRevision'] === status['updateRevision'];
    case 'DaemonSet':
      return caughtUp && num('updatedNumberScheduled') >= num('desiredNumberScheduled') && num('numberAvailable') >= num('desiredNumberScheduled');
    default:
      return fallback;
  }
}

/** Newest last, the current revision moved to the end, bounded by count and by size. */
export function nextHistory(previous: readonly RolloutHistoryEntry[], entry: RolloutHistoryEntry): RolloutHistoryEntry[] {
  const last = previous[previous.length - 1];
  if (last?.revision === entry.revision) return [...previous];
  const existing = previous.find((e) => e.revision === entry.revision);
  const out = [...previous.filter((e) => e.revision !== entry.revision), existing ?? entry];
  while (out.length > ROLLOUT_HISTORY_LIMIT) out.shift();
  while (out.length > 1 && JSON.stringify(out).length > ROLLOUT_HISTORY_MAX_BYTES) out.shift();
  return out;
}

export class RolloutGate {
  private readonly progress = new Map<string, Progress>();

  constructor(private readonly policies: Informer<PolicyLike> | undefined) {}

  /** The rollout in effect: the object's own, else its PlacementPolicy's; undefined for All. */
  rolloutOf(po: GateInput['po']): Rollout | undefined {
    const own = po.spec?.rollout;
    const fromPolicy = po.status?.policy ? this.policies?.get(po.status.policy)?.spec?.rollout : undefined;
    const rollout = own ?? fromPolicy;
    return rollout && (rollout.strategy ?? 'All') !== 'All' ? rollout : undefined;
  }

  forget(uid: string): void {
    this.progress.delete(uid);
  }

  gate(input: GateInput, rollout: Rollout): Gated {
    const { po, now } = input;
    const uid = po.metadata?.uid ?? `${po.metadata?.namespace}/${po.metadata?.name}`;
    const revision = revisionOf(input.template, po.spec?.overrides);
    let progress = this.progress.get(uid);
    if (!progress || progress.revision !== revision) {
      progress = { revision, releasedAt: new Map(), readySince: new Map(), added: new Set() };
      this.progress.set(uid, progress);
    }
    const previous = po.status?.rollout;
    const prevClusters = new Map((po.status?.clusters ?? []).map((c) => [c.cluster, c as typeof c & { appliedRevision?: string; readyRevision?: string }]));

    const clusters: RolloutCluster[] = [];
    const readyFor = new Map<string, boolean>();
    for (const { cluster, replicas } of input.placement) {
      const view = input.views.get(cluster);
      const o = view?.observation;
      const prev = prevClusters.get(cluster);
      let updated = false;
      let ready = false;
      if (o?.kind === 'ours' && view?.live) {
        // Compared with the live replicas: a replica change (failover, Divide) is not a new revision.
        const desired = input.render(cluster, o.specReplicas ?? replicas);
        updated = desired?.ok === true && inSync(desired.object, view.live);
        ready = updated && readyForRevision(view.live, o.summary.ready);
      } else if (o?.kind === 'unreachable') {
        updated = prev?.appliedRevision === revision;
      }
      // An apply this process made moments ago counts even before the member's watch shows it.
      if (!updated && progress.releasedAt.has(cluster)) updated = true;
      if (ready && !progress.readySince.has(cluster)) progress.readySince.set(cluster, now);
      if (!ready) progress.readySince.delete(cluster);
      readyFor.set(cluster, ready);
      const lastSync = prev?.appliedRevision === revision && prev.lastSyncTime ? Date.parse(prev.lastSyncTime) : undefined;
      clusters.push({
        name: cluster,
        labels: input.clusterLabels(cluster),
        hasCopy: o?.kind === 'ours' || (o?.kind === 'unreachable' && prevClusters.has(cluster)),
        updated,
        ready,
        readySince: progress.readySince.get(cluster),
        releasedAt: progress.releasedAt.get(cluster) ?? (Number.isFinite(lastSync) ? lastSync : undefined),
        reachable: o?.kind !== 'unreachable',
        added: progress.added.has(cluster),
      });
    }

    // Who holds a copy now (placed or leaving): decides whether new clusters are paced or a failover.
    const placedNames = new Set(input.placement.map((p) => p.cluster));
    const holders: CopyHolder[] = [];
    for (const [cluster, view] of input.views) {
      const o = view.observation;
      if (o.kind !== 'ours' && !(o.kind === 'unreachable' && prevClusters.has(cluster))) continue;
      holders.push({
        name: cluster,
        placed: placedNames.has(cluster),
        reachable: o.kind === 'ours',
        unhealthy: input.clusterUnhealthy?.(cluster) ?? false,
        ready: o.kind === 'ours' && o.summary.ready,
      });
    }
    const pacing = additionPacing(holders);

    const stopped: RolloutStop | undefined =
      previous?.phase === 'Stopped' && previous.revision && previous.stoppedCluster
        ? {
            cluster: previous.stoppedCluster,
            revision: previous.revision,
            reason: (po.status?.conditions?.find((c) => c.type === RolloutConditions.Stopped)?.reason ?? 'ProgressDeadlineExceeded') as StopReason,
            // Said afresh, not the previous message (which wraps this one), so it does not grow.
            message: `${previous.stoppedCluster} did not become Ready for revision ${previous.revision} in time`,
          }
        : undefined;
    const annotations = po.metadata?.annotations ?? {};
    const decision = decideRollout({
      revision,
      generation: po.metadata?.generation ?? 0,
      rollout,
      clusters,
      paused: annotations[ANNOTATION_ROLLOUT_PAUSED] === 'true',
      approvedStages: approvedStages(annotations[ANNOTATION_ROLLOUT_APPROVED_STAGE], revision),
      stopped,
      paceAdditions: pacing.paced,
      now,
    });

    const byName = new Map(clusters.map((c) => [c.name, c]));
    const actions: ClusterAction[] = input.plan.actions.map((a) => {
      if (a.action !== 'apply') return a;
      const held = decision.held.get(a.cluster);
      const c = byName.get(a.cluster);
      if (held !== undefined && !decision.release.has(a.cluster)) {
        return {
          cluster: a.cluster,
          action: 'wait',
          why: 'RolloutHeld',
          removal: false,
          message: c?.hasCopy
            ? `keeps the previous revision until the rollout releases it (${decision.phase}; status.rollout says why)`
            : `gets its copy when the rollout releases it: a placement change is paced like a new revision (${decision.phase}; status.rollout says why)`,
        };
      }
      if (!c?.updated) progress.releasedAt.set(a.cluster, now);
      if (c && !c.hasCopy && pacing.paced) progress.added.add(a.cluster);
      return a;
    });

    const history = nextHistory(previous?.history ?? [], {
      revision,
      generation: po.metadata?.generation ?? 0,
      recordedAt: new Date(now).toISOString(),
      template: portableTemplate(input.template),
      ...(po.spec?.overrides ? { overrides: po.spec.overrides } : {}),
    });

    const decorate = (status: SyncStatus): void => {
      for (const entry of status.clusters as Array<SyncStatus['clusters'][number] & { appliedRevision?: string; readyRevision?: string }>) {
        const c = byName.get(entry.cluster);
        const prev = prevClusters.get(entry.cluster);
        const applied = c?.updated || decision.release.has(entry.cluster) ? revision : prev?.appliedRevision;
        const ready = readyFor.get(entry.cluster) ? revision : prev?.readyRevision;
        if (applied) entry.appliedRevision = applied;
        else delete entry.appliedRevision;
        if (ready) entry.readyRevision = ready;
        else delete entry.readyRevision;
        // A held cluster still runs the generation it last received.
        if (c && !c.updated && !decision.release.has(entry.cluster) && prev?.syncedGeneration !== undefined) entry.syncedGeneration = prev.syncedGeneration;
      }
      const generation = po.metadata?.generation ?? 0;
      status.rollout = {
        strategy: decision.strategy,
        revision,
        generation,
        phase: decision.phase,
        ...(decision.stage ? { stage: decision.stage } : {}),
        ...(decision.waitingFor.length > 0 ? { waitingFor: [...decision.waitingFor].slice(0, 256) } : {}),
        message: decision.message.slice(0, 4096),
        ...(decision.stopped ? { stoppedCluster: decision.stopped.cluster } : {}),
        history,
      };
      const cinput = { generation, previousConditions: po.status?.conditions ?? [], now: new Date(now).toISOString() };
      const progressing: Condition =
        decision.phase === 'Complete'
          ? condition(RolloutConditions.Progressing, 'False', 'Complete', decision.message, cinput)
          : decision.phase === 'Stopped'
            ? condition(RolloutConditions.Progressing, 'False', 'Stopped', decision.message, cinput)
            : condition(
                RolloutConditions.Progressing,
                'True',
                RolloutProgressingReasons[decision.phase as keyof typeof RolloutProgressingReasons],
                decision.message,
                cinput,
              );
      const stoppedCondition = decision.stopped
        ? condition(RolloutConditions.Stopped, 'True', decision.stopped.reason, decision.message, cinput)
        : condition(RolloutConditions.Stopped, 'False', 'NotStopped', 'the rollout is not stopped', cinput);
      status.conditions.push(progressing, stoppedCondition);
    };

    return {
      plan: { ...input.plan, actions },
      decision,
      pacing,
      heldAdditions: clusters.some((c) => !c.hasCopy && !decision.release.has(c.name)),
      decorate,
    };
  }
}
