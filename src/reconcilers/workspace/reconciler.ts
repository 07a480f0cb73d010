/**
 * The Workspace reconciler: per workspace, its finalizer, home namespace,
 * the owners' RBAC (owner-rbac.ts) and status; on deletion, the cleanup of
 * what it made. Copies are the propagator's business (../inheritance/reconciler.ts) and tree
 * labels the tree labeler's (tree-labeler.ts); this reconciler only reports on
 * them. Everything it reads comes from the shared forest and informer caches.
 */

import {
  apply,
  deleteIfManaged,
  isAlreadyExists,
  isBeingDeleted,
  isConflict,
  isManaged,
  isNotFound,
  Resources,
  type ApiClient,
  type Informer,
  type KubeObject,
  type ReconcileContext,
  type ReconcileResult,
  type Request,
} from '../../runtime/index.js';
import { LABEL_MANAGED_BY, LABEL_WORKSPACE, MANAGED_BY_VALUE } from '../../crds/labels.js';
import type { WorkspaceStatus } from '../../crds/workspace.js';
import type { ConflictRegistry } from '../inheritance/conflicts.js';
import { contentHash } from '../inheritance/content.js';
import type { CopyWriter } from '../inheritance/copy-writer.js';
import type { Hierarchy, WorkspaceObject } from '../../hierarchy/hierarchy.js';
import { isCopy, objectKey, sourceReach } from '../inheritance/objects.js';
import { chainOwners, OWNERS_ROLE_BINDING, ownersClusterRole, ownersClusterRoleBinding, ownersClusterRoleName, ownersRoleBinding } from './owner-rbac.js';
import { typeKey } from '../../hierarchy/inherited-types.js';
import type { PropagationAction } from '../inheritance/plan.js';
import { quotaResources, subtreeAllotment, subtreeUsage, type LogicalClusterQuotaView, type QuotaObject } from '../../hierarchy/quota-usage.js';
import { statusPatch, workspaceStatus } from './status.js';
import type { ObjectTracker } from '../inheritance/tracker.js';
import { TREE_FIELD_MANAGER } from './tree-labeler.js';
import type { TypeRegistry } from '../inheritance/type-registry.js';

export const FINALIZER = 'canopy.dev/workspace-cleanup';
export const INDEX_LOGICAL_CLUSTERS_BY_WORKSPACE = 'workspace:logicalclusters';
const POD_SECURITY_MODES = ['enforce', 'warn', 'audit'] as const;

export interface WorkspaceReconcilerDeps {
  readonly client: ApiClient;
  readonly hierarchy: Hierarchy;
  readonly tracker: ObjectTracker;
  readonly types: TypeRegistry;
  readonly conflicts: ConflictRegistry;
  readonly writer: CopyWriter;
  readonly logicalClusters: Informer<LogicalClusterQuotaView>;
  readonly quotas: Informer<QuotaObject>;
  readonly clusterRoles: Informer;
  readonly clusterRoleBindings: Informer;
}

type Problem = { reason: string; message: string };

export class WorkspaceReconciler {
  constructor(private readonly deps: WorkspaceReconcilerDeps) {}

  async reconcile(request: Request, context: ReconcileContext): Promise<ReconcileResult | void> {
    const workspace = this.deps.hierarchy.workspaces.get(request.name);
    if (!workspace) return;
    if (isBeingDeleted(workspace)) return this.finalize(workspace, context);
    const name = request.name;
    if (!(workspace.metadata?.finalizers ?? []).includes(FINALIZER)) {
      if (!(await this.setFinalizers(workspace, [...(workspace.metadata?.finalizers ?? []), FINALIZER]))) return;
    }
    const homeProblem = await this.ensureHome(workspace, context);
    if (!this.deps.hierarchy.forest.isHalted(name)) await this.ensureOwnerRbac(name);
    await this.writeStatus(workspace, homeProblem);
    return homeProblem?.reason === 'HomeNamespaceTerminating' ? { requeueAfter: 2000 } : undefined;
  }

  // ---------------------------------------------------------------- home namespace

  private homeLabels(name: string): Record<string, string> {
    const labels: Record<string, string> = { [LABEL_MANAGED_BY]: MANAGED_BY_VALUE, [LABEL_WORKSPACE]: name };
    const level = this.deps.hierarchy.forest.effectiveConstraints(name)?.constraints.podSecurity;
    if (level) for (const mode of POD_SECURITY_MODES) labels[`pod-security.kubernetes.io/${mode}`] = String(level);
    return labels;
  }

  private async ensureHome(workspace: WorkspaceObject, context: ReconcileContext): Promise<Problem | undefined> {
    const { client, hierarchy } = this.deps;
    const name = workspace.metadata!.name!;
    const labels = this.homeLabels(name);
    const namespace = hierarchy.namespaces.get(name);
    if (!namespace) {
      try {
        await client.create(Resources.Namespace, { apiVersion: 'v1', kind: 'Namespace', metadata: { name, labels } });
        context.events.normal(workspace, 'HomeNamespaceCreated', `created home namespace ${name}`);
        return undefined;
      } catch (err) {
        if (!isAlreadyExists(err)) throw err;
        const live = await client.tryGet(Resources.Namespace, name);
        if (live && isBeingDeleted(live)) return terminating(name);
        if (live && live.metadata?.labels?.[LABEL_WORKSPACE] !== name) {
          return {
            reason: 'NamespaceTaken',
            message: `namespace ${name} exists and is not this workspace's (no label ${LABEL_WORKSPACE}=${name}); delete or label it, or rename the workspace`,
          };
        }
        return undefined;
      }
    }
    if (isBeingDeleted(namespace)) return terminating(name);
    // A namespace someone else made and labelled for this workspace is used, never taken over.
    if (!isManaged(namespace)) return undefined;
    const current = namespace.metadata?.labels ?? {};
    const stale =
      Object.entries(labels).some(([k, v]) => current[k] !== v) ||
      POD_SECURITY_MODES.some((m) => current[`pod-security.kubernetes.io/${m}`] !== labels[`pod-security.kubernetes.io/${m}`]);
    if (stale) {
      // uid precondition: never re-create a namespace that is being removed.
      await client.patch(
        Resources.Namespace,
        name,
        undefined,
        { apiVersion: 'v1', kind: 'Namespace', metadata: { name, uid: namespace.metadata?.uid, labels } },
        'apply',
        {
          fieldManager: 'canopy',
          force: true,
        },
      );
    }
    return undefined;
  }

  // ---------------------------------------------------------------- owners' RBAC

  private logicalClustersOf(workspace: string): LogicalClusterQuotaView[] {
    return this.deps.logicalClusters.byIndex(INDEX_LOGICAL_CLUSTERS_BY_WORKSPACE, workspace);
  }

  private async ensureOwnerRbac(name: string): Promise<void> {
    const { hierarchy, tracker, client } = this.deps;
    const subjects = chainOwners(hierarchy.forest, name);
    const namespaces = hierarchy.forest.namespacesOf(name).filter((ns) => hierarchy.namespaceWritable(ns));
    if (subjects.length === 0) {
      await this.removeOwnerRbac(name, namespaces);
      return;
    }
    const lcs = this.logicalClustersOf(name).map((lc) => lc.metadata?.name ?? '');
    const wanted: Array<[KubeObject, KubeObject | undefined]> = [
      [ownersClusterRole(name, lcs), this.deps.clusterRoles.get(ownersClusterRoleName(name))],
      [ownersClusterRoleBinding(name, subjects), this.deps.clusterRoleBindings.get(ownersClusterRoleName(name))],
    ];
    for (const ns of namespaces) {
      const desired = ownersRoleBinding(name, ns, subjects);
      const tracked = tracker.index.get(ns, objectKey({ apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'RoleBinding', name: OWNERS_ROLE_BINDING }));
      if (tracked && !tracked.labels?.[LABEL_MANAGED_BY]) continue; // a user's object of that name: leave it
      if (tracked?.hash !== contentHash(desired)) wanted.push([desired, undefined]);
    }
    await Promise.all(wanted.filter(([desired, cached]) => !cached || contentHash(cached) !== contentHash(desired)).map(([desired]) => apply(client, desired)));
  }

  private async removeOwnerRbac(name: string, namespaces: readonly string[]): Promise<void> {
    const { client, tracker } = this.deps;
    const tasks: Array<Promise<unknown>> = [];
    const roleName = ownersClusterRoleName(name);
    if (this.deps.clusterRoleBindings.get(roleName)) tasks.push(deleteIfManaged(client, Resources.ClusterRoleBinding, roleName));
    if (this.deps.clusterRoles.get(roleName)) tasks.push(deleteIfManaged(client, Resources.ClusterRole, roleName));
    const key = objectKey({ apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'RoleBinding', name: OWNERS_ROLE_BINDING });
    for (const ns of namespaces) {
      const tracked = tracker.index.get(ns, key);
      if (tracked?.labels?.[LABEL_MANAGED_BY] === MANAGED_BY_VALUE && tracked.labels[LABEL_WORKSPACE] === name) {
        tasks.push(deleteIfManaged(client, Resources.RoleBinding, OWNERS_ROLE_BINDING, ns));
      }
    }
    await Promise.all(tasks);
  }

  // ---------------------------------------------------------------- status

  private propagationProblems(name: string, workspace: WorkspaceObject): Problem[] {
    const { types, tracker, hierarchy } = this.deps;
    const problems: Problem[] = [];
    for (const type of workspace.spec?.propagate ?? []) {
      const state = types.get(typeKey(type.apiVersion, type.kind));
      if (!state) continue;
      if (state.state === 'forbidden') problems.push({ reason: 'Forbidden', message: state.message });
      else if (state.state === 'unknown') problems.push({ reason: 'UnknownType', message: state.message });
      else if (state.state === 'cluster-scoped') problems.push({ reason: 'ClusterScopedType', message: state.message });
    }
    const propagated = hierarchy.forest.propagatedTypes(name);
    for (const source of tracker.index.sources.get(name)?.values() ?? []) {
      if (!propagated?.has(typeKey(source.apiVersion, source.kind))) continue;
      const reach = sourceReach(source);
      if (reach.kind === 'invalid') problems.push({ reason: 'InvalidSelector', message: `${source.kind} ${source.name} is not propagated: ${reach.error}` });
    }
    return problems;
  }

  private async writeStatus(workspace: WorkspaceObject, homeProblem: Problem | undefined): Promise<void> {
    const { hierarchy, conflicts, quotas } = this.deps;
    const forest = hierarchy.forest;
    const name = workspace.metadata!.name!;
    const resources = forest.isHalted(name) ? new Set<string>() : quotaResources(forest, name);
    const previous = workspace.status as WorkspaceStatus | undefined;
    const next = workspaceStatus({
      forest,
      name,
      generation: workspace.metadata?.generation,
      previous,
      homeProblem,
      logicalClusters: this.logicalClustersOf(name).length,
      conflicts: forest.namespacesOf(name).flatMap((ns) => conflicts.in(ns)),
      propagationProblems: this.propagationProblems(name, workspace),
      quotaUsed: resources.size > 0 ? subtreeUsage(forest, name, (ns) => quotas.list(ns), resources) : undefined,
      quotaAllotted: resources.size > 0 ? subtreeAllotment(forest, name, (ws) => this.logicalClustersOf(ws), resources) : undefined,
    });
    const patch = statusPatch(previous, next);
    if (!patch) return;
    try {
      await this.deps.client.patch(Resources.Workspace, name, undefined, { status: patch }, 'merge', { subresource: 'status' });
    } catch (err) {
      if (!isNotFound(err)) throw err;
    }
  }

  // ---------------------------------------------------------------- deletion

  /** False when the workspace changed meanwhile: its update event brings it back, so there is nothing to retry. */
  private async setFinalizers(workspace: WorkspaceObject, finalizers: string[]): Promise<boolean> {
    try {
      await this.deps.client.patch(
        Resources.Workspace,
        workspace.metadata!.name!,
        undefined,
        { metadata: { finalizers, resourceVersion: workspace.metadata?.resourceVersion } },
        'merge',
      );
      return true;
    } catch (err) {
      if (isNotFound(err) || isConflict(err)) return false;
      throw err;
    }
  }

  /**
   * Removes what this workspace made: the copies of its home namespace's
   * objects below it, its owners' RBAC, and its home namespace if Canopy
   * created it (otherwise the copies and labels Canopy put there). Its
   * children stay, with ParentMissing; what they inherited from above is left
   * as it is (propagation into them is halted until they are re-parented).
   */
  private async finalize(workspace: WorkspaceObject, context: ReconcileContext): Promise<void> {
    if (!(workspace.metadata?.finalizers ?? []).includes(FINALIZER)) return;
    const { tracker, writer, hierarchy, client, conflicts } = this.deps;
    const name = workspace.metadata!.name!;
    const deletes: PropagationAction[] = tracker.index.copiesFrom(name).flatMap(([namespace, key]): PropagationAction[] => {
      const current = tracker.index.get(namespace, key);
      return current ? [{ action: 'delete', namespace, key, current }] : [];
    });
    const home = hierarchy.namespaces.get(name) ?? (await client.tryGet(Resources.Namespace, name));
    const keepHome = home !== undefined && !isManaged(home) && !isBeingDeleted(home);
    if (keepHome) {
      for (const [key, entry] of tracker.index.inNamespace(name)) if (isCopy(entry)) deletes.push({ action: 'delete', namespace: name, key, current: entry });
    }
    const outcomes = await writer.execute(deletes);
    const failed = outcomes.find((o): o is Error => o instanceof Error);
    if (failed) throw failed;
    const attached = hierarchy.forest.attachedNamespaces(name);
    await this.removeOwnerRbac(name, keepHome ? [name, ...attached] : attached);
    const roleName = ownersClusterRoleName(name);
    await Promise.all([deleteIfManaged(client, Resources.ClusterRoleBinding, roleName), deleteIfManaged(client, Resources.ClusterRole, roleName)]);
    if (keepHome) {
      // Dropping every label the tree labeler applied: it owns them under its own field manager.
      await client.patch(Resources.Namespace, name, undefined, { apiVersion: 'v1', kind: 'Namespace', metadata: { name, uid: home.metadata?.uid } }, 'apply', {
        fieldManager: TREE_FIELD_MANAGER,
        force: true,
      });
    } else if (home && isManaged(home)) {
      await deleteIfManaged(client, Resources.Namespace, name);
      context.events.normal(workspace, 'HomeNamespaceDeleted', `deleted home namespace ${name}`);
    }
    conflicts.forget(name);
    await this.setFinalizers(
      workspace,
      (workspace.metadata?.finalizers ?? []).filter((f) => f !== FINALIZER),
    );
  }
}

function terminating(name: string): Problem {
  return { reason: 'HomeNamespaceTerminating', message: `home namespace ${name} is being deleted; it is created again once it is gone` };
}
