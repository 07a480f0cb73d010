/**
 * ClusterPropagatedObject (cluster-scoped): one cluster-scoped object
 * (a CustomResourceDefinition, ClusterRole, ClusterRoleBinding,
 * StorageClass, PriorityClass, a Namespace with its labels…) placed onto
 * member clusters. Only cluster administrators may create one: RBAC grants it
 * to no tenant role, and admission refuses anyone who is not a cluster admin.
 * Placement, overrides and status work as for a PropagatedObject.
 */
import { type Hint, type Kind, type OptionalKind, type ReadonlyKind, Type, type Static } from '@sinclair/typebox';
import type { V1ObjectMeta } from '@kubernetes/client-node';
import { GROUP, LocalObjectReferenceSchema, VERSION, type ApiVersion, type ResourceDescriptor } from './common.js';
import { conditionColumn, customResourceDefinition } from './crd.js';
import { OverrideSchema, PropagatedObjectStatusSchema, type EmbeddedObject, type PropagatedObjectStatus } from './propagatedobject.js';
import { validations } from './schema.js';

export const CLUSTER_PROPAGATED_OBJECT_KIND = 'ClusterPropagatedObject';
export const ClusterPropagatedObjectResource: ResourceDescriptor = {
  group: GROUP,
  version: VERSION,
  kind: CLUSTER_PROPAGATED_OBJECT_KIND,
  plural: 'clusterpropagatedobjects',
  namespaced: false,
};

/**
 * CEL cannot see metadata.namespace of an embedded object (only name and
 * generateName are typed there): admission refuses a template that sets it
 * (propagation/cluster-scoped-validator.ts).
 *
 * Well-known namespaced kinds, refused statically (a typo'd kind cannot be
 * judged without discovery: the syncer reports a namespaced kind it meets on
 * a member as a failed apply).
 */
export const WELL_KNOWN_NAMESPACED_KINDS = [
  'Pod',
  'Deployment',
  'StatefulSet',
  'DaemonSet',
  'ReplicaSet',
  'Job',
  'CronJob',
  'Service',
  'ConfigMap',
  'Secret',
  'ServiceAccount',
  'PersistentVolumeClaim',
  'Role',
  'RoleBinding',
  'Ingress',
  'NetworkPolicy',
  'HorizontalPodAutoscaler',
  'PodDisruptionBudget',
  'ResourceQuota',
  'LimitRange',
] as const;

const celList = (values: readonly string[]): string => `[${values.map((v) => `'${v}'`).join(', ')}]`;

export const ClusterPropagatedObjectSpecSchema = Type.Object(
  {
    template: Type.Unsafe<EmbeddedObject>({
      type: 'object',
      description:
        'The cluster-scoped object to place (CustomResourceDefinition, ClusterRole, ClusterRoleBinding, StorageClass, PriorityClass, Namespace…); it has no metadata.namespace.',
      'x-kubernetes-preserve-unknown-fields': true,
      'x-kubernetes-embedded-resource': true,
      ...validations(
        {
          rule: "has(self.metadata) && has(self.metadata.name) && self.metadata.name != ''",
          message: 'spec.template.metadata.name is required',
        },
        {
          rule: `!(self.kind in ${celList(WELL_KNOWN_NAMESPACED_KINDS)})`,
          message: 'spec.template is a namespaced kind: use a PropagatedObject for it',
        },
        {
          rule: "!self.apiVersion.startsWith('canopy.dev/')",
          message: 'spec.template cannot be a canopy.dev object',
        },
        {
          rule: 'self.apiVersion == oldSelf.apiVersion && self.kind == oldSelf.kind && self.metadata.name == oldSelf.metadata.name',
          message: 'spec.template apiVersion, kind and metadata.name are immutable; create a new ClusterPropagatedObject instead',
        },
      ),
    }),
    overrides: Type.Optional(Type.Array(OverrideSchema, { description: 'Per-cluster changes, applied in order.', maxItems: 32 })),
    // Required: PlacementPolicies select namespaced kinds only, so a cluster-scoped object names its policy.
    placementRef: {
      ...LocalObjectReferenceSchema,
      description: 'The PlacementPolicy that decides where it goes (its resourceSelectors are not consulted).',
    },
  },
  { description: 'What to place and how it differs per cluster.' },
);
export type ClusterPropagatedObjectSpec = Static<typeof ClusterPropagatedObjectSpecSchema>;

export interface ClusterPropagatedObject {
  apiVersion: ApiVersion;
  kind: typeof CLUSTER_PROPAGATED_OBJECT_KIND;
  metadata: V1ObjectMeta;
  spec: ClusterPropagatedObjectSpec;
  status?: PropagatedObjectStatus;
}

export const clusterPropagatedObjectCustomResourceDefinition = customResourceDefinition({
  kind: CLUSTER_PROPAGATED_OBJECT_KIND,
  plural: ClusterPropagatedObjectResource.plural,
  singular: 'clusterpropagatedobject',
  shortNames: ['cpobj'],
  scope: 'Cluster',
  description: 'One cluster-scoped object (CRD, ClusterRole, StorageClass…) placed onto member clusters; for cluster administrators only.',
  spec: ClusterPropagatedObjectSpecSchema,
  status: PropagatedObjectStatusSchema,
  specRequired: true,
  printerColumns: [
    { name: 'Kind', type: 'string', jsonPath: '.spec.template.kind' },
    conditionColumn('Scheduled'),
    conditionColumn('Synced'),
    conditionColumn('Ready'),
    { name: 'Clusters', type: 'string', jsonPath: '.status.placement[*].cluster' },
  ],
});

/** The TypeBox symbols inside this module's schema types, named here so the declarations canopy/api ships can be emitted. */
export type ClusterPropagatedObjectSchemaSymbols = typeof Hint | typeof Kind | typeof OptionalKind | typeof ReadonlyKind;
