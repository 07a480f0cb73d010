import { expect } from 'chai';
import { cluster, deployment, policy, workspace } from '../../../../test/support/placement-fixtures.js';
import { reasonOf, runFilter } from '../../../../test/support/placement-run.js';
import { rulesFilter } from './rules.js';

const onprem = cluster('eu-1', { labels: { 'canopy.dev/onprem': 'true' } });
const cloud = cluster('eu-2', { labels: { 'canopy.dev/onprem': 'false' } });
const ONPREM_OR_LOW = "object.metadata.labels.criticality == 'low' || cluster.metadata.labels['canopy.dev/onprem'] == 'true'";

describe('placement filter Rules (CEL)', () => {
  it('is skipped without rules', () => {
    expect(runFilter(rulesFilter, {}, onprem)).to.equal('skipped');
  });

  it('evaluates rules over object and cluster', () => {
    const p = policy({ rules: [ONPREM_OR_LOW] });
    const high = deployment('db', { labels: { criticality: 'high' } });
    const low = deployment('batch', { labels: { criticality: 'low' } });
    expect(reasonOf(runFilter(rulesFilter, { policy: p, object: high }, onprem))).to.equal(undefined);
    expect(reasonOf(runFilter(rulesFilter, { policy: p, object: high }, cloud))).to.equal(`rule #1 \`${ONPREM_OR_LOW}\` evaluated to false`);
    expect(reasonOf(runFilter(rulesFilter, { policy: p, object: low }, cloud))).to.equal(undefined);
  });

  it('uses the rule message, and the workspace variable', () => {
    const p = policy({
      rules: [{ expression: "workspace.labels['jurisdiction'] == 'eu' || cluster.spec.region.startsWith('us')", message: 'US workspaces stay in the US' }],
    });
    const usWs = workspace('acme-us', undefined, { labels: { jurisdiction: 'us' } });
    expect(reasonOf(runFilter(rulesFilter, { policy: p, workspace: usWs }, cluster('eu-1', { region: 'eu-1' })))).to.equal(
      "rule #1 `workspace.labels['jurisdiction'] == 'eu' || cluster.spec.region.startsWith('us')`: US workspaces stay in the US",
    );
    expect(reasonOf(runFilter(rulesFilter, { policy: p, workspace: usWs }, cluster('us-1', { region: 'us-1' })))).to.equal(undefined);
  });

  it('sees integral JSON numbers as CEL ints', () => {
    const p = policy({ rules: ['object.spec.replicas + 1 == 4 && size(cluster.spec.taints) == 0'] });
    expect(reasonOf(runFilter(rulesFilter, { policy: p, object: deployment('web', { replicas: 3 }) }, onprem))).to.equal(undefined);
  });

  it('turns an evaluation error into an exclusion with a hint, never a throw', () => {
    const p = policy({ rules: ["cluster.metadata.labels['compliance/pci'] == 'true'"] });
    expect(reasonOf(runFilter(rulesFilter, { policy: p }, onprem))).to.match(/could not be evaluated: .*compliance\/pci.*guard with has\(\)/);
  });

  it('turns a non-boolean result into an exclusion', () => {
    const p = policy({ rules: ['cluster.spec.region'] });
    expect(reasonOf(runFilter(rulesFilter, { policy: p }, onprem))).to.equal('rule #1 `cluster.spec.region` returned string instead of bool');
  });

  it('turns a rule that does not compile into an exclusion', () => {
    const p = policy({ rules: ['cluster.metadata.name ==', 'true'] });
    expect(reasonOf(runFilter(rulesFilter, { policy: p }, onprem))).to.match(/^rule #1 `cluster.metadata.name ==` does not compile: /);
  });

  it('gives the same answers from memoised outcomes as from fresh evaluation', () => {
    const p = policy({ rules: [ONPREM_OR_LOW, 'has(object.metadata.labels.team) && object.spec.replicas > 1'] });
    const objects = [
      deployment('a', { labels: { criticality: 'low', team: 'x' }, replicas: 2 }),
      deployment('b', { labels: { criticality: 'high', team: 'x' }, replicas: 2 }),
      deployment('c', { labels: { criticality: 'low' }, replicas: 2 }),
      deployment('d', { labels: { criticality: 'low', team: 'y' }, replicas: 1 }),
      deployment('e', {}),
    ];
    const expected = [
      [undefined, undefined],
      [undefined, 'false'],
      ['false', 'false'],
      ['false', 'false'],
      // No criticality label: rule 1 errors unless the cluster side makes the || true.
      ['false', 'error'],
    ];
    for (let round = 0; round < 3; round++) {
      objects.forEach((object, i) => {
        [onprem, cloud].forEach((c, j) => {
          const reason = reasonOf(runFilter(rulesFilter, { policy: p, object }, c));
          const kind = reason === undefined ? undefined : reason.includes('could not be evaluated') ? 'error' : 'false';
          expect(kind, `round ${round}, object ${object.metadata.name}, cluster ${c.metadata.name}`).to.equal(expected[i]![j]);
        });
      });
    }
  });
});
