import type { Rule } from '../../hierarchy/logical-cluster.js';
import { expect } from 'chai';
import { intersectRules, mergeRules, PRESETS, resolveCapabilities } from './capabilities.js';

function grants(rules: readonly Rule[], group: string, resource: string, verb: string): boolean {
  const has = (list: readonly string[], x: string) => list.includes('*') || list.includes(x);
  return rules.some((r) => has(r.apiGroups ?? [''], group) && has(r.resources, resource) && has(r.verbs, verb) && !r.resourceNames);
}

describe('logicalcluster capabilities', () => {
  it('defaults to the developer preset', () => {
    const { rules, narrowed } = resolveCapabilities(undefined);
    expect(narrowed).to.deep.equal([]);
    expect(grants(rules, 'apps', 'deployments', 'create')).to.equal(true);
    expect(grants(rules, '', 'configmaps', 'create')).to.equal(true);
    expect(grants(rules, 'rbac.authorization.k8s.io', 'rolebindings', 'create')).to.equal(false);
  });

  it('orders presets: viewer reads, developer writes workloads, admin manages RBAC in the namespace', () => {
    const viewer = resolveCapabilities({ preset: 'viewer' }).rules;
    const developer = resolveCapabilities({ preset: 'developer' }).rules;
    const admin = resolveCapabilities({ preset: 'admin' }).rules;
    expect(grants(viewer, 'apps', 'deployments', 'list')).to.equal(true);
    expect(grants(viewer, 'apps', 'deployments', 'create')).to.equal(false);
    expect(grants(viewer, '', 'secrets', 'get')).to.equal(false);
    expect(grants(developer, '', 'secrets', 'get')).to.equal(true);
    expect(grants(developer, 'networking.k8s.io', 'networkpolicies', 'delete')).to.equal(false);
    expect(grants(admin, 'networking.k8s.io', 'networkpolicies', 'delete')).to.equal(true);
    expect(grants(admin, 'rbac.authorization.k8s.io', 'roles', 'create')).to.equal(true);
  });

  it('never grants the namespace object, quota writes, escalate/bind/impersonate or cluster-scoped resources', () => {
    for (const preset of Object.keys(PRESETS)) {
      const { rules } = resolveCapabilities({ preset });
      for (const verb of ['get', 'update', 'patch', 'delete']) expect(grants(rules, '', 'namespaces', verb), `${preset} ${verb} namespaces`).to.equal(false);
      expect(grants(rules, '', 'resourcequotas', 'update')).to.equal(false);
      expect(grants(rules, '', 'limitranges', 'delete')).to.equal(false);
      expect(rules.some((r) => r.verbs.some((v) => ['escalate', 'bind', 'impersonate', '*'].includes(v)))).to.equal(false);
    }
    const { rules, narrowed } = resolveCapabilities({
      rules: [
        { apiGroups: [''], resources: ['namespaces', 'nodes'], verbs: ['get', 'update'] },
        { apiGroups: ['rbac.authorization.k8s.io'], resources: ['clusterrolebindings', 'roles'], verbs: ['create', 'escalate', 'bind'] },
        { apiGroups: [''], resources: ['resourcequotas'], verbs: ['get', 'update'] },
      ],
    });
    expect(grants(rules, '', 'namespaces', 'get')).to.equal(false);
    expect(grants(rules, '', 'nodes', 'get')).to.equal(false);
    expect(grants(rules, 'rbac.authorization.k8s.io', 'clusterrolebindings', 'create')).to.equal(false);
    expect(grants(rules, 'rbac.authorization.k8s.io', 'roles', 'create')).to.equal(true);
    expect(grants(rules, '', 'resourcequotas', 'get')).to.equal(true);
    expect(grants(rules, '', 'resourcequotas', 'update')).to.equal(false);
    expect(narrowed.join('\n'))
      .to.match(/namespaces is never granted/)
      .and.match(/nodes is cluster-scoped/)
      .and.match(/escalate, bind/)
      .and.match(/resourcequotas can only be read/);
  });

  it('caps explicit rules at the workspace allowance and says what was cut', () => {
    const allowance: Rule[] = [{ apiGroups: [''], resources: ['configmaps', 'pods'], verbs: ['get', 'list'] }];
    const { rules, narrowed } = resolveCapabilities(
      { rules: [{ apiGroups: [''], resources: ['configmaps', 'secrets'], verbs: ['get', 'delete'] }] },
      allowance,
    );
    expect(rules).to.deep.equal([{ apiGroups: [''], resources: ['configmaps'], verbs: ['get'] }]);
    expect(narrowed).to.have.length(1);
    expect(narrowed[0])
      .to.include('rules[0]')
      .and.include('delete configmaps')
      .and.include('get/delete secrets')
      .and.include('exceeds what the workspace allows');
  });

  it('narrows wildcards to the allowance instead of passing them through', () => {
    const { rules, narrowed } = resolveCapabilities({ rules: [{ apiGroups: ['apps'], resources: ['*'], verbs: ['*'] }] });
    expect(grants(rules, 'apps', 'deployments', 'create')).to.equal(true);
    expect(rules.every((r) => !r.resources.includes('*') && !r.verbs.includes('*'))).to.equal(true);
    expect(narrowed.join()).to.include('wildcard');
    const core = resolveCapabilities({ rules: [{ apiGroups: [''], resources: ['*'], verbs: ['get'] }] });
    expect(core.rules).to.deep.equal([]);
    expect(core.narrowed.join()).to.include('would include the namespace itself');
  });

  it('refuses an unknown preset', () => {
    expect(resolveCapabilities({ preset: 'root' }).invalid).to.include('unknown capabilities preset "root"');
  });

  it('intersects rules dimension by dimension, with * and resourceNames', () => {
    expect(
      intersectRules({ apiGroups: ['*'], resources: ['pods'], verbs: ['*'] }, { apiGroups: [''], resources: ['pods', 'services'], verbs: ['get'] }),
    ).to.deep.equal({
      apiGroups: [''],
      resources: ['pods'],
      verbs: ['get'],
    });
    expect(intersectRules({ resources: ['pods'], verbs: ['get'] }, { apiGroups: ['apps'], resources: ['pods'], verbs: ['get'] })).to.equal(undefined);
    expect(
      intersectRules({ resources: ['secrets'], verbs: ['get'], resourceNames: ['a'] }, { resources: ['secrets'], verbs: ['get'], resourceNames: ['b'] }),
    ).to.equal(undefined);
  });

  it('merges rules deterministically', () => {
    const a = mergeRules([
      { apiGroups: [''], resources: ['pods'], verbs: ['list', 'get'] },
      { apiGroups: [''], resources: ['configmaps'], verbs: ['get', 'list'] },
      { apiGroups: [''], resources: ['pods'], verbs: ['get'] },
    ]);
    expect(a).to.deep.equal([{ apiGroups: [''], resources: ['configmaps', 'pods'], verbs: ['get', 'list'] }]);
    expect(mergeRules([...a].reverse())).to.deep.equal(a);
  });
});
