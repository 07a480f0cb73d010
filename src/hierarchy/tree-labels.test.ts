import { expect } from 'chai';
import { Forest } from './forest.js';
import { matchesSelector } from '../kube/label-selector.js';
import { isTreeLabel, treeLabelChanges, treeLabelsForNamespace } from './tree-labels.js';

describe('tree labels', () => {
  const forest = new Forest();
  forest.setWorkspace('acme', '');
  forest.setWorkspace('team-a', 'acme');
  forest.setWorkspace('app', 'team-a');
  forest.attachNamespace('shop', 'team-a', 'shop');
  forest.attachNamespace('shop-db', 'team-a', 'shop');

  it('labels a home namespace with every ancestor and itself at 0', () => {
    expect(treeLabelsForNamespace(forest, 'app')).to.deep.equal({
      'acme.tree.canopy.dev/depth': '2',
      'team-a.tree.canopy.dev/depth': '1',
      'app.tree.canopy.dev/depth': '0',
    });
    expect(treeLabelsForNamespace(forest, 'acme')).to.deep.equal({ 'acme.tree.canopy.dev/depth': '0' });
  });

  it('puts a LogicalCluster namespace one level below its workspace', () => {
    expect(treeLabelsForNamespace(forest, 'shop-db')).to.deep.equal({
      'acme.tree.canopy.dev/depth': '2',
      'team-a.tree.canopy.dev/depth': '1',
      'shop-db.tree.canopy.dev/depth': '0',
    });
  });

  it('lets one Exists requirement select a whole subtree, LogicalCluster namespaces included', () => {
    const subtree = { matchExpressions: [{ key: 'team-a.tree.canopy.dev/depth', operator: 'Exists' }] };
    const selected = ['acme', 'team-a', 'app', 'shop', 'shop-db'].filter((ns) => matchesSelector(subtree, treeLabelsForNamespace(forest, ns)!));
    expect(selected).to.deep.equal(['team-a', 'app', 'shop', 'shop-db']);
  });

  it('says nothing for unknown namespaces or halted workspaces', () => {
    const broken = new Forest();
    broken.setWorkspace('a', 'b');
    broken.setWorkspace('b', 'a');
    broken.setWorkspace('orphan', 'gone');
    broken.attachNamespace('lc', 'a', 'lc');
    expect(treeLabelsForNamespace(broken, 'a')).to.equal(undefined);
    expect(treeLabelsForNamespace(broken, 'lc')).to.equal(undefined);
    expect(treeLabelsForNamespace(broken, 'orphan')).to.equal(undefined);
    expect(treeLabelsForNamespace(broken, 'nope')).to.equal(undefined);
  });

  it('computes the minimal edit and only ever removes tree labels', () => {
    const changes = treeLabelChanges(
      {
        'acme.tree.canopy.dev/depth': '1',
        'old-parent.tree.canopy.dev/depth': '1',
        'team.tree.canopy.dev/depth': '0',
        'kubernetes.io/metadata.name': 'team',
        owner: 'alice',
      },
      { 'acme.tree.canopy.dev/depth': '2', 'mid.tree.canopy.dev/depth': '1', 'team.tree.canopy.dev/depth': '0' },
    );
    expect(changes).to.deep.equal({
      set: { 'acme.tree.canopy.dev/depth': '2', 'mid.tree.canopy.dev/depth': '1' },
      remove: ['old-parent.tree.canopy.dev/depth'],
    });
    expect(treeLabelChanges(undefined, { 'a.tree.canopy.dev/depth': '0' })).to.deep.equal({
      set: { 'a.tree.canopy.dev/depth': '0' },
      remove: [],
    });
    expect(isTreeLabel('x.tree.canopy.dev/depth')).to.equal(true);
    expect(isTreeLabel('canopy.dev/workspace')).to.equal(false);
  });
});
