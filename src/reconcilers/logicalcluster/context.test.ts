import type { LogicalClusterLike } from '../../hierarchy/logical-cluster.js';
import { expect } from 'chai';
import { currentBindings, otherClaims, workspaceView, type Lookup, type WorkspaceLike } from './context.js';

function ws(name: string, parent = '', constraints = {}): WorkspaceLike {
  return { metadata: { name }, spec: { parent, constraints } };
}

function lookup(workspaces: WorkspaceLike[], lcs: LogicalClusterLike[]): Lookup {
  const byName = new Map(workspaces.map((w) => [w.metadata.name!, w]));
  return {
    workspace: (n) => byName.get(n),
    childWorkspaces: (n) => workspaces.filter((w) => w.spec?.parent === n).map((w) => w.metadata.name!),
    logicalClustersIn: (n) => lcs.filter((l) => l.spec.workspace === n),
  };
}

function lc(name: string, workspace: string, extra: Partial<LogicalClusterLike['spec']> = {}, status?: LogicalClusterLike['status']): LogicalClusterLike {
  return { metadata: { name, creationTimestamp: '2024-01-01T00:00:00Z' }, spec: { workspace, ...extra }, ...(status ? { status } : {}) };
}

describe('logicalcluster context', () => {
  it('walks the workspace chain nearest first and folds constraints root first', () => {
    const l = lookup([ws('org', '', { regions: ['eu-1', 'eu-2'], podSecurity: 'baseline' }), ws('team', 'org', { regions: ['eu-1'] })], []);
    const view = workspaceView(l, 'team');
    expect(view.state).to.equal('ok');
    if (view.state !== 'ok') return;
    expect(view.scopes.map((s) => s.workspace)).to.deep.equal(['team', 'org']);
    expect(view.effective.constraints.regions).to.deep.equal(['eu-1']);
    expect(view.effective.constraints.podSecurity).to.equal('baseline');
  });

  it('reports a missing workspace, a missing ancestor and a cycle', () => {
    expect(workspaceView(lookup([], []), 'x')).to.deep.equal({ state: 'missing' });
    expect(workspaceView(lookup([ws('team', 'gone')], []), 'team')).to.deep.include({ state: 'unhealthy', message: 'ancestor workspace gone does not exist' });
    const cycle = workspaceView(lookup([ws('a', 'b'), ws('b', 'a')], []), 'a');
    expect(cycle.state).to.equal('unhealthy');
  });

  it('collects claims of the other logical clusters under the topmost limiting workspace', () => {
    const workspaces = [ws('org', '', { maxLogicalClusters: 5 }), ws('team', 'org'), ws('other', 'org', { quota: { hard: { cpu: '4' } } })];
    const lcs = [
      lc('me', 'team'),
      lc('sib', 'team'),
      lc('cousin', 'other'),
      { ...lc('dying', 'team'), metadata: { name: 'dying', deletionTimestamp: '2024-01-02T00:00:00Z' } },
    ];
    const l = lookup(workspaces, lcs);
    const claims = otherClaims(l, workspaceView(l, 'team'), 'me', []);
    expect(claims.map((c) => c.name).sort()).to.deep.equal(['cousin', 'sib']);
    const cousin = claims.find((c) => c.name === 'cousin')!;
    expect(cousin.workspaces).to.deep.equal(['other', 'org']);
    expect(cousin.quota).to.deep.equal({ 'requests.cpu': '4' }); // no own quota: the workspace's limit is its quota
    expect(otherClaims(lookup([ws('team')], lcs), workspaceView(lookup([ws('team')], lcs), 'team'), 'me', [])).to.deep.equal([]);
  });

  it('merges recorded and pending bindings, recorded first', () => {
    const m = currentBindings(
      [lc('a', 'w', { mode: 'Cluster' }, { cluster: 'eu-1' }), lc('b', 'w', {}, { cluster: 'eu-2' })],
      new Map([
        ['eu-1', 'z'],
        ['us-1', 'c'],
      ]),
    );
    expect([...m].sort()).to.deep.equal([
      ['eu-1', 'a'],
      ['us-1', 'c'],
    ]);
  });
});
