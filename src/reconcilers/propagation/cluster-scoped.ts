/**
 * Wiring of ClusterPropagatedObjects: the PropagatedObject syncer
 * (syncer.ts) run over the cluster-scoped kind. Requests carry no namespace;
 * copies are cluster-scoped objects on the members, labelled and annotated
 * like any copy (owner key `/<name>`), so drift, handover, ordering across
 * kinds and removal work the same. No namespace, no tenant boundary and no
 * companions: only cluster administrators create these (admission).
 */
import { CoalescingWriter, Resources, type Informer, type KubeObject, type Manager, type Request } from '../../runtime/index.js';
import { CONTROLLER_NAME as PLACEMENT_CONTROLLER } from '../placement/reconciler.js';
import type { BoundarySource } from './boundary-source.js';
import { writeStatus, type PropagatedObjectLike } from './host.js';
import type { ClusterObject, MemberAccess } from './members.js';
import { ownerKeyOf } from './names.js';
import type { SyncStatus } from './status.js';
import { memberResourceKey, PropagationSyncer, type SyncerOptions } from './syncer.js';

export const CLUSTER_SCOPED_SYNCER = 'propagation-cluster-scoped';
const STATUS_RETRY_MS = 1_000;

/** The ClusterPropagatedObject a member copy belongs to (owner key `/<name>`); none for a PropagatedObject's copy. */
export function clusterScopedOwnerRequest(object: KubeObject): Request[] {
  const key = ownerKeyOf(object.metadata?.annotations);
  return key?.startsWith('/') ? [{ name: key.slice(1) }] : [];
}

export function registerClusterScopedSyncer(
  manager: Manager,
  access: MemberAccess,
  clusters: Informer<ClusterObject>,
  namespaces: Informer,
  boundaries: BoundarySource,
  options: SyncerOptions,
): void {
  const resource = Resources.ClusterPropagatedObject;
  const objects = manager.informer<PropagatedObjectLike>(resource);
  const logger = manager.logger.child({ controller: CLUSTER_SCOPED_SYNCER });
  const statusWriter = new CoalescingWriter<{ po: PropagatedObjectLike; status: SyncStatus }>({
    concurrency: 4,
    yieldTo: () => manager.urgentWork.pending(),
    write: async (_key, { po, status }) => {
      const latest = manager.ownWrites.freshest(resource.plural, objects.get(po.metadata?.name ?? ''));
      if (!latest || latest.metadata?.uid !== po.metadata?.uid) return;
      await writeStatus(manager.client, latest, status, manager.ownWrites, undefined, resource);
    },
    onFailure: (key, { po }, err) => {
      logger.warn({ object: key, err: err instanceof Error ? err.message : String(err) }, 'status write failed; reconciling again');
      controller.enqueueAfter({ name: po.metadata?.name ?? '' }, STATUS_RETRY_MS);
    },
  });
  const statuses = { submit: (po: PropagatedObjectLike, status: SyncStatus) => statusWriter.submit(po.metadata?.name ?? '', { po, status }) };
  const syncer = new PropagationSyncer(manager.client, access, objects, namespaces, options, statuses, boundaries, manager.ownWrites, resource);
  const controller = manager.addController({
    name: CLUSTER_SCOPED_SYNCER,
    for: { resource, predicate: (event) => event.type !== 'update' || !manager.ownWrites.isEcho(resource.plural, event.object) },
    reconciler: syncer,
    concurrency: 4,
    watches: [{ informer: clusters, map: () => [] }],
  });
  access.onMemberEvents(
    'copies',
    controller,
    clusterScopedOwnerRequest,
    (cluster, r) => (event) => event.type === 'delete' || !manager.ownWrites.isEcho(memberResourceKey(cluster, r.plural), event.object),
  );
  manager.ownWrites.onRecord((plural, stored, writer) => {
    if (plural === resource.plural && writer === PLACEMENT_CONTROLLER) controller.enqueue({ name: stored.metadata?.name ?? '' });
  });
  // Few objects: any change of a Cluster's reachability or labels looks at all of them.
  clusters.on(() => {
    for (const o of objects.list()) controller.enqueue({ name: o.metadata?.name ?? '' });
  });
}
