import { expect } from 'chai';
import { schedule } from './engine.js';
import { PASS, reject, type FilterPlugin } from './framework.js';
import { DEFAULT_FILTERS, DEFAULT_SCORES, defaultRegistry, PluginRegistry } from './registry.js';
import { cluster, deployment, policy, rng, workspace } from '../../../test/support/placement-fixtures.js';
import type { Cluster, ScheduleInput } from './types.js';

const NOW = Date.parse('2030-01-01T00:00:00Z');
const placed = (r: ReturnType<typeof schedule>): Record<string, number | undefined> => Object.fromEntries(r.placement.map((p) => [p.cluster, p.replicas]));

const fleet: Cluster[] = [
  cluster('eu-1', {
    region: 'eu-1',
    provider: 'onprem',
    labels: { 'canopy.dev/onprem': 'true', 'compliance/pci': 'true' },
    pricing: { cpuHour: 0.02, memoryGiBHour: 0.003 },
    allocatable: { cpu: '64', memory: '256Gi' },
  }),
  cluster('eu-2', { region: 'eu-2', labels: {}, pricing: { cpuHour: 0.04, memoryGiBHour: 0.005 }, allocatable: { cpu: '32', memory: '128Gi' } }),
  cluster('us-1', { region: 'us-1', labels: {}, pricing: { cpuHour: 0.03, memoryGiBHour: 0.004 }, allocatable: { cpu: '16', memory: '64Gi' } }),
];

describe('placement engine', () => {
  it('duplicates onto every feasible cluster and explains every excluded one', () => {
    const r = schedule({
      object: deployment('web', { replicas: 2, cpu: '1' }),
      policy: policy({ regions: ['eu-1', 'eu-2'] }),
      clusters: fleet,
      now: NOW,
    });
    expect(r.condition).to.deep.equal({ type: 'Scheduled', status: 'True', reason: 'Scheduled', message: 'placed on 2 cluster(s) (Duplicate)' });
    expect(placed(r)).to.deep.equal({ 'eu-1': 2, 'eu-2': 2 });
    expect(r.excluded).to.deep.equal([{ cluster: 'us-1', plugin: 'Regions', reason: 'region us-1 not in policy regions [eu-1, eu-2]' }]);
  });

  it('is deterministic: same answer for shuffled cluster order and repeated runs', () => {
    const random = rng(3);
    const clusters = Array.from({ length: 30 }, (_, i) =>
      cluster(`c${String(i).padStart(2, '0')}`, {
        region: `r${i % 4}`,
        labels: { tier: i % 3 === 0 ? 'gold' : 'silver' },
        pricing: { cpuHour: 0.01 * (1 + (i % 5)) },
        allocatable: { cpu: String(4 + (i % 7)) },
      }),
    );
    const input: ScheduleInput = {
      object: deployment('web', { replicas: 17, cpu: '500m' }),
      policy: policy({
        preferences: [{ weight: 10, clusterSelector: { matchLabels: { tier: 'gold' } } }],
        cost: 'LowestFirst',
        spread: { topologyKey: 'region', minGroups: 3 },
        replicas: { strategy: 'Divide', maxClusters: 7 },
      }),
      clusters,
      currentPlacement: [{ cluster: 'c05', replicas: 3 }],
      now: NOW,
    };
    const first = JSON.stringify(schedule(input));
    for (let i = 0; i < 20; i++) {
      const shuffled = [...clusters].sort(() => random() - 0.5);
      expect(JSON.stringify(schedule({ ...input, clusters: shuffled }))).to.equal(first);
    }
    const r = JSON.parse(first) as ReturnType<typeof schedule>;
    expect(r.placement.reduce((s, p) => s + (p.replicas ?? 0), 0)).to.equal(17);
  });

  it('gives the same decisions with shared (cached) filter verdicts as without', () => {
    const random = rng(11);
    const uncached = new PluginRegistry(
      DEFAULT_FILTERS.map((f) => ({ ...f, cacheable: false })),
      DEFAULT_SCORES,
    );
    const clusters = Array.from({ length: 24 }, (_, i) =>
      cluster(`k${String(i).padStart(2, '0')}`, {
        region: ['eu-1', 'eu-2', 'us-1'][i % 3]!,
        labels: { tier: i % 2 ? 'gold' : 'silver', pci: String(i % 4 === 0) },
        taints: i % 5 === 0 ? [{ key: 'dedicated', effect: 'NoSchedule' }] : [],
        allocatable: { cpu: String(2 + (i % 6)) },
      }),
    );
    const policies = [
      policy({ clusterSelector: { matchLabels: { tier: 'gold' } }, regions: ['eu-1', 'us-1'] }),
      policy({ clusterSelector: { matchExpressions: [{ key: 'pci', operator: 'NotIn', values: ['true'] }] }, replicas: { strategy: 'Divide' } }),
      policy({ regions: ['eu-2'], rules: ["cluster.metadata.labels.tier == 'gold' || object.spec.replicas < 3"] }),
    ];
    const workspaces = [
      undefined,
      workspace('a', { regions: ['eu-1', 'eu-2'] }),
      workspace('b', { clusterSelector: { matchLabels: { tier: 'silver' } }, costBudget: 1000 }),
    ];
    for (let k = 0; k < 200; k++) {
      const input: ScheduleInput = {
        object: deployment(`o${k}`, { replicas: 1 + Math.floor(random() * 6), cpu: `${1 + Math.floor(random() * 3)}` }),
        policy: policies[Math.floor(random() * policies.length)]!,
        clusters,
        ...(() => {
          const ws = workspaces[Math.floor(random() * workspaces.length)];
          return ws ? { workspace: ws } : {};
        })(),
        now: NOW,
      };
      expect(JSON.stringify(schedule(input)), `case ${k}`).to.equal(JSON.stringify(schedule(input, { registry: uncached })));
    }
  });

  it('ranks by score then name and cuts at maxClusters, recording who was cut', () => {
    const r = schedule({
      object: deployment('web', { cpu: '1', memory: '1Gi' }),
      policy: policy({ cost: 'LowestFirst', replicas: { maxClusters: 2 } }),
      clusters: fleet,
      now: NOW,
    });
    expect(r.placement.map((p) => p.cluster)).to.deep.equal(['eu-1', 'us-1']);
    expect(r.placement[0]!.reason).to.equal('passed all filters; score 100 (Cost 100)');
    expect(r.excluded).to.deep.equal([{ cluster: 'eu-2', plugin: 'Selection', reason: 'ranked below the 2 cluster(s) maxClusters allows (score 0)' }]);
  });

  it('keeps the current placement when a close call would otherwise flap (stability)', () => {
    const input: ScheduleInput = {
      object: deployment('web', { cpu: '1', memory: '1Gi' }),
      policy: policy({ cost: 'LowestFirst', replicas: { maxClusters: 1 } }),
      clusters: fleet,
      currentPlacement: [{ cluster: 'us-1', replicas: 1 }],
      now: NOW,
    };
    expect(schedule(input).placement.map((p) => p.cluster)).to.deep.equal(['us-1']);
    expect(schedule({ ...input, currentPlacement: [] }).placement.map((p) => p.cluster)).to.deep.equal(['eu-1']);
  });

  it('covers minGroups when maxClusters forces a choice', () => {
    const clusters = [
      cluster('a1', { region: 'a', labels: { gold: 'true' } }),
      cluster('a2', { region: 'a', labels: { gold: 'true' } }),
      cluster('b1', { region: 'b' }),
    ];
    const r = schedule({
      object: deployment('web'),
      policy: policy({
        preferences: [{ weight: 100, clusterSelector: { matchLabels: { gold: 'true' } } }],
        spread: { topologyKey: 'region', minGroups: 2 },
        replicas: { maxClusters: 2 },
      }),
      clusters,
      now: NOW,
    });
    expect(r.placement.map((p) => p.cluster).sort()).to.deep.equal(['a1', 'b1']);
  });

  it('is Unschedulable when spread cannot be met, or maxClusters is below minGroups', () => {
    const base = { object: deployment('web'), clusters: fleet, now: NOW };
    const few = schedule({ ...base, policy: policy({ regions: ['eu-1'], spread: { topologyKey: 'region', minGroups: 2 } }) });
    expect(few.condition.reason).to.equal('Unschedulable');
    expect(few.condition.message).to.equal('spread over region needs minGroups 2 but the filters leave 1 group(s) [eu-1]');
    expect(few.excluded.find((e) => e.cluster === 'eu-1')).to.deep.equal({ cluster: 'eu-1', plugin: 'Spread', reason: few.condition.message });
    const narrow = schedule({ ...base, policy: policy({ spread: { topologyKey: 'region', minGroups: 3 }, replicas: { maxClusters: 2 } }) });
    expect(narrow.condition.message).to.equal('maxClusters 2 cannot cover spread minGroups 3 over region');
  });

  it('is Unschedulable with per-plugin counts when the filters leave nothing (conflicting intent)', () => {
    const r = schedule({
      object: deployment('web'),
      policy: policy({ clusterSelector: { matchLabels: { 'compliance/pci': 'true' } } }),
      clusters: fleet,
      workspace: workspace('acme', { regions: ['us-1'] }),
      now: NOW,
    });
    expect(r.placement).to.deep.equal([]);
    expect(r.condition.status).to.equal('False');
    expect(r.condition.reason).to.equal('Unschedulable');
    expect(r.condition.message).to.equal(
      'no cluster passed the filters (0 of 3 left): WorkspaceConstraints excluded 2 (e.g. eu-1: region eu-1 not in workspace constraint regions [us-1] (workspace root:acme)); ' +
        'ClusterSelector excluded 1 (e.g. us-1: policy clusterSelector requires compliance/pci=true (cluster has no label compliance/pci))',
    );
    expect(r.excluded.map((e) => e.plugin)).to.deep.equal(['WorkspaceConstraints', 'WorkspaceConstraints', 'ClusterSelector']);
  });

  it('applies workspace constraints even with a registry that lacks them', () => {
    const r = schedule(
      { object: deployment('web'), policy: policy({}), clusters: fleet, workspace: workspace('acme', { regions: ['eu-2'] }), now: NOW },
      { registry: new PluginRegistry() },
    );
    expect(r.placement.map((p) => p.cluster)).to.deep.equal(['eu-2']);
  });

  it('runs extension filters from the registry, and their reasons reach the user', () => {
    const frozenUS: FilterPlugin = {
      name: 'NoUS',
      filter: (_ctx, c) => (c.region?.startsWith('us') ? reject('US clusters are frozen this week') : PASS),
    };
    const r = schedule({ object: deployment('web'), policy: policy({}), clusters: fleet, now: NOW }, { registry: defaultRegistry().registerFilter(frozenUS) });
    expect(r.excluded).to.deep.equal([{ cluster: 'us-1', plugin: 'NoUS', reason: 'US clusters are frozen this week' }]);
    expect(() => defaultRegistry().registerFilter({ ...frozenUS, name: 'Regions' })).to.throw('already registered');
  });

  describe('pinned clusters (annotation placement.canopy.dev/clusters)', () => {
    const pinned = (clusters: string): ReturnType<typeof deployment> => deployment('web', { annotations: { 'placement.canopy.dev/clusters': clusters } });

    it('places only on the requested clusters', () => {
      const r = schedule({ object: pinned('eu-2'), policy: policy({}), clusters: fleet, now: NOW });
      expect(placed(r)).to.deep.equal({ 'eu-2': 1 });
      expect(r.placement[0]!.reason).to.contain('requested by annotation placement.canopy.dev/clusters');
      expect(r.excluded.map((e) => [e.cluster, e.plugin])).to.deep.equal([
        ['eu-1', 'Pinning'],
        ['us-1', 'Pinning'],
      ]);
    });

    it('is Invalid, naming the cluster and the rule, when policy or constraints forbid a requested cluster', () => {
      const r = schedule({
        object: pinned('eu-1,us-1'),
        policy: policy({}),
        clusters: fleet,
        workspace: workspace('acme', { regions: ['eu-1', 'eu-2'] }),
        now: NOW,
      });
      expect(r.condition.reason).to.equal('Invalid');
      expect(r.condition.message).to.equal(
        'annotation placement.canopy.dev/clusters asks for what policy forbids: cluster us-1 is forbidden by WorkspaceConstraints: region us-1 not in workspace constraint regions [eu-1, eu-2] (workspace root:acme)',
      );
      expect(r.placement).to.deep.equal([]);
      const rule = schedule({
        object: pinned('eu-2'),
        policy: policy({ rules: [{ expression: "cluster.spec.provider == 'onprem'", message: 'on-prem only' }] }),
        clusters: fleet,
        now: NOW,
      });
      expect(rule.condition.message).to.contain("cluster eu-2 is forbidden by Rules: rule #1 `cluster.spec.provider == 'onprem'`: on-prem only");
    });

    it('is Unschedulable, not Invalid, when a requested cluster is merely not ready or unreachable', () => {
      const clusters = [cluster('eu-1', { ready: false }), cluster('eu-2')];
      const r = schedule({ object: pinned('eu-1'), policy: policy({}), clusters, now: NOW });
      expect(r.condition.reason).to.equal('Unschedulable');
      expect(r.excluded[0]).to.deep.include({ cluster: 'eu-1', plugin: 'ClusterReady' });
      const down = [cluster('eu-1', { taints: [{ key: 'canopy.dev/unreachable', effect: 'NoExecute' }] })];
      expect(schedule({ object: pinned('eu-1'), policy: policy({}), clusters: down, now: NOW }).condition.reason).to.equal('Unschedulable');
      const dedicated = [cluster('eu-1', { taints: [{ key: 'dedicated', value: 'gpu', effect: 'NoSchedule' }] })];
      expect(schedule({ object: pinned('eu-1'), policy: policy({}), clusters: dedicated, now: NOW }).condition.reason).to.equal('Invalid');
    });

    it('reports requested clusters that are not registered', () => {
      const r = schedule({ object: pinned('eu-2,mars-1'), policy: policy({}), clusters: fleet, now: NOW });
      expect(placed(r)).to.deep.equal({ 'eu-2': 1 });
      expect(r.excluded.find((e) => e.cluster === 'mars-1')).to.deep.equal({
        cluster: 'mars-1',
        plugin: 'Pinning',
        reason: 'listed in annotation placement.canopy.dev/clusters but not registered',
      });
    });
  });

  describe('policy engine', () => {
    const p = policy({ policyEngine: { url: 'https://opa.example/v1/data/placement' }, replicas: { strategy: 'Divide' } });
    const object = deployment('web', { replicas: 4 });

    it('fails closed by default when the policy engine gave no answer', () => {
      const r = schedule({ object, policy: p, clusters: fleet, policyEngineDecision: { error: 'timeout after 5s' }, now: NOW });
      expect(r.condition).to.deep.include({ status: 'False', reason: 'PolicyEngineFailed' });
      expect(r.condition.message).to.contain('timeout after 5s');
      expect(r.excluded).to.have.length(3);
      expect(schedule({ object, policy: p, clusters: fleet, now: NOW }).condition.reason).to.equal('PolicyEngineFailed');
    });

    it('with failurePolicy Ignore proceeds without it and says so', () => {
      const ignore = policy({ ...p.spec, policyEngine: { url: 'https://opa.example', failurePolicy: 'Ignore' } });
      const r = schedule({ object, policy: ignore, clusters: fleet, policyEngineDecision: { error: 'connection refused' }, now: NOW });
      expect(r.condition.reason).to.equal('Scheduled');
      expect(r.condition.message).to.contain('ignored as failurePolicy is Ignore');
    });

    it('filters to the allowed clusters and divides by its weights', () => {
      const r = schedule({
        object,
        policy: p,
        clusters: fleet,
        policyEngineDecision: { allowed: ['eu-1', 'eu-2'], weights: { 'eu-1': 3, 'eu-2': 1 } },
        now: NOW,
      });
      expect(placed(r)).to.deep.equal({ 'eu-1': 3, 'eu-2': 1 });
      expect(r.excluded).to.deep.equal([
        { cluster: 'us-1', plugin: 'PolicyEngine', reason: 'policy engine https://opa.example/v1/data/placement did not allow this cluster' },
      ]);
    });
  });

  describe('Divide', () => {
    it('splits by static weights; a cluster without a weight gets nothing', () => {
      const r = schedule({
        object: deployment('web', { replicas: 10 }),
        policy: policy({
          replicas: {
            strategy: 'Divide',
            weights: [
              { cluster: 'eu-1', weight: 3 },
              { cluster: 'eu-2', weight: 2 },
            ],
          },
        }),
        clusters: fleet,
        now: NOW,
      });
      expect(placed(r)).to.deep.equal({ 'eu-1': 6, 'eu-2': 4 });
      expect(r.placement[0]!.reason).to.equal('passed all filters; 6 of 10 replica(s) (weight 3)');
      expect(r.excluded).to.deep.equal([{ cluster: 'us-1', plugin: 'ReplicaDivision', reason: 'weight 0 in the replica weights' }]);
    });

    it('splits by free capacity when no weights are given', () => {
      const r = schedule({
        object: deployment('web', { replicas: 14, cpu: '1' }),
        policy: policy({ replicas: { strategy: 'Divide' } }),
        clusters: fleet,
        now: NOW,
      });
      // Free cpu 64 : 32 : 16 → 8 : 4 : 2.
      expect(placed(r)).to.deep.equal({ 'eu-1': 8, 'eu-2': 4, 'us-1': 2 });
      expect(r.condition.message).to.equal('placed 14 replica(s) on 3 cluster(s) (Divide by free capacity)');
    });

    it('reports exhausted capacity but still places every replica', () => {
      const small = [cluster('a', { allocatable: { cpu: '2' } }), cluster('b', { allocatable: { cpu: '1' } })];
      const r = schedule({
        object: deployment('web', { replicas: 6, cpu: '1' }),
        policy: policy({ replicas: { strategy: 'Divide' } }),
        clusters: small,
        now: NOW,
      });
      expect(r.placement.reduce((s, p) => s + (p.replicas ?? 0), 0)).to.equal(6);
      expect(r.condition.message).to.contain('capacity exhausted: 3 replica(s) exceed');
    });

    it('is Unschedulable when the divided placement would exceed the workspace budget', () => {
      const r = schedule({
        object: deployment('web', { replicas: 20, cpu: '1' }),
        policy: policy({ replicas: { strategy: 'Divide' } }),
        clusters: fleet,
        workspace: workspace('acme', { costBudget: 300 }),
        now: NOW,
      });
      expect(r.condition.reason).to.equal('Unschedulable');
      expect(r.condition.message).to.match(/^estimated monthly cost \d+\.\d\d of 20 replica\(s\) exceeds what is left of workspace costBudget \(300\.00\)/);
    });
  });

  it('trims a duplicated placement to what the workspace budget allows, best first', () => {
    // 1 cpu for a month: eu-1 14.60, us-1 21.90, eu-2 29.20.
    const r = schedule({
      object: deployment('web', { cpu: '1' }),
      policy: policy({ cost: 'LowestFirst' }),
      clusters: fleet,
      workspace: workspace('acme', { costBudget: 40 }),
      now: NOW,
    });
    expect(r.placement.map((p) => p.cluster)).to.deep.equal(['eu-1', 'us-1']);
    expect(r.excluded[0]).to.deep.include({ cluster: 'eu-2', plugin: 'WorkspaceConstraints' });
  });

  it('asks to be requeued when a failover toleration expires', () => {
    const clusters = [
      cluster('a', { taints: [{ key: 'canopy.dev/unreachable', effect: 'NoExecute', timeAdded: new Date(NOW - 60_000).toISOString() }] }),
      cluster('b'),
    ];
    const r = schedule({
      object: deployment('web'),
      policy: policy({ failover: { tolerationSeconds: 120 } }),
      clusters,
      currentPlacement: [{ cluster: 'a', replicas: 1 }],
      now: NOW,
    });
    expect(placed(r)).to.deep.equal({ a: 1, b: 1 });
    expect(r.requeueAfterMs).to.equal(60_000);
    const later = schedule({
      object: deployment('web'),
      policy: policy({ failover: { tolerationSeconds: 120 } }),
      clusters,
      currentPlacement: [{ cluster: 'a', replicas: 1 }],
      now: NOW + 61_000,
    });
    expect(placed(later)).to.deep.equal({ b: 1 });
  });

  it('places objects without replicas (ConfigMaps) without a replica count', () => {
    const r = schedule({
      object: { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'cfg', namespace: 'x' } },
      policy: policy({ replicas: { strategy: 'Divide' } }),
      clusters: fleet,
      now: NOW,
    });
    expect(r.placement.map((p) => p.replicas)).to.deep.equal([undefined, undefined, undefined]);
  });
});
