/**
 * LogicalCluster initializers end to end: the shared operator, the example
 * initializer from examples/extensions/initializer run as its own process
 * under its own ServiceAccount (bound to the chart's canopy-initializer
 * ClusterRole), and a tenant trying to get past it.
 */

import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { AuthorizationV1Api, CoreV1Api, type KubeConfig, type KubernetesObject } from '@kubernetes/client-node';
import { expect } from 'chai';
import { testEnv, uniqueName } from '../../../test/e2e/env.js';
import { kubeConfigFor, repoRoot, waitUntil } from '../../../controlplane/launcher/index.js';
import { applyManifests } from '../../dev/manifests.js';
import { ApiClient, Resources, type KubeObject } from '../../runtime/index.js';
import {
  create,
  deleteIfExists,
  getLogicalCluster,
  logicalClusterObject,
  refusal,
  waitFor,
  waitForPhase,
  waitGone,
  workspaceObject,
  type LogicalClusterState,
} from '../../../test/support/logicalcluster.js';

const initializedOf = (lc: LogicalClusterState | undefined) => lc?.status?.conditions?.find((c) => c.type === 'Initialized');

/** A token for a ServiceAccount, as a kubeconfig (the identity a separate program runs as). */
async function serviceAccountKubeConfig(admin: KubeConfig, namespace: string, name: string): Promise<KubeConfig> {
  const core = admin.makeApiClient(CoreV1Api);
  const request = await core.createNamespacedServiceAccountToken({
    name,
    namespace,
    body: { apiVersion: 'authentication.k8s.io/v1', kind: 'TokenRequest', spec: { audiences: [], expirationSeconds: 3600 } },
  });
  const env = testEnv();
  return kubeConfigFor({ clusterName: env.host.name, server: env.host.server, caPem: env.host.caPem, userName: name, token: request.status?.token ?? '' });
}

async function allowed(admin: KubeConfig, user: string, attributes: { group: string; resource: string; verb: string; subresource?: string }): Promise<boolean> {
  const review = await admin.makeApiClient(AuthorizationV1Api).createSubjectAccessReview({ body: { spec: { user, resourceAttributes: attributes } } });
  return review.status?.allowed === true;
}

describe('LogicalCluster initializers (the example initializer as its own process)', function () {
  this.timeout(240_000);
  const INITIALIZER = `e2e.canopy.dev/${uniqueName('cost-center')}`;
  const saNamespace = uniqueName('init-e2e');
  const ws = uniqueName('init-ws');
  const lcFirst = uniqueName('init-a');
  const lcForged = uniqueName('init-b');
  const lcLate = uniqueName('init-c');
  const LATE = 'e2e.canopy.dev/late';
  const tenantUser = `system:serviceaccount:${saNamespace}:tenant`;
  let admin: KubeConfig;
  let host: ApiClient;
  let tenant: ApiClient;
  let initializer: ApiClient;
  let initializerKubeconfigDir: string;
  let child: ChildProcess | undefined;
  let childOutput = '';

  function startInitializer(): void {
    childOutput = '';
    child = spawn(
      process.execPath,
      [
        '--conditions=source',
        '--import',
        'tsx',
        'examples/extensions/initializer/main.ts',
        '--name',
        INITIALIZER,
        '--cost-center',
        'fallback',
        '--kubeconfig',
        join(initializerKubeconfigDir, 'kubeconfig'),
      ],
      { cwd: repoRoot, stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, CANOPY_LOG_LEVEL: 'info' } },
    );
    child.stdout?.on('data', (d: Buffer) => (childOutput += d.toString()));
    child.stderr?.on('data', (d: Buffer) => (childOutput += d.toString()));
  }

  async function stopInitializer(): Promise<void> {
    const running = child;
    child = undefined;
    if (!running || running.exitCode !== null) return;
    const exited = new Promise((resolve) => running.once('exit', resolve));
    running.kill('SIGTERM');
    const timer = setTimeout(() => running.kill('SIGKILL'), 10_000);
    await exited;
    clearTimeout(timer);
  }

  before(async () => {
    admin = testEnv().host.kubeConfig();
    host = new ApiClient(admin);
    await applyManifests(admin, [
      { apiVersion: 'v1', kind: 'Namespace', metadata: { name: saNamespace } },
      { apiVersion: 'v1', kind: 'ServiceAccount', metadata: { name: 'initializer', namespace: saNamespace } },
      { apiVersion: 'v1', kind: 'ServiceAccount', metadata: { name: 'tenant', namespace: saNamespace } },
      // The documented role (config/rbac/initializer_role.yaml, applied with the operator's RBAC) ...
      {
        apiVersion: 'rbac.authorization.k8s.io/v1',
        kind: 'ClusterRoleBinding',
        metadata: { name: `${saNamespace}-initializer` },
        roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: 'canopy-initializer' },
        subjects: [{ kind: 'ServiceAccount', name: 'initializer', namespace: saNamespace }],
      },
      // ... plus what this initializer does inside logical clusters, as its README says.
      {
        apiVersion: 'rbac.authorization.k8s.io/v1',
        kind: 'ClusterRole',
        metadata: { name: `${saNamespace}-cost-center` },
        rules: [
          { apiGroups: ['canopy.dev'], resources: ['workspaces'], verbs: ['get'] },
          { apiGroups: [''], resources: ['namespaces'], verbs: ['get', 'patch'] },
          { apiGroups: [''], resources: ['configmaps'], verbs: ['get', 'create', 'patch'] },
        ],
      },
      {
        apiVersion: 'rbac.authorization.k8s.io/v1',
        kind: 'ClusterRoleBinding',
        metadata: { name: `${saNamespace}-cost-center` },
        roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: `${saNamespace}-cost-center` },
        subjects: [{ kind: 'ServiceAccount', name: 'initializer', namespace: saNamespace }],
      },
    ] as KubernetesObject[]);
    const initializerKc = await serviceAccountKubeConfig(admin, saNamespace, 'initializer');
    initializer = new ApiClient(initializerKc);
    tenant = new ApiClient(await serviceAccountKubeConfig(admin, saNamespace, 'tenant'));
    initializerKubeconfigDir = mkdtempSync(join(tmpdir(), 'canopy-initializer-'));
    writeFileSync(join(initializerKubeconfigDir, 'kubeconfig'), initializerKc.exportConfig(), { mode: 0o600 });

    await create(host, Resources.Workspace, {
      ...workspaceObject(ws, { initializers: [INITIALIZER], owners: [{ kind: 'ServiceAccount', name: 'tenant', namespace: saNamespace }] }),
      metadata: { name: ws, labels: { 'cost-center': 'cc-4711' } },
    } as KubernetesObject);
    // The tenant administers the workspace once the operator has granted its owner role.
    const granted = await waitUntil(60_000, 250, () => allowed(admin, tenantUser, { group: 'canopy.dev', resource: 'logicalclusters', verb: 'create' }));
    expect(granted, 'workspace owner role granted to the tenant').to.equal(true);
  });

  after(async () => {
    await stopInitializer();
    for (const lc of [lcFirst, lcForged, lcLate]) await deleteIfExists(host, Resources.LogicalCluster, lc);
    for (const lc of [lcFirst, lcForged, lcLate]) await waitGone(host, lc).catch(() => undefined);
    await deleteIfExists(host, Resources.Workspace, ws);
    for (const name of [`${saNamespace}-initializer`, `${saNamespace}-cost-center`]) await deleteIfExists(host, Resources.ClusterRoleBinding, name);
    await deleteIfExists(host, Resources.ClusterRole, `${saNamespace}-cost-center`);
    await deleteIfExists(host, Resources.Namespace, saNamespace);
    if (initializerKubeconfigDir) rmSync(initializerKubeconfigDir, { recursive: true, force: true });
  });

  it('keeps a new logical cluster Initializing, its namespaces made but no kubeconfig, the condition naming the initializer', async () => {
    await create(host, Resources.LogicalCluster, logicalClusterObject(lcFirst, { workspace: ws, namespaces: ['web', 'db'] }));
    const lc = await waitFor(
      host,
      lcFirst,
      'Initializing with its namespaces',
      (o) => o?.status?.phase === 'Initializing' && (o.status.namespaces ?? []).length === 2 && initializedOf(o)?.status === 'False',
    );
    expect(lc?.status?.initializers).to.deep.equal([INITIALIZER]);
    const initialized = initializedOf(lc)!;
    expect(initialized.reason).to.equal('WaitingForInitializers');
    expect(initialized.message).to.include(`waiting on initializer ${INITIALIZER} for`);
    const ready = lc?.status?.conditions?.find((c) => c.type === 'Ready');
    expect(ready).to.include({ status: 'False', reason: 'WaitingForInitializers' });
    expect(lc?.status?.kubeconfigSecretRef).to.equal(undefined);
    const core = admin.makeApiClient(CoreV1Api);
    for (const ns of [`${lcFirst}-web`, `${lcFirst}-db`]) expect((await core.readNamespace({ name: ns })).metadata?.name).to.equal(ns);
    expect(await host.tryGet(Resources.Secret, `${lcFirst}-kubeconfig`, `${lcFirst}-web`)).to.equal(undefined);
  });

  it('becomes Ready with the label and the ConfigMap once the example initializer has run, and hands out the kubeconfig', async () => {
    startInitializer();
    let lc: LogicalClusterState;
    try {
      lc = await waitForPhase(host, lcFirst, 'Ready', 90_000);
    } catch (err) {
      throw new Error(`${(err as Error).message}\ninitializer output:\n${childOutput}`);
    }
    expect(lc.status?.initializers ?? []).to.deep.equal([]);
    expect(initializedOf(lc)).to.include({ status: 'True', reason: 'InitializersDone' });
    expect(lc.status?.kubeconfigSecretRef?.name).to.equal(`${lcFirst}-kubeconfig`);
    const core = admin.makeApiClient(CoreV1Api);
    for (const ns of [`${lcFirst}-web`, `${lcFirst}-db`]) {
      const labels = (await core.readNamespace({ name: ns })).metadata?.labels ?? {};
      // The workspace's label, not the flag's fallback; Canopy's own labels untouched.
      expect(labels).to.include({ 'cost-center': 'cc-4711', 'canopy.dev/logical-cluster': lcFirst, 'canopy.dev/workspace': ws });
    }
    const cm = await core.readNamespacedConfigMap({ name: 'cost-center', namespace: `${lcFirst}-web` });
    expect(cm.data).to.deep.equal({ costCenter: 'cc-4711', logicalCluster: lcFirst, workspace: ws });
    expect(await host.tryGet(Resources.Secret, `${lcFirst}-kubeconfig`, `${lcFirst}-web`)).to.not.equal(undefined);
  });

  it('with the initializer stopped, a tenant cannot skip it: a forged status on create is dropped, and the condition names the initializer', async () => {
    await stopInitializer();
    // The tenant creates a logical cluster claiming to be Ready with nothing left to run.
    await tenant.create(Resources.LogicalCluster, {
      ...logicalClusterObject(lcForged, { workspace: ws }),
      status: { phase: 'Ready', initializers: [] },
    } as KubeObject);
    const lc = await waitFor(host, lcForged, 'Initializing', (o) => o?.status?.phase === 'Initializing' && initializedOf(o)?.status === 'False');
    expect(lc?.status?.initializers).to.deep.equal([INITIALIZER]);
    expect(initializedOf(lc)?.message).to.include(INITIALIZER);
    expect(lc?.status?.kubeconfigSecretRef).to.equal(undefined);
  });

  it('refuses the tenant any status write (RBAC), and the initializer anything but removing names (webhook)', async () => {
    const remove = [{ op: 'remove', path: '/status/initializers/0' }];
    const tenantRemove = await refusal(tenant.patch(Resources.LogicalCluster, lcForged, undefined, remove, 'json', { subresource: 'status' }));
    expect(tenantRemove.code).to.equal(403);
    const tenantReady = await refusal(
      tenant.patch(Resources.LogicalCluster, lcForged, undefined, { status: { phase: 'Ready', initializers: [] } }, 'merge', { subresource: 'status' }),
    );
    expect(tenantReady.code).to.equal(403);

    const added = await refusal(
      initializer.patch(Resources.LogicalCluster, lcForged, undefined, { status: { initializers: [INITIALIZER, 'someone-else'] } }, 'merge', {
        subresource: 'status',
      }),
    );
    expect(added.code).to.equal(403);
    expect(added.message).to.include('may not add someone-else to status.initializers');
    const skipped = await refusal(
      initializer.patch(Resources.LogicalCluster, lcForged, undefined, { status: { initializers: [], phase: 'Ready' } }, 'merge', { subresource: 'status' }),
    );
    expect(skipped.code).to.equal(403);
    expect(skipped.message).to.include('status.phase is written by Canopy alone');

    const lc = await getLogicalCluster(host, lcForged);
    expect(lc?.status?.initializers).to.deep.equal([INITIALIZER]);
    expect(lc?.status?.phase).to.equal('Initializing');
    expect(await host.tryGet(Resources.Secret, `${lcForged}-kubeconfig`, lcForged)).to.equal(undefined);
  });

  it('fixes the list at birth: a workspace edit reaches new logical clusters, not existing ones', async () => {
    await host.patch(Resources.Workspace, ws, undefined, { spec: { initializers: [INITIALIZER, LATE] } }, 'merge');
    await create(host, Resources.LogicalCluster, logicalClusterObject(lcLate, { workspace: ws }));
    const late = await waitFor(host, lcLate, 'Initializing with both initializers', (o) => (o?.status?.initializers ?? []).length === 2);
    expect(late?.status?.initializers).to.deep.equal([INITIALIZER, LATE]);
    expect(initializedOf(late)?.message).to.include(`initializers ${INITIALIZER}, ${LATE}`);
    // Born before the edit: still Ready, nothing to wait for, kubeconfig kept.
    const first = await getLogicalCluster(host, lcFirst);
    expect(first?.status?.phase).to.equal('Ready');
    expect(first?.status?.initializers).to.deep.equal([]);
    expect(first?.status?.kubeconfigSecretRef?.name).to.equal(`${lcFirst}-kubeconfig`);
    // And one waiting keeps its own list: lcForged was born with one name.
    expect((await getLogicalCluster(host, lcForged))?.status?.initializers).to.deep.equal([INITIALIZER]);
  });

  it('cleans up a logical cluster deleted while it is initializing', async () => {
    await host.delete(Resources.LogicalCluster, lcForged);
    await waitGone(host, lcForged);
    const gone = await waitUntil(
      60_000,
      250,
      async () =>
        (await host.tryGet(Resources.Namespace, lcForged)) === undefined ||
        !!(await host.tryGet<KubeObject>(Resources.Namespace, lcForged))?.metadata?.deletionTimestamp,
    );
    expect(gone, `namespace ${lcForged} deleted`).to.equal(true);
  });
});
