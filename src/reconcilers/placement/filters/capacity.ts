/**
 * Capacity: the replicas a cluster would at least run (all of them when
 * duplicated, `max(1, minPerCluster)` when divided) must fit into its free
 * allocatable. Division by capacity later decides how many more fit.
 */
import { freeResource } from '../fit.js';
import { PASS, reject, type FilterPlugin } from '../framework.js';
import { formatResource } from '../quantity.js';

export const capacityFilter: FilterPlugin = {
  name: 'Capacity',
  kind: 'state',
  enabled: (ctx) => ctx.minReplicasPerCluster > 0 && ctx.profile.requestsPerReplica.size > 0,
  filter(ctx, cluster) {
    if (!cluster.allocatable) return PASS;
    const replicas = ctx.minReplicasPerCluster;
    const current = ctx.current.get(cluster.name) ?? (ctx.current.has(cluster.name) ? ctx.profile.podCount : 0);
    for (const [resource, perReplica] of ctx.profile.requestsPerReplica) {
      if (perReplica <= 0) continue;
      const free = freeResource(cluster, resource, perReplica, current);
      if (free === undefined) continue;
      const need = perReplica * replicas;
      if (need > free + 1e-9) {
        const total = cluster.allocatable.get(resource) ?? 0;
        return reject(
          `insufficient ${resource}: ${replicas} replica(s) need ${formatResource(resource, need)}, ` +
            `${formatResource(resource, Math.max(0, free))} of ${formatResource(resource, total)} allocatable is free`,
        );
      }
    }
    return PASS;
  },
};
