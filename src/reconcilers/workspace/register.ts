/**
 * Wires the Workspace feature into the manager: the shared hierarchy model,
 * copying down the tree (reconcilers/inheritance/register.ts) and two
 * controllers of its own —
 *
 *   workspace              finalizer, home namespace, owners' RBAC, status
 *   workspace-tree-labels  tree labels on every namespace of the tree
 *
 * — connected by event-routing.ts, which decides which change wakes which.
 */
import { LABEL_MANAGED_BY, LABEL_WORKSPACE, MANAGED_BY_VALUE } from '../../crds/labels.js';
import { Hierarchy, type WorkspaceObject } from '../../hierarchy/hierarchy.js';
import { typeKey } from '../../hierarchy/inherited-types.js';
import { stripQuota, type LogicalClusterQuotaView, type QuotaObject } from '../../hierarchy/quota-usage.js';
import { Informer, Resources, type Controller, type KubeObject, type Manager, type Request } from '../../runtime/index.js';
import type { ConflictRegistry } from '../inheritance/conflicts.js';
import type { CopyWriter } from '../inheritance/copy-writer.js';
import type { Propagator } from '../inheritance/reconciler.js';
import { registerInheritance, type InheritanceOptions } from '../inheritance/register.js';
import type { ObjectTracker } from '../inheritance/tracker.js';
import type { TypeRegistry } from '../inheritance/type-registry.js';
import { quotaChain, routeHierarchyChange, routeObjectChange, type RoutingContext, type RoutingTargets } from './event-routing.js';
import { INDEX_LOGICAL_CLUSTERS_BY_WORKSPACE, WorkspaceReconciler } from './reconciler.js';
import { TreeLabeler } from './tree-labeler.js';

export interface WorkspaceOptions extends InheritanceOptions {
  /** Workspaces reconciled at once; default 4: status writes are not urgent, and fewer of them in flight leave the apiserver to the copies a move needs. */
  readonly workspaceConcurrency?: number;
  /** Namespaces relabelled at once; default 16. */
  readonly treeLabelConcurrency?: number;
}

/** The running feature, for tests, benchmarks and metrics. */
export interface WorkspaceFeature {
  readonly hierarchy: Hierarchy;
  readonly tracker: ObjectTracker;
  readonly types: TypeRegistry;
  readonly conflicts: ConflictRegistry;
  readonly propagator: Propagator;
  readonly writer: CopyWriter;
  readonly controllers: { readonly workspace: Controller; readonly treeLabels: Controller; readonly propagation: Controller };
}

const MANAGED = `${LABEL_MANAGED_BY}=${MANAGED_BY_VALUE}`;

export function register(manager: Manager, options: WorkspaceOptions = {}): WorkspaceFeature {
  const logger = manager.logger.child({ feature: 'workspace' });
  const client = manager.client;
  const workspaces = manager.informer<WorkspaceObject>(Resources.Workspace);
  // Home namespaces and logical-cluster namespaces both carry canopy.dev/workspace.
  const namespaces = manager.informer(Resources.Namespace, { labelSelector: LABEL_WORKSPACE });
  const logicalClusters = manager.informer<LogicalClusterQuotaView>(Resources.LogicalCluster);
  logicalClusters.addIndexer(INDEX_LOGICAL_CLUSTERS_BY_WORKSPACE, (lc) => (lc.spec?.workspace ? [lc.spec.workspace] : []));
  const clusterRoles = manager.informer(Resources.ClusterRole, { labelSelector: MANAGED });
  const clusterRoleBindings = manager.informer(Resources.ClusterRoleBinding, { labelSelector: MANAGED });
  // Private: only status.used is kept, so it cannot be shared with readers wanting whole quotas.
  const quotas = new Informer<QuotaObject>(client, Resources.ResourceQuota, { transform: stripQuota }, logger);

  const hierarchy = new Hierarchy(workspaces, namespaces, logicalClusters, logger);
  const forest = hierarchy.forest;
  const inheritance = registerInheritance(manager, hierarchy, logger, options);
  const { tracker, types, conflicts, writer, propagator } = inheritance;

  manager.addRunnable({
    name: 'workspace-object-caches',
    needLeaderElection: false,
    start: async (signal) => {
      tracker.start();
      quotas.start();
      await new Promise<void>((resolve) => signal.addEventListener('abort', () => resolve(), { once: true }));
      types.stop();
      await Promise.all([tracker.stop(), quotas.stop()]);
    },
    ready: () => tracker.synced() && quotas.hasSynced(),
  });

  const workspaceOfLabel = (object: KubeObject): Request[] => {
    const ws = object.metadata?.labels?.[LABEL_WORKSPACE];
    return ws ? [{ name: ws }] : [];
  };
  const reconciler = new WorkspaceReconciler({
    client,
    hierarchy,
    tracker,
    types,
    conflicts,
    writer,
    logicalClusters,
    quotas,
    clusterRoles,
    clusterRoleBindings,
  });
  const workspace = manager.addController({
    name: 'workspace',
    for: Resources.Workspace,
    reconciler: (request, context) => reconciler.reconcile(request, context),
    watches: [
      { informer: namespaces, map: workspaceOfLabel },
      { informer: clusterRoles, map: workspaceOfLabel },
      { informer: clusterRoleBindings, map: workspaceOfLabel },
      {
        informer: logicalClusters as Informer,
        map: (lc: LogicalClusterQuotaView) => {
          const ws = lc.spec?.workspace;
          return ws ? [{ name: ws }, ...quotaChain(forest, ws)] : [];
        },
      },
      {
        informer: quotas as Informer,
        map: (quota: KubeObject) => {
          const ws = forest.namespaceInfo(quota.metadata?.namespace ?? '')?.workspace;
          return ws ? quotaChain(forest, ws) : [];
        },
      },
    ],
    concurrency: options.workspaceConcurrency ?? 4,
  });

  const labeler = new TreeLabeler(hierarchy, client);
  const treeLabels = manager.addController({
    name: 'workspace-tree-labels',
    for: { resource: Resources.Namespace, labelSelector: LABEL_WORKSPACE },
    reconciler: (request) => labeler.reconcile(request),
    concurrency: options.treeLabelConcurrency ?? 16,
  });

  const routing: RoutingContext = {
    forest,
    propagateOf: (name) => workspaces.get(name)?.spec?.propagate ?? [],
    writePending: (ns, key) => tracker.isPending(ns, key),
  };
  const targets: RoutingTargets = {
    workspace: (request) => workspace.enqueue(request),
    treeLabels: (request) => treeLabels.enqueue(request),
    inherit: (request) => propagator.request(request),
    ensureType: (type) => types.ensure(type),
    forgetConflicts: (ns) => conflicts.forget(ns),
  };
  hierarchy.onChange((change) => routeHierarchyChange(change, routing, targets));
  tracker.onChange((event) => routeObjectChange(event, routing, targets));
  conflicts.onChange((ns) => {
    const ws = forest.namespaceInfo(ns)?.workspace;
    if (ws) workspace.enqueue({ name: ws });
  });
  // A type changed state: the workspaces that list it report it in their status.
  types.onChange((key) => {
    for (const ws of workspaces.list()) {
      if ((ws.spec?.propagate ?? []).some((t) => typeKey(t.apiVersion, t.kind) === key)) workspace.enqueue({ name: ws.metadata?.name ?? '' });
    }
  });

  return { hierarchy, tracker, types, conflicts, propagator, writer, controllers: { workspace, treeLabels, propagation: inheritance.controller } };
}
