/**
 * The placement view through the gateway with the real kubectl: a tenant's
 * plain ConfigMap, placed on two members by a PlacementPolicy, shows up in
 * `kubectl get placements.view.canopy.dev -A` once per member with its sync
 * state; another tenant sees none of it, not even by naming the namespace.
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { expect } from 'chai';
import { waitUntil } from '../../controlplane/launcher/index.js';
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
import type { KubernetesObject } from '@kubernetes/client-node';
import { ApiClient, Resources } from '../runtime/index.js';
import { tenantKubeconfig } from '../reconcilers/logicalcluster/kubeconfig.js';
import { gatewayEndpointFor } from '../reconcilers/logicalcluster/target.js';

const run = promisify(execFile);
const MEMBERS = ['eu-1', 'us-1'];

interface PlacementItem {
  metadata: { name: string; namespace: string };
  object: { kind: string; name: string };
  cluster: string;
  state: string;
  ready: boolean;
}

describe('gateway: the placement view with kubectl (real apiservers)', function () {
  this.timeout(300_000);
  let host: ApiClient;
  let dir: string;
  const ws = uniqueName('gw-view');
  const lcA = uniqueName('vapp');
  const lcB = uniqueName('voth');
  const policy = uniqueName('gw-view');
  let kubeconfigA: string;
  let kubeconfigB: string;
  let nsA: string;

  async function gatewayKubeconfig(lc: LogicalClusterState, file: string): Promise<string> {
    const direct = await tenantKubeConfig(host, lc);
    const endpoint = gatewayEndpointFor(await testOperator().gateway.endpoint(), lc.metadata.name ?? '');
    const path = join(dir, file);
    const namespace = direct.getContextObject(direct.getCurrentContext())?.namespace ?? '';
    writeFileSync(
      path,
      tenantKubeconfig(
        { name: lc.metadata.name ?? '', server: endpoint.server, caData: endpoint.caData, namespace, user: 'tenant' },
        direct.getCurrentUser()!.token!,
      ),
      { mode: 0o600 },
    );
    return path;
  }

  async function kubectl(kubeconfig: string, ...args: string[]): Promise<{ ok: boolean; stdout: string; stderr: string }> {
    try {
      const { stdout, stderr } = await run(join(testEnv().binDir, 'kubectl'), ['--kubeconfig', kubeconfig, ...args], {
        env: { PATH: process.env.PATH ?? '', HOME: dir },
        timeout: 60_000,
      });
      return { ok: true, stdout, stderr };
    } catch (err) {
      const e = err as { stdout?: string; stderr?: string; message: string };
      return { ok: false, stdout: e.stdout ?? '', stderr: e.stderr ?? e.message };
    }
  }

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'canopy-gw-view-'));
    host = new ApiClient(testEnv().host.kubeConfig());
    await create(host, Resources.Workspace, workspaceObject(ws));
    await create(host, Resources.LogicalCluster, logicalClusterObject(lcA, { workspace: ws, namespaces: ['web'], capabilities: { preset: 'developer' } }));
    await create(host, Resources.LogicalCluster, logicalClusterObject(lcB, { workspace: ws, capabilities: { preset: 'developer' } }));
    const a = await waitForPhase(host, lcA, 'Ready');
    nsA = a.status!.namespaces![0]!;
    kubeconfigA = await gatewayKubeconfig(a, 'a.kubeconfig');
    kubeconfigB = await gatewayKubeconfig(await waitForPhase(host, lcB, 'Ready'), 'b.kubeconfig');
    await create(host, Resources.PlacementPolicy, {
      apiVersion: 'canopy.dev/v1alpha1',
      kind: 'PlacementPolicy',
      metadata: { name: policy },
      spec: {
        resourceSelectors: [{ apiVersion: 'v1', kind: 'ConfigMap', namespaces: [nsA] }],
        clusterSelector: { matchExpressions: [{ key: 'topology.kubernetes.io/region', operator: 'In', values: MEMBERS }] },
      },
    } as KubernetesObject);
  });

  after(async () => {
    await deleteIfExists(host, Resources.PlacementPolicy, policy);
    for (const lc of [lcA, lcB]) await deleteIfExists(host, Resources.LogicalCluster, lc);
    for (const lc of [lcA, lcB]) await waitGone(host, lc).catch(() => undefined);
    await deleteIfExists(host, Resources.Workspace, ws);
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it("lists where the tenant's placed object runs, once per member, as a table and as a list", async () => {
    const created = await kubectl(kubeconfigA, 'create', 'configmap', 'settings', '-n', nsA, '--from-literal=mode=blue');
    expect(created.ok, created.stderr).to.equal(true);
    // Propagation generates a PropagatedObject for the plain ConfigMap and syncs it to both members.
    let items: PlacementItem[] = [];
    const synced = await waitUntil(120_000, 500, async () => {
      const listed = await kubectl(kubeconfigA, 'get', '--raw', '/apis/view.canopy.dev/v1/placements');
      if (!listed.ok) return false;
      // The namespace's other ConfigMaps (kube-root-ca.crt) are placed too: only ours is looked at.
      items = (JSON.parse(listed.stdout) as { items: PlacementItem[] }).items.filter((i) => i.object.name === 'settings');
      return items.length === MEMBERS.length && items.every((i) => i.state === 'Synced');
    });
    expect(synced, `placements: ${JSON.stringify(items)}`).to.equal(true);
    expect(items.map((i) => [i.metadata.namespace, i.object.kind, i.object.name, i.cluster, i.ready])).to.deep.equal(
      MEMBERS.map((m) => [nsA, 'ConfigMap', 'settings', m, true]),
    );

    const table = await kubectl(kubeconfigA, 'get', 'placements.view.canopy.dev', '-A');
    expect(table.ok, table.stderr).to.equal(true);
    const lines = table.stdout.trim().split('\n');
    expect(lines[0]!.split(/\s+/)).to.deep.equal(['NAMESPACE', 'NAME', 'KIND', 'CLUSTER', 'READY', 'STATUS', 'AGE']);
    const ours = lines.slice(1).filter((l) => l.split(/\s+/)[1] === 'settings');
    expect(ours.map((l) => l.split(/\s+/).slice(0, 6))).to.deep.equal(MEMBERS.map((m) => [nsA, 'settings', 'ConfigMap', m, 'true', 'Synced']));
    // The short name and the namespaced form, from the gateway's discovery.
    const short = await kubectl(kubeconfigA, 'get', 'plc', '-n', nsA, '-o', 'name');
    expect(short.ok, short.stderr).to.equal(true);
    expect(short.stdout.trim().split('\n')).to.include.members(MEMBERS.map((m) => `placement.view.canopy.dev/settings-configmap.${m}`));
  });

  it('shows another tenant none of it, answers 404 for its namespace and 405 for anything but list', async () => {
    const table = await kubectl(kubeconfigB, 'get', 'placements.view.canopy.dev', '-A', '-o', 'json');
    expect(table.ok, table.stderr).to.equal(true);
    expect((JSON.parse(table.stdout) as { items: unknown[] }).items).to.deep.equal([]);
    const other = await kubectl(kubeconfigB, 'get', '--raw', `/apis/view.canopy.dev/v1/namespaces/${nsA}/placements`);
    expect(other.ok).to.equal(false);
    expect(other.stderr).to.match(/NotFound|not found/);
    const named = await kubectl(kubeconfigA, 'get', 'placements.view.canopy.dev', 'settings.eu-1', '-n', nsA);
    expect(named.ok).to.equal(false);
    expect(named.stderr).to.match(/MethodNotAllowed|not allowed|only list/i);
  });
});
