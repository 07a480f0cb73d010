/**
 * The finalizers mutating webhook through the real kube-apiserver: the
 * object the create returns already carries the cleanup finalizer (no
 * reconciler could have added it before the create answered), deletion still
 * completes, and an unreachable mutating webhook does not refuse creates.
 */
import { expect } from 'chai';
import { createServer } from 'node:net';
import { waitUntil } from '../../controlplane/launcher/index.js';
import { testEnv, uniqueName } from '../../test/e2e/env.js';
import { ApiClient, apply, Resources, type KubeObject, type ResourceRef } from '../runtime/index.js';
import { FINALIZER as LOGICAL_CLUSTER_FINALIZER } from '../reconcilers/logicalcluster/names.js';
import { FINALIZER as PROPAGATED_OBJECT_FINALIZER } from '../reconcilers/propagation/names.js';
import { mutatingWebhookConfiguration } from './configuration.js';

const CANOPY = 'canopy.dev/v1alpha1';
const MUTATING = {
  apiVersion: 'admissionregistration.k8s.io/v1',
  kind: 'MutatingWebhookConfiguration',
  plural: 'mutatingwebhookconfigurations',
  namespaced: false,
} as ResourceRef;

function propagatedObject(name: string, namespace: string, labels: Record<string, string> = {}): KubeObject {
  return {
    apiVersion: CANOPY,
    kind: 'PropagatedObject',
    metadata: { name, namespace, labels },
    spec: { template: { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name }, data: { k: 'v' } } },
  } as KubeObject;
}

async function gone(client: ApiClient, resource: ResourceRef, name: string, namespace?: string): Promise<boolean> {
  return waitUntil(60_000, 250, async () => (await client.tryGet(resource, name, namespace)) === undefined);
}

/** A loopback port nothing listens on. */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

/** How often the apiserver let a request through because this mutating webhook could not be called. */
async function failOpenCount(webhook: string): Promise<number> {
  const text = await testEnv().host.metricsText();
  return text
    .split('\n')
    .filter((line) => line.startsWith('apiserver_admission_webhook_fail_open_count{') && line.includes(`name="${webhook}"`))
    .reduce((sum, line) => sum + Number(line.slice(line.lastIndexOf(' ') + 1)), 0);
}

describe('finalizers mutating webhook (real apiserver)', function () {
  this.timeout(120_000);
  let admin: ApiClient;
  let workspace: string;
  let namespace: string;

  before(async () => {
    admin = new ApiClient(testEnv().host.kubeConfig());
    workspace = uniqueName('mutate');
    namespace = `${workspace}-apps`;
    await admin.create(Resources.Workspace, { apiVersion: CANOPY, kind: 'Workspace', metadata: { name: workspace }, spec: {} } as KubeObject);
    await admin.create(Resources.Namespace, {
      apiVersion: 'v1',
      kind: 'Namespace',
      metadata: { name: namespace, labels: { 'canopy.dev/workspace': workspace } },
    });
  });

  after(async () => {
    await admin.delete(Resources.Namespace, namespace).catch(() => undefined);
    await admin.delete(Resources.Workspace, workspace).catch(() => undefined);
    admin.close();
  });

  it('a LogicalCluster is created with its cleanup finalizer, and deleting it still completes', async () => {
    const name = uniqueName('lc');
    const created = await admin.create(Resources.LogicalCluster, {
      apiVersion: CANOPY,
      kind: 'LogicalCluster',
      metadata: { name },
      spec: { workspace },
    } as KubeObject);
    expect(created.metadata?.finalizers).to.deep.equal([LOGICAL_CLUSTER_FINALIZER]);
    await admin.delete(Resources.LogicalCluster, name);
    expect(await gone(admin, Resources.LogicalCluster, name), 'logical cluster deleted').to.equal(true);
  });

  it('a PropagatedObject is created with its cleanup finalizer, next to finalizers of others, and deleting it still completes', async () => {
    const plain = await admin.create(Resources.PropagatedObject, propagatedObject('plain', namespace));
    expect(plain.metadata?.finalizers).to.deep.equal([PROPAGATED_OBJECT_FINALIZER]);
    const withOther = await admin.create(Resources.PropagatedObject, {
      ...propagatedObject('other', namespace),
      metadata: { name: 'other', namespace, finalizers: ['example.com/hold'] },
    } as KubeObject);
    expect(withOther.metadata?.finalizers).to.deep.equal(['example.com/hold', PROPAGATED_OBJECT_FINALIZER]);
    await admin.delete(Resources.PropagatedObject, 'plain', namespace);
    expect(await gone(admin, Resources.PropagatedObject, 'plain', namespace), 'propagated object deleted').to.equal(true);
    await admin.patch(Resources.PropagatedObject, 'other', namespace, [{ op: 'remove', path: '/metadata/finalizers/0' }], 'json');
    await admin.delete(Resources.PropagatedObject, 'other', namespace);
    expect(await gone(admin, Resources.PropagatedObject, 'other', namespace), 'second propagated object deleted').to.equal(true);
  });

  it('a PropagatedObject created by server-side apply keeps its finalizer when the same manifest is applied again', async () => {
    const manifest = propagatedObject('applied', namespace);
    const created = await apply(admin, manifest, { resource: Resources.PropagatedObject, fieldManager: 'tenant-gitops' });
    expect(created.metadata?.finalizers).to.deep.equal([PROPAGATED_OBJECT_FINALIZER]);
    // A GitOps tool re-applies the manifest it holds, which has no finalizers.
    const reapplied = await apply(admin, { ...manifest, metadata: { ...manifest.metadata, labels: { revision: '2' } } } as KubeObject, {
      resource: Resources.PropagatedObject,
      fieldManager: 'tenant-gitops',
    });
    expect(reapplied.metadata?.labels).to.deep.equal({ revision: '2' });
    expect(reapplied.metadata?.finalizers).to.deep.equal([PROPAGATED_OBJECT_FINALIZER]);
    await admin.delete(Resources.PropagatedObject, 'applied', namespace);
    expect(await gone(admin, Resources.PropagatedObject, 'applied', namespace)).to.equal(true);
  });

  it('is not called for objects labelled canopy.dev/managed-by=canopy (the operator creates those with their finalizer)', async () => {
    const created = await admin.create(Resources.PropagatedObject, propagatedObject('ours', namespace, { 'canopy.dev/managed-by': 'canopy' }));
    expect(created.metadata?.finalizers ?? []).to.deep.equal([]);
    await admin.delete(Resources.PropagatedObject, 'ours', namespace);
    expect(await gone(admin, Resources.PropagatedObject, 'ours', namespace)).to.equal(true);
  });

  it('fails open: with its endpoint down, creates are still admitted', async () => {
    const id = uniqueName('dead');
    const configuration = mutatingWebhookConfiguration({
      endpoint: { url: `https://127.0.0.1:${await closedPort()}` },
      only: [],
      mutating: ['finalizers'],
      mutatingName: `canopy-mutating-${id}`,
      objectSelector: { matchLabels: { 'e2e.canopy.dev/dead-webhook': id } },
      timeoutSeconds: 2,
    })!;
    const before = await failOpenCount('finalizers.mutate.canopy.dev');
    await apply(admin, configuration as unknown as KubeObject, { resource: MUTATING });
    const names: string[] = [];
    try {
      // The apiserver picks up a new webhook configuration within a second or so: create until it has called the dead one.
      const calledDead = await waitUntil(30_000, 500, async () => {
        const name = `dead-${names.length}`;
        const created = await admin.create(Resources.PropagatedObject, propagatedObject(name, namespace, { 'e2e.canopy.dev/dead-webhook': id }));
        names.push(name);
        // Admitted, and the finalizer still came from the operator's own webhook.
        expect(created.metadata?.finalizers).to.deep.equal([PROPAGATED_OBJECT_FINALIZER]);
        return (await failOpenCount('finalizers.mutate.canopy.dev')) > before;
      });
      expect(calledDead, 'the apiserver tried the unreachable webhook and let the create through').to.equal(true);
      for (const name of names) await admin.delete(Resources.PropagatedObject, name, namespace);
      for (const name of names) expect(await gone(admin, Resources.PropagatedObject, name, namespace)).to.equal(true);
    } finally {
      await admin.delete(MUTATING, configuration.metadata.name).catch(() => undefined);
    }
  });
});
