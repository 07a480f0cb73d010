import { expect } from 'chai';
import type { Snapshot } from './snapshot.js';
import { renderTree } from './tree.js';
import { explainCommand } from './explain-command.js';
import { findPropagatedObject, renderExplain } from './explain.js';
import { ifLabelRemoved, whoRunsWhere } from './queries.js';

const ready = [{ type: 'Ready', status: 'True' as const, reason: 'Ready', message: '', lastTransitionTime: '2026-01-01T00:00:00Z' }];
const ws = (name: string, parent?: string, extra: object = {}) => ({ apiVersion: 'canopy.dev/v1alpha1', kind: 'Workspace', metadata: { name }, spec: { ...(parent ? { parent } : {}), ...extra }, status: { conditions: ready } });
const cluster = (name: string, region: string, labels: Record<string, string>) => ({
  apiVersion: 'canopy.dev/v1alpha1',
  kind: 'Cluster',
  metadata: { name, labels },
  spec: { kubeconfigSecretRef: { name: 'x', namespace: 'canopy-system' }, region },
  status: { conditions: ready },
});

const snapshot = {
  workspaces: [ws('acme'), ws('team-a', 'acme'), ws('team-b', 'acme'), ws('lost', 'nowhere')],
  logicalClusters: [{ apiVersion: 'canopy.dev/v1alpha1', kind: 'LogicalCluster', metadata: { name: 'shop' }, spec: { workspace: 'team-a' }, status: { phase: 'Ready' } }],
  clusters: [cluster('eu-1', 'eu-1', { 'compliance/pci': 'true' }), cluster('eu-2', 'eu-2', {})],
  policies: [
    {
      apiVersion: 'canopy.dev/v1alpha1',
      kind: 'PlacementPolicy',
      metadata: { name: 'pci' },
      spec: { resourceSelectors: [{ apiVersion: 'apps/v1', kind: 'Deployment', workspace: 'acme' }], clusterSelector: { matchLabels: { 'compliance/pci': 'true' } } },
    },
  ],
  objects: [
    {
      apiVersion: 'canopy.dev/v1alpha1',
      kind: 'PropagatedObject',
      metadata: { name: 'web-deployment', namespace: 'shop' },
      spec: { template: { apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'web' }, spec: { replicas: 2 } } },
      status: {
        policy: 'pci',
        placement: [{ cluster: 'eu-1', replicas: 2, reason: 'passed all filters' }],
        excluded: [{ cluster: 'eu-2', plugin: 'ClusterSelector', reason: 'policy clusterSelector requires compliance/pci=true' }],
        conditions: [{ type: 'Scheduled', status: 'True', reason: 'Scheduled', message: 'placed on 1 cluster(s)', lastTransitionTime: '2026-01-01T00:00:00Z' }],
      },
    },
  ],
  namespaces: [{ apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'shop', labels: { 'canopy.dev/workspace': 'team-a', 'acme.tree.canopy.dev/depth': '2' } } }],
} as unknown as Snapshot;

describe('kubectl-canopy', () => {
  it('tree: prints the hierarchy with logical clusters, and lists unreachable workspaces apart', () => {
    const text = renderTree(snapshot);
    expect(text).to.equal(['acme', '├── team-a', '│   └── (lc) shop Ready', '└── team-b', '', 'not reachable from a root (missing parent or cycle):', '  lost → parent nowhere', ''].join('\n'));
  });

  it('tree from a workspace prints only its subtree', () => {
    expect(renderTree(snapshot, 'team-a')).to.equal('team-a\n└── (lc) shop Ready\n');
  });

  it('explain: finds the PropagatedObject generated for a plain object and says where and why', () => {
    const po = findPropagatedObject(snapshot, 'shop', 'web', 'Deployment');
    expect(po?.metadata.name).to.equal('web-deployment');
    const text = renderExplain(po!);
    expect(text).to.contain('policy: pci');
    expect(text).to.contain('eu-1 2 replica(s): passed all filters');
    expect(text).to.contain('eu-2: [ClusterSelector] policy clusterSelector requires compliance/pci=true');
  });

  it("explain takes kubectl's KIND/NAME form: a plain object's kind, or the PropagatedObject itself", () => {
    for (const target of ['deployment/web', 'deployments/web', 'Deployment/web', 'deployments.apps/web', 'propagatedobject/web-deployment', 'pobj/web-deployment']) {
      expect(explainCommand(snapshot, 'shop', target), target).to.contain('(PropagatedObject web-deployment)');
    }
    expect(explainCommand(snapshot, 'shop', 'configmap/web')).to.contain('nothing placed as shop/configmap/web');
    const ingress = { ...snapshot.objects[0]!, metadata: { name: 'edge-ingress', namespace: 'shop' }, spec: { template: { apiVersion: 'networking.k8s.io/v1', kind: 'Ingress', metadata: { name: 'edge' } } } };
    const withIngress = { ...snapshot, objects: [...snapshot.objects, ingress] } as Snapshot;
    for (const target of ['ingress/edge', 'ingresses/edge', 'ingresses.networking.k8s.io/edge']) expect(explainCommand(withIngress, 'shop', target), target).to.contain('(PropagatedObject edge-ingress)');
    expect(explainCommand(snapshot, 'shop', 'propagatedobject/web')).to.contain('nothing placed');
  });

  it('who-runs-where: objects on clusters matching a selector, with their workspace', () => {
    expect(whoRunsWhere(snapshot, { labelSelector: { matchLabels: { 'compliance/pci': 'true' } } })).to.equal('team-a\tDeployment shop/web\teu-1(2)\n');
    expect(whoRunsWhere(snapshot, { regions: ['eu-2'] })).to.contain('no object');
  });

  it('who-runs-where --if-cluster --loses-label: the tenants a lost certification would hit', () => {
    const text = ifLabelRemoved(snapshot, 'eu-1', 'compliance/pci');
    expect(text).to.contain('team-a\tDeployment shop/web\tUnschedulable');
    expect(ifLabelRemoved(snapshot, 'eu-2', 'compliance/pci')).to.contain('no object would lose eu-2');
  });
});
