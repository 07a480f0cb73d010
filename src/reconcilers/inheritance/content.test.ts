import { expect } from 'chai';
import { contentHash, copyFor, excludedReason, LAST_APPLIED_ANNOTATION, strip, withHash } from './content.js';
import { copyLabels } from './objects.js';

const source = {
  apiVersion: 'rbac.authorization.k8s.io/v1',
  kind: 'RoleBinding',
  metadata: {
    name: 'sres',
    namespace: 'team-a',
    uid: 'u1',
    resourceVersion: '7',
    labels: { team: 'sre' },
    annotations: { note: 'on call', [LAST_APPLIED_ANNOTATION]: '{"big":"json"}', 'propagate.canopy.dev/select': 'env=prod' },
  },
  roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: 'admin' },
  subjects: [{ kind: 'Group', name: 'sres', apiGroup: 'rbac.authorization.k8s.io' }],
};

function copyOf(namespace: string) {
  return copyFor(
    source,
    namespace,
    copyLabels({ apiVersion: source.apiVersion, kind: source.kind, name: 'sres', namespace: 'team-a', labels: source.metadata.labels }),
  );
}

describe('copy content', () => {
  it('gives a source and its copy the same fingerprint', () => {
    const copy = copyOf('svc1');
    expect(copy.metadata!.labels).to.deep.equal({ team: 'sre', 'canopy.dev/inherited-from': 'team-a', 'canopy.dev/managed-by': 'canopy' });
    expect(copy.metadata!.annotations).to.not.have.property(LAST_APPLIED_ANNOTATION);
    expect(copy).to.not.have.nested.property('metadata.uid');
    expect(contentHash(copy)).to.equal(contentHash(source));
  });

  it('tells a hand-edited copy apart: a subject, an added label, a removed annotation', () => {
    const base = contentHash(copyOf('svc1'));
    const subject = copyOf('svc1');
    (subject as { subjects: unknown[] }).subjects = [{ kind: 'User', name: 'mallory' }];
    const label = copyOf('svc1');
    label.metadata!.labels!.sneaky = 'yes';
    const annotation = copyOf('svc1');
    delete annotation.metadata!.annotations!.note;
    for (const edited of [subject, label, annotation]) expect(contentHash(edited)).to.not.equal(base);
  });

  it('does not depend on key order', () => {
    const reordered = {
      subjects: source.subjects,
      roleRef: source.roleRef,
      metadata: { ...source.metadata, labels: { team: 'sre' } },
      kind: source.kind,
      apiVersion: source.apiVersion,
    };
    expect(contentHash(reordered)).to.equal(contentHash(source));
  });

  it('never copies what exists in every namespace or belongs to something else', () => {
    expect(excludedReason({ kind: 'ConfigMap', metadata: { name: 'kube-root-ca.crt' } })).to.be.a('string');
    expect(excludedReason({ kind: 'Secret', metadata: { name: 't' }, type: 'kubernetes.io/service-account-token' } as never)).to.be.a('string');
    expect(excludedReason({ kind: 'RoleBinding', metadata: { name: 'canopy-workspace-owners', labels: { 'canopy.dev/managed-by': 'canopy' } } })).to.be.a(
      'string',
    );
    expect(
      excludedReason({ kind: 'ConfigMap', metadata: { name: 'x', ownerReferences: [{ apiVersion: 'v1', kind: 'X', name: 'o', uid: 'u', controller: true }] } }),
    ).to.be.a('string');
    expect(excludedReason(source)).to.equal(undefined);
    expect(excludedReason(copyOf('svc1'))).to.equal(undefined);
  });

  it('strips an object to identity, labels, propagate annotations and fingerprint; keeps a body only when asked', () => {
    const tracked = strip(source);
    expect(tracked.metadata).to.deep.equal({
      name: 'sres',
      namespace: 'team-a',
      uid: 'u1',
      resourceVersion: '7',
      labels: { team: 'sre' },
      annotations: { 'propagate.canopy.dev/select': 'env=prod' },
    });
    expect(tracked.hash).to.equal(contentHash(source));
    expect(tracked).to.not.have.property('subjects');
    expect(tracked.body).to.equal(undefined);
    expect(strip(source, () => true).body).to.equal(source);
    expect(withHash(source, 'known').hash).to.equal('known');
  });
});
