/**
 * The finalizer-timeout rule (runtime/finalizer-timeout.ts) applied to a
 * PropagatedObject: which clusters its deletion waits for, and the decision.
 */
import { DEFAULT_FINALIZER_TIMEOUT_MS, finalizerWait, timestampText, type FinalizerWaitDecision } from '../../runtime/finalizer-timeout.js';
import { FINALIZER } from './names.js';
import type { ClusterAction } from './plan.js';
import type { ActionOutcome } from './status.js';

/** The clusters a PropagatedObject's deletion still waits for: unreachable ones, and those whose delete failed. */
export function clustersBlockingDeletion(actions: readonly ClusterAction[], outcomes: ReadonlyMap<string, ActionOutcome>): string[] {
  return actions.filter((a) => a.action === 'wait' || (a.action === 'delete' && outcomes.get(a.cluster)?.ok === false)).map((a) => a.cluster);
}

/** The decision for a PropagatedObject being deleted, from the syncer's plan and what its deletes returned. */
export function propagatedObjectFinalizerWait(
  po: {
    readonly metadata?: {
      readonly namespace?: string;
      readonly name?: string;
      readonly deletionTimestamp?: unknown;
      readonly annotations?: Readonly<Record<string, string>>;
    };
  },
  actions: readonly ClusterAction[],
  outcomes: ReadonlyMap<string, ActionOutcome>,
  timeoutMs: number | undefined,
  now: number,
): FinalizerWaitDecision {
  return finalizerWait({
    deletionTimestamp: timestampText(po.metadata?.deletionTimestamp),
    annotations: po.metadata?.annotations,
    now,
    timeoutMs: timeoutMs ?? DEFAULT_FINALIZER_TIMEOUT_MS,
    blocked: clustersBlockingDeletion(actions, outcomes),
    leftBehind: `the copy of PropagatedObject ${po.metadata?.namespace}/${po.metadata?.name}`,
    finalizer: FINALIZER,
  });
}
