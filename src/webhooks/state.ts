/**
 * The operator's side of admission: the view the validators read, built on
 * the manager's shared informers (Workspaces feed a Forest, the same
 * hierarchy model the workspace reconciler uses), plus the two things that
 * need the API on the request path: a live read when the cache has not seen
 * a freshly created object yet, and the admin check.
 *
 * Who is an admin: members of `system:masters`, the operator itself, and
 * anyone RBAC allows the verb `*` on `workspaces.canopy.dev` cluster-wide
 * (cluster-admin, or a ClusterRole granting `*` on Canopy workspaces). The
 * last is a SubjectAccessReview, cached 10 s per user and groups. Ordinary
 * create/update rights on workspaces do not make anyone an admin: owners need
 * those too, since RBAC cannot scope cluster-scoped objects by parent.
 *
 * The author checks of PropagatedObjects (author-access.ts) are
 * SubjectAccessReviews too, for the requester exactly as the apiserver
 * authenticated it (user, uid, groups, extra), cached a few seconds: long
 * enough that a burst of applies asks once, short enough that a revoked
 * right stops counting almost at once.
 */
import { LRUCache } from 'lru-cache';
import { isNotFound, Resources, type ApiClient, type Informer, type KubeObject, type Manager } from '../runtime/index.js';
import type { PlacementPolicy } from '../reconcilers/placement/types.js';
import type { PlacementView } from '../reconcilers/placement/validator.js';
import { Forest } from '../hierarchy/forest.js';
import { guessPlural, accessKey, type AccessAttributes } from '../admission/author-access.js';
import type { AdmissionBackend, PlacedResource } from './dispatcher.js';
import type { Requester } from '../admission/request.js';
import { DEFAULT_RESERVED, type ReservedNamespaces } from '../admission/reserved-names.js';
import type { ClusterLike, LogicalClusterView, NamespaceLike, WorkspaceLike } from '../admission/tree.js';

const BY_WORKSPACE = 'webhook:spec.workspace';
/** Objects fetched live stay in the overlay this long; the informer has them by then. */
const OVERLAY_TTL_MS = 30_000;
const ADMIN_TTL_MS = 10_000;
const ACCESS_TTL_MS = 5_000;
const LIVE_READ_TIMEOUT_MS = 2_000;

type Obj<T> = T & KubeObject;

export class AdmissionState implements PlacementView, AdmissionBackend {
  readonly view: PlacementView = this;
  private readonly forest = new Forest();
  private readonly workspaces: Informer<Obj<WorkspaceLike>>;
  private readonly logicalClusters: Informer<Obj<LogicalClusterView>>;
  private readonly namespaces: Informer<Obj<NamespaceLike>>;
  private readonly clusterInformer: Informer<Obj<ClusterLike>>;
  private readonly policies: Informer<Obj<PlacementPolicy>>;
  private readonly overlay = new Map<string, { object: KubeObject; expires: number }>();
  private readonly admins = new LRUCache<string, boolean>({ max: 1000, ttl: ADMIN_TTL_MS });
  private readonly access = new LRUCache<string, boolean>({ max: 5000, ttl: ACCESS_TTL_MS });
  readonly reserved: ReservedNamespaces;
  private selfUsername: string | undefined;
  /** Whether the apiserver answered who the operator is (or that it cannot say). */
  private selfLearned = false;
  /** Bumped on every Workspace and Cluster event: see TreeView.version. */
  private treeVersion = 0;

  constructor(
    private readonly client: ApiClient,
    manager: Pick<Manager, 'informer'>,
    options: { readonly reserved?: ReservedNamespaces } = {},
  ) {
    this.reserved = options.reserved ?? DEFAULT_RESERVED;
    this.workspaces = manager.informer<Obj<WorkspaceLike>>(Resources.Workspace);
    this.logicalClusters = manager.informer<Obj<LogicalClusterView>>(Resources.LogicalCluster);
    // Every namespace: admission needs their labels, and whether a name is already taken.
    this.namespaces = manager.informer<Obj<NamespaceLike>>(Resources.Namespace);
    this.clusterInformer = manager.informer<Obj<ClusterLike>>(Resources.Cluster);
    this.policies = manager.informer<Obj<PlacementPolicy>>(Resources.PlacementPolicy);
    this.logicalClusters.addIndexer(BY_WORKSPACE, (lc) => (lc.spec?.workspace ? [lc.spec.workspace] : []));
    this.clusterInformer.on(() => this.treeVersion++);
    this.workspaces.on((event) => {
      this.treeVersion++;
      const name = event.object.metadata?.name ?? '';
      if (event.type === 'delete') this.forest.removeWorkspace(name);
      else {
        const spec = event.object.spec ?? {};
        this.forest.setWorkspace(name, spec.parent ?? '', { owners: spec.owners ?? [], constraints: spec.constraints ?? {} });
      }
    });
  }

  /** Whether every informer the validators read has synced. */
  synced(): boolean {
    return [this.workspaces, this.logicalClusters, this.namespaces, this.clusterInformer, this.policies].every((i) => i.hasSynced());
  }

  /** Learns the operator's own identity, which always counts as admin. */
  /** The operator's own user name, once learned (undefined on apiservers without SelfSubjectReview). */
  get operatorUsername(): string | undefined {
    return this.selfUsername;
  }

  async learnSelf(): Promise<void> {
    try {
      const review = await this.client.request<{ status?: { userInfo?: { username?: string } } }>('POST', '/apis/authentication.k8s.io/v1/selfsubjectreviews', {
        body: { apiVersion: 'authentication.k8s.io/v1', kind: 'SelfSubjectReview' },
        timeoutMs: LIVE_READ_TIMEOUT_MS,
      });
      this.selfUsername = review.status?.userInfo?.username;
      this.selfLearned = true;
    } catch (err) {
      // Only an apiserver without the API settles it: older apiservers, where the operator then needs `*` on
      // workspaces like any admin. An apiserver that is restarting or unreachable (a replica starting during
      // an outage) is asked again on the next admin check; settling for "unknown" then would have this
      // replica's webhook deny the operator's own namespace labels for as long as it runs.
      if (isNotFound(err)) this.selfLearned = true;
    }
  }

  // ---------------------------------------------------------------- TreeView

  version(): number {
    return this.treeVersion;
  }

  workspace(name: string): WorkspaceLike | undefined {
    return this.workspaces.get(name) ?? (this.fromOverlay(`workspace/${name}`) as WorkspaceLike | undefined);
  }

  logicalClustersIn(workspace: string): readonly LogicalClusterView[] {
    return this.logicalClusters.byIndex(BY_WORKSPACE, workspace);
  }

  childrenOf(workspace: string): readonly string[] {
    return this.forest.children(workspace);
  }

  namespace(name: string): NamespaceLike | undefined {
    return this.namespaces.get(name) ?? (this.fromOverlay(`namespace/${name}`) as NamespaceLike | undefined);
  }

  clusters(): readonly ClusterLike[] {
    return this.clusterInformer.list();
  }

  placementPolicy(name: string): PlacementPolicy | undefined {
    return this.policies.get(name);
  }

  placementPolicies(): readonly PlacementPolicy[] {
    return this.policies.list();
  }

  // ---------------------------------------------------------------- AdmissionBackend

  async ensureWorkspaces(names: readonly string[]): Promise<void> {
    await Promise.all(names.filter((n) => !this.workspace(n)).map((n) => this.fetch('workspace', Resources.Workspace, n)));
  }

  async ensureNamespace(name: string): Promise<void> {
    if (!this.namespace(name)) await this.fetch('namespace', Resources.Namespace, name);
  }

  async isAdmin(requester: Pick<Requester, 'username' | 'groups'>): Promise<boolean> {
    if (requester.groups.includes('system:masters')) return true;
    if (!this.selfLearned) await this.learnSelf();
    if (this.selfUsername !== undefined && requester.username === this.selfUsername) return true;
    const key = `${requester.username}\u0000${[...requester.groups].sort().join('\u0000')}`;
    const cached = this.admins.get(key);
    if (cached !== undefined) return cached;
    const review = await this.client.request<{ status?: { allowed?: boolean } }>('POST', '/apis/authorization.k8s.io/v1/subjectaccessreviews', {
      body: {
        apiVersion: 'authorization.k8s.io/v1',
        kind: 'SubjectAccessReview',
        spec: { user: requester.username, groups: requester.groups, resourceAttributes: { group: 'canopy.dev', resource: 'workspaces', verb: '*' } },
      },
      timeoutMs: LIVE_READ_TIMEOUT_MS,
    });
    const allowed = review.status?.allowed === true;
    this.admins.set(key, allowed);
    return allowed;
  }

  async canI(requester: Requester, attributes: AccessAttributes): Promise<boolean> {
    const key = accessKey(requester, attributes);
    const cached = this.access.get(key);
    if (cached !== undefined) return cached;
    const review = await this.client.request<{ status?: { allowed?: boolean } }>('POST', '/apis/authorization.k8s.io/v1/subjectaccessreviews', {
      body: {
        apiVersion: 'authorization.k8s.io/v1',
        kind: 'SubjectAccessReview',
        spec: {
          user: requester.username,
          groups: requester.groups,
          ...(requester.uid ? { uid: requester.uid } : {}),
          ...(requester.extra ? { extra: requester.extra } : {}),
          resourceAttributes: {
            verb: attributes.verb,
            group: attributes.group,
            resource: attributes.resource,
            ...(attributes.namespace ? { namespace: attributes.namespace } : {}),
            ...(attributes.name ? { name: attributes.name } : {}),
          },
        },
      },
      timeoutMs: LIVE_READ_TIMEOUT_MS,
    });
    const allowed = review.status?.allowed === true;
    this.access.set(key, allowed);
    return allowed;
  }

  async resourceOf(apiVersion: string, kind: string): Promise<PlacedResource> {
    const group = apiVersion.includes('/') ? apiVersion.slice(0, apiVersion.indexOf('/')) : '';
    try {
      const ref = await this.client.resourceFor(apiVersion, kind);
      return { group, resource: ref.plural, namespaced: ref.namespaced };
    } catch (err) {
      // A kind only the members serve (a CRD installed there): RBAC on the host can still grant it by name.
      if (isNotFound(err)) return { group, resource: guessPlural(kind), namespaced: true };
      throw err;
    }
  }

  async readObject(apiVersion: string, kind: string, namespace: string, name: string): Promise<KubeObject | undefined> {
    const ref = await this.client.resourceFor(apiVersion, kind);
    return this.client.tryGet(ref, name, namespace);
  }

  private fromOverlay(key: string): KubeObject | undefined {
    const entry = this.overlay.get(key);
    if (!entry) return undefined;
    if (entry.expires < Date.now()) {
      this.overlay.delete(key);
      return undefined;
    }
    return entry.object;
  }

  private async fetch(kind: string, resource: (typeof Resources)[keyof typeof Resources], name: string): Promise<void> {
    const object = await this.client.tryGet(resource, name);
    if (object) this.overlay.set(`${kind}/${name}`, { object, expires: Date.now() + OVERLAY_TTL_MS });
  }
}
