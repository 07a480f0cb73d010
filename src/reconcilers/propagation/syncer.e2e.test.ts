import { expect } from 'chai';
import { apply, Resources, type KubeObject } from '../../runtime/index.js';
import { uniqueName } from '../../../test/e2e/env.js';
import {
  client,
  condition,
  deleteIgnoringMissing,
  deployment,
  Deployments,
  eventually,
  PropagatedObjects,
  removeTenant,
  ReplicaSets,
  tenantNamespace,
  type PropagatedObjectView,
} from '../../../test/support/propagation.js';

type DeploymentView = KubeObject & {
  spec?: { replicas?: number; template?: { spec?: { containers?: Array<{ image?: string }> } } };
  status?: { replicas?: number };
};

type PodView = KubeObject & { spec?: { nodeName?: string }; status?: { phase?: string; conditions?: Array<{ type: string; status: string }> } };
const image = (d: DeploymentView | undefined) => d?.spec?.template?.spec?.containers?.[0]?.image;

/**
 * The syncer end to end, with the shared operator's placement and cluster
 * reconcilers: a tenant's plain Deployment selected by a Divide 3:1 policy
 * over eu-1 and us-1 lands on both members with its share of replicas,
 * takes per-region overrides, is put back when edited or deleted on a
 * member, brings its ConfigMap and the tenant's RBAC along, and leaves
 * every member when it stops matching the policy.
 *
 * The members run kube-controller-manager, kube-scheduler and kwok, so
 * Deployments really create ReplicaSets and Pods, the scheduler binds them to
 * the member's Nodes and kwok reports them Running and Ready: ready counts
 * come from the real components.
 */
describe('propagation: syncing PropagatedObjects to member clusters (e2e)', function () {
  this.timeout(180_000);
  let tenant: { namespace: string; workspace: string };
  let ns: string;
  const policy = uniqueName('divide-3-1');
  const web = uniqueName('web');
  const po = `${web}-deployment`;
  const getPo = () => client('host').tryGet<PropagatedObjectView>(PropagatedObjects, po, ns);
  const onMember = (cluster: string, name = web) => client(cluster).tryGet<DeploymentView>(Deployments, name, ns);

  before(async () => {
    tenant = await tenantNamespace('shop');
    ns = tenant.namespace;
    await apply(client('host'), {
      apiVersion: 'canopy.dev/v1alpha1',
      kind: 'PlacementPolicy',
      metadata: { name: policy },
      spec: {
        priority: 500,
        resourceSelectors: [
          { apiVersion: 'apps/v1', kind: 'Deployment', workspace: tenant.workspace, labelSelector: { matchLabels: { placement: 'divide' } } },
        ],
        replicas: {
          strategy: 'Divide',
          weights: [
            { cluster: 'eu-1', weight: 3 },
            { cluster: 'us-1', weight: 1 },
          ],
        },
        // Copies go as soon as the object stops matching (the grace itself is tested with the deselection suite).
        deselectionGraceSeconds: 0,
      },
    } as KubeObject);
    // The tenant's configuration and the RBAC a LogicalCluster would have materialised in its namespace.
    await apply(client('host'), {
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: { name: 'web-config', namespace: ns },
      data: { GREETING: 'hello' },
    } as KubeObject);
    await apply(client('host'), {
      apiVersion: 'rbac.authorization.k8s.io/v1',
      kind: 'RoleBinding',
      metadata: { name: 'tenant-developers', namespace: ns, labels: { 'canopy.dev/managed-by': 'canopy' } },
      roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: 'edit' },
      subjects: [{ apiGroup: 'rbac.authorization.k8s.io', kind: 'User', name: 'alice' }],
    } as KubeObject);
    const d = deployment(web, 8, { placement: 'divide' });
    (d['spec'] as { template: { spec: { containers: Array<Record<string, unknown>> } } }).template.spec.containers[0]!['envFrom'] = [
      { configMapRef: { name: 'web-config' } },
    ];
    await apply(client('host'), { ...d, metadata: { ...d.metadata, namespace: ns } });
  });

  after(async () => {
    await deleteIgnoringMissing('host', Resources.PlacementPolicy, policy);
    await removeTenant(tenant);
  });

  it('divides 8 replicas 3:1 into 6 on eu-1 and 2 on us-1, and aggregates both in status', async () => {
    const ready = await eventually(
      'the PropagatedObject to be Ready on both clusters',
      async () => {
        const p = await getPo();
        return condition(p, 'Ready')?.status === 'True' ? p : undefined;
      },
      90_000,
    );
    expect(ready.status?.placement?.map((p) => [p.cluster, p.replicas]).sort()).to.deep.equal([
      ['eu-1', 6],
      ['us-1', 2],
    ]);
    expect((await onMember('eu-1'))?.spec?.replicas).to.equal(6);
    expect((await onMember('us-1'))?.spec?.replicas).to.equal(2);
    expect(await onMember('eu-2')).to.equal(undefined);
    // The members' own controllers acted on the copies: a ReplicaSet with the cluster's share.
    for (const [cluster, replicas] of [
      ['eu-1', 6],
      ['us-1', 2],
    ] as const) {
      const sets = await client(cluster).list<KubeObject & { spec?: { replicas?: number } }>(ReplicaSets, { namespace: ns, labelSelector: `app=${web}` });
      expect(
        sets.items.map((rs) => rs.spec?.replicas),
        `ReplicaSets on ${cluster}`,
      ).to.deep.equal([replicas]);
      // kube-scheduler bound every pod to one of the member's own Nodes, and kwok reports it Running and Ready.
      const pods = await client(cluster).list<PodView>(Resources.Pod, { namespace: ns, labelSelector: `app=${web}` });
      expect(pods.items, `pods on ${cluster}`).to.have.length(replicas);
      for (const pod of pods.items) {
        expect(pod.spec?.nodeName, `node of ${pod.metadata?.name}`).to.match(new RegExp(`^${cluster}-node-\\d+$`));
        expect(pod.status?.phase).to.equal('Running');
        expect(pod.status?.conditions?.find((c) => c.type === 'Ready')?.status).to.equal('True');
      }
    }
    expect(ready.status?.replicas).to.equal(8);
    expect(ready.status?.readyReplicas).to.equal(8);
    expect(ready.status?.clusters?.map((c) => [c.cluster, c.state, c.replicas, c.readyReplicas]).sort()).to.deep.equal([
      ['eu-1', 'Synced', 6, 6],
      ['us-1', 'Synced', 2, 2],
    ]);
    expect(condition(ready, 'Synced')).to.include({ status: 'True', reason: 'Synced' });
    const copy = await onMember('eu-1');
    expect(copy?.metadata?.labels).to.include({
      'canopy.dev/managed-by': 'canopy',
      'canopy.dev/workspace': tenant.workspace,
      'canopy.dev/propagated-object': `${ns}.${po}`,
    });
    const memberNs = await client('eu-1').get(Resources.Namespace, ns);
    expect(memberNs.metadata?.labels).to.include({ 'canopy.dev/managed-by': 'canopy', 'canopy.dev/workspace': tenant.workspace });
  });

  it('brings the ConfigMap the pod template references and the tenant RBAC to the clusters it runs on, and only there', async () => {
    for (const cluster of ['eu-1', 'us-1']) {
      const cm = await eventually(`ConfigMap web-config on ${cluster}`, () =>
        client(cluster).tryGet<KubeObject & { data?: Record<string, string> }>(Resources.ConfigMap, 'web-config', ns),
      );
      expect(cm.data).to.deep.equal({ GREETING: 'hello' });
      expect(cm.metadata?.labels).to.include({ 'canopy.dev/managed-by': 'canopy', 'canopy.dev/companion': 'dependency' });
      const rb = await eventually(`RoleBinding on ${cluster}`, () => client(cluster).tryGet(Resources.RoleBinding, 'tenant-developers', ns));
      expect(rb.metadata?.labels).to.include({ 'canopy.dev/companion': 'rbac' });
    }
    expect(await client('eu-2').tryGet(Resources.ConfigMap, 'web-config', ns)).to.equal(undefined);
    // An edit at the source reaches the copies.
    await apply(client('host'), {
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: { name: 'web-config', namespace: ns },
      data: { GREETING: 'hi' },
    } as KubeObject);
    await eventually('the edited ConfigMap on us-1', async () => {
      const cm = await client('us-1').tryGet<KubeObject & { data?: Record<string, string> }>(Resources.ConfigMap, 'web-config', ns);
      return cm?.data?.['GREETING'] === 'hi' ? cm : undefined;
    });
  });

  it('applies a per-region image override only where its selector matches', async () => {
    await client('host').patch(
      PropagatedObjects,
      po,
      ns,
      {
        spec: {
          overrides: [
            {
              clusterSelector: { matchLabels: { 'canopy.dev/geo': 'us' } },
              patches: [{ op: 'replace', path: '/spec/template/spec/containers/0/image', value: 'registry.us.example/nginx:1.27' }],
            },
          ],
        },
      },
      'merge',
    );
    await eventually('the us image on us-1', async () => (image(await onMember('us-1')) === 'registry.us.example/nginx:1.27' ? true : undefined));
    expect(image(await onMember('eu-1'))).to.equal('nginx:1.27');
    // The generator keeps owning the template; the override stays.
    expect((await getPo())?.spec).to.have.property('overrides');
  });

  it('puts back a copy edited on a member', async () => {
    await client('us-1').patch(
      Deployments,
      web,
      ns,
      { spec: { replicas: 5, template: { spec: { containers: [{ name: 'app', image: 'evil:latest' }] } } } },
      'strategic',
    );
    const restored = await eventually('us-1 back to 2 replicas and the override image', async () => {
      const d = await onMember('us-1');
      return d?.spec?.replicas === 2 && image(d) === 'registry.us.example/nginx:1.27' ? d : undefined;
    });
    expect(restored.metadata?.labels?.['canopy.dev/managed-by']).to.equal('canopy');
  });

  it('re-creates a copy deleted on a member', async () => {
    const before = await onMember('eu-1');
    await client('eu-1').delete(Deployments, web, ns);
    const again = await eventually('a new copy on eu-1', async () => {
      const d = await onMember('eu-1');
      return d && d.metadata?.uid !== before?.metadata?.uid && !d.metadata?.deletionTimestamp ? d : undefined;
    });
    expect(again.spec?.replicas).to.equal(6);
  });

  it('never takes over an object on a member that Canopy did not create', async () => {
    const clash = uniqueName('clash');
    // Someone deployed it by hand on eu-1 first.
    await apply(
      client('eu-1'),
      { ...deployment(clash, 1, {}, 'their/image:1'), metadata: { name: clash, namespace: ns, labels: { app: clash } } },
      { fieldManager: 'kubectl' },
    );
    const d = deployment(clash, 4, { placement: 'divide' });
    await apply(client('host'), { ...d, metadata: { ...d.metadata, namespace: ns } });
    const conflicted = await eventually('a Conflict on eu-1', async () => {
      const p = await client('host').tryGet<PropagatedObjectView>(PropagatedObjects, `${clash}-deployment`, ns);
      return condition(p, 'Synced')?.reason === 'Conflict' ? p : undefined;
    });
    expect(condition(conflicted, 'Synced')?.message).to.match(/^eu-1: an object of the same name exists there without canopy.dev\/managed-by=canopy/);
    expect(conflicted.status?.clusters?.find((c) => c.cluster === 'eu-1')?.state).to.equal('Failed');
    const theirs = await onMember('eu-1', clash);
    expect(image(theirs)).to.equal('their/image:1');
    expect(theirs?.spec?.replicas).to.equal(1);
    expect(theirs?.metadata?.labels?.['canopy.dev/managed-by']).to.equal(undefined);
    await eventually('the copy on us-1', () => onMember('us-1', clash));
    await deleteIgnoringMissing('host', Deployments, clash, ns);
    await eventually('the us-1 copy removed with its source', async () => ((await onMember('us-1', clash)) ? undefined : true));
    expect(await onMember('eu-1', clash), 'the hand-made object stays').to.not.equal(undefined);
  });

  it('removes the copies (and the dependencies nothing else needs) when the object stops matching the policy', async () => {
    await client('host').patch(Deployments, web, ns, { metadata: { labels: { placement: 'none' } } }, 'merge');
    await eventually('the PropagatedObject is gone', async () => ((await getPo()) ? undefined : true));
    for (const cluster of ['eu-1', 'us-1']) {
      await eventually(`no copy on ${cluster}`, async () => ((await onMember(cluster)) ? undefined : true));
      await eventually(`no ConfigMap on ${cluster}`, async () => ((await client(cluster).tryGet(Resources.ConfigMap, 'web-config', ns)) ? undefined : true));
      await eventually(`no RoleBinding on ${cluster}`, async () =>
        (await client(cluster).tryGet(Resources.RoleBinding, 'tenant-developers', ns)) ? undefined : true,
      );
    }
    expect(await client('host').tryGet(Deployments, web, ns), 'the plain Deployment itself stays').to.not.equal(undefined);
  });

  it('removes the member namespaces Canopy created once the tenant namespace is deleted', async () => {
    const d = deployment(uniqueName('last'), 1, { placement: 'divide' });
    await apply(client('host'), { ...d, metadata: { ...d.metadata, namespace: ns } });
    await eventually('a copy on eu-1', () => onMember('eu-1', d.metadata!.name!));
    await deleteIgnoringMissing('host', Resources.Namespace, ns);
    for (const cluster of ['eu-1', 'us-1']) {
      await eventually(
        `namespace ${ns} gone from ${cluster}`,
        async () => ((await client(cluster).tryGet(Resources.Namespace, ns)) ? undefined : true),
        120_000,
      );
    }
  });
});
