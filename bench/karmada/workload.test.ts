import { expect } from 'chai';
import { canopyObjects, expectedReplicas, karmadaObjects, KARMADA_NOT_READY_TAINT, type WorkloadDescription } from './workload.js';

const base: WorkloadDescription = {
  namespace: 'bench-dup',
  name: 'bench-dup',
  count: 3,
  replicas: 3,
  clusters: ['eu-1', 'eu-2', 'us-1'],
  mode: { kind: 'Duplicate' },
};
const divide: WorkloadDescription = {
  ...base,
  namespace: 'bench-div',
  name: 'bench-div',
  replicas: 4,
  mode: { kind: 'Divide', weights: { 'eu-1': 2, 'eu-2': 1, 'us-1': 1 } },
};

describe('bench/karmada workload description', () => {
  it('gives both systems the same Deployments', () => {
    const c = canopyObjects(base).workloads;
    const k = karmadaObjects(base).workloads;
    expect(c).to.have.length(3);
    expect(k).to.deep.equal(c);
    expect(c.map((d) => d.metadata.name)).to.deep.equal(['app-0', 'app-1', 'app-2']);
    expect(c.every((d) => d.kind === 'Deployment' && d.metadata.namespace === 'bench-dup' && (d['spec'] as { replicas: number }).replicas === 3)).to.equal(
      true,
    );
  });

  it('expresses Duplicate as a Canopy Duplicate policy over the workspace and a Karmada Duplicated policy over the namespace', () => {
    const c = canopyObjects(base).setup;
    expect(c.map((o) => o.kind)).to.deep.equal(['Workspace', 'Namespace', 'PlacementPolicy']);
    expect(c[1]!.metadata.labels).to.deep.equal({ 'canopy.dev/workspace': 'bench-dup' });
    const policy = c[2]!['spec'] as { resourceSelectors: unknown[]; replicas: unknown; rules: Array<{ expression: string }>; failover?: unknown };
    expect(policy.resourceSelectors).to.deep.equal([{ apiVersion: 'apps/v1', kind: 'Deployment', workspace: 'bench-dup' }]);
    expect(policy.replicas).to.deep.equal({ strategy: 'Duplicate' });
    expect(policy.rules[0]!.expression).to.equal("cluster.metadata.name in ['eu-1', 'eu-2', 'us-1']");
    expect(policy.failover).to.equal(undefined);

    const k = karmadaObjects(base).setup;
    expect(k.map((o) => o.kind)).to.deep.equal(['Namespace', 'PropagationPolicy']);
    expect(k[1]!.metadata).to.deep.equal({ name: 'bench-dup', namespace: 'bench-dup' });
    expect(k[1]!['spec']).to.deep.equal({
      resourceSelectors: [{ apiVersion: 'apps/v1', kind: 'Deployment' }],
      placement: { clusterAffinity: { clusterNames: ['eu-1', 'eu-2', 'us-1'] }, replicaScheduling: { replicaSchedulingType: 'Duplicated' } },
    });
  });

  it('expresses Divide by static weights on both sides with the same weights', () => {
    const c = canopyObjects(divide).setup[2]!['spec'] as { replicas: unknown };
    expect(c.replicas).to.deep.equal({
      strategy: 'Divide',
      weights: [
        { cluster: 'eu-1', weight: 2 },
        { cluster: 'eu-2', weight: 1 },
        { cluster: 'us-1', weight: 1 },
      ],
    });
    const k = karmadaObjects(divide).setup[1]!['spec'] as { placement: { replicaScheduling: unknown } };
    expect(k.placement.replicaScheduling).to.deep.equal({
      replicaSchedulingType: 'Divided',
      replicaDivisionPreference: 'Weighted',
      weightPreference: {
        staticWeightList: [
          { targetCluster: { clusterNames: ['eu-1'] }, weight: 2 },
          { targetCluster: { clusterNames: ['eu-2'] }, weight: 1 },
          { targetCluster: { clusterNames: ['us-1'] }, weight: 1 },
        ],
      },
    });
  });

  it('computes the member replicas both systems must reach', () => {
    expect(expectedReplicas(base)).to.deep.equal({ 'eu-1': 3, 'eu-2': 3, 'us-1': 3 });
    expect(expectedReplicas(divide)).to.deep.equal({ 'eu-1': 2, 'eu-2': 1, 'us-1': 1 });
    // 5 by 2:1:1 is 2.5/1.25/1.25: one remainder goes to eu-1 (largest fraction), no tie.
    expect(expectedReplicas({ ...divide, replicas: 5 })).to.deep.equal({ 'eu-1': 3, 'eu-2': 1, 'us-1': 1 });
    // A cluster with no replicas gets no copy.
    expect(expectedReplicas({ ...divide, replicas: 1, mode: { kind: 'Divide', weights: { 'eu-1': 1, 'eu-2': 0, 'us-1': 0 } } })).to.deep.equal({ 'eu-1': 1 });
  });

  it('rejects descriptions the two systems could legitimately resolve differently', () => {
    // 2 by 1:1:1 is 0.67 each: which two clusters get one is a tie-break.
    expect(() => expectedReplicas({ ...divide, replicas: 2, mode: { kind: 'Divide', weights: { 'eu-1': 1, 'eu-2': 1, 'us-1': 1 } } })).to.throw(/tie/);
    expect(() => canopyObjects({ ...divide, mode: { kind: 'Divide', weights: { 'eu-1': 1 } } })).to.throw(/missing: eu-2, us-1/);
    expect(() => karmadaObjects({ ...divide, mode: { kind: 'Divide', weights: { 'eu-1': 1, 'eu-2': 1, 'us-1': 1, 'ap-1': 1 } } })).to.throw(/outside/);
    expect(() => karmadaObjects({ ...base, count: 0 })).to.throw(/count/);
    expect(() => canopyObjects({ ...base, clusters: ['eu-1', 'eu-1'] })).to.throw(/repeat/);
  });

  it('adds the same failover toleration to both policies when asked', () => {
    const d = { ...divide, failoverTolerationSeconds: 0 };
    expect((canopyObjects(d).setup[2]!['spec'] as { failover: unknown }).failover).to.deep.equal({ enabled: true, tolerationSeconds: 0 });
    const tolerations = (
      karmadaObjects(d).setup[1]!['spec'] as { placement: { clusterTolerations: Array<{ key: string; effect: string; tolerationSeconds: number }> } }
    ).placement.clusterTolerations;
    expect(tolerations.map((t) => t.key)).to.include(KARMADA_NOT_READY_TAINT);
    expect(tolerations.every((t) => t.effect === 'NoExecute' && t.tolerationSeconds === 0)).to.equal(true);
  });
});
