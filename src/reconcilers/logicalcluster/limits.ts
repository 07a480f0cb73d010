/**
 * Workspace limits a logical cluster counts against: maxLogicalClusters,
 * hierarchical quota (quota.hard summed over the subtree) and costBudget.
 * Each workspace on the path to the root enforces its own limits over its
 * whole subtree.
 *
 * Pure and shared: the admission webhook calls checkWorkspaceLimits with
 * order 'others-first' (everything that exists counts, the newcomer is
 * checked last); the reconciler, as the backstop for what slipped past
 * admission, uses 'creation': logical clusters are admitted greedily in
 * creation order, so an older logical cluster is never pushed out by a newer
 * one and one that failed its limits does not use up anyone's budget.
 */

import type { ResourceList } from '../../crds/common.js';
import { addQuantities, compareQuantities, formatQuantity, type Quantity } from '../../kube/quantity.js';
import { parseResourceList } from '../../kube/resource-list.js';
import type { WorkspaceConstraints } from '../../hierarchy/types.js';
import { formatMoney, type MonthlyCost } from './cost.js';

/** What one logical cluster takes from the workspaces above it. */
export interface LogicalClusterClaim {
  readonly name: string;
  /** RFC 3339 creation time; with the name, the admission order. */
  readonly created: string;
  /** Its effective quota.hard (what its ResourceQuotas add up to). */
  readonly quota: ResourceList;
  readonly cost: MonthlyCost;
  /** Its workspace and every ancestor: the scopes it counts in. */
  readonly workspaces: readonly string[];
}

/** One workspace on the candidate's path to the root, with its own (not effective) constraints. */
export interface LimitScope {
  readonly workspace: string;
  readonly constraints?: WorkspaceConstraints | undefined;
}

export interface WorkspaceLimitsInput {
  readonly candidate: LogicalClusterClaim;
  /** The candidate's workspace first, then its ancestors. */
  readonly scopes: readonly LimitScope[];
  /** Every other live (not deleting) logical cluster under any of the scopes. */
  readonly others: readonly LogicalClusterClaim[];
  readonly order?: 'others-first' | 'creation';
}

export type LimitReason = 'MaxLogicalClustersExceeded' | 'QuotaExceeded' | 'CostBudgetExceeded' | 'CostUnbounded';

export interface LimitViolation {
  readonly reason: LimitReason;
  readonly workspace: string;
  readonly message: string;
}

interface ScopeLimits {
  readonly workspace: string;
  readonly max: number | undefined;
  readonly hard: ReadonlyMap<string, Quantity>;
  readonly budget: number | undefined;
}

interface ScopeUsage {
  count: number;
  members: string[];
  quota: Map<string, Quantity>;
  cost: number;
}

/** Whether any scope limits anything: when not, callers may skip building claims at all. */
export function hasWorkspaceLimits(scopes: readonly LimitScope[]): boolean {
  return scopes.some((s) => limitsOf(s) !== undefined);
}

function limitsOf(scope: LimitScope): ScopeLimits | undefined {
  const c = scope.constraints;
  const hard = parseResourceList(c?.quota?.hard).values;
  const budget = c?.costBudget === undefined ? undefined : Number(c.costBudget);
  const max = c?.maxLogicalClusters;
  if (max === undefined && hard.size === 0 && (budget === undefined || !Number.isFinite(budget))) return undefined;
  return { workspace: scope.workspace, max, hard, budget: budget !== undefined && Number.isFinite(budget) ? budget : undefined };
}

/** Every limit the candidate breaks; empty when it fits. */
export function checkWorkspaceLimits(input: WorkspaceLimitsInput): LimitViolation[] {
  const scopes = input.scopes.map(limitsOf).filter((s): s is ScopeLimits => s !== undefined);
  if (scopes.length === 0) return [];
  const usage = new Map<string, ScopeUsage>(scopes.map((s) => [s.workspace, { count: 0, members: [], quota: new Map(), cost: 0 }]));
  const others = input.others.filter((o) => o.name !== input.candidate.name);
  if ((input.order ?? 'others-first') === 'creation') {
    const earlier = others.filter((o) => compareClaims(o, input.candidate) < 0).sort(compareClaims);
    for (const claim of earlier) {
      if (violations(claim, scopes, usage).length === 0) admit(claim, scopes, usage);
    }
  } else {
    for (const claim of others) admit(claim, scopes, usage);
  }
  return violations(input.candidate, scopes, usage);
}

function compareClaims(a: LogicalClusterClaim, b: LogicalClusterClaim): number {
  const ta = Date.parse(a.created) || 0;
  const tb = Date.parse(b.created) || 0;
  return ta - tb || (a.name < b.name ? -1 : a.name > b.name ? 1 : 0);
}

function applies(claim: LogicalClusterClaim, scope: ScopeLimits): boolean {
  return claim.workspaces.includes(scope.workspace);
}

function admit(claim: LogicalClusterClaim, scopes: readonly ScopeLimits[], usage: Map<string, ScopeUsage>): void {
  const quota = parseResourceList(claim.quota).values;
  for (const scope of scopes) {
    if (!applies(claim, scope)) continue;
    const u = usage.get(scope.workspace)!;
    u.count++;
    u.members.push(claim.name);
    for (const [name, q] of quota) u.quota.set(name, u.quota.has(name) ? addQuantities(u.quota.get(name)!, q) : q);
    if ('amount' in claim.cost) u.cost += claim.cost.amount;
  }
}

function violations(claim: LogicalClusterClaim, scopes: readonly ScopeLimits[], usage: Map<string, ScopeUsage>): LimitViolation[] {
  const out: LimitViolation[] = [];
  const quota = parseResourceList(claim.quota).values;
  for (const scope of scopes) {
    if (!applies(claim, scope)) continue;
    const u = usage.get(scope.workspace)!;
    const ws = scope.workspace;
    if (scope.max !== undefined && u.count + 1 > scope.max) {
      out.push({
        reason: 'MaxLogicalClustersExceeded',
        workspace: ws,
        message: `workspace ${ws} allows at most ${scope.max} logical cluster(s) in its subtree and already has ${u.count} (${names(u.members)}); delete one or raise maxLogicalClusters on ${ws}`,
      });
    }
    for (const [resource, limit] of scope.hard) {
      const used = u.quota.get(resource) ?? { nanos: 0n, format: limit.format };
      const asked = quota.get(resource);
      if (!asked) {
        out.push({
          reason: 'QuotaExceeded',
          workspace: ws,
          message: `workspace ${ws} limits ${resource} to ${formatQuantity(limit)} over its subtree; set spec.constraints.quota.hard.${resource} (at most ${formatQuantity(remaining(limit, used))} is left)`,
        });
        continue;
      }
      if (compareQuantities(addQuantities(used, asked), limit) > 0) {
        out.push({
          reason: 'QuotaExceeded',
          workspace: ws,
          message: `workspace ${ws} limits ${resource} to ${formatQuantity(limit)} over its subtree; ${formatQuantity(used)} is already claimed by ${names(u.members)} and this logical cluster asks for ${formatQuantity(asked)} (at most ${formatQuantity(remaining(limit, used))} is left)`,
        });
      }
    }
    if (scope.budget !== undefined) {
      if ('unbounded' in claim.cost) {
        out.push({
          reason: 'CostUnbounded',
          workspace: ws,
          message: `workspace ${ws} has a monthly cost budget of ${formatMoney(scope.budget)}, but ${claim.cost.unbounded}`,
        });
      } else if (u.cost + claim.cost.amount > scope.budget + 1e-9) {
        out.push({
          reason: 'CostBudgetExceeded',
          workspace: ws,
          message: `workspace ${ws} has a monthly cost budget of ${formatMoney(scope.budget)}; ${names(u.members)} already cost ${formatMoney(u.cost)} and this logical cluster costs ${formatMoney(claim.cost.amount)} (at most ${formatMoney(Math.max(0, scope.budget - u.cost))} is left)`,
        });
      }
    }
  }
  return out;
}

function remaining(limit: Quantity, used: Quantity): Quantity {
  const left = limit.nanos - used.nanos;
  return { nanos: left > 0n ? left : 0n, format: limit.format };
}

function names(list: readonly string[]): string {
  if (list.length === 0) return 'nothing else';
  const shown = [...list].sort().slice(0, 5).join(', ');
  return list.length > 5 ? `${shown} and ${list.length - 5} more` : shown;
}
