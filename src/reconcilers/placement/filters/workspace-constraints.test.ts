import { expect } from 'chai';
import { cluster, deployment, workspace } from '../../../../test/support/placement-fixtures.js';
import { reasonOf, runFilter } from '../../../../test/support/placement-run.js';
import { workspaceBudgetFilter, workspaceConstraintsFilter } from './workspace-constraints.js';

describe('placement filter WorkspaceConstraints', () => {
  const us = cluster('us-1', { region: 'us-1', labels: { jurisdiction: 'us' } });
  const eu = cluster('eu-1', { region: 'eu-1', labels: { jurisdiction: 'eu' }, pricing: { cpuHour: 0.05, memoryGiBHour: 0.01 } });

  it('is skipped for a workspace without constraints', () => {
    expect(runFilter(workspaceConstraintsFilter, { workspace: workspace('acme') }, us)).to.equal('skipped');
  });

  it('excludes regions outside the constraint with the reason users read', () => {
    const ws = workspace('acme', { regions: ['eu-1', 'eu-2'] });
    expect(reasonOf(runFilter(workspaceConstraintsFilter, { workspace: ws }, us))).to.equal(
      'region us-1 not in workspace constraint regions [eu-1, eu-2] (workspace root:acme)',
    );
    expect(reasonOf(runFilter(workspaceConstraintsFilter, { workspace: ws }, eu))).to.equal(undefined);
  });

  it('applies the constraint clusterSelector', () => {
    const ws = workspace('acme', { clusterSelector: { matchLabels: { jurisdiction: 'eu' } } });
    expect(reasonOf(runFilter(workspaceConstraintsFilter, { workspace: ws }, us))).to.equal(
      'workspace constraint clusterSelector requires jurisdiction=eu (cluster has jurisdiction=us) (workspace root:acme)',
    );
  });

  it('excludes a cluster where the object alone would exceed what is left of the cost budget', () => {
    // 4 replicas x (2 cpu x 0.05 + 4 GiB x 0.01) = 0.56/h = 408.80 per 730 h month.
    const object = deployment('web', { replicas: 4, cpu: '2', memory: '4Gi' });
    const tight = workspace('acme', { costBudget: 500 }, { costUsed: 200 });
    expect(reasonOf(runFilter(workspaceBudgetFilter, { workspace: tight, object }, eu))).to.equal(
      'estimated monthly cost 408.80 for 4 replica(s) exceeds what is left of workspace costBudget (300.00) (workspace root:acme)',
    );
    const roomy = workspace('acme', { costBudget: 500 }, { costUsed: 0 });
    expect(reasonOf(runFilter(workspaceBudgetFilter, { workspace: roomy, object }, eu))).to.equal(undefined);
  });

  it('does not guess a cost for clusters without pricing', () => {
    const ws = workspace('acme', { costBudget: 0 });
    expect(reasonOf(runFilter(workspaceBudgetFilter, { workspace: ws, object: deployment('web', { cpu: '1' }) }, us))).to.equal(undefined);
  });
});
