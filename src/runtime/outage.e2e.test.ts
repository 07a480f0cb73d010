import { expect } from 'chai';
import { LocalEnvironment, waitUntil } from '../../controlplane/launcher/index.js';
import { uniqueName } from '../../test/e2e/env.js';
import { compactEtcd, etcdUrlOf } from '../../test/support/etcd.js';
import { ApiClient } from './http.js';
import { Informer, type InformerEvent } from './informer.js';
import { silentLogger } from './logger.js';
import type { KubeObject } from './object.js';
import { Resources } from './resources.js';

/**
 * Outages on a private control plane (host only, no controller manager), so
 * stopping its apiserver and compacting its etcd disturb no other test file.
 */

function configMap(namespace: string, name: string): KubeObject {
  return { apiVersion: 'v1', kind: 'ConfigMap', metadata: { namespace, name, labels: { 'outage-test': 'yes' } } };
}

function snapshot(objects: readonly KubeObject[]): Record<string, string> {
  return Object.fromEntries(objects.map((o) => [`${o.metadata?.namespace}/${o.metadata?.name}`, o.metadata?.resourceVersion ?? '']));
}

describe('Informer across apiserver outages (private control plane)', function () {
  this.timeout(300_000);
  let env: LocalEnvironment;
  let writer: ApiClient;

  before(async function () {
    this.timeout(300_000);
    env = await LocalEnvironment.start({ members: [], controllerManager: false, quiet: true });
    writer = new ApiClient(env.host.kubeConfig());
  });

  after(async function () {
    this.timeout(120_000);
    writer?.close();
    await env?.stop();
  });

  async function setUp(prefix: string) {
    const namespace = uniqueName(prefix);
    await writer.create(Resources.Namespace, { apiVersion: 'v1', kind: 'Namespace', metadata: { name: namespace } });
    const reader = new ApiClient(env.host.kubeConfig());
    const informer = new Informer(reader, Resources.ConfigMap, { namespace, labelSelector: 'outage-test=yes' }, silentLogger());
    const events: InformerEvent[] = [];
    informer.on((e) => events.push(e));
    return { namespace, reader, informer, events };
  }

  it('sees every change made around an apiserver restart; the cache ends equal to a fresh list', async () => {
    const { namespace, reader, informer, events } = await setUp('restart');
    for (let i = 0; i < 10; i++) await writer.create(Resources.ConfigMap, configMap(namespace, `before-${i}`));
    informer.start();
    await informer.waitForSync();
    // Changes right before the outage race the watch stream being cut.
    await Promise.all([
      ...Array.from({ length: 10 }, (_, i) => writer.create(Resources.ConfigMap, configMap(namespace, `racing-${i}`))),
      writer.delete(Resources.ConfigMap, 'before-0', namespace),
      writer.patch(Resources.ConfigMap, 'before-1', namespace, { data: { v: '2' } }, 'merge'),
    ]);
    const stoppedAt = Date.now();
    await env.host.stopApiServer();
    await env.host.startApiServer();
    const outageMs = Date.now() - stoppedAt;
    // Changes right after the restart land while the informer is still backing off.
    await Promise.all([
      ...Array.from({ length: 10 }, (_, i) => writer.create(Resources.ConfigMap, configMap(namespace, `after-${i}`))),
      writer.delete(Resources.ConfigMap, 'before-2', namespace),
      writer.delete(Resources.ConfigMap, 'racing-3', namespace),
    ]);
    const expected = new Set([
      ...Array.from({ length: 8 }, (_, i) => `before-${i + 2}`),
      'before-1',
      ...Array.from({ length: 10 }, (_, i) => `racing-${i}`),
      ...Array.from({ length: 10 }, (_, i) => `after-${i}`),
    ]);
    expected.delete('before-2');
    expected.delete('racing-3');
    const converged = await waitUntil(120_000, 100, () => informer.size === expected.size && [...expected].every((n) => informer.get(n, namespace)));
    expect(
      converged,
      `cache has ${informer
        .list()
        .map((o) => o.metadata?.name)
        .sort()
        .join(',')}`,
    ).to.equal(true);
    const fresh = await writer.listAll(Resources.ConfigMap, { namespace, labelSelector: 'outage-test=yes' });
    expect(snapshot(informer.list())).to.deep.equal(snapshot(fresh));
    const added = new Set(events.filter((e) => e.type === 'add').map((e) => e.object.metadata?.name));
    const deleted = new Set(events.filter((e) => e.type === 'delete').map((e) => e.object.metadata?.name));
    for (const name of [...expected, 'before-0', 'before-2', 'racing-3']) expect(added.has(name), `add of ${name}`).to.equal(true);
    expect([...deleted].sort()).to.deep.equal(['before-0', 'before-2', 'racing-3']);
    expect(events.some((e) => e.type === 'update' && e.object.metadata?.name === 'before-1')).to.equal(true);
    console.log(
      `      outage ${outageMs} ms; full lists by the informer: ${informer.listCount} (1: the watch resumed from its resourceVersion; 2: the restarted apiserver answered 410 and it relisted)`,
    );
    await informer.stop();
    reader.close();
    await writer.delete(Resources.Namespace, namespace);
  });

  it('relists after 410 Gone (history compacted during the outage) and emits the changes it missed', async () => {
    const { namespace, reader, informer, events } = await setUp('gone');
    for (let i = 0; i < 6; i++) await writer.create(Resources.ConfigMap, configMap(namespace, `cm-${i}`));
    informer.start();
    await informer.waitForSync();
    expect(informer.listCount).to.equal(1);
    const etcdUrl = etcdUrlOf(env);
    await env.host.stopApiServer();
    // Compacting etcd past the informer's resourceVersion means the events it missed can never be replayed.
    const compactedAt = await compactEtcd(etcdUrl);
    await env.host.startApiServer();
    await Promise.all([
      writer.create(Resources.ConfigMap, configMap(namespace, 'new-after-compaction')),
      writer.delete(Resources.ConfigMap, 'cm-0', namespace),
      writer.patch(Resources.ConfigMap, 'cm-1', namespace, { data: { v: 'changed' } }, 'merge'),
    ]);
    const relisted = await waitUntil(
      120_000,
      100,
      () => informer.listCount >= 2 && informer.get('new-after-compaction', namespace) !== undefined && !informer.get('cm-0', namespace),
    );
    expect(
      relisted,
      `lists ${informer.listCount}, cache ${informer
        .list()
        .map((o) => o.metadata?.name)
        .join(',')}`,
    ).to.equal(true);
    await waitUntil(30_000, 100, () => (informer.get('cm-1', namespace) as { data?: Record<string, string> } | undefined)?.data?.v === 'changed');
    const fresh = await writer.listAll(Resources.ConfigMap, { namespace, labelSelector: 'outage-test=yes' });
    expect(snapshot(informer.list())).to.deep.equal(snapshot(fresh));
    expect(events.some((e) => e.type === 'delete' && e.object.metadata?.name === 'cm-0')).to.equal(true);
    expect(events.some((e) => e.type === 'add' && e.object.metadata?.name === 'new-after-compaction')).to.equal(true);
    expect(events.some((e) => e.type === 'update' && e.object.metadata?.name === 'cm-1')).to.equal(true);
    console.log(`      etcd compacted at revision ${compactedAt}; informer lists: ${informer.listCount}`);
    await informer.stop();
    reader.close();
    await writer.delete(Resources.Namespace, namespace);
  });
});
