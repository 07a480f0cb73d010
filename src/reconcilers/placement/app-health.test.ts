import { expect } from 'chai';
import { schedule } from './engine.js';
import { notReadyChanged } from './filters/app-health.js';
import { cluster, deployment, policy } from '../../../test/support/placement-fixtures.js';
import type { PlacementPolicySpec, ScheduleInput } from './types.js';

const NOW = Date.parse('2030-01-01T01:00:00Z');
const spec: PlacementPolicySpec = {
  replicas: { maxClusters: 1 },
  failover: { unhealthySeconds: 300, unhealthyBackoffSeconds: 600 },
};
const base = (extra: Partial<ScheduleInput> = {}): ScheduleInput => ({
  object: deployment('web', { replicas: 2 }),
  policy: policy(spec),
  clusters: [cluster('eu-1', { region: 'eu-1' }), cluster('us-1', { region: 'us-1' })],
  currentPlacement: [{ cluster: 'eu-1', replicas: 2 }],
  now: NOW,
  ...extra,
});
const placed = (r: ReturnType<typeof schedule>) => r.placement.map((p) => p.cluster);

describe('placement: application-level failover (failover.unhealthySeconds)', () => {
  it('keeps a copy that has not been unhealthy for long, and looks again when it would have been', () => {
    const r = schedule(base({ copies: [{ cluster: 'eu-1', notReadySince: '2030-01-01T00:58:00Z' }] }));
    expect(placed(r)).to.deep.equal(['eu-1']);
    expect(r.requeueAfterMs).to.be.within(180_000, 180_200);
  });

  it('moves a copy not Ready for unhealthySeconds on a Ready cluster, and records the back-off', () => {
    const r = schedule(base({ copies: [{ cluster: 'eu-1', notReadySince: '2030-01-01T00:54:00Z' }] }));
    expect(placed(r)).to.deep.equal(['us-1']);
    const e = r.excluded.find((x) => x.cluster === 'eu-1');
    expect(e?.plugin).to.equal('AppHealth');
    expect(e?.reason).to.match(/stayed not Ready for over 300s .*excluded for this object until 2030-01-01T01:10:00.000Z/);
    expect(e?.until).to.equal('2030-01-01T01:10:00.000Z');
  });

  it('does not flap back during the back-off, even once the copy there is gone; returns after it', () => {
    const previousExclusions = [{ cluster: 'eu-1', plugin: 'AppHealth', reason: 'x', until: '2030-01-01T01:10:00.000Z' }];
    const during = schedule(base({ currentPlacement: [{ cluster: 'us-1', replicas: 2 }], previousExclusions }));
    expect(placed(during)).to.deep.equal(['us-1']);
    expect(during.excluded.find((x) => x.cluster === 'eu-1')?.until, 'the back-off is carried').to.equal('2030-01-01T01:10:00.000Z');
    const after = schedule(base({ currentPlacement: [], previousExclusions, now: Date.parse('2030-01-01T01:10:01Z') }));
    expect(placed(after)).to.deep.equal(['eu-1']);
  });

  it('leaves unhealthy clusters to failover, and does nothing unless opted in or when a rebalance is asked', () => {
    const notReadyCluster = [cluster('eu-1', { region: 'eu-1', ready: false }), cluster('us-1', { region: 'us-1' })];
    const copies = [{ cluster: 'eu-1', notReadySince: '2030-01-01T00:00:00Z' }];
    expect(placed(schedule(base({ clusters: notReadyCluster, copies })))).to.deep.equal(['eu-1']);
    expect(placed(schedule(base({ copies, policy: policy({ replicas: { maxClusters: 1 } }) })))).to.deep.equal(['eu-1']);
    const previousExclusions = [{ cluster: 'eu-1', plugin: 'AppHealth', reason: 'x', until: '2030-01-01T01:10:00.000Z' }];
    expect(placed(schedule(base({ currentPlacement: [], previousExclusions, rebalance: true })))).to.deep.equal(['eu-1']);
  });

  it('wakes placement when the syncer reports a change of not-Ready copies', () => {
    const at = (since?: string) => ({ status: { clusters: [{ cluster: 'eu-1', ...(since ? { notReadySince: since } : {}) }] } });
    expect(notReadyChanged({ type: 'update', old: at(), object: at('2030-01-01T00:00:00Z') })).to.equal(true);
    expect(notReadyChanged({ type: 'update', old: at('2030-01-01T00:00:00Z'), object: at('2030-01-01T00:00:00Z') })).to.equal(false);
    expect(notReadyChanged({ type: 'add', object: at('2030-01-01T00:00:00Z') })).to.equal(false);
  });
});
