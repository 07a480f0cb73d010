import { expect } from 'chai';
import { cluster, policy } from '../../../../test/support/placement-fixtures.js';
import { reasonOf, runFilter } from '../../../../test/support/placement-run.js';
import { clusterSelectorFilter } from './cluster-selector.js';

describe('placement filter ClusterSelector', () => {
  const pci = cluster('eu-1', { labels: { 'compliance/pci': 'true', tier: 'gold' } });
  const plain = cluster('eu-2', { labels: { tier: 'silver' } });

  it('is skipped when the policy has no clusterSelector', () => {
    expect(runFilter(clusterSelectorFilter, { policy: policy({}) }, plain)).to.equal('skipped');
  });

  it('passes clusters matching matchLabels and matchExpressions', () => {
    const p = policy({
      clusterSelector: { matchLabels: { 'compliance/pci': 'true' }, matchExpressions: [{ key: 'tier', operator: 'In', values: ['gold', 'platinum'] }] },
    });
    expect(reasonOf(runFilter(clusterSelectorFilter, { policy: p }, pci))).to.equal(undefined);
  });

  it('names the requirement the cluster fails and what it has', () => {
    const p = policy({ clusterSelector: { matchLabels: { 'compliance/pci': 'true' } } });
    expect(reasonOf(runFilter(clusterSelectorFilter, { policy: p }, plain))).to.equal(
      'policy clusterSelector requires compliance/pci=true (cluster has no label compliance/pci)',
    );
    const q = policy({ clusterSelector: { matchExpressions: [{ key: 'tier', operator: 'NotIn', values: ['silver'] }] } });
    expect(reasonOf(runFilter(clusterSelectorFilter, { policy: q }, plain))).to.equal(
      'policy clusterSelector requires tier notin (silver) (cluster has tier=silver)',
    );
  });

  it('reports a malformed selector instead of silently matching', () => {
    const p = policy({ clusterSelector: { matchExpressions: [{ key: 'tier', operator: 'In', values: [] }] } });
    expect(reasonOf(runFilter(clusterSelectorFilter, { policy: p }, pci))).to.equal('policy clusterSelector is invalid: operator In on tier needs values');
  });
});
