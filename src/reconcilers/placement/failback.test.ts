import { expect } from 'chai';
import { schedule } from './engine.js';
import { cluster, deployment, policy } from '../../../test/support/placement-fixtures.js';
import { pendingRebalance, rebalanceRequested } from './rebalance.js';
import type { Cluster, PlacementPolicySpec } from './types.js';

const NOW = Date.parse('2030-01-01T00:10:00Z');

/** A Ready cluster whose Ready condition turned True at `since`. */
function readySince(name: string, since: string): Cluster {
  const c = cluster(name, { region: name });
  return { ...c, status: { ...c.status, conditions: [{ type: 'Ready', status: 'True', reason: 'Probed', lastTransitionTime: since }] } };
}

const divide: PlacementPolicySpec = {
  replicas: {
    strategy: 'Divide',
    weights: [
      { cluster: 'eu-1', weight: 3 },
      { cluster: 'us-1', weight: 1 },
    ],
  },
};

/** The object moved to eu-1 when us-1 was tainted: that is what its status says now. */
const afterFailover = {
  currentPlacement: [{ cluster: 'eu-1', replicas: 4 }],
  previousExclusions: [{ cluster: 'us-1', plugin: 'TaintToleration', reason: 'tainted canopy.dev/unreachable' }],
};

function decide(spec: PlacementPolicySpec, usReadySince: string, extra: Record<string, unknown> = afterFailover) {
  return schedule({
    object: deployment('web', { replicas: 4 }),
    policy: policy(spec),
    clusters: [readySince('eu-1', '2030-01-01T00:00:00Z'), readySince('us-1', usReadySince)],
    now: NOW,
    ...extra,
  });
}

const placed = (r: ReturnType<typeof schedule>) => Object.fromEntries(r.placement.map((p) => [p.cluster, p.replicas]));

describe('placement: failback after a failover', () => {
  it('without failback settings, returns at once (the behaviour before failback existed)', () => {
    expect(placed(decide(divide, '2030-01-01T00:09:59Z'))).to.deep.equal({ 'eu-1': 3, 'us-1': 1 });
  });

  it('WhenRecovered holds the cluster back until it has been Ready for stableSeconds, and says when', () => {
    const spec = { ...divide, failover: { failback: 'WhenRecovered', stableSeconds: 60 } };
    const early = decide(spec, '2030-01-01T00:09:30Z');
    expect(placed(early)).to.deep.equal({ 'eu-1': 4 });
    const held = early.excluded.find((e) => e.cluster === 'us-1');
    expect(held?.plugin).to.equal('Failback');
    expect(held?.reason).to.match(/Ready for 60s, at 2030-01-01T00:10:30.000Z/);
    // The decision changes by itself when the hold ends: the caller is told to look again then.
    expect(early.requeueAfterMs).to.be.within(30_000, 30_200);

    // The hold's own record keeps the memory of the failover for the next decision.
    const later = decide(spec, '2030-01-01T00:09:00Z', { currentPlacement: afterFailover.currentPlacement, previousExclusions: early.excluded });
    expect(placed(later)).to.deep.equal({ 'eu-1': 3, 'us-1': 1 });
  });

  it('never delays a first decision, nor a cluster the object did not fail over from', () => {
    const spec = { ...divide, failover: { failback: 'WhenRecovered', stableSeconds: 600 } };
    expect(placed(decide(spec, '2030-01-01T00:09:59Z', {}))).to.deep.equal({ 'eu-1': 3, 'us-1': 1 });
    const unrelated = { currentPlacement: afterFailover.currentPlacement, previousExclusions: [{ cluster: 'us-1', plugin: 'Regions', reason: 'x' }] };
    expect(placed(decide(spec, '2030-01-01T00:09:59Z', unrelated))).to.deep.equal({ 'eu-1': 3, 'us-1': 1 });
  });

  it('Never keeps the object where it moved; a rebalance moves it back', () => {
    const spec = { ...divide, failover: { failback: 'Never' } };
    const kept = decide(spec, '2030-01-01T00:00:00Z');
    expect(placed(kept)).to.deep.equal({ 'eu-1': 4 });
    expect(kept.excluded.find((e) => e.cluster === 'us-1')?.reason).to.match(/failback is Never.*rebalance/);
    // Still remembered on the next decision (the record is its own).
    expect(placed(decide(spec, '2030-01-01T00:00:00Z', { ...afterFailover, previousExclusions: kept.excluded }))).to.deep.equal({ 'eu-1': 4 });
    expect(placed(decide(spec, '2030-01-01T00:00:00Z', { ...afterFailover, rebalance: true }))).to.deep.equal({ 'eu-1': 3, 'us-1': 1 });
  });

  it('a rebalance ignores stability: a Duplicate object with maxClusters goes to the best cluster, not the current one', () => {
    const spec: PlacementPolicySpec = { replicas: { maxClusters: 1 }, preferences: [{ weight: 1, clusterSelector: { matchLabels: { best: 'yes' } } }] };
    const best = { ...cluster('us-1', { region: 'us-1', labels: { best: 'yes' } }) };
    const input = { object: deployment('web', { replicas: 1 }), policy: policy(spec), clusters: [cluster('eu-1'), best], now: NOW };
    const current = [{ cluster: 'eu-1', replicas: 1 }];
    expect(placed(schedule({ ...input, currentPlacement: current }))).to.deep.equal({ 'eu-1': 1 });
    expect(placed(schedule({ ...input, currentPlacement: current, rebalance: true }))).to.deep.equal({ 'us-1': 1 });
  });
});

describe('placement: rebalance requests', () => {
  const at = (t?: string): { metadata: { annotations: Record<string, string> } } => ({
    metadata: { annotations: t ? { 'canopy.dev/rebalance-requested-at': t } : {} },
  });

  it('acts on the later of the object and policy requests, once', () => {
    expect(pendingRebalance(at(), at(), undefined)).to.equal(undefined);
    expect(pendingRebalance(at('2030-01-01T00:00:00Z'), at(), undefined)).to.equal('2030-01-01T00:00:00.000Z');
    expect(pendingRebalance(at('2030-01-01T00:00:00Z'), at('2030-01-02T00:00:00Z'), undefined)).to.equal('2030-01-02T00:00:00.000Z');
    expect(pendingRebalance(at('2030-01-01T00:00:00Z'), at(), '2030-01-01T00:00:00.000Z')).to.equal(undefined);
    expect(pendingRebalance(at('2030-01-03T00:00:00Z'), at(), '2030-01-01T00:00:00.000Z')).to.equal('2030-01-03T00:00:00.000Z');
    expect(pendingRebalance(at('not a time'), at(), undefined)).to.equal(undefined);
  });

  it('wakes placement only when the request on the object changes', () => {
    expect(rebalanceRequested({ type: 'update', old: at(), object: at('2030-01-01T00:00:00Z') })).to.equal(true);
    expect(rebalanceRequested({ type: 'update', old: at('2030-01-01T00:00:00Z'), object: at('2030-01-01T00:00:00Z') })).to.equal(false);
    expect(rebalanceRequested({ type: 'update', old: at('2030-01-01T00:00:00Z'), object: at() })).to.equal(false);
  });
});
