/**
 * The ValidatingWebhookConfiguration the operator applies for itself: one
 * webhook per kind family, each scoped as tightly as the API allows (Canopy
 * kinds by resource; pods, workloads and placeable objects only in tenant
 * namespaces (a logical cluster's or a workspace's home namespace: both carry
 * `canopy.dev/workspace`); namespaces only when they
 * carry hierarchy or membership labels and the writer is not the operator), fail-closed, no
 * side effects, 5 s timeout.
 *
 * And the MutatingWebhookConfiguration: one webhook that puts the cleanup
 * finalizer on LogicalClusters and PropagatedObjects as they are created, so
 * the reconcilers need not write each new object once more just to add it.
 * Every default value is a schema `default` (the apiserver applies those
 * before admission); the finalizer is the one thing a schema cannot set.
 */
import type { OwnerReference } from '../runtime/index.js';
import { LABEL_INHERITED_FROM, LABEL_LOGICAL_CLUSTER, LABEL_WORKSPACE, LABEL_MANAGED_BY, MANAGED_BY_VALUE, TREE_LABEL_SUFFIX } from '../crds/labels.js';

export const DEFAULT_CONFIGURATION_NAME = 'canopy-validating';
export const DEFAULT_MUTATING_CONFIGURATION_NAME = 'canopy-mutating';

export type WebhookId =
  | 'workspaces'
  | 'logicalclusters'
  | 'logicalcluster-status'
  | 'placementpolicies'
  | 'propagatedobjects'
  | 'clusterpropagatedobjects'
  | 'pods'
  | 'placed-objects'
  | 'namespaces';

export interface RuleWithOperations {
  apiGroups: string[];
  apiVersions: string[];
  resources: string[];
  operations: ('CREATE' | 'UPDATE' | 'DELETE' | 'CONNECT' | '*')[];
  scope: 'Cluster' | 'Namespaced' | '*';
}

export interface LabelSelectorJson {
  matchLabels?: Record<string, string>;
  matchExpressions?: { key: string; operator: 'In' | 'NotIn' | 'Exists' | 'DoesNotExist'; values?: string[] }[];
}

export interface MatchCondition {
  readonly name: string;
  /** CEL over `object`, `oldObject`, `request`; the webhook is called only when every condition is true. */
  readonly expression: string;
}

interface WebhookSpec {
  readonly id: WebhookId;
  readonly rules: RuleWithOperations[];
  readonly namespaceSelector?: LabelSelectorJson;
  readonly matchConditions?: (options: ConfigurationOptions) => MatchCondition[];
}

/** Namespace labels only Canopy and administrators may write (tree-label-validator.ts), besides the hierarchy labels. */
const NAMESPACE_MEMBERSHIP_LABELS = [LABEL_WORKSPACE, LABEL_LOGICAL_CLUSTER, LABEL_MANAGED_BY, LABEL_INHERITED_FROM];

/** CEL: `o` (a request's object or old object) carries a hierarchy or membership label. */
const hasCanopyLabel = (o: string): string =>
  `(${o} != null && has(${o}.metadata.labels) && ${o}.metadata.labels.exists(k, k.endsWith(${JSON.stringify(TREE_LABEL_SUFFIX)}) || k in ${JSON.stringify(NAMESPACE_MEMBERSHIP_LABELS)}))`;

const CANOPY = { apiGroups: ['canopy.dev'], apiVersions: ['v1alpha1'] };
const WRITE: RuleWithOperations['operations'] = ['CREATE', 'UPDATE'];
/** Workload kinds that carry a pod template (and may carry a placement pin). */
const WORKLOADS: RuleWithOperations[] = [
  { apiGroups: ['apps'], apiVersions: ['v1'], resources: ['deployments', 'statefulsets', 'daemonsets', 'replicasets'], operations: WRITE, scope: 'Namespaced' },
  { apiGroups: ['batch'], apiVersions: ['v1'], resources: ['jobs', 'cronjobs'], operations: WRITE, scope: 'Namespaced' },
];

export const WEBHOOK_SPECS: readonly WebhookSpec[] = [
  { id: 'workspaces', rules: [{ ...CANOPY, resources: ['workspaces'], operations: ['CREATE', 'UPDATE', 'DELETE'], scope: 'Cluster' }] },
  { id: 'logicalclusters', rules: [{ ...CANOPY, resources: ['logicalclusters'], operations: ['CREATE', 'UPDATE', 'DELETE'], scope: 'Cluster' }] },
  {
    // Initializers hold patch on logicalclusters/status and may only remove names from status.initializers
    // (validateLogicalClusterStatus). The operator's own status writes, by far the most, are not sent.
    id: 'logicalcluster-status',
    rules: [{ ...CANOPY, resources: ['logicalclusters/status'], operations: ['UPDATE'], scope: 'Cluster' }],
    matchConditions: (options) =>
      options.operatorUsername ? [{ name: 'not-canopy-itself', expression: `request.userInfo.username != ${JSON.stringify(options.operatorUsername)}` }] : [],
  },
  { id: 'placementpolicies', rules: [{ ...CANOPY, resources: ['placementpolicies'], operations: WRITE, scope: 'Cluster' }] },
  { id: 'propagatedobjects', rules: [{ ...CANOPY, resources: ['propagatedobjects'], operations: WRITE, scope: 'Namespaced' }] },
  // Cluster administrators only (propagation/cluster-scoped-validator.ts), deletion included.
  {
    id: 'clusterpropagatedobjects',
    rules: [{ ...CANOPY, resources: ['clusterpropagatedobjects'], operations: ['CREATE', 'UPDATE', 'DELETE'], scope: 'Cluster' }],
  },
  {
    id: 'pods',
    // Every tenant namespace, home namespaces included: a workload there is propagated like any other.
    rules: [{ apiGroups: [''], apiVersions: ['v1'], resources: ['pods', 'pods/ephemeralcontainers'], operations: WRITE, scope: 'Namespaced' }, ...WORKLOADS],
    namespaceSelector: { matchExpressions: [{ key: LABEL_WORKSPACE, operator: 'Exists' }] },
  },
  {
    // Plain objects a PlacementPolicy may place; checked only for the placement pin annotation.
    // Secrets are left out on purpose: admission never needs their contents.
    id: 'placed-objects',
    rules: [
      {
        apiGroups: [''],
        apiVersions: ['v1'],
        resources: ['configmaps', 'services', 'persistentvolumeclaims', 'serviceaccounts'],
        operations: WRITE,
        scope: 'Namespaced',
      },
      { apiGroups: ['networking.k8s.io'], apiVersions: ['v1'], resources: ['ingresses', 'networkpolicies'], operations: WRITE, scope: 'Namespaced' },
      { apiGroups: ['autoscaling'], apiVersions: ['v2'], resources: ['horizontalpodautoscalers'], operations: WRITE, scope: 'Namespaced' },
      { apiGroups: ['policy'], apiVersions: ['v1'], resources: ['poddisruptionbudgets'], operations: WRITE, scope: 'Namespaced' },
    ],
    namespaceSelector: { matchExpressions: [{ key: LABEL_WORKSPACE, operator: 'Exists' }] },
  },
  {
    // Hierarchy and membership labels are Canopy's to set. Namespaces are everyone's, so the apiserver
    // asks only about those that have or had such a label, and never about the operator's own writes
    // (the tree labeler relabels a whole subtree when a workspace moves). RBAC objects carrying
    // managed-by or inherited-from are not guarded here: a forged label only lets Canopy overwrite
    // that object with what it would write there anyway, or delete it, in a namespace where the
    // writer already holds those rights.
    id: 'namespaces',
    rules: [{ apiGroups: [''], apiVersions: ['v1'], resources: ['namespaces'], operations: WRITE, scope: 'Cluster' }],
    matchConditions: (options) => [
      { name: 'has-canopy-labels', expression: `${hasCanopyLabel('object')} || ${hasCanopyLabel('oldObject')}` },
      ...(options.operatorUsername
        ? [{ name: 'not-canopy-itself', expression: `request.userInfo.username != ${JSON.stringify(options.operatorUsername)}` }]
        : []),
    ],
  },
];

export function webhookPath(id: WebhookId): string {
  return `/validate/${id}`;
}

export type MutatingWebhookId = 'finalizers';

interface MutatingWebhookSpec {
  readonly id: MutatingWebhookId;
  readonly rules: RuleWithOperations[];
}

export const MUTATING_WEBHOOK_SPECS: readonly MutatingWebhookSpec[] = [
  // CREATE only: a finalizer removed later is the reconciler's to put back (it still checks on every pass).
  {
    id: 'finalizers',
    rules: [
      { ...CANOPY, resources: ['logicalclusters'], operations: ['CREATE'], scope: 'Cluster' },
      { ...CANOPY, resources: ['propagatedobjects'], operations: ['CREATE'], scope: 'Namespaced' },
    ],
  },
];

export function mutatingWebhookPath(id: MutatingWebhookId): string {
  return `/mutate/${id}`;
}

/** How the apiserver reaches the webhook server. */
export type WebhookEndpoint =
  /** Base URL, e.g. `https://127.0.0.1:9443` (local runs and tests). */
  | { readonly url: string }
  /** A Service in front of the operator's pods (in-cluster). */
  | { readonly service: { readonly name: string; readonly namespace: string; readonly port: number } };

export interface ConfigurationOptions {
  readonly name?: string;
  readonly endpoint: WebhookEndpoint;
  /** PEM bundle of the CAs that may have signed the serving certificate. */
  readonly caBundlePem?: string;
  /** Only these validating webhooks (default all). */
  readonly only?: readonly WebhookId[];
  /** These mutating webhooks; default all, none when `only` limits the validating ones (an extra instance). */
  readonly mutating?: readonly MutatingWebhookId[];
  /** Name of the MutatingWebhookConfiguration; default `canopy-mutating`. */
  readonly mutatingName?: string;
  /** The operator's own user name: its writes to namespaces' hierarchy labels need no review. */
  readonly operatorUsername?: string;
  /** Extra objectSelector on every webhook (lets a test instance see only its own objects). */
  readonly objectSelector?: LabelSelectorJson;
  readonly timeoutSeconds?: number;
  /**
   * The installation's object (the chart's ClusterRole) both configurations name as owner, so the
   * garbage collector removes them when the installation is uninstalled.
   */
  readonly owner?: OwnerReference;
}

interface WebhookConfigurationJson<Kind extends string> {
  apiVersion: 'admissionregistration.k8s.io/v1';
  kind: Kind;
  metadata: { name: string; labels: Record<string, string>; ownerReferences?: OwnerReference[] };
  webhooks: Record<string, unknown>[];
}

export type ValidatingWebhookConfigurationJson = WebhookConfigurationJson<'ValidatingWebhookConfiguration'>;
export type MutatingWebhookConfigurationJson = WebhookConfigurationJson<'MutatingWebhookConfiguration'>;

/** Where the apiserver sends a review for `path`, and the CAs it trusts there. */
function clientConfig(options: ConfigurationOptions, path: string): Record<string, unknown> {
  const caBundle = options.caBundlePem ? Buffer.from(options.caBundlePem).toString('base64') : undefined;
  return {
    ...('url' in options.endpoint ? { url: `${options.endpoint.url.replace(/\/$/, '')}${path}` } : { service: { ...options.endpoint.service, path } }),
    ...(caBundle ? { caBundle } : {}),
  };
}

function configurationMetadata(name: string, options: ConfigurationOptions): WebhookConfigurationJson<string>['metadata'] {
  return { name, labels: { [LABEL_MANAGED_BY]: MANAGED_BY_VALUE }, ...(options.owner ? { ownerReferences: [options.owner] } : {}) };
}

export function validatingWebhookConfiguration(options: ConfigurationOptions): ValidatingWebhookConfigurationJson {
  const specs = WEBHOOK_SPECS.filter((s) => !options.only || options.only.includes(s.id));
  return {
    apiVersion: 'admissionregistration.k8s.io/v1',
    kind: 'ValidatingWebhookConfiguration',
    metadata: configurationMetadata(options.name ?? DEFAULT_CONFIGURATION_NAME, options),
    webhooks: specs.map((spec) => ({
      name: `${spec.id}.validate.canopy.dev`,
      clientConfig: clientConfig(options, webhookPath(spec.id)),
      rules: spec.rules,
      ...(spec.namespaceSelector ? { namespaceSelector: spec.namespaceSelector } : {}),
      ...(spec.matchConditions ? { matchConditions: spec.matchConditions(options) } : {}),
      ...(options.objectSelector ? { objectSelector: options.objectSelector } : {}),
      failurePolicy: 'Fail',
      matchPolicy: 'Equivalent',
      // A denial is recorded as an Event, except on a dry run.
      sideEffects: 'NoneOnDryRun',
      timeoutSeconds: options.timeoutSeconds ?? 5,
      admissionReviewVersions: ['v1'],
    })),
  };
}

/** The mutating webhooks selected by `options.mutating`, or undefined when there are none to publish. */
export function mutatingWebhookConfiguration(options: ConfigurationOptions): MutatingWebhookConfigurationJson | undefined {
  const ids = options.mutating ?? (options.only ? [] : MUTATING_WEBHOOK_SPECS.map((s) => s.id));
  const specs = MUTATING_WEBHOOK_SPECS.filter((s) => ids.includes(s.id));
  if (specs.length === 0) return undefined;
  return {
    apiVersion: 'admissionregistration.k8s.io/v1',
    kind: 'MutatingWebhookConfiguration',
    metadata: configurationMetadata(options.mutatingName ?? DEFAULT_MUTATING_CONFIGURATION_NAME, options),
    webhooks: specs.map((spec) => ({
      name: `${spec.id}.mutate.canopy.dev`,
      clientConfig: clientConfig(options, mutatingWebhookPath(spec.id)),
      rules: spec.rules,
      // What the operator creates itself (generated PropagatedObjects) already carries its finalizer: not worth a call.
      objectSelector: {
        ...options.objectSelector,
        matchExpressions: [...(options.objectSelector?.matchExpressions ?? []), { key: LABEL_MANAGED_BY, operator: 'NotIn', values: [MANAGED_BY_VALUE] }],
      },
      // The finalizer saves the reconcilers a write; they still add it when it is missing. So an
      // operator that cannot answer must not stop tenants from creating objects on this account
      // (the validating webhooks, fail-closed, decide whether they may).
      failurePolicy: 'Ignore',
      matchPolicy: 'Equivalent',
      sideEffects: 'None',
      reinvocationPolicy: 'Never',
      timeoutSeconds: options.timeoutSeconds ?? 5,
      admissionReviewVersions: ['v1'],
    })),
  };
}
