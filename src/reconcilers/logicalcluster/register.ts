/**
 * Wires the LogicalCluster reconciler into the manager: the informers it
 * reads, the indexes it looks things up by, and which events wake which
 * logical clusters.
 */

import type { Controller } from '../../runtime/index.js';
import type { Informer } from '../../runtime/index.js';
import type { Manager } from '../../runtime/index.js';
import type { KubeObject, Request } from '../../runtime/index.js';
import { Resources } from '../../runtime/index.js';
import { LABEL_LOGICAL_CLUSTER, LABEL_MANAGED_BY, MANAGED_BY_VALUE } from '../../crds/labels.js';
import {
  INDEX_BY_PARENT,
  INDEX_BY_WORKSPACE,
  LogicalClusterReconciler,
  type ClusterObject,
  type LogicalClusterObject,
  type LogicalClusterReconcilerOptions,
  type WorkspaceObject,
} from './reconciler.js';

export const CONTROLLER_NAME = 'logicalcluster';

export interface RegisterOptions extends LogicalClusterReconcilerOptions {
  /** Logical clusters reconciled at once; default 32 (the work is waiting on apiservers, not CPU). */
  readonly concurrency?: number;
}

export function register(manager: Manager, options: RegisterOptions = {}): Controller {
  const logicalClusters = manager.informer<LogicalClusterObject>(Resources.LogicalCluster);
  const workspaces = manager.informer<WorkspaceObject>(Resources.Workspace);
  const clusters = manager.informer<ClusterObject>(Resources.Cluster);
  const namespaces = manager.informer(Resources.Namespace, { labelSelector: `${LABEL_MANAGED_BY}=${MANAGED_BY_VALUE}` });
  logicalClusters.addIndexer(INDEX_BY_WORKSPACE, (lc) => (lc.spec?.workspace ? [lc.spec.workspace] : []));
  workspaces.addIndexer(INDEX_BY_PARENT, (ws) => (ws.spec?.parent ? [ws.spec.parent] : []));

  const reconciler = new LogicalClusterReconciler(
    { host: manager.client, hostKubeConfig: manager.kubeConfig, members: manager.members, logicalClusters, workspaces, clusters, namespaces },
    options,
  );
  namespaces.on((event) => {
    const lc = event.object.metadata?.labels?.[LABEL_LOGICAL_CLUSTER];
    if (event.type === 'delete' && lc) reconciler.namespaceGone(lc);
  });

  const workspaceSignatures = new Signatures((ws) => {
    const w = ws as WorkspaceObject;
    return JSON.stringify([w.spec?.parent ?? '', w.spec?.constraints ?? null]);
  });
  const clusterSignatures = new Signatures((c) => {
    const cluster = c as ClusterObject;
    const ready = cluster.status?.conditions?.find((x) => x.type === 'Ready')?.status ?? '';
    return JSON.stringify([cluster.metadata?.labels ?? {}, cluster.spec ?? {}, ready]);
  });

  const inSubtree = (workspace: string): Request[] => {
    const out: Request[] = [];
    const seen = new Set<string>();
    const queue = [workspace];
    while (queue.length > 0) {
      const ws = queue.shift()!;
      if (seen.has(ws)) continue;
      seen.add(ws);
      for (const lc of logicalClusters.byIndex(INDEX_BY_WORKSPACE, ws)) out.push({ name: lc.metadata?.name ?? '' });
      for (const child of workspaces.byIndex(INDEX_BY_PARENT, ws)) queue.push(child.metadata?.name ?? '');
    }
    return out;
  };
  const notReady = (): Request[] =>
    logicalClusters
      .list()
      .filter((lc) => lc.status?.phase !== 'Ready' && !lc.metadata?.deletionTimestamp)
      .map((lc) => ({ name: lc.metadata?.name ?? '' }));

  return manager.addController({
    name: CONTROLLER_NAME,
    reconciler,
    for: Resources.LogicalCluster,
    watches: [
      // Constraints flow down the tree: a workspace change concerns every logical cluster below it.
      {
        resource: Resources.Workspace,
        map: (ws: KubeObject) => {
          // Status writes (child counts, quota usage) come often and change nothing here.
          if (!workspaceSignatures.changed(ws, workspaces.get(ws.metadata?.name ?? ''))) return [];
          reconciler.inputsChanged();
          return inSubtree(ws.metadata?.name ?? '');
        },
      },
      // A cluster that appears, becomes Ready or loses a binding may be what a waiting Cluster-mode logical cluster needs.
      {
        resource: Resources.Cluster,
        map: (cluster: KubeObject) => {
          // Health probes rewrite status every few seconds; only labels, spec and readiness matter here.
          if (!clusterSignatures.changed(cluster, clusters.get(cluster.metadata?.name ?? ''))) return [];
          reconciler.inputsChanged();
          return logicalClusters
            .list()
            .filter((lc) => lc.spec?.mode === 'Cluster' && (lc.status?.phase !== 'Ready' || lc.status?.cluster === cluster.metadata?.name))
            .map((lc) => ({ name: lc.metadata?.name ?? '' }));
        },
      },
      // A deleted logical cluster frees budget, a count and maybe a cluster for those still waiting.
      { informer: logicalClusters as unknown as Informer, map: (lc: KubeObject) => (lc.metadata?.deletionTimestamp ? notReady() : []) },
      // Someone deleted or edited one of our namespaces: put it back.
      {
        informer: namespaces,
        map: (ns: KubeObject) => {
          const lc = ns.metadata?.labels?.[LABEL_LOGICAL_CLUSTER];
          return lc ? [{ name: lc }] : [];
        },
      },
    ],
    concurrency: options.concurrency ?? 32,
  });
}

/**
 * Remembers what of an object a trigger cares about, so that events changing
 * anything else (status heartbeats) are dropped.
 */
class Signatures {
  private readonly seen = new Map<string, string>();

  constructor(private readonly of: (object: KubeObject) => string) {}

  /**
   * Whether this event changes the signature. `current` is the cached object:
   * undefined once deleted; another object when `object` is the old side of
   * an update (triggers are mapped for both sides), which is skipped.
   */
  changed(object: KubeObject, current: KubeObject | undefined): boolean {
    const name = object.metadata?.name ?? '';
    if (current === undefined) {
      this.seen.delete(name);
      return true;
    }
    if (current !== object) return false;
    const signature = this.of(object);
    if (this.seen.get(name) === signature) return false;
    this.seen.set(name, signature);
    return true;
  }
}
