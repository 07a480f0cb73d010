/**
 * The customer/jurisdiction scenario from the docs: a platform team lets
 * low-criticality apps use public cloud but keeps everything else on-prem,
 * and each customer's workspace is bound to its jurisdiction.
 */
import { expect } from 'chai';
import { schedule } from './engine.js';
import { cluster, deployment, policy, workspace } from '../../../test/support/placement-fixtures.js';
import type { ScheduleInput } from './types.js';
import { affectedIfLabelRemoved, objectsOnClusters } from './visibility.js';

const NOW = Date.parse('2030-01-01T00:00:00Z');
const clusters = [
  cluster('eu-1', { region: 'eu-1', provider: 'onprem', labels: { 'canopy.dev/onprem': 'true', jurisdiction: 'eu', 'compliance/pci': 'true' } }),
  cluster('eu-2', { region: 'eu-2', provider: 'cloud', labels: { jurisdiction: 'eu' } }),
  cluster('us-1', { region: 'us-1', provider: 'cloud', labels: { jurisdiction: 'us' } }),
  cluster('us-2', { region: 'us-2', provider: 'onprem', labels: { 'canopy.dev/onprem': 'true', jurisdiction: 'us' } }),
];
const RULE =
  "('criticality' in object.metadata.labels && object.metadata.labels.criticality == 'low') || " +
  "('canopy.dev/onprem' in cluster.metadata.labels && cluster.metadata.labels['canopy.dev/onprem'] == 'true')";
const customerApps = policy(
  {
    resourceSelectors: [{ apiVersion: 'apps/v1', kind: 'Deployment' }],
    rules: [
      {
        // Guarded with `in` so objects and clusters without the labels evaluate to false, not to an error.
        expression: RULE,
        message: 'only criticality low may run outside on-prem clusters',
      },
    ],
    cost: 'LowestFirst',
  },
  'customer-apps',
);
const euCustomer = workspace('acme-eu', { clusterSelector: { matchLabels: { jurisdiction: 'eu' } } });
const usCustomer = workspace('acme-us', { clusterSelector: { matchLabels: { jurisdiction: 'us' } } });
const app = (name: string, criticality: string, annotations: Record<string, string> = {}): ReturnType<typeof deployment> =>
  deployment(name, { labels: { criticality }, annotations, namespace: 'acme' });
const run = (input: Omit<ScheduleInput, 'now' | 'policy' | 'clusters'> & Partial<ScheduleInput>): ReturnType<typeof schedule> =>
  schedule({ policy: customerApps, clusters, now: NOW, ...input });

describe('placement scenario: customer jurisdiction and criticality', () => {
  it('lets a low-criticality EU app use EU public cloud, never the US', () => {
    const r = run({ object: app('batch', 'low'), workspace: euCustomer });
    expect(r.placement.map((p) => p.cluster).sort()).to.deep.equal(['eu-1', 'eu-2']);
    expect(r.excluded.map((e) => [e.cluster, e.plugin])).to.deep.equal([
      ['us-1', 'WorkspaceConstraints'],
      ['us-2', 'WorkspaceConstraints'],
    ]);
    expect(r.excluded[0]!.reason).to.equal(
      'workspace constraint clusterSelector requires jurisdiction=eu (cluster has jurisdiction=us) (workspace root:acme-eu)',
    );
  });

  it('keeps a high-criticality EU app on EU on-prem only, saying why not the cloud', () => {
    const r = run({ object: app('payments', 'high'), workspace: euCustomer });
    expect(r.placement.map((p) => p.cluster)).to.deep.equal(['eu-1']);
    expect(r.excluded.find((e) => e.cluster === 'eu-2')).to.deep.equal({
      cluster: 'eu-2',
      plugin: 'Rules',
      reason: `rule #1 \`${RULE}\`: only criticality low may run outside on-prem clusters`,
    });
  });

  it('keeps a US customer in the US whatever the criticality', () => {
    expect(run({ object: app('payments', 'high'), workspace: usCustomer }).placement.map((p) => p.cluster)).to.deep.equal(['us-2']);
    expect(
      run({ object: app('batch', 'low'), workspace: usCustomer })
        .placement.map((p) => p.cluster)
        .sort(),
    ).to.deep.equal(['us-1', 'us-2']);
  });

  it('rejects an EU app that asks for a US cluster as Invalid', () => {
    const r = run({ object: app('payments', 'low', { 'placement.canopy.dev/clusters': 'us-1' }), workspace: euCustomer });
    expect(r.condition.reason).to.equal('Invalid');
    expect(r.condition.message).to.contain('cluster us-1 is forbidden by WorkspaceConstraints: workspace constraint clusterSelector requires jurisdiction=eu');
  });

  it('is Unschedulable when the only allowed cluster becomes unreachable (the empty set, explained)', () => {
    const down = clusters.map((c) =>
      c.metadata.name === 'eu-1' ? { ...c, spec: { ...c.spec, taints: [{ key: 'canopy.dev/unreachable', effect: 'NoExecute' }] } } : c,
    );
    const r = run({ object: app('payments', 'high'), workspace: euCustomer, clusters: down });
    expect(r.condition.reason).to.equal('Unschedulable');
    expect(r.condition.message).to.contain(
      'TaintToleration excluded 1 (e.g. eu-1: cluster had taint {canopy.dev/unreachable: NoExecute}: the cluster is unreachable)',
    );
    expect(r.condition.message).to.contain('Rules excluded 1');
    expect(r.condition.message).to.contain('WorkspaceConstraints excluded 2');
  });

  it('answers who runs where, and who is affected if eu-1 stops being on-prem', () => {
    const inputs: ScheduleInput[] = [
      { object: app('batch', 'low'), workspace: euCustomer, policy: customerApps, clusters, now: NOW },
      { object: app('payments', 'high'), workspace: euCustomer, policy: customerApps, clusters, now: NOW },
      { object: app('ledger', 'high'), workspace: usCustomer, policy: customerApps, clusters, now: NOW },
    ];
    const records = inputs.map((i) => ({
      object: { apiVersion: 'apps/v1', kind: 'Deployment', namespace: 'acme', name: i.object.metadata.name },
      workspace: i.workspace!.name,
      placement: schedule(i).placement,
    }));
    const inEu = objectsOnClusters(records, clusters, { labelSelector: { matchLabels: { jurisdiction: 'eu' } } });
    expect(inEu.map((o) => [o.object.name, o.clusters.map((c) => c.cluster)])).to.deep.equal([
      ['batch', ['eu-1', 'eu-2']],
      ['payments', ['eu-1']],
    ]);

    const affected = affectedIfLabelRemoved(inputs, 'eu-1', 'canopy.dev/onprem');
    expect(affected).to.have.length(1);
    expect(affected[0]!.object.name).to.equal('payments');
    expect(affected[0]!.workspace).to.equal('acme-eu');
    expect(affected[0]!.losesCluster).to.equal(true);
    expect(affected[0]!.conditionAfter.reason).to.equal('Unschedulable');
  });
});
