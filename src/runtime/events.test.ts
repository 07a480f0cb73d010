import { expect } from 'chai';
import { FakeClock } from './clock.js';
import { EventCorrelator, microTime, newEventV1, seriesPatch } from './events.js';

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

describe('events.k8s.io/v1 Events', () => {
  const reporter = { controller: 'canopy', instance: 'canopy-7f9c-abcde', action: 'Reconcile' };
  const deployment = { apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'web', namespace: 'team-a', uid: 'u1', resourceVersion: '42' } };

  it('writes eventTime as a MicroTime (six fractional digits)', () => {
    expect(microTime(Date.UTC(2026, 0, 2, 3, 4, 5, 678))).to.equal('2026-01-02T03:04:05.678000Z');
  });

  it('creates the first occurrence without a series, regarding the object, in its namespace', () => {
    const event = newEventV1('web.1', deployment, 'Warning', 'Unschedulable', 'no cluster matches', reporter, Date.UTC(2026, 0, 1));
    expect(event).to.deep.equal({
      apiVersion: 'events.k8s.io/v1',
      kind: 'Event',
      metadata: { name: 'web.1', namespace: 'team-a' },
      eventTime: '2026-01-01T00:00:00.000000Z',
      reportingController: 'canopy',
      reportingInstance: 'canopy-7f9c-abcde',
      action: 'Reconcile',
      reason: 'Unschedulable',
      regarding: { apiVersion: 'apps/v1', kind: 'Deployment', name: 'web', namespace: 'team-a', uid: 'u1', resourceVersion: '42' },
      note: 'no cluster matches',
      type: 'Warning',
    });
  });

  it('puts Events of cluster-scoped objects in default and caps the note at 1 kB', () => {
    const cluster = { apiVersion: 'canopy.dev/v1alpha1', kind: 'Cluster', metadata: { name: 'eu-1' } };
    const event = newEventV1('eu-1.1', cluster, 'Normal', 'Ready', 'x'.repeat(5000), reporter, 0);
    expect(event.metadata?.namespace).to.equal('default');
    expect(event.note).to.have.length(1024);
    expect(event.note.endsWith('...')).to.equal(true);
  });

  it('counts repeats in series, starting at 2 as the API requires', () => {
    expect(seriesPatch(2, Date.UTC(2026, 0, 1, 0, 0, 1))).to.deep.equal({ series: { count: 2, lastObservedTime: '2026-01-01T00:00:01.000000Z' } });
  });
});
