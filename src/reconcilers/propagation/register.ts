/**
 * Wiring of the propagation feature: three controllers sharing the host
 * caches and the member clusters' informers.
 *
 * - `propagation-syncer` (per PropagatedObject): member copies, drift,
 *   failover handover, status;
 * - `propagation-companions` (per namespace): dependencies and tenant RBAC
 *   next to the workloads, member namespaces;
 * - `propagation-generator` (per plain object): PropagatedObjects for
 *   objects a PlacementPolicy selects.
 */
import { CoalescingWriter, Resources, type Informer, type KubeObject, type Manager, type Request } from '../../runtime/index.js';
import { CONTROLLER_NAME as PLACEMENT_CONTROLLER } from '../placement/reconciler.js';
import { BoundarySource } from './boundary-source.js';
import { registerClusterScopedSyncer } from './cluster-scoped.js';
import { CompanionSyncer, type HostCompanionInformers } from './companion-syncer.js';
import { COMPANION_TYPES, type CompanionKind } from './companions.js';
import { generatedSourceRequests, Generator, type PolicyObject } from './generator.js';
import { writeStatus, type PropagatedObjectLike } from './host.js';
import { jsonEqual } from './jsonpatch.js';
import { MemberAccess, unreachableReason, type ClusterObject } from './members.js';
import { ownerKeyOf } from './names.js';
import type { SyncStatus } from './status.js';
import { memberResourceKey, PropagationSyncer, type SyncerOptions } from './syncer.js';
import { RolloutGate } from './rollout-gate.js';

export interface PropagationOptions extends SyncerOptions {
  /** PropagatedObjects synced at once (each fans out to its clusters in parallel); default 32. */
  readonly concurrency?: number;
  /** Also generate PropagatedObjects for plain objects selected by PlacementPolicies; default true. */
  readonly generate?: boolean;
  /** Status writes in flight at once (they wait while member writes are pending); default 16. */
  readonly statusConcurrency?: number;
}
/** A status write that failed is retried by reconciling the object again after this long. */
const STATUS_RETRY_MS = 1_000;
const SYNCER_CONTROLLER = 'propagation-syncer';

const CLUSTER_INDEX = 'propagation-cluster';
/** Companions of a namespace are re-planned at most this often while its PropagatedObjects change in bulk. */
const COMPANION_COALESCE_MS = 500;

function clustersOf(po: PropagatedObjectLike): string[] {
  return [...new Set([...(po.status?.placement ?? []).map((p) => p.cluster), ...(po.status?.clusters ?? []).map((c) => c.cluster)])];
}

/** What about a Cluster matters to placed copies: reachability and the labels overrides select on. */
function clusterFingerprint(c: ClusterObject): string {
  return JSON.stringify([unreachableReason(c) ?? '', c.metadata?.labels ?? {}]);
}

function rolloutOfPolicy(policy: KubeObject): unknown {
  return (policy as { spec?: { rollout?: unknown } }).spec?.rollout ?? null;
}

function ownerRequest(object: KubeObject): Request[] {
  const key = ownerKeyOf(object.metadata?.annotations);
  // `/<name>`: a ClusterPropagatedObject's copy, handled by its own syncer (cluster-scoped.ts).
  if (!key || key.startsWith('/')) return [];
  const slash = key.indexOf('/');
  return [{ namespace: key.slice(0, slash), name: key.slice(slash + 1) }];
}

export function registerPropagation(manager: Manager, options: PropagationOptions = {}): void {
  const pos = manager.informer<PropagatedObjectLike>(Resources.PropagatedObject);
  const clusters = manager.informer<ClusterObject>(Resources.Cluster);
  const namespaces = manager.informer(Resources.Namespace);
  pos.addIndexer(CLUSTER_INDEX, clustersOf);
  const access = new MemberAccess(manager, clusters);
  const boundaries = new BoundarySource(manager, namespaces);

  // Status reports trail the member writes (see CoalescingWriter): a failover's moves come first,
  // and while the syncer has keys waiting its reports wait too (at most REPORT_MAX_DEFER_MS).
  const statusLogger = manager.logger.child({ controller: SYNCER_CONTROLLER });
  const statusWriter = new CoalescingWriter<{ po: PropagatedObjectLike; status: SyncStatus }>({
    concurrency: options.statusConcurrency ?? 16,
    yieldTo: () => manager.urgentWork.pending(),
    write: async (_key, { po, status }) => {
      const latest = manager.ownWrites.freshest(Resources.PropagatedObject.plural, pos.get(po.metadata?.name ?? '', po.metadata?.namespace));
      if (!latest || latest.metadata?.uid !== po.metadata?.uid) return; // deleted, or a new object of that name
      await writeStatus(manager.client, latest, status, manager.ownWrites);
    },
    onFailure: (key, { po }, err) => {
      statusLogger.warn({ object: key, err: err instanceof Error ? err.message : String(err) }, 'status write failed; reconciling again');
      syncController.enqueueAfter({ namespace: po.metadata?.namespace ?? '', name: po.metadata?.name ?? '' }, STATUS_RETRY_MS);
    },
  });
  const statuses = {
    submit: (po: PropagatedObjectLike, status: SyncStatus) => statusWriter.submit(`${po.metadata?.namespace}/${po.metadata?.name}`, { po, status }),
  };
  // Rolling and Staged rollouts read the rollout of the PlacementPolicy that placed an object (rollout-gate.ts).
  const policyInformer = manager.informer(Resources.PlacementPolicy);
  const rollouts = new RolloutGate(policyInformer);
  const syncer = new PropagationSyncer(
    manager.client,
    access,
    pos,
    namespaces,
    options,
    statuses,
    boundaries,
    manager.ownWrites,
    Resources.PropagatedObject,
    rollouts,
  );
  const syncController = manager.addController({
    name: SYNCER_CONTROLLER,
    // The echo of a write this process made (the syncer's own status or finalizer, placement's
    // record of a decision the syncer already acted on) wakes nobody.
    for: {
      resource: Resources.PropagatedObject,
      predicate: (event) => event.type !== 'update' || !manager.ownWrites.isEcho(Resources.PropagatedObject.plural, event.object),
    },
    reconciler: syncer,
    concurrency: options.concurrency ?? 32,
    // Listed so the controller starts only once these caches synced; their events are handled below, selectively.
    watches: [
      { informer: clusters, map: () => [] },
      { informer: namespaces, map: () => [] },
      // Also keeps a restarted syncer from rolling a change out everywhere before it knows the policies' rollouts.
      {
        informer: policyInformer,
        predicate: (event) => event.type !== 'update' || !jsonEqual(rolloutOfPolicy(event.old), rolloutOfPolicy(event.object)),
        map: (policy: KubeObject) =>
          pos
            .list()
            .filter((po) => (po.status as { policy?: string } | undefined)?.policy === policy.metadata?.name)
            .map((po) => ({ namespace: po.metadata?.namespace ?? '', name: po.metadata?.name ?? '' })),
      },
    ],
  });
  manager.urgentWork.register(SYNCER_CONTROLLER, () => syncController.pending);
  registerClusterScopedSyncer(manager, access, clusters, namespaces, boundaries, options);
  // Echoes of the syncer's own applies are skipped: the reconcile that wrote a copy reported from the stored object.
  access.onMemberEvents(
    'copies',
    syncController,
    ownerRequest,
    (cluster, resource) => (event) => event.type === 'delete' || !manager.ownWrites.isEcho(memberResourceKey(cluster, resource.plural), event.object),
  );
  // A new placement is acted on as soon as the placement reconciler decides it (its announced intent),
  // not after its status write and the write's watch event.
  manager.ownWrites.onRecord((resource, stored, writer) => {
    if (resource === Resources.PropagatedObject.plural && writer === PLACEMENT_CONTROLLER)
      syncController.enqueue({ namespace: stored.metadata?.namespace ?? '', name: stored.metadata?.name ?? '' });
  });
  // A member becoming (un)reachable or relabelled matters to every PropagatedObject there; probe-time updates do not.
  clusters.on((event) => {
    if (event.type === 'update' && clusterFingerprint(event.old) === clusterFingerprint(event.object)) return;
    for (const po of pos.byIndex(CLUSTER_INDEX, event.object.metadata?.name ?? ''))
      syncController.enqueue({ namespace: po.metadata?.namespace ?? '', name: po.metadata?.name ?? '' });
  });
  namespaces.on((event) => {
    if (event.type !== 'update' || jsonEqual(event.old.metadata?.labels ?? {}, event.object.metadata?.labels ?? {})) return;
    for (const po of pos.list(event.object.metadata?.name ?? ''))
      syncController.enqueue({ namespace: po.metadata?.namespace ?? '', name: po.metadata?.name ?? '' });
  });

  const host = Object.fromEntries(
    (Object.keys(COMPANION_TYPES) as CompanionKind[]).map((kind) => {
      const type = COMPANION_TYPES[kind];
      return [kind, manager.informer({ apiVersion: type.apiVersion, kind, plural: type.plural, namespaced: true })];
    }),
  ) as HostCompanionInformers;
  const companions = new CompanionSyncer(access, pos, namespaces, host, boundaries, options.unreachableRetryMs);
  const namespaceOf = (o: KubeObject): Request[] =>
    o.metadata?.namespace && pos.list(o.metadata.namespace).length > 0 ? [{ name: o.metadata.namespace }] : [];
  const companionController = manager.addController({
    name: 'propagation-companions',
    for: Resources.Namespace,
    reconciler: companions,
    concurrency: 4,
    watches: [...(Object.values(host) as Informer[]), ...boundaries.hostObjects].map((informer) => ({ informer, map: namespaceOf })),
  });
  // The boundary follows the host: a boundary object edited or deleted on a member is put back.
  access.onMemberEvents('boundary', companionController, (o) => (o.metadata?.namespace ? [{ name: o.metadata.namespace }] : []));
  // A workspace's constraints set the pod-security level of its home namespace and of everything below
  // it: when they change, every namespace with placed objects is looked at again (rare, and cheap per namespace).
  boundaries.workspaces.on((event) => {
    if (event.type === 'update' && jsonEqual(event.old.spec ?? {}, event.object.spec ?? {})) return;
    for (const ns of new Set(pos.list().map((po) => po.metadata?.namespace ?? ''))) companionController.enqueueAfter({ name: ns }, COMPANION_COALESCE_MS);
  });
  access.onMemberEvents('companions', companionController, (o) => (o.metadata?.namespace ? [{ name: o.metadata.namespace }] : []));
  access.onMemberEvents('namespaces', companionController, (o) => [{ name: o.metadata?.name ?? '' }]);
  // Only where a PropagatedObject runs (or stops running) changes what its namespace needs. A
  // namespace's plan covers all its workloads, so a burst of changes is coalesced into one pass.
  pos.on((event) => {
    if (
      event.type === 'update' &&
      jsonEqual(clustersOf(event.old), clustersOf(event.object)) &&
      jsonEqual(event.old.spec?.template, event.object.spec?.template)
    )
      return;
    companionController.enqueueAfter({ name: event.object.metadata?.namespace ?? '' }, COMPANION_COALESCE_MS);
  });
  // A member that appears gets its namespace informer, so namespaces left behind by a deleted tenant are found after a restart.
  clusters.on((event) => {
    if (event.type === 'delete' || unreachableReason(event.object)) return;
    void access
      .member(event.object.metadata?.name ?? '')
      .then(async (member) => {
        if (typeof member !== 'string') await access.informer('namespaces', member, Resources.Namespace);
      })
      .catch(() => undefined);
  });

  if (options.generate ?? true) {
    const policies = manager.informer<PolicyObject>(Resources.PlacementPolicy);
    const generator = new Generator(manager, policies, pos, namespaces, manager.logger.child({ controller: 'propagation-generator' }));
    const generatorController = manager.addController({
      name: 'propagation-generator',
      for: Resources.PlacementPolicy,
      reconciler: generator,
      concurrency: 4,
      watches: [{ informer: pos, map: generatedSourceRequests }],
    });
    generator.attach(generatorController);
    namespaces.on((event) => {
      if (event.type === 'update' && !jsonEqual(event.old.metadata?.labels ?? {}, event.object.metadata?.labels ?? {}))
        generator.namespaceChanged(event.object.metadata?.name ?? '');
    });
  }
}
