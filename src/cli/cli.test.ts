import { expect } from 'chai';
import type { Snapshot } from './snapshot.js';
import { renderTree } from './tree.js';
import { degradedNote, findExplainTarget } from './explain-command.js';
import { explainData, findPropagatedObject, renderExplain } from './explain.js';
import { scheduleInputs, whoRunsWhere, workspaceOf } from './queries.js';
import { whatIf } from './what-if.js';
import { schedule } from '../reconcilers/placement/engine.js';
import { treeData } from './tree-command.js';

const ready = [{ type: 'Ready', status: 'True' as const, reason: 'Ready', message: '', lastTransitionTime: '2026-01-01T00:00:00Z' }];
const ws = (name: string, parent?: string, extra: object = {}) => ({
  apiVersion: 'canopy.dev/v1alpha1',
  kind: 'Workspace',
  metadata: { name },
  spec: { ...(parent ? { parent } : {}), ...extra },
  status: { conditions: ready },
});
const cluster = (name: string, region: string, labels: Record<string, string>) => ({
  apiVersion: 'canopy.dev/v1alpha1',
  kind: 'Cluster',
  metadata: { name, labels },
  spec: { kubeconfigSecretRef: { name: 'x', namespace: 'canopy-system' }, region },
  status: { conditions: ready },
});

const snapshot = {
  workspaces: [ws('acme'), ws('team-a', 'acme'), ws('team-b', 'acme'), ws('lost', 'nowhere')],
  logicalClusters: [
    { apiVersion: 'canopy.dev/v1alpha1', kind: 'LogicalCluster', metadata: { name: 'shop' }, spec: { workspace: 'team-a' }, status: { phase: 'Ready' } },
  ],
  clusters: [cluster('eu-1', 'eu-1', { 'compliance/pci': 'true' }), cluster('eu-2', 'eu-2', {})],
  policies: [
    {
      apiVersion: 'canopy.dev/v1alpha1',
      kind: 'PlacementPolicy',
      metadata: { name: 'pci' },
      spec: {
        resourceSelectors: [{ apiVersion: 'apps/v1', kind: 'Deployment', workspace: 'acme' }],
        clusterSelector: { matchLabels: { 'compliance/pci': 'true' } },
      },
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
  namespaces: [
    { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'shop', labels: { 'canopy.dev/workspace': 'team-a', 'acme.tree.canopy.dev/depth': '2' } } },
  ],
  unreadable: [],
} as unknown as Snapshot;

describe('kubectl-canopy', () => {
  it('tree: prints the hierarchy with logical clusters, and lists unreachable workspaces apart', () => {
    const text = renderTree(snapshot);
    expect(text).to.equal(
      [
        'acme',
        '├── team-a',
        '│   └── (lc) shop Ready',
        '└── team-b',
        '',
        'not reachable from a root (missing parent or cycle):',
        '  lost → parent nowhere',
        '',
      ].join('\n'),
    );
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
    for (const target of [
      'deployment/web',
      'deployments/web',
      'Deployment/web',
      'deployments.apps/web',
      'propagatedobject/web-deployment',
      'pobj/web-deployment',
    ]) {
      expect(findExplainTarget(snapshot, 'shop', target)?.metadata.name, target).to.equal('web-deployment');
    }
    expect(findExplainTarget(snapshot, 'shop', 'configmap/web')).to.equal(undefined);
    const ingress = {
      ...snapshot.objects[0]!,
      metadata: { name: 'edge-ingress', namespace: 'shop' },
      spec: { template: { apiVersion: 'networking.k8s.io/v1', kind: 'Ingress', metadata: { name: 'edge' } } },
    };
    const withIngress = { ...snapshot, objects: [...snapshot.objects, ingress] } as Snapshot;
    for (const target of ['ingress/edge', 'ingresses/edge', 'ingresses.networking.k8s.io/edge'])
      expect(findExplainTarget(withIngress, 'shop', target)?.metadata.name, target).to.equal('edge-ingress');
    expect(findExplainTarget(snapshot, 'shop', 'propagatedobject/web')).to.equal(undefined);
  });

  it('explain adds policy priority and cluster health when it may read them, and says so in one line when it may not', () => {
    const notReady = {
      ...snapshot.clusters[0]!,
      status: { conditions: [{ type: 'Ready', status: 'False', reason: 'Unreachable', message: 'x', lastTransitionTime: '2026-01-01T00:00:00Z' }] },
    };
    const text = renderExplain(snapshot.objects[0]!, { clusters: [notReady] as Snapshot['clusters'], policies: snapshot.policies });
    expect(text).to.contain('policy: pci (priority 0)');
    expect(text).to.contain('eu-1 2 replica(s): passed all filters [cluster NotReady: Unreachable]');
    expect(degradedNote([])).to.equal(undefined);
    const note = degradedNote(['clusters', 'placementpolicies'])!;
    expect(note.split('\n')).to.have.length(1);
    expect(note).to.contain('may not list clusters or placementpolicies');
    expect(explainData(snapshot.objects[0]!)).to.deep.include({ propagatedObject: 'web-deployment', policy: 'pci' });
  });

  it("explain shows each external plugin's score and verdict per cluster, and a plugin ignored on failure", () => {
    const fleet = ['eu-1', 'eu-2', 'us-1'].map((name) => ({ metadata: { name, labels: {} }, spec: { region: name }, status: { conditions: ready } }));
    const result = schedule({
      object: { apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'web', namespace: 'shop' } },
      policy: {
        metadata: { name: 'green' },
        spec: {
          plugins: [
            { name: 'gpu', type: 'Filter', url: 'https://gpu.example/filter' },
            { name: 'green', type: 'Score', url: 'https://green.example/score', weight: 10 },
            { name: 'latency', type: 'Score', url: 'https://latency.example/score', failurePolicy: 'Ignore' },
          ],
        },
      },
      clusters: fleet,
      pluginAnswers: {
        gpu: { verdicts: { 'eu-1': { pass: true }, 'eu-2': { pass: true }, 'us-1': { pass: false, reason: 'no A100 left' } } },
        green: { scores: { 'eu-1': 20, 'eu-2': 100 } },
        latency: { error: 'HTTP 503' },
      },
    });
    const po = {
      ...snapshot.objects[0]!,
      status: {
        policy: 'green',
        placement: result.placement,
        excluded: result.excluded,
        conditions: [{ ...result.condition, lastTransitionTime: '2026-01-01T00:00:00Z' }],
      },
    } as Snapshot['objects'][number];
    const text = renderExplain(po);
    expect(text).to.contain('eu-2 1 replica(s): passed all filters; score 100 (External 100 [green 100])');
    expect(text).to.contain('eu-1 1 replica(s): passed all filters; score 20 (External 20 [green 20])');
    expect(text).to.contain('us-1: [External] gpu: no A100 left');
    expect(text).to.contain('placement plugin latency (https://latency.example/score) failed (HTTP 503); ignored as failurePolicy is Ignore');
  });

  it('tree as data (-o json|yaml): nested workspaces with their logical clusters', () => {
    const [acme] = treeData(snapshot);
    expect(acme!.name).to.equal('acme');
    expect(acme!.children.map((c) => c.name)).to.deep.equal(['team-a', 'team-b']);
    expect(acme!.children[0]!.logicalClusters).to.deep.equal([{ name: 'shop', phase: 'Ready' }]);
    expect(treeData(snapshot).map((n) => n.name)).to.not.include('lost');
  });

  it('tree wide: each logical cluster with its namespaces', () => {
    const lc = { ...snapshot.logicalClusters[0]!, status: { phase: 'Ready', namespaces: ['shop', 'shop-db'] } };
    expect(renderTree({ ...snapshot, logicalClusters: [lc] } as unknown as Snapshot, 'team-a', true)).to.equal(
      'team-a\n└── (lc) shop Ready (namespaces shop, shop-db)\n',
    );
  });

  it('who-runs-where: objects on clusters matching a selector, with their workspace', () => {
    const rows = whoRunsWhere(snapshot, { labelSelector: { matchLabels: { 'compliance/pci': 'true' } } });
    expect(rows.map((r) => [r.workspace, r.object.kind, r.object.namespace, r.object.name, r.clusters])).to.deep.equal([
      ['team-a', 'Deployment', 'shop', 'web', [{ cluster: 'eu-1', replicas: 2 }]],
    ]);
    expect(whoRunsWhere(snapshot, { labelSelector: { matchExpressions: [{ key: 'compliance/pci', operator: 'NotIn', values: ['true'] }] } })).to.deep.equal([]);
    expect(whoRunsWhere(snapshot, { regions: ['eu-2'] })).to.deep.equal([]);
  });

  it('what-if a cluster loses a label: the engine re-decides and the tenant it hits is named', () => {
    const { inputs } = scheduleInputs(snapshot);
    const rows = whatIf(inputs, [{ kind: 'remove-label', cluster: 'eu-1', key: 'compliance/pci' }], (ns) => workspaceOf(snapshot, ns));
    expect(rows).to.have.length(1);
    expect(rows[0]).to.deep.include({ workspace: 'team-a', kind: 'Deployment', namespace: 'shop', name: 'web', outcome: 'Unschedulable' });
    expect(whatIf(inputs, [{ kind: 'remove-label', cluster: 'eu-2', key: 'compliance/pci' }])).to.deep.equal([]);
  });
});
