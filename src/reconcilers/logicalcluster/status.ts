/**
 * status of a LogicalCluster from the outcome of one reconcile: phase,
 * conditions (with lastTransitionTime kept while a condition's status does
 * not change) and the materialized facts.
 */

import type { ConditionLike, LogicalClusterStatus } from '../../hierarchy/logical-cluster.js';
import { createHash } from 'node:crypto';
import type { Condition } from '../../crds/common.js';
import { transitionTime } from '../../kube/conditions.js';

export type Phase = 'Pending' | 'Initializing' | 'Ready' | 'Failed' | 'Terminating';

export const ConditionTypes = {
  Ready: 'Ready',
  /** Cluster mode: bound to a registered Cluster (reason says why not). */
  Bound: 'Bound',
  /** The capabilities asked for were cut down to what the workspace allows. */
  CapabilitiesNarrowed: 'CapabilitiesNarrowed',
  /** Within the workspace's maxLogicalClusters, quota and cost budget. */
  WithinLimits: 'WithinLimits',
  /** Deletion cannot finish yet; the message says what is left and why. */
  CleanupBlocked: 'CleanupBlocked',
  /** Only on logical clusters born with initializers: False while some are pending (the message names them). */
  Initialized: 'Initialized',
} as const;

export interface ConditionInput {
  readonly type: string;
  readonly status: 'True' | 'False' | 'Unknown';
  readonly reason: string;
  readonly message: string;
}

export interface Outcome {
  readonly phase: Phase;
  /** The Ready condition's reason and message (status follows from the phase). */
  readonly reason: string;
  readonly message: string;
  readonly namespaces?: readonly string[] | undefined;
  readonly cluster?: string | undefined;
  readonly kubeconfigSecretRef?: { readonly name: string; readonly namespace: string; readonly key: string } | undefined;
  /** Further conditions to set; types not listed keep their previous value unless in `clear`. */
  readonly conditions?: readonly ConditionInput[];
  /** Condition types to remove. */
  readonly clear?: readonly string[];
  /**
   * status.initializers to write. Left out of every other write, so a write
   * from a cache that has not seen an initializer remove its name cannot put
   * the name back (status is merge-patched).
   */
  readonly initializers?: readonly string[];
}

export interface StatusShape {
  phase: Phase;
  namespaces?: string[];
  cluster?: string;
  kubeconfigSecretRef?: { name: string; namespace: string; key: string };
  initializers?: string[];
  conditions: Condition[];
  observedGeneration?: number;
}

/** The new status; facts the outcome does not mention (namespaces, cluster) are carried over. */
export function nextStatus(prev: LogicalClusterStatus | undefined, outcome: Outcome, generation: number | undefined, now: Date): StatusShape {
  const ready: ConditionInput = {
    type: ConditionTypes.Ready,
    status: outcome.phase === 'Ready' ? 'True' : 'False',
    reason: outcome.reason,
    message: outcome.message,
  };
  let conditions = mergeConditions(prev?.conditions ?? [], [ready, ...(outcome.conditions ?? [])], generation, now);
  if (outcome.clear && outcome.clear.length > 0) conditions = conditions.filter((c) => !outcome.clear!.includes(c.type));
  const status: StatusShape = { phase: outcome.phase, conditions };
  const namespaces = outcome.namespaces ?? prev?.namespaces;
  if (namespaces) status.namespaces = [...namespaces];
  const cluster = outcome.cluster ?? prev?.cluster;
  if (cluster) status.cluster = cluster;
  const ref = outcome.kubeconfigSecretRef ?? prev?.kubeconfigSecretRef;
  if (ref) status.kubeconfigSecretRef = { name: ref.name, namespace: ref.namespace, key: ref.key ?? 'kubeconfig' };
  if (outcome.initializers) status.initializers = [...outcome.initializers];
  if (generation !== undefined) status.observedGeneration = generation;
  return status;
}

export function mergeConditions(prev: readonly ConditionLike[], updates: readonly ConditionInput[], generation: number | undefined, now: Date): Condition[] {
  const byType = new Map<string, Condition>();
  for (const c of prev) {
    byType.set(c.type, {
      type: c.type,
      status: (c.status as Condition['status']) ?? 'Unknown',
      reason: c.reason ?? 'Unknown',
      message: c.message ?? '',
      lastTransitionTime: c.lastTransitionTime ? timeString(c.lastTransitionTime) : rfc3339(now),
      ...(c.observedGeneration !== undefined ? { observedGeneration: c.observedGeneration } : {}),
    });
  }
  for (const u of updates) {
    const old = byType.get(u.type);
    byType.set(u.type, {
      type: u.type,
      status: u.status,
      reason: u.reason,
      message: truncate(u.message),
      lastTransitionTime: transitionTime(old, u.status, rfc3339(now)),
      ...(generation !== undefined ? { observedGeneration: generation } : {}),
    });
  }
  // Ready first, then alphabetical: a stable order keeps status writes no-ops when nothing changed.
  return [...byType.values()].sort((a, b) => (a.type === 'Ready' ? -1 : b.type === 'Ready' ? 1 : a.type.localeCompare(b.type)));
}

/** Whether writing `next` would change anything compared with `prev` (so the shell can skip the write). */
export function statusChanged(prev: LogicalClusterStatus | undefined, next: StatusShape): boolean {
  if (!prev) return true;
  // A write without initializers leaves them as they are: compare with what will be there.
  const after = next.initializers === undefined && prev.initializers !== undefined ? { ...next, initializers: [...prev.initializers] } : next;
  return JSON.stringify(normalize(prev)) !== JSON.stringify(normalize(after as LogicalClusterStatus));
}

/**
 * A short digest of what a status says, transition times left out: enough to
 * recognise "this is what was written a moment ago" without keeping it.
 */
export function statusDigest(s: LogicalClusterStatus): string {
  const n = normalize(s) as { conditions: unknown[][] };
  return createHash('sha256')
    .update(JSON.stringify({ ...n, conditions: n.conditions.map((c) => c.slice(0, 5)) }))
    .digest('base64')
    .slice(0, 22);
}

function normalize(s: LogicalClusterStatus): unknown {
  return {
    phase: s.phase,
    namespaces: s.namespaces ?? [],
    cluster: s.cluster ?? '',
    ref: s.kubeconfigSecretRef ? [s.kubeconfigSecretRef.name, s.kubeconfigSecretRef.namespace, s.kubeconfigSecretRef.key ?? 'kubeconfig'] : [],
    og: s.observedGeneration,
    init: s.initializers ?? null,
    conditions: (s.conditions ?? []).map((c) => [
      c.type,
      c.status,
      c.reason,
      c.message,
      c.observedGeneration,
      c.lastTransitionTime ? timeString(c.lastTransitionTime) : '',
    ]),
  };
}

// Clients may hand back a Date or a string; compare and write one form.
function timeString(t: string | Date): string {
  return typeof t === 'string' ? t : rfc3339(t);
}

// The apiserver stores metav1.Time at second precision.
function rfc3339(d: Date): string {
  return d.toISOString().replace(/\.\d{3}Z$/, 'Z');
}

function truncate(message: string): string {
  return message.length > 32_000 ? `${message.slice(0, 32_000)}…` : message;
}
