import { expect } from 'chai';
import { checkWorkspaceLimits, hasWorkspaceLimits, type LogicalClusterClaim } from './limits.js';

function claim(name: string, created: string, quota: Record<string, string> = {}, cost = 0, workspaces = ['team', 'org']): LogicalClusterClaim {
  return { name, created, quota, cost: { amount: cost }, workspaces };
}

describe('logicalcluster workspace limits', () => {
  it('knows when there is nothing to check', () => {
    expect(hasWorkspaceLimits([{ workspace: 'team' }, { workspace: 'org', constraints: { regions: ['eu-1'] } }])).to.equal(false);
    expect(hasWorkspaceLimits([{ workspace: 'org', constraints: { maxLogicalClusters: 3 } }])).to.equal(true);
    expect(checkWorkspaceLimits({ candidate: claim('a', '2024-01-01T00:00:00Z'), scopes: [{ workspace: 'team' }], others: [] })).to.deep.equal([]);
  });

  it('counts logical clusters over the whole subtree of each limiting workspace', () => {
    const scopes = [{ workspace: 'team' }, { workspace: 'org', constraints: { maxLogicalClusters: 2 } }];
    const others = [claim('x', '2024-01-01T00:00:00Z', {}, 0, ['other-team', 'org']), claim('y', '2024-01-02T00:00:00Z')];
    const v = checkWorkspaceLimits({ candidate: claim('new', '2024-01-03T00:00:00Z'), scopes, others });
    expect(v).to.have.length(1);
    expect(v[0]!.reason).to.equal('MaxLogicalClustersExceeded');
    expect(v[0]!.workspace).to.equal('org');
    expect(v[0]!.message).to.include('at most 2').and.include('x, y');
  });

  it('ignores the candidate itself among the others (an update)', () => {
    const scopes = [{ workspace: 'team', constraints: { maxLogicalClusters: 1 } }];
    expect(checkWorkspaceLimits({ candidate: claim('a', '2024-01-01T00:00:00Z'), scopes, others: [claim('a', '2024-01-01T00:00:00Z')] })).to.deep.equal([]);
  });

  it('sums quota over the subtree and says how much is left', () => {
    const scopes = [{ workspace: 'team', constraints: { quota: { hard: { cpu: '4', memory: '8Gi' } } } }];
    const others = [claim('a', '2024-01-01T00:00:00Z', { 'requests.cpu': '3', 'requests.memory': '2Gi' })];
    const v = checkWorkspaceLimits({ candidate: claim('b', '2024-01-02T00:00:00Z', { cpu: '2', memory: '1Gi' }), scopes, others });
    expect(v.map((x) => x.reason)).to.deep.equal(['QuotaExceeded']);
    expect(v[0]!.message).to.include('requests.cpu to 4').and.include('3 is already claimed by a').and.include('asks for 2').and.include('at most 1 is left');
    const fits = checkWorkspaceLimits({ candidate: claim('b', '2024-01-02T00:00:00Z', { cpu: '1', memory: '6Gi' }), scopes, others });
    expect(fits).to.deep.equal([]);
  });

  it('asks for an explicit quota when the workspace limits a resource the logical cluster does not', () => {
    const scopes = [{ workspace: 'team', constraints: { quota: { hard: { pods: '10' } } } }];
    const v = checkWorkspaceLimits({ candidate: claim('b', '2024-01-02T00:00:00Z'), scopes, others: [] });
    expect(v[0]!.message).to.include('set spec.constraints.quota.hard.pods (at most 10 is left)');
  });

  it('keeps to the monthly cost budget and refuses unbounded costs', () => {
    const scopes = [{ workspace: 'org', constraints: { costBudget: 100 } }];
    const others = [claim('a', '2024-01-01T00:00:00Z', {}, 70)];
    const over = checkWorkspaceLimits({ candidate: claim('b', '2024-01-02T00:00:00Z', {}, 40), scopes, others });
    expect(over[0]!.reason).to.equal('CostBudgetExceeded');
    expect(over[0]!.message).to.include('budget of 100.00').and.include('already cost 70.00').and.include('costs 40.00').and.include('at most 30.00');
    const unbounded = checkWorkspaceLimits({
      candidate: { ...claim('b', '2024-01-02T00:00:00Z'), cost: { unbounded: 'it has no quota on cpu' } },
      scopes,
      others,
    });
    expect(unbounded[0]!.reason).to.equal('CostUnbounded');
  });

  it('in creation order, admits greedily: older ones are never pushed out, failed ones use no budget', () => {
    const scopes = [{ workspace: 'team', constraints: { quota: { hard: { cpu: '4' } } } }];
    const huge = claim('huge', '2024-01-01T00:00:00Z', { cpu: '100' });
    const small = claim('small', '2024-01-02T00:00:00Z', { cpu: '3' });
    const later = claim('later', '2024-01-03T00:00:00Z', { cpu: '2' });
    // huge never fit, so small does; later does not fit after small.
    expect(checkWorkspaceLimits({ candidate: small, scopes, others: [huge, later], order: 'creation' })).to.deep.equal([]);
    expect(checkWorkspaceLimits({ candidate: later, scopes, others: [huge, small], order: 'creation' })[0]!.message).to.include('claimed by small');
    // the older one stays admitted even though a newer one exists
    expect(checkWorkspaceLimits({ candidate: small, scopes, others: [later], order: 'creation' })).to.deep.equal([]);
    // admission counts everything that exists
    expect(checkWorkspaceLimits({ candidate: small, scopes, others: [later], order: 'others-first' })).to.have.length(1);
  });
});
