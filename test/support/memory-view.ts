/**
 * A TreeView over plain arrays: what unit tests and the benchmark feed the
 * validators. The informer-backed view in state.ts answers the same questions
 * from the caches.
 */
import type { PlacementPolicy } from '../../src/reconcilers/placement/types.js';
import type { ClusterLike, LogicalClusterView, NamespaceLike, TreeView, WorkspaceLike } from '../../src/admission/tree.js';

export class MemoryTreeView implements TreeView {
  private readonly policies = new Map<string, PlacementPolicy>();
  private readonly workspaces = new Map<string, WorkspaceLike>();
  private readonly namespaces = new Map<string, NamespaceLike>();
  private readonly lcs: LogicalClusterView[] = [];
  private readonly clusterList: ClusterLike[] = [];

  constructor(
    init: {
      workspaces?: readonly WorkspaceLike[];
      logicalClusters?: readonly LogicalClusterView[];
      namespaces?: readonly NamespaceLike[];
      clusters?: readonly ClusterLike[];
      placementPolicies?: readonly PlacementPolicy[];
    } = {},
  ) {
    for (const p of init.placementPolicies ?? []) this.policies.set(p.metadata.name, p);
    this.clusterList.push(...(init.clusters ?? []));
    for (const ws of init.workspaces ?? []) this.workspaces.set(ws.metadata.name ?? '', ws);
    for (const ns of init.namespaces ?? []) this.namespaces.set(ns.metadata.name ?? '', ns);
    this.lcs.push(...(init.logicalClusters ?? []));
  }

  workspace(name: string): WorkspaceLike | undefined {
    return this.workspaces.get(name);
  }

  logicalClustersIn(workspace: string): readonly LogicalClusterView[] {
    return this.lcs.filter((lc) => lc.spec.workspace === workspace);
  }

  childrenOf(workspace: string): readonly string[] {
    return [...this.workspaces.values()].filter((w) => w.spec?.parent === workspace).map((w) => w.metadata.name ?? '');
  }

  namespace(name: string): NamespaceLike | undefined {
    return this.namespaces.get(name);
  }

  clusters(): readonly ClusterLike[] {
    return this.clusterList;
  }

  placementPolicy(name: string): PlacementPolicy | undefined {
    return this.policies.get(name);
  }

  placementPolicies(): readonly PlacementPolicy[] {
    return [...this.policies.values()];
  }
}

/** A Workspace literal for tests: `ws('team-a', {parent: 'acme', ...})`. */
export function ws(name: string, spec: WorkspaceLike['spec'] = {}, labels?: Record<string, string>): WorkspaceLike {
  return { metadata: { name, ...(labels ? { labels } : {}) }, spec };
}

/** A LogicalCluster literal for tests. */
export function lc(name: string, spec: LogicalClusterView['spec']): LogicalClusterView {
  return { metadata: { name }, spec };
}
