/**
 * Admission for the labels on namespaces that Canopy trusts:
 *
 * - `<ancestor>.tree.canopy.dev/depth` says "this namespace is below
 *   <ancestor>", and NetworkPolicies, RBAC and placement select namespaces by it;
 * - the membership labels `canopy.dev/workspace` and `canopy.dev/logical-cluster`
 *   say which tenant a namespace belongs to (the logical cluster's
 *   allow-same-logical-cluster NetworkPolicy admits every namespace labelled
 *   with it), `canopy.dev/managed-by` says Canopy made it (and may delete it),
 *   `canopy.dev/inherited-from` marks Canopy's copies.
 *
 * A user who could put such a label on a namespace of their own would be
 * treated as part of someone else's tenant, and one who could take it off a
 * tenant's namespace would cut it loose from the tree's policies. So only
 * Canopy (and cluster administrators) may add, change or remove one; any other
 * change to a namespace passes untouched. HNC guards its
 * `.tree.hnc.x-k8s.io/depth` labels the same way.
 */
import { LABEL_INHERITED_FROM, LABEL_LOGICAL_CLUSTER, LABEL_MANAGED_BY, LABEL_WORKSPACE, TREE_LABEL_SUFFIX } from '../../crds/labels.js';
import type { AdmissionInput } from '../../admission/request.js';
import type { NamespaceLike } from '../../admission/tree.js';
import { allow, deny, type Verdict } from '../../admission/verdict.js';

export const TreeLabelRules = {
  /** Counts as an ownership rule: administrators pass it. Covers hierarchy and membership labels alike. */
  managedByCanopy: 'namespace/tree-labels',
} as const;

/** The membership labels on namespaces only Canopy and administrators may write. */
export const MEMBERSHIP_LABELS: readonly string[] = [LABEL_WORKSPACE, LABEL_LOGICAL_CLUSTER, LABEL_MANAGED_BY, LABEL_INHERITED_FROM];

function isGuarded(key: string): boolean {
  return key.endsWith(TREE_LABEL_SUFFIX) || MEMBERSHIP_LABELS.includes(key);
}

function guardedLabels(namespace: NamespaceLike | undefined): Map<string, string> {
  const labels = namespace?.metadata.labels ?? {};
  return new Map(Object.entries(labels).filter(([key]) => isGuarded(key)));
}

export function validateNamespaceTreeLabels(input: AdmissionInput<NamespaceLike>): Verdict {
  if (input.operation !== 'CREATE' && input.operation !== 'UPDATE') return allow();
  if (input.requester.admin) return allow();
  const before = guardedLabels(input.operation === 'UPDATE' ? input.oldObject : undefined);
  const after = guardedLabels(input.object);
  const changed = [...new Set([...before.keys(), ...after.keys()])].sort().find((key) => before.get(key) !== after.get(key));
  if (changed === undefined) return allow();
  const verb = !before.has(changed) ? 'add' : !after.has(changed) ? 'remove' : 'change';
  const who = input.requester.username || 'this user';
  const field = `metadata.labels["${changed}"]`;
  if (changed.endsWith(TREE_LABEL_SUFFIX)) {
    return deny(
      TreeLabelRules.managedByCanopy,
      field,
      `hierarchy labels (*${TREE_LABEL_SUFFIX}) are set by Canopy from the Workspace tree; ${who} may not ${verb} them (change the Workspace's parent instead)`,
    );
  }
  return deny(
    TreeLabelRules.managedByCanopy,
    field,
    `membership labels (${MEMBERSHIP_LABELS.join(', ')}) are set by Canopy on the namespaces it creates for a Workspace or LogicalCluster; ${who} may not ${verb} them (Canopy creates a LogicalCluster's namespaces from its spec.namespaces)`,
  );
}
