import type { KubeConfigSource } from '../controllers/kubeconfig.js';
import { ApiClient, Resources, type KubeObject } from '../controllers/index.js';
import type { Cluster } from '../crds/cluster.js';
import type { LogicalCluster } from '../crds/logicalcluster.js';
import type { PlacementPolicy } from '../crds/placementpolicy.js';
import type { PropagatedObject } from '../crds/propagatedobject.js';
import type { Workspace } from '../crds/workspace.js';

/** Everything the CLI reasons about, read once (the CLI is a snapshot tool, not a controller). */
export interface Snapshot {
  readonly workspaces: readonly (Workspace & KubeObject)[];
  readonly logicalClusters: readonly (LogicalCluster & KubeObject)[];
  readonly clusters: readonly (Cluster & KubeObject)[];
  readonly policies: readonly (PlacementPolicy & KubeObject)[];
  readonly objects: readonly (PropagatedObject & KubeObject)[];
  readonly namespaces: readonly KubeObject[];
}

export async function loadSnapshot(kubeConfig: KubeConfigSource, namespace?: string): Promise<Snapshot> {
  const client = ApiClient.for(kubeConfig);
  try {
    const [workspaces, logicalClusters, clusters, policies, objects, namespaces] = await Promise.all([
      client.listAll<Workspace & KubeObject>(Resources.Workspace),
      client.listAll<LogicalCluster & KubeObject>(Resources.LogicalCluster),
      client.listAll<Cluster & KubeObject>(Resources.Cluster),
      client.listAll<PlacementPolicy & KubeObject>(Resources.PlacementPolicy),
      client.listAll<PropagatedObject & KubeObject>(Resources.PropagatedObject, namespace ? { namespace } : {}),
      client.listAll(Resources.Namespace, { labelSelector: 'canopy.dev/workspace' }),
    ]);
    return { workspaces, logicalClusters, clusters, policies, objects, namespaces };
  } finally {
    client.close();
  }
}
