import { expect } from 'chai';
import { finalizerWait, parseFinalizerTimeoutSeconds, timestampText } from '../../runtime/finalizer-timeout.js';
import { clustersBlockingDeletion, propagatedObjectFinalizerWait } from './finalizer-timeout.js';
import type { ClusterAction } from './plan.js';
import type { ActionOutcome } from './status.js';

describe('propagation/finalizer-timeout', () => {
  const deleted = '2026-01-01T12:00:00Z';
  const start = Date.parse(deleted);
  const base = {
    deletionTimestamp: deleted,
    annotations: {},
    timeoutMs: 600_000,
    blocked: ['eu-2', 'eu-1'],
    leftBehind: 'the copy of PropagatedObject shop/web',
    finalizer: 'propagation.canopy.dev/cleanup',
  };

  it('waits within the timeout and says when to look again', () => {
    expect(finalizerWait({ ...base, now: start + 60_000 })).to.deep.equal({ release: false, retryAfterMs: 540_000 });
  });

  it('releases once the timeout since deletion started is over, naming every cluster left behind', () => {
    const d = finalizerWait({ ...base, now: start + 600_000 });
    expect(d).to.deep.equal({
      release: true,
      reason: 'FinalizerTimedOut',
      clusters: ['eu-1', 'eu-2'],
      message:
        'finalizer propagation.canopy.dev/cleanup released after waiting 600 s for clusters eu-1, eu-2; the copy of PropagatedObject shop/web may remain on clusters eu-1, eu-2; check them once reachable and remove what is left',
    });
  });

  it('releases at once on canopy.dev/force-finalize: "true" (and on nothing else)', () => {
    const forced = finalizerWait({ ...base, blocked: ['eu-1'], annotations: { 'canopy.dev/force-finalize': 'true' }, now: start + 1000 });
    expect(forced).to.deep.equal({
      release: true,
      reason: 'FinalizerForced',
      clusters: ['eu-1'],
      message:
        'finalizer propagation.canopy.dev/cleanup released on annotation canopy.dev/force-finalize=true; the copy of PropagatedObject shop/web may remain on cluster eu-1; check it once reachable and remove what is left',
    });
    expect(finalizerWait({ ...base, annotations: { 'canopy.dev/force-finalize': 'yes' }, now: start + 1000 }).release).to.equal(false);
  });

  it('has nothing to release when no cluster blocks, and keeps waiting without a readable deletion time', () => {
    expect(finalizerWait({ ...base, blocked: [], now: start + 10_000_000 })).to.deep.equal({ release: false });
    expect(finalizerWait({ ...base, deletionTimestamp: undefined, now: start + 10_000_000 })).to.deep.equal({ release: false });
  });

  it('counts unreachable clusters and failed deletes as blocking, not copies removed or forgotten', () => {
    const actions: ClusterAction[] = [
      { cluster: 'eu-1', action: 'wait', why: 'Unreachable', removal: true, message: 'down' },
      { cluster: 'eu-2', action: 'delete' },
      { cluster: 'us-1', action: 'delete' },
      { cluster: 'old', action: 'forget' },
    ];
    const outcomes = new Map<string, ActionOutcome>([
      ['eu-2', { ok: true, wrote: true }],
      ['us-1', { ok: false, error: 'forbidden' }],
    ]);
    expect(clustersBlockingDeletion(actions, outcomes)).to.deep.equal(['eu-1', 'us-1']);
    const po = { metadata: { namespace: 'shop', name: 'web', deletionTimestamp: new Date(start), annotations: {} } };
    expect(propagatedObjectFinalizerWait(po, actions, outcomes, 1000, start + 1000)).to.include({ release: true, reason: 'FinalizerTimedOut' });
    expect(propagatedObjectFinalizerWait(po, actions, outcomes, undefined, start + 1000).release).to.equal(false);
  });

  it('reads deletionTimestamp as a string or a Date', () => {
    expect(timestampText(deleted)).to.equal(deleted);
    expect(timestampText(new Date(start))).to.equal('2026-01-01T12:00:00.000Z');
    expect(timestampText(undefined)).to.equal(undefined);
  });

  it('parses CANOPY_FINALIZER_TIMEOUT_SECONDS as whole seconds and refuses anything else in one sentence', () => {
    expect(parseFinalizerTimeoutSeconds('600')).to.equal(600_000);
    expect(parseFinalizerTimeoutSeconds('0')).to.equal(0);
    expect(() => parseFinalizerTimeoutSeconds('10m')).to.throw('finalizer timeout must be a whole number of seconds (0 or more), got "10m"');
    expect(() => parseFinalizerTimeoutSeconds('-1')).to.throw('whole number');
  });
});
