/**
 * Delegated administration: what spec.owners of a workspace may do in the
 * API, as RBAC objects. RBAC cannot scope `create` of a cluster-scoped object
 * by its spec.parent, so owners get `create` on workspaces and logical
 * clusters everywhere and the admission webhook refuses anything outside their
 * subtree; everything else is scoped here.
 *
 * The owners of a workspace administer its whole subtree. Instead of one role
 * per owner listing every name below it (O(n·depth) names on a deep chain, and
 * a write into every ancestor's role whenever a workspace is created), each
 * workspace gets one pair covering only itself:
 *
 *   ClusterRole        canopy:workspace:<ws>   get/list/watch/create on workspaces and
 *                                              logical clusters; update/patch/delete on
 *                                              <ws> itself and its own logical clusters
 *   ClusterRoleBinding canopy:workspace:<ws>   → the owners of <ws> and of every ancestor
 *   RoleBinding        canopy-workspace-owners → ClusterRole admin, same subjects, in each of
 *                      <ws>'s namespaces (home and logical-cluster namespaces)
 *
 * The union over a subtree is exactly "update/patch/delete on the workspaces
 * and logical clusters of my subtree, admin in its namespaces", the objects
 * stay O(1) per workspace, and creating a workspace writes only its own pair.
 */

import { LABEL_MANAGED_BY, LABEL_WORKSPACE, MANAGED_BY_VALUE } from '../../crds/labels.js';
import type { KubeObject } from '../../runtime/index.js';
import type { Forest } from '../../hierarchy/forest.js';
import type { OwnerSubject } from '../../hierarchy/types.js';

const RBAC_GROUP = 'rbac.authorization.k8s.io';
export const OWNERS_ROLE_BINDING = 'canopy-workspace-owners';
/** The built-in role owners get in every namespace of their subtree. */
export const OWNERS_NAMESPACE_ROLE = 'admin';

export function ownersClusterRoleName(workspace: string): string {
  return `canopy:workspace:${workspace}`;
}

export interface RbacSubject {
  kind: string;
  name: string;
  apiGroup?: string;
  namespace?: string;
}

export function rbacSubject(owner: OwnerSubject): RbacSubject {
  return owner.kind === 'ServiceAccount'
    ? { kind: 'ServiceAccount', name: owner.name, namespace: owner.namespace ?? '' }
    : { kind: owner.kind, name: owner.name, apiGroup: RBAC_GROUP };
}

/** The owners of `workspace` and of every ancestor, once each, nearest last, as RBAC subjects. */
export function chainOwners(forest: Forest, workspace: string): RbacSubject[] {
  const seen = new Set<string>();
  const out: RbacSubject[] = [];
  for (const ws of [...forest.ancestors(workspace), workspace]) {
    for (const owner of forest.dataOf(ws)?.owners ?? []) {
      const subject = rbacSubject(owner);
      const id = `${subject.kind}|${subject.namespace ?? ''}|${subject.name}`;
      if (seen.has(id)) continue;
      seen.add(id);
      out.push(subject);
    }
  }
  return out;
}

function labels(workspace: string): Record<string, string> {
  return { [LABEL_MANAGED_BY]: MANAGED_BY_VALUE, [LABEL_WORKSPACE]: workspace };
}

export function ownersClusterRole(workspace: string, logicalClusters: readonly string[]): KubeObject & Record<string, unknown> {
  const rules: Array<Record<string, unknown>> = [
    { apiGroups: ['canopy.dev'], resources: ['workspaces', 'logicalclusters'], verbs: ['get', 'list', 'watch', 'create'] },
    { apiGroups: ['canopy.dev'], resources: ['workspaces'], verbs: ['update', 'patch', 'delete'], resourceNames: [workspace] },
  ];
  // An empty resourceNames would mean "all": leave the rule out instead.
  if (logicalClusters.length > 0) {
    rules.push({ apiGroups: ['canopy.dev'], resources: ['logicalclusters'], verbs: ['update', 'patch', 'delete'], resourceNames: [...logicalClusters].sort() });
  }
  return { apiVersion: `${RBAC_GROUP}/v1`, kind: 'ClusterRole', metadata: { name: ownersClusterRoleName(workspace), labels: labels(workspace) }, rules };
}

export function ownersClusterRoleBinding(workspace: string, subjects: readonly RbacSubject[]): KubeObject & Record<string, unknown> {
  return {
    apiVersion: `${RBAC_GROUP}/v1`,
    kind: 'ClusterRoleBinding',
    metadata: { name: ownersClusterRoleName(workspace), labels: labels(workspace) },
    roleRef: { apiGroup: RBAC_GROUP, kind: 'ClusterRole', name: ownersClusterRoleName(workspace) },
    subjects,
  };
}

export function ownersRoleBinding(workspace: string, namespace: string, subjects: readonly RbacSubject[]): KubeObject & Record<string, unknown> {
  return {
    apiVersion: `${RBAC_GROUP}/v1`,
    kind: 'RoleBinding',
    metadata: { name: OWNERS_ROLE_BINDING, namespace, labels: labels(workspace) },
    roleRef: { apiGroup: RBAC_GROUP, kind: 'ClusterRole', name: OWNERS_NAMESPACE_ROLE },
    subjects,
  };
}
