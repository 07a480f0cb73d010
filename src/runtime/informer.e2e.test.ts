import { expect } from 'chai';
import { waitUntil } from '../../controlplane/launcher/index.js';
import { testEnv, uniqueName } from '../../test/e2e/env.js';
import { ApiClient } from './http.js';
import { Informer, type InformerEvent } from './informer.js';
import { silentLogger } from './logger.js';
import type { KubeObject } from './object.js';
import { Resources } from './resources.js';
import { labelIndex } from './store.js';

interface ConfigMap extends KubeObject {
  data?: Record<string, string>;
}

function configMap(namespace: string, name: string, labels: Record<string, string> = {}, data: Record<string, string> = {}): ConfigMap {
  return { apiVersion: 'v1', kind: 'ConfigMap', metadata: { namespace, name, labels }, data };
}

/** key → resourceVersion of what the informer holds. */
function snapshot(objects: readonly KubeObject[]): Record<string, string> {
  return Object.fromEntries(objects.map((o) => [`${o.metadata?.namespace ?? ''}/${o.metadata?.name}`, o.metadata?.resourceVersion ?? '']));
}

describe('Informer (real apiserver)', () => {
  let client: ApiClient;
  let namespace: string;
  const informers: Informer[] = [];

  before(async () => {
    client = new ApiClient(testEnv().host.kubeConfig());
    namespace = uniqueName('informer');
    await client.create(Resources.Namespace, { apiVersion: 'v1', kind: 'Namespace', metadata: { name: namespace } });
  });

  afterEach(async () => {
    await Promise.all(informers.splice(0).map((i) => i.stop()));
  });

  after(async () => {
    await client.delete(Resources.Namespace, namespace);
    client.close();
  });

  it('syncs a paginated list, then follows adds, updates and deletes with the selector applied', async () => {
    const team = uniqueName('team');
    await Promise.all(
      Array.from({ length: 25 }, (_, i) => client.create(Resources.ConfigMap, configMap(namespace, `cm-${i}`, { team, parity: i % 2 ? 'odd' : 'even' }))),
    );
    await client.create(Resources.ConfigMap, configMap(namespace, 'unlabelled'));
    const informer = new Informer<ConfigMap>(client, Resources.ConfigMap, { namespace, labelSelector: `team=${team}`, pageSize: 7 }, silentLogger());
    informers.push(informer);
    const events: Array<InformerEvent<ConfigMap>> = [];
    informer.on((e) => events.push(e));
    informer.start();
    await informer.waitForSync();
    expect(informer.hasSynced()).to.equal(true);
    expect(informer.size, 'selector filters the unlabelled object out').to.equal(25);
    expect(events.filter((e) => e.type === 'add')).to.have.length(25);
    const cached = informer.get('cm-3', namespace)!;
    expect(cached.kind, 'list items get their kind').to.equal('ConfigMap');
    expect(cached.metadata, 'managedFields are not cached').to.not.have.property('managedFields');

    await client.patch(Resources.ConfigMap, 'cm-3', namespace, { data: { changed: 'yes' } }, 'merge');
    await client.delete(Resources.ConfigMap, 'cm-4', namespace);
    await client.create(Resources.ConfigMap, configMap(namespace, 'late', { team, parity: 'even' }));
    await client.patch(Resources.ConfigMap, 'cm-5', namespace, { metadata: { labels: { team: 'other' } } }, 'merge');
    const seen = await waitUntil(
      30_000,
      50,
      () =>
        informer.get('late', namespace) !== undefined &&
        informer.get('cm-5', namespace) === undefined &&
        informer.get('cm-3', namespace)?.data?.changed === 'yes' &&
        !informer.get('cm-4', namespace),
    );
    expect(seen, 'watch delivered the changes').to.equal(true);
    const update = events.find((e) => e.type === 'update' && e.object.metadata?.name === 'cm-3');
    expect(update?.type === 'update' && update.old.data?.changed).to.equal(undefined);
    expect(events.some((e) => e.type === 'delete' && e.object.metadata?.name === 'cm-4')).to.equal(true);
    expect(
      events.some((e) => e.type === 'delete' && e.object.metadata?.name === 'cm-5'),
      'leaving the selector is a delete',
    ).to.equal(true);

    const fresh = await client.listAll(Resources.ConfigMap, { namespace, labelSelector: `team=${team}` });
    expect(snapshot(informer.list())).to.deep.equal(snapshot(fresh));
  });

  it('answers index queries and replays the cache to late subscribers', async () => {
    const a = `${namespace}`;
    const team = uniqueName('idx');
    await client.create(Resources.ConfigMap, configMap(a, 'owned-1', { idx: team, tier: 'gold' }));
    await client.create(Resources.ConfigMap, configMap(a, 'owned-2', { idx: team, tier: 'silver' }));
    const informer = new Informer(client, Resources.ConfigMap, { labelSelector: `idx=${team}` }, silentLogger());
    informers.push(informer);
    informer.addIndexer('tier', labelIndex('tier'));
    informer.start();
    await informer.waitForSync();
    expect(informer.byIndex('tier', 'gold').map((o) => o.metadata?.name)).to.deep.equal(['owned-1']);
    expect(informer.list(a)).to.have.length(2);
    expect(informer.byIndex('namespace', a)).to.have.length(2);
    const replayed: string[] = [];
    informer.on((e) => replayed.push(`${e.type}:${e.object.metadata?.name}`));
    expect(replayed.sort()).to.deep.equal(['add:owned-1', 'add:owned-2']);
  });

  it('reports a missing resource as an error and keeps retrying without syncing', async () => {
    const missing = { apiVersion: 'nothing.canopy.dev/v1', kind: 'Nothing', plural: 'nothings', namespaced: false };
    const informer = new Informer(client, missing, {}, silentLogger());
    informers.push(informer);
    informer.start();
    await new Promise((r) => setTimeout(r, 1500));
    expect(informer.hasSynced()).to.equal(false);
    expect(informer.running).to.equal(true);
    await informer.stop();
    let rejected = false;
    await informer.waitForSync().catch(() => (rejected = true));
    expect(rejected, 'waiting on a stopped informer fails instead of hanging').to.equal(true);
  });
});
