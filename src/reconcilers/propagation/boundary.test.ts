import { expect } from 'chai';
import { LABEL_LOGICAL_CLUSTER, LABEL_MANAGED_BY, LABEL_WORKSPACE } from '../../crds/labels.js';
import { BOUNDARY_ROLE, memberBoundary, namespaceLabelsDrifted } from './boundary.js';
import { memberNamespace, memberNamespaceOwnership } from './members.js';
import { LABEL_COMPANION } from './names.js';

const tenant = { [LABEL_WORKSPACE]: 'acme', [LABEL_LOGICAL_CLUSTER]: 'shop' };
const owned = { [LABEL_MANAGED_BY]: 'canopy', ...tenant };

function hostObject(kind: string, name: string, labels: Record<string, string>, namespace = 'shop') {
  const apiVersion = kind === 'NetworkPolicy' ? 'networking.k8s.io/v1' : 'v1';
  return { apiVersion, kind, metadata: { name, namespace, labels, uid: 'u-1', resourceVersion: '7' }, spec: { hard: { pods: '10' } } };
}

describe('member namespace boundary', () => {
  it("copies the logical cluster's own quota, limits and policies, labelled as the boundary, without server fields", () => {
    const boundary = memberBoundary({
      namespace: 'shop',
      tenantLabels: tenant,
      podSecurity: 'restricted',
      hostObjects: [
        hostObject('NetworkPolicy', 'canopy-default-deny', owned),
        hostObject('ResourceQuota', 'canopy-quota', owned),
        hostObject('LimitRange', 'canopy-defaults', owned),
      ],
    });
    expect(boundary.objects.map((o) => o.kind)).to.deep.equal(['ResourceQuota', 'LimitRange', 'NetworkPolicy']);
    const quota = boundary.objects[0]!;
    expect(quota.metadata.labels?.[LABEL_COMPANION]).to.equal(BOUNDARY_ROLE);
    expect(quota.metadata.labels?.[LABEL_LOGICAL_CLUSTER]).to.equal('shop');
    expect(quota.metadata.namespace).to.equal('shop');
    expect(quota.metadata).to.not.have.property('uid');
    expect(quota.metadata).to.not.have.property('resourceVersion');
    expect(boundary.namespaceLabels).to.deep.equal({
      'pod-security.kubernetes.io/enforce': 'restricted',
      'pod-security.kubernetes.io/warn': 'restricted',
      'pod-security.kubernetes.io/audit': 'restricted',
    });
  });

  it("never copies a tenant's own objects, another logical cluster's, or another namespace's as the boundary", () => {
    const boundary = memberBoundary({
      namespace: 'shop',
      tenantLabels: tenant,
      podSecurity: 'baseline',
      hostObjects: [
        hostObject('NetworkPolicy', 'allow-all', { app: 'mine' }),
        hostObject('NetworkPolicy', 'forged', { [LABEL_MANAGED_BY]: 'canopy', [LABEL_LOGICAL_CLUSTER]: 'blog' }),
        hostObject('ResourceQuota', 'canopy-quota', owned, 'elsewhere'),
      ],
    });
    expect(boundary.objects).to.deep.equal([]);
  });

  it('outside a logical cluster keeps only the pod-security level, and none without limits', () => {
    const home = memberBoundary({
      namespace: 'acme',
      tenantLabels: { [LABEL_WORKSPACE]: 'acme' },
      podSecurity: 'baseline',
      hostObjects: [hostObject('ResourceQuota', 'q', owned, 'acme')],
    });
    expect(home.objects).to.deep.equal([]);
    expect(home.namespaceLabels['pod-security.kubernetes.io/enforce']).to.equal('baseline');
    const plain = memberBoundary({ namespace: 'x', tenantLabels: {}, podSecurity: undefined, hostObjects: [] });
    expect(plain.namespaceLabels).to.deep.equal({});
  });

  it('changes its fingerprint when the level or an object changes', () => {
    const base = { namespace: 'shop', tenantLabels: tenant, hostObjects: [hostObject('ResourceQuota', 'canopy-quota', owned)] };
    const a = memberBoundary({ ...base, podSecurity: 'baseline' });
    expect(memberBoundary({ ...base, podSecurity: 'baseline' }).fingerprint).to.equal(a.fingerprint);
    expect(memberBoundary({ ...base, podSecurity: 'restricted' }).fingerprint).to.not.equal(a.fingerprint);
    expect(memberBoundary({ ...base, podSecurity: 'baseline', hostObjects: [] }).fingerprint).to.not.equal(a.fingerprint);
  });

  it('notices a relabelled member namespace', () => {
    const boundary = memberBoundary({ namespace: 'shop', tenantLabels: tenant, podSecurity: 'restricted', hostObjects: [] });
    const labels = memberNamespace({ namespace: 'shop', tenantLabels: tenant, hostUid: 'h1', boundary }).metadata?.labels;
    expect(namespaceLabelsDrifted(labels, boundary)).to.equal(false);
    expect(namespaceLabelsDrifted({ ...labels, 'pod-security.kubernetes.io/enforce': 'privileged' }, boundary)).to.equal(true);
    expect(namespaceLabelsDrifted({}, boundary)).to.equal(true);
  });
});

describe('member namespace ownership (never adopt)', () => {
  const request = { tenantLabels: tenant, hostUid: 'host-uid-1' };
  const ns = (labels: Record<string, string>, annotations: Record<string, string> = {}) => ({ metadata: { name: 'shop', labels, annotations } });
  const canopyLabels = { ...owned, [LABEL_COMPANION]: 'namespace' };

  it('takes a namespace Canopy made for this host namespace as its own', () => {
    expect(memberNamespaceOwnership(ns(canopyLabels, { 'canopy.dev/host-namespace-uid': 'host-uid-1' }), request)).to.equal('ours');
    // made before the uid was recorded: Canopy's by its labels, and it gets the record
    expect(memberNamespaceOwnership(ns(canopyLabels), request)).to.equal('ours');
  });

  it('refuses a namespace someone else made, whatever its name', () => {
    expect(memberNamespaceOwnership(ns({}), request)).to.equal('foreign');
    expect(memberNamespaceOwnership(ns({ [LABEL_MANAGED_BY]: 'canopy' }), request)).to.equal('foreign');
    expect(memberNamespaceOwnership(ns({ ...canopyLabels, [LABEL_LOGICAL_CLUSTER]: 'blog' }), request)).to.equal('foreign');
    expect(memberNamespaceOwnership(ns({ ...canopyLabels, [LABEL_WORKSPACE]: 'other' }), request)).to.equal('foreign');
  });

  it("tells Canopy's leftover of an earlier host namespace of that name apart", () => {
    expect(memberNamespaceOwnership(ns(canopyLabels, { 'canopy.dev/host-namespace-uid': 'older' }), request)).to.equal('stale');
  });
});
