import { expect } from 'chai';
import { namespaceMembership, type MembershipOwner } from './membership.js';

const labels = (workspace: string, logicalCluster: string) => ({ 'canopy.dev/workspace': workspace, 'canopy.dev/logical-cluster': logicalCluster });
const lc = (name: string, workspace: string, namespaces?: string[]): MembershipOwner => ({
  metadata: { name },
  spec: { workspace, ...(namespaces ? { namespaces } : {}) },
});

describe('namespace membership', () => {
  it('attaches a namespace its LogicalCluster materializes, in the workspace it belongs to', () => {
    expect(namespaceMembership('shop', labels('team', 'shop'), lc('shop', 'team'))).to.deep.equal({
      kind: 'attach',
      workspace: 'team',
      logicalCluster: 'shop',
    });
    expect(namespaceMembership('shop-db', labels('team', 'shop'), lc('shop', 'team', ['', 'db']))).to.deep.equal({
      kind: 'attach',
      workspace: 'team',
      logicalCluster: 'shop',
    });
  });

  it('ignores a claim on a LogicalCluster that is missing, of another workspace, or does not list the namespace', () => {
    expect(namespaceMembership('shop', labels('team', 'shop'), undefined)).to.deep.equal({ kind: 'ignore', reason: 'LogicalCluster shop does not exist' });
    expect(namespaceMembership('shop', labels('evil', 'shop'), lc('shop', 'team'))).to.deep.equal({
      kind: 'ignore',
      reason: 'LogicalCluster shop belongs to workspace team, not evil',
    });
    expect(namespaceMembership('forged', labels('team', 'shop'), lc('shop', 'team'))).to.deep.equal({
      kind: 'ignore',
      reason: 'LogicalCluster shop does not list namespace forged',
    });
    expect(namespaceMembership('shop-cache', labels('team', 'shop'), lc('shop', 'team', ['db'])).kind).to.equal('ignore');
    // Without a suffix list only the bare name is materialized.
    expect(namespaceMembership('shop-db', labels('team', 'shop'), lc('shop', 'team')).kind).to.equal('ignore');
  });

  it('says nothing about namespaces without both labels, and home namespaces', () => {
    expect(namespaceMembership('team', { 'canopy.dev/workspace': 'team' }, undefined)).to.deep.equal({ kind: 'none' });
    expect(namespaceMembership('shop', { 'canopy.dev/logical-cluster': 'shop' }, lc('shop', 'team'))).to.deep.equal({ kind: 'none' });
    expect(namespaceMembership('team', labels('team', 'shop'), lc('shop', 'team'))).to.deep.equal({ kind: 'none' });
  });
});
