/**
 * `canopy/api`: the six kinds as TypeScript types (Workspace, LogicalCluster,
 * Cluster, PlacementPolicy, PropagatedObject, ClusterPropagatedObject and their parts), the labels and
 * annotations Canopy reads and writes, and one typed client per kind.
 *
 * Semver-stable: what this file exports changes only with a major version.
 */
import type { ApiClient } from '../runtime/http.js';
import { Resources } from '../runtime/resources.js';
import { typedClient, type TypedClient } from '../runtime/typed-client.js';
import type { Cluster, ClusterPropagatedObject, LogicalCluster, PlacementPolicy, PropagatedObject, Workspace } from '../crds/index.js';

export * from '../crds/common.js';
export * from '../crds/labels.js';
export type * from '../crds/workspace.js';
export type * from '../crds/logicalcluster.js';
export type * from '../crds/cluster.js';
export type * from '../crds/placementpolicy.js';
export type * from '../crds/propagatedobject.js';
export type * from '../crds/clusterpropagatedobject.js';
export { Resources } from '../runtime/resources.js';

/** Typed clients for Canopy's kinds, bound to one ApiClient. */
export interface CanopyClients {
  readonly workspaces: TypedClient<Workspace>;
  readonly logicalClusters: TypedClient<LogicalCluster>;
  readonly clusters: TypedClient<Cluster>;
  readonly placementPolicies: TypedClient<PlacementPolicy>;
  readonly propagatedObjects: TypedClient<PropagatedObject>;
  readonly clusterPropagatedObjects: TypedClient<ClusterPropagatedObject>;
}

export function canopyClients(client: ApiClient): CanopyClients {
  return {
    workspaces: typedClient<Workspace>(client, Resources.Workspace),
    logicalClusters: typedClient<LogicalCluster>(client, Resources.LogicalCluster),
    clusters: typedClient<Cluster>(client, Resources.Cluster),
    placementPolicies: typedClient<PlacementPolicy>(client, Resources.PlacementPolicy),
    propagatedObjects: typedClient<PropagatedObject>(client, Resources.PropagatedObject),
    clusterPropagatedObjects: typedClient<ClusterPropagatedObject>(client, Resources.ClusterPropagatedObject),
  };
}
