/**
 * What a member copy reports about itself, reduced to what the
 * PropagatedObject shows per cluster: replica counts for workloads, the
 * `Ready`/`Available` conditions (or their absence) for anything else.
 */
import { isRecord, type JsonObject } from './portable.js';

export interface MemberSummary {
  /** Replicas the member's controller reports (`status.replicas`), for workloads. */
  readonly replicas?: number;
  readonly readyReplicas?: number;
  readonly availableReplicas?: number;
  /** `status.observedGeneration`, when the object reports it. */
  readonly observedGeneration?: number;
  /** Whether the copy does what it should there; for objects with no notion of readiness, being present is enough. */
  readonly ready: boolean;
  /** One line for `status.clusters[].message`. */
  readonly message: string;
}

function num(v: unknown): number | undefined {
  return typeof v === 'number' && Number.isFinite(v) ? v : undefined;
}

/**
 * Summarises a live member object. `desiredReplicas` is what Canopy asked
 * for there (so an old status that still reports the previous count is not
 * mistaken for readiness).
 */
export function summarizeMember(
  object: { kind?: string; metadata?: { generation?: number }; spec?: unknown; status?: unknown },
  desiredReplicas: number | undefined,
): MemberSummary {
  const live = object as { kind?: string; metadata?: { generation?: number }; [field: string]: unknown };
  const status: JsonObject = isRecord(live['status']) ? live['status'] : {};
  const generation = num(live.metadata?.generation);
  const observedGeneration = num(status['observedGeneration']);
  const caughtUp = generation === undefined || observedGeneration === undefined || observedGeneration >= generation;
  switch (live.kind) {
    case 'Deployment':
    case 'StatefulSet':
    case 'ReplicaSet':
    case 'ReplicationController': {
      const spec = isRecord(live['spec']) ? live['spec'] : {};
      const want = desiredReplicas ?? num(spec['replicas']) ?? 1;
      const replicas = num(status['replicas']) ?? 0;
      const readyReplicas = num(status['readyReplicas']) ?? 0;
      const availableReplicas = num(status['availableReplicas']) ?? (live.kind === 'StatefulSet' ? readyReplicas : 0);
      // A scale-down is done only when the extra replicas are gone: until then the
      // controller still counts them as ready, and the sum over clusters would
      // report more ready replicas than were asked for. The member's own spec is
      // the bound, so an autoscaler there that asks for more is not held against it.
      const target = num(spec['replicas']) ?? want;
      const scaledDown = replicas <= Math.max(target, want);
      const ready =
        caughtUp && scaledDown && readyReplicas >= want && (live.kind === 'StatefulSet' || live.kind === 'ReplicationController' || availableReplicas >= want);
      const progress = !caughtUp
        ? `controller has not observed generation ${generation} yet`
        : `${readyReplicas}/${want} ready, ${availableReplicas} available${scaledDown ? '' : `, scaling down from ${replicas}`}`;
      return { replicas, readyReplicas, availableReplicas, ...(observedGeneration !== undefined ? { observedGeneration } : {}), ready, message: progress };
    }
    case 'DaemonSet': {
      const want = num(status['desiredNumberScheduled']) ?? 0;
      const readyReplicas = num(status['numberReady']) ?? 0;
      const availableReplicas = num(status['numberAvailable']) ?? 0;
      const ready = caughtUp && readyReplicas >= want;
      return {
        replicas: want,
        readyReplicas,
        availableReplicas,
        ...(observedGeneration !== undefined ? { observedGeneration } : {}),
        ready,
        message: `${readyReplicas}/${want} nodes ready`,
      };
    }
    case 'Job': {
      const conditions = conditionList(status);
      const failed = conditions.find((c) => c.type === 'Failed' && c.status === 'True');
      if (failed) return { ready: false, message: `Job failed: ${failed.message ?? failed.reason ?? ''}`.trim() };
      const complete = conditions.some((c) => c.type === 'Complete' && c.status === 'True');
      return { ready: complete, message: complete ? 'Job complete' : `Job running (${num(status['succeeded']) ?? 0} succeeded)` };
    }
    case 'CustomResourceDefinition': {
      // Custom resources of it can be created only once it is Established: that is its readiness.
      const established = conditionList(status).find((c) => c.type === 'Established');
      const ready = established?.status === 'True';
      return { ready, message: ready ? 'Established' : `not Established yet${established?.message ? `: ${established.message}` : ''}` };
    }
    default:
      return genericSummary(status, caughtUp, observedGeneration);
  }
}

interface ConditionView {
  readonly type: string;
  readonly status: string;
  readonly reason?: string;
  readonly message?: string;
}

function conditionList(status: JsonObject): ConditionView[] {
  const list = Array.isArray(status['conditions']) ? status['conditions'] : [];
  return list.filter((c): c is ConditionView => isRecord(c) && typeof c['type'] === 'string' && typeof c['status'] === 'string');
}

/** Anything else: a `Ready` (or else `Available`) condition decides; no such condition means present is ready. */
function genericSummary(status: JsonObject, caughtUp: boolean, observedGeneration: number | undefined): MemberSummary {
  const conditions = conditionList(status);
  const gen = observedGeneration !== undefined ? { observedGeneration } : {};
  const decisive = conditions.find((c) => c.type === 'Ready') ?? conditions.find((c) => c.type === 'Available');
  if (!decisive) {
    const summary = conditions.map((c) => `${c.type}=${c.status}`).join(', ');
    return { ...gen, ready: true, message: summary ? `present (${summary})` : 'present' };
  }
  const ready = caughtUp && decisive.status === 'True';
  const detail = decisive.message ?? decisive.reason;
  return { ...gen, ready, message: `${decisive.type}=${decisive.status}${detail ? `: ${detail}` : ''}` };
}
