/**
 * The syncer's view of member clusters: reachability (from the Cluster
 * objects the health reconciler maintains), label-selected informers on each
 * member for the objects Canopy placed there (their events wake the owning
 * PropagatedObject, which is how drift is noticed), resource discovery, and
 * the namespaces copies land in.
 */
import {
  apply,
  MemberClusterUnavailableError,
  resourcePath,
  Resources,
  type Controller,
  type Predicate,
  type Informer,
  type KubeObject,
  type Manager,
  type MemberCluster,
  type Request,
  type ResourceRef,
} from '../../runtime/index.js';
import { LABEL_MANAGED_BY, LABEL_LOGICAL_CLUSTER, LABEL_WORKSPACE, MANAGED_BY_VALUE, TAINT_UNREACHABLE } from '../../crds/labels.js';
import { BOUNDARY_ROLE, BOUNDARY_TYPES } from './boundary.js';
import type { NamespaceRequest } from './boundary-source.js';
import { ANNOTATION_PROPAGATED_OBJECT, LABEL_COMPANION, LABEL_PROPAGATED_OBJECT } from './names.js';

/** Index of member copies by the `namespace/name` of their PropagatedObject. */
export const OWNER_INDEX = 'propagated-object';
/** On member namespaces the syncer created (and so may delete once the tenant namespace is gone). */
export const NAMESPACE_ROLE = 'namespace';
/** How long a reconcile waits for a member informer's first list before treating the member as unreachable. */
const SYNC_WAIT_MS = 10_000;

export interface ClusterObject extends KubeObject {
  spec?: { region?: string; taints?: Array<{ key: string; effect: string }> };
  status?: { conditions?: Array<{ type: string; status: string; reason?: string; message?: string }> };
}

/** Why a member cannot be used right now, or undefined when it can. */
export function unreachableReason(cluster: ClusterObject | undefined): string | undefined {
  if (!cluster) return 'no such Cluster';
  if (cluster.metadata?.deletionTimestamp) return 'Cluster is being deleted';
  const ready = cluster.status?.conditions?.find((c) => c.type === 'Ready');
  // No Ready condition yet (health not probed yet) counts as reachable: the first request tells.
  // The reason only: the probe's message varies from probe to probe (refused, reset, timed out), and
  // this text is in every PropagatedObject on the cluster; the Cluster's own status has the details.
  if (ready?.status === 'False') return `Ready=False (${ready.reason ?? 'NotReady'}; details in the status of Cluster ${cluster.metadata?.name})`;
  if (cluster.spec?.taints?.some((t) => t.key === TAINT_UNREACHABLE)) return `tainted ${TAINT_UNREACHABLE}`;
  return undefined;
}

/** Errors that mean "the member did not answer" rather than "the member said no". */
export function isConnectionError(err: unknown): boolean {
  if (err instanceof MemberClusterUnavailableError) return true;
  const code = (err as { code?: unknown })?.code;
  if (typeof code === 'string' && /^(ECONNREFUSED|ECONNRESET|ETIMEDOUT|EHOSTUNREACH|ENOTFOUND|EPIPE|UND_ERR)/.test(code)) return true;
  const message = err instanceof Error ? err.message : String(err);
  return /ECONNREFUSED|ECONNRESET|socket hang up|connection closed|timed? ?out|aborted/i.test(message);
}

function ownerIndex(object: KubeObject): string[] {
  const key = object.metadata?.annotations?.[ANNOTATION_PROPAGATED_OBJECT];
  return key ? [key] : [];
}

type Kind = 'copies' | 'companions' | 'namespaces' | 'boundary';

const SELECTORS: Readonly<Record<Kind, string>> = {
  copies: LABEL_PROPAGATED_OBJECT,
  companions: LABEL_COMPANION,
  namespaces: `${LABEL_COMPANION}=${NAMESPACE_ROLE}`,
  boundary: `${LABEL_COMPANION}=${BOUNDARY_ROLE}`,
};

export class MemberAccess {
  private readonly subscribed = new Map<string, Informer>();
  /** `cluster/namespace` → fingerprint of the boundary last written there by this process. */
  private readonly namespaces = new Map<string, string>();
  private readonly ensuring = new Map<string, Promise<void>>();
  private readonly triggers: Record<
    Kind,
    Array<{ controller: Controller; map: (o: KubeObject) => Request[]; predicate?: (cluster: string, resource: ResourceRef) => Predicate }>
  > = { copies: [], companions: [], namespaces: [], boundary: [] };

  /** When each cluster last turned from unreachable to reachable (ms since epoch); 0 when it was reachable from the start. */
  private readonly reachableSince = new Map<string, number>();

  constructor(
    private readonly manager: Manager,
    readonly clusters: Informer<ClusterObject>,
  ) {
    clusters.on((event) => {
      const name = event.object.metadata?.name ?? '';
      if (event.type === 'delete') return void this.reachableSince.delete(name);
      const reachable = unreachableReason(event.object) === undefined;
      if (!reachable) this.reachableSince.delete(name);
      else if (!this.reachableSince.has(name)) this.reachableSince.set(name, event.type === 'add' ? 0 : Date.now());
    });
    manager.members.onClose((cluster) => {
      for (const key of [...this.subscribed.keys()]) if (key.startsWith(`${cluster}|`)) this.subscribed.delete(key);
      for (const key of [...this.namespaces.keys()]) if (key.startsWith(`${cluster}/`)) this.namespaces.delete(key);
    });
  }

  /** Controllers that want events of one kind of member informer (registered before any informer is made). */
  onMemberEvents(
    kind: Kind,
    controller: Controller,
    map: (o: KubeObject) => Request[],
    predicate?: (cluster: string, resource: ResourceRef) => Predicate,
  ): void {
    this.triggers[kind].push({ controller, map, ...(predicate ? { predicate } : {}) });
  }

  /** Clusters that became reachable again within the last `ms`, with how long until that window ends. */
  recentlyRecovered(ms: number, now = Date.now()): Map<string, number> {
    const out = new Map<string, number>();
    for (const [name, since] of this.reachableSince) if (since > 0 && now - since < ms) out.set(name, ms - (now - since));
    return out;
  }

  cluster(name: string): ClusterObject | undefined {
    return this.clusters.get(name);
  }

  registeredNames(): Set<string> {
    return new Set(this.clusters.list().map((c) => c.metadata?.name ?? ''));
  }

  /** The member's client, or the reason it cannot be used now. */
  async member(name: string, signal?: AbortSignal): Promise<MemberCluster | string> {
    const why = unreachableReason(this.cluster(name));
    if (why) return why;
    try {
      return await this.manager.members.get(name, signal);
    } catch (err) {
      if (err instanceof MemberClusterUnavailableError) return `${err.reason}: ${err.message}`;
      throw err;
    }
  }

  /** A label-selected informer on the member, synced, with its events wired to the interested controllers; a string when it cannot sync in time. */
  async informer(kind: Kind, member: MemberCluster, resource: ResourceRef, signal?: AbortSignal): Promise<Informer | string> {
    const informer = member.informer(resource, { labelSelector: SELECTORS[kind] });
    const key = `${member.name}|${kind}|${resource.apiVersion}|${resource.plural}`;
    if (!this.subscribed.has(key)) {
      this.subscribed.set(key, informer);
      informer.addIndexer(OWNER_INDEX, ownerIndex);
      for (const t of this.triggers[kind]) {
        const stop = t.controller.watch(informer, t.map, t.predicate?.(member.name, resource));
        member.signal.addEventListener('abort', stop, { once: true });
      }
    }
    if (informer.hasSynced()) return informer;
    const timeout = AbortSignal.timeout(SYNC_WAIT_MS);
    try {
      await informer.waitForSync(signal ? AbortSignal.any([signal, timeout]) : timeout);
      return informer;
    } catch {
      return `the member's ${resource.plural} did not list within ${SYNC_WAIT_MS / 1000}s`;
    }
  }

  /** Every running informer of a kind on any member for a resource (`*` matches any), to find copies wherever they are. */
  running(kind: Kind, apiVersion: string, plural: string): Array<{ cluster: string; informer: Informer }> {
    const out: Array<{ cluster: string; informer: Informer }> = [];
    for (const [key, informer] of this.subscribed) {
      const [cluster, k, av, p] = key.split('|');
      if (k === kind && (apiVersion === '*' || av === apiVersion) && (plural === '*' || p === plural)) out.push({ cluster: cluster!, informer });
    }
    return out;
  }

  /** Clusters on which an informer of this kind runs. */
  clustersWith(kind: Kind): Set<string> {
    const out = new Set<string>();
    for (const key of this.subscribed.keys()) {
      const [cluster, k] = key.split('|');
      if (k === kind) out.add(cluster!);
    }
    return out;
  }

  /**
   * Makes sure the member namespace exists, is this tenant's, and carries the
   * tenant boundary (pod-security labels, quota, limits, network policies)
   * before anything of the tenant is written into it.
   *
   * Never adopt: a namespace of that name that Canopy did not create for this
   * host namespace (no Canopy labels, another tenant's labels, or the record
   * of another host namespace's uid) is never written to; the caller reports
   * the conflict. One Canopy made for an earlier host namespace of the same
   * name (deleted and created again) is Canopy's own leftover: it is deleted,
   * and created again once it has terminated.
   */
  async ensureNamespace(member: MemberCluster, request: NamespaceRequest, signal?: AbortSignal): Promise<void> {
    const key = `${member.name}/${request.namespace}`;
    if (this.namespaces.get(key) === request.boundary.fingerprint) return;
    // Many reconciles of one namespace start together: let them share one check.
    let pending = this.ensuring.get(key);
    if (!pending) {
      pending = this.prepareNamespace(member, request, signal).finally(() => this.ensuring.delete(key));
      this.ensuring.set(key, pending);
    }
    await pending;
  }

  private async prepareNamespace(member: MemberCluster, request: NamespaceRequest, signal?: AbortSignal): Promise<void> {
    const { namespace } = request;
    const existing = await member.client.tryGet(Resources.Namespace, namespace);
    if (existing?.metadata?.deletionTimestamp) throw new Error(`namespace ${namespace} on ${member.name} is terminating; retrying once it is gone`);
    if (existing) {
      const verdict = memberNamespaceOwnership(existing, request);
      if (verdict === 'foreign') throw new MemberNamespaceConflictError(member.name, namespace);
      if (verdict === 'stale') {
        await member.client.delete(Resources.Namespace, namespace, undefined, {
          preconditions: { uid: existing.metadata?.uid },
          propagationPolicy: 'Background',
          signal,
        });
        throw new Error(
          `namespace ${namespace} on ${member.name} was left from an earlier namespace of that name; it is being removed and will be created again`,
        );
      }
    }
    await apply(member.client, memberNamespace(request), { resource: Resources.Namespace, signal });
    for (const object of request.boundary.objects) {
      const type = BOUNDARY_TYPES.find((t) => t.kind === object.kind)!;
      await apply(member.client, object as KubeObject, {
        resource: { apiVersion: type.apiVersion, kind: type.kind, plural: type.plural, namespaced: true },
        signal,
      });
    }
    this.namespaces.set(`${member.name}/${namespace}`, request.boundary.fingerprint);
  }

  /** Forgets that a namespace exists (after it was deleted, or an apply said it is missing). */
  forgetNamespace(cluster: string, namespace: string): void {
    this.namespaces.delete(`${cluster}/${namespace}`);
  }

  /**
   * Reads an object Canopy's label-selected cache does not show: undefined
   * when it does not exist. `resourceVersion=0` lets the apiserver answer
   * from its watch cache instead of a quorum read from etcd: as fresh as an
   * informer, at a fraction of the cost, which matters when thousands of
   * copies are created at once.
   */
  async lookup(member: MemberCluster, resource: ResourceRef, name: string, namespace: string): Promise<KubeObject | undefined> {
    return member.client.find<KubeObject>(resourcePath(resource, namespace, name), { query: { resourceVersion: '0' } });
  }
}

/** A member namespace of that name exists and is not this tenant's: Canopy writes nothing into it. */
export class MemberNamespaceConflictError extends Error {
  constructor(
    readonly cluster: string,
    readonly namespace: string,
  ) {
    super(
      `namespace ${namespace} already exists on cluster ${cluster} and was not created by Canopy for this tenant; ` +
        'Canopy never writes into it (delete or rename it there, or use another namespace)',
    );
    this.name = 'MemberNamespaceConflictError';
  }
}

/** On member namespaces the syncer created: the uid of the host namespace they mirror. */
export const ANNOTATION_HOST_NAMESPACE_UID = 'canopy.dev/host-namespace-uid';

/**
 * Whose an existing member namespace is: this tenant's (`ours`), Canopy's
 * own for an earlier host namespace of that name (`stale`), or anyone
 * else's (`foreign`). Labels alone are not proof: the uid recorded at
 * creation must match the host namespace as well. A Canopy namespace
 * without the record (made before it was kept) counts as ours and gets it.
 */
export function memberNamespaceOwnership(existing: KubeObject, request: Pick<NamespaceRequest, 'tenantLabels' | 'hostUid'>): 'ours' | 'stale' | 'foreign' {
  const labels = existing.metadata?.labels ?? {};
  if (labels[LABEL_MANAGED_BY] !== MANAGED_BY_VALUE || labels[LABEL_COMPANION] !== NAMESPACE_ROLE) return 'foreign';
  for (const key of [LABEL_WORKSPACE, LABEL_LOGICAL_CLUSTER]) if (labels[key] !== request.tenantLabels[key]) return 'foreign';
  const recorded = existing.metadata?.annotations?.[ANNOTATION_HOST_NAMESPACE_UID];
  return recorded === undefined || recorded === request.hostUid ? 'ours' : 'stale';
}

/** The member namespace as Canopy applies it: Canopy's labels, the tenant's, the boundary's, and the host uid record. */
export function memberNamespace(request: NamespaceRequest): KubeObject {
  return {
    apiVersion: 'v1',
    kind: 'Namespace',
    metadata: {
      name: request.namespace,
      labels: { ...request.boundary.namespaceLabels, ...request.tenantLabels, [LABEL_MANAGED_BY]: MANAGED_BY_VALUE, [LABEL_COMPANION]: NAMESPACE_ROLE },
      annotations: { [ANNOTATION_HOST_NAMESPACE_UID]: request.hostUid },
    },
  };
}

/** The tenant labels (workspace, logical cluster) of a host namespace, copied onto everything placed for it. */
export function tenantLabels(namespace: KubeObject | undefined): Record<string, string> {
  const labels = namespace?.metadata?.labels ?? {};
  const out: Record<string, string> = {};
  for (const k of [LABEL_WORKSPACE, LABEL_LOGICAL_CLUSTER]) if (labels[k]) out[k] = labels[k];
  return out;
}
