import { expect } from 'chai';
import { awaitedClusters, awaitingMessage, FIRST_PROBE_GRACE_MS } from './awaiting-health.js';
import { schedule } from './engine.js';
import { cluster, deployment, policy } from '../../../test/support/placement-fixtures.js';
import type { Cluster, ScheduleInput } from './types.js';

const NOW = Date.parse('2026-12-03T12:00:00Z');
const at = (msAgo: number) => new Date(NOW - msAgo).toISOString();

/** A cluster registered `msAgo` ago that has not been probed yet. */
function unprobed(name: string, msAgo: number, region = 'eu-1'): Cluster {
  const c = cluster(name, { ready: 'missing', region });
  return { ...c, metadata: { ...c.metadata, creationTimestamp: at(msAgo) } };
}

function input(clusters: Cluster[], extra: Partial<ScheduleInput> = {}): ScheduleInput {
  return { object: deployment('web', { replicas: 4 }), policy: policy({ replicas: { strategy: 'Divide' } }), clusters, now: NOW, ...extra };
}

describe('placement: a first decision waits for newly registered clusters', () => {
  it('waits for an unprobed cluster the policy would choose, up to the grace after its creation', () => {
    const awaited = awaitedClusters(input([cluster('eu-1'), unprobed('eu-2', 2_000)]));
    expect(awaited).to.deep.equal({ clusters: ['eu-2'], waitMs: FIRST_PROBE_GRACE_MS - 2_000 });
    expect(awaitingMessage(awaited!)).to.contain('newly registered cluster(s) eu-2');
    // What deciding now would do instead: everything on eu-1, to be moved once eu-2 reports.
    expect(schedule(input([cluster('eu-1'), unprobed('eu-2', 2_000)])).placement.map((p) => p.cluster)).to.deep.equal(['eu-1']);
  });

  it('waits for the longest remaining grace when several clusters are unprobed', () => {
    const awaited = awaitedClusters(input([cluster('eu-1'), unprobed('us-1', 1_000, 'us-1'), unprobed('eu-2', 9_000)]));
    expect(awaited?.clusters).to.deep.equal(['eu-2', 'us-1']);
    expect(awaited?.waitMs).to.equal(FIRST_PROBE_GRACE_MS - 1_000);
  });

  it('decides at once when the unprobed cluster would not be chosen anyway', () => {
    const onlyUs = policy({ regions: ['us-1'] });
    expect(awaitedClusters(input([cluster('us-1', { region: 'us-1' }), unprobed('eu-2', 1_000)], { policy: onlyUs }))).to.equal(undefined);
  });

  it('decides at once once the grace is over, or when the cluster has a verdict (even NotReady)', () => {
    expect(awaitedClusters(input([cluster('eu-1'), unprobed('eu-2', FIRST_PROBE_GRACE_MS + 1)]))).to.equal(undefined);
    const failed = cluster('eu-2', { ready: false });
    expect(awaitedClusters(input([cluster('eu-1'), { ...failed, metadata: { ...failed.metadata, creationTimestamp: at(1_000) } }]))).to.equal(undefined);
  });

  it('never holds an object that already runs somewhere', () => {
    expect(awaitedClusters(input([cluster('eu-1'), unprobed('eu-2', 1_000)], { currentPlacement: [{ cluster: 'eu-1', replicas: 4 }] }))).to.equal(undefined);
  });

  it('ignores clusters without a creation time (hand-made input) and decides at once', () => {
    expect(awaitedClusters(input([cluster('eu-1'), cluster('eu-2', { ready: 'missing' })]))).to.equal(undefined);
  });

  it('waits even when no cluster is Ready yet, instead of reporting Unschedulable', () => {
    expect(schedule(input([unprobed('eu-1', 500), unprobed('eu-2', 500)])).condition.reason).to.equal('Unschedulable');
    expect(awaitedClusters(input([unprobed('eu-1', 500), unprobed('eu-2', 500)]))?.clusters).to.deep.equal(['eu-1', 'eu-2']);
  });
});
