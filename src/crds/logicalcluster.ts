/**
 * LogicalCluster (cluster-scoped): a tenant's cluster-shaped sandbox, made of
 * namespaces on the control plane (mode Namespace) or on one physical cluster
 * it binds exclusively (mode Cluster), plus RBAC, quota and a kubeconfig.
 */
import { type Hint, type Kind, type OptionalKind, type ReadonlyKind, Type, type Static } from '@sinclair/typebox';
import type { V1ObjectMeta } from '@kubernetes/client-node';
import {
  ConditionsSchema,
  ConstraintsSchema,
  GROUP,
  LabelSelectorSchema,
  ObservedGenerationSchema,
  PolicyRuleSchema,
  SecretKeyReferenceSchema,
  SubjectsSchema,
  VERSION,
  type ApiVersion,
  type ResourceDescriptor,
} from './common.js';
import { customResourceDefinition } from './crd.js';
import { DnsLabel, immutable, StringEnum, validations } from './schema.js';
import { InitializerNameSchema, MAX_LOGICAL_CLUSTER_INITIALIZERS } from './workspace.js';

export const LOGICAL_CLUSTER_KIND = 'LogicalCluster';
export const LogicalClusterResource: ResourceDescriptor = {
  group: GROUP,
  version: VERSION,
  kind: LOGICAL_CLUSTER_KIND,
  plural: 'logicalclusters',
  namespaced: false,
};

export const LOGICAL_CLUSTER_MODES = ['Namespace', 'Cluster'] as const;
export type LogicalClusterMode = (typeof LOGICAL_CLUSTER_MODES)[number];
export const DEFAULT_LOGICAL_CLUSTER_MODE: LogicalClusterMode = 'Namespace';

export const CAPABILITY_PRESETS = ['viewer', 'developer', 'admin'] as const;
export type CapabilityPreset = (typeof CAPABILITY_PRESETS)[number];

export const LOGICAL_CLUSTER_PHASES = ['Pending', 'Initializing', 'Ready', 'Failed', 'Terminating'] as const;
export type LogicalClusterPhase = (typeof LOGICAL_CLUSTER_PHASES)[number];

/** Lifetime of the kubeconfig's token when spec.kubeconfig.expirationSeconds is not set. */
export const DEFAULT_KUBECONFIG_EXPIRATION_SECONDS = 3600;

export const LogicalClusterSpecSchema = Type.Object(
  {
    workspace: DnsLabel({
      description: 'The Workspace this logical cluster belongs to (immutable).',
      ...validations(immutable('spec.workspace')),
    }),
    mode: Type.Optional(
      StringEnum(LOGICAL_CLUSTER_MODES, {
        description:
          'Namespace: namespaces on the control plane, workloads placed by PlacementPolicy. ' +
          'Cluster: bound exclusively to one registered Cluster chosen by clusterSelector (immutable).',
        default: DEFAULT_LOGICAL_CLUSTER_MODE,
        ...validations(immutable('spec.mode')),
      }),
    ),
    clusterSelector: Type.Optional(LabelSelectorSchema("Mode Cluster only: labels of the Cluster to bind, within the workspace's constraints.")),
    namespaces: Type.Optional(
      Type.Array(DnsLabel({ maxLength: 62 }), {
        description: 'Namespace suffixes; each becomes <name>-<suffix>. Absent or empty: one namespace named after the logical cluster.',
        maxItems: 32,
        'x-kubernetes-list-type': 'set',
      }),
    ),
    capabilities: Type.Optional(
      Type.Object(
        {
          preset: Type.Optional(StringEnum(CAPABILITY_PRESETS, { description: 'viewer, developer or admin.' })),
          rules: Type.Optional(Type.Array(PolicyRuleSchema, { description: 'Extra RBAC rules granted inside the namespaces.', maxItems: 64 })),
        },
        { description: 'APIs the tenant may use inside the logical cluster; never more than the workspace allows.' },
      ),
    ),
    constraints: Type.Optional({
      ...ConstraintsSchema,
      description: "Constraints of this logical cluster; must fit inside the workspace's effective constraints.",
    }),
    owners: Type.Optional({ ...SubjectsSchema, description: 'Subjects who get the tenant role.' }),
    kubeconfig: Type.Optional(
      Type.Object(
        {
          expirationSeconds: Type.Optional(
            Type.Integer({
              description: `Lifetime of the kubeconfig's token; rotated before it expires (default ${DEFAULT_KUBECONFIG_EXPIRATION_SECONDS}).`,
              minimum: 600,
              maximum: 86400,
              default: DEFAULT_KUBECONFIG_EXPIRATION_SECONDS,
            }),
          ),
        },
        { description: 'The kubeconfig Secret <name>-kubeconfig written to the first namespace.' },
      ),
    ),
  },
  {
    description: 'Desired shape of the logical cluster.',
    ...validations({
      rule: "!has(self.clusterSelector) || self.mode == 'Cluster'",
      message: 'clusterSelector applies only to mode Cluster',
      fieldPath: '.clusterSelector',
    }),
  },
);
export type LogicalClusterSpec = Static<typeof LogicalClusterSpecSchema>;

export const LogicalClusterStatusSchema = Type.Object(
  {
    phase: Type.Optional(StringEnum(LOGICAL_CLUSTER_PHASES, { description: 'Pending, Initializing, Ready, Failed or Terminating.' })),
    namespaces: Type.Optional(Type.Array(Type.String(), { description: 'Materialized namespace names.', 'x-kubernetes-list-type': 'set' })),
    cluster: Type.Optional(Type.String({ description: 'Mode Cluster: the Cluster this logical cluster is bound to.' })),
    kubeconfigSecretRef: Type.Optional({
      ...SecretKeyReferenceSchema,
      description: "Where the tenant's kubeconfig is.",
    }),
    initializers: Type.Optional(
      Type.Array(InitializerNameSchema(), {
        description:
          "Initializers still to run, set once when the logical cluster is created from its workspaces' spec.initializers. " +
          'Each initializer removes its own name when done; the kubeconfig is issued once the list is empty. ' +
          'Only the operator may add to it; anyone else may only remove entries.',
        maxItems: MAX_LOGICAL_CLUSTER_INITIALIZERS,
        'x-kubernetes-list-type': 'set',
      }),
    ),
    conditions: Type.Optional(ConditionsSchema),
    observedGeneration: Type.Optional(ObservedGenerationSchema),
  },
  { description: 'Observed state of the logical cluster.' },
);
export type LogicalClusterStatus = Static<typeof LogicalClusterStatusSchema>;

export interface LogicalCluster {
  apiVersion: ApiVersion;
  kind: typeof LOGICAL_CLUSTER_KIND;
  metadata: V1ObjectMeta;
  spec: LogicalClusterSpec;
  status?: LogicalClusterStatus;
}

export const logicalClusterCustomResourceDefinition = customResourceDefinition({
  kind: LOGICAL_CLUSTER_KIND,
  plural: LogicalClusterResource.plural,
  singular: 'logicalcluster',
  shortNames: ['lc'],
  scope: 'Cluster',
  description: "A tenant's cluster-shaped sandbox; creating one yields a kubeconfig Secret <name>-kubeconfig.",
  spec: LogicalClusterSpecSchema,
  status: LogicalClusterStatusSchema,
  specRequired: true,
  // The name is the first namespace's name, so it must be a DNS label.
  name: DnsLabel({ description: 'LogicalCluster names are DNS labels: they name its namespaces.' }),
  rules: [
    {
      rule: '!has(self.spec.namespaces) || self.spec.namespaces.all(s, size(self.metadata.name) + size(s) < 63)',
      message: 'every namespace name <name>-<suffix> must be at most 63 characters',
      fieldPath: '.spec.namespaces',
    },
  ],
  printerColumns: [
    { name: 'Phase', type: 'string', jsonPath: '.status.phase' },
    { name: 'Workspace', type: 'string', jsonPath: '.spec.workspace' },
    { name: 'Mode', type: 'string', jsonPath: '.spec.mode' },
    { name: 'Cluster', type: 'string', jsonPath: '.status.cluster' },
  ],
});

/** The TypeBox symbols inside this module's schema types, named here so the declarations canopy/api ships can be emitted. */
export type LogicalClusterSchemaSymbols = typeof Hint | typeof Kind | typeof OptionalKind | typeof ReadonlyKind;
