import { expect } from 'chai';
import { Forest } from '../../hierarchy/forest.js';
import { chainOwners, ownersClusterRole, ownersClusterRoleBinding, ownersRoleBinding } from './owner-rbac.js';

describe("owners' RBAC", () => {
  const forest = new Forest();
  forest.setWorkspace('acme', '', {
    owners: [
      { kind: 'User', name: 'alice' },
      { kind: 'Group', name: 'platform' },
    ],
  });
  forest.setWorkspace('team', 'acme', {
    owners: [
      { kind: 'User', name: 'bob' },
      { kind: 'User', name: 'alice' },
    ],
  });
  forest.setWorkspace('app', 'team', { owners: [{ kind: 'ServiceAccount', name: 'deployer', namespace: 'ci' }] });

  it('binds the owners of the workspace and of every ancestor, once each', () => {
    expect(chainOwners(forest, 'app')).to.deep.equal([
      { kind: 'User', name: 'alice', apiGroup: 'rbac.authorization.k8s.io' },
      { kind: 'Group', name: 'platform', apiGroup: 'rbac.authorization.k8s.io' },
      { kind: 'User', name: 'bob', apiGroup: 'rbac.authorization.k8s.io' },
      { kind: 'ServiceAccount', name: 'deployer', namespace: 'ci' },
    ]);
    expect(chainOwners(forest, 'acme').map((s) => s.name)).to.deep.equal(['alice', 'platform']);
  });

  it('scopes update and delete to the workspace itself and its own logical clusters', () => {
    const role = ownersClusterRole('team', ['shop-b', 'shop-a']) as { rules: Array<{ resources: string[]; verbs: string[]; resourceNames?: string[] }> };
    expect(role.rules).to.deep.equal([
      { apiGroups: ['canopy.dev'], resources: ['workspaces', 'logicalclusters'], verbs: ['get', 'list', 'watch', 'create'] },
      { apiGroups: ['canopy.dev'], resources: ['workspaces'], verbs: ['update', 'patch', 'delete'], resourceNames: ['team'] },
      { apiGroups: ['canopy.dev'], resources: ['logicalclusters'], verbs: ['update', 'patch', 'delete'], resourceNames: ['shop-a', 'shop-b'] },
    ]);
  });

  it('leaves the logical-cluster rule out rather than grant every name', () => {
    const role = ownersClusterRole('team', []) as { rules: Array<{ resources: string[]; resourceNames?: string[] }> };
    expect(role.rules.every((r) => !r.resources.includes('logicalclusters') || r.resourceNames === undefined || r.resourceNames.length > 0)).to.equal(true);
    expect(role.rules.filter((r) => r.resourceNames !== undefined)).to.have.length(1);
  });

  it('labels everything it makes with managed-by and the workspace', () => {
    for (const object of [ownersClusterRole('team', []), ownersClusterRoleBinding('team', []), ownersRoleBinding('team', 'team', [])]) {
      expect(object.metadata!.labels).to.deep.equal({ 'canopy.dev/managed-by': 'canopy', 'canopy.dev/workspace': 'team' });
    }
    expect((ownersRoleBinding('team', 'shop', []) as { roleRef: { name: string } }).roleRef.name).to.equal('admin');
  });
});
