/**
 * Whether a labelled namespace really is a LogicalCluster's namespace. The
 * labels alone are a claim: admission keeps non-admins from writing them, but
 * an administrator's typo or a namespace labelled before the webhook existed
 * must not pull a namespace into a tenant's tree (tree labels, propagated
 * Secrets and RoleBindings, the allow-same-logical-cluster NetworkPolicy).
 * So the claim counts only when the owning object's spec agrees: the
 * LogicalCluster exists, belongs to the claimed workspace and materializes a
 * namespace of exactly this name. Home namespaces need no claim: a workspace's
 * home is the namespace named after it.
 */

import { LABEL_LOGICAL_CLUSTER, LABEL_WORKSPACE } from '../crds/labels.js';
import { planNamespaces } from './logical-cluster-namespaces.js';

/** What membership reads of a LogicalCluster. */
export interface MembershipOwner {
  readonly metadata?: { readonly name?: string };
  readonly spec?: { readonly workspace?: string; readonly namespaces?: readonly string[] };
}

export type Membership =
  /** Not a LogicalCluster namespace at all (no claim, a home namespace, or going away). */
  | { readonly kind: 'none' }
  | { readonly kind: 'attach'; readonly workspace: string; readonly logicalCluster: string }
  /** Claims a LogicalCluster that does not list it: ignored, and why (for a debug log). */
  | { readonly kind: 'ignore'; readonly reason: string };

const NONE: Membership = Object.freeze({ kind: 'none' });

/**
 * The membership of namespace `ns` with these labels, given the
 * LogicalCluster its label names (undefined when the cache has none).
 */
export function namespaceMembership(ns: string, labels: Readonly<Record<string, string>>, owner: MembershipOwner | undefined): Membership {
  const workspace = labels[LABEL_WORKSPACE];
  const logicalCluster = labels[LABEL_LOGICAL_CLUSTER];
  if (workspace === undefined || logicalCluster === undefined || workspace === ns) return NONE;
  if (!owner) return { kind: 'ignore', reason: `LogicalCluster ${logicalCluster} does not exist` };
  const claimed = owner.spec?.workspace;
  if (claimed !== workspace) {
    return { kind: 'ignore', reason: `LogicalCluster ${logicalCluster} belongs to workspace ${claimed ?? '(none)'}, not ${workspace}` };
  }
  const namespaces = owner.spec?.namespaces;
  const plan = planNamespaces({
    metadata: { name: owner.metadata?.name ?? logicalCluster },
    spec: { workspace: claimed, ...(namespaces ? { namespaces } : {}) },
  });
  if (!plan.ok || !plan.namespaces.includes(ns)) {
    return { kind: 'ignore', reason: `LogicalCluster ${logicalCluster} does not list namespace ${ns}` };
  }
  return { kind: 'attach', workspace, logicalCluster };
}
