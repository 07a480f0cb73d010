import { expect } from 'chai';
import type { AdmissionRequest } from './admission.js';
import { finalizerPatch, finalizerReview } from './finalizers.js';

const request = (kind: string, operation: AdmissionRequest['operation'], object: unknown, group = 'canopy.dev'): AdmissionRequest => ({
  uid: 'u-1',
  kind: { group, version: 'v1alpha1', kind },
  resource: { group, version: 'v1alpha1', resource: `${kind.toLowerCase()}s` },
  operation,
  userInfo: { username: 'alice' },
  object,
});

describe('finalizers mutating webhook', () => {
  it('adds the cleanup finalizer to a created LogicalCluster or PropagatedObject that has no finalizers', () => {
    expect(finalizerPatch(request('LogicalCluster', 'CREATE', { metadata: { name: 'a' } }))).to.deep.equal([
      { op: 'add', path: '/metadata/finalizers', value: ['canopy.dev/logicalcluster-cleanup'] },
    ]);
    expect(finalizerPatch(request('PropagatedObject', 'CREATE', { metadata: { name: 'a', namespace: 'n' } }))).to.deep.equal([
      { op: 'add', path: '/metadata/finalizers', value: ['propagation.canopy.dev/cleanup'] },
    ]);
  });

  it('appends to finalizers others set, and adds nothing when it is already there', () => {
    expect(finalizerPatch(request('PropagatedObject', 'CREATE', { metadata: { finalizers: ['example.com/keep'] } }))).to.deep.equal([
      { op: 'add', path: '/metadata/finalizers/-', value: 'propagation.canopy.dev/cleanup' },
    ]);
    expect(finalizerPatch(request('PropagatedObject', 'CREATE', { metadata: { finalizers: ['propagation.canopy.dev/cleanup'] } }))).to.deep.equal([]);
  });

  it('touches no update, no other kind and no other group', () => {
    expect(finalizerPatch(request('LogicalCluster', 'UPDATE', { metadata: {} }))).to.deep.equal([]);
    expect(finalizerPatch(request('Workspace', 'CREATE', { metadata: {} }))).to.deep.equal([]);
    expect(finalizerPatch(request('LogicalCluster', 'CREATE', { metadata: {} }, 'example.com'))).to.deep.equal([]);
    expect(finalizerPatch(request('LogicalCluster', 'CREATE', null))).to.deep.equal([]);
  });

  it('always allows; the patch travels base64-encoded as a JSONPatch', () => {
    const review = finalizerReview(request('LogicalCluster', 'CREATE', { metadata: {} }));
    expect(review.response).to.include({ uid: 'u-1', allowed: true, patchType: 'JSONPatch' });
    expect(JSON.parse(Buffer.from(review.response!.patch!, 'base64').toString('utf8'))).to.deep.equal([
      { op: 'add', path: '/metadata/finalizers', value: ['canopy.dev/logicalcluster-cleanup'] },
    ]);
    const nothing = finalizerReview(request('LogicalCluster', 'UPDATE', { metadata: {} }));
    expect(nothing.response).to.deep.equal({ uid: 'u-1', allowed: true });
  });
});
