/**
 * Admission for ClusterPropagatedObjects: only cluster administrators may
 * create, change or delete one. It places cluster-wide objects (CRDs,
 * ClusterRoles, ClusterRoleBindings…) on every chosen member with Canopy's
 * member credentials, so a tenant who could write one would hold cluster
 * admin on the fleet. RBAC grants it to no tenant role; this check holds even
 * where an administrator's own RBAC is broader than intended (a wildcard
 * ClusterRole bound to a tenant).
 */
import { describeRequester } from '../../admission/authority.js';
import type { AdmissionInput } from '../../admission/request.js';
import { allow, deny, type Verdict } from '../../admission/verdict.js';

export const ClusterPropagatedObjectRules = {
  /** Decided on `requester.admin`, which the dispatcher resolves only when this rule denied: an ownership rule. */
  adminOnly: 'propagation/cluster-scoped-admin-only',
  /** The template sets metadata.namespace, which CEL cannot see on an embedded object. */
  templateNamespace: 'propagation/cluster-scoped-template-namespace',
} as const;

/** The part of a ClusterPropagatedObject admission reads. */
export interface ClusterPropagatedObjectLike {
  readonly spec?: { readonly template?: { readonly metadata?: { readonly namespace?: string } } };
}

export function validateClusterPropagatedObject(input: AdmissionInput<ClusterPropagatedObjectLike>): Verdict {
  if (!input.requester.admin) return refuseNonAdmin(input);
  const namespace = input.object?.spec?.template?.metadata?.namespace;
  if (input.operation !== 'DELETE' && namespace)
    return deny(
      ClusterPropagatedObjectRules.templateNamespace,
      'spec.template.metadata.namespace',
      `must not be set (it is "${namespace}"): a ClusterPropagatedObject places cluster-scoped objects; use a PropagatedObject for namespaced ones`,
    );
  return allow();
}

function refuseNonAdmin(input: AdmissionInput<ClusterPropagatedObjectLike>): Verdict {
  const verb = input.operation === 'CREATE' ? 'create' : input.operation === 'DELETE' ? 'delete' : 'change';
  return deny(
    ClusterPropagatedObjectRules.adminOnly,
    '',
    `${describeRequester(input.requester)} may not ${verb} a ClusterPropagatedObject: it places cluster-scoped objects on member clusters, which only cluster administrators may do`,
  );
}
