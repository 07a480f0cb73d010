/**
 * Workspace (cluster-scoped): a node of the tenancy tree. Each Workspace owns
 * a home namespace of the same name; constraints, RBAC and propagated objects
 * flow from it to every descendant.
 */
import { type Hint, type Kind, type OptionalKind, type ReadonlyKind, Type, type Static } from '@sinclair/typebox';
import type { V1ObjectMeta } from '@kubernetes/client-node';
import {
  ConditionsSchema,
  ConstraintsSchema,
  GROUP,
  ObservedGenerationSchema,
  ResourceListSchema,
  SubjectsSchema,
  TypeReferenceSchema,
  VERSION,
  type ApiVersion,
  type ResourceDescriptor,
} from './common.js';
import { conditionColumn, customResourceDefinition } from './crd.js';
import { DnsLabel } from './schema.js';

export const WORKSPACE_KIND = 'Workspace';
export const WorkspaceResource: ResourceDescriptor = {
  group: GROUP,
  version: VERSION,
  kind: WORKSPACE_KIND,
  plural: 'workspaces',
  namespaced: false,
};

/** Condition types a Workspace reports besides Ready. */
export const WorkspaceConditions = {
  Ready: 'Ready',
  /** The parent chain loops; propagation into the cycle stops, the message names its members. */
  CycleDetected: 'CycleDetected',
  /** spec.parent names a Workspace that does not exist. */
  ParentMissing: 'ParentMissing',
} as const;

/**
 * An initializer's name: a DNS-1123 label, optionally prefixed by a DNS
 * subdomain and a slash (`cost-center`, `acme.example.com/cost-center`), the
 * shape of finalizer names, so teams can keep theirs apart by domain.
 */
export const INITIALIZER_NAME_PATTERN = '^([a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*/)?[a-z0-9]([-a-z0-9]*[a-z0-9])?$';
/** A 253-character domain, a slash and a 63-character name. */
export const INITIALIZER_NAME_MAX_LENGTH = 317;
/** Initializers one Workspace may list; a logical cluster gets the union over its workspace and every ancestor. */
export const MAX_WORKSPACE_INITIALIZERS = 16;
/** Bound of a LogicalCluster's status.initializers: the union over a chain of workspaces. */
export const MAX_LOGICAL_CLUSTER_INITIALIZERS = 128;

export function InitializerNameSchema(description?: string) {
  return Type.String({
    ...(description ? { description } : {}),
    maxLength: INITIALIZER_NAME_MAX_LENGTH,
    pattern: INITIALIZER_NAME_PATTERN,
  });
}

export const WorkspaceSpecSchema = Type.Object(
  {
    parent: Type.Optional(
      Type.String({
        description: 'Name of the parent Workspace; empty or absent for a root workspace.',
        maxLength: 63,
        pattern: '^([a-z0-9]([-a-z0-9]*[a-z0-9])?)?$',
      }),
    ),
    owners: Type.Optional({
      ...SubjectsSchema,
      description: 'Subjects who administer this workspace and its whole subtree.',
    }),
    constraints: Type.Optional(ConstraintsSchema),
    propagate: Type.Optional(
      Type.Array(TypeReferenceSchema, {
        description: 'Object types copied from the home namespace down the tree, besides Role and RoleBinding.',
        maxItems: 32,
        'x-kubernetes-list-type': 'map',
        'x-kubernetes-list-map-keys': ['apiVersion', 'kind'],
      }),
    ),
    initializers: Type.Optional(
      Type.Array(InitializerNameSchema(), {
        description:
          'Initializers every LogicalCluster created in this workspace or below it must pass before its kubeconfig is issued ' +
          "(a logical cluster gets the union of its workspace's and every ancestor's). Names are a DNS label, optionally " +
          'prefixed by a domain and a slash (acme.example.com/cost-center). Changing the list does not affect existing logical clusters.',
        maxItems: MAX_WORKSPACE_INITIALIZERS,
        'x-kubernetes-list-type': 'set',
      }),
    ),
  },
  { description: 'Desired place in the tree, administrators and inherited policy.' },
);
export type WorkspaceSpec = Static<typeof WorkspaceSpecSchema>;

export const WorkspaceStatusSchema = Type.Object(
  {
    path: Type.Optional(Type.String({ description: 'Path from the root, e.g. root:acme:team-a.' })),
    depth: Type.Optional(Type.Integer({ description: 'Distance from the root (a root is 0).', minimum: 0 })),
    children: Type.Optional(Type.Array(Type.String(), { description: 'Names of the child Workspaces.', 'x-kubernetes-list-type': 'set' })),
    logicalClusters: Type.Optional(Type.Integer({ description: 'Number of LogicalClusters in this workspace (not its subtree).', minimum: 0 })),
    effectiveConstraints: Type.Optional({
      ...ConstraintsSchema,
      description: "This workspace's constraints intersected with every ancestor's.",
    }),
    quotaUsed: Type.Optional(ResourceListSchema('Usage summed over the subtree, for the resources in quota.hard.')),
    conditions: Type.Optional(ConditionsSchema),
    observedGeneration: Type.Optional(ObservedGenerationSchema),
  },
  { description: 'Observed place in the tree and effective policy.' },
);
export type WorkspaceStatus = Static<typeof WorkspaceStatusSchema>;

export interface Workspace {
  apiVersion: ApiVersion;
  kind: typeof WORKSPACE_KIND;
  metadata: V1ObjectMeta;
  spec: WorkspaceSpec;
  status?: WorkspaceStatus;
}

export const workspaceCustomResourceDefinition = customResourceDefinition({
  kind: WORKSPACE_KIND,
  plural: WorkspaceResource.plural,
  singular: 'workspace',
  shortNames: ['ws'],
  scope: 'Cluster',
  description: 'A node of the tenancy tree; owns a home namespace of the same name.',
  spec: WorkspaceSpecSchema,
  status: WorkspaceStatusSchema,
  specRequired: false,
  // The name becomes the home namespace's name, so it must be a DNS label.
  name: DnsLabel({ description: 'Workspace names are DNS labels: they name the home namespace.' }),
  rules: [
    {
      rule: '!has(self.spec) || !has(self.spec.parent) || self.spec.parent != self.metadata.name',
      message: 'a Workspace cannot be its own parent',
      fieldPath: '.spec.parent',
    },
  ],
  printerColumns: [
    { name: 'Parent', type: 'string', jsonPath: '.spec.parent' },
    { name: 'Path', type: 'string', jsonPath: '.status.path' },
    conditionColumn('Ready'),
  ],
});

/** The TypeBox symbols inside this module's schema types, named here so the declarations canopy/api ships can be emitted. */
export type WorkspaceSchemaSymbols = typeof Hint | typeof Kind | typeof OptionalKind | typeof ReadonlyKind;
