/**
 * What admission reads of the cluster: a synchronous view over informer
 * caches (plus objects fetched live when the cache had not caught up yet),
 * and the tree walks every validator needs. Walks are O(depth) and stop at a
 * cycle, so a broken tree can never hang a request.
 */
import { effectiveConstraints, type ConstraintLevel, type EffectiveConstraints } from '../hierarchy/constraints.js';
import type { LogicalClusterSpec, LogicalClusterStatus } from '../hierarchy/logical-cluster.js';
import type { OwnerSubject, WorkspaceConstraints } from '../hierarchy/types.js';

export interface MetaLike {
  readonly name?: string;
  readonly namespace?: string;
  readonly labels?: Readonly<Record<string, string>>;
  readonly annotations?: Readonly<Record<string, string>>;
  readonly deletionTimestamp?: string | Date;
  /** RFC 3339 string on the wire; a Date when read through the typed client. */
  readonly creationTimestamp?: string | Date;
}

/** The parts of a Workspace admission reads. */
export interface WorkspaceLike {
  readonly metadata: MetaLike;
  readonly spec?: {
    readonly parent?: string;
    readonly owners?: readonly OwnerSubject[];
    readonly constraints?: WorkspaceConstraints;
  };
}

/** The parts of a LogicalCluster admission reads. */
/** The fields of a LogicalCluster admission reads (a view of hierarchy/logical-cluster.ts). */
export interface LogicalClusterView {
  readonly metadata: MetaLike;
  readonly spec: Pick<LogicalClusterSpec, 'workspace' | 'mode' | 'namespaces' | 'constraints' | 'owners' | 'clusterSelector'>;
  readonly status?: Pick<LogicalClusterStatus, 'cluster'>;
}

export interface NamespaceLike {
  readonly metadata: MetaLike;
}

/** The parts of a registered Cluster admission reads (placement and cost). */
export interface ClusterLike {
  readonly metadata: MetaLike;
  readonly spec?: {
    readonly region?: string;
    readonly provider?: string;
    readonly taints?: readonly { readonly key: string; readonly value?: string; readonly effect: string }[];
    readonly capacity?: Readonly<Record<string, string | number>>;
    readonly pricing?: { readonly cpuHour?: number | string; readonly memoryGiBHour?: number | string; readonly loadBalancerHour?: number | string };
  };
  readonly status?: {
    readonly conditions?: readonly { readonly type: string; readonly status: string; readonly reason?: string; readonly message?: string }[];
  };
}

/** Lookups over the tree. Implementations must answer from memory (no I/O). */
export interface TreeView {
  workspace(name: string): WorkspaceLike | undefined;
  /** Every LogicalCluster whose spec.workspace is `workspace`. */
  logicalClustersIn(workspace: string): readonly LogicalClusterView[];
  /** Names of the Workspaces whose spec.parent is `workspace`. */
  childrenOf(workspace: string): readonly string[];
  namespace(name: string): NamespaceLike | undefined;
  /** Every registered Cluster. */
  clusters(): readonly ClusterLike[];
  /**
   * Changes whenever a Workspace or Cluster changes. Lets validators reuse
   * what they derived from an unchanged (informer-cached, hence immutable)
   * object, such as a logical cluster's claim; absent means "do not reuse".
   */
  version?(): number;
}

/** Safety bound on tree walks; a real tree is a handful of levels deep. */
export const MAX_DEPTH = 256;

export interface Chain {
  /** Workspaces from `start` up to the root (or to where the walk stopped). */
  readonly nodes: readonly { readonly name: string; readonly workspace: WorkspaceLike }[];
  /** The first name on the way up that does not exist (start included). */
  readonly missing?: string;
  /** Set when the walk met a workspace twice: the loop, in walk order. */
  readonly cycle?: readonly string[];
  /** Set when the walk stopped at MAX_DEPTH (with `cycle` too, so every caller stops as it would on a loop). */
  readonly tooDeep?: boolean;
}

/** Walks parent links from `start` upwards. */
export function ancestry(view: Pick<TreeView, 'workspace'>, start: string): Chain {
  const nodes: { name: string; workspace: WorkspaceLike }[] = [];
  const seen = new Map<string, number>();
  let name: string | undefined = start;
  while (name) {
    const at = seen.get(name);
    if (at !== undefined) return { nodes, cycle: [...nodes.slice(at).map((n) => n.name), name] };
    const workspace = view.workspace(name);
    if (!workspace) return { nodes, missing: name };
    seen.set(name, nodes.length);
    nodes.push({ name, workspace });
    if (nodes.length > MAX_DEPTH) return { nodes, cycle: [name], tooDeep: true };
    name = workspace.spec?.parent || undefined;
  }
  return { nodes };
}

/** Effective constraints of the workspaces in a chain (fold from the root down). */
export function chainEffective(chain: Chain): EffectiveConstraints {
  const levels: ConstraintLevel[] = chain.nodes.map((n) => ({ workspace: n.name, constraints: n.workspace.spec?.constraints })).reverse();
  return effectiveConstraints(levels);
}

/** Names of `root` and every workspace below it (breadth first, cycle-safe). */
export function subtree(view: Pick<TreeView, 'childrenOf'>, root: string): string[] {
  const out = [root];
  const seen = new Set(out);
  for (let i = 0; i < out.length && out.length <= 100_000; i++) {
    for (const child of view.childrenOf(out[i]!)) {
      if (!seen.has(child)) {
        seen.add(child);
        out.push(child);
      }
    }
  }
  return out;
}

/** Every LogicalCluster in the subtree of `root`. */
export function logicalClustersInSubtree(view: Pick<TreeView, 'childrenOf' | 'logicalClustersIn'>, root: string): LogicalClusterView[] {
  return subtree(view, root).flatMap((ws) => view.logicalClustersIn(ws));
}
