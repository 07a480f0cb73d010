/**
 * APIAvailability: a cluster that reports the APIs it serves must serve the
 * object's group/version and kind (a CRD-backed object cannot land where the
 * CRD is not installed). A cluster that has not reported is given the benefit
 * of the doubt: the syncer will surface the apply error instead.
 */
import { apiKey } from '../cluster-view.js';
import { PASS, reject, type FilterPlugin, type ScheduleContext } from '../framework.js';

export const apiAvailabilityFilter: FilterPlugin = {
  name: 'APIAvailability',
  kind: 'state',
  filter(ctx, cluster) {
    if (!cluster.apis) return PASS;
    const key = ctx.memo('APIAvailability:key', objectApiKey);
    if (cluster.apis.has(key)) return PASS;
    return reject(`cluster does not serve ${ctx.profile.groupVersion} ${ctx.profile.kind}`);
  },
};

function objectApiKey(ctx: ScheduleContext): string {
  return apiKey(ctx.profile.groupVersion, ctx.profile.kind);
}
