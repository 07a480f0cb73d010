/**
 * The syncer's decision for one PropagatedObject: which clusters get the
 * object applied (with how many replicas), where copies are deleted, and
 * where Canopy must wait.
 *
 * Make before break: copies on clusters that left the placement, and
 * replicas a cluster gives up, are only removed once every cluster that
 * takes over ("receiver") reports its share ready. When that takes longer
 * than the handover timeout, removal goes ahead if every receiver at least
 * holds an applied, up-to-date copy; it never goes ahead while a receiver
 * has no copy at all (unreachable, failing), and nothing is removed
 * anywhere while the placement is empty, so an outage of every eligible
 * cluster never turns into deleting the last running copies.
 */
import type { MemberSummary } from './member-status.js';

export interface PlacementEntry {
  readonly cluster: string;
  readonly replicas?: number | undefined;
}

/** What the syncer knows about the member copy on one cluster. */
export type Observation =
  | { readonly kind: 'unreachable'; readonly reason: string }
  | { readonly kind: 'absent' }
  /** An object of that name exists there without Canopy's managed-by label: never touched. */
  | { readonly kind: 'foreign' }
  | {
      readonly kind: 'ours';
      /** `spec.replicas` of the live copy, for workloads. */
      readonly specReplicas?: number | undefined;
      /** The live copy carries everything the desired manifest (with the placement's replicas) sets. */
      readonly synced: boolean;
      readonly summary: MemberSummary;
    };

export interface PlanInput {
  /** The PropagatedObject is being deleted: remove every copy. */
  readonly deleting: boolean;
  /** `status.placement`; empty when nothing is scheduled (or nothing is eligible). */
  readonly placement: readonly PlacementEntry[];
  /** Observations for every cluster in the placement or holding a copy. */
  readonly observations: ReadonlyMap<string, Observation>;
  /** Clusters the previous status says hold a copy (covers clusters that are unreachable now). */
  readonly knownCopies: ReadonlySet<string>;
  /** Clusters registered as `Cluster` objects; copies on unregistered clusters can never be reached again. */
  readonly registered: ReadonlySet<string>;
  /**
   * Clusters that became reachable again moments ago: a copy there that the
   * placement no longer lists is kept a little longer, because the placement
   * reconciler is reacting to the same recovery and usually brings the
   * cluster back (removing and re-creating the copy would be churn).
   */
  readonly settling?: ReadonlySet<string>;
  /** When the current handover started (ms since epoch), if one is in progress. */
  readonly handoverSince?: number | undefined;
  readonly handoverTimeoutMs: number;
  readonly now: number;
}

export type ClusterAction =
  /** Apply the desired copy with this many replicas (`held` when more than the placement asks, during a handover). */
  | { readonly cluster: string; readonly action: 'apply'; readonly replicas: number | undefined; readonly held: boolean }
  | { readonly cluster: string; readonly action: 'delete' }
  /** Nothing can be done now; `removal` tells whether the copy is on its way out. */
  | { readonly cluster: string; readonly action: 'wait'; readonly why: WaitReason; readonly removal: boolean; readonly message: string }
  /** No copy there and none wanted: drop the cluster from status. */
  | { readonly cluster: string; readonly action: 'forget' };

/** `RolloutHeld`: a Rolling or Staged rollout has not released the cluster yet; its copy keeps the previous revision (rollout-gate.ts). */
export type WaitReason = 'Unreachable' | 'Conflict' | 'AwaitingReplacement' | 'NoEligibleCluster' | 'Settling' | 'RolloutHeld';

export interface Plan {
  readonly actions: readonly ClusterAction[];
  /** Removals or reductions are being held until receivers are ready. */
  readonly holding: boolean;
  /** Receivers not ready yet (for messages). */
  readonly waitingFor: readonly string[];
  /** When to look again by itself (the handover timeout expiring). */
  readonly requeueAfterMs?: number;
}

function hasCopy(cluster: string, input: PlanInput): boolean {
  const o = input.observations.get(cluster);
  if (o?.kind === 'ours') return true;
  if (o?.kind === 'absent' || o?.kind === 'foreign') return false;
  return input.knownCopies.has(cluster);
}

/** The share a cluster must run; objects without replicas count as 1 (one copy). */
function share(e: PlacementEntry): number {
  return e.replicas ?? 1;
}

/** Replicas the live copy runs (1 for a present object without replicas, 0 for none). */
function currentShare(o: Observation | undefined): number {
  if (o?.kind !== 'ours') return 0;
  return o.specReplicas ?? 1;
}

/** A receiver has taken over (its share is ready there). */
function receiverReady(o: Observation | undefined, want: number): boolean {
  if (o?.kind !== 'ours' || !o.synced) return false;
  if (o.specReplicas === undefined) return o.summary.ready;
  return (o.summary.readyReplicas ?? 0) >= want || (want === 0 && o.summary.ready);
}

export function planSync(input: PlanInput): Plan {
  const placed = new Map(input.placement.map((e) => [e.cluster, e]));
  const all = new Set<string>([...placed.keys(), ...input.observations.keys(), ...input.knownCopies]);
  const clusters = [...all].sort();
  const actions: ClusterAction[] = [];

  if (input.deleting) {
    for (const c of clusters) actions.push(removal(c, input));
    return { actions, holding: false, waitingFor: [] };
  }

  // Receivers: clusters whose share grows (or is new). Reducers: clusters whose share shrinks or ends.
  const receivers: string[] = [];
  for (const [c, e] of placed) {
    const o = input.observations.get(c);
    if (share(e) >= currentShare(o) && !receiverReady(o, share(e))) receivers.push(c);
  }
  const leaving = clusters.filter((c) => !placed.has(c) && hasCopy(c, input) && input.registered.has(c));
  const reducing = [...placed.values()].filter((e) => currentShare(input.observations.get(e.cluster)) > share(e)).map((e) => e.cluster);
  const breaks = leaving.length + reducing.length > 0;

  let holding = false;
  let requeueAfterMs: number | undefined;
  if (breaks && input.placement.length === 0) {
    holding = true; // no alternative exists: keep everything
  } else if (breaks && receivers.length > 0) {
    const since = input.handoverSince ?? input.now;
    const elapsed = input.now - since;
    const receiversHoldCopies = receivers.every((c) => {
      const o = input.observations.get(c);
      return o?.kind === 'ours' && o.synced;
    });
    if (elapsed < input.handoverTimeoutMs || !receiversHoldCopies) {
      holding = true;
      if (elapsed < input.handoverTimeoutMs) requeueAfterMs = input.handoverTimeoutMs - elapsed;
    }
  }

  for (const c of clusters) {
    const e = placed.get(c);
    const o = input.observations.get(c);
    if (e) {
      if (o?.kind === 'unreachable') {
        actions.push({ cluster: c, action: 'wait', why: 'Unreachable', removal: false, message: `cluster unreachable: ${o.reason}` });
      } else if (o?.kind === 'foreign') {
        actions.push({
          cluster: c,
          action: 'wait',
          why: 'Conflict',
          removal: false,
          message:
            'an object of this name exists there without canopy.dev/managed-by=canopy; Canopy does not take it over (delete or label it to let Canopy manage it)',
        });
      } else {
        const held = holding && currentShare(o) > share(e);
        const replicas = held ? (o?.kind === 'ours' ? o.specReplicas : e.replicas) : e.replicas;
        actions.push({ cluster: c, action: 'apply', replicas, held });
      }
      continue;
    }
    if (!hasCopy(c, input)) {
      actions.push({ cluster: c, action: 'forget' });
      continue;
    }
    // Unreachable copies are "pending removal" during a handover, but with no placement at all nothing is removed anywhere.
    if (holding && (input.placement.length === 0 || o?.kind !== 'unreachable')) {
      const why: WaitReason = input.placement.length === 0 ? 'NoEligibleCluster' : 'AwaitingReplacement';
      const message =
        why === 'NoEligibleCluster'
          ? 'no longer chosen, but no eligible cluster is left: kept until placement finds one'
          : `no longer chosen; kept until ${receivers.join(', ')} report ready`;
      actions.push({ cluster: c, action: 'wait', why, removal: true, message });
      continue;
    }
    if (input.settling?.has(c) && o?.kind === 'ours') {
      actions.push({
        cluster: c,
        action: 'wait',
        why: 'Settling',
        removal: true,
        message: 'no longer chosen; kept for a few seconds after the cluster came back while placement catches up',
      });
      continue;
    }
    actions.push(removal(c, input));
  }
  return { actions, holding, waitingFor: holding ? receivers : [], ...(requeueAfterMs !== undefined ? { requeueAfterMs } : {}) };
}

function removal(c: string, input: PlanInput): ClusterAction {
  const o = input.observations.get(c);
  if (!hasCopy(c, input)) return { cluster: c, action: 'forget' };
  // A cluster that was unregistered can never be reached again: its copies are the cluster owner's to clean.
  if (!input.registered.has(c)) return { cluster: c, action: 'forget' };
  if (o?.kind === 'unreachable') {
    return {
      cluster: c,
      action: 'wait',
      why: 'Unreachable',
      removal: true,
      message: `removal pending: cluster unreachable (${o.reason}); retried when it is back`,
    };
  }
  return { cluster: c, action: 'delete' };
}
