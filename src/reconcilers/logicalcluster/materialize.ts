/**
 * The objects a logical cluster consists of, per cluster: pure input → the
 * exact manifests the shell server-side-applies (field manager `canopy`).
 *
 * Where they go: Namespace mode puts everything on the host. Cluster mode
 * puts the namespaces, quota, policies and RBAC on the bound member, and keeps
 * only the first namespace on the host, holding the kubeconfig Secret that the
 * owners may read.
 */

import type { OwnerSubject } from '../../hierarchy/types.js';
import type { Rule } from '../../hierarchy/logical-cluster.js';
import type { KubernetesObject } from '@kubernetes/client-node';
import { limitRangeItem, namespaceQuota } from './quota.js';
import {
  ALLOW_POLICY_NAME,
  DENY_POLICY_NAME,
  LIMIT_RANGE_NAME,
  POD_SECURITY_MODES,
  QUOTA_NAME,
  TENANT_ROLE,
  belongsTo,
  kubeconfigSecretName,
  ownershipLabels,
  serviceAccountName,
} from './names.js';
import { LABEL_LOGICAL_CLUSTER } from '../../crds/labels.js';

import type { PodSecurityLevel, ResourceList } from '../../crds/common.js';

export interface MaterializeInput {
  readonly name: string;
  readonly workspace: string;
  readonly mode: 'Namespace' | 'Cluster';
  /** Materialized names, first one holds the ServiceAccount and the Secret. */
  readonly namespaces: readonly string[];
  readonly podSecurity: PodSecurityLevel;
  /** Effective quota.hard of the whole logical cluster (split across namespaces). */
  readonly quotaHard?: ResourceList | undefined;
  /** Tenant Role rules (already capped). */
  readonly rules: readonly Rule[];
  readonly owners: readonly OwnerSubject[];
}

export interface MaterializedObjects {
  /** Objects on the host control plane. */
  readonly host: KubernetesObject[];
  /** Objects on the bound member (Cluster mode only). */
  readonly member: KubernetesObject[];
}

/** Everything to apply, namespaces first in each list (later objects live in them). */
export function materialize(input: MaterializeInput): MaterializedObjects {
  const tenant = tenantObjects(input);
  if (input.mode === 'Namespace') return { host: tenant, member: [] };
  const first = input.namespaces[0]!;
  const host: KubernetesObject[] = [
    { apiVersion: 'v1', kind: 'Namespace', metadata: { name: first, labels: namespaceLabels(input) } },
    ...(input.owners.length > 0 ? roleAndBinding(input, first, [kubeconfigReadRule(input.name)], input.owners.map(subject)) : []),
  ];
  return { host, member: tenant };
}

function tenantObjects(input: MaterializeInput): KubernetesObject[] {
  const labels = ownershipLabels(input.name, input.workspace);
  const nsLabels = namespaceLabels(input);
  const quota = namespaceQuota(input.quotaHard, input.namespaces.length);
  const first = input.namespaces[0]!;
  const sa = serviceAccountName(input.name);
  const subjects = [...input.owners.map(subject), { kind: 'ServiceAccount', name: sa, namespace: first }];
  const namespaces: KubernetesObject[] = input.namespaces.map((ns) => ({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: ns, labels: nsLabels } }));
  const inside: KubernetesObject[] = [{ apiVersion: 'v1', kind: 'ServiceAccount', metadata: { name: sa, namespace: first, labels } } as KubernetesObject];
  for (const ns of input.namespaces) {
    const meta = (name: string) => ({ name, namespace: ns, labels });
    if (Object.keys(quota).length > 0)
      inside.push({ apiVersion: 'v1', kind: 'ResourceQuota', metadata: meta(QUOTA_NAME), spec: { hard: quota } } as KubernetesObject);
    inside.push({ apiVersion: 'v1', kind: 'LimitRange', metadata: meta(LIMIT_RANGE_NAME), spec: { limits: [limitRangeItem(quota)] } } as KubernetesObject);
    inside.push({
      apiVersion: 'networking.k8s.io/v1',
      kind: 'NetworkPolicy',
      metadata: meta(DENY_POLICY_NAME),
      spec: { podSelector: {}, policyTypes: ['Ingress'] },
    } as KubernetesObject);
    inside.push({
      apiVersion: 'networking.k8s.io/v1',
      kind: 'NetworkPolicy',
      metadata: meta(ALLOW_POLICY_NAME),
      spec: {
        podSelector: {},
        policyTypes: ['Ingress'],
        ingress: [{ from: [{ namespaceSelector: { matchLabels: { [LABEL_LOGICAL_CLUSTER]: input.name } } }] }],
      },
    } as KubernetesObject);
    // On the host the first namespace also holds the kubeconfig Secret, which every subject may read.
    const rules = ns === first && input.mode === 'Namespace' ? [...input.rules, kubeconfigReadRule(input.name)] : input.rules;
    inside.push(...roleAndBinding(input, ns, rules, subjects));
  }
  return [...namespaces, ...inside];
}

/** Ownership labels plus the pod-security admission labels (enforce, warn, audit at one level). */
export function namespaceLabels(input: Pick<MaterializeInput, 'name' | 'workspace' | 'podSecurity'>): Record<string, string> {
  const labels = ownershipLabels(input.name, input.workspace);
  for (const mode of POD_SECURITY_MODES) labels[`pod-security.kubernetes.io/${mode}`] = input.podSecurity;
  return labels;
}

function roleAndBinding(input: MaterializeInput, namespace: string, rules: readonly Rule[], subjects: readonly Record<string, string>[]): KubernetesObject[] {
  const labels = ownershipLabels(input.name, input.workspace);
  return [
    {
      apiVersion: 'rbac.authorization.k8s.io/v1',
      kind: 'Role',
      metadata: { name: TENANT_ROLE, namespace, labels },
      rules: rules.map(cleanRule),
    } as KubernetesObject,
    {
      apiVersion: 'rbac.authorization.k8s.io/v1',
      kind: 'RoleBinding',
      metadata: { name: TENANT_ROLE, namespace, labels },
      roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name: TENANT_ROLE },
      subjects,
    } as KubernetesObject,
  ];
}

function kubeconfigReadRule(name: string): Rule {
  return { apiGroups: [''], resources: ['secrets'], verbs: ['get', 'watch'], resourceNames: [kubeconfigSecretName(name)] };
}

function cleanRule(r: Rule): Record<string, unknown> {
  return {
    apiGroups: [...(r.apiGroups ?? [''])],
    resources: [...r.resources],
    verbs: [...r.verbs],
    ...(r.resourceNames ? { resourceNames: [...r.resourceNames] } : {}),
  };
}

function subject(owner: OwnerSubject): Record<string, string> {
  if (owner.kind === 'ServiceAccount') return { kind: 'ServiceAccount', name: owner.name, namespace: owner.namespace ?? '' };
  return { kind: owner.kind, apiGroup: 'rbac.authorization.k8s.io', name: owner.name };
}

/** Kinds Canopy puts inside a logical cluster's namespaces (what pruning and cleanup look at). */
export const NAMESPACED_KINDS: ReadonlyArray<{ readonly apiVersion: string; readonly kind: string }> = [
  { apiVersion: 'v1', kind: 'ServiceAccount' },
  { apiVersion: 'v1', kind: 'ResourceQuota' },
  { apiVersion: 'v1', kind: 'LimitRange' },
  { apiVersion: 'v1', kind: 'Secret' },
  { apiVersion: 'networking.k8s.io/v1', kind: 'NetworkPolicy' },
  { apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'Role' },
  { apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'RoleBinding' },
];

export function objectKey(o: KubernetesObject): string {
  return `${o.apiVersion}/${o.kind}/${o.metadata?.namespace ?? ''}/${o.metadata?.name ?? ''}`;
}

/**
 * Existing objects of this logical cluster that the desired state no longer
 * has (a removed namespace, a quota that was dropped). Only objects carrying
 * Canopy's labels for this logical cluster are ever returned; `keep` names
 * extra keys that are desired but not applied from the list (the Secret).
 */
export function toPrune(
  lcName: string,
  desired: readonly KubernetesObject[],
  existing: readonly KubernetesObject[],
  keep: readonly string[] = [],
): KubernetesObject[] {
  const wanted = new Set([...desired.map(objectKey), ...keep]);
  return existing.filter((o) => belongsTo(o.metadata?.labels, lcName) && !wanted.has(objectKey(o)));
}
