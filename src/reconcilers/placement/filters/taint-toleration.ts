/**
 * TaintToleration: Kubernetes taint semantics at cluster level.
 * - NoSchedule: no new placements unless tolerated; an existing placement
 *   stays (as a node's NoSchedule taint does not evict running pods).
 * - PreferNoSchedule: never filters; the TaintPreference score handles it.
 * - NoExecute: not tolerated means leave, also for an existing placement;
 *   a toleration with tolerationSeconds holds only that long after the
 *   taint's timeAdded.
 * The unreachable taint that the cluster controller sets is tolerated
 * implicitly for clusters the object already runs on according to
 * `spec.failover`: disabled keeps workloads where they are, enabled keeps
 * them `tolerationSeconds` (default 0: the controller already waited
 * `failoverAfterSeconds` before tainting).
 */
import { TAINT_UNREACHABLE } from '../../../crds/labels.js';
import { PASS, reject, type FilterKind, type FilterPlugin, type ScheduleContext } from '../framework.js';
import type { Taint, Toleration } from '../types.js';

export const taintTolerationFilter: FilterPlugin = {
  name: 'TaintToleration',
  filter(ctx, cluster) {
    if (cluster.taints.length === 0) return PASS;
    const tolerations = ctx.spec.tolerations ?? [];
    const isCurrent = ctx.current.has(cluster.name);
    for (const taint of cluster.taints) {
      if (taint.effect === 'PreferNoSchedule') continue;
      if (taint.effect !== 'NoExecute') {
        // NoSchedule, and any effect Kubernetes may add later, blocks new placements only.
        if (isCurrent || tolerations.some((t) => tolerates(t, taint))) continue;
        return reject(untolerated(taint), kindOf(taint));
      }
      const seconds = noExecuteTolerationSeconds(ctx, tolerations, taint, isCurrent);
      const implicit = taint.key === TAINT_UNREACHABLE && !tolerations.some((t) => tolerates(t, taint));
      // One wording whether the object ran there or not: the reason must not change when the
      // object moves off, or every moved object would be written a second time for nothing.
      if (implicit && seconds !== undefined && (seconds === null || ctx.now >= unreachableExpiry(taint, seconds)))
        return reject(unreachableReason(taint), 'state');
      if (seconds === null) return reject(untolerated(taint), kindOf(taint));
      if (seconds === undefined) continue;
      const since = taint.timeAdded ? Date.parse(taint.timeAdded) : NaN;
      if (Number.isNaN(since)) continue; // no start time: the clock never started, as in the kubelet
      const expiry = since + seconds * 1000;
      if (ctx.now >= expiry) {
        return reject(`${untoleratedPrefix(taint)} that the policy tolerated only for ${seconds}s (since ${taint.timeAdded})`, kindOf(taint));
      }
      ctx.requeueAt(expiry);
    }
    return PASS;
  },
};

/**
 * How long a NoExecute taint is tolerated: `null` not at all, `undefined`
 * forever, else seconds. Several matching tolerations: the shortest bound
 * wins, as in the Kubernetes taint manager.
 */
function noExecuteTolerationSeconds(ctx: ScheduleContext, tolerations: readonly Toleration[], taint: Taint, isCurrent: boolean): number | undefined | null {
  let matched = false;
  let min: number | undefined;
  for (const t of tolerations) {
    if (!tolerates(t, taint)) continue;
    matched = true;
    if (typeof t.tolerationSeconds === 'number') min = min === undefined ? t.tolerationSeconds : Math.min(min, t.tolerationSeconds);
  }
  if (matched) return min;
  if (taint.key === TAINT_UNREACHABLE && isCurrent) {
    const failover = ctx.spec.failover;
    if (failover?.enabled === false) return undefined;
    return Math.max(0, failover?.tolerationSeconds ?? 0);
  }
  return null;
}

/** When the implicit toleration of the unreachable taint ends; a taint without a time ends at once. */
function unreachableExpiry(taint: Taint, seconds: number): number {
  const since = taint.timeAdded ? Date.parse(taint.timeAdded) : NaN;
  return Number.isNaN(since) ? -Infinity : since + seconds * 1000;
}

function unreachableReason(taint: Taint): string {
  return `${untoleratedPrefix(taint)}: the cluster is unreachable${taint.timeAdded ? ` (since ${taint.timeAdded})` : ''}`;
}

/**
 * The unreachable taint reports the cluster's health, not anyone's intent:
 * asking for such a cluster is not a wrong request, just one that cannot be
 * met right now.
 */
function kindOf(taint: Taint): FilterKind {
  return taint.key === TAINT_UNREACHABLE ? 'state' : 'policy';
}

/** core/v1 Toleration.ToleratesTaint. */
export function tolerates(t: Toleration, taint: Taint): boolean {
  if (t.effect && t.effect !== taint.effect) return false;
  if (t.key && t.key !== taint.key) return false;
  // An empty key with Exists matches every taint; an empty key with Equal matches nothing.
  if (t.operator === 'Exists') return true;
  if (!t.key) return false;
  return (t.value ?? '') === (taint.value ?? '');
}

function untoleratedPrefix(taint: Taint): string {
  const kv = taint.value ? `${taint.key}=${taint.value}` : taint.key;
  return `cluster had taint {${kv}: ${taint.effect}}`;
}

function untolerated(taint: Taint): string {
  return `${untoleratedPrefix(taint)} that the policy didn't tolerate`;
}
