/**
 * WorkspaceConstraints: the workspace's effective constraints (inherited down
 * the tree, only ever narrowed). The engine runs these filters on every
 * decision whatever the registry holds, because a policy author must not be
 * able to place a tenant's workload outside what its workspace allows.
 *
 * Two plugins under one name (the name is what users read): regions and
 * clusterSelector depend only on the workspace and the cluster, so their
 * verdicts are shared across objects; the cost budget depends on the object,
 * checked per cluster with the fewest replicas the cluster would run (the
 * engine checks the total of the final placement again).
 */
import { formatMoney, monthlyCost } from '../cost-estimate.js';
import { PASS, reject, type FilterPlugin, type ScheduleContext } from '../framework.js';
import { parseQuantity } from '../quantity.js';
import { compileSelector, type CompiledSelector } from '../../../kube/label-selector.js';
import { describeRegion } from './regions.js';

export const WORKSPACE_CONSTRAINTS = 'WorkspaceConstraints';

export const workspaceConstraintsFilter: FilterPlugin = {
  name: WORKSPACE_CONSTRAINTS,
  cacheable: true,
  enabled: (ctx) => (ctx.workspace?.constraints?.regions?.length ?? 0) > 0 || ctx.workspace?.constraints?.clusterSelector !== undefined,
  filter(ctx, cluster) {
    const c = ctx.memo('WorkspaceConstraints:prepared', prepare);
    if (c.regions && (cluster.region === undefined || !c.regions.has(cluster.region))) {
      return reject(`${describeRegion(cluster.region)} not in workspace constraint regions [${c.regionList}] (workspace ${c.who})`);
    }
    if (c.selector && !c.selector.matches(cluster.labels)) {
      const detail = c.selector.error ? `is invalid: ${c.selector.error}` : `requires ${c.selector.mismatch(cluster.labels) ?? c.selector.text}`;
      return reject(`workspace constraint clusterSelector ${detail} (workspace ${c.who})`);
    }
    return PASS;
  },
};

export const workspaceBudgetFilter: FilterPlugin = {
  name: WORKSPACE_CONSTRAINTS,
  enabled: (ctx) => ctx.workspace?.constraints?.costBudget !== undefined,
  filter(ctx, cluster) {
    const left = ctx.memo('WorkspaceConstraints:left', budgetLeft);
    if (left === undefined) return PASS;
    const cost = monthlyCost(ctx.profile, cluster, ctx.minReplicasPerCluster);
    if (cost === undefined || cost <= left) return PASS;
    return reject(
      `estimated monthly cost ${formatMoney(cost)} for ${ctx.minReplicasPerCluster} replica(s) exceeds what is left of workspace costBudget (${formatMoney(left)}) (workspace ${workspaceName(ctx)})`,
    );
  },
};

interface PreparedConstraints {
  readonly regions: ReadonlySet<string> | undefined;
  readonly regionList: string;
  readonly selector: CompiledSelector | undefined;
  readonly who: string;
}

/** Once per decision: the constraint checks in the form the per-cluster test needs. */
function prepare(ctx: ScheduleContext): PreparedConstraints {
  const constraints = ctx.workspace?.constraints ?? {};
  const regions = constraints.regions && constraints.regions.length > 0 ? constraints.regions : undefined;
  return {
    regions: regions ? new Set(regions) : undefined,
    regionList: (regions ?? []).join(', '),
    selector: constraints.clusterSelector ? compileSelector(constraints.clusterSelector) : undefined,
    who: workspaceName(ctx),
  };
}

/** Monthly budget the object may still spend, or undefined when the workspace has no budget. */
export function budgetLeft(ctx: ScheduleContext): number | undefined {
  const budget = parseQuantity(ctx.workspace?.constraints?.costBudget);
  if (budget === undefined) return undefined;
  return budget - (ctx.workspace?.costUsed ?? 0);
}

export function workspaceName(ctx: ScheduleContext): string {
  return ctx.workspace?.path ?? ctx.workspace?.name ?? '<unknown>';
}
