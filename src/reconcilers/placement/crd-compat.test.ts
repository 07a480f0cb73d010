/**
 * The engine's inputs are structural interfaces; this keeps them honest
 * against the CRD types in src/crds: if a CRD field changes shape, the
 * assignments below stop compiling.
 */
import { expect } from 'chai';
import type { Cluster as CrdCluster } from '../../crds/cluster.js';
import type { PlacementPolicy as CrdPlacementPolicy } from '../../crds/placementpolicy.js';
import type { Constraints } from '../../crds/common.js';
import type { PropagatedObject } from '../../crds/propagatedobject.js';
import { schedule } from './engine.js';
import type { Cluster, ClusterExclusion, ClusterPlacement, EffectiveConstraints, PlacementPolicy } from './types.js';

describe('placement types and the CRD types', () => {
  it('accepts CRD objects as engine inputs, and engine outputs as PropagatedObject status', () => {
    const crdCluster: CrdCluster = {
      apiVersion: 'canopy.dev/v1alpha1',
      kind: 'Cluster',
      metadata: { name: 'eu-1', labels: { 'canopy.dev/onprem': 'true' } },
      spec: {
        kubeconfigSecretRef: { name: 'eu-1-kubeconfig', namespace: 'canopy-system' },
        region: 'eu-1',
        taints: [{ key: 'dedicated', value: 'db', effect: 'NoSchedule' }],
        pricing: { cpuHour: 0.02, memoryGiBHour: 0.003, loadBalancerHour: 0 },
      },
      status: {
        allocatable: { cpu: '8', memory: '32Gi' },
        apiEnablements: [{ groupVersion: 'apps/v1', resources: ['Deployment'] }],
        conditions: [{ type: 'Ready', status: 'True', reason: 'Probed', message: 'ok', lastTransitionTime: '2030-01-01T00:00:00Z' }],
      },
    };
    const crdPolicy: CrdPlacementPolicy = {
      apiVersion: 'canopy.dev/v1alpha1',
      kind: 'PlacementPolicy',
      metadata: { name: 'db' },
      spec: {
        resourceSelectors: [{ apiVersion: 'apps/v1', kind: 'Deployment' }],
        tolerations: [{ key: 'dedicated', operator: 'Equal', value: 'db', effect: 'NoSchedule' }],
        rules: [{ expression: "cluster.spec.region == 'eu-1'", message: 'EU only' }],
        replicas: { strategy: 'Divide', weights: [{ cluster: 'eu-1', weight: 1 }] },
      },
    };
    const constraints: Constraints = { regions: ['eu-1'], costBudget: 100 };

    const cluster: Cluster = crdCluster;
    const policy: PlacementPolicy = { metadata: { name: crdPolicy.metadata.name ?? '' }, spec: crdPolicy.spec };
    const effective: EffectiveConstraints = constraints;
    const r = schedule({
      object: { apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'db', namespace: 'shop' }, spec: { replicas: 2 } },
      policy,
      clusters: [cluster],
      workspace: { name: 'shop', constraints: effective },
    });
    expect(r.placement.map((p) => [p.cluster, p.replicas])).to.deep.equal([['eu-1', 2]]);

    const status: NonNullable<PropagatedObject['status']> = {
      placement: r.placement.map((p: ClusterPlacement) => p),
      excluded: r.excluded.map((e: ClusterExclusion) => e),
    };
    expect(status.placement).to.have.length(1);
  });
});
