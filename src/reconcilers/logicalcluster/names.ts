// Names and labels of everything a LogicalCluster materializes. One place, so
// the reconciler, cleanup, the webhook and the tests agree on every spelling.

import { LABEL_LOGICAL_CLUSTER, LABEL_MANAGED_BY, LABEL_WORKSPACE, MANAGED_BY_VALUE } from '../../crds/labels.js';
import type { LogicalClusterLike } from './types.js';

export const FINALIZER = 'canopy.dev/logicalcluster-cleanup';

/** Role and RoleBinding that carry the tenant's capabilities, in every namespace. */
export const TENANT_ROLE = 'canopy-tenant';
export const QUOTA_NAME = 'canopy-quota';
export const LIMIT_RANGE_NAME = 'canopy-defaults';
export const DENY_POLICY_NAME = 'canopy-default-deny';
export const ALLOW_POLICY_NAME = 'canopy-allow-same-logical-cluster';
export const KUBECONFIG_KEY = 'kubeconfig';

/** Annotations on the kubeconfig Secret: when its token expires and what it points at. */
export const ANNOTATION_TOKEN_EXPIRES = 'canopy.dev/token-expires-at';
export const ANNOTATION_KUBECONFIG_TARGET = 'canopy.dev/kubeconfig-target';

export const POD_SECURITY_MODES = ['enforce', 'warn', 'audit'] as const;

const DNS_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;

/** The ServiceAccount the kubeconfig's token belongs to: named after the logical cluster. */
export function serviceAccountName(lcName: string): string {
  return lcName;
}

export function kubeconfigSecretName(lcName: string): string {
  return `${lcName}-kubeconfig`;
}

/** `<lc>` for an empty suffix, `<lc>-<suffix>` otherwise. */
export function namespaceName(lcName: string, suffix: string): string {
  return suffix === '' ? lcName : `${lcName}-${suffix}`;
}

export type NamespacePlan = { ok: true; namespaces: string[] } | { ok: false; reason: string };

/**
 * The materialized namespace names, in spec order (the first one holds the
 * ServiceAccount and the kubeconfig Secret). No spec.namespaces means one
 * namespace named after the logical cluster.
 */
export function planNamespaces(lc: Pick<LogicalClusterLike, 'metadata' | 'spec'>): NamespacePlan {
  const lcName = lc.metadata.name ?? '';
  if (!DNS_LABEL.test(lcName) || lcName.length > 63) {
    return { ok: false, reason: `name "${lcName}" is not a DNS label of at most 63 characters, so it cannot name a namespace` };
  }
  const suffixes = lc.spec.namespaces && lc.spec.namespaces.length > 0 ? lc.spec.namespaces : [''];
  const names: string[] = [];
  for (const suffix of suffixes) {
    const name = namespaceName(lcName, suffix);
    if (!DNS_LABEL.test(name) || name.length > 63) {
      return { ok: false, reason: `namespace "${name}" (from spec.namespaces entry "${suffix}") is not a DNS label of at most 63 characters` };
    }
    if (names.includes(name)) return { ok: false, reason: `spec.namespaces names "${name}" twice` };
    names.push(name);
  }
  return { ok: true, namespaces: names };
}

/** The labels every object of a logical cluster carries (the cleanup query). */
export function ownershipLabels(lcName: string, workspace: string): Record<string, string> {
  return { [LABEL_MANAGED_BY]: MANAGED_BY_VALUE, [LABEL_WORKSPACE]: workspace, [LABEL_LOGICAL_CLUSTER]: lcName };
}

/** Label selector string matching everything Canopy created for this logical cluster. */
export function ownershipSelector(lcName: string): string {
  return `${LABEL_MANAGED_BY}=${MANAGED_BY_VALUE},${LABEL_LOGICAL_CLUSTER}=${lcName}`;
}

/** Canopy touches an existing object only when it carries the managed-by label. */
export function isCanopyManaged(labels: Readonly<Record<string, string>> | undefined): boolean {
  return labels?.[LABEL_MANAGED_BY] === MANAGED_BY_VALUE;
}

/** Whether an object is one Canopy created for this logical cluster. */
export function belongsTo(labels: Readonly<Record<string, string>> | undefined, lcName: string): boolean {
  return isCanopyManaged(labels) && labels?.[LABEL_LOGICAL_CLUSTER] === lcName;
}
