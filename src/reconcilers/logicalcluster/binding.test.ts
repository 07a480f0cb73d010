import { expect } from 'chai';
import { bindingsOf, chooseCluster, type BindingInput } from './binding.js';
import type { ClusterLike } from './types.js';

function cluster(
  name: string,
  region: string,
  labels: Record<string, string> = {},
  ready = true,
  extra: Partial<NonNullable<ClusterLike['spec']>> = {},
): ClusterLike {
  return {
    metadata: { name, labels },
    spec: { region, ...extra },
    status: {
      conditions: [{ type: 'Ready', status: ready ? 'True' : 'False', reason: ready ? 'Healthy' : 'ProbeFailed', message: ready ? '' : 'connection refused' }],
    },
  };
}

const clusters = [
  cluster('us-1', 'us-1', { tier: 'cloud' }),
  cluster('eu-2', 'eu-2', { tier: 'cloud' }),
  cluster('eu-1', 'eu-1', { tier: 'onprem', pci: 'true' }),
  cluster('eu-3', 'eu-3', { tier: 'cloud' }, false),
];

function input(over: Partial<BindingInput> = {}): BindingInput {
  return { logicalCluster: 'lc', clusters, boundTo: new Map(), ...over };
}

describe('logicalcluster binding', () => {
  it('picks the first suitable cluster by name, independent of list order', () => {
    expect(chooseCluster(input())).to.deep.equal({ ok: true, cluster: 'eu-1', kept: false });
    expect(chooseCluster(input({ clusters: [...clusters].reverse() }))).to.deep.equal({ ok: true, cluster: 'eu-1', kept: false });
  });

  it('honours spec.clusterSelector, the workspace regions and selector, readiness, taints and exclusivity', () => {
    const d = chooseCluster(
      input({
        clusterSelector: { matchLabels: { tier: 'cloud' } },
        regions: ['eu-1', 'eu-2', 'eu-3'],
        boundTo: new Map([['eu-2', 'other']]),
      }),
    );
    expect(d.ok).to.equal(false);
    if (d.ok) return;
    expect(d.reason).to.equal('NoSuitableCluster');
    expect(d.rejections).to.deep.equal([
      { cluster: 'eu-1', reason: 'labels do not match spec.clusterSelector (tier=cloud)' },
      { cluster: 'eu-2', reason: 'already bound to logical cluster other' },
      { cluster: 'eu-3', reason: 'not Ready (ProbeFailed: connection refused)' },
      { cluster: 'us-1', reason: 'region us-1 is not allowed (allowed: eu-1, eu-2, eu-3)' },
    ]);
    expect(d.message).to.include('eu-1: labels do not match').and.include('us-1: region us-1 is not allowed');

    const tainted = chooseCluster(
      input({
        constraintSelector: { matchLabels: { tier: 'cloud' } },
        clusters: [cluster('c', 'r', { tier: 'cloud' }, true, { taints: [{ key: 'canopy.dev/unreachable', effect: 'NoExecute' }] }), cluster('d', 'r', {})],
      }),
    );
    expect(tainted.ok).to.equal(false);
    if (!tainted.ok) {
      expect(tainted.rejections.map((r) => r.reason)).to.deep.equal([
        'tainted canopy.dev/unreachable:NoExecute',
        "labels do not match the workspace's clusterSelector (tier=cloud)",
      ]);
    }
  });

  it('keeps an existing binding even when the cluster is not Ready, and reports a vanished one', () => {
    expect(chooseCluster(input({ current: 'eu-3' }))).to.deep.equal({ ok: true, cluster: 'eu-3', kept: true });
    const gone = chooseCluster(input({ current: 'ap-1' }));
    expect(gone.ok).to.equal(false);
    if (!gone.ok) expect(gone.reason).to.equal('BoundClusterMissing');
  });

  it('a cluster the logical cluster itself holds stays available to it', () => {
    expect(chooseCluster(input({ boundTo: new Map([['eu-1', 'lc']]) }))).to.deep.equal({ ok: true, cluster: 'eu-1', kept: false });
  });

  it('says when no cluster is registered', () => {
    const d = chooseCluster(input({ clusters: [] }));
    expect(d.ok ? '' : d.message).to.equal('no registered cluster can be bound: no Cluster is registered');
  });

  it('resolves double claims in favour of the older logical cluster', () => {
    const m = bindingsOf([
      { name: 'b', created: '2024-01-02T00:00:00Z', cluster: 'eu-1' },
      { name: 'a', created: '2024-01-01T00:00:00Z', cluster: 'eu-1' },
      { name: 'c', created: '2024-01-01T00:00:00Z', cluster: undefined },
    ]);
    expect([...m]).to.deep.equal([['eu-1', 'a']]);
  });
});
