import { expect } from 'chai';
import { readFileSync } from 'node:fs';
import { parseAllDocuments } from 'yaml';
import { PRESETS } from '../logicalcluster/capabilities.js';
import { ownersClusterRole } from '../workspace/owner-rbac.js';

type Rule = { apiGroups?: readonly string[]; resources?: readonly string[]; verbs?: readonly string[] };

/** Whether a rule could grant writing ClusterPropagatedObjects (by name or by wildcard). */
function grantsClusterPropagatedObjects(rule: Rule): boolean {
  const group = (rule.apiGroups ?? []).some((g) => g === 'canopy.dev' || g === '*');
  const resource = (rule.resources ?? []).some((r) => r === 'clusterpropagatedobjects' || r === '*');
  const write = (rule.verbs ?? []).some((v) => ['create', 'update', 'patch', 'delete', '*'].includes(v));
  return group && resource && write;
}

describe('propagation: who may write ClusterPropagatedObjects', () => {
  it('no tenant capability preset grants them, not even through a wildcard', () => {
    for (const [preset, rules] of Object.entries(PRESETS)) {
      expect(
        rules.filter((r) => grantsClusterPropagatedObjects(r as Rule)),
        preset,
      ).to.deep.equal([]);
    }
  });

  it("a workspace owner's ClusterRole does not grant them", () => {
    const role = ownersClusterRole('acme', ['shop']) as { rules: Rule[] };
    expect(role.rules.filter(grantsClusterPropagatedObjects)).to.deep.equal([]);
  });

  it('the operator may read them and write their status and its finalizer, but never create one', () => {
    const docs = parseAllDocuments(readFileSync(new URL('../../../config/rbac/cluster_role.yaml', import.meta.url), 'utf8')).map(
      (d) => d.toJS() as { rules?: Rule[] },
    );
    const rules = docs.flatMap((d) => d?.rules ?? []).filter((r) => (r.resources ?? []).includes('clusterpropagatedobjects'));
    expect(rules).to.have.length(1);
    expect(rules[0]?.verbs).to.not.include('create');
    expect(docs.flatMap((d) => d?.rules ?? []).some((r) => (r.resources ?? []).includes('clusterpropagatedobjects/status'))).to.equal(true);
  });
});
