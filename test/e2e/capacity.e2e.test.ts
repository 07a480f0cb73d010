import { CoreV1Api } from '@kubernetes/client-node';
import { expect } from 'chai';
import { createNodes, fakeNodes } from '../../controlplane/launcher/nodes.js';
import { waitUntil } from '../../controlplane/launcher/index.js';
import { ApiClient, Resources, type KubeObject } from '../../src/runtime/index.js';
import type { Cluster } from '../../src/crds/cluster.js';
import type { PropagatedObject } from '../../src/crds/propagatedobject.js';
import { testEnv, uniqueName } from './env.js';
import { hostAdmin, objectWhen } from './wait.js';

type PO = PropagatedObject & KubeObject;
type PodView = KubeObject & { spec?: { nodeName?: string }; status?: { phase?: string } };

const allocatableOf = (name: string, cpu: string) =>
  objectWhen<Cluster & KubeObject>(
    Resources.Cluster,
    name,
    undefined,
    (c) => c.status?.allocatable?.['cpu'] === cpu,
    `reported ${cpu} CPU allocatable`,
    60_000,
  );

/**
 * Capacity comes from the members' Nodes: eu-2 gets three more kwok Nodes
 * (twice eu-1's CPU), its Cluster status follows, and a Divide placement by
 * free capacity splits replicas 1:2 between eu-1 and eu-2, whose pods the
 * members' schedulers then bind, some onto the new Nodes.
 */
describe('capacity: Cluster allocatable is the sum of the member Nodes, and Divide by capacity follows it (e2e)', function () {
  this.timeout(180_000);
  const id = uniqueName('cap');
  const namespace = `${id}-apps`;
  const extra = fakeNodes(`${id}-eu-2`, 'eu-2');
  const eu2 = () => testEnv().cluster('eu-2').kubeConfig();

  before(async () => {
    await hostAdmin().create(Resources.Namespace, { apiVersion: 'v1', kind: 'Namespace', metadata: { name: namespace } });
  });

  after(async () => {
    await hostAdmin()
      .delete(Resources.PropagatedObject, 'web', namespace)
      .catch(() => undefined);
    await hostAdmin()
      .delete(Resources.PlacementPolicy, id)
      .catch(() => undefined);
    await waitUntil(30_000, 250, async () => !(await hostAdmin().tryGet(Resources.PropagatedObject, 'web', namespace)));
    await hostAdmin()
      .delete(Resources.Namespace, namespace)
      .catch(() => undefined);
    const core = eu2().makeApiClient(CoreV1Api);
    for (const node of extra) await core.deleteNode({ name: node.metadata!.name! }).catch(() => undefined);
    await allocatableOf('eu-2', '12');
  });

  it('reports eu-2 at 24 CPU once it has six Nodes, and divides 6 replicas 2:4 between eu-1 and eu-2', async () => {
    await allocatableOf('eu-1', '12');
    await createNodes(eu2(), extra);
    const cluster = await allocatableOf('eu-2', '24');
    expect(cluster.status?.allocatable).to.deep.equal({ cpu: '24', memory: '96Gi', pods: '660' });

    await hostAdmin().create(Resources.PlacementPolicy, {
      apiVersion: 'canopy.dev/v1alpha1',
      kind: 'PlacementPolicy',
      metadata: { name: id },
      spec: {
        priority: 700,
        resourceSelectors: [{ apiVersion: 'apps/v1', kind: 'Deployment', namespaces: [namespace] }],
        clusterSelector: { matchLabels: { 'canopy.dev/geo': 'eu' } },
        // No weights: Divide splits by free capacity.
        replicas: { strategy: 'Divide' },
      },
    });
    await hostAdmin().create(Resources.PropagatedObject, {
      apiVersion: 'canopy.dev/v1alpha1',
      kind: 'PropagatedObject',
      metadata: { name: 'web', namespace },
      spec: {
        template: {
          apiVersion: 'apps/v1',
          kind: 'Deployment',
          metadata: { name: 'web' },
          spec: {
            replicas: 6,
            selector: { matchLabels: { app: 'web' } },
            template: {
              metadata: { labels: { app: 'web' } },
              spec: { containers: [{ name: 'web', image: 'nginx:1.27', resources: { requests: { cpu: '1', memory: '1Gi' } } }] },
            },
          },
        },
      },
    });
    const po = await objectWhen<PO>(Resources.PropagatedObject, 'web', namespace, (p) => p.status?.readyReplicas === 6, 'ran 6 Ready replicas', 60_000);
    expect((po.status?.placement ?? []).map((p) => [p.cluster, p.replicas]).sort()).to.deep.equal([
      ['eu-1', 2],
      ['eu-2', 4],
    ]);

    // The member's own scheduler placed them on its Nodes, the new ones included.
    const pods = await ApiClient.for(eu2()).list<PodView>(Resources.Pod, { namespace, labelSelector: 'app=web' });
    expect(pods.items.map((p) => p.status?.phase)).to.deep.equal(['Running', 'Running', 'Running', 'Running']);
    const nodes = new Set(pods.items.map((p) => p.spec?.nodeName));
    expect([...nodes].every((n) => n?.startsWith('eu-2-node-') || n?.startsWith(`${id}-eu-2-node-`))).to.equal(true);
  });
});
