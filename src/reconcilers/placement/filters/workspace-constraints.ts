/**
 * WorkspaceConstraints: the workspace's effective constraints (inherited down
 * the tree, only ever narrowed). The engine runs this filter on every
 * decision whatever the registry holds, because a policy author must not be
 * able to place a tenant's workload outside what its workspace allows.
 *
 * The cost budget is checked per cluster with the fewest replicas the cluster
 * would run; the engine checks the total of the final placement again.
 */
import { formatMoney, monthlyCost } from '../cost-estimate.js';
import { PASS, reject, type FilterPlugin, type ScheduleContext } from '../framework.js';
import { parseQuantity } from '../quantity.js';
import { compileSelector } from '../selector.js';
import { describeRegion } from './regions.js';

export const WORKSPACE_CONSTRAINTS = 'WorkspaceConstraints';

export const workspaceConstraintsFilter: FilterPlugin = {
  name: WORKSPACE_CONSTRAINTS,
  enabled: (ctx) => ctx.workspace?.constraints !== undefined,
  filter(ctx, cluster) {
    const constraints = ctx.workspace?.constraints;
    if (!constraints) return PASS;
    const who = workspaceName(ctx);
    const regions = constraints.regions;
    if (regions && regions.length > 0 && (cluster.region === undefined || !regions.includes(cluster.region))) {
      return reject(`${describeRegion(cluster.region)} not in workspace constraint regions [${regions.join(', ')}] (workspace ${who})`);
    }
    if (constraints.clusterSelector) {
      const selector = compileSelector(constraints.clusterSelector);
      if (!selector.matches(cluster.labels)) {
        const detail = selector.error ? `is invalid: ${selector.error}` : `requires ${selector.mismatch(cluster.labels) ?? selector.text}`;
        return reject(`workspace constraint clusterSelector ${detail} (workspace ${who})`);
      }
    }
    const left = budgetLeft(ctx);
    if (left !== undefined) {
      const cost = monthlyCost(ctx.profile, cluster, ctx.minReplicasPerCluster);
      if (cost !== undefined && cost > left) {
        return reject(
          `estimated monthly cost ${formatMoney(cost)} for ${ctx.minReplicasPerCluster} replica(s) exceeds what is left of workspace costBudget (${formatMoney(left)}) (workspace ${who})`,
        );
      }
    }
    return PASS;
  },
};

/** Monthly budget the object may still spend, or undefined when the workspace has no budget. */
export function budgetLeft(ctx: ScheduleContext): number | undefined {
  const budget = parseQuantity(ctx.workspace?.constraints?.costBudget);
  if (budget === undefined) return undefined;
  return budget - (ctx.workspace?.costUsed ?? 0);
}

export function workspaceName(ctx: ScheduleContext): string {
  return ctx.workspace?.path ?? ctx.workspace?.name ?? '<unknown>';
}
