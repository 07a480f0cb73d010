/**
 * What the syncer needs to know about a host namespace before anything of
 * it lands on a member: its tenant labels, its uid (recorded on the member
 * namespace), the pod-security and registry limits admission enforces there,
 * and the boundary objects the member namespace must carry. Read from the
 * manager's shared informers; no I/O.
 */
import { Resources, type Informer, type KubeObject, type Manager } from '../../runtime/index.js';
import { LABEL_LOGICAL_CLUSTER, LABEL_MANAGED_BY, MANAGED_BY_VALUE } from '../../crds/labels.js';
import { podLimits, type PodLimits } from '../../admission/pods.js';
import type { ClusterLike, LogicalClusterView, NamespaceLike, TreeView, WorkspaceLike } from '../../admission/tree.js';
import { BOUNDARY_TYPES, memberBoundary, type MemberBoundary } from './boundary.js';
import { tenantLabels } from './members.js';

const BY_WORKSPACE = 'boundary:spec.workspace';
const BY_PARENT = 'boundary:spec.parent';

/** What a member namespace is created and kept from. */
export interface NamespaceRequest {
  readonly namespace: string;
  readonly tenantLabels: Readonly<Record<string, string>>;
  /** uid of the host namespace: a member namespace of that name made for another (earlier) one is not this tenant's. */
  readonly hostUid: string;
  readonly boundary: MemberBoundary;
}

export type NamespaceLookup = { ok: true; request: NamespaceRequest } | { ok: false; reason: string };

type Obj<T> = T & KubeObject;

export class BoundarySource implements TreeView {
  readonly workspaces: Informer<Obj<WorkspaceLike>>;
  readonly logicalClusters: Informer<Obj<LogicalClusterView>>;
  private readonly clusterInformer: Informer<Obj<ClusterLike>>;
  /** Host boundary objects: only what Canopy created for logical clusters is listed, so the caches stay small. */
  readonly hostObjects: readonly Informer[];

  constructor(
    manager: Pick<Manager, 'informer'>,
    private readonly namespaces: Informer,
  ) {
    this.workspaces = manager.informer<Obj<WorkspaceLike>>(Resources.Workspace);
    this.logicalClusters = manager.informer<Obj<LogicalClusterView>>(Resources.LogicalCluster);
    this.clusterInformer = manager.informer<Obj<ClusterLike>>(Resources.Cluster);
    this.logicalClusters.addIndexer(BY_WORKSPACE, (lc) => (lc.spec?.workspace ? [lc.spec.workspace] : []));
    this.workspaces.addIndexer(BY_PARENT, (ws) => (ws.spec?.parent ? [ws.spec.parent] : []));
    const labelSelector = `${LABEL_MANAGED_BY}=${MANAGED_BY_VALUE},${LABEL_LOGICAL_CLUSTER}`;
    this.hostObjects = BOUNDARY_TYPES.map((t) =>
      manager.informer({ apiVersion: t.apiVersion, kind: t.kind, plural: t.plural, namespaced: true }, { labelSelector }),
    );
  }

  /** The limits admission enforces on pods in the namespace, or undefined outside tenant namespaces. */
  limits(namespace: string): PodLimits | undefined {
    return podLimits(namespace, this);
  }

  /** How the member namespace for this host namespace must look, or why nothing may be written for it now. */
  lookup(namespace: string): NamespaceLookup {
    const host = this.namespaces.get(namespace);
    if (!host?.metadata?.uid) return { ok: false, reason: `namespace ${namespace} does not exist on the control plane` };
    if (host.metadata.deletionTimestamp) return { ok: false, reason: `namespace ${namespace} is being deleted on the control plane` };
    const tenant = tenantLabels(host);
    const boundary = memberBoundary({
      namespace,
      tenantLabels: tenant,
      podSecurity: this.limits(namespace)?.level,
      hostObjects: this.hostObjects.flatMap((i) => i.list(namespace)),
    });
    return { ok: true, request: { namespace, tenantLabels: tenant, hostUid: host.metadata.uid, boundary } };
  }

  // ---------------------------------------------------------------- TreeView (what podLimits reads)

  workspace(name: string): WorkspaceLike | undefined {
    return this.workspaces.get(name);
  }

  logicalClustersIn(workspace: string): readonly LogicalClusterView[] {
    return this.logicalClusters.byIndex(BY_WORKSPACE, workspace);
  }

  childrenOf(workspace: string): readonly string[] {
    return this.workspaces.byIndex(BY_PARENT, workspace).map((w) => w.metadata?.name ?? '');
  }

  namespace(name: string): NamespaceLike | undefined {
    const ns = this.namespaces.get(name);
    return ns ? ({ metadata: { ...ns.metadata, labels: ns.metadata?.labels ?? {} } } as NamespaceLike) : undefined;
  }

  clusters(): readonly ClusterLike[] {
    return this.clusterInformer.list();
  }
}
