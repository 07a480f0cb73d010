import { expect } from 'chai';
import { compileSelector, formatSelector, matchesSelector } from './label-selector.js';

describe('placement label selectors', () => {
  const labels = { tier: 'gold', 'compliance/pci': 'true', zone: 'a' };

  it('matches matchLabels and every matchExpressions operator', () => {
    expect(matchesSelector({ matchLabels: { tier: 'gold' } }, labels)).to.equal(true);
    expect(matchesSelector({ matchLabels: { tier: 'silver' } }, labels)).to.equal(false);
    expect(matchesSelector({ matchExpressions: [{ key: 'zone', operator: 'In', values: ['a', 'b'] }] }, labels)).to.equal(true);
    expect(matchesSelector({ matchExpressions: [{ key: 'zone', operator: 'NotIn', values: ['a'] }] }, labels)).to.equal(false);
    expect(matchesSelector({ matchExpressions: [{ key: 'missing', operator: 'NotIn', values: ['a'] }] }, labels)).to.equal(true);
    expect(matchesSelector({ matchExpressions: [{ key: 'compliance/pci', operator: 'Exists' }] }, labels)).to.equal(true);
    expect(matchesSelector({ matchExpressions: [{ key: 'compliance/pci', operator: 'DoesNotExist' }] }, labels)).to.equal(false);
  });

  it('treats an absent or empty selector as matching everything', () => {
    expect(matchesSelector(undefined, labels)).to.equal(true);
    expect(matchesSelector({}, {})).to.equal(true);
  });

  it('does not see inherited object members as labels', () => {
    expect(matchesSelector({ matchExpressions: [{ key: 'constructor', operator: 'Exists' }] }, {})).to.equal(false);
    expect(matchesSelector({ matchExpressions: [{ key: 'toString', operator: 'DoesNotExist' }] }, {})).to.equal(true);
  });

  it('selects nothing and reports an error for a malformed requirement', () => {
    const c = compileSelector({ matchExpressions: [{ key: 'zone', operator: 'Near', values: ['a'] }] });
    expect(c.matches(labels)).to.equal(false);
    expect(c.error).to.contain('unknown operator Near');
  });

  it('renders selectors and the first failing requirement kubectl-style', () => {
    const s = { matchLabels: { tier: 'gold' }, matchExpressions: [{ key: 'zone', operator: 'In', values: ['b', 'c'] }] };
    expect(formatSelector(s)).to.equal('tier=gold,zone in (b,c)');
    expect(compileSelector(s).mismatch(labels)).to.equal('zone in (b,c) (cluster has zone=a)');
    expect(compileSelector({ matchLabels: { x: '1' } }).mismatch({})).to.equal('x=1 (cluster has no label x)');
  });
});
