import { expect } from 'chai';
import type { AdmissionInput } from '../../webhooks/request.js';
import type { NamespaceLike } from '../../webhooks/tree.js';
import { denialMessage } from '../../webhooks/verdict.js';
import { validateNamespaceTreeLabels } from './treeLabelValidator.js';

const ns = (labels: Record<string, string>): NamespaceLike => ({ metadata: { name: 'shop', labels } });
const tenant = { username: 'alice', groups: ['system:authenticated'], admin: false };

function input(operation: 'CREATE' | 'UPDATE', object: NamespaceLike, oldObject?: NamespaceLike, admin = false): AdmissionInput<NamespaceLike> {
  return { operation, object, oldObject, requester: { ...tenant, admin } };
}

describe('namespace tree labels (admission)', () => {
  it('refuses a namespace created with a hierarchy label, naming the label', () => {
    const verdict = validateNamespaceTreeLabels(input('CREATE', ns({ 'acme.tree.canopy.dev/depth': '1', team: 'x' })));
    expect(verdict.allowed).to.equal(false);
    if (verdict.allowed) return;
    expect(denialMessage(verdict.denial)).to.equal(
      'metadata.labels["acme.tree.canopy.dev/depth"]: hierarchy labels (*.tree.canopy.dev/depth) are set by Canopy from the Workspace tree; alice may not add them (change the Workspace\'s parent instead)',
    );
  });

  it('refuses removing or changing one on an update', () => {
    const inTree = ns({ 'acme.tree.canopy.dev/depth': '1', 'team.tree.canopy.dev/depth': '0' });
    const removed = validateNamespaceTreeLabels(input('UPDATE', ns({ 'team.tree.canopy.dev/depth': '0' }), inTree));
    expect(!removed.allowed && removed.denial.reason).to.contain('may not remove');
    const changed = validateNamespaceTreeLabels(input('UPDATE', ns({ 'acme.tree.canopy.dev/depth': '5', 'team.tree.canopy.dev/depth': '0' }), inTree));
    expect(!changed.allowed && changed.denial.field).to.equal('metadata.labels["acme.tree.canopy.dev/depth"]');
  });

  it('passes every other change to a namespace in the tree, and namespaces without hierarchy labels', () => {
    const inTree = ns({ 'acme.tree.canopy.dev/depth': '1' });
    expect(validateNamespaceTreeLabels(input('UPDATE', ns({ 'acme.tree.canopy.dev/depth': '1', owner: 'alice' }), inTree)).allowed).to.equal(true);
    expect(validateNamespaceTreeLabels(input('CREATE', ns({ 'canopy.dev/workspace': 'acme', 'tree.example.com/depth': '1' }))).allowed).to.equal(true);
  });

  it('lets administrators (and Canopy itself) set them', () => {
    expect(validateNamespaceTreeLabels(input('CREATE', ns({ 'acme.tree.canopy.dev/depth': '1' }), undefined, true)).allowed).to.equal(true);
  });
});
