import { expect } from 'chai';
import { cluster, policy } from '../../../../test/support/placement-fixtures.js';
import { reasonOf, runFilter } from '../../../../test/support/placement-run.js';
import { regionsFilter } from './regions.js';

describe('placement filter Regions', () => {
  const p = policy({ regions: ['eu-1', 'eu-2'] });

  it('is skipped without regions', () => {
    expect(runFilter(regionsFilter, { policy: policy({ regions: [] }) }, cluster('us-1', { region: 'us-1' }))).to.equal('skipped');
  });

  it('passes a cluster in one of the regions', () => {
    expect(reasonOf(runFilter(regionsFilter, { policy: p }, cluster('a', { region: 'eu-2' })))).to.equal(undefined);
  });

  it('excludes a cluster elsewhere, naming its region and the allowed ones', () => {
    expect(reasonOf(runFilter(regionsFilter, { policy: p }, cluster('a', { region: 'us-1' })))).to.equal('region us-1 not in policy regions [eu-1, eu-2]');
  });
});
