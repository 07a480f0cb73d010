/**
 * Names and labels of everything a LogicalCluster materializes. One place, so
 * the reconciler, cleanup, the webhook and the tests agree on every spelling.
 */

import { LABEL_LOGICAL_CLUSTER, LABEL_MANAGED_BY, LABEL_WORKSPACE, MANAGED_BY_VALUE } from '../../crds/labels.js';

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

/** The ServiceAccount the kubeconfig's token belongs to: named after the logical cluster. */
export function serviceAccountName(lcName: string): string {
  return lcName;
}

export function kubeconfigSecretName(lcName: string): string {
  return `${lcName}-kubeconfig`;
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
