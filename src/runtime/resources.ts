import type { KubeObject } from './object.js';

/** Enough about an API resource to list, watch and write it without discovery. */
export interface ResourceRef {
  /** `v1`, `apps/v1`, `canopy.dev/v1alpha1` … */
  readonly apiVersion: string;
  readonly kind: string;
  /** The URL segment: `configmaps`, `workspaces` … */
  readonly plural: string;
  readonly namespaced: boolean;
}

function ref(apiVersion: string, kind: string, plural: string, namespaced: boolean): ResourceRef {
  return Object.freeze({ apiVersion, kind, plural, namespaced });
}

/** Resources the reconcilers use, by kind. */
export const Resources = {
  Namespace: ref('v1', 'Namespace', 'namespaces', false),
  ConfigMap: ref('v1', 'ConfigMap', 'configmaps', true),
  Secret: ref('v1', 'Secret', 'secrets', true),
  ServiceAccount: ref('v1', 'ServiceAccount', 'serviceaccounts', true),
  ResourceQuota: ref('v1', 'ResourceQuota', 'resourcequotas', true),
  LimitRange: ref('v1', 'LimitRange', 'limitranges', true),
  Event: ref('v1', 'Event', 'events', true),
  Pod: ref('v1', 'Pod', 'pods', true),
  Service: ref('v1', 'Service', 'services', true),
  Role: ref('rbac.authorization.k8s.io/v1', 'Role', 'roles', true),
  RoleBinding: ref('rbac.authorization.k8s.io/v1', 'RoleBinding', 'rolebindings', true),
  ClusterRole: ref('rbac.authorization.k8s.io/v1', 'ClusterRole', 'clusterroles', false),
  ClusterRoleBinding: ref('rbac.authorization.k8s.io/v1', 'ClusterRoleBinding', 'clusterrolebindings', false),
  NetworkPolicy: ref('networking.k8s.io/v1', 'NetworkPolicy', 'networkpolicies', true),
  Deployment: ref('apps/v1', 'Deployment', 'deployments', true),
  Lease: ref('coordination.k8s.io/v1', 'Lease', 'leases', true),
  CustomResourceDefinition: ref('apiextensions.k8s.io/v1', 'CustomResourceDefinition', 'customresourcedefinitions', false),
  Workspace: ref('canopy.dev/v1alpha1', 'Workspace', 'workspaces', false),
  LogicalCluster: ref('canopy.dev/v1alpha1', 'LogicalCluster', 'logicalclusters', false),
  Cluster: ref('canopy.dev/v1alpha1', 'Cluster', 'clusters', false),
  PlacementPolicy: ref('canopy.dev/v1alpha1', 'PlacementPolicy', 'placementpolicies', false),
  PropagatedObject: ref('canopy.dev/v1alpha1', 'PropagatedObject', 'propagatedobjects', true),
  ClusterPropagatedObject: ref('canopy.dev/v1alpha1', 'ClusterPropagatedObject', 'clusterpropagatedobjects', false),
} as const satisfies Record<string, ResourceRef>;

/** The API group of an apiVersion (`''` for the core group). */
export function groupOf(apiVersion: string): string {
  const slash = apiVersion.indexOf('/');
  return slash < 0 ? '' : apiVersion.slice(0, slash);
}

/** A well-known resource for an apiVersion/kind, without asking the apiserver. */
export function knownResource(apiVersion: string, kind: string): ResourceRef | undefined {
  return Object.values(Resources).find((r) => r.apiVersion === apiVersion && r.kind === kind);
}

/**
 * The REST path of a collection or an object:
 * `/api/v1/namespaces/ns/configmaps/name/status`.
 */
export function resourcePath(resource: ResourceRef, namespace?: string, name?: string, subresource?: string): string {
  const base = resource.apiVersion.includes('/') ? `/apis/${resource.apiVersion}` : `/api/${resource.apiVersion}`;
  const ns = resource.namespaced && namespace ? `/namespaces/${encodeURIComponent(namespace)}` : '';
  let path = `${base}${ns}/${resource.plural}`;
  if (name !== undefined) path += `/${encodeURIComponent(name)}`;
  if (subresource !== undefined) path += `/${subresource}`;
  return path;
}

/** The path of an existing object of this resource. */
export function objectPath(resource: ResourceRef, object: KubeObject, subresource?: string): string {
  const name = object.metadata?.name;
  if (!name) throw new Error(`${resource.kind} has no metadata.name`);
  return resourcePath(resource, object.metadata?.namespace, name, subresource);
}
