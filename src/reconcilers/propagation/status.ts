/**
 * The status the syncer reports on a PropagatedObject: one entry per cluster
 * (sync state, the member's own status summary), aggregated replica counts,
 * and the `Synced` and `Ready` conditions with a reason a user can act on.
 * The placement reconciler owns `placement`, `excluded` and `Scheduled`.
 */
import { redact } from '../../runtime/redact.js';
import type { ClusterAction, Observation, Plan, PlacementEntry } from './plan.js';
import type { Condition } from '../../crds/common.js';
import type { RolloutStatus } from '../../crds/rollout.js';
import { transitionTime } from '../../kube/conditions.js';

export type ClusterSyncState = 'Pending' | 'Synced' | 'Failed' | 'Deleting';

/** `status.clusters[]` (the shape of src/crds ClusterSyncStatus). */
export interface ClusterStatusEntry {
  cluster: string;
  state?: ClusterSyncState;
  syncedGeneration?: number;
  observedGeneration?: number;
  replicas?: number;
  readyReplicas?: number;
  availableReplicas?: number;
  message?: string;
  lastSyncTime?: string;
  /** Rolling or Staged rollout: the revision the copy runs, and the latest it was Ready for. */
  appliedRevision?: string;
  readyRevision?: string;
  /** Since when the copy has been applied but not Ready (placement's failover.unhealthySeconds reads it). */
  notReadySince?: string;
}

/** What happened when the shell carried out an action. */
export type ActionOutcome =
  | {
      readonly ok: true;
      /** A request was made (false when the copy was already in sync). */
      readonly wrote: boolean;
      /** The object as the member stored it, when the action was an apply that wrote. */
      readonly stored?: { kind?: string; metadata?: { generation?: number }; spec?: unknown; status?: unknown };
    }
  /**
   * `reason` names a failure that retrying will not fix by itself (NamespaceConflict), or a wait for
   * another object on that member: the kind's CRD to be served (AwaitingKind), or custom resources of a
   * CRD to be removed before it (AwaitingDependents).
   */
  | { readonly ok: false; readonly error: string; readonly reason?: OutcomeReason };

export type OutcomeReason = 'NamespaceConflict' | 'AwaitingKind' | 'AwaitingDependents';

export interface StatusInput {
  readonly generation: number;
  readonly deleting: boolean;
  readonly placement: readonly PlacementEntry[];
  /** The `Scheduled` condition the placement reconciler wrote, if any. */
  readonly scheduled?: { readonly status: string; readonly reason?: string; readonly message?: string } | undefined;
  readonly plan: Plan;
  /** Observations after the actions: a cluster just written to shows the object the apply returned. */
  readonly observations: ReadonlyMap<string, Observation>;
  readonly outcomes: ReadonlyMap<string, ActionOutcome>;
  readonly previous: readonly ClusterStatusEntry[];
  readonly previousConditions: readonly Condition[];
  /** RFC 3339. */
  readonly now: string;
}

export interface SyncStatus {
  clusters: ClusterStatusEntry[];
  replicas?: number;
  readyReplicas?: number;
  conditions: Condition[];
  /** Only with a Rolling or Staged rollout (rollout-gate.ts). */
  rollout?: RolloutStatus;
}

function entryFor(action: ClusterAction, input: StatusInput): ClusterStatusEntry | undefined {
  const prev = input.previous.find((p) => p.cluster === action.cluster);
  const o = input.observations.get(action.cluster);
  const outcome = input.outcomes.get(action.cluster);
  const memberFields = (): Partial<ClusterStatusEntry> => {
    if (o?.kind !== 'ours') return {};
    const s = o.summary;
    return {
      ...(s.observedGeneration !== undefined ? { observedGeneration: s.observedGeneration } : {}),
      ...(s.readyReplicas !== undefined ? { readyReplicas: s.readyReplicas } : {}),
      ...(s.availableReplicas !== undefined ? { availableReplicas: s.availableReplicas } : {}),
    };
  };
  switch (action.action) {
    case 'forget':
      return undefined;
    case 'apply': {
      if (outcome && !outcome.ok) {
        return { ...stripMember(prev), cluster: action.cluster, state: 'Failed', message: outcome.error };
      }
      const wrote = outcome?.ok === true && outcome.wrote;
      const summary = o?.kind === 'ours' ? o.summary.message : 'applied; waiting for the member to report status';
      const held = action.held ? `; keeping ${action.replicas} replicas until ${input.plan.waitingFor.join(', ')} report ready` : '';
      const lastSyncTime = wrote ? input.now : prev?.lastSyncTime;
      // Kept from the first report of a not-Ready copy until it is Ready; cleared on anything but a successful apply.
      const notReadySince = o?.kind === 'ours' && o.synced && o.summary.ready ? undefined : (prev?.notReadySince ?? input.now);
      return {
        cluster: action.cluster,
        state: 'Synced',
        syncedGeneration: input.generation,
        ...memberFields(),
        ...(action.replicas !== undefined ? { replicas: action.replicas } : {}),
        message: `${summary}${held}`,
        ...(lastSyncTime ? { lastSyncTime } : {}),
        ...(notReadySince ? { notReadySince } : {}),
      };
    }
    case 'delete': {
      if (outcome && !outcome.ok)
        return {
          ...stripMember(prev),
          cluster: action.cluster,
          state: 'Deleting',
          message: outcome.reason === 'AwaitingDependents' ? `removal waits: ${outcome.error}` : `removal failed: ${outcome.error}`,
        };
      return undefined;
    }
    case 'wait': {
      const state: ClusterSyncState =
        action.why === 'Conflict'
          ? 'Failed'
          : action.removal && action.why === 'Unreachable'
            ? 'Deleting'
            : action.why === 'Unreachable'
              ? 'Pending'
              : 'Synced';
      // Counts from an unreachable member are stale: keep the entry but not its numbers.
      const fields = action.why === 'Unreachable' ? {} : memberFields();
      return { ...(prev && action.why !== 'Unreachable' ? prev : stripMember(prev)), ...fields, cluster: action.cluster, state, message: action.message };
    }
  }
}

function stripMember(prev: ClusterStatusEntry | undefined): Partial<ClusterStatusEntry> {
  if (!prev) return {};
  const { readyReplicas: _r, availableReplicas: _a, observedGeneration: _g, notReadySince: _n, ...rest } = prev;
  return rest;
}

/** Keeps lastTransitionTime when the status did not change, as metav1.Condition requires. */
export function condition(
  type: string,
  status: Condition['status'],
  reason: string,
  message: string,
  input: Pick<StatusInput, 'generation' | 'previousConditions' | 'now'>,
): Condition {
  const prev = input.previousConditions.find((c) => c.type === type);
  return {
    type,
    status,
    reason,
    message,
    observedGeneration: input.generation,
    lastTransitionTime: transitionTime(prev, status, input.now),
  };
}

function list(names: readonly string[]): string {
  return names.join(', ');
}

function awaitingKind(outcome: ActionOutcome | undefined): boolean {
  return outcome !== undefined && !outcome.ok && outcome.reason === 'AwaitingKind';
}

function namespaceConflict(outcome: ActionOutcome | undefined): boolean {
  return outcome !== undefined && !outcome.ok && outcome.reason === 'NamespaceConflict';
}

export function syncStatus(input: StatusInput): SyncStatus {
  const clusters: ClusterStatusEntry[] = [];
  for (const a of input.plan.actions) {
    const e = entryFor(a, input);
    // Member and kubeconfig errors end up here, and tenants read this status.
    if (e) clusters.push(e.message === undefined ? e : { ...e, message: redact(e.message) });
  }
  const byCluster = new Map(clusters.map((c) => [c.cluster, c]));
  const actions = input.plan.actions;
  const named = (pred: (a: ClusterAction) => boolean) => actions.filter(pred).map((a) => a.cluster);

  const conflicts = named((a) => a.action === 'wait' && a.why === 'Conflict');
  const failed = named((a) => a.action === 'apply' && input.outcomes.get(a.cluster)?.ok === false);
  const unreachable = named((a) => a.action === 'wait' && a.why === 'Unreachable' && !a.removal);
  const pendingRemoval = named(
    (a) =>
      (a.action === 'wait' && (a.why === 'Unreachable' || a.why === 'Settling') && a.removal) ||
      (a.action === 'delete' && input.outcomes.get(a.cluster)?.ok === false),
  );
  const kept = named((a) => a.action === 'wait' && (a.why === 'AwaitingReplacement' || a.why === 'NoEligibleCluster'));
  const copiesKept = named((a) => a.action === 'wait' && a.removal);
  const placedNames = input.placement.map((p) => p.cluster);

  let synced: Condition;
  const c = (status: Condition['status'], reason: string, message: string) => condition('Synced', status, reason, message, input);
  if (input.deleting) {
    synced =
      pendingRemoval.length > 0
        ? c('False', 'Deleting', `being deleted; removal still pending on ${list(pendingRemoval)} (retried until the cluster answers or is unregistered)`)
        : c('False', 'Deleting', 'being deleted; removing the copies from member clusters');
  } else if (input.placement.length === 0) {
    const why =
      input.scheduled?.status === 'False'
        ? `placement found no eligible cluster (${input.scheduled.reason ?? 'Unschedulable'}: ${input.scheduled.message ?? ''})`
        : 'not scheduled yet';
    synced =
      copiesKept.length > 0
        ? c('False', 'NoEligibleCluster', `${why}; nothing is deleted while no alternative exists: copies kept on ${list(copiesKept)}`)
        : c('False', 'NotScheduled', `${why}; nothing applied`);
  } else if (conflicts.length > 0) {
    synced = c(
      'False',
      'Conflict',
      `${list(conflicts)}: an object of the same name exists there without canopy.dev/managed-by=canopy; Canopy leaves it untouched (remove it, or label it canopy.dev/managed-by=canopy to hand it over)`,
    );
  } else if (failed.some((f) => namespaceConflict(input.outcomes.get(f)))) {
    const blocked = failed.filter((f) => namespaceConflict(input.outcomes.get(f)));
    synced = c('False', 'NamespaceConflict', blocked.map((f) => `${f}: ${byCluster.get(f)?.message ?? 'namespace conflict'}`).join('; '));
  } else if (failed.length > 0 && failed.every((f) => awaitingKind(input.outcomes.get(f)))) {
    // Ordering, not failure: the custom resource is applied once its CRD is served there.
    synced = c('False', 'AwaitingKind', failed.map((f) => `${f}: ${byCluster.get(f)?.message ?? 'kind not served yet'}`).join('; '));
  } else if (failed.length > 0) {
    synced = c('False', 'ApplyFailed', failed.map((f) => `${f}: ${byCluster.get(f)?.message ?? 'failed'}`).join('; '));
  } else if (unreachable.length > 0) {
    synced = c(
      'False',
      'ClusterUnreachable',
      `${list(unreachable)} unreachable; applied elsewhere, retried when it answers (placement moves it after the failover toleration)`,
    );
  } else if (input.plan.holding) {
    // Old copies on an unreachable cluster are held too (their removal is pending), so name them.
    const old = [...new Set([...kept, ...pendingRemoval])];
    const held = old.length > 0 ? `old copies on ${list(old)} stay until the replacement reports ready` : 'waiting for the replacement to report ready';
    synced = c('False', 'AwaitingReplacement', `moving to ${list(input.plan.waitingFor)}; ${held}`);
  } else if (pendingRemoval.length > 0) {
    synced = c(
      'False',
      'PendingRemoval',
      `applied to ${list(placedNames)}; removal from ${list(pendingRemoval)} pending (${pendingRemoval.map((n) => byCluster.get(n)?.message ?? '').join('; ')})`,
    );
  } else {
    synced = c('True', 'Synced', `applied to ${list(placedNames)}`);
  }

  let replicas: number | undefined;
  for (const p of input.placement) if (p.replicas !== undefined) replicas = (replicas ?? 0) + p.replicas;
  let readyReplicas: number | undefined;
  for (const e of clusters) if (e.readyReplicas !== undefined) readyReplicas = (readyReplicas ?? 0) + e.readyReplicas;
  if (replicas !== undefined) readyReplicas ??= 0;

  const notReady: string[] = [];
  for (const p of input.placement) {
    const o = input.observations.get(p.cluster);
    if (o?.kind !== 'ours' || !o.synced || !o.summary.ready) notReady.push(p.cluster);
  }
  const r = (status: Condition['status'], reason: string, message: string) => condition('Ready', status, reason, message, input);
  let ready: Condition;
  if (input.deleting) ready = r('False', 'Deleting', 'being deleted');
  else if (input.placement.length === 0) ready = r('False', synced.reason, synced.message);
  else if (notReady.length === 0) {
    const counts = replicas !== undefined ? ` (${readyReplicas ?? 0}/${replicas} replicas ready)` : '';
    ready = r('True', 'Ready', `ready on ${list(placedNames)}${counts}`);
  } else {
    ready = r('False', 'NotReady', notReady.map((n) => `${n}: ${byCluster.get(n)?.message ?? 'not applied yet'}`).join('; '));
  }

  return {
    clusters,
    ...(replicas !== undefined ? { replicas } : {}),
    ...(readyReplicas !== undefined ? { readyReplicas } : {}),
    conditions: [synced, ready],
  };
}
