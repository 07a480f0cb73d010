/**
 * Cluster (cluster-scoped): a registered physical cluster that workloads can
 * be placed on. Push mode: Canopy reaches it with the kubeconfig in a Secret.
 */
import { type Hint, type Kind, type OptionalKind, type ReadonlyKind, Type, type Static } from '@sinclair/typebox';
import type { V1ObjectMeta } from '@kubernetes/client-node';
import {
  ConditionsSchema,
  GROUP,
  ObservedGenerationSchema,
  ResourceListSchema,
  SecretKeyReferenceSchema,
  TaintSchema,
  VERSION,
  type ApiVersion,
  type ResourceDescriptor,
} from './common.js';
import { conditionColumn, customResourceDefinition } from './crd.js';
import { DnsLabel, Timestamp } from './schema.js';

export const CLUSTER_KIND = 'Cluster';
export const ClusterResource: ResourceDescriptor = {
  group: GROUP,
  version: VERSION,
  kind: CLUSTER_KIND,
  plural: 'clusters',
  namespaced: false,
};

/** How long a cluster may stay NotReady before it is tainted unreachable, unless spec says otherwise. */
export const DEFAULT_FAILOVER_AFTER_SECONDS = 30;
/** How often `/readyz` is probed, unless spec says otherwise. */
export const DEFAULT_PROBE_INTERVAL_SECONDS = 10;
/** The Secret key read when spec.kubeconfigSecretRef.key is not set. */
export const DEFAULT_KUBECONFIG_KEY = 'kubeconfig';

const price = (what: string) => Type.Optional(Type.Number({ description: `Price per ${what}, in the cluster's currency.`, minimum: 0 }));

export const ClusterPricingSchema = Type.Object(
  {
    cpuHour: price('CPU-hour'),
    memoryGiBHour: price('GiB-hour of memory'),
    loadBalancerHour: price('LoadBalancer-hour'),
    currency: Type.Optional(Type.String({ description: 'ISO 4217 code, e.g. EUR; informational.', maxLength: 3 })),
  },
  { description: 'What running here costs; used by cost scoring and workspace cost budgets.' },
);
export type ClusterPricing = Static<typeof ClusterPricingSchema>;

export const ClusterSpecSchema = Type.Object(
  {
    kubeconfigSecretRef: Type.Object(
      {
        name: SecretKeyReferenceSchema.properties.name,
        namespace: SecretKeyReferenceSchema.properties.namespace,
        key: Type.Optional({ ...SecretKeyReferenceSchema.properties.key, default: DEFAULT_KUBECONFIG_KEY }),
      },
      { description: `Secret holding a kubeconfig for this cluster (key defaults to ${DEFAULT_KUBECONFIG_KEY}).` },
    ),
    region: DnsLabel({ description: 'Region the cluster runs in, e.g. eu-1; matched by regions constraints and filters.' }),
    provider: Type.Optional(DnsLabel({ description: 'Who runs the cluster, e.g. onprem, aws, gcp.' })),
    taints: Type.Optional(
      Type.Array(TaintSchema, {
        description: 'Taints repel workloads whose PlacementPolicy does not tolerate them.',
        maxItems: 32,
        'x-kubernetes-list-type': 'map',
        'x-kubernetes-list-map-keys': ['key', 'effect'],
      }),
    ),
    capacity: Type.Optional(ResourceListSchema('Resources the cluster offers to Canopy workloads.')),
    pricing: Type.Optional(ClusterPricingSchema),
    failoverAfterSeconds: Type.Optional(
      Type.Integer({
        description: `How long the cluster may be NotReady before it gets the canopy.dev/unreachable:NoExecute taint (default ${DEFAULT_FAILOVER_AFTER_SECONDS}).`,
        minimum: 0,
        maximum: 86400,
        default: DEFAULT_FAILOVER_AFTER_SECONDS,
      }),
    ),
    probeIntervalSeconds: Type.Optional(
      Type.Integer({
        description: `How often /readyz is probed (default ${DEFAULT_PROBE_INTERVAL_SECONDS}).`,
        minimum: 1,
        maximum: 3600,
        default: DEFAULT_PROBE_INTERVAL_SECONDS,
      }),
    ),
  },
  { description: 'How to reach the cluster and what it offers. Anything else goes in labels.' },
);
export type ClusterSpec = Static<typeof ClusterSpecSchema>;

export const ApiEnablementSchema = Type.Object({
  groupVersion: Type.String({ description: 'e.g. apps/v1, or v1 for the core group.' }),
  resources: Type.Optional(Type.Array(Type.String(), { description: 'Kinds served in that group version.', 'x-kubernetes-list-type': 'set' })),
});
export type ApiEnablement = Static<typeof ApiEnablementSchema>;

export const MAX_CLUSTER_STATUS_SCORES = 32;

export const ClusterScoreSchema = Type.Object({
  name: DnsLabel({ description: 'What is scored, e.g. green-energy or spot-price; a PlacementPolicy reads it through spec.clusterScores.' }),
  value: Type.Integer({ description: 'Higher is better, 0-100.', minimum: 0, maximum: 100 }),
  updatedAt: Type.Optional(Timestamp({ description: 'When the writer last set it; a policy may ignore entries older than its maxAgeSeconds.' })),
});
export type ClusterScore = Static<typeof ClusterScoreSchema>;

export const ClusterStatusSchema = Type.Object(
  {
    kubernetesVersion: Type.Optional(Type.String({ description: "Version reported by the cluster's /version." })),
    allocatable: Type.Optional(ResourceListSchema('Resources still free for placement.')),
    allocated: Type.Optional(ResourceListSchema('Requests already placed, when the cluster reports them apart from allocatable.')),
    lastProbeTime: Type.Optional(Timestamp({ description: 'When /readyz was last probed.' })),
    apiEnablements: Type.Optional(
      Type.Array(ApiEnablementSchema, {
        description: 'APIs the cluster serves, so placement can skip clusters that lack a kind.',
        'x-kubernetes-list-type': 'map',
        'x-kubernetes-list-map-keys': ['groupVersion'],
      }),
    ),
    scores: Type.Optional(
      Type.Array(ClusterScoreSchema, {
        description:
          'Slowly changing per-cluster scores written by programs outside Canopy (server-side apply with their own field manager, one entry each); Canopy never writes them.',
        maxItems: MAX_CLUSTER_STATUS_SCORES,
        'x-kubernetes-list-type': 'map',
        'x-kubernetes-list-map-keys': ['name'],
      }),
    ),
    conditions: Type.Optional(ConditionsSchema),
    observedGeneration: Type.Optional(ObservedGenerationSchema),
  },
  { description: 'Observed health and capacity.' },
);
export type ClusterStatus = Static<typeof ClusterStatusSchema>;

export interface Cluster {
  apiVersion: ApiVersion;
  kind: typeof CLUSTER_KIND;
  metadata: V1ObjectMeta;
  spec: ClusterSpec;
  status?: ClusterStatus;
}

export const clusterCustomResourceDefinition = customResourceDefinition({
  kind: CLUSTER_KIND,
  plural: ClusterResource.plural,
  singular: 'cluster',
  shortNames: ['kcl'],
  scope: 'Cluster',
  description: 'A registered physical cluster that workloads can be placed on.',
  spec: ClusterSpecSchema,
  status: ClusterStatusSchema,
  specRequired: true,
  // Cluster names end up in label values and member-side names, so keep them DNS labels.
  name: DnsLabel({ description: 'Cluster names are DNS labels.' }),
  printerColumns: [
    { name: 'Region', type: 'string', jsonPath: '.spec.region' },
    { name: 'Provider', type: 'string', jsonPath: '.spec.provider' },
    conditionColumn('Ready'),
    { name: 'Version', type: 'string', jsonPath: '.status.kubernetesVersion' },
  ],
});

/** The TypeBox symbols inside this module's schema types, named here so the declarations canopy/api ships can be emitted. */
export type ClusterSchemaSymbols = typeof Hint | typeof Kind | typeof OptionalKind | typeof ReadonlyKind;
