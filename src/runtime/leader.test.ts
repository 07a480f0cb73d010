import { expect } from 'chai';
import { leaseAction, microTime, nextLeaseSpec } from './leader.js';

describe('leader election decisions', () => {
  const now = 1_700_000_100_000;

  it('creates a missing lease and renews its own', () => {
    expect(leaseAction({ identity: 'a', lease: undefined, observedAt: now, now })).to.equal('create');
    expect(leaseAction({ identity: 'a', lease: { holderIdentity: 'a', leaseDurationSeconds: 15 }, observedAt: now - 60_000, now })).to.equal('renew');
  });

  it("waits while another holder's lease is valid by the local observation time", () => {
    const lease = { holderIdentity: 'b', leaseDurationSeconds: 15, renewTime: microTime(now - 3_600_000) };
    // renewTime is an hour old by b's clock, but this replica saw the record change 14 s ago: still valid.
    expect(leaseAction({ identity: 'a', lease, observedAt: now - 14_000, now })).to.equal('wait');
    expect(leaseAction({ identity: 'a', lease, observedAt: now - 15_000, now })).to.equal('takeover');
  });

  it('takes a released lease (empty holder) at once', () => {
    expect(leaseAction({ identity: 'a', lease: { holderIdentity: '', leaseDurationSeconds: 1 }, observedAt: now, now })).to.equal('takeover');
  });

  it('keeps acquireTime and transitions on renew, bumps transitions on takeover', () => {
    const current = {
      holderIdentity: 'b',
      leaseDurationSeconds: 15,
      acquireTime: microTime(now - 50_000),
      renewTime: microTime(now - 20_000),
      leaseTransitions: 3,
    };
    const renewed = nextLeaseSpec('renew', { ...current, holderIdentity: 'a' }, 'a', 15, now);
    expect(renewed.acquireTime).to.equal(current.acquireTime);
    expect(renewed.leaseTransitions).to.equal(3);
    expect(renewed.renewTime).to.equal(microTime(now));
    const taken = nextLeaseSpec('takeover', current, 'a', 15, now);
    expect(taken).to.deep.equal({ holderIdentity: 'a', leaseDurationSeconds: 15, acquireTime: microTime(now), renewTime: microTime(now), leaseTransitions: 4 });
    expect(nextLeaseSpec('create', undefined, 'a', 15, now).leaseTransitions).to.equal(0);
  });

  it('formats MicroTime with six fractional digits', () => {
    expect(microTime(Date.UTC(2025, 0, 2, 3, 4, 5, 67))).to.equal('2025-01-02T03:04:05.067000Z');
  });
});
