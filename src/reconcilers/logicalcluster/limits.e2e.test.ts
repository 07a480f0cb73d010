import { CoreV1Api } from '@kubernetes/client-node';
import { expect } from 'chai';
import { testEnv, uniqueName } from '../../../test/e2e/env.js';
import { waitUntil } from '../../../controlplane/launcher/index.js';
import { ApiClient, Resources } from '../../runtime/index.js';
import { create, deleteIfExists, logicalClusterObject, waitForPhase, waitGone, workspaceObject } from '../../../test/support/logicalcluster.js';

describe('LogicalCluster, workspace limits and quota changes (real apiserver)', function () {
  this.timeout(240_000);
  let host: ApiClient;
  const ws = uniqueName('lc-ws-lim');
  const older = uniqueName('first');
  const newer = uniqueName('second');
  const quota = (cpu: string) => ({ quota: { hard: { cpu, memory: '2Gi' } } });

  before(async () => {
    host = new ApiClient(testEnv().host.kubeConfig());
    await create(host, Resources.Workspace, workspaceObject(ws, { constraints: { maxLogicalClusters: 2, quota: { hard: { cpu: '6', memory: '8Gi' } } } }));
    await create(host, Resources.LogicalCluster, logicalClusterObject(older, { workspace: ws, constraints: quota('2') }));
    await waitForPhase(host, older, 'Ready');
    await create(host, Resources.LogicalCluster, logicalClusterObject(newer, { workspace: ws, constraints: quota('2') }));
    await waitForPhase(host, newer, 'Ready');
  });

  after(async () => {
    for (const lc of [older, newer]) await deleteIfExists(host, Resources.LogicalCluster, lc);
    for (const lc of [older, newer]) await waitGone(host, lc).catch(() => undefined);
    await deleteIfExists(host, Resources.Workspace, ws);
  });

  it('widens a quota within the workspace budget: the ResourceQuota follows', async () => {
    await host.patch(Resources.LogicalCluster, older, undefined, { spec: { constraints: quota('3') } }, 'merge');
    await waitForPhase(host, older, 'Ready');
    const core = testEnv().host.kubeConfig().makeApiClient(CoreV1Api);
    const updated = await waitUntil(
      30_000,
      250,
      async () => (await core.readNamespacedResourceQuota({ name: 'canopy-quota', namespace: older })).spec?.hard?.['requests.cpu'] === '3',
    );
    expect(updated).to.equal(true);
  });

  it('fails the newer logical cluster, naming the limit, when the workspace lowers maxLogicalClusters; recovers when raised', async () => {
    await host.patch(
      Resources.Workspace,
      ws,
      undefined,
      { spec: { constraints: { maxLogicalClusters: 1, quota: { hard: { cpu: '6', memory: '8Gi' } } } } },
      'merge',
    );
    const failed = await waitForPhase(host, newer, 'Failed');
    const ready = failed.status?.conditions?.find((c) => c.type === 'Ready');
    expect(ready?.reason).to.equal('MaxLogicalClustersExceeded');
    expect(ready?.message).to.include(`workspace ${ws} allows at most 1 logical cluster(s)`).and.include(older);
    expect(failed.status?.conditions?.find((c) => c.type === 'WithinLimits')).to.include({ status: 'False', reason: 'MaxLogicalClustersExceeded' });
    // The older one keeps its place.
    expect((await waitForPhase(host, older, 'Ready')).status?.phase).to.equal('Ready');
    await host.patch(
      Resources.Workspace,
      ws,
      undefined,
      { spec: { constraints: { maxLogicalClusters: 2, quota: { hard: { cpu: '6', memory: '8Gi' } } } } },
      'merge',
    );
    const back = await waitForPhase(host, newer, 'Ready');
    expect(back.status?.conditions?.some((c) => c.type === 'WithinLimits')).to.equal(false);
  });

  it('fails a logical cluster whose quota no longer fits the hierarchical budget', async () => {
    // older holds 3 cpu, newer 2: a budget of 4 leaves the newer one out.
    await host.patch(
      Resources.Workspace,
      ws,
      undefined,
      { spec: { constraints: { maxLogicalClusters: 2, quota: { hard: { cpu: '4', memory: '8Gi' } } } } },
      'merge',
    );
    const failed = await waitForPhase(host, newer, 'Failed');
    const ready = failed.status?.conditions?.find((c) => c.type === 'Ready');
    expect(ready?.reason).to.equal('QuotaExceeded');
    expect(ready?.message)
      .to.include(`workspace ${ws} limits requests.cpu to 4`)
      .and.include(`3 is already claimed by ${older}`)
      .and.include('at most 1 is left');
  });
});
