import { expect } from 'chai';
import { FakeClock } from './clock.js';
import { EventCorrelator } from './events.js';

describe('EventCorrelator', () => {
  it('aggregates repeats within the window into one Event with a rising count', () => {
    const clock = new FakeClock();
    const correlator = new EventCorrelator(600_000, clock);
    const first = correlator.observe('uid1|Warning|Unschedulable|no cluster', 'app');
    expect(first.action).to.equal('create');
    expect(first.name).to.match(/^app\.[0-9a-f]+$/);
    clock.advance(1000);
    expect(correlator.observe('uid1|Warning|Unschedulable|no cluster', 'app')).to.deep.equal({ action: 'patch', name: first.name, count: 2 });
    expect(correlator.observe('uid1|Warning|Unschedulable|no cluster', 'app')).to.deep.equal({ action: 'patch', name: first.name, count: 3 });
    expect(correlator.observe('uid1|Normal|Scheduled|eu-1', 'app').action, 'a different reason is a different Event').to.equal('create');
  });

  it('starts a new Event after the window or after a reset', () => {
    const clock = new FakeClock();
    const correlator = new EventCorrelator(600_000, clock);
    const first = correlator.observe('k', 'obj');
    clock.advance(600_000);
    const second = correlator.observe('k', 'obj');
    expect(second.action).to.equal('create');
    expect(second.name).to.not.equal(first.name);
    correlator.reset('k');
    expect(correlator.observe('k', 'obj').action).to.equal('create');
  });
});
