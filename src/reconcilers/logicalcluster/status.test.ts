import { expect } from 'chai';
import { mergeConditions, nextStatus, statusChanged } from './status.js';

const t0 = new Date('2024-01-01T00:00:00.123Z');
const t1 = new Date('2024-01-01T01:00:00Z');

describe('logicalcluster status', () => {
  it('derives Ready from the phase and records the facts', () => {
    const s = nextStatus(
      undefined,
      { phase: 'Ready', reason: 'Ready', message: 'ok', namespaces: ['a'], kubeconfigSecretRef: { name: 'a-kubeconfig', namespace: 'a', key: 'kubeconfig' } },
      3,
      t0,
    );
    expect(s.phase).to.equal('Ready');
    expect(s.observedGeneration).to.equal(3);
    expect(s.namespaces).to.deep.equal(['a']);
    expect(s.conditions).to.deep.equal([
      { type: 'Ready', status: 'True', reason: 'Ready', message: 'ok', lastTransitionTime: '2024-01-01T00:00:00Z', observedGeneration: 3 },
    ]);
  });

  it('keeps lastTransitionTime while the status stays, moves it when it flips', () => {
    const first = mergeConditions([], [{ type: 'Ready', status: 'False', reason: 'Initializing', message: 'x' }], 1, t0);
    const same = mergeConditions(first, [{ type: 'Ready', status: 'False', reason: 'ClusterUnreachable', message: 'y' }], 1, t1);
    expect(same[0]!.lastTransitionTime).to.equal('2024-01-01T00:00:00Z');
    expect(same[0]!.reason).to.equal('ClusterUnreachable');
    const flipped = mergeConditions(same, [{ type: 'Ready', status: 'True', reason: 'Ready', message: '' }], 2, t1);
    expect(flipped[0]!.lastTransitionTime).to.equal('2024-01-01T01:00:00Z');
  });

  it('carries facts over, clears conditions on request, and knows when nothing changed', () => {
    const a = nextStatus(
      undefined,
      {
        phase: 'Failed',
        reason: 'NoSuitableCluster',
        message: 'm',
        cluster: 'eu-1',
        conditions: [{ type: 'Bound', status: 'False', reason: 'NoSuitableCluster', message: 'm' }],
      },
      1,
      t0,
    );
    const b = nextStatus(a, { phase: 'Ready', reason: 'Ready', message: 'ok', clear: ['Bound'] }, 1, t1);
    expect(b.cluster).to.equal('eu-1');
    expect(b.conditions.map((c) => c.type)).to.deep.equal(['Ready']);
    expect(statusChanged(b, nextStatus(b, { phase: 'Ready', reason: 'Ready', message: 'ok' }, 1, t1))).to.equal(false);
    expect(statusChanged(b, nextStatus(b, { phase: 'Ready', reason: 'Ready', message: 'ok' }, 2, t1))).to.equal(true);
    const withDate = { ...b, conditions: b.conditions.map((c) => ({ ...c, lastTransitionTime: new Date(c.lastTransitionTime) })) };
    expect(statusChanged(withDate, nextStatus(withDate, { phase: 'Ready', reason: 'Ready', message: 'ok' }, 1, t1))).to.equal(false);
  });
});
