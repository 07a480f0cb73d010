/**
 * A small tenancy world for the admission e2e suites: a workspace tree with
 * owners and constraints, logical clusters, a placement policy and a
 * logical-cluster namespace, plus RBAC that lets the test users act on
 * Canopy kinds (ordinary create/update rights: not admins).
 */
import { waitUntil } from '../../controlplane/launcher/index.js';
import { testEnv } from '../e2e/env.js';
import type { KubeObject } from '../../src/runtime/index.js';
import { registerMembers } from '../../src/dev/register.js';
import { Actor, refOf, type ObjectRef } from './admission.js';

export interface World {
  readonly id: string;
  readonly admin: Actor;
  readonly users: Readonly<Record<'alice' | 'bob' | 'carol' | 'dave', Actor>>;
  /** Names, suffixed with the world's id. */
  readonly n: (base: string) => string;
  /** The logical-cluster namespace pods and workloads go to. */
  readonly tenantNamespace: string;
  /** Everything the world created, for cleanup (children before parents). */
  readonly created: ObjectRef[];
  teardown(): Promise<void>;
}

const CANOPY = 'canopy.dev/v1alpha1';

export async function buildWorld(): Promise<World> {
  const env = testEnv();
  const id = Math.random().toString(36).slice(2, 7);
  const n = (base: string): string => `${base}-${id}`;
  const admin = new Actor('admin', env.host.kubeConfig());
  const users = {
    alice: new Actor('alice', env.host.userKubeConfig('alice')),
    bob: new Actor('bob', env.host.userKubeConfig('bob')),
    carol: new Actor('carol', env.host.userKubeConfig('carol')),
    dave: new Actor('dave', env.host.userKubeConfig('dave')),
  };
  const created: ObjectRef[] = [];
  const make = async (object: KubeObject): Promise<void> => {
    await admin.create(object);
    created.push(refOf(object));
  };

  // Members as Clusters (idempotent; the shared operator's setup does the same), for placement and cost.
  await registerMembers(env.host.kubeConfig(), env.members);

  await make({
    apiVersion: 'rbac.authorization.k8s.io/v1',
    kind: 'ClusterRole',
    metadata: { name: n('canopy-e2e-tenant') },
    rules: [
      {
        apiGroups: ['canopy.dev'],
        resources: ['workspaces', 'logicalclusters', 'placementpolicies', 'propagatedobjects'],
        verbs: ['get', 'list', 'watch', 'create', 'update', 'patch', 'delete'],
      },
      // Namespaces: so admission, not RBAC, is what refuses a forged hierarchy label.
      { apiGroups: [''], resources: ['namespaces'], verbs: ['get', 'create', 'update'] },
      // Tenants deploying into their logical cluster's namespaces.
      { apiGroups: [''], resources: ['pods', 'configmaps'], verbs: ['get', 'create', 'update'] },
      { apiGroups: ['apps'], resources: ['deployments'], verbs: ['get', 'create', 'update'] },
      { apiGroups: ['batch'], resources: ['cronjobs'], verbs: ['get', 'create', 'update'] },
    ],
  } as KubeObject);
  await make({
    apiVersion: 'rbac.authorization.k8s.io/v1',
    kind: 'ClusterRoleBinding',
    metadata: { name: n('canopy-e2e-tenant') },
    roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: n('canopy-e2e-tenant') },
    subjects: ['alice', 'bob', 'carol', 'dave'].map((name) => ({ apiGroup: 'rbac.authorization.k8s.io', kind: 'User', name })),
  } as KubeObject);

  await make({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: n('plain') } });
  const workspace = (name: string, spec: Record<string, unknown>): KubeObject =>
    ({ apiVersion: CANOPY, kind: 'Workspace', metadata: { name }, spec }) as KubeObject;
  await make(
    workspace(n('acme'), {
      owners: [{ kind: 'User', name: 'alice' }],
      constraints: {
        regions: ['eu-1', 'eu-2'],
        clusterSelector: { matchLabels: { 'canopy.dev/geo': 'eu' } },
        maxLogicalClusters: 3,
        quota: { hard: { cpu: '10', memory: '20Gi' } },
        podSecurity: 'baseline',
        costBudget: 5000,
        allowedRegistries: ['registry.acme.io', 'docker.io/library'],
      },
    }),
  );
  await make(workspace(n('team'), { parent: n('acme'), owners: [{ kind: 'User', name: 'bob' }], constraints: { regions: ['eu-1'] } }));
  await make(workspace(n('app'), { parent: n('team') }));
  await make(workspace(n('other'), { owners: [{ kind: 'User', name: 'carol' }] }));
  await make(workspace(n('small'), { parent: n('acme'), constraints: { maxLogicalClusters: 1 } }));
  await make(workspace(n('budget'), { parent: n('acme'), constraints: { costBudget: 10 } }));

  const logicalCluster = (name: string, spec: Record<string, unknown>): KubeObject =>
    ({ apiVersion: CANOPY, kind: 'LogicalCluster', metadata: { name }, spec }) as KubeObject;
  await make(logicalCluster(n('shop'), { workspace: n('team'), constraints: { quota: { hard: { cpu: '2', memory: '4Gi', 'services.loadbalancers': '0' } } } }));
  await make(logicalCluster(n('one'), { workspace: n('small'), constraints: { quota: { hard: { cpu: '1', memory: '1Gi', 'services.loadbalancers': '0' } } } }));

  const selectorFor = (apiVersion: string, kind: string) => ({
    apiVersion,
    kind,
    workspace: n('acme'),
    labelSelector: { matchLabels: { 'admission-e2e': id } },
  });
  await make({
    apiVersion: CANOPY,
    kind: 'PlacementPolicy',
    metadata: { name: n('pci') },
    spec: {
      resourceSelectors: [selectorFor('v1', 'ConfigMap'), selectorFor('apps/v1', 'Deployment')],
      clusterSelector: { matchLabels: { 'compliance/pci': 'true' } },
    },
  } as KubeObject);

  // A namespace of logical cluster "shop", labelled the way the LogicalCluster reconciler labels its own.
  const tenantNamespace = n('pods');
  await make({
    apiVersion: 'v1',
    kind: 'Namespace',
    metadata: {
      name: tenantNamespace,
      labels: {
        'canopy.dev/workspace': n('team'),
        'canopy.dev/logical-cluster': n('shop'),
        [`${n('acme')}.tree.canopy.dev/depth`]: '1',
        [`${n('team')}.tree.canopy.dev/depth`]: '0',
      },
    },
  });
  // Pods need the namespace's default ServiceAccount, which kube-controller-manager creates.
  const hasServiceAccount = await waitUntil(30_000, 200, async () => {
    try {
      await admin.get({ apiVersion: 'v1', kind: 'ServiceAccount', name: 'default', namespace: tenantNamespace });
      return true;
    } catch {
      return false;
    }
  });
  if (!hasServiceAccount) throw new Error(`no default ServiceAccount in ${tenantNamespace}`);

  return {
    id,
    admin,
    users,
    n,
    tenantNamespace,
    created,
    teardown: async () => {
      for (const ref of [...created].reverse()) await admin.deleteIfExists(ref);
    },
  };
}
