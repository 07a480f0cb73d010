/**
 * The vocabulary the forest answers in: a workspace's health, a namespace's
 * owner, and what a mutation changed.
 */

/** Why a workspace is (or is not) part of a well-formed tree. */
export type WorkspaceHealth =
  | { readonly state: 'ok' }
  /** A member of a parent cycle; `cycle` lists the members, sorted. */
  | { readonly state: 'cycle'; readonly cycle: readonly string[] }
  /** Below a cycle: its ancestry never reaches a root. */
  | { readonly state: 'under-cycle'; readonly cycle: readonly string[] }
  /** spec.parent names a workspace that does not exist. */
  | { readonly state: 'parent-missing'; readonly missing: string }
  /** An ancestor (`workspace`) has a missing parent. */
  | { readonly state: 'under-missing'; readonly workspace: string; readonly missing: string };

export interface NamespaceInfo {
  workspace: string;
  /** True for the workspace's own (home) namespace. */
  home: boolean;
  logicalCluster?: string;
}

/** What a mutation changed, so the reconciler revisits exactly those workspaces. */
export interface ForestChange {
  /** Workspaces whose own derived state (health, depth, path, effective constraints, propagated types) was dropped. */
  readonly subtree: ReadonlySet<string>;
  /**
   * Workspaces whose children list or attached namespaces changed (old and new
   * parent; a namespace's workspace). Their subtree totals (quotaUsed,
   * LogicalCluster counts) changed too, and so did their ancestors': a
   * consumer that keeps such totals walks ancestors() of these when it
   * processes them, so a mutation itself stays O(subtree), not O(depth).
   */
  readonly parents: ReadonlySet<string>;
  /** The mutated workspace itself (even if just removed), `subtree` and `parents`. */
  readonly all: ReadonlySet<string>;
}

export const EMPTY_CHANGE: ForestChange = Object.freeze({ subtree: new Set<string>(), parents: new Set<string>(), all: new Set<string>() });

export function change(target: string, subtree: readonly string[], parents: readonly string[]): ForestChange {
  const subtreeSet = new Set(subtree);
  const parentSet = new Set(parents);
  return { subtree: subtreeSet, parents: parentSet, all: new Set([target, ...subtreeSet, ...parentSet]) };
}
