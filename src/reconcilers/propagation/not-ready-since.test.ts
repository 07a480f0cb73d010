import { expect } from 'chai';
import { planSync, type Observation } from './plan.js';
import { syncStatus, type ActionOutcome, type ClusterStatusEntry } from './status.js';

const copy = (ready: number): Observation => ({
  kind: 'ours',
  specReplicas: 2,
  synced: true,
  summary: { ready: ready >= 2, replicas: 2, readyReplicas: ready, availableReplicas: ready, message: `${ready}/2 ready` },
});

function report(observation: Observation, previous: ClusterStatusEntry[], now: string): ClusterStatusEntry | undefined {
  const placement = [{ cluster: 'eu-1', replicas: 2 }];
  const observations = new Map([['eu-1', observation]]);
  const plan = planSync({ deleting: false, placement, observations, knownCopies: new Set(), registered: new Set(['eu-1']), handoverTimeoutMs: 60_000, now: 0 });
  const outcomes = new Map<string, ActionOutcome>([['eu-1', { ok: true, wrote: false }]]);
  const s = syncStatus({ generation: 1, deleting: false, placement, plan, observations, outcomes, previous, previousConditions: [], now });
  return s.clusters.find((c) => c.cluster === 'eu-1');
}

describe('propagation/status: since when a copy is not Ready', () => {
  it('is set on the first not-Ready report, kept while it stays not Ready, and cleared once Ready', () => {
    const first = report(copy(0), [], '2030-01-01T00:00:00Z');
    expect(first?.notReadySince).to.equal('2030-01-01T00:00:00Z');
    const later = report(copy(1), first ? [first] : [], '2030-01-01T00:05:00Z');
    expect(later?.notReadySince, 'kept from the first report').to.equal('2030-01-01T00:00:00Z');
    const ready = report(copy(2), later ? [later] : [], '2030-01-01T00:06:00Z');
    expect(ready?.notReadySince).to.equal(undefined);
  });

  it('is not reported for an unreachable cluster (its counts are stale)', () => {
    const entry = report(
      { kind: 'unreachable', reason: 'connection refused' },
      [{ cluster: 'eu-1', notReadySince: '2030-01-01T00:00:00Z' }],
      '2030-01-01T00:05:00Z',
    );
    expect(entry?.notReadySince).to.equal(undefined);
  });
});
