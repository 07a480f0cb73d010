/**
 * Hierarchical quota: a workspace's quota.hard caps the sum of usage over its
 * whole subtree, so a request in a namespace must fit under every ancestor's
 * cap at once. The binding limit is the level with the least left, and that is
 * the one a denial names.
 */

import type { ResourceList } from '../crds/common.js';
import type { Forest } from './forest.js';
import { addQuantities, compareQuantities, formatQuantity, type Quantity, subtractQuantities, ZERO_QUANTITY } from '../kube/quantity.js';
import { parseResourceList, sumResourceLists } from '../kube/resource-list.js';

/** One workspace's own cap and the usage summed over its subtree. */
export interface QuotaLevel {
  workspace: string;
  /** The workspace's own spec.constraints.quota.hard (not the effective one: each level caps its own subtree). */
  hard?: ResourceList | undefined;
  /** Usage summed over the workspace's subtree (see subtreeUsage). */
  used?: ResourceList | ReadonlyMap<string, Quantity> | undefined;
}

export interface ResourceBudget {
  /** Canonical resource name ("requests.cpu" for "cpu"). */
  resource: string;
  /** The workspace whose cap binds: least left among the chain. */
  workspace: string;
  hard: Quantity;
  used: Quantity;
  /** hard - used; negative when a subtree is already over (quota lowered after the fact). */
  remaining: Quantity;
}

export type Budget = ReadonlyMap<string, ResourceBudget>;

/** Per resource, the tightest cap along a chain of levels (any order). */
export function remainingBudget(levels: readonly QuotaLevel[]): Budget {
  const budget = new Map<string, ResourceBudget>();
  for (const level of levels) {
    const used = usageMap(level.used);
    for (const [resource, hard] of parseResourceList(level.hard).values) {
      const spent = used.get(resource) ?? ZERO_QUANTITY;
      const remaining = subtractQuantities(hard, spent);
      const current = budget.get(resource);
      if (!current || compareQuantities(remaining, current.remaining) < 0) {
        budget.set(resource, { resource, workspace: level.workspace, hard, used: spent, remaining });
      }
    }
  }
  return budget;
}

export type FitResult = { ok: true } | { ok: false; message: string; exceeded: readonly ResourceBudget[] };

/**
 * Whether `requested` more fits a single workspace's cap given what its
 * subtree `used`. Resources the cap does not name are unlimited.
 */
export function checkFits(
  budget: { workspace: string; hard: ResourceList | undefined },
  used: ResourceList | ReadonlyMap<string, Quantity> | undefined,
  requested: ResourceList,
): FitResult {
  return checkFitsBudget(remainingBudget([{ workspace: budget.workspace, hard: budget.hard, used }]), requested);
}

/** Whether `requested` more fits every level of a precomputed budget. */
export function checkFitsBudget(budget: Budget, requested: ResourceList): FitResult {
  const exceeded: ResourceBudget[] = [];
  const messages: string[] = [];
  for (const [resource, amount] of parseResourceList(requested).values) {
    const limit = budget.get(resource);
    if (!limit || compareQuantities(amount, limit.remaining) <= 0) continue;
    exceeded.push(limit);
    const left = limit.remaining.nanos < 0n ? ZERO_QUANTITY : limit.remaining;
    messages.push(
      `${resource}: requesting ${formatQuantity(amount)} exceeds the quota of workspace ${limit.workspace} ` +
        `(hard ${formatQuantity(limit.hard)}, used ${formatQuantity(limit.used)}, ${formatQuantity(left)} left)`,
    );
  }
  return exceeded.length === 0 ? { ok: true } : { ok: false, message: messages.join('; '), exceeded };
}

/**
 * Usage summed over every healthy workspace's subtree, in one bottom-up pass
 * that reads each namespace once (home and LogicalCluster namespaces alike).
 * Halted workspaces (cycles, missing parents) are left out: their subtree is
 * not well defined.
 */
export function subtreeUsage(forest: Forest, usedByNamespace: (ns: string) => ResourceList | undefined): Map<string, Map<string, Quantity>> {
  const totals = new Map<string, Map<string, Quantity>>();
  for (const root of forest.roots()) {
    const order: string[] = [];
    forest.walkSubtree(root, (ws) => {
      order.push(ws);
    });
    // Reverse pre-order visits every child before its parent.
    for (let i = order.length - 1; i >= 0; i--) {
      const ws = order[i]!;
      const total = sumResourceLists(forest.namespacesOf(ws).map(usedByNamespace));
      for (const child of forest.children(ws)) {
        for (const [resource, q] of totals.get(child) ?? []) {
          const prev = total.get(resource);
          total.set(resource, prev ? addQuantities(prev, q) : q);
        }
      }
      totals.set(ws, total);
    }
  }
  return totals;
}

/** The quota levels of a workspace's chain, root first, ready for remainingBudget. */
export function quotaChain(forest: Forest, workspace: string, usage: ReadonlyMap<string, ReadonlyMap<string, Quantity>>): QuotaLevel[] {
  return [...forest.ancestors(workspace), workspace].map((ws) => ({
    workspace: ws,
    hard: forest.dataOf(ws)?.constraints?.quota?.hard,
    used: usage.get(ws),
  }));
}

function usageMap(used: QuotaLevel['used']): ReadonlyMap<string, Quantity> {
  if (used === undefined) return new Map();
  if (used instanceof Map) return used;
  return parseResourceList(used as ResourceList).values;
}
