import { expect } from 'chai';
import { cluster } from '../../../test/support/placement-fixtures.js';
import type { PropagatedObject } from '../../crds/propagatedobject.js';
import type { KubeObject } from '../../runtime/index.js';
import { placedKindsChanged, servedKinds, withPlacedCustomResourceDefinitions } from './cluster-scoped.js';

const crd = {
  apiVersion: 'apiextensions.k8s.io/v1',
  kind: 'CustomResourceDefinition',
  metadata: { name: 'widgets.example.com' },
  spec: {
    group: 'example.com',
    names: { kind: 'Widget', plural: 'widgets' },
    versions: [
      { name: 'v1', served: true },
      { name: 'v0', served: false },
    ],
  },
};

const cpo = (placement: string[], template: Record<string, unknown> = crd) =>
  ({
    apiVersion: 'canopy.dev/v1alpha1',
    kind: 'ClusterPropagatedObject',
    metadata: { name: 'widgets' },
    spec: { template },
    status: { placement: placement.map((c) => ({ cluster: c })) },
  }) as unknown as PropagatedObject & KubeObject;

describe('placement: kinds that ClusterPropagatedObjects bring', () => {
  it('reads the served versions of a CRD template', () => {
    expect(servedKinds(crd)).to.deep.equal([{ groupVersion: 'example.com/v1', kind: 'Widget' }]);
    expect(servedKinds({ kind: 'ClusterRole' })).to.deep.equal([]);
  });

  it('counts a CRD placed on a cluster as served there, leaving other clusters untouched', () => {
    const eu = cluster('eu-1', { apiEnablements: [{ groupVersion: 'apps/v1', resources: ['Deployment'] }] });
    const us = cluster('us-1', { apiEnablements: [{ groupVersion: 'apps/v1', resources: ['Deployment'] }] });
    const seen = withPlacedCustomResourceDefinitions([eu, us], [cpo(['eu-1'])]);
    expect(seen[0]?.status?.apiEnablements).to.deep.equal([
      { groupVersion: 'apps/v1', resources: ['Deployment'] },
      { groupVersion: 'example.com/v1', resources: ['Widget'] },
    ]);
    expect(seen[1]).to.equal(us);
    // The input is not changed, and without CRDs placed the very same list is returned.
    expect(eu.status?.apiEnablements).to.have.length(1);
    const list = [eu, us];
    expect(withPlacedCustomResourceDefinitions(list, [cpo(['eu-1'], { kind: 'ClusterRole' })])).to.equal(list);
  });

  it('wakes placement only when a CRD placement or its versions change', () => {
    expect(placedKindsChanged({ type: 'add', object: cpo(['eu-1']) })).to.equal(true);
    expect(placedKindsChanged({ type: 'add', object: cpo(['eu-1'], { kind: 'ClusterRole' }) })).to.equal(false);
    expect(placedKindsChanged({ type: 'update', old: cpo(['eu-1']), object: cpo(['eu-1']) })).to.equal(false);
    expect(placedKindsChanged({ type: 'update', old: cpo(['eu-1']), object: cpo(['eu-1', 'us-1']) })).to.equal(true);
  });
});
