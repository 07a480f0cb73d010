// Wires the Workspace feature into the manager: the shared hierarchy model,
// the propagated objects' caches, and three controllers —
//
//   workspace              finalizer, home namespace, owners' RBAC, status
//   workspace-tree-labels  tree labels on every namespace of the tree
//   workspace-propagation  copies of home-namespace objects down the tree
//
// — and which change wakes which of them. The forest says exactly which
// workspaces a change touched (ForestChange), so a change deep in a big tree
// wakes only that part of it.

import {
  Informer,
  Resources,
  type Controller,
  type KubeObject,
  type Manager,
  type Request,
} from '../../runtime/index.js';
import { LABEL_INHERITED_FROM, LABEL_MANAGED_BY, LABEL_WORKSPACE, MANAGED_BY_VALUE } from '../../crds/labels.js';
import { ConflictRegistry } from '../inheritance/conflicts.js';
import { withHash } from '../inheritance/content.js';
import { CopyWriter } from '../inheritance/copy-writer.js';
import { EMPTY_CHANGE } from '../../hierarchy/forest-change.js';
import { Hierarchy, type HierarchyChange, type WorkspaceObject } from '../../hierarchy/hierarchy.js';
import { isCopy, objectKey } from '../inheritance/objects.js';
import { typeKey } from '../../hierarchy/inherited-types.js';
import { ALL_REQUEST, namespaceRequest, Propagator, sourceRequest, treeRequest } from '../inheritance/reconciler.js';
import { quotaResources, stripQuota, type LogicalClusterLike, type QuotaObject } from '../../hierarchy/quota-usage.js';
import { INDEX_LOGICAL_CLUSTERS_BY_WORKSPACE, WorkspaceReconciler } from './reconciler.js';
import { ObjectTracker, type TrackerEvent } from '../inheritance/tracker.js';
import { TreeLabeler } from './tree-labeler.js';
import { TypeRegistry } from '../inheritance/type-registry.js';

export interface WorkspaceOptions {
  /** Copy writes in flight at once, across all propagation work; default 32. */
  readonly writeConcurrency?: number;
  /** Propagation keys planned at once; default 8 (they share the write budget). */
  readonly propagationConcurrency?: number;
  /** Workspaces reconciled at once; default 4: status writes are not urgent, and fewer of them in flight leave the apiserver to the copies a move needs. */
  readonly workspaceConcurrency?: number;
  /** Namespaces relabelled at once; default 16. */
  readonly treeLabelConcurrency?: number;
  /** How often a type the operator may not handle is checked again; default 30 s. */
  readonly typeRecheckMs?: number;
  /** How often every copy is re-planned even without events; default 10 h. */
  readonly resyncPeriodMs?: number;
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
  const logicalClusters = manager.informer<LogicalClusterLike>(Resources.LogicalCluster);
  logicalClusters.addIndexer(INDEX_LOGICAL_CLUSTERS_BY_WORKSPACE, (lc) => (lc.spec?.workspace ? [lc.spec.workspace] : []));
  const clusterRoles = manager.informer(Resources.ClusterRole, { labelSelector: MANAGED });
  const clusterRoleBindings = manager.informer(Resources.ClusterRoleBinding, { labelSelector: MANAGED });
  // Private: only status.used is kept, so it cannot be shared with readers wanting whole quotas.
  const quotas = new Informer<QuotaObject>(client, Resources.ResourceQuota, { transform: stripQuota }, logger);

  const hierarchy = new Hierarchy(workspaces, namespaces, logicalClusters, logger);
  const forest = hierarchy.forest;
  const tracker = new ObjectTracker(client, logger, (object) => {
    const ns = object.metadata?.namespace ?? '';
    return forest.has(ns) && !isCopy({ labels: object.metadata?.labels });
  });
  const types = new TypeRegistry(client, logger, options.typeRecheckMs !== undefined ? { recheckMs: options.typeRecheckMs } : {});
  const conflicts = new ConflictRegistry();
  for (const { key, resource } of types.ready()) tracker.track(key, resource);
  const writer = new CopyWriter(
    {
      client,
      resource: (key) => {
        const state = types.get(key);
        return state && (state.state === 'ready' || state.state === 'forbidden') ? state.resource : undefined;
      },
      namespaceWritable: (ns) => hierarchy.namespaceWritable(ns),
      beginWrite: (ns, key) => tracker.beginWrite(ns, key),
      endWrite: (ns, key, result) => tracker.endWrite(ns, key, result === undefined || result === 'deleted' ? result : withHash(result.object, result.hash)),
    },
    options.writeConcurrency ?? 32,
  );

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

  // Workspaces whose quota totals include `workspace`'s: itself and every ancestor with a quota.
  const quotaChain = (workspace: string): Request[] =>
    quotaResources(forest, workspace).size === 0 ? [] : [...forest.ancestors(workspace), workspace].map((name) => ({ name }));
  const workspaceOfLabel = (object: KubeObject): Request[] => {
    const ws = object.metadata?.labels?.[LABEL_WORKSPACE];
    return ws ? [{ name: ws }] : [];
  };

  const reconciler = new WorkspaceReconciler({ client, hierarchy, tracker, types, conflicts, writer, logicalClusters, quotas, clusterRoles, clusterRoleBindings });
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
        map: (lc: LogicalClusterLike) => {
          const ws = lc.spec?.workspace;
          return ws ? [{ name: ws }, ...quotaChain(ws)] : [];
        },
      },
      {
        informer: quotas as Informer,
        map: (quota: KubeObject) => {
          const ws = forest.namespaceInfo(quota.metadata?.namespace ?? '')?.workspace;
          return ws ? quotaChain(ws) : [];
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

  let propagator: Propagator | undefined;
  const propagation = manager.addController({
    name: 'workspace-propagation',
    // Workspace events themselves are mapped by the hierarchy listener below; their own keys are no-ops.
    for: Resources.Workspace,
    reconciler: (request, context) => (request.namespace === undefined ? Promise.resolve() : propagator!.reconcile(request, context)),
    watches: types.ready().map(({ key }) => ({ informer: tracker.informer(key)! as unknown as Informer, map: () => [] })),
    concurrency: options.propagationConcurrency ?? 8,
    resyncPeriodMs: 0,
  });
  propagator = new Propagator({
    hierarchy,
    tracker,
    types,
    writer,
    conflicts,
    logger,
    enqueue: (request, delayMs) => (delayMs ? propagation.enqueueAfter(request, delayMs) : propagation.enqueue(request)),
  });
  const propagate = propagator;
  // One full pass at start covers every event the caches replay meanwhile;
  // another now and then catches what no event reported (the runtime's resync idea).
  propagate.request(ALL_REQUEST);
  manager.addRunnable({
    name: 'workspace-propagation-resync',
    start: async (signal) => {
      const timer = setInterval(() => propagate.request(ALL_REQUEST), options.resyncPeriodMs ?? 10 * 3600_000);
      await new Promise<void>((resolve) => signal.addEventListener('abort', () => resolve(), { once: true }));
      clearInterval(timer);
    },
  });

  hierarchy.onChange((change) => onHierarchyChange(change));
  tracker.onChange((event) => onObjectChange(event));
  conflicts.onChange((ns) => {
    const ws = forest.namespaceInfo(ns)?.workspace;
    if (ws) workspace.enqueue({ name: ws });
  });
  types.onChange((key, state) => {
    if (state.state === 'ready') {
      const informer = tracker.track(key, state.resource);
      void informer.waitForSync().then(
        () => propagate.request(ALL_REQUEST),
        () => {},
      );
    }
    for (const ws of workspaces.list()) {
      if ((ws.spec?.propagate ?? []).some((t) => typeKey(t.apiVersion, t.kind) === key)) workspace.enqueue({ name: ws.metadata?.name ?? '' });
    }
  });

  function onHierarchyChange(change: HierarchyChange): void {
    if (change.kind === 'workspace') {
      for (const ws of change.change.all) workspace.enqueue({ name: ws });
      for (const parent of change.change.parents) for (const request of quotaChain(parent)) workspace.enqueue(request);
      if (change.parentChanged) {
        for (const ws of change.change.subtree) for (const ns of forest.namespacesOf(ws)) treeLabels.enqueue({ name: ns });
      }
      if (!change.removed && (change.parentChanged || change.propagateChanged)) propagate.request(treeRequest(change.name));
      if (change.propagateChanged) for (const type of workspaces.get(change.name)?.spec?.propagate ?? []) types.ensure(type);
      return;
    }
    if (change.change !== EMPTY_CHANGE) for (const ws of change.change.all) workspace.enqueue({ name: ws });
    // Joining can follow a LogicalCluster event rather than the namespace's own.
    if (change.change !== EMPTY_CHANGE && !change.removed) treeLabels.enqueue({ name: change.name });
    if (change.removed) {
      conflicts.forget(change.name);
      return;
    }
    if (change.appeared || change.labelsChanged || change.change !== EMPTY_CHANGE) propagate.request(namespaceRequest(change.name));
  }

  /** Object events → the narrowest propagation work; echoes of the propagator's own writes are dropped. */
  function onObjectChange(event: TrackerEvent): void {
    const { entry, previous } = event;
    const ns = entry.namespace;
    const info = forest.namespaceInfo(ns);
    if (!info) return;
    const key = objectKey(entry);
    // The propagator is writing this very object: it judges the outcome itself (tracker.endWrite).
    if (tracker.isPending(ns, key)) return;
    // Canopy's own per-namespace objects (the owners' RoleBinding): put back by the workspace reconciler.
    if (!isCopy(entry) && entry.excluded && entry.labels?.[LABEL_MANAGED_BY] === MANAGED_BY_VALUE) {
      const ws = entry.labels[LABEL_WORKSPACE];
      if (ws) workspace.enqueue({ name: ws });
    }
    if (event.kind === 'delete') {
      if (!previous) return; // the propagator deleted it and already knows
      if (!isCopy(entry) && info.home && !entry.excluded) propagate.request(sourceRequest(ns, key));
      else propagate.request(namespaceRequest(ns, key));
      return;
    }
    const unchanged =
      previous !== undefined &&
      previous.uid === entry.uid &&
      previous.hash === entry.hash &&
      isCopy(previous) === isCopy(entry) &&
      previous.labels?.[LABEL_INHERITED_FROM] === entry.labels?.[LABEL_INHERITED_FROM] &&
      JSON.stringify(previous.annotations ?? {}) === JSON.stringify(entry.annotations ?? {});
    if (unchanged) return;
    if (!isCopy(entry) && info.home && !entry.excluded) propagate.request(sourceRequest(ns, key));
    else propagate.request(namespaceRequest(ns, key));
  }

  return { hierarchy, tracker, types, conflicts, propagator: propagate, writer, controllers: { workspace, treeLabels, propagation } };
}
