/**
 * Builds plan() inputs from what the caches hold: the workspace chain (a walk
 * up spec.parent, O(depth), cycle-safe), and the limit claims of the other
 * logical clusters under the workspaces that set limits. Pure over lookup
 * functions, so the reconciler passes informer getters and tests pass maps.
 */

import type { LogicalClusterLike } from '../../hierarchy/logical-cluster.js';
import { effectiveConstraints, narrowConstraints, type EffectiveConstraints } from '../../hierarchy/constraints.js';
import type { WorkspaceConstraints } from '../../hierarchy/types.js';
import { bindingsOf } from './binding.js';
import { hasWorkspaceLimits, type LimitScope, type LogicalClusterClaim } from './limits.js';
import { claimOf, type WorkspaceView } from './plan.js';
import type { ClusterLike } from './types.js';

export interface WorkspaceLike {
  readonly metadata: { readonly name?: string; readonly deletionTimestamp?: string | Date };
  readonly spec?: { readonly parent?: string; readonly constraints?: WorkspaceConstraints; readonly initializers?: readonly string[] };
}

export interface Lookup {
  workspace(name: string): WorkspaceLike | undefined;
  /** Child workspaces of `name`. */
  childWorkspaces(name: string): readonly string[];
  /** Logical clusters whose spec.workspace is `name`. */
  logicalClustersIn(name: string): readonly LogicalClusterLike[];
}

/** The workspace and its ancestors, nearest first; a problem instead when the chain is broken. */
export function workspaceView(lookup: Pick<Lookup, 'workspace'>, name: string): WorkspaceView {
  const scopes: LimitScope[] = [];
  const seen = new Set<string>();
  let current: string | undefined = name;
  while (current) {
    if (seen.has(current)) {
      return { state: 'unhealthy', message: `its parent chain loops (${[...seen, current].join(' → ')}); fix spec.parent of one of them` };
    }
    seen.add(current);
    const ws = lookup.workspace(current);
    if (!ws) {
      if (current === name) return { state: 'missing' };
      return { state: 'unhealthy', message: `ancestor workspace ${current} does not exist` };
    }
    scopes.push({ workspace: current, constraints: ws.spec?.constraints });
    current = ws.spec?.parent || undefined;
  }
  const effective = effectiveConstraints([...scopes].reverse().map((s) => ({ workspace: s.workspace, constraints: s.constraints })));
  return { state: 'ok', effective, scopes };
}

/** Effective constraints of a logical cluster: its workspace's narrowed by its own. */
export function logicalClusterConstraints(view: WorkspaceView, lc: LogicalClusterLike): EffectiveConstraints | undefined {
  if (view.state !== 'ok') return undefined;
  return narrowConstraints(view.effective, { workspace: lc.metadata.name ?? '', constraints: lc.spec.constraints });
}

/**
 * Claims of every other live logical cluster under the limited scopes of
 * `view` (the subtree of the topmost workspace that sets a limit).
 */
export function otherClaims(lookup: Lookup, view: WorkspaceView, self: string, clusters: readonly ClusterLike[]): LogicalClusterClaim[] {
  if (view.state !== 'ok' || !hasWorkspaceLimits(view.scopes)) return [];
  let top = 0;
  view.scopes.forEach((s, i) => {
    if (hasWorkspaceLimits([s])) top = i;
  });
  const root = view.scopes[top]!.workspace;
  const byName = new Map(clusters.map((c) => [c.metadata.name ?? '', c]));
  const claims: LogicalClusterClaim[] = [];
  const seen = new Set<string>();
  const queue = [root];
  while (queue.length > 0) {
    const ws = queue.shift()!;
    if (seen.has(ws)) continue;
    seen.add(ws);
    queue.push(...lookup.childWorkspaces(ws));
    const lcs = lookup.logicalClustersIn(ws).filter((lc) => lc.metadata.name !== self && !lc.metadata.deletionTimestamp);
    if (lcs.length === 0) continue;
    const wsView = workspaceView(lookup, ws);
    if (wsView.state !== 'ok') continue;
    for (const lc of lcs) {
      const effective = logicalClusterConstraints(wsView, lc)!;
      const bound = lc.status?.cluster ? byName.get(lc.status.cluster) : undefined;
      claims.push(claimOf(lc, effective, clusters, bound, wsView.scopes));
    }
  }
  return claims;
}

/** Cluster → the Cluster-mode logical cluster holding it, from recorded bindings plus pending ones. */
export function currentBindings(logicalClusters: Iterable<LogicalClusterLike>, pending: ReadonlyMap<string, string>): Map<string, string> {
  const recorded = [];
  for (const lc of logicalClusters) {
    if (lc.spec.mode !== 'Cluster' || !lc.status?.cluster) continue;
    const created = lc.metadata.creationTimestamp;
    recorded.push({ name: lc.metadata.name ?? '', created: created instanceof Date ? created.toISOString() : (created ?? ''), cluster: lc.status.cluster });
  }
  const map = bindingsOf(recorded);
  for (const [cluster, lc] of pending) if (!map.has(cluster)) map.set(cluster, lc);
  return map;
}
