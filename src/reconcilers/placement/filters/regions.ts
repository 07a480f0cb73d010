/** Regions: the policy's `regions[]` against the cluster's `spec.region`. */
import { PASS, reject, type FilterPlugin } from '../framework.js';

export const regionsFilter: FilterPlugin = {
  name: 'Regions',
  cacheable: true,
  enabled: (ctx) => (ctx.spec.regions?.length ?? 0) > 0,
  filter(ctx, cluster) {
    const regions = ctx.spec.regions ?? [];
    if (cluster.region !== undefined && regions.includes(cluster.region)) return PASS;
    return reject(`${describeRegion(cluster.region)} not in policy regions [${regions.join(', ')}]`);
  },
};

export function describeRegion(region: string | undefined): string {
  return region === undefined ? 'cluster has no spec.region, so it is' : `region ${region}`;
}
