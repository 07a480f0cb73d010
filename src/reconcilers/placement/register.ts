import type { Cluster } from '../../crds/cluster.js';
import type { PlacementPolicy } from '../../crds/placementpolicy.js';
import type { PropagatedObject } from '../../crds/propagatedobject.js';
import type { Workspace } from '../../crds/workspace.js';
import { generationChanged, Resources, type KubeObject, type Manager, type Request } from '../../runtime/index.js';
import { deselectionMarkChanged } from './deselection.js';
import { rebalanceRequested } from './rebalance.js';
import { notReadyChanged } from './filters/app-health.js';
import { placedKindsChanged, registerClusterScopedPlacement, withPlacedCustomResourceDefinitions } from './cluster-scoped.js';
import { CONTROLLER_NAME, PlacementReconciler } from './reconciler.js';
import type { PluginRegistry } from './registry.js';

export interface PlacementOptions {
  /** Filter and score plugins to run (default: the built-in set); see docs/extending.md. */
  readonly registry?: PluginRegistry;
}

/**
 * A cluster's fingerprint for placement: only a change here can change a
 * decision, so probe-time status writes do not wake every object.
 */
function placementRelevant(cluster: Cluster & KubeObject): string {
  const ready = cluster.status?.conditions?.find((c) => c.type === 'Ready')?.status;
  // status.scores: values written as data for spec.clusterScores (scores/cluster-scores.ts).
  const status = cluster.status;
  return JSON.stringify([
    cluster.metadata.labels,
    cluster.spec,
    ready,
    status?.allocatable,
    status?.allocated,
    status?.apiEnablements,
    status?.scores,
    cluster.metadata.deletionTimestamp,
  ]);
}

/** A decision whose status write failed is decided again after this long. */
const RETRY_MS = 1_000;

export function register(manager: Manager, options: PlacementOptions = {}): void {
  const objects = manager.informer<PropagatedObject & KubeObject>(Resources.PropagatedObject);
  const policies = manager.informer<PlacementPolicy & KubeObject>(Resources.PlacementPolicy);
  const clusters = manager.informer<Cluster & KubeObject>(Resources.Cluster);
  const workspaces = manager.informer<Workspace & KubeObject>(Resources.Workspace);
  const namespaces = manager.informer(Resources.Namespace, { labelSelector: 'canopy.dev/workspace' });
  const everyObject = (): Request[] => objects.list().map((po) => ({ name: po.metadata.name!, namespace: po.metadata.namespace }));
  const clusterRelevant = (event: { type: string; old?: KubeObject; object: KubeObject }): boolean =>
    event.type !== 'update' || placementRelevant(event.old as Cluster & KubeObject) !== placementRelevant(event.object as Cluster & KubeObject);

  const reconciler = new PlacementReconciler(manager, objects, policies, clusters, workspaces, namespaces, Date.now, options.registry, (request) =>
    controller.enqueueAfter(request, RETRY_MS),
  );
  const placedByAdmins = manager.informer<PropagatedObject & KubeObject>(Resources.ClusterPropagatedObject);
  reconciler.clusterView = (list) => withPlacedCustomResourceDefinitions(list, placedByAdmins.list());
  const controller = manager.addController({
    name: CONTROLLER_NAME,
    // Spec changes only: the syncer's status writes (and this controller's own) cannot change a decision.
    // A deselection mark can (placement/deselection.ts).
    for: {
      resource: Resources.PropagatedObject,
      predicate: (event) => generationChanged(event) || deselectionMarkChanged(event) || rebalanceRequested(event) || notReadyChanged(event),
    },
    watches: [
      { resource: Resources.PlacementPolicy, map: everyObject },
      { resource: Resources.Workspace, map: everyObject },
      // Only a change that can change a decision: an update event maps both its old and its new
      // object, so the comparison belongs in a predicate over the pair, not in the map.
      { resource: Resources.Cluster, predicate: clusterRelevant, map: everyObject },
      // A CRD placed by a ClusterPropagatedObject makes its kinds placeable there (cluster-scoped.ts).
      { resource: Resources.ClusterPropagatedObject, predicate: placedKindsChanged, map: everyObject },
      // Workspace and tree labels on a namespace decide which policies select its objects.
      {
        resource: Resources.Namespace,
        labelSelector: 'canopy.dev/workspace',
        map: (ns) => objects.list(ns.metadata?.name).map((po) => ({ name: po.metadata.name!, namespace: po.metadata.namespace })),
      },
    ],
    // A cluster event re-decides every object; decisions are CPU-cheap and mostly skip the write,
    // so the apiserver round trip of the few that change is what concurrency hides.
    concurrency: 16,
    reconciler,
  });
  // ClusterPropagatedObjects: the same reconciler, keyed by name (cluster-scoped.ts).
  registerClusterScopedPlacement(manager, clusterRelevant, options.registry);
}
