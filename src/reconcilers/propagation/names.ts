/**
 * Labels, annotations and names the syncer puts on what it creates. The keys
 * shared by every component (managed-by, workspace, logical-cluster) live in
 * src/crds/labels.ts; these are specific to propagation.
 */
import { createHash } from 'node:crypto';

/**
 * On every member copy of a PropagatedObject: `<namespace>.<name>` of the
 * PropagatedObject (hashed when longer than a label value may be), so member
 * informers can select exactly what Canopy placed.
 */
export const LABEL_PROPAGATED_OBJECT = 'canopy.dev/propagated-object';
/** The exact `<namespace>/<name>` of the PropagatedObject, since the label may be hashed. */
export const ANNOTATION_PROPAGATED_OBJECT = 'canopy.dev/propagated-object';
/**
 * On member objects that follow a namespace's workloads rather than one
 * PropagatedObject: `dependency` (a ConfigMap, Secret, ServiceAccount or PVC
 * a placed pod template references) or `rbac` (a Role or RoleBinding of the
 * tenant namespace).
 */
export const LABEL_COMPANION = 'canopy.dev/companion';
export type CompanionRole = 'dependency' | 'rbac';
/** Per-object override of how long old copies are kept while the replacement is not ready yet. */
export const ANNOTATION_HANDOVER_TIMEOUT = 'propagation.canopy.dev/handover-timeout-seconds';
/** Finalizer that keeps a PropagatedObject until its member copies are gone. */
export const FINALIZER = 'propagation.canopy.dev/cleanup';

const MAX_LABEL_VALUE = 63;
/** Label value prefix on copies of ClusterPropagatedObjects (whose owner key is `/<name>`); `.` cannot start a namespace name. */
export const CLUSTER_SCOPED_LABEL_PREFIX = 'cluster';

/** `<ns>.<name>` when it fits in a label value, else a stable shortened form ending in a hash. */
export function propagatedObjectLabelValue(namespace: string, name: string): string {
  // A ClusterPropagatedObject has no namespace, and a label value must start with a letter or digit.
  const full = namespace ? `${namespace}.${name}` : `${CLUSTER_SCOPED_LABEL_PREFIX}.${name}`;
  if (full.length <= MAX_LABEL_VALUE) return full;
  const hash = createHash('sha256').update(`${namespace}/${name}`).digest('hex').slice(0, 10);
  // Keep a readable prefix; label values must end alphanumeric, which the hash does.
  return `${full.slice(0, MAX_LABEL_VALUE - hash.length - 1).replace(/[^A-Za-z0-9]+$/, '')}-${hash}`;
}

/** The `namespace/name` key of the PropagatedObject a member object belongs to, if any. */
export function ownerKeyOf(annotations: Readonly<Record<string, string>> | undefined): string | undefined {
  const v = annotations?.[ANNOTATION_PROPAGATED_OBJECT];
  return v?.includes('/') ? v : undefined;
}

/**
 * Name of the PropagatedObject generated for a plain object: the object's
 * name plus its kind, lower-cased (`web-deployment`), so a Deployment and a
 * Service called `web` get distinct PropagatedObjects. Shortened with a hash
 * when it would exceed the 253 characters a name may have.
 */
export function generatedName(name: string, kind: string): string {
  const full = `${name}-${kind.toLowerCase()}`;
  if (full.length <= 253) return full;
  const hash = createHash('sha256').update(full).digest('hex').slice(0, 10);
  return `${full.slice(0, 253 - hash.length - 1)}-${hash}`;
}

/** `group/version` → group (`apps/v1` → `apps`, `v1` → ``). */
export function groupOf(apiVersion: string): string {
  const slash = apiVersion.indexOf('/');
  return slash < 0 ? '' : apiVersion.slice(0, slash);
}
