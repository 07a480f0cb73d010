import { expect } from 'chai';
import { accessKey, AccessRules, dependencyAccessChecks, guessPlural, placementAccessChecks, placementRefCheck, qualified } from './author-access.js';

const alice = { username: 'alice' };

describe('author access checks', () => {
  it('asks for create on the resource in the namespace', () => {
    const checks = placementAccessChecks({ field: 'spec.template', group: 'apps', kind: 'Deployment', resource: 'deployments' }, 'shop');
    expect(checks.map((c) => c.attributes)).to.deep.equal([{ verb: 'create', group: 'apps', resource: 'deployments', namespace: 'shop' }]);
    expect(checks[0]!.refusal(alice)).to.equal(
      'user "alice" may not create deployments.apps in namespace "shop", so a PropagatedObject may not place one there either',
    );
  });

  it('asks for bind on the role a RoleBinding refers to', () => {
    const object = { roleRef: { kind: 'ClusterRole', name: 'cluster-admin' } };
    const checks = placementAccessChecks(
      { field: 'spec.template', group: 'rbac.authorization.k8s.io', kind: 'RoleBinding', resource: 'rolebindings', object },
      'shop',
    );
    expect(checks.map((c) => [c.rule, c.attributes])).to.deep.equal([
      [AccessRules.create, { verb: 'create', group: 'rbac.authorization.k8s.io', resource: 'rolebindings', namespace: 'shop' }],
      [AccessRules.bind, { verb: 'bind', group: 'rbac.authorization.k8s.io', resource: 'clusterroles', namespace: 'shop', name: 'cluster-admin' }],
    ]);
    expect(checks[1]!.field).to.equal('spec.template.roleRef');
    const toRole = placementAccessChecks(
      {
        field: 'spec.template',
        group: 'rbac.authorization.k8s.io',
        kind: 'RoleBinding',
        resource: 'rolebindings',
        object: { roleRef: { kind: 'Role', name: 'reader' } },
      },
      'shop',
    );
    expect(toRole[1]!.attributes).to.deep.equal({ verb: 'bind', group: 'rbac.authorization.k8s.io', resource: 'roles', namespace: 'shop', name: 'reader' });
  });

  it('asks for escalate before a Role is placed', () => {
    const checks = placementAccessChecks({ field: 'spec.sourceRef', group: 'rbac.authorization.k8s.io', kind: 'Role', resource: 'roles' }, 'shop');
    expect(checks[1]!.attributes).to.deep.equal({ verb: 'escalate', group: 'rbac.authorization.k8s.io', resource: 'roles', namespace: 'shop' });
    expect(checks[1]!.field).to.equal('spec.sourceRef.name');
  });

  it('asks for get on every ConfigMap, Secret and PVC that would follow the workload, not on ServiceAccounts', () => {
    const checks = dependencyAccessChecks(
      [
        { kind: 'Secret', name: 'db' },
        { kind: 'ConfigMap', name: 'settings' },
        { kind: 'ServiceAccount', name: 'runner' },
        { kind: 'PersistentVolumeClaim', name: 'data' },
      ],
      'shop',
    );
    expect(checks.map((c) => c.attributes)).to.deep.equal([
      { verb: 'get', group: '', resource: 'secrets', namespace: 'shop', name: 'db' },
      { verb: 'get', group: '', resource: 'configmaps', namespace: 'shop', name: 'settings' },
      { verb: 'get', group: '', resource: 'persistentvolumeclaims', namespace: 'shop', name: 'data' },
    ]);
    expect(checks[0]!.rule).to.equal(AccessRules.dependency);
    expect(checks[0]!.refusal(alice)).to.contain('uses Secret "db", which user "alice" may not read in namespace "shop"');
  });

  it('asks for use on a pinned policy, cluster-wide, and names both ways out', () => {
    const check = placementRefCheck('pci', 'Deployment');
    expect(check.attributes).to.deep.equal({ verb: 'use', group: 'canopy.dev', resource: 'placementpolicies', name: 'pci' });
    expect(check.refusal({ username: 'system:serviceaccount:shop:ci' })).to.equal(
      'PlacementPolicy "pci" does not select this Deployment and service account "shop/ci" may not use it; ' +
        'either change the object (or the policy\'s resourceSelectors) so the policy selects it, or have an administrator grant the verb "use" on placementpolicies.canopy.dev "pci"',
    );
  });

  it('keys cached answers by everything that can change them', () => {
    const a = { verb: 'create', group: 'apps', resource: 'deployments', namespace: 'shop' };
    const base = accessKey({ username: 'alice', groups: ['b', 'a'] }, a);
    expect(accessKey({ username: 'alice', groups: ['a', 'b'] }, a)).to.equal(base);
    expect(accessKey({ username: 'alice', groups: ['a'] }, a)).not.to.equal(base);
    expect(accessKey({ username: 'alice', groups: ['a', 'b'], extra: { scopes: ['x'] } }, a)).not.to.equal(base);
    expect(accessKey({ username: 'alice', groups: ['a', 'b'] }, { ...a, namespace: 'other' })).not.to.equal(base);
    expect(accessKey({ username: 'alice', groups: ['a', 'b'] }, { ...a, name: 'x' })).not.to.equal(base);
  });

  it('guesses plurals like kubectl for kinds the control plane does not serve', () => {
    expect(['Widget', 'Policy', 'Ingress', 'Gateway'].map(guessPlural)).to.deep.equal(['widgets', 'policies', 'ingresses', 'gateways']);
    expect(qualified('configmaps', '')).to.equal('configmaps');
  });
});
