import { expect } from 'chai';
import { compileRule, compileRules, objectKey } from './cel.js';

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
});
