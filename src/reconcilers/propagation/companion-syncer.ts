/**
 * Keeps a tenant namespace's companions on member clusters (see
 * companions.ts): dependencies next to the workloads that reference them,
 * the tenant's Canopy-managed Roles and RoleBindings wherever its workloads
 * run. Reconciled per namespace, because a dependency shared by two
 * workloads stays on a cluster until neither runs there.
 *
 * It also keeps the tenant boundary of each member namespace (boundary.ts):
 * pod-security labels, quota, limits and network policies, repaired when
 * someone edits or deletes them on the member.
 *
 * When the host namespace itself is gone, the member namespaces the syncer
 * created for it are deleted too (only those labelled as created by it).
 */
import {
  apply,
  isNotFound,
  Resources,
  type Informer,
  type KubeObject,
  type MemberCluster,
  type ReconcileContext,
  type ReconcileResult,
  type Request,
  type ResourceRef,
} from '../../runtime/index.js';
import { LABEL_MANAGED_BY, MANAGED_BY_VALUE } from '../../crds/labels.js';
import { BOUNDARY_TYPES, boundaryKey, namespaceLabelsDrifted } from './boundary.js';
import type { BoundarySource, NamespaceRequest } from './boundary-source.js';
import { COMPANION_TYPES, companionsToRemove, planCompanions, splitKey, type CompanionKind, type PlacedWorkload } from './companions.js';
import { inSync } from './drift.js';
import type { PropagatedObjectLike } from './host.js';
import { isConnectionError, tenantLabels, type MemberAccess } from './members.js';
import { LABEL_COMPANION, type CompanionRole } from './names.js';
import { portableObject, type PortableObject } from './portable.js';

/** Host objects that exist on every cluster by themselves and must never be copied. */
function copyable(kind: CompanionKind, object: KubeObject): boolean {
  const name = object.metadata?.name ?? '';
  if (kind === 'ConfigMap') return name !== 'kube-root-ca.crt';
  if (kind === 'ServiceAccount') return name !== 'default';
  if (kind === 'Secret') return (object as { type?: string }).type !== 'kubernetes.io/service-account-token';
  return true;
}

export type HostCompanionInformers = Readonly<Record<CompanionKind, Informer>>;

export class CompanionSyncer {
  constructor(
    private readonly access: MemberAccess,
    private readonly propagatedObjects: Informer<PropagatedObjectLike>,
    private readonly namespaces: Informer,
    private readonly host: HostCompanionInformers,
    private readonly boundaries: BoundarySource,
    private readonly retryMs = 15_000,
  ) {}

  async reconcile(request: Request, ctx: ReconcileContext): Promise<ReconcileResult | void> {
    const namespace = request.name;
    const ns = this.namespaces.get(namespace);
    if (!ns) return this.removeNamespace(namespace, ctx);

    const workloads: PlacedWorkload[] = this.propagatedObjects.list(namespace).map((po) => ({
      template: po.spec?.template,
      clusters: [...new Set([...(po.status?.placement ?? []).map((p) => p.cluster), ...(po.status?.clusters ?? []).map((c) => c.cluster)])],
    }));
    const available = new Set<string>();
    const rbac: string[] = [];
    for (const [kind, informer] of Object.entries(this.host) as Array<[CompanionKind, Informer]>) {
      for (const object of informer.list(namespace)) {
        if (!copyable(kind, object)) continue;
        const key = `${kind}/${object.metadata?.name ?? ''}`;
        if (kind === 'Role' || kind === 'RoleBinding') {
          if (object.metadata?.labels?.[LABEL_MANAGED_BY] === MANAGED_BY_VALUE) rbac.push(key);
        } else {
          available.add(key);
        }
      }
    }
    const plan = planCompanions({ workloads, available, rbac });
    const clusters = new Set([...plan.keys(), ...this.access.clustersWith('companions')]);
    const tenant = tenantLabels(ns);
    let pending = false;
    const errors: string[] = [];
    await Promise.all(
      [...clusters].map(async (cluster) => {
        try {
          const member = await this.access.member(cluster, ctx.signal);
          if (typeof member === 'string') {
            pending = true;
            return;
          }
          await this.syncCluster(member, namespace, plan.get(cluster), tenant, ctx);
        } catch (err) {
          if (isConnectionError(err)) pending = true;
          else errors.push(`${cluster}: ${(err as Error).message}`);
        }
      }),
    );
    if (errors.length > 0) throw new Error(`companions of namespace ${namespace}: ${errors.join('; ')}`);
    return pending ? { requeueAfter: this.retryMs } : undefined;
  }

  private async syncCluster(
    member: MemberCluster,
    namespace: string,
    desired: ReadonlyMap<string, CompanionRole> | undefined,
    tenant: Record<string, string>,
    ctx: ReconcileContext,
  ): Promise<void> {
    const live = new Map<string, { object: KubeObject; resource: ResourceRef }>();
    for (const [kind, type] of Object.entries(COMPANION_TYPES) as Array<[CompanionKind, { apiVersion: string; plural: string }]>) {
      const resource: ResourceRef = { apiVersion: type.apiVersion, kind, plural: type.plural, namespaced: true };
      const informer = await this.access.informer('companions', member, resource, ctx.signal);
      if (typeof informer === 'string') throw new Error(informer);
      for (const object of informer.list(namespace)) live.set(`${kind}/${object.metadata?.name ?? ''}`, { object, resource });
    }
    if (desired) await this.keepBoundary(member, namespace, ctx.signal);
    for (const [key, role] of desired ?? []) {
      const { kind, name } = splitKey(key);
      const source = this.host[kind].get(name, namespace);
      if (!source) continue;
      const type = COMPANION_TYPES[kind];
      const resource: ResourceRef = { apiVersion: type.apiVersion, kind, plural: type.plural, namespaced: true };
      const copy = portableObject(source as PortableObject);
      copy.metadata.namespace = namespace;
      copy.metadata.labels = { ...(copy.metadata.labels ?? {}), ...tenant, [LABEL_MANAGED_BY]: MANAGED_BY_VALUE, [LABEL_COMPANION]: role };
      const current = live.get(key)?.object;
      if (current && inSync(copy, current)) continue;
      if (!current) {
        const other = await this.access.lookup(member, resource, name, namespace);
        if (other && other.metadata?.labels?.[LABEL_MANAGED_BY] !== MANAGED_BY_VALUE) {
          ctx.logger.warn({ cluster: member.name, object: key }, 'a dependency exists on the member without canopy.dev/managed-by; left untouched');
          continue;
        }
      }
      await apply(member.client, copy as PortableObject & KubeObject, { resource, signal: ctx.signal });
    }
    for (const key of companionsToRemove(desired, live.keys())) {
      const entry = live.get(key)!;
      try {
        await member.client.delete(entry.resource, entry.object.metadata?.name ?? '', namespace, {
          preconditions: { uid: entry.object.metadata?.uid },
          signal: ctx.signal,
        });
      } catch (err) {
        if (!isNotFound(err)) throw err;
      }
    }
  }

  /**
   * The member namespace exists, is the tenant's, and carries the boundary:
   * drifted namespace labels make ensureNamespace write again, and boundary
   * objects edited, added or deleted on the member are put back as desired.
   */
  private async keepBoundary(member: MemberCluster, namespace: string, signal: AbortSignal): Promise<void> {
    const target = this.boundaries.lookup(namespace);
    if (!target.ok) return; // being deleted on the host: nothing new goes out, removeNamespace cleans up
    const namespaces = await this.access.informer('namespaces', member, Resources.Namespace, signal);
    const live = typeof namespaces === 'string' ? undefined : namespaces.get(namespace);
    if (live && namespaceLabelsDrifted(live.metadata?.labels, target.request.boundary)) this.access.forgetNamespace(member.name, namespace);
    await this.access.ensureNamespace(member, target.request, signal);
    await this.syncBoundaryObjects(member, target.request, signal);
  }

  private async syncBoundaryObjects(member: MemberCluster, request: NamespaceRequest, signal: AbortSignal): Promise<void> {
    const desired = new Map(request.boundary.objects.map((o) => [boundaryKey(o), o]));
    for (const type of BOUNDARY_TYPES) {
      const resource: ResourceRef = { apiVersion: type.apiVersion, kind: type.kind, plural: type.plural, namespaced: true };
      const informer = await this.access.informer('boundary', member, resource, signal);
      if (typeof informer === 'string') throw new Error(informer);
      const live = new Map(informer.list(request.namespace).map((o) => [boundaryKey({ ...o, kind: type.kind }), o]));
      for (const [key, object] of desired) {
        if (object.kind !== type.kind) continue;
        const current = live.get(key);
        if (current && inSync(object, current)) continue;
        await apply(member.client, object as PortableObject & KubeObject, { resource, signal });
      }
      for (const [key, object] of live) {
        if (desired.has(key)) continue;
        try {
          await member.client.delete(resource, object.metadata?.name ?? '', request.namespace, { preconditions: { uid: object.metadata?.uid }, signal });
        } catch (err) {
          if (!isNotFound(err)) throw err;
        }
      }
    }
  }

  /** The tenant namespace is gone from the host: delete the member namespaces Canopy created for it. */
  private async removeNamespace(namespace: string, ctx: ReconcileContext): Promise<ReconcileResult | void> {
    let pending = false;
    for (const cluster of this.access.registeredNames()) {
      const member = await this.access.member(cluster, ctx.signal);
      if (typeof member === 'string') {
        pending = pending || this.access.clustersWith('namespaces').has(cluster);
        continue;
      }
      try {
        const informer = await this.access.informer('namespaces', member, Resources.Namespace, ctx.signal);
        if (typeof informer === 'string') {
          pending = true;
          continue;
        }
        const ours = informer.get(namespace);
        if (!ours || ours.metadata?.deletionTimestamp) continue;
        await member.client.delete(Resources.Namespace, namespace, undefined, { preconditions: { uid: ours.metadata?.uid }, signal: ctx.signal });
        this.access.forgetNamespace(cluster, namespace);
        ctx.logger.info({ cluster, namespace }, 'tenant namespace gone from the host; removed it from the member');
      } catch (err) {
        if (isConnectionError(err)) pending = true;
        else if (!isNotFound(err)) throw err;
      }
    }
    return pending ? { requeueAfter: this.retryMs } : undefined;
  }
}
