import { expect } from 'chai';
import { requesterOf, type AdmissionRequest } from './admission.js';

function withUser(userInfo: unknown): AdmissionRequest {
  return {
    uid: 'u',
    kind: { group: '', version: 'v1', kind: 'Pod' },
    resource: { group: '', version: 'v1', resource: 'pods' },
    operation: 'CREATE',
    userInfo: userInfo as AdmissionRequest['userInfo'],
  };
}

describe('requesterOf', () => {
  it('carries uid and extra, so a SubjectAccessReview asks about exactly who the apiserver authenticated', () => {
    const requester = requesterOf(
      withUser({ username: 'alice', uid: 'alice-uid', groups: ['dev'], extra: { 'authentication.kubernetes.io/credential-id': ['JTI=1'] } }),
    );
    expect(requester).to.deep.equal({
      username: 'alice',
      groups: ['dev'],
      uid: 'alice-uid',
      extra: { 'authentication.kubernetes.io/credential-id': ['JTI=1'] },
      admin: false,
    });
  });

  it('drops what is not well-formed instead of trusting it', () => {
    const requester = requesterOf(withUser({ username: 7, uid: '', groups: ['ok', 3], extra: { good: ['a', 1], bad: 'x' } }));
    expect(requester).to.deep.equal({ username: '', groups: ['ok'], extra: { good: ['a'] }, admin: false });
    expect(requesterOf(withUser({ extra: ['not', 'a', 'map'] }))).to.deep.equal({ username: '', groups: [], admin: false });
  });
});
