import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import https from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect } from 'chai';
import { kubeconfigYaml, waitUntil } from '../../../controlplane/launcher/index.js';
import { testEnv, testOperator, uniqueName } from '../../../test/e2e/env.js';
import {
  create,
  deleteIfExists,
  logicalClusterObject,
  tenantKubeConfig,
  waitForPhase,
  waitGone,
  workspaceObject,
} from '../../../test/support/logicalcluster.js';
import { ApiClient, Resources } from '../../runtime/index.js';
import { OPENAPI_V2_PROTOBUF, openApiV2ProtobufNames } from './openapi-protobuf.js';

/**
 * Discovery through the gateway, read by the real kubectl with nothing but a
 * tenant's kubeconfig: `api-resources` lists exactly what the logical
 * cluster's capabilities allow, `explain` works for those kinds and not for
 * hidden ones, and `auth can-i --list` (the apiserver's own answer) agrees.
 */

interface Run {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

function run(binary: string, args: readonly string[]): Promise<Run> {
  return new Promise((resolve) => {
    execFile(binary, [...args], { timeout: 120_000, maxBuffer: 64 * 1024 * 1024 }, (err, stdout, stderr) => {
      resolve({ code: err ? ((err as { code?: number }).code ?? 1) : 0, stdout, stderr });
    });
  });
}

async function get(url: string, caPem: string, token: string, accept = 'application/json'): Promise<{ status: number; contentType: string; body: string }> {
  const answer = await getBytes(url, caPem, token, accept);
  return { ...answer, body: answer.body.toString('utf8') };
}

function getBytes(url: string, caPem: string, token: string, accept: string): Promise<{ status: number; contentType: string; body: Buffer }> {
  return new Promise((resolve, reject) => {
    const req = https.request(url, { ca: caPem, headers: { Authorization: `Bearer ${token}`, Accept: accept }, agent: false }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, contentType: String(res.headers['content-type'] ?? ''), body: Buffer.concat(chunks) }));
    });
    req.on('error', reject);
    req.end();
  });
}

/** `kubectl api-resources -o wide` as name (`deployments.apps`) → sorted verbs, read by the header's column positions. */
function parseApiResources(out: string): Map<string, string[]> {
  const lines = out.split('\n').filter((l) => l.trim() !== '');
  const header = lines[0] ?? '';
  const col = (name: string): number => header.indexOf(name);
  const [name, apiVersion, verbs, categories] = [col('NAME'), col('APIVERSION'), col('VERBS'), col('CATEGORIES')];
  const result = new Map<string, string[]>();
  for (const line of lines.slice(1)) {
    const resource = line.slice(name, line.indexOf(' ', name) < 0 ? undefined : line.indexOf(' ', name)).trim();
    const gv = line.slice(apiVersion).trim().split(/\s+/)[0]!;
    const group = gv.includes('/') ? gv.slice(0, gv.indexOf('/')) : '';
    const verbText = line.slice(verbs, categories >= 0 ? categories : undefined).trim();
    const list = verbText
      .replace(/^\[|\]$/g, '')
      .split(/[\s,]+/)
      .filter(Boolean)
      .sort();
    result.set(group ? `${resource}.${group}` : resource, list);
  }
  return result;
}

/** `kubectl auth can-i --list` as resource → sorted verbs (subresources and non-resource URLs left out; rules limited to resourceNames count, as discovery shows their kind). */
function parseCanIList(out: string): Map<string, string[]> {
  const result = new Map<string, Set<string>>();
  for (const line of out.split('\n').slice(1)) {
    if (line.trim() === '' || /^\s/.test(line)) continue; // a non-resource URL rule has no resource
    const resource = line.trim().split(/\s+/)[0]!;
    const brackets = [...line.matchAll(/\[([^\]]*)\]/g)].map((m) => m[1]!);
    const verbs = brackets.at(-1) ?? '';
    if (resource.includes('/')) continue;
    const set = result.get(resource) ?? new Set<string>();
    for (const v of verbs.split(/[\s,]+/).filter(Boolean)) set.add(v);
    result.set(resource, set);
  }
  return new Map([...result].map(([k, v]) => [k, [...v].sort()]));
}

/** What the gateway itself serves to every logical cluster, whatever its Role: its namespaces, the read-only classes, the placements view. */
const GATEWAY_SERVED = [
  'namespaces',
  'storageclasses.storage.k8s.io',
  'priorityclasses.scheduling.k8s.io',
  'ingressclasses.networking.k8s.io',
  'runtimeclasses.node.k8s.io',
];
const PLACEMENTS = 'placements.view.canopy.dev';
/** The caller's questions about itself: every authenticated user may ask them, through the gateway too. */
const SELF_REVIEWS = [
  'selfsubjectaccessreviews.authorization.k8s.io',
  'selfsubjectrulesreviews.authorization.k8s.io',
  'selfsubjectreviews.authentication.k8s.io',
];

const READ = ['get', 'list', 'watch'];
const ALL = ['create', 'delete', 'deletecollection', 'get', 'list', 'patch', 'update', 'watch'];

/** The developer preset (src/reconcilers/logicalcluster/capabilities.ts), as kubectl names the kinds, with the verbs it grants. */
const DEVELOPER: Readonly<Record<string, readonly string[]>> = {
  configmaps: ALL,
  endpoints: READ,
  events: ['create', 'get', 'list', 'patch', 'watch'],
  limitranges: READ,
  persistentvolumeclaims: ALL,
  pods: ALL,
  replicationcontrollers: ALL,
  resourcequotas: READ,
  secrets: ALL,
  serviceaccounts: READ,
  services: ALL,
  'daemonsets.apps': ALL,
  'deployments.apps': ALL,
  'replicasets.apps': ALL,
  'statefulsets.apps': ALL,
  'cronjobs.batch': ALL,
  'jobs.batch': ALL,
  'horizontalpodautoscalers.autoscaling': ALL,
  'poddisruptionbudgets.policy': ALL,
  'ingresses.networking.k8s.io': ALL,
  'networkpolicies.networking.k8s.io': READ,
  'endpointslices.discovery.k8s.io': READ,
  'leases.coordination.k8s.io': ALL,
  'propagatedobjects.canopy.dev': ALL,
};

/**
 * The viewer preset: reads only, no leases; secrets only through the rule
 * every tenant Role carries for its own kubeconfig Secret (get and watch on
 * that one name): the tenant may use the kind, so discovery shows it.
 */
const VIEWER: Readonly<Record<string, readonly string[]>> = {
  ...Object.fromEntries(
    Object.keys(DEVELOPER)
      .filter((k) => k !== 'leases.coordination.k8s.io')
      .map((k) => [k, READ]),
  ),
  secrets: ['get', 'watch'],
};

describe('gateway discovery (real apiserver, real kubectl)', function () {
  this.timeout(300_000);
  let host: ApiClient;
  let kubectl: string;
  let dir: string;
  let url: string;
  let caPem: string;
  const ws = uniqueName('gwd-ws');
  const dev = uniqueName('gwd-dev');
  const view = uniqueName('gwd-view');
  let devToken: string;
  let devKubeconfig: string;
  let viewKubeconfig: string;

  async function kubeconfigOf(lc: string): Promise<{ path: string; token: string }> {
    const state = await waitForPhase(host, lc, 'Ready');
    const token = (await tenantKubeConfig(host, state)).getCurrentUser()?.token;
    if (!token) throw new Error(`no token in the kubeconfig of ${lc}`);
    const path = join(dir, `${lc}.kubeconfig`);
    writeFileSync(path, kubeconfigYaml({ clusterName: lc, server: `${url}/clusters/${lc}`, caPem, userName: lc, token }), { mode: 0o600 });
    return { path, token };
  }

  /** kubectl as the tenant, with a discovery cache of its own (never a stale one from another run). */
  function tenantKubectl(kubeconfig: string, args: readonly string[]): Promise<Run> {
    return run(kubectl, ['--kubeconfig', kubeconfig, '--cache-dir', join(dir, `cache-${kubeconfig.split('/').pop()}`), ...args]);
  }

  before(async () => {
    const env = testEnv();
    host = new ApiClient(env.host.kubeConfig());
    kubectl = join(env.binDir, 'kubectl');
    dir = mkdtempSync(join(tmpdir(), 'canopy-gateway-discovery-'));
    ({ url, caPem } = await testOperator().gateway.endpoint());
    await create(host, Resources.Workspace, workspaceObject(ws));
    await create(
      host,
      Resources.LogicalCluster,
      logicalClusterObject(dev, { workspace: ws, namespaces: ['web', 'db'], capabilities: { preset: 'developer' } }),
    );
    await create(host, Resources.LogicalCluster, logicalClusterObject(view, { workspace: ws, capabilities: { preset: 'viewer' } }));
    const d = await kubeconfigOf(dev);
    devKubeconfig = d.path;
    devToken = d.token;
    viewKubeconfig = (await kubeconfigOf(view)).path;
  });

  after(async () => {
    for (const lc of [dev, view]) await deleteIfExists(host, Resources.LogicalCluster, lc);
    for (const lc of [dev, view]) await waitGone(host, lc).catch(() => undefined);
    await deleteIfExists(host, Resources.Workspace, ws);
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  for (const [preset, expected] of [
    ['developer', DEVELOPER],
    ['viewer', VIEWER],
  ] as const) {
    it(`kubectl api-resources lists exactly the ${preset} capabilities, with their verbs, and what the gateway serves`, async () => {
      const kubeconfig = preset === 'developer' ? devKubeconfig : viewKubeconfig;
      const got = await tenantKubectl(kubeconfig, ['api-resources', '-o', 'wide']);
      expect(got.stderr).to.equal('');
      const listed = parseApiResources(got.stdout);
      const want = new Map<string, string[]>([
        ...Object.entries(expected).map(([k, v]) => [k, [...v].sort()] as [string, string[]]),
        ['namespaces', ['create', 'delete', 'get', 'list', 'watch']],
        ...GATEWAY_SERVED.slice(1).map((k) => [k, READ] as [string, string[]]),
        ...SELF_REVIEWS.map((k) => [k, ['create']] as [string, string[]]),
        [PLACEMENTS, ['list']],
      ]);
      expect(Object.fromEntries([...listed].sort())).to.deep.equal(Object.fromEntries([...want].sort()));
      for (const hidden of [
        'nodes',
        'clusterroles.rbac.authorization.k8s.io',
        'clusters.canopy.dev',
        'logicalclusters.canopy.dev',
        'customresourcedefinitions.apiextensions.k8s.io',
      ]) {
        expect(listed.has(hidden), hidden).to.equal(false);
      }
    });
  }

  it('kubectl auth can-i --list (the apiserver’s own answer) agrees with api-resources', async () => {
    for (const [kubeconfig, namespace] of [
      [devKubeconfig, `${dev}-web`],
      [viewKubeconfig, view],
    ] as const) {
      const resources = parseApiResources((await tenantKubectl(kubeconfig, ['api-resources', '-o', 'wide'])).stdout);
      const canI = await tenantKubectl(kubeconfig, ['auth', 'can-i', '--list', '-n', namespace]);
      expect(canI.code, canI.stderr).to.equal(0);
      const rules = parseCanIList(canI.stdout);
      // The gateway's own kinds are not the Role's: everything else must match resource for resource, verb for verb.
      for (const name of [...GATEWAY_SERVED, PLACEMENTS]) resources.delete(name);
      expect(Object.fromEntries([...rules].sort())).to.deep.equal(Object.fromEntries([...resources].sort()));
    }
  });

  it('kubectl explain works for an allowed kind and fails for a hidden one', async () => {
    const spec = await tenantKubectl(devKubeconfig, ['explain', 'deployment.spec']);
    expect(spec.code, spec.stderr).to.equal(0);
    expect(spec.stdout).to.contain('KIND:').and.contain('Deployment').and.contain('replicas');
    // The same through OpenAPI v2, which kubectl reads as protobuf.
    const v2 = await tenantKubectl(devKubeconfig, ['explain', 'deployment.spec.replicas', '--output', 'plaintext-openapiv2']);
    expect(v2.code, v2.stderr).to.equal(0);
    expect(v2.stdout).to.contain('replicas');
    const secret = await tenantKubectl(devKubeconfig, ['explain', 'secrets.data']);
    expect(secret.code, secret.stderr).to.equal(0);
    for (const hidden of ['clusterroles', 'nodes', 'clusters.canopy.dev']) {
      const refused = await tenantKubectl(devKubeconfig, ['explain', hidden]);
      expect(refused.code, `${hidden}: ${refused.stdout}`).to.not.equal(0);
      expect(refused.stderr).to.contain(`the server doesn't have a resource type`);
    }
    // The viewer's surface is narrower than the developer's: no leases.
    const devLeases = await tenantKubectl(devKubeconfig, ['explain', 'leases.spec']);
    expect(devLeases.code, devLeases.stderr).to.equal(0);
    const viewerLeases = await tenantKubectl(viewKubeconfig, ['explain', 'leases']);
    expect(viewerLeases.code).to.not.equal(0);
    expect(viewerLeases.stderr).to.contain(`the server doesn't have a resource type`);
  });

  it('serves OpenAPI narrowed: hidden group versions 404, the v3 index and v2 paths hold only the surface', async () => {
    const base = `${url}/clusters/${dev}`;
    const index = await get(`${base}/openapi/v3`, caPem, devToken);
    expect(index.status).to.equal(200);
    const paths = Object.keys((JSON.parse(index.body) as { paths: Record<string, unknown> }).paths);
    expect(paths).to.include.members(['api/v1', 'apis/apps/v1', 'apis/canopy.dev/v1alpha1']);
    for (const hidden of ['apis/rbac.authorization.k8s.io/v1', 'apis/certificates.k8s.io/v1', 'apis/admissionregistration.k8s.io/v1']) {
      expect(paths, hidden).to.not.include(hidden);
      const doc = await get(`${base}/openapi/v3/${hidden}`, caPem, devToken);
      expect(doc.status, hidden).to.equal(404);
    }
    const canopy = await get(`${base}/openapi/v3/apis/canopy.dev/v1alpha1`, caPem, devToken);
    expect(canopy.status).to.equal(200);
    const canopyPaths = Object.keys((JSON.parse(canopy.body) as { paths: Record<string, unknown> }).paths);
    expect(canopyPaths.some((p) => p.includes('/propagatedobjects'))).to.equal(true);
    expect(canopyPaths.filter((p) => /\/(clusters|logicalclusters|workspaces|placementpolicies)\b/.test(p))).to.deep.equal([]);
    const v2 = await get(`${base}/openapi/v2`, caPem, devToken);
    expect(v2.status).to.equal(200);
    const v2Paths = Object.keys((JSON.parse(v2.body) as { paths: Record<string, unknown> }).paths);
    expect(v2Paths).to.include('/apis/apps/v1/namespaces/{namespace}/deployments');
    expect(v2Paths.filter((p) => p.startsWith('/api/v1/nodes') || p.includes('rbac.authorization.k8s.io') || p.includes('/clusters'))).to.deep.equal([]);
    // Legacy discovery, as older clients read it.
    // `/` is the apiserver's to refuse, as it does for any user without the `/` non-resource rule (filterRootPaths narrows it when allowed).
    const rootAnswer = await get(`${base}/`, caPem, devToken);
    expect(rootAnswer.status, rootAnswer.body).to.equal(403);
    const core = await get(`${base}/api/v1`, caPem, devToken);
    const coreNames = (JSON.parse(core.body) as { resources: { name: string }[] }).resources.map((r) => r.name);
    expect(coreNames).to.include.members(['pods', 'pods/exec', 'secrets', 'namespaces']);
    expect(coreNames.filter((n) => ['nodes', 'persistentvolumes', 'componentstatuses', 'namespaces/status', 'pods/status'].includes(n))).to.deep.equal([]);
    // client-go reads /openapi/v2 only as protobuf: the same narrowing, in the apiserver's own encoding.
    const protobuf = await getBytes(`${base}/openapi/v2`, caPem, devToken, OPENAPI_V2_PROTOBUF);
    expect(protobuf.status).to.equal(200);
    expect(protobuf.contentType).to.contain('protobuf');
    const protobufNames = openApiV2ProtobufNames(protobuf.body);
    expect([...protobufNames.paths].sort()).to.deep.equal([...v2Paths].sort());
    expect(protobufNames.definitions.length).to.be.greaterThan(50);
    const v3Protobuf = await get(`${base}/openapi/v3/apis/apps/v1`, caPem, devToken, 'application/com.github.proto-openapi.spec.v3@v1.0+protobuf');
    expect(v3Protobuf.status).to.equal(406);
    const rbac = await get(`${base}/apis/rbac.authorization.k8s.io/v1`, caPem, devToken);
    expect(rbac.status).to.equal(404);
    const groups = await get(`${base}/apis`, caPem, devToken);
    const names = (JSON.parse(groups.body) as { groups: { name: string }[] }).groups.map((g) => g.name);
    expect(names).to.include.members(['apps', 'canopy.dev', 'view.canopy.dev']);
    expect(names).to.not.include('rbac.authorization.k8s.io');
  });

  it('follows the capabilities as they change: a viewer made developer sees leases at the next rules review', async () => {
    const before = parseApiResources((await tenantKubectl(viewKubeconfig, ['api-resources', '-o', 'wide'])).stdout);
    expect(before.has('leases.coordination.k8s.io')).to.equal(false);
    await host.patch(Resources.LogicalCluster, view, undefined, { spec: { capabilities: { preset: 'developer' } } }, 'merge');
    let listed = before;
    const shown = await waitUntil(60_000, 1_000, async () => {
      listed = parseApiResources((await tenantKubectl(viewKubeconfig, ['api-resources', '-o', 'wide'])).stdout);
      return listed.has('leases.coordination.k8s.io');
    });
    expect(shown, [...listed.keys()].join(' ')).to.equal(true);
    expect(listed.get('deployments.apps')).to.deep.equal(ALL);
  });

  describe('Cluster mode', () => {
    const cws = uniqueName('gwd-ws-c');
    const c = uniqueName('gwd-c');
    let kubeconfig: string;
    let member: ApiClient;

    before(async () => {
      member = new ApiClient(testEnv().cluster('us-1').kubeConfig());
      await create(host, Resources.Workspace, workspaceObject(cws, { constraints: { regions: ['us-1'] } }));
      await create(
        host,
        Resources.LogicalCluster,
        logicalClusterObject(c, { workspace: cws, mode: 'Cluster', namespaces: ['app'], capabilities: { preset: 'developer' } }),
      );
      kubeconfig = (await kubeconfigOf(c)).path;
    });

    after(async () => {
      await deleteIfExists(host, Resources.LogicalCluster, c);
      await waitGone(host, c).catch(() => undefined);
      await deleteIfExists(host, Resources.Workspace, cws);
    });

    it('shows the member’s kinds narrowed to the same capabilities, and can-i on the member agrees', async () => {
      const got = await tenantKubectl(kubeconfig, ['api-resources', '-o', 'wide']);
      expect(got.stderr).to.equal('');
      const listed = parseApiResources(got.stdout);
      // Only what the member serves can be shown: Canopy's own CRDs live on the host.
      const memberHasPropagatedObjects = (await member.find('/apis/canopy.dev/v1alpha1')) !== undefined;
      const want = new Map<string, string[]>([
        ...Object.entries(DEVELOPER)
          .filter(([k]) => memberHasPropagatedObjects || k !== 'propagatedobjects.canopy.dev')
          .map(([k, v]) => [k, [...v].sort()] as [string, string[]]),
        ['namespaces', ['create', 'delete', 'get', 'list', 'watch']],
        ...GATEWAY_SERVED.slice(1).map((k) => [k, READ] as [string, string[]]),
        ...SELF_REVIEWS.map((k) => [k, ['create']] as [string, string[]]),
        [PLACEMENTS, ['list']],
      ]);
      expect(Object.fromEntries([...listed].sort())).to.deep.equal(Object.fromEntries([...want].sort()));
      const canI = await tenantKubectl(kubeconfig, ['auth', 'can-i', '--list', '-n', `${c}-app`]);
      expect(canI.code, canI.stderr).to.equal(0);
      for (const name of [...GATEWAY_SERVED, PLACEMENTS]) listed.delete(name);
      const rules = parseCanIList(canI.stdout);
      // The Role also names kinds the member does not serve (Canopy's CRDs): RBAC grants them, discovery cannot show them.
      if (!memberHasPropagatedObjects) rules.delete('propagatedobjects.canopy.dev');
      expect(Object.fromEntries([...rules].sort())).to.deep.equal(Object.fromEntries([...listed].sort()));
      const explained = await tenantKubectl(kubeconfig, ['explain', 'deployment.spec.replicas']);
      expect(explained.code, explained.stderr).to.equal(0);
      const hidden = await tenantKubectl(kubeconfig, ['explain', 'nodes']);
      expect(hidden.stderr).to.contain(`the server doesn't have a resource type`);
    });
  });
});
