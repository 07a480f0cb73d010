/**
 * Schemas shared by several Canopy kinds, in the shapes Kubernetes users
 * already know (metav1.Condition, metav1.LabelSelector, core/v1 Taint and
 * Toleration, rbac/v1 Subject and PolicyRule).
 */
import { Type, type Static, type TUnsafe } from '@sinclair/typebox';
import type { V1ListMeta } from '@kubernetes/client-node';
import { DnsLabel, DnsSubdomain, MapOf, QUALIFIED_NAME_PATTERN, QuantitySchema, StringEnum, StringMap, Timestamp, validations } from './schema.js';

export const GROUP = 'canopy.dev';
export const VERSION = 'v1alpha1';
export const API_VERSION = 'canopy.dev/v1alpha1';
export type ApiVersion = typeof API_VERSION;

// ---------------------------------------------------------------- conditions

export const CONDITION_STATUSES = ['True', 'False', 'Unknown'] as const;
export type ConditionStatus = (typeof CONDITION_STATUSES)[number];

/** metav1.Condition, with the same limits the Kubernetes API enforces. */
export const ConditionSchema = Type.Object(
  {
    type: Type.String({
      description: 'Type of condition in CamelCase, e.g. Ready.',
      maxLength: 316,
      pattern: '^([a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*/)?(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])$',
    }),
    status: StringEnum(CONDITION_STATUSES, { description: 'True, False or Unknown.' }),
    observedGeneration: Type.Optional(Type.Integer({ description: 'The .metadata.generation the condition was set from.', format: 'int64', minimum: 0 })),
    lastTransitionTime: Timestamp({ description: 'When the condition last changed status.' }),
    reason: Type.String({
      description: 'Machine-readable CamelCase reason for the last transition.',
      maxLength: 1024,
      minLength: 1,
      pattern: '^[A-Za-z]([A-Za-z0-9_,:]*[A-Za-z0-9_])?$',
    }),
    message: Type.String({ description: 'Human-readable details: what happened and what to do.', maxLength: 32768 }),
  },
  { description: 'A metav1.Condition.' },
);
export type Condition = Static<typeof ConditionSchema>;

/** `status.conditions`: a list map keyed by `type`, so server-side apply merges per condition. */
export const ConditionsSchema = Type.Array(ConditionSchema, {
  description: 'Current state, as metav1.Conditions; Ready is always present once reconciled.',
  maxItems: 32,
  'x-kubernetes-list-type': 'map',
  'x-kubernetes-list-map-keys': ['type'],
});

/** `status.observedGeneration`: the `.metadata.generation` the status describes. */
export const ObservedGenerationSchema = Type.Integer({
  description: 'The .metadata.generation this status was computed from.',
  format: 'int64',
  minimum: 0,
});

// ---------------------------------------------------------------- selectors

export const LABEL_SELECTOR_OPERATORS = ['In', 'NotIn', 'Exists', 'DoesNotExist'] as const;

export const LabelSelectorRequirementSchema = Type.Object(
  {
    key: Type.String({ description: 'The label key.', maxLength: 316, pattern: QUALIFIED_NAME_PATTERN }),
    operator: StringEnum(LABEL_SELECTOR_OPERATORS, { description: 'In, NotIn, Exists or DoesNotExist.' }),
    values: Type.Optional(
      Type.Array(Type.String({ maxLength: 63 }), {
        description: 'Values for In and NotIn; must be empty for Exists and DoesNotExist.',
        maxItems: 64,
      }),
    ),
  },
  validations({
    rule: "self.operator in ['In', 'NotIn'] ? (has(self.values) && size(self.values) > 0) : (!has(self.values) || size(self.values) == 0)",
    message: 'values must be non-empty for operators In and NotIn and empty for Exists and DoesNotExist',
  }),
);
export type LabelSelectorOperator = (typeof LABEL_SELECTOR_OPERATORS)[number];

/** Labels of an object: read-only wherever Canopy matches them. */
export type Labels = Readonly<Record<string, string>>;

/**
 * One requirement of a label selector, as every part of Canopy reads it. Read-only, and the operator typed wider than
 * the schema allows because objects from a cache or a member cluster were not validated by this schema: matching
 * treats an unknown operator as matching nothing. The schema's own static type is assignable to it.
 */
export interface LabelSelectorRequirement {
  readonly key: string;
  readonly operator: LabelSelectorOperator | (string & {});
  readonly values?: readonly string[];
}

/** metav1.LabelSelector; an empty selector matches everything. */
export function LabelSelectorSchema(description = 'A label selector (metav1.LabelSelector); empty matches everything.') {
  return Type.Object(
    {
      matchLabels: Type.Optional(StringMap({ description: 'Labels that must all be present with these values.', maxProperties: 64 })),
      matchExpressions: Type.Optional(Type.Array(LabelSelectorRequirementSchema, { description: 'Requirements that must all hold.', maxItems: 32 })),
    },
    { description, 'x-kubernetes-map-type': 'atomic' },
  );
}
/** metav1.LabelSelector; an empty selector matches everything. The one declaration every module imports. */
export interface LabelSelector {
  readonly matchLabels?: Labels;
  readonly matchExpressions?: readonly LabelSelectorRequirement[];
}

// ---------------------------------------------------------------- resources

/** A Kubernetes resource quantity as it appears in YAML: `"500m"`, `"2Gi"`, `4`. */
export type Quantity = string | number;

/** A map of resource name to quantity (corev1.ResourceList), e.g. `{cpu: "4", memory: 8Gi}`. */
export type ResourceList = Readonly<Record<string, Quantity>>;
export function ResourceListSchema(description: string): TUnsafe<ResourceList> {
  return MapOf<string | number>(QuantitySchema(), { description, maxProperties: 64 });
}

// ---------------------------------------------------------------- taints

export const TAINT_EFFECTS = ['NoSchedule', 'PreferNoSchedule', 'NoExecute'] as const;
export type TaintEffect = (typeof TAINT_EFFECTS)[number];

/** corev1.Taint, applied to a Cluster instead of a Node. */
export const TaintSchema = Type.Object({
  key: Type.String({ description: 'The taint key.', maxLength: 316, pattern: QUALIFIED_NAME_PATTERN }),
  value: Type.Optional(Type.String({ description: 'The taint value.', maxLength: 63 })),
  effect: StringEnum(TAINT_EFFECTS, { description: 'NoSchedule, PreferNoSchedule or NoExecute.' }),
  timeAdded: Type.Optional(Timestamp({ description: 'When a NoExecute taint was added.' })),
});
export type Taint = Static<typeof TaintSchema>;

export const TOLERATION_OPERATORS = ['Exists', 'Equal'] as const;

/** corev1.Toleration: which Cluster taints a PlacementPolicy accepts. */
export const TolerationSchema = Type.Object(
  {
    key: Type.Optional(Type.String({ description: 'Taint key; empty with operator Exists tolerates every taint.', maxLength: 316 })),
    operator: Type.Optional(StringEnum(TOLERATION_OPERATORS, { description: 'Exists or Equal (default Equal).', default: 'Equal' })),
    value: Type.Optional(Type.String({ description: 'Taint value to match with operator Equal.', maxLength: 63 })),
    effect: Type.Optional(StringEnum(['', ...TAINT_EFFECTS] as const, { description: 'Effect to match; empty matches all effects.' })),
    tolerationSeconds: Type.Optional(
      Type.Integer({
        description: 'For NoExecute: how long placement stays on a tainted cluster before moving.',
        format: 'int64',
        minimum: 0,
      }),
    ),
  },
  validations(
    {
      rule: "!has(self.operator) || self.operator != 'Exists' || !has(self.value) || self.value == ''",
      message: 'a toleration with operator Exists must not have a value',
    },
    {
      rule: "(has(self.key) && self.key != '') || (has(self.operator) && self.operator == 'Exists')",
      message: 'a toleration with an empty key must use operator Exists',
    },
  ),
);
export type Toleration = Static<typeof TolerationSchema>;

// ---------------------------------------------------------------- RBAC

export const SUBJECT_KINDS = ['User', 'Group', 'ServiceAccount'] as const;
export type SubjectKind = (typeof SUBJECT_KINDS)[number];

/** rbac/v1 Subject, without apiGroup (implied by kind). */
export const SubjectSchema = Type.Object(
  {
    kind: StringEnum(SUBJECT_KINDS, { description: 'User, Group or ServiceAccount.' }),
    name: Type.String({ description: 'Name of the user, group or service account.', minLength: 1, maxLength: 253 }),
    namespace: Type.Optional(DnsLabel({ description: 'Namespace of a ServiceAccount.' })),
  },
  validations(
    {
      rule: "self.kind != 'ServiceAccount' || (has(self.namespace) && self.namespace != '')",
      message: 'a ServiceAccount subject requires a namespace',
    },
    {
      rule: "self.kind == 'ServiceAccount' || !has(self.namespace) || self.namespace == ''",
      message: 'namespace applies only to ServiceAccount subjects',
    },
  ),
);
export type Subject = Static<typeof SubjectSchema>;

export const SubjectsSchema = Type.Array(SubjectSchema, { maxItems: 64 });

/** rbac/v1 PolicyRule restricted to resource rules. */
export const PolicyRuleSchema = Type.Object({
  apiGroups: Type.Optional(Type.Array(Type.String({ maxLength: 253 }), { description: 'API groups; "" is the core group.', maxItems: 32 })),
  resources: Type.Array(Type.String({ minLength: 1, maxLength: 253 }), {
    description: 'Resources, e.g. deployments or pods/log; "*" is all.',
    minItems: 1,
    maxItems: 64,
  }),
  verbs: Type.Array(Type.String({ minLength: 1, maxLength: 63 }), {
    description: 'Verbs, e.g. get, list, watch, create; "*" is all.',
    minItems: 1,
    maxItems: 16,
  }),
  resourceNames: Type.Optional(Type.Array(Type.String({ maxLength: 253 }), { description: 'Restrict to these object names.', maxItems: 64 })),
});
export type PolicyRule = Static<typeof PolicyRuleSchema>;

// ---------------------------------------------------------------- references

/** A reference to a Secret key, e.g. a kubeconfig. */
export const SecretKeyReferenceSchema = Type.Object({
  name: DnsSubdomain({ description: 'Secret name.' }),
  namespace: DnsLabel({ description: 'Secret namespace.' }),
  key: Type.String({ description: 'Key inside the Secret data.', minLength: 1, maxLength: 253, pattern: '^[-._a-zA-Z0-9]+$' }),
});
export type SecretKeyReference = Static<typeof SecretKeyReferenceSchema>;

/** A reference to a cluster-scoped object by name. */
export const LocalObjectReferenceSchema = Type.Object({
  name: DnsSubdomain({ description: 'Object name.' }),
});
export type LocalObjectReference = Static<typeof LocalObjectReferenceSchema>;

/** An object type, as `apiVersion` (`group/version` or `v1`) and `kind`. */
export const TypeReferenceSchema = Type.Object({
  apiVersion: Type.String({ description: 'group/version, or v1 for the core group.', minLength: 1, maxLength: 317 }),
  kind: Type.String({ description: 'Kind, e.g. ConfigMap.', minLength: 1, maxLength: 63, pattern: '^[A-Z][A-Za-z0-9]*$' }),
});
export type TypeReference = Static<typeof TypeReferenceSchema>;

/** A reference to a named object in the same namespace, with its type. */
export const TypedObjectReferenceSchema = Type.Object({
  apiVersion: TypeReferenceSchema.properties.apiVersion,
  kind: TypeReferenceSchema.properties.kind,
  name: DnsSubdomain({ description: 'Object name.' }),
});
export type TypedObjectReference = Static<typeof TypedObjectReferenceSchema>;

// ---------------------------------------------------------------- constraints

export const POD_SECURITY_LEVELS = ['privileged', 'baseline', 'restricted'] as const;
export type PodSecurityLevel = (typeof POD_SECURITY_LEVELS)[number];

/** Without a level anywhere in the tree a logical cluster is `baseline`: safe for shared nodes, rarely in the way. */
export const DEFAULT_POD_SECURITY: PodSecurityLevel = 'baseline';

/**
 * Constraints a Workspace imposes on its whole subtree (and a LogicalCluster
 * on itself). A descendant may only narrow them; the admission webhook checks
 * that, since it needs the parent.
 */
export const ConstraintsSchema = Type.Object(
  {
    regions: Type.Optional(
      Type.Array(DnsLabel(), {
        description: 'Regions workloads may run in; empty means any region.',
        maxItems: 64,
        'x-kubernetes-list-type': 'set',
      }),
    ),
    clusterSelector: Type.Optional(LabelSelectorSchema('Labels a Cluster must match to run workloads of this subtree.')),
    maxLogicalClusters: Type.Optional(Type.Integer({ description: 'Most LogicalClusters allowed in the subtree.', format: 'int32', minimum: 0 })),
    quota: Type.Optional(
      Type.Object(
        { hard: Type.Optional(ResourceListSchema('Limits summed over the whole subtree (hierarchical quota).')) },
        { description: 'Hierarchical resource quota.' },
      ),
    ),
    podSecurity: Type.Optional(StringEnum(POD_SECURITY_LEVELS, { description: 'Pod Security Standard level: privileged, baseline or restricted.' })),
    costBudget: Type.Optional(Type.Number({ description: "Monthly budget, in the currency of the clusters' pricing.", minimum: 0 })),
    allowedRegistries: Type.Optional(
      Type.Array(Type.String({ minLength: 1, maxLength: 253 }), {
        description: 'Image registry prefixes containers may pull from, e.g. registry.example.com/team-a; empty means any.',
        maxItems: 32,
        'x-kubernetes-list-type': 'set',
      }),
    ),
  },
  { description: 'Constraints inherited by every descendant; a descendant may only narrow them.' },
);
export type Constraints = Static<typeof ConstraintsSchema>;

// ---------------------------------------------------------------- lists and descriptors

/** The `<Kind>List` the apiserver returns for a list call. */
export interface CanopyList<T> {
  apiVersion: ApiVersion;
  kind: string;
  metadata: V1ListMeta;
  items: T[];
}

/** Everything a generic client needs to reach a Canopy resource. */
export interface ResourceDescriptor {
  group: typeof GROUP;
  version: typeof VERSION;
  kind: string;
  plural: string;
  namespaced: boolean;
}

/** The REST path of a resource collection, e.g. `/apis/canopy.dev/v1alpha1/workspaces`. */
export function collectionPath(resource: ResourceDescriptor, namespace?: string): string {
  const ns = resource.namespaced && namespace ? `/namespaces/${namespace}` : '';
  return `/apis/${resource.group}/${resource.version}${ns}/${resource.plural}`;
}
