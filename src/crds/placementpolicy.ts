/**
 * PlacementPolicy (cluster-scoped): which objects it governs, which clusters
 * they may run on (filters), which are preferred (scores) and how replicas
 * are spread. Always intersected with the workspace's constraints.
 */
import { type Hint, type Kind, type OptionalKind, type ReadonlyKind, Type, type Static } from '@sinclair/typebox';
import type { V1ObjectMeta } from '@kubernetes/client-node';
import {
  ConditionsSchema,
  GROUP,
  LabelSelectorSchema,
  ObservedGenerationSchema,
  TolerationSchema,
  TypeReferenceSchema,
  VERSION,
  type ApiVersion,
  type ResourceDescriptor,
} from './common.js';
import { conditionColumn, customResourceDefinition } from './crd.js';
import { DnsLabel, StringEnum, validations } from './schema.js';
import { RolloutSchema } from './rollout.js';

export const PLACEMENT_POLICY_KIND = 'PlacementPolicy';
export const PlacementPolicyResource: ResourceDescriptor = {
  group: GROUP,
  version: VERSION,
  kind: PLACEMENT_POLICY_KIND,
  plural: 'placementpolicies',
  namespaced: false,
};

export const MIN_PRIORITY = -1000;
export const MAX_PRIORITY = 1000;

export const REPLICA_STRATEGIES = ['Duplicate', 'Divide'] as const;
export type ReplicaStrategy = (typeof REPLICA_STRATEGIES)[number];
export const DEFAULT_REPLICA_STRATEGY: ReplicaStrategy = 'Duplicate';

export const COST_STRATEGIES = ['LowestFirst'] as const;
export type CostStrategy = (typeof COST_STRATEGIES)[number];

export const FAILURE_POLICIES = ['Fail', 'Ignore'] as const;
export type FailurePolicy = (typeof FAILURE_POLICIES)[number];
export const DEFAULT_FAILURE_POLICY: FailurePolicy = 'Fail';
export const DEFAULT_POLICY_ENGINE_TIMEOUT_SECONDS = 5;
export const MAX_POLICY_ENGINE_TIMEOUT_SECONDS = 30;

export const ResourceSelectorSchema = Type.Object({
  apiVersion: TypeReferenceSchema.properties.apiVersion,
  kind: TypeReferenceSchema.properties.kind,
  labelSelector: Type.Optional(LabelSelectorSchema('Only objects with these labels.')),
  namespaces: Type.Optional(Type.Array(DnsLabel(), { description: 'Only objects in these namespaces.', maxItems: 64, 'x-kubernetes-list-type': 'set' })),
  workspace: Type.Optional(DnsLabel({ description: "Only objects in a namespace of this Workspace's subtree." })),
});
export type ResourceSelector = Static<typeof ResourceSelectorSchema>;

export const PlacementRuleSchema = Type.Object({
  name: Type.Optional(Type.String({ description: 'Short name for the rule, shown in status and explain output.', maxLength: 63 })),
  expression: Type.String({
    description: "CEL over object, cluster and workspace, e.g. cluster.metadata.labels['compliance/pci'] == 'true'.",
    minLength: 1,
    maxLength: 4096,
  }),
  message: Type.Optional(Type.String({ description: 'Shown as the reason when the rule excludes a cluster.', maxLength: 1024 })),
});
export type PlacementRule = Static<typeof PlacementRuleSchema>;

export const PreferenceSchema = Type.Object({
  weight: Type.Integer({ description: 'Score added to matching clusters, 1-100.', minimum: 1, maximum: 100 }),
  clusterSelector: LabelSelectorSchema('Clusters that get the weight.'),
});
export type Preference = Static<typeof PreferenceSchema>;

export const SpreadSchema = Type.Object(
  {
    topologyKey: Type.String({
      description: '"region", "provider" or a Cluster label key; clusters with the same value form a group.',
      minLength: 1,
      maxLength: 316,
    }),
    minGroups: Type.Optional(Type.Integer({ description: 'Spread over at least this many groups.', minimum: 1, default: 1 })),
  },
  { description: 'Spread chosen clusters over failure domains.' },
);
export type Spread = Static<typeof SpreadSchema>;

export const ClusterWeightSchema = Type.Object({
  cluster: DnsLabel({ description: 'Cluster name.' }),
  weight: Type.Integer({ description: 'Relative share of the replicas.', minimum: 0, maximum: 10000 }),
});
export type ClusterWeight = Static<typeof ClusterWeightSchema>;

export const ReplicasSchema = Type.Object(
  {
    strategy: Type.Optional(
      StringEnum(REPLICA_STRATEGIES, {
        description: 'Duplicate: every chosen cluster gets the object. Divide: spec.replicas is split across them.',
        default: DEFAULT_REPLICA_STRATEGY,
      }),
    ),
    weights: Type.Optional(
      Type.Array(ClusterWeightSchema, {
        description: 'Divide only: split by these weights (by free capacity when absent).',
        maxItems: 64,
        'x-kubernetes-list-type': 'map',
        'x-kubernetes-list-map-keys': ['cluster'],
        ...validations({ rule: 'self.exists(w, w.weight > 0)', message: 'at least one weight must be positive' }),
      }),
    ),
    byCapacity: Type.Optional(
      Type.Boolean({
        description: 'Divide only: split in proportion to free capacity. With weights, weights only choose which clusters take part.',
      }),
    ),
    minPerCluster: Type.Optional(Type.Integer({ description: 'Divide only: fewest replicas a chosen cluster gets.', format: 'int32', minimum: 0 })),
    maxClusters: Type.Optional(Type.Integer({ description: 'Most clusters to choose.', format: 'int32', minimum: 1 })),
  },
  {
    description: 'How many clusters get the object and how replicas are shared.',
    default: {},
    ...validations({
      rule: "self.strategy == 'Divide' || (!has(self.weights) && !has(self.byCapacity) && !has(self.minPerCluster))",
      message: 'weights, byCapacity and minPerCluster apply only to strategy Divide',
    }),
  },
);
export type Replicas = Static<typeof ReplicasSchema>;

export const PolicyEngineSchema = Type.Object(
  {
    url: Type.String({
      description: 'http(s) endpoint answering {object, clusters, workspace} with allowed clusters and weights (OPA data API).',
      maxLength: 2048,
      ...validations({
        rule: "isURL(self) && url(self).getScheme() in ['http', 'https']",
        message: 'policyEngine.url must be an http:// or https:// URL',
      }),
    }),
    timeoutSeconds: Type.Optional(
      Type.Integer({
        description: `Seconds to wait for an answer, 1-${MAX_POLICY_ENGINE_TIMEOUT_SECONDS} (default ${DEFAULT_POLICY_ENGINE_TIMEOUT_SECONDS}).`,
        minimum: 1,
        maximum: MAX_POLICY_ENGINE_TIMEOUT_SECONDS,
        default: DEFAULT_POLICY_ENGINE_TIMEOUT_SECONDS,
      }),
    ),
    failurePolicy: Type.Optional(
      StringEnum(FAILURE_POLICIES, {
        description: 'Fail (default): no answer means no cluster. Ignore: no answer means no extra restriction.',
        default: DEFAULT_FAILURE_POLICY,
      }),
    ),
    caBundle: Type.Optional(Type.String({ description: 'PEM CA bundle to verify an https endpoint, base64.', format: 'byte' })),
  },
  { description: 'Optional external decision point; fail-closed by default.' },
);
export type PolicyEngine = Static<typeof PolicyEngineSchema>;

export const PLUGIN_TYPES = ['Filter', 'Score'] as const;
export type PluginType = (typeof PLUGIN_TYPES)[number];
export const MAX_PLUGINS = 8;
export const DEFAULT_PLUGIN_TIMEOUT_SECONDS = 2;
export const MAX_PLUGIN_TIMEOUT_SECONDS = 10;
export const DEFAULT_PLUGIN_CACHE_SECONDS = 60;
export const MAX_PLUGIN_CACHE_SECONDS = 3600;
export const DEFAULT_PLUGIN_WEIGHT = 1;

export const PluginSchema = Type.Object(
  {
    name: DnsLabel({ description: 'Names the plugin in status, explain output and conditions; unique within the policy.' }),
    type: StringEnum(PLUGIN_TYPES, {
      description: 'Filter: answers pass (and a reason) per cluster. Score: answers a score 0-100 per cluster, combined with the built-in scores by weight.',
    }),
    url: Type.String({
      description:
        "https endpoint that is POSTed {input: {object, clusters, workspace}} (the policy engine's request). The operator refuses loopback, link-local (cloud metadata) and unspecified addresses, also after DNS resolution.",
      maxLength: 2048,
      ...validations({ rule: "isURL(self) && url(self).getScheme() == 'https'", message: 'plugins[].url must be an https:// URL' }),
    }),
    caBundle: Type.Optional(
      Type.String({ description: 'PEM CA bundle to verify the endpoint, base64; the system roots when absent.', format: 'byte', maxLength: 65536 }),
    ),
    weight: Type.Optional(
      Type.Integer({
        description: `Score only: relative importance next to the built-in scores, 1-100 (default ${DEFAULT_PLUGIN_WEIGHT}).`,
        minimum: 1,
        maximum: 100,
      }),
    ),
    timeoutSeconds: Type.Optional(
      Type.Integer({
        description: `Seconds to wait for an answer, 1-${MAX_PLUGIN_TIMEOUT_SECONDS} (default ${DEFAULT_PLUGIN_TIMEOUT_SECONDS}).`,
        minimum: 1,
        maximum: MAX_PLUGIN_TIMEOUT_SECONDS,
      }),
    ),
    cacheSeconds: Type.Optional(
      Type.Integer({
        description: `How long an answer is reused for the same object generation and the same clusters, 0-${MAX_PLUGIN_CACHE_SECONDS} (default ${DEFAULT_PLUGIN_CACHE_SECONDS}); health probes alone never ask again.`,
        minimum: 0,
        maximum: MAX_PLUGIN_CACHE_SECONDS,
      }),
    ),
    failurePolicy: Type.Optional(
      StringEnum(FAILURE_POLICIES, {
        description: 'Fail (default): no usable answer means nothing is placed. Ignore: the plugin is left out of the decision and the condition says so.',
      }),
    ),
  },
  {
    description: 'An external placement plugin reached over HTTPS.',
    ...validations({ rule: "self.type == 'Score' || !has(self.weight)", message: 'weight applies only to Score plugins' }),
  },
);
export type Plugin = Static<typeof PluginSchema>;

export const MAX_CLUSTER_SCORES = 8;

export const ClusterScoreRefSchema = Type.Object(
  {
    name: DnsLabel({ description: 'Name of the entry in Cluster status.scores to read.' }),
    weight: Type.Integer({ description: 'Relative importance next to the other scores, 1-100.', minimum: 1, maximum: 100 }),
    defaultValue: Type.Optional(
      Type.Integer({ description: 'Score of a cluster without the entry (or with a stale one), 0-100 (default 0).', minimum: 0, maximum: 100 }),
    ),
    maxAgeSeconds: Type.Optional(
      Type.Integer({ description: 'An entry whose updatedAt is older than this counts as missing; no limit when absent.', minimum: 1, format: 'int64' }),
    ),
  },
  { description: 'A per-cluster score written as data by an external program into Cluster status.scores.' },
);
export type ClusterScoreRef = Static<typeof ClusterScoreRefSchema>;

/** Five minutes: longer than it takes to notice and revert a mistaken label or policy edit, short enough that a deliberate one takes effect the same session. */
export const DEFAULT_DESELECTION_GRACE_SECONDS = 300;
/** A day: the grace bounds how long a deselection may hold copies, it must not become a way to keep them for ever. */
export const MAX_DESELECTION_GRACE_SECONDS = 86_400;

export const FAILBACK_MODES = ['Never', 'WhenRecovered'] as const;
export type FailbackMode = (typeof FAILBACK_MODES)[number];
/** A day: failback is about riding out flapping, not about holding a cluster back for ever (that is `Never`). */
export const MAX_FAILBACK_STABLE_SECONDS = 86_400;
/** Ten minutes: long enough that a copy moved away for being unhealthy does not bounce straight back. */
export const DEFAULT_UNHEALTHY_BACKOFF_SECONDS = 600;

export const FailoverSchema = Type.Object(
  {
    enabled: Type.Optional(Type.Boolean({ description: 'Move workloads off clusters that become unreachable.', default: true })),
    tolerationSeconds: Type.Optional(Type.Integer({ description: 'Wait this long after the unreachable taint before moving.', format: 'int64', minimum: 0 })),
    failback: Type.Optional(
      StringEnum(FAILBACK_MODES, {
        description:
          'After a failover, when workloads return to the cluster they left. WhenRecovered (default): once it has been Ready for stableSeconds, make before break. Never: they stay where they moved until a rebalance is requested (annotation canopy.dev/rebalance-requested-at, kubectl canopy rebalance).',
      }),
    ),
    stableSeconds: Type.Optional(
      Type.Integer({
        description: `WhenRecovered: how long a cluster must have been Ready before workloads that left it return (0 to ${MAX_FAILBACK_STABLE_SECONDS}, default 0: at once).`,
        format: 'int32',
        minimum: 0,
        maximum: MAX_FAILBACK_STABLE_SECONDS,
      }),
    ),
    unhealthySeconds: Type.Optional(
      Type.Integer({
        description:
          'Opt-in application-level failover: a copy not Ready for this long on a cluster that is itself Ready is moved elsewhere (make before break), and that cluster is excluded for the object for unhealthyBackoffSeconds.',
        format: 'int32',
        minimum: 1,
        maximum: 86_400,
      }),
    ),
    unhealthyBackoffSeconds: Type.Optional(
      Type.Integer({
        description: `How long a cluster that failed an object stays excluded for it (default ${DEFAULT_UNHEALTHY_BACKOFF_SECONDS}), so it does not flap back.`,
        format: 'int32',
        minimum: 0,
        maximum: 86_400,
      }),
    ),
  },
  {
    description: 'What happens when a chosen cluster becomes unreachable, and when it comes back.',
    default: {},
    ...validations(
      {
        rule: "!has(self.stableSeconds) || !has(self.failback) || self.failback == 'WhenRecovered'",
        message: 'failover.stableSeconds applies only to failback WhenRecovered',
      },
      {
        rule: '!has(self.unhealthyBackoffSeconds) || has(self.unhealthySeconds)',
        message: 'failover.unhealthyBackoffSeconds needs failover.unhealthySeconds',
      },
    ),
  },
);
export type Failover = Static<typeof FailoverSchema>;

export const PlacementPolicySpecSchema = Type.Object(
  {
    resourceSelectors: Type.Array(ResourceSelectorSchema, {
      description: 'Objects this policy places; an object matching any entry is governed.',
      minItems: 1,
      maxItems: 32,
    }),
    priority: Type.Optional(
      Type.Integer({
        description: `The highest-priority matching policy wins; ties are broken by name and reported as a condition (${MIN_PRIORITY} to ${MAX_PRIORITY}).`,
        format: 'int32',
        minimum: MIN_PRIORITY,
        maximum: MAX_PRIORITY,
        default: 0,
      }),
    ),
    clusterSelector: Type.Optional(LabelSelectorSchema('Filter: labels a Cluster must have.')),
    regions: Type.Optional(Type.Array(DnsLabel(), { description: 'Filter: allowed regions.', maxItems: 64, 'x-kubernetes-list-type': 'set' })),
    tolerations: Type.Optional(Type.Array(TolerationSchema, { description: 'Filter: Cluster taints accepted.', maxItems: 32 })),
    rules: Type.Optional(Type.Array(PlacementRuleSchema, { description: 'Filter: CEL rules that must all be true for a cluster.', maxItems: 16 })),
    preferences: Type.Optional(Type.Array(PreferenceSchema, { description: 'Score: weights added to clusters matching selectors.', maxItems: 32 })),
    cost: Type.Optional(StringEnum(COST_STRATEGIES, { description: 'Score: LowestFirst prefers cheaper clusters.' })),
    spread: Type.Optional(SpreadSchema),
    replicas: Type.Optional(ReplicasSchema),
    policyEngine: Type.Optional(PolicyEngineSchema),
    plugins: Type.Optional(
      Type.Array(PluginSchema, {
        description: 'External filter and score plugins, asked in order after the built-in filters of the same kind.',
        maxItems: MAX_PLUGINS,
        'x-kubernetes-list-type': 'map',
        'x-kubernetes-list-map-keys': ['name'],
      }),
    ),
    clusterScores: Type.Optional(
      Type.Array(ClusterScoreRefSchema, {
        description: 'Score: per-cluster values read from Cluster status.scores (green energy, spot price, latency), written there by other programs.',
        maxItems: MAX_CLUSTER_SCORES,
        'x-kubernetes-list-type': 'map',
        'x-kubernetes-list-map-keys': ['name'],
      }),
    ),
    failover: Type.Optional(FailoverSchema),
    rollout: Type.Optional(RolloutSchema),
    deselectionGraceSeconds: Type.Optional(
      Type.Integer({
        description: `How long the member copies of an object this policy placed are kept after no policy selects it any more (a label or policy edit), so a mistaken edit can be undone before anything is removed, and after its workspace's home namespace is deleted with the workspace (0 to ${MAX_DESELECTION_GRACE_SECONDS}). Deleting the object itself removes its copies at once.`,
        format: 'int32',
        minimum: 0,
        maximum: MAX_DESELECTION_GRACE_SECONDS,
        default: DEFAULT_DESELECTION_GRACE_SECONDS,
      }),
    ),
  },
  { description: 'Which objects go where.' },
);
export type PlacementPolicySpec = Static<typeof PlacementPolicySpecSchema>;

export const PlacementPolicyStatusSchema = Type.Object(
  {
    matchedObjects: Type.Optional(Type.Integer({ description: 'Objects this policy currently governs.', minimum: 0 })),
    conditions: Type.Optional(ConditionsSchema),
    observedGeneration: Type.Optional(ObservedGenerationSchema),
  },
  { description: 'Observed effect of the policy.' },
);
export type PlacementPolicyStatus = Static<typeof PlacementPolicyStatusSchema>;

export interface PlacementPolicy {
  apiVersion: ApiVersion;
  kind: typeof PLACEMENT_POLICY_KIND;
  metadata: V1ObjectMeta;
  spec: PlacementPolicySpec;
  status?: PlacementPolicyStatus;
}

export const placementPolicyCustomResourceDefinition = customResourceDefinition({
  kind: PLACEMENT_POLICY_KIND,
  plural: PlacementPolicyResource.plural,
  singular: 'placementpolicy',
  // Not `pp`: Karmada's PropagationPolicy has it, and both are often installed together.
  shortNames: ['plp'],
  scope: 'Cluster',
  description: 'Where selected workloads may run, which clusters are preferred and how replicas are spread.',
  spec: PlacementPolicySpecSchema,
  status: PlacementPolicyStatusSchema,
  specRequired: true,
  printerColumns: [
    { name: 'Priority', type: 'integer', jsonPath: '.spec.priority' },
    { name: 'Matched', type: 'integer', jsonPath: '.status.matchedObjects' },
    conditionColumn('Ready'),
  ],
});

/** The TypeBox symbols inside this module's schema types, named here so the declarations canopy/api ships can be emitted. */
export type PlacementPolicySchemaSymbols = typeof Hint | typeof Kind | typeof OptionalKind | typeof ReadonlyKind;
