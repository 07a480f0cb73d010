import { expect } from 'chai';
import type { KubeObject } from './object.js';
import { labelIndex, NAMESPACE_INDEX, OWNER_UID_INDEX, Store } from './store.js';

function cm(namespace: string, name: string, labels: Record<string, string> = {}, owners: string[] = [], rv = '1'): KubeObject {
  return {
    apiVersion: 'v1',
    kind: 'ConfigMap',
    metadata: { namespace, name, labels, resourceVersion: rv, ownerReferences: owners.map((uid) => ({ apiVersion: 'v1', kind: 'Thing', name: uid, uid })) },
  };
}

describe('Store', () => {
  it('indexes by namespace and owner uid, and follows updates and deletes', () => {
    const store = new Store();
    store.upsert(cm('a', 'one', {}, ['u1']));
    store.upsert(cm('a', 'two', {}, ['u1', 'u2']));
    store.upsert(cm('b', 'one'));
    expect(store.byIndex(NAMESPACE_INDEX, 'a').map((o) => o.metadata?.name)).to.have.members(['one', 'two']);
    expect(store.byIndex(OWNER_UID_INDEX, 'u1')).to.have.length(2);
    store.upsert(cm('a', 'two', {}, ['u2'], '2'));
    expect(store.byIndex(OWNER_UID_INDEX, 'u1').map((o) => o.metadata?.name)).to.deep.equal(['one']);
    expect(store.byIndex(OWNER_UID_INDEX, 'u2')[0]?.metadata?.resourceVersion).to.equal('2');
    store.delete('a/one');
    expect(store.byIndex(OWNER_UID_INDEX, 'u1')).to.deep.equal([]);
    expect(store.indexValues(OWNER_UID_INDEX)).to.deep.equal(['u2']);
    expect(store.get('b/one')?.metadata?.name).to.equal('one');
    expect(store.size).to.equal(2);
  });

  it('builds a custom index over objects already stored', () => {
    const store = new Store();
    store.upsert(cm('a', 'x', { team: 'red' }));
    store.upsert(cm('b', 'y', { team: 'blue' }));
    store.upsert(cm('c', 'z'));
    store.addIndexer('label:team', labelIndex('team'));
    expect(store.byIndex('label:team', 'red').map((o) => o.metadata?.name)).to.deep.equal(['x']);
    store.upsert(cm('c', 'z', { team: 'red' }));
    expect(store.byIndex('label:team', 'red')).to.have.length(2);
    expect(() => store.byIndex('missing', 'v')).to.throw(/no index named missing/);
  });

  it('keys cluster-scoped objects by name', () => {
    const store = new Store();
    store.upsert({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'team-a' } });
    expect(store.get('team-a')?.kind).to.equal('Namespace');
    expect(store.indexValues(NAMESPACE_INDEX)).to.deep.equal([]);
  });
});
