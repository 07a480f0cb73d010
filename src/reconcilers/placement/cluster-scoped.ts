/**
 * Placement for ClusterPropagatedObjects: the same reconciler and engine as
 * for PropagatedObjects, keyed by name alone. A cluster-scoped object has no
 * namespace and so no workspace: only its PlacementPolicy (named by
 * spec.placementRef) and the clusters decide.
 */
import type { Cluster } from '../../crds/cluster.js';
import type { PlacementPolicy } from '../../crds/placementpolicy.js';
import type { PropagatedObject } from '../../crds/propagatedobject.js';
import type { Workspace } from '../../crds/workspace.js';
import { generationChanged, Resources, type KubeObject, type Manager, type Request } from '../../runtime/index.js';
import { rebalanceRequested } from './rebalance.js';
import { PlacementReconciler } from './reconciler.js';
import type { PluginRegistry } from './registry.js';
import type { Cluster as PlacementCluster } from './types.js';

export const CLUSTER_SCOPED_CONTROLLER_NAME = 'placement-cluster-scoped';
const RETRY_MS = 1_000;

export function registerClusterScopedPlacement(
  manager: Manager,
  clusterRelevant: (event: { type: string; old?: KubeObject; object: KubeObject }) => boolean,
  registry?: PluginRegistry,
): void {
  // Same shape as a PropagatedObject (spec.template, overrides, placementRef; the same status).
  const objects = manager.informer<PropagatedObject & KubeObject>(Resources.ClusterPropagatedObject);
  const policies = manager.informer<PlacementPolicy & KubeObject>(Resources.PlacementPolicy);
  const clusters = manager.informer<Cluster & KubeObject>(Resources.Cluster);
  const workspaces = manager.informer<Workspace & KubeObject>(Resources.Workspace);
  const namespaces = manager.informer(Resources.Namespace, { labelSelector: 'canopy.dev/workspace' });
  const everyObject = (): Request[] => objects.list().map((o) => ({ name: o.metadata.name! }));
  const controller = manager.addController({
    name: CLUSTER_SCOPED_CONTROLLER_NAME,
    for: { resource: Resources.ClusterPropagatedObject, predicate: (event) => generationChanged(event) || rebalanceRequested(event) },
    watches: [
      { resource: Resources.PlacementPolicy, map: everyObject },
      { resource: Resources.Cluster, predicate: clusterRelevant, map: everyObject },
    ],
    concurrency: 4,
    reconciler: new PlacementReconciler(
      manager,
      objects,
      policies,
      clusters,
      workspaces,
      namespaces,
      Date.now,
      registry,
      (request) => controller.enqueueAfter(request, RETRY_MS),
      Resources.ClusterPropagatedObject,
    ),
  });
}

/** `group/version` and kind of every version a CustomResourceDefinition template serves. */
export function servedKinds(template: unknown): Array<{ groupVersion: string; kind: string }> {
  const crd = template as {
    kind?: string;
    spec?: { group?: string; names?: { kind?: string }; versions?: Array<{ name?: string; served?: boolean }> };
  };
  if (crd?.kind !== 'CustomResourceDefinition' || !crd.spec?.group || !crd.spec.names?.kind) return [];
  const { group, names } = crd.spec;
  return (crd.spec.versions ?? []).filter((v) => v.name && v.served !== false).map((v) => ({ groupVersion: `${group}/${v.name}`, kind: names.kind! }));
}

/**
 * The Clusters as placement should see them, given the CRDs that
 * ClusterPropagatedObjects place: a kind whose CRD is placed on a cluster
 * counts as served there, though the cluster's discovery (refreshed every
 * few minutes) may not list it yet. The syncer then waits (Synced=False,
 * AwaitingKind) until the member really serves it, so a custom resource is
 * placed with its CRD rather than minutes after it. Clusters without such a
 * promise are returned as they are (the engine caches per object).
 */
export function withPlacedCustomResourceDefinitions(clusters: PlacementCluster[], placed: readonly (PropagatedObject & KubeObject)[]): PlacementCluster[] {
  const promised = new Map<string, Array<{ groupVersion: string; kind: string }>>();
  for (const o of placed) {
    const kinds = servedKinds(o.spec?.template);
    // Also while it is being deleted: its CRD stays until the custom resources Canopy placed are gone.
    if (kinds.length === 0) continue;
    for (const p of o.status?.placement ?? []) promised.set(p.cluster, [...(promised.get(p.cluster) ?? []), ...kinds]);
  }
  if (promised.size === 0) return clusters;
  return clusters.map((cluster) => {
    const kinds = promised.get(cluster.metadata.name ?? '');
    const enabled = cluster.status?.apiEnablements;
    if (!kinds || !Array.isArray(enabled)) return cluster;
    const merged = enabled.map((e) => ({ ...e, resources: [...(e.resources ?? [])] }));
    for (const k of kinds) {
      let entry = merged.find((e) => e.groupVersion === k.groupVersion);
      if (!entry) {
        entry = { groupVersion: k.groupVersion, resources: [] };
        merged.push(entry);
      }
      if (!entry.resources.includes(k.kind)) entry.resources.push(k.kind);
    }
    return { ...cluster, status: { ...cluster.status, apiEnablements: merged } } as PlacementCluster;
  });
}

/** A ClusterPropagatedObject event that can change which kinds a cluster is promised (a CRD's placement or versions). */
export function placedKindsChanged(event: { type: string; old?: KubeObject; object: KubeObject }): boolean {
  const fingerprint = (o: KubeObject | undefined) => {
    const cpo = o as (PropagatedObject & KubeObject) | undefined;
    const kinds = servedKinds(cpo?.spec?.template);
    return kinds.length === 0 ? '' : JSON.stringify([kinds, (cpo?.status?.placement ?? []).map((p) => p.cluster).sort()]);
  };
  return event.type !== 'update' ? fingerprint(event.object) !== '' : fingerprint(event.old) !== fingerprint(event.object);
}
