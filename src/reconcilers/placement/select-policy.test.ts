import { expect } from 'chai';
import { namespaceInWorkspace, selectPolicy, type SelectablePolicy } from './select-policy.js';

const deployment = { apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'web', namespace: 'shop', labels: { app: 'web', tier: 'front' } } };
const ns = { name: 'shop', labels: { 'canopy.dev/workspace': 'team-a', 'team-a.tree.canopy.dev/depth': '0', 'acme.tree.canopy.dev/depth': '1' } };

function policy(name: string, priority: number | undefined, selector: Record<string, unknown> = {}): SelectablePolicy {
  return {
    metadata: { name },
    spec: { ...(priority !== undefined ? { priority } : {}), resourceSelectors: [{ apiVersion: 'apps/v1', kind: 'Deployment', ...selector }] },
  };
}

describe('propagation/select-policy', () => {
  it('picks the highest priority among matching policies', () => {
    const sel = selectPolicy(deployment, [policy('low', 1), policy('high', 10), policy('default', undefined)], ns);
    expect(sel?.policy.metadata.name).to.equal('high');
    expect(sel?.tiedWith).to.deep.equal([]);
  });

  it('breaks ties by name and reports the others', () => {
    const sel = selectPolicy(deployment, [policy('zeta', 5), policy('alpha', 5), policy('mid', 5), policy('lower', 1)], ns);
    expect(sel?.policy.metadata.name).to.equal('alpha');
    expect(sel?.tiedWith).to.deep.equal(['mid', 'zeta']);
  });

  it('requires every field of a selector to hold: kind, labels, namespaces, workspace', () => {
    expect(selectPolicy(deployment, [{ metadata: { name: 'svc' }, spec: { resourceSelectors: [{ apiVersion: 'v1', kind: 'Service' }] } }], ns)).to.equal(
      undefined,
    );
    expect(selectPolicy(deployment, [policy('l', 0, { labelSelector: { matchLabels: { tier: 'back' } } })], ns)).to.equal(undefined);
    expect(selectPolicy(deployment, [policy('n', 0, { namespaces: ['other'] })], ns)).to.equal(undefined);
    expect(selectPolicy(deployment, [policy('w', 0, { workspace: 'team-b' })], ns)).to.equal(undefined);
    const all = policy('all', 0, {
      labelSelector: { matchExpressions: [{ key: 'tier', operator: 'In', values: ['front'] }] },
      namespaces: ['shop'],
      workspace: 'acme',
    });
    expect(selectPolicy(deployment, [all], ns)?.policy.metadata.name).to.equal('all');
  });

  it('matches a workspace selector across the whole subtree via tree labels', () => {
    expect(namespaceInWorkspace(ns, 'acme')).to.equal(true);
    expect(namespaceInWorkspace(ns, 'team-a')).to.equal(true);
    expect(namespaceInWorkspace({ name: 'x', labels: { 'canopy.dev/workspace': 'team-a' } }, 'team-a')).to.equal(true);
    expect(namespaceInWorkspace(ns, 'globex')).to.equal(false);
  });

  it('ignores policies being deleted', () => {
    const dying = { metadata: { name: 'a', deletionTimestamp: '2025-01-01T00:00:00Z' }, spec: policy('a', 100).spec };
    expect(selectPolicy(deployment, [dying, policy('b', 0)], ns)?.policy.metadata.name).to.equal('b');
  });
});
