/**
 * Admission through the real kube-apiserver: every bad request below is sent
 * as a tenant or admin would send it, the apiserver calls the webhook on
 * loopback and must refuse with the expected sentence; every good request
 * must be admitted.
 */
import { expect } from 'chai';
import type { KubeObject } from '../runtime/index.js';
import { acquireAdmission, errorCode, errorMessage, type Actor, type ObjectRef } from '../../test/support/admission.js';
import { buildWorld, type World } from '../../test/support/admission-world.js';

/** An object body the cases edit in place (JSON, so any nested value). */
// biome-ignore lint/suspicious/noExplicitAny: the cases reach into arbitrary nested fields of JSON bodies
type Mutable = Record<string, any>;

type Request =
  | { readonly op: 'create'; readonly object: KubeObject }
  | { readonly op: 'update'; readonly ref: ObjectRef; readonly mutate: (object: Mutable) => void }
  | { readonly op: 'delete'; readonly ref: ObjectRef };

interface Case {
  readonly name: string;
  /** Who sends it; default admin. */
  readonly as?: keyof World['users'];
  readonly request: (w: World) => Request;
  /** Denial: the webhook that must answer and a fragment of its sentence. */
  readonly webhook?: string;
  readonly message?: string | ((w: World) => string);
}

const CANOPY = 'canopy.dev/v1alpha1';
const ws = (name: string, spec: Record<string, unknown>): KubeObject => ({ apiVersion: CANOPY, kind: 'Workspace', metadata: { name }, spec }) as KubeObject;
const lc = (name: string, spec: Record<string, unknown>): KubeObject =>
  ({ apiVersion: CANOPY, kind: 'LogicalCluster', metadata: { name }, spec }) as KubeObject;
const policy = (name: string, spec: Record<string, unknown>): KubeObject =>
  ({ apiVersion: CANOPY, kind: 'PlacementPolicy', metadata: { name }, spec }) as KubeObject;
const wsRef = (name: string): ObjectRef => ({ apiVersion: CANOPY, kind: 'Workspace', name });
const lcRef = (name: string): ObjectRef => ({ apiVersion: CANOPY, kind: 'LogicalCluster', name });
const nsRef = (name: string): ObjectRef => ({ apiVersion: 'v1', kind: 'Namespace', name });
const create = (object: KubeObject): Request => ({ op: 'create', object });
// Budgets need every priced resource bounded: cpu, memory and load balancers.
const small = { quota: { hard: { cpu: '1', memory: '1Gi', 'services.loadbalancers': '0' } } };

function pod(w: World, spec: Record<string, unknown>, name = 'p'): KubeObject {
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name: w.n(name), namespace: w.tenantNamespace },
    spec: { containers: [{ name: 'app', image: 'registry.acme.io/shop/app:1' }], ...spec },
  } as KubeObject;
}

function withContainer(extra: Record<string, unknown>): Record<string, unknown> {
  return { containers: [{ name: 'app', image: 'registry.acme.io/shop/app:1', ...extra }] };
}

function deployment(w: World, podSpec: Record<string, unknown>, annotations: Record<string, string> = {}): KubeObject {
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name: w.n('web'), namespace: w.tenantNamespace, labels: { 'admission-e2e': w.id }, annotations },
    spec: {
      replicas: 1,
      selector: { matchLabels: { app: 'web' } },
      template: { metadata: { labels: { app: 'web' } }, spec: { containers: [{ name: 'app', image: 'registry.acme.io/shop/web:1' }], ...podSpec } },
    },
  } as KubeObject;
}

function configMap(w: World, clusters: string): KubeObject {
  return {
    apiVersion: 'v1',
    kind: 'ConfigMap',
    metadata: { name: w.n('cfg'), namespace: w.tenantNamespace, labels: { 'admission-e2e': w.id }, annotations: { 'placement.canopy.dev/clusters': clusters } },
    data: { a: 'b' },
  } as KubeObject;
}

function propagated(w: World, template: Record<string, unknown>, extra: Record<string, unknown> = {}): KubeObject {
  return {
    apiVersion: CANOPY,
    kind: 'PropagatedObject',
    metadata: { name: w.n('po'), namespace: w.tenantNamespace },
    spec: { template, ...extra },
  } as KubeObject;
}

const select = (apiVersion: string, kind: string) => (w: World) => create(policy(w.n('bad-policy'), { resourceSelectors: [{ apiVersion, kind }] }));

const BAD: Case[] = [
  // ---- Workspace: tree shape
  {
    name: 'workspace with a missing parent',
    webhook: 'workspaces',
    request: (w) => create(ws(w.n('x'), { parent: w.n('nope') })),
    message: (w) => `spec.parent: parent workspace "${w.n('nope')}" does not exist`,
  },
  {
    name: 'workspace moved under a missing parent',
    webhook: 'workspaces',
    request: (w) => ({ op: 'update', ref: wsRef(w.n('app')), mutate: (o) => (o['spec']['parent'] = w.n('gone')) }),
    message: (w) => `parent workspace "${w.n('gone')}" does not exist; create it first`,
  },
  {
    name: 'moving a workspace below its own descendant',
    webhook: 'workspaces',
    request: (w) => ({ op: 'update', ref: wsRef(w.n('acme')), mutate: (o) => (o['spec']['parent'] = w.n('app')) }),
    message: 'would form a cycle',
  },
  {
    name: 'moving a workspace below its child',
    webhook: 'workspaces',
    request: (w) => ({ op: 'update', ref: wsRef(w.n('team')), mutate: (o) => (o['spec']['parent'] = w.n('app')) }),
    message: (w) => `(${w.n('team')} → ${w.n('app')} → ${w.n('team')})`,
  },
  {
    name: 'workspace named like a system namespace',
    webhook: 'workspaces',
    request: (w) => create(ws(`kube-${w.id}`, {})),
    message: 'metadata.name: namespaces starting with "kube-" are reserved',
  },
  { name: 'workspace named default', webhook: 'workspaces', request: () => create(ws('default', {})), message: 'namespace "default" is reserved' },
  {
    name: 'workspace taking over an unrelated namespace',
    webhook: 'workspaces',
    request: (w) => create(ws(w.n('plain'), {})),
    message: (w) => `namespace "${w.n('plain')}" already exists and is not the home namespace of a workspace`,
  },
  {
    name: 'workspace taking over a logical cluster namespace',
    webhook: 'workspaces',
    request: (w) => create(ws(w.tenantNamespace, {})),
    message: 'already belongs to logical cluster',
  },
  // ---- Workspace: constraints only narrow
  {
    name: 'child region outside the parent',
    webhook: 'workspaces',
    request: (w) => create(ws(w.n('x'), { parent: w.n('acme'), constraints: { regions: ['us-1'] } })),
    message: (w) => `spec.constraints.regions: us-1 is not allowed by parent workspace ${w.n('acme')} (allowed: eu-1, eu-2)`,
  },
  {
    name: 'grandchild region outside an ancestor',
    webhook: 'workspaces',
    request: (w) => create(ws(w.n('x'), { parent: w.n('team'), constraints: { regions: ['eu-2'] } })),
    message: (w) => `eu-2 is not allowed by parent workspace ${w.n('team')} (allowed: eu-1)`,
  },
  {
    name: 'child maxLogicalClusters above the parent',
    webhook: 'workspaces',
    request: (w) => create(ws(w.n('x'), { parent: w.n('acme'), constraints: { maxLogicalClusters: 5 } })),
    message: 'spec.constraints.maxLogicalClusters: 5 exceeds the limit 3',
  },
  {
    name: 'child cpu quota above the parent',
    webhook: 'workspaces',
    request: (w) => create(ws(w.n('x'), { parent: w.n('acme'), constraints: { quota: { hard: { cpu: '20' } } } })),
    message: '20 exceeds the limit 10',
  },
  {
    name: 'child memory quota above the parent',
    webhook: 'workspaces',
    request: (w) => create(ws(w.n('x'), { parent: w.n('acme'), constraints: { quota: { hard: { 'requests.memory': '64Gi' } } } })),
    message: '64Gi exceeds the limit 20Gi',
  },
  {
    name: 'child podSecurity looser than the parent',
    webhook: 'workspaces',
    request: (w) => create(ws(w.n('x'), { parent: w.n('acme'), constraints: { podSecurity: 'privileged' } })),
    message: 'spec.constraints.podSecurity: privileged is less strict than baseline',
  },
  {
    name: 'child cost budget above the parent',
    webhook: 'workspaces',
    request: (w) => create(ws(w.n('x'), { parent: w.n('acme'), constraints: { costBudget: 9000 } })),
    message: 'spec.constraints.costBudget: 9000 exceeds the budget 5000',
  },
  {
    name: 'child registry outside the parent',
    webhook: 'workspaces',
    request: (w) => create(ws(w.n('x'), { parent: w.n('acme'), constraints: { allowedRegistries: ['quay.io'] } })),
    message: 'spec.constraints.allowedRegistries: quay.io is not allowed',
  },
  {
    name: 'child cluster selector contradicting the parent',
    webhook: 'workspaces',
    request: (w) => create(ws(w.n('x'), { parent: w.n('acme'), constraints: { clusterSelector: { matchLabels: { 'canopy.dev/geo': 'us' } } } })),
    message: 'spec.constraints.clusterSelector:',
  },
  // ---- Workspace: ownership
  {
    name: 'owner of a subtree creating outside it',
    as: 'bob',
    webhook: 'workspaces',
    request: (w) => create(ws(w.n('x'), { parent: w.n('acme') })),
    message: (w) => `user "bob" may not create workspace "${w.n('x')}" under "${w.n('acme')}"`,
  },
  {
    name: 'owner of another tree creating in this one',
    as: 'carol',
    webhook: 'workspaces',
    request: (w) => create(ws(w.n('x'), { parent: w.n('team') })),
    message: 'not an owner of workspace',
  },
  {
    name: 'non-admin creating a root workspace',
    as: 'alice',
    webhook: 'workspaces',
    request: (w) => create(ws(w.n('root'), {})),
    message: 'only cluster administrators may manage root workspaces',
  },
  {
    name: 'owner moving a workspace into a tree they do not own',
    as: 'bob',
    webhook: 'workspaces',
    request: (w) => ({ op: 'update', ref: wsRef(w.n('app')), mutate: (o) => (o['spec']['parent'] = w.n('other')) }),
    message: 'may not move workspace',
  },
  {
    name: 'owner widening their own workspace constraints',
    as: 'bob',
    webhook: 'workspaces',
    request: (w) => ({ op: 'update', ref: wsRef(w.n('team')), mutate: (o) => (o['spec']['constraints'] = { regions: ['eu-1', 'eu-2'] }) }),
    message: 'may not widen the constraints',
  },
  {
    name: 'stranger editing a workspace',
    as: 'dave',
    webhook: 'workspaces',
    request: (w) => ({ op: 'update', ref: wsRef(w.n('team')), mutate: (o) => (o['spec']['owners'] = [{ kind: 'User', name: 'dave' }]) }),
    message: (w) => `user "dave" may not change workspace "${w.n('team')}"`,
  },
  {
    name: 'stranger deleting a workspace',
    as: 'dave',
    webhook: 'workspaces',
    request: (w) => ({ op: 'delete', ref: wsRef(w.n('app')) }),
    message: (w) => `user "dave" may not delete workspace "${w.n('app')}"`,
  },
  // ---- LogicalCluster
  {
    name: 'logical cluster in a missing workspace',
    webhook: 'logicalclusters',
    request: (w) => create(lc(w.n('x'), { workspace: w.n('nope') })),
    message: (w) => `spec.workspace: workspace "${w.n('nope')}" does not exist`,
  },
  {
    name: 'logical cluster by a non-owner',
    as: 'dave',
    webhook: 'logicalclusters',
    request: (w) => create(lc(w.n('x'), { workspace: w.n('team'), constraints: small })),
    message: 'may not create logical cluster',
  },
  {
    name: 'logical cluster by the owner of another tree',
    as: 'carol',
    webhook: 'logicalclusters',
    request: (w) => create(lc(w.n('x'), { workspace: w.n('app'), constraints: small })),
    message: 'not an owner of workspace',
  },
  {
    name: 'logical cluster named like a system namespace',
    webhook: 'logicalclusters',
    request: (w) => create(lc(`kube-${w.id}`, { workspace: w.n('team'), constraints: small })),
    message: 'reserved for Kubernetes',
  },
  {
    name: 'logical cluster taking over an unrelated namespace',
    webhook: 'logicalclusters',
    request: (w) => create(lc(w.n('plain'), { workspace: w.n('team'), constraints: small })),
    message: 'belongs to something outside Canopy',
  },
  {
    name: 'logical cluster named like a workspace home namespace',
    webhook: 'logicalclusters',
    request: (w) => create(lc(w.n('team'), { workspace: w.n('team'), constraints: small })),
    message: (w) => `workspace "${w.n('team')}"`,
  },
  {
    name: 'logical cluster region outside its workspace',
    webhook: 'logicalclusters',
    request: (w) => create(lc(w.n('x'), { workspace: w.n('team'), constraints: { ...small, regions: ['us-1'] } })),
    message: 'spec.constraints.regions: us-1 is not allowed',
  },
  {
    name: 'logical cluster podSecurity looser than its workspace',
    webhook: 'logicalclusters',
    request: (w) => create(lc(w.n('x'), { workspace: w.n('team'), constraints: { ...small, podSecurity: 'privileged' } })),
    message: 'less strict than baseline',
  },
  {
    name: 'logical cluster cluster selector outside the workspace',
    webhook: 'logicalclusters',
    request: (w) => create(lc(w.n('x'), { workspace: w.n('team'), mode: 'Cluster', clusterSelector: { matchLabels: { 'canopy.dev/geo': 'us' } } })),
    message: 'spec.clusterSelector:',
  },
  {
    name: 'logical cluster quota over what is left',
    webhook: 'logicalclusters',
    request: (w) =>
      create(lc(w.n('x'), { workspace: w.n('team'), constraints: { quota: { hard: { cpu: '8', memory: '1Gi', 'services.loadbalancers': '0' } } } })),
    message: 'limits requests.cpu to 10 over its subtree',
  },
  {
    name: 'logical cluster quota above the workspace limit',
    webhook: 'logicalclusters',
    request: (w) =>
      create(lc(w.n('x'), { workspace: w.n('team'), constraints: { quota: { hard: { cpu: '11', memory: '1Gi', 'services.loadbalancers': '0' } } } })),
    message: 'spec.constraints.quota.hard.requests.cpu: 11 exceeds the limit 10',
  },
  {
    name: 'logical cluster beyond maxLogicalClusters',
    webhook: 'logicalclusters',
    request: (w) => create(lc(w.n('x'), { workspace: w.n('small'), constraints: small })),
    message: (w) => `allows at most 1 logical cluster(s) in its subtree and already has 1 (${w.n('one')})`,
  },
  {
    name: 'logical cluster over the cost budget',
    webhook: 'logicalclusters',
    request: (w) => create(lc(w.n('x'), { workspace: w.n('budget'), constraints: small })),
    message: 'has a monthly cost budget of 10.00',
  },
  {
    name: 'stranger deleting a logical cluster',
    as: 'dave',
    webhook: 'logicalclusters',
    request: (w) => ({ op: 'delete', ref: lcRef(w.n('shop')) }),
    message: 'may not delete logical cluster',
  },
  {
    name: 'owner of another tree editing a logical cluster',
    as: 'carol',
    webhook: 'logicalclusters',
    request: (w) => ({ op: 'update', ref: lcRef(w.n('shop')), mutate: (o) => (o['spec']['owners'] = [{ kind: 'User', name: 'carol' }]) }),
    message: 'may not change logical cluster',
  },
  // ---- PlacementPolicy
  {
    name: 'policy rule that does not parse',
    webhook: 'placementpolicies',
    request: (w) =>
      create(
        policy(w.n('bad-policy'), { resourceSelectors: [{ apiVersion: 'v1', kind: 'ConfigMap' }], rules: [{ expression: "cluster.metadata.labels['a' ==" }] }),
      ),
    message: 'spec.rules[0].expression: CEL expression',
  },
  {
    name: 'policy rule with an unknown variable',
    webhook: 'placementpolicies',
    request: (w) =>
      create(
        policy(w.n('bad-policy'), {
          resourceSelectors: [{ apiVersion: 'v1', kind: 'ConfigMap' }],
          rules: [{ expression: 'true' }, { expression: "node.labels['x'] == 'y'" }],
        }),
      ),
    message: "spec.rules[1].expression: CEL expression `node.labels['x'] == 'y'` does not compile: undeclared reference to 'node'",
  },
  {
    name: 'policy selecting Namespaces',
    webhook: 'placementpolicies',
    request: select('v1', 'Namespace'),
    message: 'spec.resourceSelectors[0].kind: Namespace objects cannot be placed',
  },
  { name: 'policy selecting Nodes', webhook: 'placementpolicies', request: select('v1', 'Node'), message: 'Node is cluster-scoped configuration' },
  {
    name: 'policy selecting CRDs',
    webhook: 'placementpolicies',
    request: select('apiextensions.k8s.io/v1', 'CustomResourceDefinition'),
    message: 'CustomResourceDefinition.apiextensions.k8s.io is cluster-scoped',
  },
  {
    name: 'policy selecting Canopy objects',
    webhook: 'placementpolicies',
    request: select('canopy.dev/v1alpha1', 'LogicalCluster'),
    message: 'LogicalCluster is a Canopy object',
  },
  {
    name: 'policy selecting ClusterRoleBindings',
    webhook: 'placementpolicies',
    request: select('rbac.authorization.k8s.io/v1', 'ClusterRoleBinding'),
    message: 'ClusterRoleBinding.rbac.authorization.k8s.io is cluster-scoped',
  },
  // ---- PropagatedObject and pinned plain objects
  {
    name: 'propagated Namespace',
    webhook: 'propagatedobjects',
    request: (w) => create(propagated(w, { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'x' } })),
    message: 'spec.template.kind: Namespace objects cannot be placed',
  },
  {
    name: 'propagated object aimed at another namespace',
    webhook: 'propagatedobjects',
    request: (w) => create(propagated(w, { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'x', namespace: 'kube-system' } })),
    message: 'spec.template.metadata.namespace: "kube-system" differs',
  },
  {
    name: 'propagated object pinning a missing policy',
    webhook: 'propagatedobjects',
    request: (w) => create(propagated(w, { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'x' } }, { placementRef: { name: w.n('nope') } })),
    message: (w) => `spec.placementRef.name: PlacementPolicy "${w.n('nope')}" does not exist`,
  },
  {
    name: 'propagated object pinning a cluster outside the workspace',
    webhook: 'propagatedobjects',
    request: (w) =>
      create(propagated(w, { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'x', annotations: { 'placement.canopy.dev/clusters': 'us-1' } } })),
    message: 'asks for clusters that the workspace constraints forbid: cluster us-1',
  },
  {
    name: 'configmap pinning a cluster its policy forbids',
    webhook: 'placed-objects',
    request: (w) => create(configMap(w, 'eu-2')),
    message: 'cluster eu-2 is forbidden by',
  },
  {
    name: 'deployment pinning a cluster outside the workspace',
    webhook: 'pods',
    request: (w) => create(deployment(w, {}, { 'placement.canopy.dev/clusters': 'us-1' })),
    message: 'metadata.annotations[placement.canopy.dev/clusters]: asks for clusters',
  },
  // ---- Pods and workloads in a logical cluster
  {
    name: 'pod on the host network',
    webhook: 'pods',
    request: (w) => create(pod(w, { hostNetwork: true })),
    message: (w) =>
      `spec.hostNetwork: hostNetwork: true is not allowed in logical cluster "${w.n('shop')}" (pod security level baseline, set by workspace ${w.n('acme')})`,
  },
  { name: 'pod sharing the host PID namespace', webhook: 'pods', request: (w) => create(pod(w, { hostPID: true })), message: 'spec.hostPID:' },
  { name: 'pod sharing the host IPC namespace', webhook: 'pods', request: (w) => create(pod(w, { hostIPC: true })), message: 'spec.hostIPC:' },
  {
    name: 'privileged container',
    webhook: 'pods',
    request: (w) => create(pod(w, withContainer({ securityContext: { privileged: true } }))),
    message: 'spec.containers[0].securityContext.privileged: a privileged container is not allowed',
  },
  {
    name: 'privileged init container',
    webhook: 'pods',
    request: (w) => create(pod(w, { initContainers: [{ name: 'init', image: 'registry.acme.io/init', securityContext: { privileged: true } }] })),
    message: 'spec.initContainers[0].securityContext.privileged',
  },
  {
    name: 'hostPath volume',
    webhook: 'pods',
    request: (w) => create(pod(w, { volumes: [{ name: 'root', hostPath: { path: '/' } }] })),
    message: 'spec.volumes[0].hostPath: a hostPath volume',
  },
  {
    name: 'host port',
    webhook: 'pods',
    request: (w) => create(pod(w, withContainer({ ports: [{ containerPort: 80, hostPort: 8080 }] }))),
    message: 'hostPort 8080',
  },
  {
    name: 'extra capability',
    webhook: 'pods',
    request: (w) => create(pod(w, withContainer({ securityContext: { capabilities: { add: ['SYS_ADMIN'] } } }))),
    message: 'adding capability SYS_ADMIN',
  },
  {
    name: 'image from a registry outside the constraints',
    webhook: 'pods',
    request: (w) => create(pod(w, withContainer({ image: 'quay.io/evil/miner:latest' }))),
    message: 'spec.containers[0].image: image "quay.io/evil/miner:latest" is not from a registry allowed',
  },
  {
    name: 'deployment with a privileged template',
    webhook: 'pods',
    request: (w) => create(deployment(w, withContainer({ securityContext: { privileged: true } }))),
    message: 'spec.template.spec.containers[0].securityContext.privileged',
  },
  {
    name: 'cronjob with an image from a foreign registry',
    webhook: 'pods',
    request: (w) =>
      create({
        apiVersion: 'batch/v1',
        kind: 'CronJob',
        metadata: { name: w.n('cron'), namespace: w.tenantNamespace },
        spec: {
          schedule: '*/5 * * * *',
          jobTemplate: { spec: { template: { spec: { restartPolicy: 'Never', containers: [{ name: 'c', image: 'ghcr.io/x/y:1' }] } } } },
        },
      } as KubeObject),
    message: 'spec.jobTemplate.spec.template.spec.containers[0].image',
  },
  {
    name: 'tenant creating a namespace labelled into another tree',
    as: 'dave',
    webhook: 'namespaces',
    request: (w) =>
      create({
        apiVersion: 'v1',
        kind: 'Namespace',
        metadata: { name: w.n('forged'), labels: { [`${w.n('acme')}.tree.canopy.dev/depth`]: '1' } },
      } as KubeObject),
    message: (w) =>
      `metadata.labels["${w.n('acme')}.tree.canopy.dev/depth"]: hierarchy labels (*.tree.canopy.dev/depth) are set by Canopy from the Workspace tree; dave may not add them`,
  },
  {
    name: 'tenant taking a namespace out of its tree',
    as: 'dave',
    webhook: 'namespaces',
    request: (w) => ({ op: 'update', ref: nsRef(w.tenantNamespace), mutate: (o) => delete o['metadata']['labels'][`${w.n('acme')}.tree.canopy.dev/depth`] }),
    message: 'may not remove them',
  },
];

const GOOD: Case[] = [
  {
    name: 'tenant labelling a namespace in the tree with anything else',
    as: 'dave',
    request: (w) => ({ op: 'update', ref: nsRef(w.tenantNamespace), mutate: (o) => (o['metadata']['labels']['cost-center'] = 'shop') }),
  },
  {
    name: 'tenant creating a namespace without hierarchy labels',
    as: 'dave',
    request: (w) =>
      create({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: w.n('untreed'), labels: { 'tree.example.com/depth': '1' } } } as KubeObject),
  },
  {
    name: 'admin labelling a namespace into a tree',
    request: (w) =>
      create({
        apiVersion: 'v1',
        kind: 'Namespace',
        metadata: { name: w.n('by-admin'), labels: { [`${w.n('acme')}.tree.canopy.dev/depth`]: '1' } },
      } as KubeObject),
  },
  {
    name: 'narrower child workspace by the owner above',
    as: 'alice',
    request: (w) =>
      create(
        ws(w.n('ok'), {
          parent: w.n('acme'),
          constraints: { regions: ['eu-2'], quota: { hard: { cpu: '2' } }, podSecurity: 'restricted', allowedRegistries: ['registry.acme.io/team'] },
        }),
      ),
  },
  { name: 'workspace by the owner of its parent', as: 'bob', request: (w) => create(ws(w.n('ok'), { parent: w.n('team') })) },
  { name: 'workspace by the owner of another tree, in it', as: 'carol', request: (w) => create(ws(w.n('ok'), { parent: w.n('other') })) },
  { name: 'root workspace by an admin', request: (w) => create(ws(w.n('root'), {})) },
  {
    name: 'owner narrowing their own workspace',
    as: 'bob',
    request: (w) => ({ op: 'update', ref: wsRef(w.n('team')), mutate: (o) => (o['spec']['constraints'] = { regions: ['eu-1'], podSecurity: 'restricted' }) }),
  },
  {
    name: 'owner above moving a workspace within their tree',
    as: 'alice',
    request: (w) => ({ op: 'update', ref: wsRef(w.n('app')), mutate: (o) => (o['spec']['parent'] = w.n('acme')) }),
  },
  {
    name: 'owner editing owners of their workspace',
    as: 'bob',
    request: (w) => ({ op: 'update', ref: wsRef(w.n('team')), mutate: (o) => o['spec']['owners'].push({ kind: 'User', name: 'erin' }) }),
  },
  {
    name: 'anyone with RBAC changing labels only',
    as: 'dave',
    request: (w) => ({
      op: 'update',
      ref: wsRef(w.n('team')),
      mutate: (o) => (o['metadata']['labels'] = { ...(o['metadata']['labels'] ?? {}), tier: 'gold' }),
    }),
  },
  {
    name: 'logical cluster that fits, by the owner',
    as: 'bob',
    request: (w) =>
      create(
        lc(w.n('ok'), {
          workspace: w.n('team'),
          constraints: { quota: { hard: { cpu: '2', memory: '2Gi', 'services.loadbalancers': '0' } }, podSecurity: 'restricted' },
        }),
      ),
  },
  { name: 'logical cluster by the owner two levels up', as: 'alice', request: (w) => create(lc(w.n('ok'), { workspace: w.n('app'), constraints: small })) },
  {
    name: 'logical cluster owners edited by the workspace owner',
    as: 'bob',
    request: (w) => ({ op: 'update', ref: lcRef(w.n('shop')), mutate: (o) => (o['spec']['owners'] = [{ kind: 'User', name: 'erin' }]) }),
  },
  {
    name: 'policy with compiling rules',
    request: (w) =>
      create(
        policy(w.n('ok'), {
          resourceSelectors: [{ apiVersion: 'apps/v1', kind: 'Deployment' }],
          rules: [{ expression: "object.metadata.labels['criticality'] == 'low' || cluster.metadata.labels['canopy.dev/onprem'] == 'true'" }],
        }),
      ),
  },
  {
    name: 'propagated object pinning an allowed cluster',
    request: (w) =>
      create(propagated(w, { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'x', annotations: { 'placement.canopy.dev/clusters': 'eu-1' } } })),
  },
  { name: 'configmap pinning a cluster its policy allows', request: (w) => create(configMap(w, 'eu-1')) },
  { name: 'ordinary pod', request: (w) => create(pod(w, {})) },
  { name: 'pod from docker.io/library by short name', request: (w) => create(pod(w, withContainer({ image: 'nginx:1.27' }))) },
  { name: 'deployment with an ordinary template', request: (w) => create(deployment(w, {})) },
  { name: 'owner deleting a workspace in their tree', as: 'bob', request: (w) => ({ op: 'delete', ref: wsRef(w.n('app')) }) },
];

describe('admission through the apiserver', function () {
  this.timeout(300_000);
  let world: World;
  let release: () => Promise<void>;

  before(async () => {
    release = await acquireAdmission();
    world = await buildWorld();
  });

  after(async () => {
    await world?.teardown();
    await release?.();
  });

  async function send(c: Case, dryRun: boolean): Promise<void> {
    const actor: Actor = c.as ? world.users[c.as] : world.admin;
    const request = c.request(world);
    if (request.op === 'create') await actor.create(request.object, { dryRun });
    else if (request.op === 'update') await actor.update(request.ref, request.mutate, { dryRun });
    else await actor.delete(request.ref, { dryRun });
  }

  it(`denies ${BAD.length} bad requests, each with the rule, the field and the limit`, async () => {
    expect(BAD.length).to.be.at.least(40);
    const failures: string[] = [];
    for (const c of BAD) {
      try {
        await send(c, false);
        failures.push(`${c.name}: admitted`);
      } catch (err) {
        const message = errorMessage(err);
        const expected = typeof c.message === 'function' ? c.message(world) : (c.message ?? '');
        const prefix = `admission webhook "${c.webhook}.validate.canopy.dev" denied the request: `;
        if (errorCode(err) !== 403 || !message.includes(prefix) || !message.includes(expected)) {
          failures.push(`${c.name}: got ${errorCode(err)} "${message}", wanted "${prefix}…${expected}…"`);
        }
      }
    }
    expect(failures, failures.join('\n')).to.deep.equal([]);
  });

  it(`admits ${GOOD.length} good requests (dry run, so each is judged against the same world)`, async () => {
    const failures: string[] = [];
    for (const c of GOOD) {
      try {
        await send(c, true);
      } catch (err) {
        failures.push(`${c.name}: ${errorCode(err)} ${errorMessage(err)}`);
      }
    }
    expect(failures, failures.join('\n')).to.deep.equal([]);
  });
});
