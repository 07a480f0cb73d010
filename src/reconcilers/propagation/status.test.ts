import { expect } from 'chai';
import { planSync, type Observation, type PlacementEntry } from './plan.js';
import { syncStatus, type ActionOutcome, type StatusInput } from './status.js';

const ours = (specReplicas: number, readyReplicas: number): Observation => ({
  kind: 'ours',
  specReplicas,
  synced: true,
  summary: {
    ready: readyReplicas >= specReplicas,
    replicas: specReplicas,
    readyReplicas,
    availableReplicas: readyReplicas,
    observedGeneration: 1,
    message: `${readyReplicas}/${specReplicas} ready`,
  },
});

function run(placement: PlacementEntry[], observations: Map<string, Observation>, extra: Partial<StatusInput> = {}, known: string[] = []) {
  const plan = planSync({
    deleting: extra.deleting ?? false,
    placement,
    observations,
    knownCopies: new Set(known),
    registered: new Set(['eu-1', 'eu-2', 'us-1']),
    handoverTimeoutMs: 60_000,
    now: 0,
  });
  const outcomes = new Map<string, ActionOutcome>();
  for (const a of plan.actions) if (a.action === 'apply' || a.action === 'delete') outcomes.set(a.cluster, { ok: true, wrote: false });
  return syncStatus({
    generation: 4,
    deleting: false,
    placement,
    plan,
    observations,
    outcomes,
    previous: [],
    previousConditions: [],
    now: '2025-01-01T00:00:00Z',
    ...extra,
  });
}

describe('propagation/status', () => {
  it('aggregates replicas over clusters and is Ready when every share is ready', () => {
    const s = run(
      [
        { cluster: 'eu-1', replicas: 6 },
        { cluster: 'us-1', replicas: 2 },
      ],
      new Map([
        ['eu-1', ours(6, 6)],
        ['us-1', ours(2, 2)],
      ]),
    );
    expect(s.replicas).to.equal(8);
    expect(s.readyReplicas).to.equal(8);
    expect(s.clusters.map((c) => [c.cluster, c.state, c.replicas, c.readyReplicas, c.syncedGeneration])).to.deep.equal([
      ['eu-1', 'Synced', 6, 6, 4],
      ['us-1', 'Synced', 2, 2, 4],
    ]);
    const [synced, ready] = s.conditions;
    expect(synced).to.include({ type: 'Synced', status: 'True', reason: 'Synced', observedGeneration: 4 });
    expect(ready).to.include({ type: 'Ready', status: 'True', reason: 'Ready', message: 'ready on eu-1, us-1 (8/8 replicas ready)' });
  });

  it('says which cluster is not ready and why', () => {
    const s = run(
      [
        { cluster: 'eu-1', replicas: 6 },
        { cluster: 'us-1', replicas: 2 },
      ],
      new Map([
        ['eu-1', ours(6, 6)],
        ['us-1', ours(2, 0)],
      ]),
    );
    expect(s.readyReplicas).to.equal(6);
    expect(s.conditions[1]).to.include({ status: 'False', reason: 'NotReady', message: 'us-1: 0/2 ready' });
  });

  it('reports a foreign object as a Conflict', () => {
    const s = run([{ cluster: 'eu-1', replicas: 1 }], new Map<string, Observation>([['eu-1', { kind: 'foreign' }]]));
    expect(s.conditions[0]).to.include({ status: 'False', reason: 'Conflict' });
    expect(s.conditions[0]!.message).to.match(/^eu-1: an object of the same name exists there without canopy.dev\/managed-by=canopy/);
    expect(s.clusters[0]).to.include({ cluster: 'eu-1', state: 'Failed' });
  });

  it('says nothing is deleted while no cluster is eligible', () => {
    const s = run([], new Map([['eu-1', ours(6, 6)]]), { scheduled: { status: 'False', reason: 'Unschedulable', message: 'every cluster was filtered' } }, [
      'eu-1',
    ]);
    expect(s.conditions[0]).to.include({ status: 'False', reason: 'NoEligibleCluster' });
    expect(s.conditions[0]!.message).to.match(/nothing is deleted while no alternative exists: copies kept on eu-1/);
    expect(s.readyReplicas).to.equal(6);
  });

  it('reports an unreachable old cluster as pending removal once the new placement runs', () => {
    const s = run(
      [{ cluster: 'eu-1', replicas: 8 }],
      new Map<string, Observation>([
        ['eu-1', ours(8, 8)],
        ['us-1', { kind: 'unreachable', reason: 'Ready=False' }],
      ]),
      {},
      ['eu-1', 'us-1'],
    );
    expect(s.conditions[0]).to.include({ status: 'False', reason: 'PendingRemoval' });
    expect(s.conditions[1]).to.include({ status: 'True', reason: 'Ready' });
    expect(s.clusters.find((c) => c.cluster === 'us-1')).to.include({ state: 'Deleting' });
    expect(s.readyReplicas).to.equal(8);
  });

  it('shows a handover in progress', () => {
    const s = run(
      [
        { cluster: 'eu-1', replicas: 6 },
        { cluster: 'us-1', replicas: 2 },
      ],
      new Map([
        ['eu-1', ours(8, 8)],
        ['us-1', ours(2, 0)],
      ]),
    );
    expect(s.conditions[0]).to.include({ status: 'False', reason: 'AwaitingReplacement' });
    expect(s.clusters.find((c) => c.cluster === 'eu-1')!.message).to.match(/keeping 8 replicas until us-1 report ready/);
  });

  it('names the unreachable old cluster while the replacement is not ready yet', () => {
    const s = run(
      [
        { cluster: 'eu-1', replicas: 2 },
        { cluster: 'eu-2', replicas: 1 },
      ],
      new Map<string, Observation>([
        ['eu-1', ours(2, 0)],
        ['eu-2', ours(1, 0)],
        ['us-1', { kind: 'unreachable', reason: 'Ready=False' }],
      ]),
      {},
      ['eu-1', 'eu-2', 'us-1'],
    );
    expect(s.conditions[0]).to.include({ status: 'False', reason: 'AwaitingReplacement' });
    expect(s.conditions[0]!.message).to.equal('moving to eu-1, eu-2; old copies on us-1 stay until the replacement reports ready');
  });

  it('keeps lastTransitionTime while a condition keeps its status', () => {
    const prev = [{ type: 'Synced', status: 'True' as const, reason: 'Synced', message: 'x', lastTransitionTime: '2020-01-01T00:00:00Z' }];
    const s = run([{ cluster: 'eu-1', replicas: 1 }], new Map([['eu-1', ours(1, 1)]]), { previousConditions: prev });
    expect(s.conditions[0]!.lastTransitionTime).to.equal('2020-01-01T00:00:00Z');
    expect(s.conditions[1]!.lastTransitionTime).to.equal('2025-01-01T00:00:00Z');
  });

  it('reports apply errors per cluster', () => {
    const placement = [{ cluster: 'eu-1', replicas: 1 }];
    const observations = new Map<string, Observation>([['eu-1', { kind: 'absent' }]]);
    const plan = planSync({ deleting: false, placement, observations, knownCopies: new Set(), registered: new Set(['eu-1']), handoverTimeoutMs: 1, now: 0 });
    const s = syncStatus({
      generation: 1,
      deleting: false,
      placement,
      plan,
      observations,
      outcomes: new Map([['eu-1', { ok: false, error: 'admission webhook denied' }]]),
      previous: [],
      previousConditions: [],
      now: 'n',
    });
    expect(s.conditions[0]).to.include({ status: 'False', reason: 'ApplyFailed', message: 'eu-1: admission webhook denied' });
  });
});
