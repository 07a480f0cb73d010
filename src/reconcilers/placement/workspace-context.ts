import type { Workspace } from '../../crds/workspace.js';
import { LABEL_WORKSPACE } from '../../crds/labels.js';
import { effectiveConstraints, type ConstraintLevel } from '../../hierarchy/constraints.js';
import { PATH_ROOT, PATH_SEPARATOR } from '../../hierarchy/forest.js';
import type { WorkspaceContext } from './types.js';

/**
 * The chain of workspaces from the root down to `name`, read from a cache.
 * Stops (returns undefined) on a missing ancestor or a cycle: an object in a
 * broken tree is not placed by guesswork.
 */
export function workspaceChain(name: string, get: (name: string) => Workspace | undefined): Workspace[] | undefined {
  const chain: Workspace[] = [];
  const seen = new Set<string>();
  for (let current: string | undefined = name; current; ) {
    if (seen.has(current)) return undefined;
    seen.add(current);
    const workspace = get(current);
    if (!workspace) return undefined;
    chain.unshift(workspace);
    current = workspace.spec.parent || undefined;
  }
  return chain;
}

/** What placement needs of the workspace an object lives in: its name, path and effective constraints. */
export function workspaceContextFor(
  namespaceLabels: Readonly<Record<string, string>> | undefined,
  get: (name: string) => Workspace | undefined,
): { context?: WorkspaceContext; problem?: string; reason?: 'WorkspaceUnavailable' | 'Unschedulable' } {
  const name = namespaceLabels?.[LABEL_WORKSPACE];
  if (!name) return {};
  const chain = workspaceChain(name, get);
  if (!chain)
    return {
      reason: 'WorkspaceUnavailable',
      problem: `workspace ${name} or one of its ancestors is missing or in a cycle; placement waits until the tree is whole`,
    };
  const levels: ConstraintLevel[] = chain.map((w) => ({ workspace: w.metadata.name!, constraints: w.spec.constraints }));
  const leaf = chain[chain.length - 1]!;
  const effective = effectiveConstraints(levels);
  if (effective.unsatisfiable.length > 0) {
    return { reason: 'Unschedulable', problem: `workspace ${name} has constraints no cluster can meet: ${effective.unsatisfiable.join('; ')}` };
  }
  return {
    context: {
      name,
      path: [PATH_ROOT, ...chain.map((w) => w.metadata.name)].join(PATH_SEPARATOR),
      labels: leaf.metadata.labels ?? {},
      constraints: effective.constraints,
    },
  };
}
