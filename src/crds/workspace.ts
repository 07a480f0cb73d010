/**
 * Workspace (cluster-scoped): a node of the tenancy tree. Each Workspace owns
 * a home namespace of the same name; constraints, RBAC and propagated objects
 * flow from it to every descendant.
 */
import { Type, type Static } from '@sinclair/typebox';
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
  },
  { description: 'Desired place in the tree, administrators and inherited policy.' },
);
export type WorkspaceSpec = Static<typeof WorkspaceSpecSchema>;

export const WorkspaceStatusSchema = Type.Object(
  {
    path: Type.Optional(Type.String({ description: 'Path from the root, e.g. root:acme:team-a.' })),
    depth: Type.Optional(Type.Integer({ description: 'Distance from the root (a root is 0).', minimum: 0 })),
    children: Type.Optional(
      Type.Array(Type.String(), { description: 'Names of the child Workspaces.', 'x-kubernetes-list-type': 'set' }),
    ),
    logicalClusters: Type.Optional(
      Type.Integer({ description: 'Number of LogicalClusters in this workspace (not its subtree).', minimum: 0 }),
    ),
    effectiveConstraints: Type.Optional({
      ...ConstraintsSchema,
      description: 'This workspace\'s constraints intersected with every ancestor\'s.',
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
