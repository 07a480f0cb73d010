/**
 * PropagatedObject (namespaced): one object placed onto member clusters,
 * either written by a user (spec.template) or created by Canopy for a plain
 * object a PlacementPolicy selects (spec.sourceRef, plus an owner reference).
 */
import { type Hint, type Kind, type OptionalKind, type ReadonlyKind, Type, type Static } from '@sinclair/typebox';
import type { V1ObjectMeta } from '@kubernetes/client-node';
import {
  ConditionsSchema,
  GROUP,
  LabelSelectorSchema,
  LocalObjectReferenceSchema,
  ObservedGenerationSchema,
  TypedObjectReferenceSchema,
  VERSION,
  type ApiVersion,
  type ResourceDescriptor,
} from './common.js';
import { conditionColumn, customResourceDefinition } from './crd.js';
import { AnyJson, DnsLabel, StringEnum, Timestamp, validations } from './schema.js';
import { RolloutSchema, RolloutStatusSchema } from './rollout.js';

export const PROPAGATED_OBJECT_KIND = 'PropagatedObject';
export const PropagatedObjectResource: ResourceDescriptor = {
  group: GROUP,
  version: VERSION,
  kind: PROPAGATED_OBJECT_KIND,
  plural: 'propagatedobjects',
  namespaced: true,
};

/** Condition types a PropagatedObject reports. */
export const PropagatedObjectConditions = {
  Scheduled: 'Scheduled',
  Synced: 'Synced',
  Ready: 'Ready',
} as const;

/** Reasons of a False Scheduled condition. */
export const ScheduledReasons = {
  /** The filters left no cluster (conflicting intent, empty set). */
  Unschedulable: 'Unschedulable',
  /** The object asks for a cluster that policy forbids. */
  Invalid: 'Invalid',
  /** A first decision waits for the first health probe of a newly registered cluster it would choose. */
  AwaitingClusterHealth: 'AwaitingClusterHealth',
  /** A generated PropagatedObject no policy selects any more: its copies are kept for the deselection grace. */
  Deselected: 'Deselected',
} as const;

/** Any Kubernetes object, kept verbatim apart from its metadata (which the apiserver validates). */
export interface EmbeddedObject {
  apiVersion: string;
  kind: string;
  metadata: V1ObjectMeta;
  [field: string]: unknown;
}

export const PATCH_OPERATIONS = ['add', 'remove', 'replace'] as const;
export type PatchOperation = (typeof PATCH_OPERATIONS)[number];

/** Paths an override must not touch: they decide which object is being placed. */
const IDENTITY_PATHS = ['/apiVersion', '/kind', '/metadata', '/metadata/name', '/metadata/namespace'];

export const JsonPatchOperationSchema = Type.Object(
  {
    op: StringEnum(PATCH_OPERATIONS, { description: 'add, remove or replace (RFC 6902).' }),
    path: Type.String({
      description: 'JSON pointer into the object, e.g. /spec/replicas.',
      maxLength: 1024,
      pattern: '^(/([^/~]|~[01])*)+$',
    }),
    value: Type.Optional(AnyJson({ description: 'The value for add and replace.' })),
  },
  // Whether `value` is present cannot be a CEL rule: the apiserver hides untyped
  // (preserve-unknown-fields) fields from CEL, so admission checks that instead.
  validations({
    rule: `!(self.path in ${JSON.stringify(IDENTITY_PATHS).replaceAll('"', "'").replaceAll(',', ', ')})`,
    message: 'overrides cannot change apiVersion, kind, metadata.name or metadata.namespace',
  }),
);
export type JsonPatchOperation = Static<typeof JsonPatchOperationSchema>;

export const OverrideSchema = Type.Object({
  clusterSelector: Type.Optional(LabelSelectorSchema('Clusters this override applies to; empty or absent means all.')),
  clusters: Type.Optional(Type.Array(DnsLabel(), { description: 'Or name the clusters directly.', maxItems: 64, 'x-kubernetes-list-type': 'set' })),
  patches: Type.Array(JsonPatchOperationSchema, {
    description: 'JSON patches applied to the template for those clusters.',
    minItems: 1,
    maxItems: 64,
  }),
});
export type Override = Static<typeof OverrideSchema>;

export const PropagatedObjectSpecSchema = Type.Object(
  {
    template: Type.Optional(
      Type.Unsafe<EmbeddedObject>({
        type: 'object',
        description: 'The object to place (any kind); it lands in the namespace of the same name on each cluster.',
        'x-kubernetes-preserve-unknown-fields': true,
        'x-kubernetes-embedded-resource': true,
        ...validations(
          {
            rule: "has(self.metadata) && has(self.metadata.name) && self.metadata.name != ''",
            message: 'spec.template.metadata.name is required',
          },
          {
            rule: "!self.apiVersion.startsWith('canopy.dev/')",
            message: 'spec.template cannot be a canopy.dev object',
          },
          {
            rule: 'self.apiVersion == oldSelf.apiVersion && self.kind == oldSelf.kind && self.metadata.name == oldSelf.metadata.name',
            message: 'spec.template apiVersion, kind and metadata.name are immutable; create a new PropagatedObject instead',
          },
        ),
      }),
    ),
    sourceRef: Type.Optional({
      ...TypedObjectReferenceSchema,
      description: 'Set by Canopy: the plain object in this namespace that is placed (immutable).',
      ...validations({ rule: 'self == oldSelf', message: 'spec.sourceRef is immutable' }),
    }),
    overrides: Type.Optional(Type.Array(OverrideSchema, { description: 'Per-cluster changes, applied in order.', maxItems: 32 })),
    placementRef: Type.Optional({
      ...LocalObjectReferenceSchema,
      description: 'Pin this PlacementPolicy instead of the highest-priority match.',
    }),
    rollout: Type.Optional({ ...RolloutSchema, description: "Overrides the PlacementPolicy's rollout for this object." }),
  },
  {
    description: 'What to place and how it differs per cluster.',
    ...validations({
      rule: 'has(self.template) != has(self.sourceRef)',
      message: 'exactly one of spec.template or spec.sourceRef is required',
    }),
  },
);
export type PropagatedObjectSpec = Static<typeof PropagatedObjectSpecSchema>;

export const PlacementDecisionSchema = Type.Object({
  cluster: Type.String({ description: 'Chosen cluster.' }),
  replicas: Type.Optional(Type.Integer({ description: 'Replicas assigned there (Divide).', format: 'int32', minimum: 0 })),
  reason: Type.Optional(Type.String({ description: 'Why it was chosen.' })),
});
export type PlacementDecision = Static<typeof PlacementDecisionSchema>;

export const ExclusionSchema = Type.Object({
  cluster: Type.String({ description: 'Cluster not chosen.' }),
  reason: Type.String({ description: 'Why not: failed filter, taint, constraint or policy engine.' }),
  plugin: Type.Optional(Type.String({ description: 'The filter that excluded it.' })),
  until: Type.Optional(Timestamp({ description: 'Excluded at least until then (a back-off, e.g. after the copy there stayed unhealthy).' })),
});
export type Exclusion = Static<typeof ExclusionSchema>;

export const CLUSTER_SYNC_STATES = ['Pending', 'Synced', 'Failed', 'Deleting'] as const;
export type ClusterSyncState = (typeof CLUSTER_SYNC_STATES)[number];

export const ClusterSyncStatusSchema = Type.Object({
  cluster: Type.String({ description: 'Member cluster.' }),
  state: Type.Optional(StringEnum(CLUSTER_SYNC_STATES, { description: 'Pending, Synced, Failed or Deleting.' })),
  syncedGeneration: Type.Optional(Type.Integer({ description: 'The PropagatedObject generation last applied there.', format: 'int64', minimum: 0 })),
  observedGeneration: Type.Optional(Type.Integer({ description: "The member object's generation its status describes.", format: 'int64', minimum: 0 })),
  replicas: Type.Optional(Type.Integer({ description: 'Workloads: desired replicas there.', format: 'int32', minimum: 0 })),
  readyReplicas: Type.Optional(Type.Integer({ description: 'Workloads: ready replicas there.', format: 'int32', minimum: 0 })),
  availableReplicas: Type.Optional(Type.Integer({ description: 'Workloads: available replicas there.', format: 'int32', minimum: 0 })),
  message: Type.Optional(Type.String({ description: 'Last error or a status summary.' })),
  lastSyncTime: Type.Optional(Timestamp({ description: 'When the object was last applied there.' })),
  notReadySince: Type.Optional(Timestamp({ description: 'Since when the copy there has been applied but not Ready (for failover.unhealthySeconds).' })),
  appliedRevision: Type.Optional(
    Type.String({ description: 'Rolling or Staged rollout: the revision (hash of template and overrides) the copy there runs.', maxLength: 64 }),
  ),
  readyRevision: Type.Optional(Type.String({ description: 'Rolling or Staged rollout: the latest revision the copy there was Ready for.', maxLength: 64 })),
});
export type ClusterSyncStatus = Static<typeof ClusterSyncStatusSchema>;

const byCluster = { 'x-kubernetes-list-type': 'map', 'x-kubernetes-list-map-keys': ['cluster'] };

export const PropagatedObjectStatusSchema = Type.Object(
  {
    policy: Type.Optional(Type.String({ description: 'The PlacementPolicy that decided placement.' })),
    placement: Type.Optional(Type.Array(PlacementDecisionSchema, { description: 'Where it runs and why.', ...byCluster })),
    excluded: Type.Optional(Type.Array(ExclusionSchema, { description: 'Where it does not run and why.', ...byCluster })),
    clusters: Type.Optional(Type.Array(ClusterSyncStatusSchema, { description: 'Per-cluster sync state.', ...byCluster })),
    replicas: Type.Optional(Type.Integer({ description: 'Workloads: desired replicas over all clusters.', minimum: 0 })),
    readyReplicas: Type.Optional(Type.Integer({ description: 'Workloads: ready replicas over all clusters.', minimum: 0 })),
    rebalancedAt: Type.Optional(Timestamp({ description: 'The last rebalance request (canopy.dev/rebalance-requested-at) placement has acted on.' })),
    conditions: Type.Optional(ConditionsSchema),
    observedGeneration: Type.Optional(ObservedGenerationSchema),
    rollout: Type.Optional(RolloutStatusSchema),
  },
  { description: 'Where the object was placed, where not, and how it is doing there.' },
);
export type PropagatedObjectStatus = Static<typeof PropagatedObjectStatusSchema>;

export interface PropagatedObject {
  apiVersion: ApiVersion;
  kind: typeof PROPAGATED_OBJECT_KIND;
  metadata: V1ObjectMeta;
  spec: PropagatedObjectSpec;
  status?: PropagatedObjectStatus;
}

export const propagatedObjectCustomResourceDefinition = customResourceDefinition({
  kind: PROPAGATED_OBJECT_KIND,
  plural: PropagatedObjectResource.plural,
  singular: 'propagatedobject',
  // Not `po`: kubectl already resolves that to pods.
  shortNames: ['pobj'],
  scope: 'Namespaced',
  description: 'One object placed onto member clusters, with per-cluster overrides and status.',
  spec: PropagatedObjectSpecSchema,
  status: PropagatedObjectStatusSchema,
  specRequired: true,
  printerColumns: [
    { name: 'Kind', type: 'string', jsonPath: '.spec.template.kind', priority: 1 },
    conditionColumn('Scheduled'),
    conditionColumn('Synced'),
    conditionColumn('Ready'),
    { name: 'Clusters', type: 'string', jsonPath: '.status.placement[*].cluster' },
  ],
});

/** The TypeBox symbols inside this module's schema types, named here so the declarations canopy/api ships can be emitted. */
export type PropagatedObjectSchemaSymbols = typeof Hint | typeof Kind | typeof OptionalKind | typeof ReadonlyKind;
