/**
 * ClusterReady: a cluster whose `Ready` condition is not True gets no new
 * workloads. A cluster the object already runs on keeps it: moving workloads
 * off an unhealthy cluster is failover's job, driven by the
 * `canopy.dev/unreachable:NoExecute` taint once the cluster has been NotReady
 * for `failoverAfterSeconds` (see TaintToleration), so a short blip of a
 * health probe does not reshuffle every workload.
 */
import { PASS, reject, type FilterPlugin } from '../framework.js';

export const clusterReadyFilter: FilterPlugin = {
  name: 'ClusterReady',
  kind: 'state',
  filter(ctx, cluster) {
    const ready = cluster.ready;
    if (ready?.status === 'True' || ctx.current.has(cluster.name)) return PASS;
    if (!ready) return reject('cluster has not reported a Ready condition yet');
    const why = ready.reason ? `: ${ready.reason}${ready.message ? ` (${ready.message})` : ''}` : '';
    return reject(`cluster is NotReady (Ready=${ready.status}${why})`);
  },
};
