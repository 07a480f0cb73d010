import { expect } from 'chai';
import { cluster, deployment, policy } from '../../../test/support/placement-fixtures.js';
import type { ScheduleInput } from './types.js';
import { affectedIfLabelRemoved, objectsOnClusters, type ObjectPlacementRecord } from './visibility.js';

const NOW = Date.parse('2030-01-01T00:00:00Z');
const clusters = [
  cluster('eu-1', { region: 'eu-1', provider: 'onprem', labels: { 'compliance/pci': 'true' } }),
  cluster('eu-2', { region: 'eu-2', labels: { 'compliance/pci': 'true' } }),
  cluster('us-1', { region: 'us-1' }),
];
const ref = (name: string, namespace = 'shop') => ({ apiVersion: 'apps/v1', kind: 'Deployment', namespace, name });

describe('placement visibility helpers', () => {
  const records: ObjectPlacementRecord[] = [
    {
      object: ref('web'),
      workspace: 'shop',
      placement: [
        { cluster: 'eu-1', replicas: 2 },
        { cluster: 'us-1', replicas: 1 },
      ],
    },
    { object: ref('api', 'acme'), workspace: 'acme', placement: [{ cluster: 'eu-2', replicas: 3 }] },
    { object: ref('batch'), workspace: 'shop', placement: [{ cluster: 'us-1', replicas: 1 }] },
  ];

  it('lists objects on clusters matching regions, sorted by namespace and name, with only the matching clusters', () => {
    const r = objectsOnClusters(records, clusters, { regions: ['eu-1', 'eu-2'] });
    expect(r).to.deep.equal([
      { object: ref('api', 'acme'), workspace: 'acme', clusters: [{ cluster: 'eu-2', replicas: 3 }] },
      { object: ref('web'), workspace: 'shop', clusters: [{ cluster: 'eu-1', replicas: 2 }] },
    ]);
  });

  it('combines label selector, provider and a predicate form', () => {
    expect(
      objectsOnClusters(records, clusters, { labelSelector: { matchLabels: { 'compliance/pci': 'true' } }, providers: ['onprem'] }).map((o) => o.object.name),
    ).to.deep.equal(['web']);
    expect(objectsOnClusters(records, clusters, (c) => c.metadata.name === 'us-1').map((o) => o.object.name)).to.deep.equal(['batch', 'web']);
  });

  it('finds objects whose placement would change if a cluster lost a label, and only those', () => {
    const pci = policy({ clusterSelector: { matchLabels: { 'compliance/pci': 'true' } }, replicas: { strategy: 'Divide' } });
    const inputs: ScheduleInput[] = [
      { object: deployment('payments', { replicas: 4, namespace: 'shop' }), policy: pci, clusters, now: NOW },
      { object: deployment('blog', { replicas: 2, namespace: 'shop' }), policy: policy({}), clusters, now: NOW },
      { object: deployment('pinned', { namespace: 'shop', annotations: { 'placement.canopy.dev/clusters': 'eu-2' } }), policy: pci, clusters, now: NOW },
    ];
    const changes = affectedIfLabelRemoved(inputs, 'eu-1', 'compliance/pci');
    expect(changes.map((c) => c.object.name)).to.deep.equal(['payments']);
    const [payments] = changes;
    expect(payments!.before.map((p) => [p.cluster, p.replicas])).to.deep.equal([
      ['eu-1', 2],
      ['eu-2', 2],
    ]);
    expect(payments!.after.map((p) => [p.cluster, p.replicas])).to.deep.equal([['eu-2', 4]]);
    expect(payments!.losesCluster).to.equal(true);
    expect(payments!.conditionAfter.reason).to.equal('Scheduled');
  });

  it('returns nothing for a label the cluster does not have', () => {
    const inputs: ScheduleInput[] = [{ object: deployment('x'), policy: policy({}), clusters, now: NOW }];
    expect(affectedIfLabelRemoved(inputs, 'us-1', 'compliance/pci')).to.deep.equal([]);
  });
});
