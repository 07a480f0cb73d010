import { AppsV1Api, CoreV1Api, RbacAuthorizationV1Api, type KubeConfig } from '@kubernetes/client-node';
import { expect } from 'chai';
import { testEnv, uniqueName } from '../../../test/e2e/env.js';
import { ApiClient, Resources } from '../../runtime/index.js';
import {
  create,
  deleteIfExists,
  labelledObjects,
  logicalClusterObject,
  directKubeConfig,
  refusal,
  tenantKubeConfig,
  waitFor,
  waitForPhase,
  waitGone,
  workspaceObject,
  type LogicalClusterState,
} from '../../../test/support/logicalcluster.js';
import { waitUntil } from '../../../controlplane/launcher/index.js';

/** A restricted-compliant Deployment: the tenant's everyday workload. */
function deployment(name: string) {
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name },
    spec: {
      replicas: 1,
      selector: { matchLabels: { app: name } },
      template: {
        metadata: { labels: { app: name } },
        spec: {
          securityContext: { runAsNonRoot: true, seccompProfile: { type: 'RuntimeDefault' } },
          containers: [{ name: 'web', image: 'nginx', securityContext: { allowPrivilegeEscalation: false, capabilities: { drop: ['ALL'] } } }],
        },
      },
    },
  };
}

describe('LogicalCluster, Namespace mode (real apiserver, real RBAC)', function () {
  this.timeout(240_000);
  let host: ApiClient;
  const wsA = uniqueName('lc-ws-a');
  const wsB = uniqueName('lc-ws-b');
  const lcA = uniqueName('shop');
  const lcB = uniqueName('blog');
  let a: LogicalClusterState;
  let b: LogicalClusterState;
  let tenantA: KubeConfig;
  let tenantB: KubeConfig;

  before(async () => {
    host = new ApiClient(testEnv().host.kubeConfig());
    await create(
      host,
      Resources.Workspace,
      workspaceObject(wsA, { constraints: { podSecurity: 'restricted', quota: { hard: { cpu: '8', memory: '16Gi', pods: '40' } } } }),
    );
    await create(host, Resources.Workspace, workspaceObject(wsB));
    await create(
      host,
      Resources.LogicalCluster,
      logicalClusterObject(lcA, {
        workspace: wsA,
        namespaces: ['web', 'db'],
        capabilities: { preset: 'developer' },
        owners: [{ kind: 'User', name: 'alice' }],
        constraints: { quota: { hard: { cpu: '2', memory: '4Gi', pods: '10' } } },
      }),
    );
    await create(host, Resources.LogicalCluster, logicalClusterObject(lcB, { workspace: wsB, capabilities: { preset: 'developer' } }));
    a = await waitForPhase(host, lcA, 'Ready');
    b = await waitForPhase(host, lcB, 'Ready');
    tenantA = await tenantKubeConfig(host, a);
    tenantB = await tenantKubeConfig(host, b);
  });

  after(async () => {
    for (const lc of [lcA, lcB]) await deleteIfExists(host, Resources.LogicalCluster, lc);
    for (const lc of [lcA, lcB]) await waitGone(host, lc).catch(() => undefined);
    for (const ws of [wsA, wsB]) await deleteIfExists(host, Resources.Workspace, ws);
  });

  it('reports namespaces, the kubeconfig Secret and Ready in status', () => {
    expect(a.status?.namespaces).to.deep.equal([`${lcA}-web`, `${lcA}-db`]);
    expect(a.status?.kubeconfigSecretRef).to.deep.equal({ name: `${lcA}-kubeconfig`, namespace: `${lcA}-web`, key: 'kubeconfig' });
    expect(b.status?.namespaces).to.deep.equal([lcB]);
    const ready = a.status?.conditions?.find((c) => c.type === 'Ready');
    expect(ready).to.include({ status: 'True', reason: 'Ready' });
    expect(ready?.observedGeneration).to.equal(a.metadata.generation);
    expect(tenantA.getContextObject(tenantA.getCurrentContext())?.namespace).to.equal(`${lcA}-web`);
  });

  it('materializes labels, pod security, quota share, defaults and isolation policies', async () => {
    const core = testEnv().host.kubeConfig().makeApiClient(CoreV1Api);
    const ns = await core.readNamespace({ name: `${lcA}-db` });
    expect(ns.metadata?.labels).to.include({
      'canopy.dev/managed-by': 'canopy',
      'canopy.dev/workspace': wsA,
      'canopy.dev/logical-cluster': lcA,
      'pod-security.kubernetes.io/enforce': 'restricted',
      'pod-security.kubernetes.io/warn': 'restricted',
      'pod-security.kubernetes.io/audit': 'restricted',
    });
    const quota = await core.readNamespacedResourceQuota({ name: 'canopy-quota', namespace: `${lcA}-db` });
    expect(quota.spec?.hard).to.deep.equal({ pods: '5', 'requests.cpu': '1', 'requests.memory': '2Gi' });
    const limits = await core.readNamespacedLimitRange({ name: 'canopy-defaults', namespace: `${lcA}-web` });
    expect(limits.spec?.limits[0]?.defaultRequest).to.deep.equal({ cpu: '100m', memory: '128Mi' });
    const policies = await host.listAll(Resources.NetworkPolicy, { namespace: `${lcA}-web` });
    expect(policies.map((p) => p.metadata?.name).sort()).to.deep.equal(['canopy-allow-same-logical-cluster', 'canopy-default-deny']);
    // B's workspace sets no level: baseline is the default.
    expect((await core.readNamespace({ name: lcB })).metadata?.labels?.['pod-security.kubernetes.io/enforce']).to.equal('baseline');
  });

  it('lets each tenant create a ConfigMap and a Deployment in its own namespace', async () => {
    for (const [kc, ns] of [
      [tenantA, `${lcA}-web`],
      [tenantB, lcB],
    ] as const) {
      const cm = await kc
        .makeApiClient(CoreV1Api)
        .createNamespacedConfigMap({ namespace: ns, body: { metadata: { name: 'settings' }, data: { greeting: 'hello' } } });
      expect(cm.metadata?.uid).to.be.a('string');
      const d = await kc.makeApiClient(AppsV1Api).createNamespacedDeployment({ namespace: ns, body: deployment('web') });
      expect(d.metadata?.namespace).to.equal(ns);
    }
  });

  it("refuses each tenant the other's namespace, cluster-wide lists, foreign Secrets and cluster RBAC (403 from the apiserver itself)", async () => {
    const apiserver = testEnv().host;
    for (const [kc, other] of [
      [directKubeConfig(tenantA, apiserver), lcB],
      [directKubeConfig(tenantB, apiserver), `${lcA}-web`],
    ] as const) {
      const core = kc.makeApiClient(CoreV1Api);
      const foreignRead = await refusal(core.listNamespacedConfigMap({ namespace: other }));
      expect(foreignRead.code).to.equal(403);
      expect(foreignRead.message).to.include('forbidden');
      expect((await refusal(core.listNamespace())).code).to.equal(403);
      expect((await refusal(core.listNamespacedSecret({ namespace: other }))).code).to.equal(403);
      expect((await refusal(core.readNamespacedSecret({ name: `${other}-kubeconfig`, namespace: other }))).code).to.equal(403);
      expect((await refusal(core.listNamespacedSecret({ namespace: 'kube-system' }))).code).to.equal(403);
      const crb = await refusal(
        kc.makeApiClient(RbacAuthorizationV1Api).createClusterRoleBinding({
          body: {
            metadata: { name: uniqueName('escalate') },
            roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: 'cluster-admin' },
            subjects: [{ kind: 'User', name: 'me', apiGroup: 'rbac.authorization.k8s.io' }],
          },
        }),
      );
      expect(crb.code).to.equal(403);
      // Its own namespace object is Canopy's: no relabelling pod security away.
      const own = kc.getContextObject(kc.getCurrentContext())!.namespace!;
      expect(
        (await refusal(core.patchNamespace({ name: own, body: { metadata: { labels: { 'pod-security.kubernetes.io/enforce': 'privileged' } } } }))).code,
      ).to.equal(403);
    }
  });

  it("through the gateway its kubeconfig names, a tenant sees its own namespaces only and the other's do not exist", async () => {
    expect(tenantA.getCurrentCluster()?.server).to.match(new RegExp(`/clusters/${lcA}$`));
    for (const [kc, own, other] of [
      [tenantA, [`${lcA}-db`, `${lcA}-web`], lcB],
      [tenantB, [lcB], `${lcA}-web`],
    ] as const) {
      const core = kc.makeApiClient(CoreV1Api);
      expect((await core.listNamespace()).items.map((n) => n.metadata?.name).sort()).to.deep.equal(own);
      const foreignRead = await refusal(core.listNamespacedConfigMap({ namespace: other }));
      expect(foreignRead.code).to.equal(404);
      expect(foreignRead.message).to.equal(`namespaces "${other}" not found`);
      expect((await refusal(core.readNamespacedSecret({ name: `${other}-kubeconfig`, namespace: other }))).code).to.equal(404);
      expect((await refusal(core.listNamespacedSecret({ namespace: 'kube-system' }))).code).to.equal(404);
      const crb = await refusal(
        kc.makeApiClient(RbacAuthorizationV1Api).createClusterRoleBinding({
          body: {
            metadata: { name: uniqueName('escalate') },
            roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: 'cluster-admin' },
            subjects: [{ kind: 'User', name: 'me', apiGroup: 'rbac.authorization.k8s.io' }],
          },
        }),
      );
      expect(crb.code).to.equal(403);
    }
  });

  it('has the apiserver refuse a pod that breaks restricted pod security', async () => {
    const denied = await refusal(
      tenantA.makeApiClient(CoreV1Api).createNamespacedPod({
        namespace: `${lcA}-web`,
        body: { metadata: { name: 'root-pod' }, spec: { containers: [{ name: 'c', image: 'busybox', securityContext: { privileged: true } }] } },
      }),
    );
    expect(denied.code).to.equal(403);
    expect(denied.message).to.include('violates PodSecurity "restricted:latest"');
    expect(denied.message).to.include('privileged');
  });

  it('gives the owners the tenant role and the kubeconfig, and nobody else', async () => {
    const alice = testEnv().host.userKubeConfig('alice').makeApiClient(CoreV1Api);
    const created = await alice.createNamespacedConfigMap({ namespace: `${lcA}-db`, body: { metadata: { name: 'from-alice' } } });
    expect(created.metadata?.name).to.equal('from-alice');
    const secret = await alice.readNamespacedSecret({ name: `${lcA}-kubeconfig`, namespace: `${lcA}-web` });
    expect(secret.data?.kubeconfig).to.be.a('string');
    const bob = testEnv().host.userKubeConfig('bob').makeApiClient(CoreV1Api);
    expect((await refusal(bob.readNamespacedSecret({ name: `${lcA}-kubeconfig`, namespace: `${lcA}-web` }))).code).to.equal(403);
  });

  it('converges spec changes: a namespace added and removed, capabilities narrowed', async () => {
    const patch = (spec: Record<string, unknown>) => host.patch(Resources.LogicalCluster, lcB, undefined, { spec }, 'merge');
    await patch({ namespaces: ['app', 'extra'] });
    let lc = await waitForPhase(host, lcB, 'Ready');
    expect(lc.status?.namespaces).to.deep.equal([`${lcB}-app`, `${lcB}-extra`]);
    // The old default namespace left the spec: it was Canopy's, so it is deleted.
    const core = testEnv().host.kubeConfig().makeApiClient(CoreV1Api);
    expect(
      await waitUntil(
        60_000,
        250,
        async () =>
          !(await core.listNamespace({ labelSelector: `canopy.dev/logical-cluster=${lcB}` })).items.some(
            (n) => n.metadata?.name === lcB && !n.metadata.deletionTimestamp,
          ),
      ),
    ).to.equal(true);
    await patch({ namespaces: ['app'], capabilities: { preset: 'viewer' } });
    lc = await waitForPhase(host, lcB, 'Ready');
    expect(lc.status?.namespaces).to.deep.equal([`${lcB}-app`]);
    // The kubeconfig moved with the first namespace; the viewer may read but no longer write.
    const viewer = await tenantKubeConfig(host, lc);
    const api = viewer.makeApiClient(CoreV1Api);
    expect((await api.listNamespacedConfigMap({ namespace: `${lcB}-app` })).items).to.be.an('array');
    expect((await refusal(api.createNamespacedConfigMap({ namespace: `${lcB}-app`, body: { metadata: { name: 'nope' } } }))).code).to.equal(403);
    const extraGone = await waitUntil(60_000, 250, async () =>
      (await core.listNamespace({ labelSelector: `canopy.dev/logical-cluster=${lcB}` })).items.every(
        (n) => n.metadata?.name === `${lcB}-app` || n.metadata?.deletionTimestamp,
      ),
    );
    expect(extraGone).to.equal(true);
  });

  it('deleting it leaves nothing labelled for it on the host', async () => {
    await host.delete(Resources.LogicalCluster, lcA);
    await waitFor(host, lcA, 'Terminating or gone', (lc) => lc === undefined || lc.status?.phase === 'Terminating');
    await waitGone(host, lcA);
    expect(await labelledObjects(host, lcA)).to.deep.equal([]);
  });
});
