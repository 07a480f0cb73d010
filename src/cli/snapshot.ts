import type { ApiClient } from '../runtime/http.js';
import type { KubeObject } from '../runtime/object.js';
import { Resources, type ResourceRef } from '../runtime/resources.js';
import type { Cluster } from '../crds/cluster.js';
import type { LogicalCluster } from '../crds/logicalcluster.js';
import type { PlacementPolicy } from '../crds/placementpolicy.js';
import type { PropagatedObject } from '../crds/propagatedobject.js';
import type { Workspace } from '../crds/workspace.js';
import { isForbiddenError } from './errors.js';

/** Everything the CLI reasons about, read once (the CLI is a snapshot tool, not a controller). */
export interface Snapshot {
  readonly workspaces: readonly (Workspace & KubeObject)[];
  readonly logicalClusters: readonly (LogicalCluster & KubeObject)[];
  readonly clusters: readonly (Cluster & KubeObject)[];
  readonly policies: readonly (PlacementPolicy & KubeObject)[];
  readonly objects: readonly (PropagatedObject & KubeObject)[];
  readonly namespaces: readonly KubeObject[];
  /** Resources (plural names) this kubeconfig may not list; their lists above are empty. */
  readonly unreadable: readonly string[];
}

export type SnapshotPart = Exclude<keyof Snapshot, 'unreadable'>;

const SOURCES: Record<SnapshotPart, ResourceRef> = {
  workspaces: Resources.Workspace,
  logicalClusters: Resources.LogicalCluster,
  clusters: Resources.Cluster,
  policies: Resources.PlacementPolicy,
  objects: Resources.PropagatedObject,
  namespaces: Resources.Namespace,
};

export interface SnapshotOptions {
  /** PropagatedObjects of this namespace only (all namespaces when absent). */
  readonly namespace?: string | undefined;
  /** What to read; everything when absent. */
  readonly parts?: readonly SnapshotPart[];
  /** Parts that may be refused (403): they come back empty and are named in `unreadable`. */
  readonly optional?: readonly SnapshotPart[];
}

export async function loadSnapshot(client: ApiClient, options: SnapshotOptions = {}): Promise<Snapshot> {
  const parts = options.parts ?? (Object.keys(SOURCES) as SnapshotPart[]);
  const unreadable: string[] = [];
  const lists = await Promise.all(
    parts.map(async (part) => {
      const resource = SOURCES[part];
      const listOptions =
        part === 'objects' && options.namespace ? { namespace: options.namespace } : part === 'namespaces' ? { labelSelector: 'canopy.dev/workspace' } : {};
      try {
        return [part, await client.listAll(resource, listOptions)] as const;
      } catch (err) {
        if (!isForbiddenError(err) || !options.optional?.includes(part)) throw err;
        unreadable.push(resource.plural);
        return [part, []] as const;
      }
    }),
  );
  const snapshot: Record<string, unknown> = { workspaces: [], logicalClusters: [], clusters: [], policies: [], objects: [], namespaces: [] };
  for (const [part, items] of lists) snapshot[part] = items;
  return { ...(snapshot as unknown as Omit<Snapshot, 'unreadable'>), unreadable: unreadable.sort() };
}
