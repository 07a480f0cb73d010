import { expect } from 'chai';
import {
  andSelectors,
  describeRequirements,
  matchesRequirements,
  matchesSelector,
  parseSelectorString,
  selectorRequirements,
  unsatisfiableKeys,
  validateSelector,
} from './label-selector.js';

describe('labelSelector', () => {
  describe('matchesSelector', () => {
    const labels = { region: 'eu', tier: 'gold', 'compliance/pci': 'true' };

    it('matches everything with an empty or missing selector', () => {
      expect(matchesSelector(undefined, labels)).to.equal(true);
      expect(matchesSelector({}, {})).to.equal(true);
    });

    it('applies matchLabels and every operator', () => {
      expect(matchesSelector({ matchLabels: { region: 'eu' } }, labels)).to.equal(true);
      expect(matchesSelector({ matchLabels: { region: 'us' } }, labels)).to.equal(false);
      const expr = (operator: string, values?: string[]) =>
        matchesSelector({ matchExpressions: [{ key: 'tier', operator, ...(values ? { values } : {}) }] }, labels);
      expect(expr('In', ['gold', 'silver'])).to.equal(true);
      expect(expr('In', ['silver'])).to.equal(false);
      expect(expr('NotIn', ['gold'])).to.equal(false);
      expect(expr('NotIn', ['silver'])).to.equal(true);
      expect(expr('Exists')).to.equal(true);
      expect(expr('DoesNotExist')).to.equal(false);
      expect(expr('Gt', ['1'])).to.equal(false);
    });

    it('lets NotIn and DoesNotExist match a missing key', () => {
      expect(matchesSelector({ matchExpressions: [{ key: 'zone', operator: 'NotIn', values: ['a'] }] }, labels)).to.equal(true);
      expect(matchesSelector({ matchExpressions: [{ key: 'zone', operator: 'DoesNotExist' }] }, labels)).to.equal(true);
    });
  });

  describe('validateSelector', () => {
    it('reports malformed expressions', () => {
      expect(validateSelector({ matchExpressions: [{ key: 'a', operator: 'In', values: [] }] })).to.deep.equal(['a In needs at least one value']);
      expect(validateSelector({ matchExpressions: [{ key: 'a', operator: 'Exists', values: ['x'] }] })).to.deep.equal(['a Exists takes no values']);
      expect(validateSelector({ matchExpressions: [{ key: 'a', operator: 'Near' }] })).to.deep.equal(['a: unknown operator Near']);
      expect(validateSelector({ matchLabels: { a: 'b' } })).to.deep.equal([]);
    });
  });

  describe('andSelectors', () => {
    it('merges matchLabels and concatenates expressions without duplicates', () => {
      const merged = andSelectors(
        { matchLabels: { region: 'eu' }, matchExpressions: [{ key: 'tier', operator: 'Exists' }] },
        {
          matchLabels: { pci: 'true' },
          matchExpressions: [
            { key: 'tier', operator: 'Exists' },
            { key: 'x', operator: 'DoesNotExist' },
          ],
        },
      );
      expect(merged).to.deep.equal({
        matchLabels: { region: 'eu', pci: 'true' },
        matchExpressions: [
          { key: 'tier', operator: 'Exists' },
          { key: 'x', operator: 'DoesNotExist' },
        ],
      });
    });

    it('keeps a conflicting matchLabel as an expression so the result matches nothing', () => {
      const merged = andSelectors({ matchLabels: { region: 'eu' } }, { matchLabels: { region: 'us' } });
      expect(matchesSelector(merged, { region: 'eu' })).to.equal(false);
      expect(matchesSelector(merged, { region: 'us' })).to.equal(false);
      expect(unsatisfiableKeys(selectorRequirements(merged))).to.deep.equal(['region']);
    });

    it('is an empty selector when both sides are empty', () => {
      expect(andSelectors(undefined, {})).to.deep.equal({});
    });
  });

  describe('unsatisfiableKeys', () => {
    const reqs = (selector: Parameters<typeof selectorRequirements>[0]) => unsatisfiableKeys(selectorRequirements(selector));

    it('finds In sets with an empty intersection', () => {
      expect(
        reqs({
          matchExpressions: [
            { key: 'r', operator: 'In', values: ['a', 'b'] },
            { key: 'r', operator: 'In', values: ['c'] },
          ],
        }),
      ).to.deep.equal(['r']);
      expect(
        reqs({
          matchExpressions: [
            { key: 'r', operator: 'In', values: ['a', 'b'] },
            { key: 'r', operator: 'In', values: ['b', 'c'] },
          ],
        }),
      ).to.deep.equal([]);
    });

    it('finds values excluded by NotIn and existence contradictions', () => {
      expect(reqs({ matchLabels: { r: 'a' }, matchExpressions: [{ key: 'r', operator: 'NotIn', values: ['a'] }] })).to.deep.equal(['r']);
      expect(reqs({ matchLabels: { r: 'a' }, matchExpressions: [{ key: 'r', operator: 'DoesNotExist' }] })).to.deep.equal(['r']);
      expect(
        reqs({
          matchExpressions: [
            { key: 'r', operator: 'Exists' },
            { key: 'r', operator: 'DoesNotExist' },
          ],
        }),
      ).to.deep.equal(['r']);
      expect(
        reqs({
          matchExpressions: [
            { key: 'r', operator: 'NotIn', values: ['a'] },
            { key: 'r', operator: 'DoesNotExist' },
          ],
        }),
      ).to.deep.equal([]);
    });
  });

  describe('parseSelectorString', () => {
    it('reads equality, set and existence requirements', () => {
      const parsed = parseSelectorString('env=prod, tier != gold,zone in (a, b),team notin (x),acme.tree.canopy.dev/depth,!legacy,k==v');
      expect(parsed).to.deep.equal({
        ok: true,
        requirements: [
          { key: 'env', operator: 'In', values: ['prod'] },
          { key: 'tier', operator: 'NotIn', values: ['gold'] },
          { key: 'zone', operator: 'In', values: ['a', 'b'] },
          { key: 'team', operator: 'NotIn', values: ['x'] },
          { key: 'acme.tree.canopy.dev/depth', operator: 'Exists' },
          { key: 'legacy', operator: 'DoesNotExist' },
          { key: 'k', operator: 'In', values: ['v'] },
        ],
      });
    });

    it('treats an empty string as match-everything', () => {
      const parsed = parseSelectorString('  ');
      expect(parsed.ok).to.equal(true);
      if (parsed.ok) expect(matchesRequirements(parsed.requirements, {})).to.equal(true);
    });

    for (const bad of ['a=b,', 'a in ()', 'a in (b', 'a > 3', '=b', 'a=b=c', 'a in (b,)']) {
      it(`rejects "${bad}"`, () => {
        const parsed = parseSelectorString(bad);
        expect(parsed.ok).to.equal(false);
        if (!parsed.ok) expect(parsed.error).to.contain(bad);
      });
    }
  });

  it('describes the requirements on a key', () => {
    const reqs = selectorRequirements({
      matchLabels: { region: 'eu' },
      matchExpressions: [
        { key: 'tier', operator: 'In', values: ['a', 'b'] },
        { key: 'tier', operator: 'NotIn', values: ['c'] },
        { key: 'x', operator: 'DoesNotExist' },
      ],
    });
    expect(describeRequirements(reqs, 'region')).to.equal('region=eu');
    expect(describeRequirements(reqs, 'tier')).to.equal('tier in (a, b), tier!=c');
    expect(describeRequirements(reqs, 'x')).to.equal('!x');
  });
});
