import { expect } from 'chai';
import { waitUntil } from '../../controlplane/launcher/index.js';
import { testEnv, uniqueName } from '../../test/e2e/env.js';
import { ApiClient } from './http.js';
import { silentLogger } from './logger.js';
import { Manager } from './manager.js';
import { MemberClusterUnavailableError, type MemberCluster } from './members.js';
import type { KubeObject } from './object.js';
import { Resources } from './resources.js';

describe('Member cluster client pool (real apiservers)', function () {
  this.timeout(120_000);
  let admin: ApiClient;
  let manager: Manager;
  let namespace: string;
  const clusters: string[] = [];
  const closed: string[] = [];

  const secret = (name: string, kubeconfig: string) => ({
    apiVersion: 'v1',
    kind: 'Secret',
    metadata: { name, namespace },
    data: { kubeconfig: Buffer.from(kubeconfig).toString('base64') },
  });
  const cluster = (name: string, secretName: string) => ({
    apiVersion: 'canopy.dev/v1alpha1',
    kind: 'Cluster',
    metadata: { name },
    spec: { kubeconfigSecretRef: { name: secretName, namespace, key: 'kubeconfig' }, region: 'test-1' },
  });

  before(async () => {
    admin = new ApiClient(testEnv().host.kubeConfig());
    namespace = uniqueName('members');
    await admin.create(Resources.Namespace, { apiVersion: 'v1', kind: 'Namespace', metadata: { name: namespace } });
    manager = new Manager({
      kubeConfig: testEnv().host.kubeConfig(),
      namespace,
      leaderElection: false,
      metricsPort: false,
      healthPort: false,
      logger: silentLogger(),
      maxMemberClusters: 1,
    });
    manager.members.onClose((name) => closed.push(name));
    await manager.start();
  });

  after(async () => {
    await manager?.stop();
    for (const name of clusters) await admin.delete(Resources.Cluster, name).catch(() => undefined);
    await admin.delete(Resources.Namespace, namespace).catch(() => undefined);
    admin.close();
  });

  it('builds a working client from the Cluster kubeconfig Secret, rebuilds it when the Secret changes, closes it when the Cluster goes', async () => {
    const [eu1, eu2] = testEnv().members;
    const name = uniqueName('pool');
    clusters.push(name);
    await admin.create(Resources.Secret, secret(`${name}-kubeconfig`, eu1!.kubeconfigYaml()));
    await admin.create(Resources.Cluster, cluster(name, `${name}-kubeconfig`));

    const first = await manager.members.get(name);
    expect(first.client.server).to.equal(eu1!.server);
    const marker = uniqueName('only-on-eu-1');
    await first.client.create(Resources.Namespace, { apiVersion: 'v1', kind: 'Namespace', metadata: { name: marker } });
    const namespaces = first.informer(Resources.Namespace);
    await namespaces.waitForSync();
    expect(namespaces.get(marker), 'the informer watches the member, not the host').to.not.equal(undefined);
    expect(await manager.members.get(name), 'same client while the Secret is unchanged').to.equal(first);

    // Rotate the Secret to another member: the old client closes, the next get builds a new one.
    await admin.replace(Resources.Secret, { ...secret(`${name}-kubeconfig`, eu2!.kubeconfigYaml()) });
    expect(await waitUntil(30_000, 50, () => first.closed)).to.equal(true);
    expect(namespaces.running, 'informers of a closed client are stopped').to.equal(false);
    const second = await manager.members.get(name);
    expect(second).to.not.equal(first);
    expect(second.client.server).to.equal(eu2!.server);
    expect(await second.client.tryGet(Resources.Namespace, marker), 'eu-2 does not have the eu-1 namespace').to.equal(undefined);
    const secondInformer = second.informer(Resources.ConfigMap, { namespace: 'default' });
    await secondInformer.waitForSync();

    await admin.delete(Resources.Cluster, name);
    expect(await waitUntil(30_000, 50, () => second.closed)).to.equal(true);
    expect(secondInformer.running).to.equal(false);
    expect(manager.members.peek(name)).to.equal(undefined);
    expect(closed.filter((c) => c === name)).to.have.length(2);
    const error = await manager.members.get(name).catch((e: unknown) => e);
    expect(error).to.be.instanceOf(MemberClusterUnavailableError);
    expect((error as MemberClusterUnavailableError).reason).to.equal('ClusterNotFound');
    await new ApiClient(eu1!.kubeConfig()).delete(Resources.Namespace, marker);
  });

  it('evicts the least recently used client beyond its bound and stops its watches', async () => {
    const [, , us1] = testEnv().members;
    const names = [uniqueName('lru-a'), uniqueName('lru-b')];
    clusters.push(...names);
    const built: MemberCluster[] = [];
    for (const name of names) {
      await admin.create(Resources.Secret, secret(`${name}-kubeconfig`, us1!.kubeconfigYaml()));
      await admin.create(Resources.Cluster, cluster(name, `${name}-kubeconfig`));
      const member = await manager.members.get(name);
      await member.informer(Resources.Namespace).waitForSync();
      built.push(member);
    }
    expect(manager.members.size).to.equal(1);
    expect(built[0]!.closed, 'the first client was evicted by the second (bound 1)').to.equal(true);
    expect(built[1]!.closed).to.equal(false);
    expect(manager.members.names()).to.deep.equal([names[1]]);
  });

  it('explains why a Cluster cannot be reached', async () => {
    const name = uniqueName('broken');
    clusters.push(name);
    await admin.create(Resources.Cluster, cluster(name, `${name}-missing`));
    const missing = await waitUntil(30_000, 50, async () => {
      const err = await manager.members.get(name).catch((e: unknown) => e);
      return err instanceof MemberClusterUnavailableError && err.reason === 'SecretNotFound';
    });
    expect(missing).to.equal(true);
    await admin.create<KubeObject>(Resources.Secret, { ...secret(`${name}-missing`, 'not: [a kubeconfig'), metadata: { name: `${name}-missing`, namespace } });
    const invalid = await waitUntil(30_000, 50, async () => {
      const err = await manager.members.get(name).catch((e: unknown) => e);
      return err instanceof MemberClusterUnavailableError && err.reason === 'InvalidKubeconfig';
    });
    expect(invalid).to.equal(true);
  });
});
