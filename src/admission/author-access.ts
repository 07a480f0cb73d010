/**
 * No escalation through the deputy: the syncer applies a PropagatedObject on
 * every chosen member with that member's admin credential, so admission asks
 * the host's authorizer (SubjectAccessReview) whether the PropagatedObject's
 * author could have created the object themselves, in the PropagatedObject's
 * namespace. This module decides which questions to ask and how to word the
 * refusal; the dispatcher asks them.
 *
 * - Any kind: `create` on its resource in the namespace.
 * - RoleBinding: also `bind` on the role it refers to (`roles` or
 *   `clusterroles`, by name). Role: also `escalate` on `roles`. This is
 *   Kubernetes' own escalation rule applied strictly: the apiserver also lets
 *   through a binder who already holds every permission of the role, but
 *   checking that would need the role's rules as they are on every member
 *   (a ClusterRole of the same name may differ there). Granting `bind` or
 *   `escalate` by RBAC is the documented way to allow it.
 * - `spec.placementRef`: a policy that would select the object anyway needs
 *   nothing; any other needs `use` on that PlacementPolicy, as
 *   PodSecurityPolicy had, so a tenant cannot borrow the tolerations of a
 *   policy written for someone else (a PCI cluster, say).
 */
import { describeRequester } from './authority.js';
import type { Requester } from './request.js';
import { deny, type Verdict } from './verdict.js';

export const AccessRules = {
  create: 'propagatedobject/author-may-create',
  bind: 'propagatedobject/author-may-bind',
  escalate: 'propagatedobject/author-may-escalate',
  placementRef: 'propagatedobject/placement-ref',
  dependency: 'propagatedobject/author-may-read-dependency',
  checkFailed: 'propagatedobject/access-check-failed',
} as const;

const RBAC_GROUP = 'rbac.authorization.k8s.io';

/** The resource attributes of a SubjectAccessReview (authorization.k8s.io/v1). */
export interface AccessAttributes {
  readonly verb: string;
  readonly group: string;
  readonly resource: string;
  readonly namespace?: string;
  readonly name?: string;
}

/** One question for the authorizer, and the refusal when the answer is no. */
export interface AccessCheck {
  readonly attributes: AccessAttributes;
  readonly rule: string;
  readonly field: string;
  /** The reason sentence (without field) naming the requester. */
  refusal(requester: Pick<Requester, 'username'>): string;
}

/** What the checks need to know about the placed object. */
export interface PlacedKind {
  /** `spec.template` or `spec.sourceRef`: where the kind was named. */
  readonly field: 'spec.template' | 'spec.sourceRef';
  readonly group: string;
  readonly kind: string;
  /** The plural resource, from discovery. */
  readonly resource: string;
  /** The object itself when known (the template, or the source object): RBAC kinds need its roleRef. */
  readonly object?: { readonly roleRef?: { readonly kind?: string; readonly name?: string } };
}

/** `rolebindings.rbac.authorization.k8s.io`, `configmaps` */
export function qualified(resource: string, group: string): string {
  return group ? `${resource}.${group}` : resource;
}

/** The questions to ask before the author's object may be placed in `namespace`. */
export function placementAccessChecks(placed: PlacedKind, namespace: string): AccessCheck[] {
  const what = qualified(placed.resource, placed.group);
  const checks: AccessCheck[] = [
    {
      attributes: { verb: 'create', group: placed.group, resource: placed.resource, namespace },
      rule: AccessRules.create,
      field: `${placed.field}.kind`,
      refusal: (who) => `${describeRequester(who)} may not create ${what} in namespace "${namespace}", so a PropagatedObject may not place one there either`,
    },
  ];
  if (placed.group !== RBAC_GROUP) return checks;
  if (placed.kind === 'RoleBinding') {
    const roleKind = placed.object?.roleRef?.kind === 'ClusterRole' ? 'ClusterRole' : 'Role';
    const roleResource = roleKind === 'ClusterRole' ? 'clusterroles' : 'roles';
    const roleName = placed.object?.roleRef?.name ?? '';
    checks.push({
      attributes: { verb: 'bind', group: RBAC_GROUP, resource: roleResource, namespace, name: roleName },
      rule: AccessRules.bind,
      field: placed.field === 'spec.template' ? 'spec.template.roleRef' : 'spec.sourceRef.name',
      refusal: (who) =>
        `${describeRequester(who)} may not bind ${roleKind.toLowerCase()} "${roleName}" in namespace "${namespace}" (RBAC verb bind on ${qualified(roleResource, RBAC_GROUP)}), ` +
        `so a PropagatedObject may not place a RoleBinding to it`,
    });
  } else if (placed.kind === 'Role') {
    checks.push({
      attributes: { verb: 'escalate', group: RBAC_GROUP, resource: 'roles', namespace },
      rule: AccessRules.escalate,
      field: placed.field === 'spec.template' ? 'spec.template.rules' : 'spec.sourceRef.name',
      refusal: (who) =>
        `${describeRequester(who)} may not escalate roles in namespace "${namespace}" (RBAC verb escalate on ${qualified('roles', RBAC_GROUP)}), ` +
        `so a PropagatedObject may not place a Role, whose rules are granted on every member as written`,
    });
  }
  return checks;
}

const DEPENDENCY_RESOURCES: Readonly<Record<string, string>> = { ConfigMap: 'configmaps', Secret: 'secrets', PersistentVolumeClaim: 'persistentvolumeclaims' };

/**
 * The dependencies that follow a workload: the ConfigMaps, Secrets and PVCs
 * its pod template names are copied to every member it runs on (companions),
 * so the author must be able to read each of them here. The host lets anyone
 * who may create a pod mount them without that right; copying them to other
 * clusters is a wider disclosure, so Canopy asks. ServiceAccounts are not
 * asked about: using one is what the pod does on the host as well.
 */
export function dependencyAccessChecks(references: readonly { readonly kind: string; readonly name: string }[], namespace: string): AccessCheck[] {
  const checks: AccessCheck[] = [];
  for (const ref of references) {
    const resource = DEPENDENCY_RESOURCES[ref.kind];
    if (!resource) continue;
    checks.push({
      attributes: { verb: 'get', group: '', resource, namespace, name: ref.name },
      rule: AccessRules.dependency,
      field: 'spec.template.spec',
      refusal: (who) =>
        `the pod template uses ${ref.kind} "${ref.name}", which ${describeRequester(who)} may not read in namespace "${namespace}"; ` +
        `it would be copied to every cluster the workload runs on, so the PropagatedObject is refused`,
    });
  }
  return checks;
}

/** The question asked when `spec.placementRef` names a policy that would not select the object by itself. */
export function placementRefCheck(policy: string, kind: string): AccessCheck {
  return {
    attributes: { verb: 'use', group: 'canopy.dev', resource: 'placementpolicies', name: policy },
    rule: AccessRules.placementRef,
    field: 'spec.placementRef.name',
    refusal: (who) =>
      `PlacementPolicy "${policy}" does not select this ${kind || 'object'} and ${describeRequester(who)} may not use it; ` +
      `either change the object (or the policy's resourceSelectors) so the policy selects it, ` +
      `or have an administrator grant the verb "use" on placementpolicies.canopy.dev "${policy}"`,
  };
}

/** The refusal for a check the authorizer said no to. */
export function refuse(check: AccessCheck, requester: Pick<Requester, 'username'>): Verdict {
  return deny(check.rule, check.field, check.refusal(requester));
}

/** Fail closed when the authorizer could not be asked; the cause goes to the log, not to the user. */
export function checkFailed(check: AccessCheck): Verdict {
  const a = check.attributes;
  return deny(
    AccessRules.checkFailed,
    check.field,
    `Canopy could not confirm with the authorizer that the author may ${a.verb} ${qualified(a.resource, a.group)}${a.namespace ? ` in namespace "${a.namespace}"` : ''}, so the request is refused; try again in a moment`,
  );
}

/** The resource of a kind the control plane does not serve (a CRD installed on members only): kubectl's guess. */
export function guessPlural(kind: string): string {
  const lower = kind.toLowerCase();
  if (/(s|x|z|ch|sh)$/.test(lower)) return `${lower}es`;
  if (/[^aeiou]y$/.test(lower)) return `${lower.slice(0, -1)}ies`;
  return `${lower}s`;
}

/** A stable cache key for one question by one requester. */
export function accessKey(
  requester: Pick<Requester, 'username' | 'groups'> & { readonly uid?: string; readonly extra?: Readonly<Record<string, readonly string[]>> },
  a: AccessAttributes,
): string {
  const extra = requester.extra
    ? Object.keys(requester.extra)
        .sort()
        .map((k) => `${k}=${[...(requester.extra?.[k] ?? [])].sort().join(',')}`)
        .join(';')
    : '';
  return [
    requester.username,
    requester.uid ?? '',
    [...requester.groups].sort().join(','),
    extra,
    a.verb,
    a.group,
    a.resource,
    a.namespace ?? '',
    a.name ?? '',
  ].join('\u0000');
}
