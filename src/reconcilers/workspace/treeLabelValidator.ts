// Admission for the hierarchy labels on namespaces: `<ancestor>.tree.canopy.dev/depth`
// says "this namespace is below <ancestor>", and NetworkPolicies, RBAC and
// placement select namespaces by it. A user who could put such a label on a
// namespace of their own would be treated as part of someone else's tree, so
// only Canopy (and cluster administrators) may add, change or remove one;
// any other change to a namespace passes untouched. HNC guards its
// `.tree.hnc.x-k8s.io/depth` labels the same way.
import { TREE_LABEL_SUFFIX } from '../../crds/labels.js';
import type { AdmissionInput } from '../../webhooks/request.js';
import type { NamespaceLike } from '../../webhooks/tree.js';
import { allow, deny, type Verdict } from '../../webhooks/verdict.js';

export const TreeLabelRules = {
  /** Counts as an ownership rule: administrators pass it. */
  managedByCanopy: 'namespace/tree-labels',
} as const;

function treeLabels(namespace: NamespaceLike | undefined): Map<string, string> {
  const labels = namespace?.metadata.labels ?? {};
  return new Map(Object.entries(labels).filter(([key]) => key.endsWith(TREE_LABEL_SUFFIX)));
}

export function validateNamespaceTreeLabels(input: AdmissionInput<NamespaceLike>): Verdict {
  if (input.operation !== 'CREATE' && input.operation !== 'UPDATE') return allow();
  if (input.requester.admin) return allow();
  const before = treeLabels(input.operation === 'UPDATE' ? input.oldObject : undefined);
  const after = treeLabels(input.object);
  const changed = [...new Set([...before.keys(), ...after.keys()])].sort().find((key) => before.get(key) !== after.get(key));
  if (changed === undefined) return allow();
  const verb = !before.has(changed) ? 'add' : !after.has(changed) ? 'remove' : 'change';
  const who = input.requester.username || 'this user';
  return deny(
    TreeLabelRules.managedByCanopy,
    `metadata.labels["${changed}"]`,
    `hierarchy labels (*${TREE_LABEL_SUFFIX}) are set by Canopy from the Workspace tree; ${who} may not ${verb} them (change the Workspace's parent instead)`,
  );
}
