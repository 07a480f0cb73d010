/**
 * The real Helm, as a tenant, through the gateway: a chart that creates its
 * own namespace (`--create-namespace`), a ServiceAccount, a Deployment and a
 * Service installs with nothing but the logical cluster's kubeconfig pointed
 * at the gateway; the new namespace joins the logical cluster on the host;
 * `helm uninstall` removes what it installed; another tenant's kubeconfig
 * cannot install into the first tenant's namespace and leaves nothing behind.
 * The same for a Cluster-mode logical cluster, whose kubeconfig is the same
 * gateway path and whose objects land on its member cluster.
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { expect } from 'chai';
import { ensureTool, repoRoot, waitUntil } from '../../controlplane/launcher/index.js';
import { testEnv, testOperator, uniqueName } from '../../test/e2e/env.js';
import {
  create,
  deleteIfExists,
  logicalClusterObject,
  tenantKubeConfig,
  waitForPhase,
  waitGone,
  workspaceObject,
  type LogicalClusterState,
} from '../../test/support/logicalcluster.js';
import { LABEL_LOGICAL_CLUSTER } from '../crds/labels.js';
import { ApiClient, Resources, type KubeObject } from '../runtime/index.js';
import { tenantKubeconfig } from '../reconcilers/logicalcluster/kubeconfig.js';
import { gatewayEndpointFor } from '../reconcilers/logicalcluster/target.js';

const run = promisify(execFile);
const chart = join(repoRoot, 'test', 'fixtures', 'charts', 'tenant-app');

interface Outcome {
  readonly ok: boolean;
  readonly stdout: string;
  readonly stderr: string;
}

for (const mode of ['Namespace', 'Cluster'] as const)
  describe(`gateway: helm as a tenant, ${mode} mode (real helm, real apiservers)`, function () {
    this.timeout(300_000);
    let host: ApiClient;
    /** Where the logical cluster's namespaces live: the host, or its member in Cluster mode. */
    let home: ApiClient;
    let helm: string;
    let dir: string;
    const ws = uniqueName('gw-helm');
    const lcA = uniqueName('happ');
    const lcB = uniqueName('hoth');
    let kubeconfigA: string;
    let kubeconfigB: string;
    const appsNs = `${lcA}-apps`;

    /** The logical cluster's own kubeconfig (its ServiceAccount token), pointed at the gateway's path of it. */
    async function gatewayKubeconfig(lc: LogicalClusterState, file: string): Promise<string> {
      const direct = await tenantKubeConfig(host, lc);
      const token = direct.getCurrentUser()?.token;
      if (!token) throw new Error(`the kubeconfig of ${lc.metadata.name} has no token`);
      const endpoint = gatewayEndpointFor(await testOperator().gateway.endpoint(), lc.metadata.name ?? '');
      const namespace = direct.getContextObject(direct.getCurrentContext())?.namespace ?? '';
      const path = join(dir, file);
      writeFileSync(
        path,
        tenantKubeconfig({ name: lc.metadata.name ?? '', server: endpoint.server, caData: endpoint.caData, namespace, user: 'tenant' }, token),
        { mode: 0o600 },
      );
      return path;
    }

    /** helm with only the given kubeconfig and a private HOME: no admin credentials anywhere in reach. */
    async function helmAs(kubeconfig: string, ...args: string[]): Promise<Outcome> {
      const env = {
        PATH: process.env.PATH ?? '',
        HOME: dir,
        KUBECONFIG: kubeconfig,
        HELM_CACHE_HOME: join(dir, 'cache'),
        HELM_CONFIG_HOME: join(dir, 'config'),
        HELM_DATA_HOME: join(dir, 'data'),
      };
      try {
        const { stdout, stderr } = await run(helm, [...args, '--kubeconfig', kubeconfig], { env, timeout: 180_000 });
        return { ok: true, stdout, stderr };
      } catch (err) {
        const e = err as { stdout?: string; stderr?: string; message: string };
        return { ok: false, stdout: e.stdout ?? '', stderr: e.stderr ?? e.message };
      }
    }

    const objectsOf = async (namespace: string, release: string): Promise<string[]> => {
      const selector = `app.kubernetes.io/instance=${release}`;
      const out: string[] = [];
      for (const resource of [Resources.ServiceAccount, Resources.Deployment, Resources.Service]) {
        for (const o of await home.listAll(resource, { namespace, labelSelector: selector })) out.push(`${o.kind}/${o.metadata?.name}`);
      }
      return out.sort();
    };

    before(async () => {
      helm = await ensureTool('helm', { quiet: true });
      dir = mkdtempSync(join(tmpdir(), 'canopy-gw-helm-'));
      host = new ApiClient(testEnv().host.kubeConfig());
      home = mode === 'Cluster' ? new ApiClient(testEnv().cluster('eu-1').kubeConfig()) : host;
      await create(host, Resources.Workspace, workspaceObject(ws));
      if (mode === 'Cluster') {
        // Binding needs a Ready member: wait for the health reconciler's first probe of eu-1 (the one labelled compliance/pci).
        const probed = await waitUntil(90_000, 250, async () => {
          const eu1 = await host.tryGet<KubeObject & { status?: { conditions?: Array<{ type: string; status: string }> } }>(Resources.Cluster, 'eu-1');
          return eu1?.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True') === true;
        });
        expect(probed, 'member eu-1 reported Ready').to.equal(true);
      }
      const specA =
        mode === 'Cluster'
          ? {
              workspace: ws,
              mode: 'Cluster',
              clusterSelector: { matchLabels: { 'compliance/pci': 'true' } },
              namespaces: ['web'],
              capabilities: { preset: 'admin' },
            }
          : { workspace: ws, namespaces: ['web'], capabilities: { preset: 'admin' } };
      await create(host, Resources.LogicalCluster, logicalClusterObject(lcA, specA));
      await create(host, Resources.LogicalCluster, logicalClusterObject(lcB, { workspace: ws, capabilities: { preset: 'admin' } }));
      kubeconfigA = await gatewayKubeconfig(await waitForPhase(host, lcA, 'Ready'), 'a.kubeconfig');
      kubeconfigB = await gatewayKubeconfig(await waitForPhase(host, lcB, 'Ready'), 'b.kubeconfig');
    });

    after(async () => {
      for (const lc of [lcA, lcB]) await deleteIfExists(host, Resources.LogicalCluster, lc);
      for (const lc of [lcA, lcB]) await waitGone(host, lc).catch(() => undefined);
      await deleteIfExists(host, Resources.Workspace, ws);
      if (dir) rmSync(dir, { recursive: true, force: true });
    });

    it('installs a chart that creates its namespace; the namespace joins the logical cluster; uninstall cleans up', async () => {
      const installed = await helmAs(kubeconfigA, 'install', 'shop', chart, '--namespace', appsNs, '--create-namespace', '--wait=false');
      expect(installed.ok, `helm install failed: ${installed.stderr}`).to.equal(true);
      expect(installed.stdout).to.contain('STATUS: deployed');

      // Where the logical cluster lives: the namespace is the logical cluster's (labelled, in its spec) and holds the release's objects.
      const ns = await home.get<KubeObject>(Resources.Namespace, appsNs);
      expect(ns.metadata?.labels?.[LABEL_LOGICAL_CLUSTER]).to.equal(lcA);
      const lc = await host.get<KubeObject & { spec: { namespaces?: string[] }; status?: { namespaces?: string[] } }>(Resources.LogicalCluster, lcA);
      expect(lc.spec.namespaces).to.include('apps');
      expect(await objectsOf(appsNs, 'shop')).to.deep.equal(['Deployment/shop-web', 'Service/shop-web', 'ServiceAccount/shop-web']);
      // Helm keeps its release record as a Secret in that namespace, written as the tenant.
      expect((await home.listAll(Resources.Secret, { namespace: appsNs, labelSelector: 'owner=helm,name=shop' })).length).to.equal(1);

      // Helm reads back through the gateway what it wrote.
      const listed = await helmAs(kubeconfigA, 'list', '--namespace', appsNs, '-o', 'json');
      expect(listed.ok, listed.stderr).to.equal(true);
      expect((JSON.parse(listed.stdout) as { name: string; status: string }[]).map((r) => [r.name, r.status])).to.deep.equal([['shop', 'deployed']]);
      const all = await helmAs(kubeconfigA, 'list', '--all-namespaces', '-o', 'json');
      expect(all.ok, all.stderr).to.equal(true);
      expect((JSON.parse(all.stdout) as { name: string; namespace: string }[]).map((r) => `${r.namespace}/${r.name}`)).to.deep.equal([`${appsNs}/shop`]);
    });

    it("refuses the same install with another tenant's kubeconfig into the first tenant's namespace, creating nothing", async () => {
      const before = await objectsOf(appsNs, 'intruder');
      for (const args of [
        ['install', 'intruder', chart, '--namespace', appsNs, '--create-namespace', '--wait=false'],
        ['install', 'intruder', chart, '--namespace', appsNs, '--wait=false'],
      ]) {
        const refused = await helmAs(kubeconfigB, ...args);
        expect(refused.ok, `helm ${args.join(' ')} as ${lcB} succeeded`).to.equal(false);
        expect(refused.stderr).to.match(/forbidden|not found|invalid|403|404|422/i);
        expect(refused.stderr, 'refused for the wrong reason').to.not.contain('openapi');
      }
      expect(before).to.deep.equal([]);
      expect(await objectsOf(appsNs, 'intruder')).to.deep.equal([]);
      expect(await home.listAll(Resources.Secret, { namespace: appsNs, labelSelector: 'owner=helm,name=intruder' })).to.deep.equal([]);
      // B's own view knows nothing of A's release.
      const listed = await helmAs(kubeconfigB, 'list', '--all-namespaces', '-o', 'json');
      expect(listed.ok, listed.stderr).to.equal(true);
      expect(JSON.parse(listed.stdout)).to.deep.equal([]);
      // Nor did the attempt put A's namespace into B's logical cluster.
      const lc = await host.get<KubeObject & { spec: { namespaces?: string[] } }>(Resources.LogicalCluster, lcB);
      expect(lc.spec.namespaces ?? []).to.not.include(appsNs);
      expect((await home.get<KubeObject>(Resources.Namespace, appsNs)).metadata?.labels?.[LABEL_LOGICAL_CLUSTER]).to.equal(lcA);
      if (mode === 'Cluster') expect(await host.tryGet(Resources.Namespace, appsNs), 'nothing of A on the host').to.equal(undefined);
    });

    it('uninstalls through the gateway: the objects and the release record are gone', async () => {
      const removed = await helmAs(kubeconfigA, 'uninstall', 'shop', '--namespace', appsNs, '--wait');
      expect(removed.ok, `helm uninstall failed: ${removed.stderr}`).to.equal(true);
      const gone = await waitUntil(60_000, 250, async () => (await objectsOf(appsNs, 'shop')).length === 0);
      expect(gone, `left behind: ${(await objectsOf(appsNs, 'shop')).join(', ')}`).to.equal(true);
      expect(await home.listAll(Resources.Secret, { namespace: appsNs, labelSelector: 'owner=helm,name=shop' })).to.deep.equal([]);
      const listed = await helmAs(kubeconfigA, 'list', '--all-namespaces', '-o', 'json');
      expect(JSON.parse(listed.stdout)).to.deep.equal([]);
    });
  });
