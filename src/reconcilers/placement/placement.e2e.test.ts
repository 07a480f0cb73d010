import { expect } from 'chai';
import { testEnv, uniqueName } from '../../../test/e2e/env.js';
import { objectWhen } from '../../../test/e2e/wait.js';
import { ApiClient, Informer, Resources, silentLogger, type KubeObject } from '../../runtime/index.js';
import type { PropagatedObject } from '../../crds/propagatedobject.js';
import { SYSTEM_NAMESPACE } from '../../dev/register.js';

const admin = () => ApiClient.for(testEnv().host.kubeConfig());
type PO = PropagatedObject & KubeObject;

function poWhen(namespace: string, name: string, predicate: (po: PO) => boolean, what: string): Promise<PO> {
  return objectWhen<PO>(Resources.PropagatedObject, name, namespace, predicate, what);
}

const placed = (po: PO) => (po.status?.placement ?? []).map((p) => p.cluster).sort();
const scheduled = (po: PO) => po.status?.conditions?.find((c) => c.type === 'Scheduled');

function deployment(name: string, criticality: string) {
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name, labels: { app: name, criticality, customer: 'yes' } },
    spec: {
      replicas: 1,
      selector: { matchLabels: { app: name } },
      template: { metadata: { labels: { app: name } }, spec: { containers: [{ name: 'app', image: 'registry.example/app:1' }] } },
    },
  };
}

/**
 * The customer/jurisdiction scenario: customers are workspaces whose
 * constraints carry a jurisdiction (regions); low-criticality apps may use
 * public cloud clusters, every other app stays on-prem.
 */
describe('placement: customers, jurisdictions and criticality (e2e)', () => {
  const id = uniqueName('juris');
  const onprem = `${id}-onprem-eu`;
  const cloudEu = `${id}-cloud-eu`;
  const cloudUs = `${id}-cloud-us`;
  const euCustomer = `${id}-cust-eu`;
  const usCustomer = `${id}-cust-us`;
  const policy = `${id}-criticality`;
  const created: { resource: (typeof Resources)[keyof typeof Resources]; name: string; namespace?: string }[] = [];

  async function create(resource: (typeof Resources)[keyof typeof Resources], object: KubeObject & Record<string, unknown>): Promise<void> {
    await admin().create(resource, object);
    created.push({ resource, name: object.metadata!.name!, namespace: object.metadata!.namespace });
  }

  before(async () => {
    const clusters: [string, string, string, Record<string, string>][] = [
      [onprem, 'eu-1', 'eu-1', { 'canopy.dev/onprem': 'true' }],
      [cloudEu, 'eu-2', 'eu-2', { 'canopy.dev/cloud': 'true' }],
      [cloudUs, 'us-1', 'us-1', { 'canopy.dev/cloud': 'true' }],
    ];
    for (const [name, member, region, labels] of clusters) {
      await create(Resources.Cluster, {
        apiVersion: 'canopy.dev/v1alpha1',
        kind: 'Cluster',
        metadata: { name, labels: { ...labels, scenario: id } },
        spec: {
          kubeconfigSecretRef: { name: `${member}-kubeconfig`, namespace: SYSTEM_NAMESPACE, key: 'kubeconfig' },
          region,
          capacity: { cpu: '16', memory: '64Gi' },
        },
      });
    }
    for (const [name, regions] of [
      [euCustomer, ['eu-1', 'eu-2']],
      [usCustomer, ['us-1']],
    ] as const) {
      await create(Resources.Workspace, {
        apiVersion: 'canopy.dev/v1alpha1',
        kind: 'Workspace',
        metadata: { name },
        spec: { constraints: { regions: [...regions] } },
      });
      // The tenant namespace where the customer's apps live (as a logical cluster's namespace would be labelled).
      await admin().create(Resources.Namespace, {
        apiVersion: 'v1',
        kind: 'Namespace',
        metadata: { name: `${name}-apps`, labels: { 'canopy.dev/workspace': name } },
      });
      created.push({ resource: Resources.Namespace, name: `${name}-apps` });
    }
    await create(Resources.PlacementPolicy, {
      apiVersion: 'canopy.dev/v1alpha1',
      kind: 'PlacementPolicy',
      metadata: { name: policy },
      spec: {
        priority: 10,
        resourceSelectors: [
          { apiVersion: 'apps/v1', kind: 'Deployment', labelSelector: { matchLabels: { customer: 'yes' } }, workspace: euCustomer },
          { apiVersion: 'apps/v1', kind: 'Deployment', labelSelector: { matchLabels: { customer: 'yes' } }, workspace: usCustomer },
        ],
        clusterSelector: { matchLabels: { scenario: id } },
        rules: [
          {
            name: 'low-criticality-may-use-cloud',
            expression:
              "object.metadata.labels.criticality == 'low' || ('canopy.dev/onprem' in cluster.metadata.labels && cluster.metadata.labels['canopy.dev/onprem'] == 'true')",
          },
        ],
        replicas: { strategy: 'Duplicate' },
      },
    });
    for (const [ws, app, criticality] of [
      [euCustomer, 'shop', 'low'],
      [euCustomer, 'ledger', 'high'],
      [usCustomer, 'shop', 'low'],
      [usCustomer, 'ledger', 'high'],
    ] as const) {
      await create(Resources.PropagatedObject, {
        apiVersion: 'canopy.dev/v1alpha1',
        kind: 'PropagatedObject',
        metadata: { name: app, namespace: `${ws}-apps` },
        spec: { template: deployment(app, criticality) },
      });
    }
  });

  after(async () => {
    for (const item of [...created].reverse())
      await admin()
        .delete(item.resource, item.name, item.namespace)
        .catch(() => undefined);
  });

  it('keeps a high-criticality EU app on-prem inside its jurisdiction, and says why not elsewhere', async () => {
    const po = await poWhen(`${euCustomer}-apps`, 'ledger', (p) => scheduled(p)?.status === 'True', 'scheduled');
    expect(placed(po)).to.deep.equal([onprem]);
    expect(po.status?.policy).to.equal(policy);
    const why = Object.fromEntries((po.status?.excluded ?? []).map((e) => [e.cluster, e.reason]));
    expect(why[cloudEu]).to.contain('low-criticality-may-use-cloud');
    expect(why[cloudUs]).to.contain('us-1');
  });

  it('lets a low-criticality EU app use the EU cloud but not the US one', async () => {
    const po = await poWhen(`${euCustomer}-apps`, 'shop', (p) => scheduled(p)?.status === 'True', 'scheduled');
    expect(placed(po)).to.deep.equal([onprem, cloudEu].sort());
    expect((po.status?.excluded ?? []).map((e) => e.cluster)).to.include(cloudUs);
  });

  it('places a low-criticality US app in the US cloud', async () => {
    const po = await poWhen(`${usCustomer}-apps`, 'shop', (p) => scheduled(p)?.status === 'True', 'scheduled');
    expect(placed(po)).to.deep.equal([cloudUs]);
  });

  it('reports a high-criticality US app as Unschedulable: no on-prem cluster in its jurisdiction', async () => {
    const po = await poWhen(`${usCustomer}-apps`, 'ledger', (p) => scheduled(p)?.reason === 'Unschedulable', 'unschedulable');
    expect(scheduled(po)?.status).to.equal('False');
    expect(placed(po)).to.deep.equal([]);
    expect(
      (po.status?.excluded ?? [])
        .map((e) => e.cluster)
        .filter((c) => c.startsWith(id))
        .sort(),
    ).to.deep.equal([onprem, cloudEu, cloudUs].sort());
  });

  it('moves exactly the affected apps when a cluster changes labels', async () => {
    const before = await poWhen(`${euCustomer}-apps`, 'shop', (p) => scheduled(p)?.status === 'True', 'scheduled');
    const beforeUs = await poWhen(`${usCustomer}-apps`, 'shop', (p) => scheduled(p)?.status === 'True', 'scheduled');
    // The EU cloud cluster is certified on-prem grade: high-criticality EU apps may now use it too.
    await admin().patch(Resources.Cluster, cloudEu, undefined, { metadata: { labels: { 'canopy.dev/onprem': 'true' } } }, 'merge');
    const ledger = await poWhen(`${euCustomer}-apps`, 'ledger', (p) => placed(p).includes(cloudEu), 'moved to the EU cloud');
    expect(placed(ledger)).to.deep.equal([onprem, cloudEu].sort());
    const shop = await admin().get<PO>(Resources.PropagatedObject, 'shop', `${euCustomer}-apps`);
    expect(placed(shop)).to.deep.equal(placed(before));
    const usShop = await admin().get<PO>(Resources.PropagatedObject, 'shop', `${usCustomer}-apps`);
    const where = (po: PO) => (po.status?.placement ?? []).map(({ cluster, replicas }) => ({ cluster, replicas }));
    expect(where(usShop)).to.deep.equal(where(beforeUs));
    const usLedger = await admin().get<PO>(Resources.PropagatedObject, 'ledger', `${usCustomer}-apps`);
    expect(scheduled(usLedger)?.reason).to.equal('Unschedulable');
  });

  it('re-decides when the policy changes', async () => {
    await admin().patch(Resources.PlacementPolicy, policy, undefined, { spec: { regions: ['eu-1'] } }, 'merge');
    const shop = await poWhen(`${euCustomer}-apps`, 'shop', (p) => placed(p).length === 1, 'narrowed to eu-1');
    expect(placed(shop)).to.deep.equal([onprem]);
  });
});

/**
 * A fresh install registers Clusters and receives workloads at the same time.
 * A first decision must not pile everything onto the clusters probed first
 * (and move it again moments later): it waits for a newly registered
 * cluster's first health probe when the policy would choose that cluster.
 */
describe('placement: a cluster registered with the workload (e2e)', () => {
  const id = uniqueName('joining');
  const old = `${id}-old`;
  const fresh = `${id}-new`;
  const workspace = `${id}-ws`;
  const namespace = `${id}-apps`;
  const policy = `${id}-spread`;
  const history: { placement: string[]; reason?: string }[] = [];
  let watcher: Informer<PO> | undefined;

  const cluster = (name: string, member: string) => ({
    apiVersion: 'canopy.dev/v1alpha1',
    kind: 'Cluster',
    metadata: { name, labels: { scenario: id } },
    spec: {
      kubeconfigSecretRef: { name: `${member}-kubeconfig`, namespace: SYSTEM_NAMESPACE, key: 'kubeconfig' },
      region: member,
      capacity: { cpu: '16', memory: '64Gi' },
    },
  });

  before(async () => {
    await admin().create(Resources.Workspace, { apiVersion: 'canopy.dev/v1alpha1', kind: 'Workspace', metadata: { name: workspace }, spec: {} });
    await admin().create(Resources.Namespace, {
      apiVersion: 'v1',
      kind: 'Namespace',
      metadata: { name: namespace, labels: { 'canopy.dev/workspace': workspace } },
    });
    await admin().create(Resources.Cluster, cluster(old, 'eu-1'));
    await objectWhen<KubeObject & { status?: { conditions?: { type: string; status: string }[] } }>(
      Resources.Cluster,
      old,
      undefined,
      (c) => c.status?.conditions?.some((x) => x.type === 'Ready' && x.status === 'True') === true,
      'Ready',
    );
    await admin().create(Resources.PlacementPolicy, {
      apiVersion: 'canopy.dev/v1alpha1',
      kind: 'PlacementPolicy',
      metadata: { name: policy },
      spec: {
        priority: 10,
        resourceSelectors: [{ apiVersion: 'apps/v1', kind: 'Deployment', workspace }],
        clusterSelector: { matchLabels: { scenario: id } },
        replicas: { strategy: 'Divide' },
      },
    });
    watcher = new Informer<PO>(admin(), Resources.PropagatedObject, { namespace }, silentLogger());
    watcher.on((e) => {
      if (e.type !== 'delete') history.push({ placement: placed(e.object), reason: scheduled(e.object)?.reason });
    });
    watcher.start();
    await watcher.waitForSync();
  });

  after(async () => {
    await watcher?.stop();
    await admin()
      .delete(Resources.PropagatedObject, 'web', namespace)
      .catch(() => undefined);
    for (const [resource, name] of [
      [Resources.PlacementPolicy, policy],
      [Resources.Cluster, fresh],
      [Resources.Cluster, old],
      [Resources.Namespace, namespace],
      [Resources.Workspace, workspace],
    ] as const) {
      await admin()
        .delete(resource, name)
        .catch(() => undefined);
    }
  });

  it('places a new object on the cluster registered with it, never first on the others alone', async () => {
    const web = deployment('web', 'low');
    const fourReplicas = { ...web, spec: { ...web.spec, replicas: 4 } };
    await admin().create(Resources.Cluster, cluster(fresh, 'eu-2'));
    await admin().create(Resources.PropagatedObject, {
      apiVersion: 'canopy.dev/v1alpha1',
      kind: 'PropagatedObject',
      metadata: { name: 'web', namespace },
      spec: { template: fourReplicas },
    });
    const po = await poWhen(namespace, 'web', (p) => placed(p).length === 2, 'placed on both clusters');
    expect(placed(po)).to.deep.equal([fresh, old].sort());
    const placedWithout = history.filter((h) => h.placement.length > 0 && !h.placement.includes(fresh));
    expect(placedWithout, `recorded states: ${JSON.stringify(history)}`).to.deep.equal([]);
    // Whether it had to wait depends on which came first, the probe or the decision; while it did, it said so.
    for (const h of history.filter((x) => x.placement.length === 0 && x.reason !== undefined)) expect(h.reason).to.equal('AwaitingClusterHealth');
  });
});
