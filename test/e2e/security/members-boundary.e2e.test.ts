/**
 * The tenant boundary on member clusters, tried as the tenant: everything a
 * logical cluster's namespace enforces on the control plane (pod security,
 * quota, limits, network policies) travels with its workloads to every member;
 * the syncer re-checks the limits before it applies; a member namespace that
 * someone else created is never written to; and a cluster pin the webhook
 * accepted is what the scheduler does.
 */
import { expect } from 'chai';
import type { KubeConfig } from '@kubernetes/client-node';
import { ApiClient, apply, Resources, type KubeObject, type ResourceRef } from '../../../src/runtime/index.js';
import { API_VERSION } from '../../../src/crds/index.js';
import { create, deleteIfExists, logicalClusterObject, tenantKubeConfig, waitForPhase, workspaceObject } from '../../support/logicalcluster.js';
import { client, condition, deleteIgnoringMissing, eventually, type PropagatedObjectView } from '../../support/propagation.js';
import { deploymentOf, restrictedDeployment } from '../../support/workloads.js';
import { testEnv, uniqueName } from '../env.js';
import { onceAllowed } from './admission-support.js';

const CLOUD = ['eu-2', 'us-1'];
const POD_SECURITY_ENFORCE = 'pod-security.kubernetes.io/enforce';

/** A Deployment that passes baseline but not restricted (no runAsNonRoot, no seccomp). */
const baselineDeployment = (name: string): KubeObject => deploymentOf(name, { containers: [{ name: 'web', image: 'nginx:1.27' }] });

function propagatedObject(name: string, namespace: string, template: KubeObject, annotations: Record<string, string> = {}): KubeObject {
  return { apiVersion: API_VERSION, kind: 'PropagatedObject', metadata: { name, namespace, annotations }, spec: { template } } as KubeObject;
}

async function po(namespace: string, name: string): Promise<PropagatedObjectView | undefined> {
  return client('host').tryGet<PropagatedObjectView>(Resources.PropagatedObject, name, namespace);
}

const NAMESPACED_KINDS: ResourceRef[] = [
  Resources.Deployment,
  Resources.Role,
  Resources.RoleBinding,
  Resources.ResourceQuota,
  Resources.LimitRange,
  Resources.NetworkPolicy,
  Resources.Secret,
  Resources.ConfigMap,
];

/** `Kind/name` of everything of these kinds in a namespace of a cluster (the default ConfigMap and token Secrets left out). */
async function contents(cluster: string, namespace: string): Promise<string[]> {
  const out: string[] = [];
  for (const resource of NAMESPACED_KINDS) {
    for (const o of await client(cluster).listAll(resource, { namespace })) {
      if (o.metadata?.name === 'kube-root-ca.crt') continue;
      out.push(`${resource.kind}/${o.metadata?.name}`);
    }
  }
  return out.sort();
}

describe('security: the tenant boundary on member clusters (e2e)', function () {
  this.timeout(300_000);
  const ws = uniqueName('sec-ws');
  const lc = uniqueName('sec-shop');
  const policy = uniqueName('sec-cloud');
  let tenant: KubeConfig;
  let tenantClient: ApiClient;

  before(async () => {
    const host = client('host');
    await create(host, Resources.Workspace, workspaceObject(ws, { owners: [{ kind: 'User', name: 'alice' }], constraints: { podSecurity: 'baseline' } }));
    await create(
      host,
      Resources.LogicalCluster,
      logicalClusterObject(lc, {
        workspace: ws,
        capabilities: { preset: 'developer' },
        constraints: { podSecurity: 'restricted', quota: { hard: { cpu: '2', memory: '4Gi', pods: '10' } } },
      }),
    );
    await apply(host, {
      apiVersion: API_VERSION,
      kind: 'PlacementPolicy',
      metadata: { name: policy },
      spec: {
        resourceSelectors: [{ apiVersion: 'apps/v1', kind: 'Deployment', workspace: ws }],
        clusterSelector: { matchLabels: { 'canopy.dev/cloud': 'true' } },
      },
    } as KubeObject);
    tenant = await tenantKubeConfig(host, await waitForPhase(host, lc, 'Ready'));
    tenantClient = new ApiClient(tenant);
  });

  after(async () => {
    const host = client('host');
    await deleteIfExists(host, Resources.LogicalCluster, lc);
    await deleteIgnoringMissing('host', Resources.PlacementPolicy, policy);
    await eventually('the logical cluster is gone', async () => ((await host.tryGet(Resources.LogicalCluster, lc)) ? undefined : true), 120_000).catch(
      () => undefined,
    );
    await deleteIfExists(host, Resources.Workspace, ws);
  });

  it('gives every member namespace the pod security, quota, limits and network policies of the host namespace, and puts them back', async () => {
    const name = uniqueName('web');
    await tenantClient.create(Resources.PropagatedObject, propagatedObject(name, lc, restrictedDeployment(name)));
    await eventually('the copies are synced', async () => (condition(await po(lc, name), 'Synced')?.status === 'True' ? true : undefined));

    const hostQuota = await client('host').get<KubeObject & { spec?: { hard?: Record<string, string> } }>(Resources.ResourceQuota, 'canopy-quota', lc);
    for (const cluster of CLOUD) {
      const ns = await client(cluster).get(Resources.Namespace, lc);
      expect(ns.metadata?.labels?.[POD_SECURITY_ENFORCE], `${cluster}: pod security`).to.equal('restricted');
      expect(ns.metadata?.labels?.['canopy.dev/logical-cluster']).to.equal(lc);
      const quota = await client(cluster).get<KubeObject & { spec?: { hard?: Record<string, string> } }>(Resources.ResourceQuota, 'canopy-quota', lc);
      expect(quota.spec?.hard, `${cluster}: the quota is mirrored`).to.deep.equal(hostQuota.spec?.hard);
      expect((await contents(cluster, lc)).filter((k) => !k.startsWith('Deployment/') && !k.startsWith('Role'))).to.deep.equal([
        'LimitRange/canopy-defaults',
        'NetworkPolicy/canopy-allow-same-logical-cluster',
        'NetworkPolicy/canopy-default-deny',
        'ResourceQuota/canopy-quota',
      ]);
    }

    // The member enforces it, for anyone: even its admin cannot run a privileged pod there.
    const privileged = {
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name: 'root', namespace: lc },
      spec: { hostNetwork: true, containers: [{ name: 'c', image: 'busybox', securityContext: { privileged: true } }] },
    };
    const refused = await client('eu-2')
      .create(Resources.Pod, privileged as KubeObject)
      .then(
        () => undefined,
        (err: unknown) => err as Error,
      );
    expect(refused?.message ?? 'created', 'the member refuses a privileged pod').to.match(/violates PodSecurity "restricted/);

    // Drift on a member (the quota deleted, the namespace relabelled privileged) is put back.
    await client('eu-2').delete(Resources.ResourceQuota, 'canopy-quota', lc);
    await client('eu-2').patch(Resources.Namespace, lc, undefined, { metadata: { labels: { [POD_SECURITY_ENFORCE]: 'privileged' } } }, 'merge');
    await eventually('the quota is back on eu-2', async () => ((await client('eu-2').tryGet(Resources.ResourceQuota, 'canopy-quota', lc)) ? true : undefined));
    await eventually('the pod-security label is back on eu-2', async () =>
      (await client('eu-2').get(Resources.Namespace, lc)).metadata?.labels?.[POD_SECURITY_ENFORCE] === 'restricted' ? true : undefined,
    );
  });

  it('does not apply a copy that breaks limits tightened after it was admitted, and says why', async () => {
    const lax = uniqueName('sec-lax');
    const name = uniqueName('legacy');
    const host = client('host');
    await create(host, Resources.LogicalCluster, logicalClusterObject(lax, { workspace: ws, capabilities: { preset: 'developer' } }));
    try {
      const laxTenant = new ApiClient(await tenantKubeConfig(host, await waitForPhase(host, lax, 'Ready')));
      await laxTenant.create(Resources.PropagatedObject, propagatedObject(name, lax, baselineDeployment(name)));
      await eventually('the baseline copy is synced', async () => (condition(await po(lax, name), 'Synced')?.status === 'True' ? true : undefined));
      const before = await client('us-1').get(Resources.Deployment, name, lax);

      // The platform team tightens the logical cluster to restricted.
      await host.patch(Resources.LogicalCluster, lax, undefined, { spec: { constraints: { podSecurity: 'restricted' } } }, 'merge');
      const synced = await eventually('the syncer reports the violation', async () => {
        const c = condition(await po(lax, name), 'Synced');
        return c?.reason === 'ConstraintViolation' ? c : undefined;
      });
      expect(synced.status).to.equal('False');
      expect(synced.message).to.match(/runAsNonRoot|allowPrivilegeEscalation|seccomp/);
      expect(synced.message).to.contain('restricted');

      // What runs is left as it was: nothing deleted, nothing rewritten.
      const after = await client('us-1').get(Resources.Deployment, name, lax);
      expect(after.metadata?.uid).to.equal(before.metadata?.uid);
      expect(after.metadata?.generation).to.equal(before.metadata?.generation);
    } finally {
      await deleteIfExists(host, Resources.LogicalCluster, lax);
    }
  });

  it('never writes into a member namespace someone else created, and says so', async () => {
    const victim = uniqueName('sec-victim');
    const name = uniqueName('web');
    const host = client('host');
    // Someone with rights on eu-2 only keeps a namespace there, with a Secret of theirs.
    await client('eu-2').create(Resources.Namespace, {
      apiVersion: 'v1',
      kind: 'Namespace',
      metadata: { name: victim, labels: { team: 'theirs' } },
    } as KubeObject);
    await client('eu-2').create(Resources.Secret, {
      apiVersion: 'v1',
      kind: 'Secret',
      metadata: { name: 'their-secret', namespace: victim },
      stringData: { password: 'not-for-tenants' },
    } as KubeObject);
    const before = await contents('eu-2', victim);
    const alice = new ApiClient(testEnv().host.userKubeConfig('alice'));
    try {
      // The workspace owner names a logical cluster after it, as herself.
      await onceAllowed('alice may create logical clusters in her workspace', () =>
        alice.create(Resources.LogicalCluster, logicalClusterObject(victim, { workspace: ws, capabilities: { preset: 'developer' } }) as KubeObject),
      );
      const victimTenant = new ApiClient(await tenantKubeConfig(host, await waitForPhase(host, victim, 'Ready')));
      await victimTenant.create(Resources.PropagatedObject, propagatedObject(name, victim, restrictedDeployment(name)));

      const synced = await eventually('the conflict is reported', async () => {
        const c = condition(await po(victim, name), 'Synced');
        return c?.reason === 'NamespaceConflict' ? c : undefined;
      });
      expect(synced.status).to.equal('False');
      expect(synced.message).to.contain('eu-2').and.to.contain(`namespace ${victim}`).and.to.contain('not created by Canopy');
      const entry = (await po(victim, name))?.status?.clusters?.find((c) => c.cluster === 'eu-2');
      expect(entry?.state).to.equal('Failed');

      // us-1 had no such namespace: Canopy made its own there and placed the copy.
      await eventually('the copy on us-1', async () => ((await client('us-1').tryGet(Resources.Deployment, name, victim)) ? true : undefined));

      // Nothing was written into the foreign namespace, and its labels are its owner's.
      expect(await contents('eu-2', victim)).to.deep.equal(before);
      const ns = await client('eu-2').get(Resources.Namespace, victim);
      expect(ns.metadata?.labels?.['canopy.dev/managed-by']).to.equal(undefined);
      expect(ns.metadata?.labels?.[POD_SECURITY_ENFORCE]).to.equal(undefined);
    } finally {
      await deleteIfExists(host, Resources.LogicalCluster, victim);
      await deleteIgnoringMissing('eu-2', Resources.Namespace, victim);
    }
  });

  it('places a PropagatedObject that pins a cluster on itself only there', async () => {
    const name = uniqueName('pinned');
    await tenantClient.create(Resources.PropagatedObject, propagatedObject(name, lc, restrictedDeployment(name), { 'placement.canopy.dev/clusters': 'us-1' }));
    const placed = await eventually('placed', async () => {
      const p = await po(lc, name);
      return condition(p, 'Scheduled')?.status === 'True' ? p : undefined;
    });
    expect(placed.status?.placement?.map((p) => p.cluster)).to.deep.equal(['us-1']);
    expect(placed.status?.excluded?.find((e) => e.cluster === 'eu-2')?.reason).to.match(/not listed in annotation placement.canopy.dev\/clusters/);
    await eventually('the copy on us-1', async () => ((await client('us-1').tryGet(Resources.Deployment, name, lc)) ? true : undefined));
    expect(await client('eu-2').tryGet(Resources.Deployment, name, lc)).to.equal(undefined);
  });
});
