import { expect } from 'chai';
import { waitUntil } from '../../controlplane/launcher/index.js';
import { testEnv, uniqueName } from '../../test/e2e/env.js';
import { apply, deleteIfManaged, isManaged, patchStatus, withManagedLabel } from './client.js';
import { isNotFound } from './errors.js';
import { ApiClient } from './http.js';
import { silentLogger } from './logger.js';
import { Manager } from './manager.js';
import { metricValue } from './metrics-text.js';
import type { KubeObject, Request } from './object.js';
import { requestKey } from './object.js';
import { Resources } from './resources.js';
import { EventsV1, type EventV1 } from './events.js';

async function get(port: number | undefined, path: string): Promise<{ status: number; text: string }> {
  const res = await fetch(`http://127.0.0.1:${port}${path}`);
  return { status: res.status, text: await res.text() };
}

describe('Manager (real apiserver)', function () {
  this.timeout(180_000);
  let admin: ApiClient;
  let namespace: string;
  let manager: Manager;
  const calls: string[] = [];
  const running = new Set<string>();
  let overlaps = 0;
  let flakyFailures = 0;

  before(async () => {
    const kubeConfig = testEnv().host.kubeConfig();
    admin = new ApiClient(kubeConfig);
    namespace = uniqueName('manager');
    await admin.create(Resources.Namespace, { apiVersion: 'v1', kind: 'Namespace', metadata: { name: namespace, labels: { 'mgr-test': namespace } } });
    manager = new Manager({
      kubeConfig,
      namespace,
      metricsPort: 0,
      healthPort: 0,
      bindAddress: '127.0.0.1',
      logger: silentLogger(),
      leaderElection: { leaseName: 'manager-e2e', leaseDurationMs: 4000, renewDeadlineMs: 3000, retryPeriodMs: 500 },
      gracefulShutdownTimeoutMs: 5000,
    });
    const parents = manager.informer(Resources.ConfigMap, { namespace, labelSelector: 'role=parent' });
    manager.addController({
      name: 'parent',
      for: { resource: Resources.ConfigMap, namespace, labelSelector: 'role=parent' },
      owns: [{ resource: Resources.ConfigMap, namespace, labelSelector: 'role=child' }],
      // Any change to the test namespace wakes the parent named in its `wake` label.
      watches: [
        {
          resource: Resources.Namespace,
          fieldSelector: `metadata.name=${namespace}`,
          map: (ns): Request[] => (ns.metadata?.labels?.wake ? [{ namespace, name: ns.metadata.labels.wake }] : []),
        },
      ],
      concurrency: 3,
      rateLimiter: { baseDelayMs: 50 },
      reconciler: async (request, context) => {
        const key = requestKey(request);
        if (running.has(key)) overlaps++;
        running.add(key);
        calls.push(key);
        try {
          await new Promise((r) => setTimeout(r, 20));
          const parent = parents.get(request.name, request.namespace);
          if (!parent) return;
          if (request.name === 'flaky' && flakyFailures < 2) {
            flakyFailures++;
            throw new Error(`flaky failure ${flakyFailures}`);
          }
          await apply(
            manager.client,
            withManagedLabel({
              apiVersion: 'v1',
              kind: 'ConfigMap',
              metadata: {
                name: `${request.name}-child`,
                namespace,
                labels: { role: 'child' },
                ownerReferences: [{ apiVersion: 'v1', kind: 'ConfigMap', name: request.name, uid: parent.metadata!.uid!, controller: true }],
              },
              data: { parent: request.name },
            }),
            { resource: Resources.ConfigMap },
          );
          context.events.normal(parent, 'ChildApplied', `applied ${request.name}-child`);
          return request.name === 'periodic' ? { requeueAfter: 300 } : undefined;
        } finally {
          running.delete(key);
        }
      },
    });
    await manager.start();
  });

  after(async () => {
    await manager?.stop();
    await admin.delete(Resources.Namespace, namespace).catch(() => undefined);
    admin.close();
  });

  const count = (key: string) => calls.filter((c) => c === key).length;
  const parent = (name: string) => ({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name, namespace, labels: { role: 'parent' } } });

  it('becomes ready after its caches sync and leads its lease', async () => {
    expect((await get(manager.healthPort, '/healthz')).status).to.equal(200);
    expect(await waitUntil(30_000, 100, async () => (await get(manager.healthPort, '/readyz')).status === 200)).to.equal(true);
    expect(await waitUntil(30_000, 100, () => manager.isLeader)).to.equal(true);
    const lease = await admin.get<{ spec?: { holderIdentity?: string } } & KubeObject>(Resources.Lease, 'manager-e2e', namespace);
    expect(lease.spec?.holderIdentity).to.equal(manager.identity);
    const metrics = (await get(manager.metricsPort, '/metrics')).text;
    expect(metricValue(metrics, 'leader_election_master_status', { name: 'manager-e2e' })).to.equal(1);
  });

  it('reconciles each parent, and children and watched objects wake their parent', async () => {
    await admin.create(Resources.ConfigMap, parent('alpha'));
    expect(await waitUntil(30_000, 50, async () => (await admin.tryGet(Resources.ConfigMap, 'alpha-child', namespace)) !== undefined)).to.equal(true);
    const child = await admin.get(Resources.ConfigMap, 'alpha-child', namespace);
    expect(isManaged(child)).to.equal(true);

    // A change to the child (drift) reaches the parent through its owner reference.
    const before = count(`${namespace}/alpha`);
    await admin.patch(Resources.ConfigMap, 'alpha-child', namespace, { data: { parent: 'tampered' } }, 'merge');
    expect(await waitUntil(30_000, 50, () => count(`${namespace}/alpha`) > before)).to.equal(true);
    expect(
      await waitUntil(
        30_000,
        50,
        async () => ((await admin.get(Resources.ConfigMap, 'alpha-child', namespace)) as { data?: Record<string, string> }).data?.parent === 'alpha',
      ),
      'drift put back',
    ).to.equal(true);

    // A Namespace event maps to the parent its label names.
    const beforeNs = count(`${namespace}/alpha`);
    await admin.patch(Resources.Namespace, namespace, undefined, { metadata: { labels: { wake: 'alpha' } } }, 'merge');
    expect(await waitUntil(30_000, 50, () => count(`${namespace}/alpha`) > beforeNs)).to.equal(true);
  });

  it('retries a failing reconcile with backoff and counts it; requeueAfter comes back on its own', async () => {
    await admin.create(Resources.ConfigMap, parent('flaky'));
    await admin.create(Resources.ConfigMap, parent('periodic'));
    expect(await waitUntil(30_000, 50, async () => (await admin.tryGet(Resources.ConfigMap, 'flaky-child', namespace)) !== undefined)).to.equal(true);
    expect(count(`${namespace}/flaky`)).to.be.at.least(3);
    expect(await waitUntil(30_000, 50, () => count(`${namespace}/periodic`) >= 3), 'requeueAfter repeats').to.equal(true);
    const metrics = (await get(manager.metricsPort, '/metrics')).text;
    expect(metricValue(metrics, 'controller_runtime_reconcile_errors_total', { controller: 'parent' })).to.equal(2);
    expect(metricValue(metrics, 'controller_runtime_reconcile_total', { controller: 'parent', result: 'error' })).to.equal(2);
    expect(metricValue(metrics, 'controller_runtime_reconcile_total', { controller: 'parent', result: 'requeue_after' })).to.be.at.least(2);
    expect(metricValue(metrics, 'workqueue_retries_total', { name: 'parent' })).to.be.at.least(2);
    expect(metricValue(metrics, 'controller_runtime_reconcile_time_seconds_count', { controller: 'parent' })).to.be.at.least(calls.length - 3);
    expect(metricValue(metrics, 'canopy_informer_cached_objects', { resource: 'configmaps' })).to.be.at.least(6);
    expect(overlaps, 'no key reconciled concurrently').to.equal(0);
  });

  it('shows counters moving on /metrics while it works', async () => {
    const read = async () => {
      const text = (await get(manager.metricsPort, '/metrics')).text;
      return {
        success: metricValue(text, 'controller_runtime_reconcile_total', { controller: 'parent', result: 'success' }) ?? 0,
        adds: metricValue(text, 'workqueue_adds_total', { name: 'parent' }) ?? 0,
      };
    };
    const first = await read();
    await Promise.all(Array.from({ length: 10 }, (_, i) => admin.create(Resources.ConfigMap, parent(`bulk-${i}`))));
    expect(await waitUntil(30_000, 100, async () => (await read()).success >= first.success + 10)).to.equal(true);
    const second = await read();
    expect(second.adds).to.be.at.least(first.adds + 10);
    console.log(`      reconcile_total{result=success}: ${first.success} -> ${second.success}; workqueue_adds_total: ${first.adds} -> ${second.adds}`);
  });

  it('records Events on reconciled objects and aggregates repeats', async () => {
    const alpha = await admin.get(Resources.ConfigMap, 'alpha', namespace);
    const events = async () =>
      (await admin.listAll<EventV1>(EventsV1, { namespace })).filter((e) => e.regarding?.uid === alpha.metadata?.uid && e.reason === 'ChildApplied');
    expect(await waitUntil(30_000, 100, async () => (await events()).some((e) => (e.series?.count ?? 0) >= 2))).to.equal(true);
    expect(await events(), 'repeats are one events.k8s.io/v1 Event with a series').to.have.length(1);
  });

  it('apply, patchStatus and deleteIfManaged behave on the real API', async () => {
    const plain = await admin.create<KubeObject>(Resources.ConfigMap, { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'not-ours', namespace } });
    expect(await deleteIfManaged(admin, Resources.ConfigMap, 'not-ours', namespace)).to.equal(false);
    expect((await admin.get(Resources.ConfigMap, 'not-ours', namespace)).metadata?.uid).to.equal(plain.metadata?.uid);
    expect(await deleteIfManaged(admin, Resources.ConfigMap, 'absent', namespace)).to.equal(false);
    await apply(
      testEnv().host.kubeConfig(),
      withManagedLabel({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'ours', namespace }, data: { a: '1' } }),
    );
    expect(await deleteIfManaged(admin, Resources.ConfigMap, 'ours', namespace)).to.equal(true);
    expect(await admin.tryGet(Resources.ConfigMap, 'ours', namespace)).to.equal(undefined);

    const name = uniqueName('rt-ws');
    const ws = await apply(admin, withManagedLabel({ apiVersion: 'canopy.dev/v1alpha1', kind: 'Workspace', metadata: { name }, spec: {} }));
    const patched = await patchStatus<KubeObject & { status?: { path?: string } }>(admin, Resources.Workspace, ws, { path: `root:${name}` });
    expect(patched.status?.path).to.equal(`root:${name}`);
    expect(await deleteIfManaged(admin, Resources.Workspace, name)).to.equal(true);
    const error = await admin.get(Resources.Workspace, `${name}-missing`).catch((e: unknown) => e);
    expect(isNotFound(error)).to.equal(true);
  });

  it('stops gracefully: releases its lease and reports why it stopped', async () => {
    await manager.stop();
    expect(await manager.done).to.equal('stopped');
    const lease = await admin.get<{ spec?: { holderIdentity?: string; leaseDurationSeconds?: number } } & KubeObject>(
      Resources.Lease,
      'manager-e2e',
      namespace,
    );
    expect(lease.spec?.holderIdentity ?? '').to.equal('');
    expect(lease.spec?.leaseDurationSeconds).to.equal(1);
    const error = await get(manager.healthPort, '/healthz').catch((e: unknown) => e);
    expect(error, 'servers closed').to.be.instanceOf(Error);
  });
});
