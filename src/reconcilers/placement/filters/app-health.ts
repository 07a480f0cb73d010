/**
 * AppHealth (opt-in, `spec.failover.unhealthySeconds`): application-level
 * failover. A copy that has been applied but not Ready for
 * `unhealthySeconds` on a cluster that is itself Ready (the syncer reports
 * since when in `status.clusters[].notReadySince`) means this cluster fails
 * this object: it is excluded for `unhealthyBackoffSeconds` (default 600), so
 * the object moves elsewhere, make before break (the syncer removes the
 * failing copy only once the receivers are Ready, or after the handover
 * timeout when they at least hold a copy), and does not flap straight back.
 * The back-off is recorded in the exclusion (`status.excluded[].until`) and
 * read back from there on the next decision, so it survives restarts.
 *
 * A cluster that is not Ready is failover's (the unreachable taint) and
 * failback's business, not this filter's. When every cluster has failed the
 * object (the application is broken everywhere), the decision is
 * Unschedulable and the syncer deletes nothing while no alternative exists.
 * A requested rebalance clears the back-offs.
 */
import { DEFAULT_UNHEALTHY_BACKOFF_SECONDS } from '../../../crds/placementpolicy.js';
import { PASS, rejectUntil, type FilterPlugin } from '../framework.js';

export const APP_HEALTH = 'AppHealth';

export const appHealthFilter: FilterPlugin = {
  name: APP_HEALTH,
  kind: 'state',
  enabled: (ctx) => (ctx.spec.failover?.unhealthySeconds ?? 0) > 0 && ctx.spec.failover?.enabled !== false && !ctx.rebalance,
  filter(ctx, cluster) {
    const failover = ctx.spec.failover!;
    const backoffMs = (failover.unhealthyBackoffSeconds ?? DEFAULT_UNHEALTHY_BACKOFF_SECONDS) * 1000;
    const until = ctx.exclusionUntil.get(`${APP_HEALTH}/${cluster.name}`);
    if (until !== undefined && until > ctx.now) {
      ctx.requeueAt(until + 100);
      return rejectUntil(backedOff(failover.unhealthySeconds, until), until);
    }
    if (!ctx.current.has(cluster.name) || cluster.ready?.status !== 'True') return PASS;
    const since = ctx.copyNotReadySince.get(cluster.name);
    if (since === undefined) return PASS;
    const unhealthyMs = (failover.unhealthySeconds ?? 0) * 1000;
    if (ctx.now < since + unhealthyMs) {
      ctx.requeueAt(since + unhealthyMs + 100);
      return PASS;
    }
    const end = ctx.now + backoffMs;
    if (backoffMs > 0) ctx.requeueAt(end + 100);
    // The same words as on the decisions during the back-off: an unchanged exclusion writes nothing.
    return rejectUntil(backedOff(failover.unhealthySeconds, end), end);
  },
};

function backedOff(unhealthySeconds: number | undefined, until: number): string {
  return `the copy here stayed not Ready for over ${unhealthySeconds}s (failover.unhealthySeconds) while the cluster was Ready; the cluster is excluded for this object until ${new Date(until).toISOString()}`;
}

type WithCopies = { readonly status?: { readonly clusters?: readonly { readonly cluster: string; readonly notReadySince?: string }[] } } | undefined;

/** The syncer's report changed which copies are not Ready (or since when): placement looks again (a status write, not a generation change). */
export function notReadyChanged(event: { readonly type: string; readonly old?: unknown; readonly object: unknown }): boolean {
  if (event.type !== 'update') return false;
  const key = (o: unknown) =>
    ((o as WithCopies)?.status?.clusters ?? [])
      .filter((c) => c.notReadySince)
      .map((c) => `${c.cluster}@${c.notReadySince}`)
      .sort()
      .join(',');
  return key(event.old) !== key(event.object);
}
