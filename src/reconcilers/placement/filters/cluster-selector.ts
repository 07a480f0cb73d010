/** ClusterSelector: the policy's `clusterSelector` (matchLabels and matchExpressions). */
import { PASS, reject, type FilterPlugin } from '../framework.js';
import { compileSelector } from '../../../kube/label-selector.js';

export const clusterSelectorFilter: FilterPlugin = {
  name: 'ClusterSelector',
  cacheable: true,
  enabled: (ctx) => ctx.spec.clusterSelector !== undefined,
  filter(ctx, cluster) {
    const selector = compileSelector(ctx.spec.clusterSelector);
    if (selector.matches(cluster.labels)) return PASS;
    if (selector.error) return reject(`policy clusterSelector is invalid: ${selector.error}`);
    return reject(`policy clusterSelector requires ${selector.mismatch(cluster.labels) ?? selector.text}`);
  },
};
