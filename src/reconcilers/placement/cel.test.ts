import { expect } from 'chai';
import { compileRule, compileRules, MAX_POLICY_RULES_COST, MAX_RULE_COST, objectKey } from './cel.js';

describe('placement CEL rules', () => {
  it('compileRules accepts valid rules in both shapes', () => {
    expect(
      compileRules([
        "object.metadata.labels.criticality == 'low' || cluster.metadata.labels['canopy.dev/onprem'] == 'true'",
        { expression: "cluster.spec.taints.all(t, t.effect != 'NoExecute') && workspace.name != ''", message: 'x' },
        "type(object.spec) == map && cluster.metadata.name.matches('^eu-')",
      ]),
    ).to.deep.equal([]);
  });

  it('compileRules reports syntax errors, unknown variables and unknown functions with their index', () => {
    const errors = compileRules(['true', 'cluster.metadata.name ==', 'node.labels.x == "y"', 'frobnicate(cluster)', '  ']);
    expect(errors.map((e) => e.index)).to.deep.equal([1, 2, 3, 4]);
    expect(errors[1]!.message).to.equal("undeclared reference to 'node' (rules may use object, cluster and workspace)");
    expect(errors[2]!.message).to.equal("undeclared function 'frobnicate'");
    expect(errors[3]!.message).to.equal('expression is empty');
  });

  it('knows comprehension variables are bound', () => {
    expect(compileRules(['cluster.spec.taints.exists(t, t.key == object.metadata.name)'])).to.deep.equal([]);
  });

  it('memoises on exactly the object paths a rule reads', () => {
    const rule = compileRule("object.metadata.labels['tier'] == 'gold' && cluster.spec.region == 'eu-1'");
    if ('message' in rule) throw new Error(rule.message);
    expect(rule.objectPaths).to.deep.equal([['metadata', 'labels', 'tier']]);
    const a = objectKey(rule, { metadata: { name: 'a', labels: { tier: 'gold' } } });
    const b = objectKey(rule, { metadata: { name: 'b', labels: { tier: 'gold', other: 'x' } } });
    const c = objectKey(rule, { metadata: { name: 'c', labels: { tier: 'silver' } } });
    const noLabel = objectKey(rule, { metadata: { name: 'd', labels: {} } });
    const noLabels = objectKey(rule, { metadata: { name: 'e' } });
    expect(a).to.equal(b);
    expect(new Set([a, c, noLabel, noLabels]).size).to.equal(4);
  });

  it('does not memoise a rule that reads the whole object', () => {
    const rule = compileRule('size(object) > 0');
    if ('message' in rule) throw new Error(rule.message);
    expect(rule.objectPaths).to.equal('whole');
    expect(objectKey(rule, {})).to.equal(undefined);
  });

  it('refuses rules whose estimated cost would stall the operator, and a policy whose rules do together', () => {
    const list = (n: number): string => `[${Array.from({ length: n }, (_, i) => i).join(',')}]`;
    const nested = (n: number): string => `${list(n)}.all(a, ${list(n)}.exists(b, a + b < 0) || cluster.metadata.name != '')`;
    const fits = compileRule(nested(94));
    expect('cost' in fits && fits.cost, 'just under the limit').to.be.within(MAX_RULE_COST * 0.9, MAX_RULE_COST);
    expect(compileRule(nested(95)))
      .to.have.property('message')
      .that.matches(/estimated cost .* exceeds the limit of 100000/);
    // 4096 characters allow far worse: three levels over 100 elements each.
    expect(compileRule(`${list(100)}.all(a, ${list(100)}.all(b, ${list(100)}.all(c, a + b + c >= 0)))`))
      .to.have.property('message')
      .that.includes('exceeds the limit');
    // Ranges not known before evaluation count as 64 entries: two nested label loops still fit.
    expect(compileRule('cluster.metadata.labels.all(k, object.metadata.labels.exists(l, l == k))')).to.not.have.property('message');
    const errors = compileRules(Array.from({ length: 3 }, () => nested(94)));
    expect(errors.map((e) => e.index)).to.deep.equal([2]);
    expect(errors[0]!.message).to.include(`over the limit of ${MAX_POLICY_RULES_COST} for one policy`);
  });
});
