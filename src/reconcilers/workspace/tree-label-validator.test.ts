import { expect } from 'chai';
import type { AdmissionInput } from '../../admission/request.js';
import type { NamespaceLike } from '../../admission/tree.js';
import { denialMessage } from '../../admission/verdict.js';
import { validateNamespaceTreeLabels } from './tree-label-validator.js';

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

  it('passes every other change to a namespace in the tree, and namespaces without Canopy labels', () => {
    const inTree = ns({ 'acme.tree.canopy.dev/depth': '1', 'canopy.dev/workspace': 'acme', 'canopy.dev/logical-cluster': 'shop' });
    const edited = ns({ 'acme.tree.canopy.dev/depth': '1', 'canopy.dev/workspace': 'acme', 'canopy.dev/logical-cluster': 'shop', owner: 'alice' });
    expect(validateNamespaceTreeLabels(input('UPDATE', edited, inTree)).allowed).to.equal(true);
    expect(validateNamespaceTreeLabels(input('CREATE', ns({ 'example.com/workspace': 'acme', 'tree.example.com/depth': '1' }))).allowed).to.equal(true);
  });

  it('refuses adding, changing or removing a membership label, naming it', () => {
    const joined = validateNamespaceTreeLabels(input('CREATE', ns({ 'canopy.dev/workspace': 'acme', 'canopy.dev/logical-cluster': 'shop' })));
    expect(joined.allowed).to.equal(false);
    if (joined.allowed) return;
    expect(denialMessage(joined.denial)).to.equal(
      'metadata.labels["canopy.dev/logical-cluster"]: membership labels (canopy.dev/workspace, canopy.dev/logical-cluster, canopy.dev/managed-by, canopy.dev/inherited-from) are set by Canopy on the namespaces it creates for a Workspace or LogicalCluster; alice may not add them (Canopy creates a LogicalCluster\'s namespaces from its spec.namespaces)',
    );
    const member = ns({ 'canopy.dev/workspace': 'acme', 'canopy.dev/managed-by': 'canopy' });
    const moved = validateNamespaceTreeLabels(input('UPDATE', ns({ 'canopy.dev/workspace': 'evil', 'canopy.dev/managed-by': 'canopy' }), member));
    expect(!moved.allowed && moved.denial.field).to.equal('metadata.labels["canopy.dev/workspace"]');
    expect(!moved.allowed && moved.denial.reason).to.contain('may not change');
    const released = validateNamespaceTreeLabels(input('UPDATE', ns({ 'canopy.dev/workspace': 'acme' }), member));
    expect(!released.allowed && released.denial.field).to.equal('metadata.labels["canopy.dev/managed-by"]');
    expect(!released.allowed && released.denial.reason).to.contain('may not remove');
    const copy = validateNamespaceTreeLabels(input('CREATE', ns({ 'canopy.dev/inherited-from': 'acme' })));
    expect(copy.allowed).to.equal(false);
  });

  it('lets administrators (and Canopy itself) set them', () => {
    expect(validateNamespaceTreeLabels(input('CREATE', ns({ 'acme.tree.canopy.dev/depth': '1' }), undefined, true)).allowed).to.equal(true);
    expect(
      validateNamespaceTreeLabels(input('CREATE', ns({ 'canopy.dev/workspace': 'acme', 'canopy.dev/logical-cluster': 'shop' }), undefined, true)).allowed,
    ).to.equal(true);
  });
});
