/**
 * One-shot rebalance: the annotation `canopy.dev/rebalance-requested-at`
 * (an RFC 3339 time, `kubectl canopy rebalance`) on an object or on its
 * PlacementPolicy asks placement to decide that object once more as if it
 * ran nowhere yet: no stability score, no failback hold. Placement records
 * the request it acted on in `status.rebalancedAt`, so each request is acted
 * on once, and a policy-wide request reaches every object of the policy.
 *
 * The resulting move is an ordinary placement change: the syncer makes it
 * before it breaks (handover), and a Rolling or Staged rollout paces it
 * (propagation/rollout-gate.ts): keyed on the cluster set changing, a
 * cluster receiving its first copy of an object that already runs waits for
 * the strategy, unless the change is a failover away from a cluster that
 * cannot serve (propagation/rollout.ts, `additionPacing`).
 */
import { ANNOTATION_REBALANCE_REQUESTED_AT } from '../../crds/labels.js';

type Annotated = { readonly metadata?: { readonly annotations?: Readonly<Record<string, string>> | undefined } } | undefined;

function requestedAt(o: Annotated): number | undefined {
  const t = Date.parse(o?.metadata?.annotations?.[ANNOTATION_REBALANCE_REQUESTED_AT] ?? '');
  return Number.isFinite(t) ? t : undefined;
}

/**
 * The request to act on now (the later of the object's and the policy's,
 * RFC 3339), or undefined when there is none newer than `rebalancedAt`.
 */
export function pendingRebalance(object: Annotated, policy: Annotated, rebalancedAt: string | undefined): string | undefined {
  const times = [requestedAt(object), requestedAt(policy)].filter((t): t is number => t !== undefined);
  if (times.length === 0) return undefined;
  const latest = Math.max(...times);
  const done = Date.parse(rebalancedAt ?? '');
  if (Number.isFinite(done) && latest <= done) return undefined;
  return new Date(latest).toISOString();
}

/** An update that sets or changes the request on the object itself. */
export function rebalanceRequested(event: { readonly type: string; readonly old?: Annotated; readonly object: Annotated }): boolean {
  return event.type === 'update' && requestedAt(event.old) !== requestedAt(event.object) && requestedAt(event.object) !== undefined;
}
