import { expect } from 'chai';
import { planNamespaces } from '../../hierarchy/logical-cluster-namespaces.js';
import { belongsTo, ownershipLabels, ownershipSelector } from './names.js';

describe('logicalcluster names', () => {
  it('materializes <lc> by default and <lc>-<suffix> per spec.namespaces, in order', () => {
    expect(planNamespaces({ metadata: { name: 'shop' }, spec: { workspace: 'w' } })).to.deep.equal({ ok: true, namespaces: ['shop'] });
    expect(planNamespaces({ metadata: { name: 'shop' }, spec: { workspace: 'w', namespaces: [] } })).to.deep.equal({ ok: true, namespaces: ['shop'] });
    expect(planNamespaces({ metadata: { name: 'shop' }, spec: { workspace: 'w', namespaces: ['web', 'db'] } })).to.deep.equal({
      ok: true,
      namespaces: ['shop-web', 'shop-db'],
    });
  });

  it('refuses names that cannot be namespaces', () => {
    const long = planNamespaces({ metadata: { name: 'a'.repeat(60) }, spec: { workspace: 'w', namespaces: ['toolong'] } });
    expect(long.ok).to.equal(false);
    const dup = planNamespaces({ metadata: { name: 'shop' }, spec: { workspace: 'w', namespaces: ['web', 'web'] } });
    expect(dup).to.deep.equal({ ok: false, reason: 'spec.namespaces names "shop-web" twice' });
  });

  it('labels and recognises what belongs to a logical cluster', () => {
    const labels = ownershipLabels('shop', 'team-a');
    expect(labels).to.deep.equal({ 'canopy.dev/managed-by': 'canopy', 'canopy.dev/workspace': 'team-a', 'canopy.dev/logical-cluster': 'shop' });
    expect(belongsTo(labels, 'shop')).to.equal(true);
    expect(belongsTo(labels, 'other')).to.equal(false);
    expect(belongsTo({ 'canopy.dev/logical-cluster': 'shop' }, 'shop')).to.equal(false); // not managed by Canopy
    expect(ownershipSelector('shop')).to.equal('canopy.dev/managed-by=canopy,canopy.dev/logical-cluster=shop');
  });
});
