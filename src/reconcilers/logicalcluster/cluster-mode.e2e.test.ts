import { CoreV1Api } from '@kubernetes/client-node';
import { expect } from 'chai';
import { testEnv, uniqueName } from '../../../test/e2e/env.js';
import { waitUntil } from '../../../controlplane/launcher/index.js';
import { ApiClient, Resources, type KubeObject } from '../../runtime/index.js';
import { FINALIZER } from './names.js';
import {
  create,
  deleteIfExists,
  labelledObjects,
  directKubeConfig,
  logicalClusterObject,
  refusal,
  tenantKubeConfig,
  waitFor,
  waitForPhase,
  waitGone,
  workspaceObject,
} from '../../../test/support/logicalcluster.js';

describe('LogicalCluster, Cluster mode (real member apiservers)', function () {
  this.timeout(300_000);
  let host: ApiClient;
  let eu1: ApiClient;
  const ws = uniqueName('lc-ws-pci');
  const first = uniqueName('pci');
  const second = uniqueName('pci');
  const selector = { matchLabels: { 'compliance/pci': 'true' } };

  before(async () => {
    host = new ApiClient(testEnv().host.kubeConfig());
    eu1 = new ApiClient(testEnv().cluster('eu-1').kubeConfig());
    await create(host, Resources.Workspace, workspaceObject(ws, { constraints: { regions: ['eu-1', 'eu-2'] } }));
    // Binding needs Ready clusters: wait for the health reconciler's first probes.
    const probed = await waitUntil(90_000, 250, async () => {
      const clusters = await host.listAll<KubeObject & { status?: { conditions?: Array<{ type: string; status: string }> } }>(Resources.Cluster);
      return ['eu-1', 'eu-2', 'us-1'].every((n) =>
        clusters.find((c) => c.metadata?.name === n)?.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True'),
      );
    });
    expect(probed, 'members eu-1, eu-2 and us-1 reported Ready').to.equal(true);
  });

  after(async () => {
    const member = testEnv().cluster('eu-1');
    if (!member.apiServerRunning) await member.startApiServer();
    for (const lc of [first, second]) await deleteIfExists(host, Resources.LogicalCluster, lc);
    for (const lc of [first, second]) await waitGone(host, lc).catch(() => undefined);
    await deleteIfExists(host, Resources.Workspace, ws);
  });

  it('binds one matching Ready cluster exclusively and materializes the tenant there', async () => {
    await create(
      host,
      Resources.LogicalCluster,
      logicalClusterObject(first, { workspace: ws, mode: 'Cluster', clusterSelector: selector, owners: [{ kind: 'User', name: 'carol' }] }),
    );
    const lc = await waitForPhase(host, first, 'Ready');
    expect(lc.status?.cluster).to.equal('eu-1');
    expect(lc.status?.namespaces).to.deep.equal([first]);
    expect(lc.status?.conditions?.find((c) => c.type === 'Bound')).to.include({ status: 'True', reason: 'Bound' });
    // On the member: the namespace with pod security, quota defaults, policies, RBAC and the ServiceAccount.
    const ns = await eu1.get(Resources.Namespace, first);
    expect(ns.metadata?.labels).to.include({
      'canopy.dev/logical-cluster': first,
      'canopy.dev/workspace': ws,
      'pod-security.kubernetes.io/enforce': 'baseline',
    });
    for (const [resource, name] of [
      [Resources.ServiceAccount, first],
      [Resources.Role, 'canopy-tenant'],
      [Resources.RoleBinding, 'canopy-tenant'],
      [Resources.LimitRange, 'canopy-defaults'],
      [Resources.NetworkPolicy, 'canopy-default-deny'],
    ] as const) {
      expect((await eu1.get(resource, name, first)).metadata?.labels?.['canopy.dev/managed-by']).to.equal('canopy');
    }
    // On the host: only the namespace that holds the kubeconfig, readable by the owner.
    const onHost = await labelledObjects(host, first);
    expect(onHost.sort()).to.deep.equal([
      `Namespace ${first}`,
      `Role ${first}/canopy-tenant`,
      `RoleBinding ${first}/canopy-tenant`,
      `Secret ${first}/${first}-kubeconfig`,
    ]);
    const carol = testEnv().host.userKubeConfig('carol').makeApiClient(CoreV1Api);
    expect((await carol.readNamespacedSecret({ name: `${first}-kubeconfig`, namespace: first })).data?.kubeconfig).to.be.a('string');
  });

  it('hands out a kubeconfig that reaches the member and only its own namespace there', async () => {
    const lc = (await host.get(Resources.LogicalCluster, first)) as Parameters<typeof tenantKubeConfig>[1];
    const kc = await tenantKubeConfig(host, lc);
    // It names the gateway, which forwards to the bound member: the kubeconfig does not change with the mode.
    expect(kc.getCurrentCluster()?.server).to.match(new RegExp(`/clusters/${first}$`));
    const api = kc.makeApiClient(CoreV1Api);
    await api.createNamespacedConfigMap({ namespace: first, body: { metadata: { name: 'on-member' } } });
    const listed = await api.listNamespacedConfigMap({ namespace: first });
    expect(listed.items.map((c) => c.metadata?.name)).to.include('on-member');
    expect((await eu1.get(Resources.ConfigMap, 'on-member', first)).metadata?.name).to.equal('on-member');
    expect((await api.listNamespace()).items.map((n) => n.metadata?.name)).to.deep.equal([first]);
    expect((await refusal(api.listNamespacedSecret({ namespace: 'kube-system' }))).code).to.equal(404);
    // The same token sent straight to the member apiserver: its RBAC holds the same boundary.
    const direct = directKubeConfig(kc, testEnv().cluster('eu-1')).makeApiClient(CoreV1Api);
    expect((await direct.listNamespacedConfigMap({ namespace: first })).items.map((c) => c.metadata?.name)).to.include('on-member');
    expect((await refusal(direct.listNamespace())).code).to.equal(403);
    expect((await refusal(direct.listNamespacedSecret({ namespace: 'kube-system' }))).code).to.equal(403);
    // The token belongs to the member's ServiceAccount: the host does not accept it at all.
    const onHost = testEnv().host.kubeConfig();
    onHost.users[0] = { ...onHost.users[0]!, token: kc.getCurrentUser()!.token! };
    expect((await refusal(onHost.makeApiClient(CoreV1Api).listNamespacedConfigMap({ namespace: first }))).code).to.equal(401);
  });

  it('fails a second logical cluster when no cluster is free, naming every cluster and why', async () => {
    await create(host, Resources.LogicalCluster, logicalClusterObject(second, { workspace: ws, mode: 'Cluster', clusterSelector: selector }));
    const lc = await waitForPhase(host, second, 'Failed');
    const ready = lc.status?.conditions?.find((c) => c.type === 'Ready');
    expect(ready?.reason).to.equal('NoSuitableCluster');
    expect(ready?.message).to.include(`eu-1: already bound to logical cluster ${first}`);
    expect(ready?.message).to.include('eu-2: labels do not match spec.clusterSelector (compliance/pci=true)');
    expect(ready?.message).to.include('us-1: region us-1 is not allowed (allowed: eu-1, eu-2)');
  });

  it('deleting the first releases the cluster to the waiting one and leaves nothing behind', async () => {
    await host.delete(Resources.LogicalCluster, first);
    await waitGone(host, first);
    expect(await labelledObjects(eu1, first)).to.deep.equal([]);
    expect(await labelledObjects(host, first)).to.deep.equal([]);
    const lc = await waitForPhase(host, second, 'Ready');
    expect(lc.status?.cluster).to.equal('eu-1');
  });

  it('keeps its finalizer and says why while the member is unreachable at deletion, then cleans up', async () => {
    const member = testEnv().cluster('eu-1');
    await member.stopApiServer();
    try {
      await host.delete(Resources.LogicalCluster, second);
      const blocked = await waitFor(
        host,
        second,
        'blocked on cleanup',
        (lc) => lc?.status?.conditions?.some((c) => c.type === 'CleanupBlocked' && c.status === 'True') ?? false,
      );
      expect(blocked?.metadata.finalizers).to.include(FINALIZER);
      expect(blocked?.status?.phase).to.equal('Terminating');
      const condition = blocked?.status?.conditions?.find((c) => c.type === 'CleanupBlocked');
      expect(condition?.reason).to.equal('ClusterUnreachable');
      expect(condition?.message).to.include('cluster eu-1').and.include(FINALIZER);
    } finally {
      await member.startApiServer();
    }
    await waitGone(host, second, 120_000);
    expect(await labelledObjects(new ApiClient(member.kubeConfig()), second)).to.deep.equal([]);
    expect(await labelledObjects(host, second)).to.deep.equal([]);
  });
});
