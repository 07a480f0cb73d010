/**
 * A Workspace's status from what the forest and the propagation state know:
 * place in the tree, effective constraints, quota use and conditions whose
 * messages say what to do. Pure: the reconciler gathers the inputs.
 */

import { setConditions, type ConditionUpdate } from '../../kube/conditions.js';
import type { Condition } from '../../crds/common.js';
import type { WorkspaceStatus } from '../../crds/workspace.js';
import type { Conflict } from '../inheritance/conflicts.js';
import { type Forest, stableJson } from '../../hierarchy/forest.js';
import { compareQuantities, formatQuantity, type Quantity, ZERO_QUANTITY } from '../../kube/quantity.js';
import { parseResourceList } from '../../kube/resource-list.js';

export const ConditionTypes = {
  Ready: 'Ready',
  CycleDetected: 'CycleDetected',
  ParentMissing: 'ParentMissing',
  /** A user's own object stands where a copy would go, in one of this workspace's namespaces. */
  PropagationConflict: 'PropagationConflict',
  /** Every type this workspace propagates can be copied (rights, discovery, selectors). */
  Propagating: 'Propagating',
  /** The subtree's ResourceQuota usage is within this workspace's effective quota. */
  QuotaWithinLimits: 'QuotaWithinLimits',
} as const;

export interface StatusInput {
  forest: Forest;
  name: string;
  generation: number | undefined;
  previous: WorkspaceStatus | undefined;
  /** Why the home namespace is not usable, if it is not. */
  homeProblem?: { reason: string; message: string } | undefined;
  logicalClusters: number;
  conflicts: readonly Conflict[];
  /** Problems with the types or sources this workspace propagates (403, unknown kind, bad select annotation). */
  propagationProblems: ReadonlyArray<{ reason: string; message: string }>;
  /** Subtree usage per canonical resource name (only when the effective quota names resources). */
  quotaUsed?: ReadonlyMap<string, Quantity> | undefined;
  /** Sum of the logical clusters' quota claims in the subtree, for the message. */
  quotaAllotted?: ReadonlyMap<string, Quantity> | undefined;
  now?: Date;
}

const MAX_LISTED = 5;

function listing(items: readonly string[]): string {
  const shown = items.slice(0, MAX_LISTED).join('; ');
  return items.length > MAX_LISTED ? `${shown}; and ${items.length - MAX_LISTED} more` : shown;
}

function describeConflict(c: Conflict): string {
  const slash = c.key.indexOf('/');
  return `${c.key.slice(0, slash).split('.')[0]} ${c.key.slice(slash + 1)} in namespace ${c.namespace} (not copied from ${c.source.namespace})`;
}

function treeConditions(forest: Forest, name: string): ConditionUpdate[] {
  const health = forest.health(name);
  const halted = ' Propagation into it is halted; copies already there are left as they are.';
  let cycle: ConditionUpdate = { type: ConditionTypes.CycleDetected, status: 'False', reason: 'NoCycle', message: '' };
  let missing: ConditionUpdate = { type: ConditionTypes.ParentMissing, status: 'False', reason: 'ParentExists', message: '' };
  if (health?.state === 'cycle') {
    cycle = {
      type: ConditionTypes.CycleDetected,
      status: 'True',
      reason: 'InCycle',
      message: `workspaces ${health.cycle.join(', ')} form a parent cycle; set spec.parent of one of them to a workspace outside the cycle (or clear it).${halted}`,
    };
  } else if (health?.state === 'under-cycle') {
    cycle = {
      type: ConditionTypes.CycleDetected,
      status: 'True',
      reason: 'AncestorInCycle',
      message: `an ancestor is in the parent cycle ${health.cycle.join(', ')}; break that cycle.${halted}`,
    };
  } else if (health?.state === 'parent-missing') {
    missing = {
      type: ConditionTypes.ParentMissing,
      status: 'True',
      reason: 'ParentMissing',
      message: `parent workspace "${health.missing}" does not exist; create it, or set spec.parent to an existing workspace or clear it.${halted}`,
    };
  } else if (health?.state === 'under-missing') {
    missing = {
      type: ConditionTypes.ParentMissing,
      status: 'True',
      reason: 'AncestorParentMissing',
      message: `ancestor "${health.workspace}" has a missing parent "${health.missing}"; fix that workspace's spec.parent.${halted}`,
    };
  }
  return [cycle, missing];
}

function quotaCondition(input: StatusInput): ConditionUpdate | undefined {
  const effective = input.forest.effectiveConstraints(input.name);
  const hard = parseResourceList(effective?.constraints.quota?.hard).values;
  if (hard.size === 0 || !input.quotaUsed) return undefined;
  const over: string[] = [];
  const summary: string[] = [];
  for (const [resource, limit] of hard) {
    const used = input.quotaUsed.get(resource) ?? ZERO_QUANTITY;
    const allotted = input.quotaAllotted?.get(resource);
    summary.push(
      `${resource} ${formatQuantity(used)} used${allotted ? `, ${formatQuantity(allotted)} allotted to logical clusters` : ''} of ${formatQuantity(limit)}`,
    );
    if (compareQuantities(used, limit) > 0) over.push(`${resource} uses ${formatQuantity(used)}, over ${formatQuantity(limit)}`);
  }
  return over.length > 0
    ? {
        type: ConditionTypes.QuotaWithinLimits,
        status: 'False',
        reason: 'QuotaExceeded',
        message: `the subtree is over its quota: ${over.join('; ')} (quota lowered after the fact?); new logical clusters are refused until usage drops`,
      }
    : { type: ConditionTypes.QuotaWithinLimits, status: 'True', reason: 'WithinQuota', message: summary.join('; ') };
}

export function workspaceStatus(input: StatusInput): WorkspaceStatus {
  const { forest, name } = input;
  const halted = forest.isHalted(name);
  const updates: ConditionUpdate[] = treeConditions(forest, name);

  updates.push(
    input.conflicts.length > 0
      ? {
          type: ConditionTypes.PropagationConflict,
          status: 'True',
          reason: 'ObjectInTheWay',
          message: `objects not made by Canopy stand where copies would go and are left alone; rename or delete them to receive the copies: ${listing(input.conflicts.map(describeConflict))}`,
        }
      : { type: ConditionTypes.PropagationConflict, status: 'False', reason: 'NoConflicts', message: '' },
  );
  const problem = input.propagationProblems[0];
  updates.push(
    problem
      ? { type: ConditionTypes.Propagating, status: 'False', reason: problem.reason, message: listing(input.propagationProblems.map((p) => p.message)) }
      : halted
        ? {
            type: ConditionTypes.Propagating,
            status: 'False',
            reason: 'Halted',
            message: 'the workspace is not part of a well-formed tree (see CycleDetected / ParentMissing)',
          }
        : { type: ConditionTypes.Propagating, status: 'True', reason: 'Propagating', message: '' },
  );
  const quota = quotaCondition(input);
  if (quota) updates.push(quota);

  let ready: ConditionUpdate;
  if (input.homeProblem) ready = { type: ConditionTypes.Ready, status: 'False', ...input.homeProblem };
  else if (halted)
    ready = {
      type: ConditionTypes.Ready,
      status: 'False',
      reason: forest.isInCycle(name) || forest.health(name)?.state === 'under-cycle' ? 'CycleDetected' : 'ParentMissing',
      message: updates.find((u) => u.status === 'True' && (u.type === ConditionTypes.CycleDetected || u.type === ConditionTypes.ParentMissing))?.message ?? '',
    };
  else if (problem) ready = { type: ConditionTypes.Ready, status: 'False', reason: problem.reason, message: problem.message };
  else ready = { type: ConditionTypes.Ready, status: 'True', reason: 'Ready', message: `home namespace ${name} ready; path ${forest.path(name)}` };
  updates.unshift(ready);

  let conditions: Condition[] = setConditions(input.previous?.conditions, updates, input.generation, input.now);
  if (!quota) conditions = conditions.filter((c) => c.type !== ConditionTypes.QuotaWithinLimits);

  const status: WorkspaceStatus = {
    children: [...forest.children(name)],
    logicalClusters: input.logicalClusters,
    conditions,
  };
  if (input.generation !== undefined) status.observedGeneration = input.generation;
  if (!halted) {
    status.path = forest.path(name)!;
    status.depth = forest.depth(name)!;
    status.effectiveConstraints = forest.effectiveConstraints(name)!.constraints as WorkspaceStatus['effectiveConstraints'];
  }
  if (input.quotaUsed && input.quotaUsed.size > 0) {
    const used: Record<string, string> = {};
    for (const resource of [...input.quotaUsed.keys()].sort()) used[resource] = formatQuantity(input.quotaUsed.get(resource)!);
    status.quotaUsed = used;
  }
  return status;
}

/**
 * The JSON merge patch (RFC 7386) that turns `previous` into `next`: keys
 * `next` lacks become null so they are removed (a workspace that falls into
 * a cycle loses its path), nested maps are diffed key by key, lists replaced.
 * Undefined when nothing changed, so an unchanged status costs no write.
 */
export function statusPatch(previous: WorkspaceStatus | undefined, next: WorkspaceStatus): Record<string, unknown> | undefined {
  const patch = mergeDiff(previous ?? {}, next);
  return patch === undefined ? undefined : (patch as Record<string, unknown>);
}

function isMap(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function mergeDiff(before: unknown, after: unknown): unknown {
  if (!isMap(before) || !isMap(after)) return stableJson(before) === stableJson(after) ? undefined : after;
  const patch: Record<string, unknown> = {};
  for (const key of new Set([...Object.keys(before), ...Object.keys(after)])) {
    if (after[key] === undefined) {
      if (before[key] !== undefined) patch[key] = null;
      continue;
    }
    const diff = before[key] === undefined ? after[key] : mergeDiff(before[key], after[key]);
    if (diff !== undefined) patch[key] = diff;
  }
  return Object.keys(patch).length > 0 ? patch : undefined;
}
