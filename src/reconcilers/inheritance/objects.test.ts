import { expect } from 'chai';
import { copyLabels, indexByNamespace, inheritedFrom, isCopy, objectKey, sourceReach } from './objects.js';

describe('propagation objects', () => {
  it('keys objects by group, kind and name, not version', () => {
    expect(objectKey({ apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'RoleBinding', name: 'admins' })).to.equal(
      'RoleBinding.rbac.authorization.k8s.io/admins',
    );
    expect(objectKey({ apiVersion: 'v1', kind: 'ConfigMap', name: 'x' })).to.equal('ConfigMap/x');
  });

  it('indexes objects by namespace and key', () => {
    const index = indexByNamespace([
      { apiVersion: 'v1', kind: 'ConfigMap', name: 'a', namespace: 'n1' },
      { apiVersion: 'v1', kind: 'ConfigMap', name: 'b', namespace: 'n1' },
      { apiVersion: 'v1', kind: 'Secret', name: 'a', namespace: 'n2' },
    ]);
    expect([...index.keys()]).to.deep.equal(['n1', 'n2']);
    expect([...index.get('n1')!.keys()]).to.deep.equal(['ConfigMap/a', 'ConfigMap/b']);
  });

  it('recognises only objects with both the inherited-from and managed-by labels as copies', () => {
    const labels = { 'canopy.dev/inherited-from': 'acme', 'canopy.dev/managed-by': 'canopy' };
    expect(isCopy({ labels })).to.equal(true);
    expect(inheritedFrom({ labels })).to.equal('acme');
    expect(isCopy({ labels: { 'canopy.dev/inherited-from': 'acme' } })).to.equal(false);
    expect(inheritedFrom({ labels: { 'canopy.dev/inherited-from': 'acme' } })).to.equal(undefined);
    expect(isCopy({})).to.equal(false);
  });

  it('labels a copy with its source namespace on top of the source labels', () => {
    expect(copyLabels({ apiVersion: 'v1', kind: 'ConfigMap', name: 'a', namespace: 'acme', labels: { app: 'x' } })).to.deep.equal({
      app: 'x',
      'canopy.dev/inherited-from': 'acme',
      'canopy.dev/managed-by': 'canopy',
    });
  });

  it('reads the none and select annotations', () => {
    const source = (annotations?: Record<string, string>) => ({ apiVersion: 'v1', kind: 'ConfigMap', name: 'a', namespace: 'acme', annotations });
    expect(sourceReach(source())).to.deep.equal({ kind: 'all' });
    expect(sourceReach(source({ 'propagate.canopy.dev/none': 'true' }))).to.deep.equal({ kind: 'none' });
    expect(sourceReach(source({ 'propagate.canopy.dev/none': 'false' }))).to.deep.equal({ kind: 'all' });
    expect(sourceReach(source({ 'propagate.canopy.dev/select': '' }))).to.deep.equal({ kind: 'all' });
    expect(sourceReach(source({ 'propagate.canopy.dev/select': 'env=prod' }))).to.deep.equal({
      kind: 'select',
      requirements: [{ key: 'env', operator: 'In', values: ['prod'] }],
    });
    const invalid = sourceReach(source({ 'propagate.canopy.dev/select': 'env in (' }));
    expect(invalid.kind).to.equal('invalid');
    // none wins over select: the stronger statement.
    expect(sourceReach(source({ 'propagate.canopy.dev/none': 'true', 'propagate.canopy.dev/select': 'env=prod' }))).to.deep.equal({ kind: 'none' });
  });
});
