/**
 * Which object types are copied down the tree: Role and RoleBinding always,
 * plus every type a workspace or any of its ancestors lists in spec.propagate.
 */

import type { PropagatedType } from './types.js';

/** Role and RoleBinding always propagate (docs/concepts.md); spec.propagate adds to them. */
export const DEFAULT_PROPAGATED_TYPES: readonly PropagatedType[] = [
  { apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'Role' },
  { apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'RoleBinding' },
];

/**
 * Identity of an object type across API versions ("RoleBinding.rbac.authorization.k8s.io",
 * "ConfigMap"): an object served at v1 and v1beta1 is one object.
 */
export function typeKey(apiVersion: string, kind: string): string {
  const slash = apiVersion.indexOf('/');
  const group = slash < 0 ? '' : apiVersion.slice(0, slash);
  return group === '' ? kind : `${kind}.${group}`;
}

export const DEFAULT_TYPE_KEYS: ReadonlySet<string> = new Set(DEFAULT_PROPAGATED_TYPES.map((t) => typeKey(t.apiVersion, t.kind)));

// Share the parent's set when a workspace adds no type, so a deep tree costs O(1) per node.
export function withTypes(inherited: ReadonlySet<string>, extra: readonly PropagatedType[] | undefined): ReadonlySet<string> {
  if (!extra || extra.length === 0) return inherited;
  const keys = extra.map((t) => typeKey(t.apiVersion, t.kind));
  if (keys.every((k) => inherited.has(k))) return inherited;
  return new Set([...inherited, ...keys]);
}
