import type { LogicalClusterLike } from '../../hierarchy/logical-cluster.js';
import { expect } from 'chai';
import type { KubernetesObject } from '@kubernetes/client-node';
import { effectiveConstraints } from '../../hierarchy/constraints.js';
import { plan, type Plan, type PlanInput, type WorkspaceView } from './plan.js';
import { toPrune } from './materialize.js';
import type { ClusterLike } from './types.js';

type Obj = KubernetesObject & { spec?: Record<string, unknown>; rules?: unknown[]; subjects?: Array<Record<string, string>> };

function lc(name: string, spec: Partial<LogicalClusterLike['spec']> = {}, extra: Partial<LogicalClusterLike> = {}): LogicalClusterLike {
  return { metadata: { name, creationTimestamp: '2024-01-01T00:00:00Z', generation: 1 }, spec: { workspace: 'team', ...spec }, ...extra };
}

function workspace(constraints: Parameters<typeof effectiveConstraints>[0][number]['constraints'] = {}): WorkspaceView {
  return { state: 'ok', effective: effectiveConstraints([{ workspace: 'team', constraints }]), scopes: [{ workspace: 'team', constraints }] };
}

const ready = { conditions: [{ type: 'Ready', status: 'True' }] };
const clusters: ClusterLike[] = [
  {
    metadata: { name: 'eu-1', labels: { pci: 'true' } },
    spec: { region: 'eu-1', capacity: { cpu: '8', memory: '16Gi' }, pricing: { cpuHour: 0.02, memoryGiBHour: 0.003 } },
    status: ready,
  },
  {
    metadata: { name: 'us-1', labels: {} },
    spec: { region: 'us-1', capacity: { cpu: '8', memory: '16Gi' }, pricing: { cpuHour: 0.04, memoryGiBHour: 0.005 } },
    status: ready,
  },
];

function input(over: Partial<PlanInput>): PlanInput {
  return { lc: lc('shop'), workspace: workspace(), clusters, bindings: new Map(), otherClaims: () => [], ...over };
}

function find(objs: readonly KubernetesObject[], kind: string, namespace: string | undefined, name: string): Obj {
  const o = objs.find((x) => x.kind === kind && x.metadata?.namespace === namespace && x.metadata?.name === name);
  if (!o) throw new Error(`no ${kind} ${namespace}/${name} in ${objs.map((x) => `${x.kind}:${x.metadata?.namespace}/${x.metadata?.name}`).join(' ')}`);
  return o as Obj;
}

function ok(p: ReturnType<typeof plan>): Plan {
  if (!p.ok) throw new Error(`expected a plan, got ${p.reason}: ${p.message}`);
  return p;
}

describe('logicalcluster plan', () => {
  it('Namespace mode: labelled namespaces, quota share, defaults, policies, RBAC and the ServiceAccount on the host', () => {
    const p = ok(
      plan(
        input({
          lc: lc('shop', { namespaces: ['web', 'db'], owners: [{ kind: 'User', name: 'alice' }], constraints: { quota: { hard: { cpu: '2', pods: '10' } } } }),
          workspace: workspace({ podSecurity: 'restricted' }),
        }),
      ),
    );
    expect(p.namespaces).to.deep.equal(['shop-web', 'shop-db']);
    expect(p.objects.member).to.deep.equal([]);
    const host = p.objects.host;
    expect(host.slice(0, 2).map((o) => o.kind)).to.deep.equal(['Namespace', 'Namespace']);
    expect(find(host, 'Namespace', undefined, 'shop-db').metadata?.labels).to.deep.equal({
      'canopy.dev/managed-by': 'canopy',
      'canopy.dev/workspace': 'team',
      'canopy.dev/logical-cluster': 'shop',
      'pod-security.kubernetes.io/enforce': 'restricted',
      'pod-security.kubernetes.io/warn': 'restricted',
      'pod-security.kubernetes.io/audit': 'restricted',
    });
    expect(find(host, 'ResourceQuota', 'shop-web', 'canopy-quota').spec).to.deep.equal({ hard: { pods: '5', 'requests.cpu': '1' } });
    expect(find(host, 'LimitRange', 'shop-db', 'canopy-defaults').spec).to.have.property('limits');
    expect(find(host, 'NetworkPolicy', 'shop-db', 'canopy-default-deny').spec).to.deep.equal({ podSelector: {}, policyTypes: ['Ingress'] });
    expect(find(host, 'NetworkPolicy', 'shop-db', 'canopy-allow-same-logical-cluster').spec).to.deep.include({
      ingress: [{ from: [{ namespaceSelector: { matchLabels: { 'canopy.dev/logical-cluster': 'shop' } } }] }],
    });
    expect(find(host, 'ServiceAccount', 'shop-web', 'shop').metadata?.labels?.['canopy.dev/logical-cluster']).to.equal('shop');
    const binding = find(host, 'RoleBinding', 'shop-db', 'canopy-tenant');
    expect(binding.subjects).to.deep.equal([
      { kind: 'User', apiGroup: 'rbac.authorization.k8s.io', name: 'alice' },
      { kind: 'ServiceAccount', name: 'shop', namespace: 'shop-web' },
    ]);
    // Only the first namespace's Role lets the subjects read the kubeconfig Secret.
    const secretRule = { apiGroups: [''], resources: ['secrets'], verbs: ['get', 'watch'], resourceNames: ['shop-kubeconfig'] };
    expect(find(host, 'Role', 'shop-web', 'canopy-tenant').rules).to.deep.include(secretRule);
    expect(find(host, 'Role', 'shop-db', 'canopy-tenant').rules).not.to.deep.include(secretRule);
    expect(host.every((o) => o.metadata?.labels?.['canopy.dev/managed-by'] === 'canopy')).to.equal(true);
    expect(p.podSecurity).to.equal('restricted');
    expect(p.tokenLifetimeSeconds).to.equal(3600);
  });

  it('defaults to baseline pod security and no quota object without a quota', () => {
    const p = ok(plan(input({})));
    expect(p.podSecurity).to.equal('baseline');
    expect(p.objects.host.some((o) => o.kind === 'ResourceQuota')).to.equal(false);
  });

  it('Cluster mode: binds deterministically, tenant objects on the member, only the Secret namespace on the host', () => {
    const p = ok(
      plan(input({ lc: lc('pci', { mode: 'Cluster', clusterSelector: { matchLabels: { pci: 'true' } }, owners: [{ kind: 'Group', name: 'devs' }] }) })),
    );
    expect(p.cluster).to.equal('eu-1');
    expect(p.objects.member.map((o) => o.kind)).to.include.members(['Namespace', 'ServiceAccount', 'Role', 'RoleBinding', 'NetworkPolicy', 'LimitRange']);
    expect(p.objects.host.map((o) => `${o.kind}/${o.metadata?.name}`)).to.deep.equal(['Namespace/pci', 'Role/canopy-tenant', 'RoleBinding/canopy-tenant']);
    expect(find(p.objects.host, 'RoleBinding', 'pci', 'canopy-tenant').subjects).to.deep.equal([
      { kind: 'Group', apiGroup: 'rbac.authorization.k8s.io', name: 'devs' },
    ]);
  });

  it('Cluster mode fails naming every cluster and why, and respects other bindings', () => {
    const f = plan(input({ lc: lc('pci', { mode: 'Cluster', clusterSelector: { matchLabels: { pci: 'true' } } }), bindings: new Map([['eu-1', 'first']]) }));
    expect(f.ok).to.equal(false);
    if (f.ok) return;
    expect(f.phase).to.equal('Failed');
    expect(f.reason).to.equal('NoSuitableCluster');
    expect(f.message).to.include('eu-1: already bound to logical cluster first').and.include('us-1: labels do not match spec.clusterSelector (pci=true)');
  });

  it('waits for a missing workspace and fails constraints wider than the workspace', () => {
    const pending = plan(input({ workspace: { state: 'missing' } }));
    expect(pending).to.include({ ok: false, phase: 'Pending', reason: 'WorkspaceNotFound' });
    const wide = plan(input({ lc: lc('shop', { constraints: { regions: ['us-1'] } }), workspace: workspace({ regions: ['eu-1'] }) }));
    expect(wide).to.include({ ok: false, phase: 'Failed', reason: 'ConstraintsTooWide' });
  });

  it('enforces the workspace limits as a backstop, naming the limit', () => {
    const f = plan(
      input({
        lc: lc('late', {}, { metadata: { name: 'late', creationTimestamp: '2024-02-01T00:00:00Z' } }),
        workspace: workspace({ maxLogicalClusters: 1 }),
        otherClaims: () => [{ name: 'early', created: '2024-01-01T00:00:00Z', quota: {}, cost: { amount: 0 }, workspaces: ['team'] }],
      }),
    );
    expect(f).to.include({ ok: false, phase: 'Failed', reason: 'MaxLogicalClustersExceeded' });
    if (!f.ok) expect(f.message).to.include('workspace team allows at most 1');
  });

  it('prunes only Canopy objects of this logical cluster that are no longer wanted', () => {
    const p = ok(plan(input({ lc: lc('shop', { namespaces: ['web'] }) })));
    const labels = { 'canopy.dev/managed-by': 'canopy', 'canopy.dev/logical-cluster': 'shop' };
    const existing: KubernetesObject[] = [
      { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'shop-web', labels } },
      { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'shop-old', labels } },
      { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'shop-foreign', labels: { 'canopy.dev/logical-cluster': 'shop' } } },
      { apiVersion: 'v1', kind: 'ResourceQuota', metadata: { name: 'canopy-quota', namespace: 'shop-web', labels } },
      { apiVersion: 'v1', kind: 'Secret', metadata: { name: 'shop-kubeconfig', namespace: 'shop-web', labels } },
    ];
    const gone = toPrune('shop', p.objects.host, existing, ['v1/Secret/shop-web/shop-kubeconfig']);
    expect(gone.map((o) => `${o.kind}/${o.metadata?.name}`)).to.deep.equal(['Namespace/shop-old', 'ResourceQuota/canopy-quota']);
  });
});
