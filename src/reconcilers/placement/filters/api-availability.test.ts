import { expect } from 'chai';
import { cluster } from '../../../../test/support/placement-fixtures.js';
import { reasonOf, runFilter } from '../../../../test/support/placement-run.js';
import { apiAvailabilityFilter } from './api-availability.js';

describe('placement filter APIAvailability', () => {
  const object = { apiVersion: 'monitoring.example.com/v1', kind: 'ServiceMonitor', metadata: { name: 'web' } };

  it('allows when the cluster has not reported its APIs', () => {
    expect(reasonOf(runFilter(apiAvailabilityFilter, { object }, cluster('a')))).to.equal(undefined);
  });

  it('allows when the cluster serves the group/version and kind (either resource shape)', () => {
    const byKind = cluster('a', { apiEnablements: [{ groupVersion: 'monitoring.example.com/v1', resources: ['ServiceMonitor'] }] });
    expect(reasonOf(runFilter(apiAvailabilityFilter, { object }, byKind))).to.equal(undefined);
    const byResource = cluster('b', {
      apiEnablements: [{ groupVersion: 'monitoring.example.com/v1', resources: [{ name: 'servicemonitors', kind: 'ServiceMonitor' }] }],
    });
    expect(reasonOf(runFilter(apiAvailabilityFilter, { object }, byResource))).to.equal(undefined);
  });

  it('excludes a cluster that lacks the kind', () => {
    const c = cluster('a', { apiEnablements: [{ groupVersion: 'apps/v1', resources: ['Deployment'] }] });
    expect(reasonOf(runFilter(apiAvailabilityFilter, { object }, c))).to.equal('cluster does not serve monitoring.example.com/v1 ServiceMonitor');
  });
});
