/**
 * Failback: whether workloads return to a cluster they failed over from.
 *
 * "Failed over from" is read from the previous decision (`status.excluded`):
 * a cluster excluded there by TaintToleration (the unreachable taint),
 * ClusterReady or this filter itself. That record lives in the object's
 * status, so it survives operator restarts, and it is exactly as long-lived
 * as the hold: once the object is back on the cluster the entry is gone.
 *
 * `spec.failover.failback`:
 * - `WhenRecovered` (default): the cluster takes the object back once its
 *   Ready condition has been True for `stableSeconds` (default 0: at once,
 *   the behaviour before failback existed). The move back is an ordinary
 *   placement change, so the syncer makes it before it breaks anything: the
 *   returning cluster's share is Ready before the others shrink.
 * - `Never`: the object stays where it moved until a rebalance is requested
 *   (`canopy.dev/rebalance-requested-at`), which skips this filter.
 *
 * Only objects that run somewhere are held back; a first decision is never
 * delayed by a cluster's recent recovery.
 */
import { PASS, reject, type FilterPlugin } from '../framework.js';

/** Filters whose exclusion means "the object left (or could not use) the cluster because of its health". */
const HEALTH_PLUGINS: ReadonlySet<string> = new Set(['TaintToleration', 'ClusterReady', 'Failback']);

export function failedOverFrom(excluded: readonly { readonly cluster: string; readonly plugin?: string }[] | undefined): ReadonlySet<string> {
  return new Set((excluded ?? []).filter((e) => e.plugin !== undefined && HEALTH_PLUGINS.has(e.plugin)).map((e) => e.cluster));
}

export const failbackFilter: FilterPlugin = {
  name: 'Failback',
  kind: 'state',
  enabled: (ctx) => !ctx.rebalance && ctx.failedOver.size > 0 && ctx.current.size > 0,
  filter(ctx, cluster) {
    if (!ctx.failedOver.has(cluster.name) || ctx.current.has(cluster.name)) return PASS;
    const failover = ctx.spec.failover;
    if (failover?.failback === 'Never')
      return reject('the object failed over from this cluster and failback is Never: it stays where it moved until a rebalance is requested');
    const stableMs = (failover?.stableSeconds ?? 0) * 1000;
    if (stableMs === 0) return PASS;
    const ready = cluster.ready;
    // Not Ready: ClusterReady (or the taint) says so first; nothing to add here.
    if (ready?.status !== 'True') return PASS;
    const since = Date.parse(ready.lastTransitionTime ?? '');
    if (!Number.isFinite(since)) return PASS;
    const stableAt = since + stableMs;
    if (ctx.now >= stableAt) return PASS;
    ctx.requeueAt(stableAt + 100);
    // No countdown in the text: the same inputs must give the same decision, or every re-decision would write status.
    return reject(
      `the object failed over from this cluster; it returns once the cluster has been Ready for ${failover?.stableSeconds}s, at ${new Date(stableAt).toISOString()} (Ready since ${new Date(since).toISOString()})`,
    );
  },
};
