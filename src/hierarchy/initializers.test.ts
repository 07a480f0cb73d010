import { expect } from 'chai';
import { addInitializers, effectiveInitializers, NO_INITIALIZERS } from './initializers.js';

describe('effectiveInitializers (inherited down the tree)', () => {
  it('is empty when no workspace lists any', () => {
    const e = effectiveInitializers([{ workspace: 'root' }, { workspace: 'team', initializers: [] }]);
    expect(e.names).to.deep.equal([]);
    expect(e).to.equal(NO_INITIALIZERS);
  });

  it('is the union of every level, root first, each name once', () => {
    const e = effectiveInitializers([
      { workspace: 'acme', initializers: ['acme.example.com/cost-center', 'audit'] },
      { workspace: 'payments', initializers: ['audit', 'ci-project'] },
      { workspace: 'team-a', initializers: ['alerts', 'ci-project', 'alerts'] },
    ]);
    expect(e.names).to.deep.equal(['acme.example.com/cost-center', 'audit', 'ci-project', 'alerts']);
  });

  it('credits each name to the highest workspace that lists it', () => {
    const e = effectiveInitializers([
      { workspace: 'acme', initializers: ['audit'] },
      { workspace: 'team-a', initializers: ['audit', 'alerts'] },
    ]);
    expect(e.origins).to.deep.equal({ audit: 'acme', alerts: 'team-a' });
  });

  it('a child cannot drop what an ancestor lists: an empty own list changes nothing', () => {
    const parent = effectiveInitializers([{ workspace: 'acme', initializers: ['audit'] }]);
    expect(addInitializers(parent, { workspace: 'team-a', initializers: [] })).to.equal(parent);
    expect(addInitializers(parent, { workspace: 'team-a', initializers: ['audit'] })).to.equal(parent);
  });
});
