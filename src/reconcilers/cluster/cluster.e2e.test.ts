import { expect } from 'chai';
import { freePort } from '../../../controlplane/launcher/ports.js';
import { kubeconfigYaml } from '../../../controlplane/launcher/index.js';
import { testEnv, uniqueName } from '../../../test/e2e/env.js';
import { objectWhen } from '../../../test/e2e/wait.js';
import { ApiClient, Resources, type KubeObject } from '../../runtime/index.js';
import type { Cluster } from '../../crds/cluster.js';
import { SYSTEM_NAMESPACE } from '../../dev/register.js';

const admin = () => ApiClient.for(testEnv().host.kubeConfig());

function clusterWhen(name: string, predicate: (c: Cluster) => boolean): Promise<Cluster> {
  return objectWhen<Cluster & KubeObject>(Resources.Cluster, name, undefined, predicate, 'reached the expected state');
}

const readyOf = (c: Cluster) => c.status?.conditions?.find((x) => x.type === 'Ready');

/** Registers a Cluster whose Secret holds `kubeconfig` (or no Secret at all when undefined). */
async function register(name: string, secretData: Record<string, string> | undefined, spec: Partial<Cluster['spec']> = {}): Promise<void> {
  if (secretData) {
    await admin().create(Resources.Secret, {
      apiVersion: 'v1',
      kind: 'Secret',
      metadata: { name: `${name}-kubeconfig`, namespace: SYSTEM_NAMESPACE },
      stringData: secretData,
    });
  }
  await admin().create(Resources.Cluster, {
    apiVersion: 'canopy.dev/v1alpha1',
    kind: 'Cluster',
    metadata: { name },
    spec: {
      kubeconfigSecretRef: { name: `${name}-kubeconfig`, namespace: SYSTEM_NAMESPACE, key: 'kubeconfig' },
      region: 'test-1',
      probeIntervalSeconds: 1,
      ...spec,
    },
  });
}

async function unregister(name: string): Promise<void> {
  await admin()
    .delete(Resources.Cluster, name)
    .catch(() => undefined);
  await admin()
    .delete(Resources.Secret, `${name}-kubeconfig`, SYSTEM_NAMESPACE)
    .catch(() => undefined);
}

describe('Cluster health (e2e)', () => {
  const created: string[] = [];
  const make = (prefix: string) => {
    const name = uniqueName(prefix);
    created.push(name);
    return name;
  };
  after(async () => {
    for (const name of created) await unregister(name);
  });

  it('marks every registered member Ready with its version, APIs and capacity', async () => {
    for (const member of testEnv().members) {
      const cluster = await clusterWhen(member.name, (c) => readyOf(c)?.status === 'True' && !!c.status?.apiEnablements);
      expect(readyOf(cluster)?.reason).to.equal('Ready');
      expect(cluster.status?.kubernetesVersion).to.match(/^v1\.35\./);
      expect(cluster.status?.lastProbeTime).to.be.a('string');
      const apps = cluster.status?.apiEnablements?.find((a) => a.groupVersion === 'apps/v1');
      expect(apps?.resources).to.include('Deployment');
      // Allocatable is the sum over the member's Nodes (kwok's, 3 × 4 CPU / 16Gi / 110 pods), not spec.capacity.
      const nodes = await ApiClient.for(member.kubeConfig()).listAll<KubeObject & { status?: { allocatable?: Record<string, string> } }>({
        apiVersion: 'v1',
        kind: 'Node',
        plural: 'nodes',
        namespaced: false,
      });
      expect(nodes.map((n) => n.status?.allocatable)).to.deep.equal([1, 2, 3].map(() => ({ cpu: '4', memory: '16Gi', pods: '110' })));
      expect(cluster.status?.allocatable).to.deep.equal({ cpu: '12', memory: '48Gi', pods: '330' });
    }
  });

  it('says SecretNotFound when the kubeconfig Secret is missing', async () => {
    const name = make('nosecret');
    await register(name, undefined);
    const cluster = await clusterWhen(name, (c) => readyOf(c)?.reason === 'SecretNotFound');
    expect(readyOf(cluster)?.status).to.equal('False');
    expect(readyOf(cluster)?.message).to.contain(`${SYSTEM_NAMESPACE}/${name}-kubeconfig`);
  });

  it('says KeyNotFound when the Secret lacks the key', async () => {
    const name = make('nokey');
    await register(name, { other: 'x' });
    const cluster = await clusterWhen(name, (c) => readyOf(c)?.reason === 'KeyNotFound');
    expect(readyOf(cluster)?.message).to.contain('has no key kubeconfig');
  });

  it('says InvalidKubeconfig when the Secret holds garbage', async () => {
    const name = make('garbage');
    await register(name, { kubeconfig: 'this: [is not a kubeconfig' });
    await clusterWhen(name, (c) => readyOf(c)?.reason === 'InvalidKubeconfig');
  });

  it('says CertificateInvalid when the CA does not match the server', async () => {
    const env = testEnv();
    const member = env.members[0]!;
    const name = make('wrongca');
    const kubeconfig = kubeconfigYaml({ clusterName: name, server: member.server, caPem: env.host.caPem, userName: 'admin', token: member.adminToken });
    await register(name, { kubeconfig });
    const cluster = await clusterWhen(name, (c) => readyOf(c)?.reason === 'CertificateInvalid');
    expect(readyOf(cluster)?.message).to.contain('certificate-authority-data');
  });

  it('says Unauthorized when the token is wrong', async () => {
    const member = testEnv().members[0]!;
    const name = make('badtoken');
    await register(name, {
      kubeconfig: kubeconfigYaml({ clusterName: name, server: member.server, caPem: member.caPem, userName: 'x', token: 'not-a-token' }),
    });
    await clusterWhen(name, (c) => readyOf(c)?.reason === 'Unauthorized');
  });

  it('taints an unreachable cluster after failoverAfterSeconds and lifts the taint when it recovers', async () => {
    const member = testEnv().members[1]!;
    const name = make('flaky');
    const deadServer = `https://127.0.0.1:${await freePort()}`;
    await register(
      name,
      { kubeconfig: kubeconfigYaml({ clusterName: name, server: deadServer, caPem: member.caPem, userName: 'admin', token: member.adminToken }) },
      { failoverAfterSeconds: 2 },
    );
    const down = await clusterWhen(name, (c) => (c.spec.taints ?? []).some((t) => t.key === 'canopy.dev/unreachable' && t.effect === 'NoExecute'));
    expect(readyOf(down)?.reason).to.equal('Unreachable');
    expect(readyOf(down)?.message).to.contain(deadServer);

    // The cluster "comes back": its Secret now reaches a live apiserver.
    await admin().patch(Resources.Secret, `${name}-kubeconfig`, SYSTEM_NAMESPACE, { stringData: { kubeconfig: member.kubeconfigYaml() } }, 'merge');
    const up = await clusterWhen(name, (c) => readyOf(c)?.status === 'True' && !(c.spec.taints ?? []).some((t) => t.key === 'canopy.dev/unreachable'));
    expect(up.status?.kubernetesVersion).to.match(/^v1\.35\./);
  });

  it('never removes taints the admin set', async () => {
    const member = testEnv().members[2]!;
    const name = make('admintaint');
    await register(name, { kubeconfig: member.kubeconfigYaml() }, { taints: [{ key: 'dedicated', value: 'batch', effect: 'NoSchedule' }] });
    const cluster = await clusterWhen(name, (c) => readyOf(c)?.status === 'True');
    expect(cluster.spec.taints).to.deep.equal([{ key: 'dedicated', value: 'batch', effect: 'NoSchedule' }]);
  });
});
