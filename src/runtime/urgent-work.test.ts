import { expect } from 'chai';
import { UrgentWork } from './urgent-work.js';

describe('UrgentWork', () => {
  it('is pending while any registered source has keys, and a name registered again replaces its source', () => {
    const work = new UrgentWork();
    expect(work.pending(), 'nothing registered').to.equal(false);
    let syncer = 0;
    work.register('syncer', () => syncer);
    work.register('other', () => 0);
    expect(work.pending()).to.equal(false);
    syncer = 3;
    expect(work.pending()).to.equal(true);
    work.register('syncer', () => 0);
    expect(work.pending(), 'replaced').to.equal(false);
    work.register('syncer', () => 1);
    work.unregister('syncer');
    expect(work.pending()).to.equal(false);
  });
});
