import { execFile, spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import https from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect } from 'chai';
import { kubeconfigYaml, waitUntil } from '../../controlplane/launcher/index.js';
import { testEnv, testOperator, uniqueName } from '../../test/e2e/env.js';
import { create, deleteIfExists, logicalClusterObject, tenantKubeConfig, waitForPhase, waitGone, workspaceObject } from '../../test/support/logicalcluster.js';
import { ApiClient, Resources, type KubeObject } from '../runtime/index.js';
import type { GatewayRunnable } from './index.js';
import { IMPERSONATE_ROLE } from './impersonation.js';

interface Run {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

function run(binary: string, args: readonly string[]): Promise<Run> {
  return new Promise((resolve) => {
    execFile(binary, [...args], { timeout: 90_000 }, (err, stdout, stderr) => {
      resolve({ code: err ? ((err as { code?: number }).code ?? 1) : 0, stdout, stderr });
    });
  });
}

/** One raw HTTPS request to the gateway (paths kubectl would never send). */
function request(
  url: string,
  caPem: string,
  options: { method?: string; token?: string; body?: string | Buffer } = {},
): Promise<{ status: number; body: Record<string, unknown> }> {
  return new Promise((resolve, reject) => {
    // The path goes out exactly as written (a URL object would resolve `..` before sending).
    const parsed = /^https:\/\/([^/]+)(\/.*)$/.exec(url)!;
    const [hostname, port] = parsed[1]!.split(':');
    const req = https.request(
      {
        hostname,
        port: Number(port),
        path: parsed[2],
        method: options.method ?? 'GET',
        ca: caPem,
        headers: {
          ...(options.token ? { Authorization: `Bearer ${options.token}` } : {}),
          ...(options.body !== undefined ? { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(options.body) } : {}),
          Accept: 'application/json',
        },
        agent: false,
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => {
          const text = Buffer.concat(chunks).toString('utf8');
          let body: Record<string, unknown> = {};
          try {
            body = JSON.parse(text) as Record<string, unknown>;
          } catch {
            body = { text };
          }
          resolve({ status: res.statusCode ?? 0, body });
        });
      },
    );
    req.on('error', reject);
    req.end(options.body);
  });
}

function pod(name: string, namespace: string): KubeObject {
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name, namespace },
    spec: {
      securityContext: { runAsNonRoot: true, seccompProfile: { type: 'RuntimeDefault' } },
      containers: [{ name: 'c', image: 'nginx', securityContext: { allowPrivilegeEscalation: false, capabilities: { drop: ['ALL'] } } }],
    },
  } as KubeObject;
}

const names = (out: string): string[] =>
  out
    .split('\n')
    .map((l) => l.trim())
    .filter(Boolean)
    .sort();

describe('tenant gateway (real apiserver, real kubectl)', function () {
  this.timeout(300_000);
  let host: ApiClient;
  let kubectl: string;
  let dir: string;
  let url: string;
  let caPem: string;
  const wsA = uniqueName('gw-ws-a');
  const wsB = uniqueName('gw-ws-b');
  const a = uniqueName('gwa');
  const b = uniqueName('gwb');
  let tokenA: string;
  let tokenB: string;
  let kcA: string;
  let kcB: string;
  let aNamespaces: string[];
  let bNamespaces: string[];

  async function tokenOf(lc: string): Promise<string> {
    const state = await waitForPhase(host, lc, 'Ready');
    const kc = await tenantKubeConfig(host, state);
    const token = kc.getCurrentUser()?.token;
    if (!token) throw new Error(`no token in the kubeconfig of ${lc}`);
    return token;
  }

  function kubeconfigFile(name: string, lc: string, token: string): string {
    const path = join(dir, `${name}.kubeconfig`);
    writeFileSync(path, kubeconfigYaml({ clusterName: lc, server: `${url}/clusters/${lc}`, caPem, userName: name, token }), { mode: 0o600 });
    return path;
  }

  before(async () => {
    const env = testEnv();
    host = new ApiClient(env.host.kubeConfig());
    kubectl = join(env.binDir, 'kubectl');
    dir = mkdtempSync(join(tmpdir(), 'canopy-gateway-'));
    ({ url, caPem } = await testOperator().gateway.endpoint());
    await create(host, Resources.Workspace, workspaceObject(wsA, { constraints: { podSecurity: 'restricted' } }));
    await create(host, Resources.Workspace, workspaceObject(wsB));
    await create(host, Resources.LogicalCluster, logicalClusterObject(a, { workspace: wsA, namespaces: ['web', 'db'], capabilities: { preset: 'developer' } }));
    await create(host, Resources.LogicalCluster, logicalClusterObject(b, { workspace: wsB, capabilities: { preset: 'developer' } }));
    tokenA = await tokenOf(a);
    tokenB = await tokenOf(b);
    aNamespaces = [`${a}-web`, `${a}-db`];
    bNamespaces = [b];
    kcA = kubeconfigFile('a', a, tokenA);
    kcB = kubeconfigFile('b', b, tokenB);
    await host.create(Resources.Pod, pod('one', aNamespaces[0]!));
    await host.create(Resources.Pod, pod('two', aNamespaces[1]!));
    await host.create(Resources.Pod, pod('other', bNamespaces[0]!));
  });

  after(async () => {
    for (const lc of [a, b]) await deleteIfExists(host, Resources.LogicalCluster, lc);
    for (const lc of [a, b]) await waitGone(host, lc).catch(() => undefined);
    for (const ws of [wsA, wsB]) await deleteIfExists(host, Resources.Workspace, ws);
    rmSync(dir, { recursive: true, force: true });
  });

  it('kubectl get ns lists exactly the logical cluster’s namespaces', async () => {
    const got = await run(kubectl, ['--kubeconfig', kcA, 'get', 'namespaces', '-o', 'name']);
    expect(got.stderr).to.equal('');
    expect(names(got.stdout)).to.deep.equal(aNamespaces.map((n) => `namespace/${n}`).sort());
    const one = await run(kubectl, ['--kubeconfig', kcA, 'get', 'namespace', aNamespaces[1]!, '-o', 'jsonpath={.metadata.name}']);
    expect(one.stdout).to.equal(aNamespaces[1]);
    const foreign = await run(kubectl, ['--kubeconfig', kcA, 'get', 'namespace', b]);
    expect(foreign.code).to.not.equal(0);
    expect(foreign.stderr).to.contain(`namespaces "${b}" not found`);
  });

  it('kubectl create ns adds a namespace to the logical cluster, labelled and constrained like the others; delete removes it', async () => {
    const extra = `${a}-extra`;
    const created = await run(kubectl, ['--kubeconfig', kcA, 'create', 'namespace', extra]);
    expect(created.stderr).to.equal('');
    expect(created.stdout).to.contain(`namespace/${extra} created`);
    const listed = await run(kubectl, ['--kubeconfig', kcA, 'get', 'namespaces', '-o', 'name']);
    expect(names(listed.stdout)).to.include(`namespace/${extra}`);
    const onHost = await host.get(Resources.Namespace, extra);
    expect(onHost.metadata?.labels).to.include({ 'canopy.dev/logical-cluster': a, 'pod-security.kubernetes.io/enforce': 'restricted' });
    const lc = await host.get<KubeObject & { spec?: { namespaces?: string[] } }>(Resources.LogicalCluster, a);
    expect(lc.spec?.namespaces).to.deep.equal(['web', 'db', 'extra']);
    // The tenant's Role is there too: it can work in the new namespace at once.
    const cm = await run(kubectl, ['--kubeconfig', kcA, 'create', 'configmap', 'c', '-n', extra, '--from-literal=k=v']);
    expect(cm.stderr).to.equal('');

    const badName = await run(kubectl, ['--kubeconfig', kcA, 'create', 'namespace', 'elsewhere']);
    expect(badName.code).to.not.equal(0);
    expect(badName.stderr).to.contain(`named ${a}-<suffix>`);
    const first = await run(kubectl, ['--kubeconfig', kcA, 'delete', 'namespace', aNamespaces[0]!]);
    expect(first.stderr).to.contain('first namespace');

    const deleted = await run(kubectl, ['--kubeconfig', kcA, 'delete', 'namespace', extra, '--timeout=90s']);
    expect(deleted.stderr).to.equal('');
    const after = await host.get<KubeObject & { spec?: { namespaces?: string[] } }>(Resources.LogicalCluster, a);
    expect(after.spec?.namespaces).to.deep.equal(['web', 'db']);
    const again = await run(kubectl, ['--kubeconfig', kcA, 'get', 'namespaces', '-o', 'name']);
    expect(names(again.stdout)).to.deep.equal(aNamespaces.map((n) => `namespace/${n}`).sort());
  });

  it('ends a merged watch with 410 when the logical cluster gains a namespace, so the client lists again', async () => {
    const target = new URL(url);
    let received = '';
    let ended = false;
    const watch = https.request(
      {
        hostname: target.hostname,
        port: Number(target.port),
        path: `/clusters/${a}/api/v1/configmaps?watch=1`,
        ca: caPem,
        agent: false,
        headers: { Authorization: `Bearer ${tokenA}` },
      },
      (res) => {
        res.on('data', (chunk: Buffer) => (received += chunk.toString()));
        res.on('close', () => (ended = true));
      },
    );
    watch.on('error', () => (ended = true));
    watch.end();
    try {
      expect(await waitUntil(30_000, 100, () => received.includes('kube-root-ca.crt'))).to.equal(true);
      const added = await run(kubectl, ['--kubeconfig', kcA, 'create', 'namespace', `${a}-later`]);
      expect(added.stderr).to.equal('');
      expect(await waitUntil(30_000, 100, () => ended), 'the merged watch ended').to.equal(true);
      const last = JSON.parse(received.trim().split('\n').at(-1)!) as { type: string; object: { code: number; reason: string } };
      expect(last.type).to.equal('ERROR');
      expect(last.object).to.include({ code: 410, reason: 'Expired' });
    } finally {
      watch.destroy();
      await run(kubectl, ['--kubeconfig', kcA, 'delete', 'namespace', `${a}-later`, '--timeout=90s']);
    }
  });

  it('kubectl get pods -A sees only the tenant’s pods, as one snapshot', async () => {
    const got = await run(kubectl, [
      '--kubeconfig',
      kcA,
      'get',
      'pods',
      '-A',
      '-o',
      'jsonpath={range .items[*]}{.metadata.namespace}/{.metadata.name}{"\\n"}{end}',
    ]);
    expect(got.stderr).to.equal('');
    expect(names(got.stdout)).to.deep.equal([`${aNamespaces[0]}/one`, `${aNamespaces[1]}/two`].sort());
    const table = await run(kubectl, ['--kubeconfig', kcA, 'get', 'pods', '-A']);
    expect(table.stdout).to.contain('one').and.contain('two').and.not.contain('other');
    const list = await request(`${url}/clusters/${a}/api/v1/pods`, caPem, { token: tokenA });
    expect(list.status).to.equal(200);
    expect((list.body.metadata as { resourceVersion?: string }).resourceVersion).to.match(/^\d+$/);
  });

  it('kubectl get pods -A -w streams only the tenant’s events', async () => {
    const watcher = spawn(kubectl, ['--kubeconfig', kcA, 'get', 'pods', '-A', '-w', '--output-watch-events', '-o', 'name'], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    watcher.stdout.on('data', (c: Buffer) => (out += c.toString()));
    try {
      expect(await waitUntil(30_000, 100, () => out.includes('pod/two'))).to.equal(true);
      await host.create(Resources.Pod, pod('later-b', bNamespaces[0]!));
      await host.create(Resources.Pod, pod('later-a', aNamespaces[1]!));
      expect(await waitUntil(30_000, 100, () => out.includes('pod/later-a')), out).to.equal(true);
      expect(out).to.not.contain('later-b');
      expect(out).to.not.contain('other');
    } finally {
      watcher.kill('SIGTERM');
    }
  });

  it('kubectl get pods -A -w in table form streams only the tenant’s rows', async () => {
    const watcher = spawn(kubectl, ['--kubeconfig', kcA, 'get', 'pods', '-A', '-w'], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    watcher.stdout.on('data', (c: Buffer) => (out += c.toString()));
    try {
      expect(await waitUntil(30_000, 100, () => out.includes('two'))).to.equal(true);
      await host.create(Resources.Pod, pod('tabled', aNamespaces[0]!));
      expect(await waitUntil(30_000, 100, () => out.includes('tabled')), out).to.equal(true);
      expect(out).to.contain('NAMESPACE').and.not.contain('other');
    } finally {
      watcher.kill('SIGTERM');
    }
  });

  it('kubectl auth can-i answers for the tenant’s identity; cluster-scoped kinds outside the logical cluster are refused with why', async () => {
    const yes = await run(kubectl, ['--kubeconfig', kcA, 'auth', 'can-i', 'create', 'deployments', '-n', aNamespaces[0]!]);
    expect(yes.stdout.trim()).to.equal('yes');
    const list = await run(kubectl, ['--kubeconfig', kcA, 'auth', 'can-i', '--list', '-n', aNamespaces[0]!]);
    expect(list.stdout).to.contain('deployments.apps');
    // Discovery hides nodes, so kubectl does not even ask; asked anyway, the gateway says why.
    const nodes = await run(kubectl, ['--kubeconfig', kcA, 'get', 'nodes']);
    expect(nodes.code).to.not.equal(0);
    const asked = await request(`${url}/clusters/${a}/api/v1/nodes`, caPem, { token: tokenA });
    expect(asked.status).to.equal(403);
    expect(asked.body).to.include({ kind: 'Status', reason: 'Forbidden' });
    expect(String(asked.body.message)).to.contain(`nodes is cluster-scoped, outside logical cluster ${a}`);
    const roles = await request(`${url}/clusters/${a}/apis/rbac.authorization.k8s.io/v1/clusterroles`, caPem, { token: tokenA });
    expect(roles.status).to.equal(403);
    const classes = await run(kubectl, ['--kubeconfig', kcA, 'get', 'storageclasses']);
    expect(classes.code, classes.stderr).to.equal(0);
    const resources = await run(kubectl, ['--kubeconfig', kcA, 'api-resources', '-o', 'name']);
    expect(names(resources.stdout))
      .to.include.members(['deployments.apps', 'pods', 'namespaces'])
      .and.not.include.members(['nodes', 'clusterroles.rbac.authorization.k8s.io']);
  });

  it('passes upgrade requests (exec) through to the apiserver as the tenant', async () => {
    const exec = await run(kubectl, ['--kubeconfig', kcA, 'exec', '-n', aNamespaces[0]!, 'one', '--', 'true']);
    expect(exec.code).to.not.equal(0);
    // The apiserver itself answered: the pod was found (impersonated RBAC allowed pods/exec) but has no node to run on.
    expect(exec.stderr).to.contain('does not have a host assigned');
    const foreign = await run(kubectl, ['--kubeconfig', kcA, 'exec', '-n', b, 'other', '--', 'true']);
    expect(foreign.stderr).to.contain(`namespaces "${b}" not found`);
  });

  it('refuses another tenant’s token, forged paths, unknown logical clusters and oversized bodies, creating nothing', async () => {
    const stranger = await request(`${url}/clusters/${a}/api/v1/namespaces/${aNamespaces[0]}/pods`, caPem, { token: tokenB });
    expect(stranger.status).to.equal(403);
    expect(stranger.body).to.include({ kind: 'Status', reason: 'Forbidden' });
    expect(String(stranger.body.message)).to.contain(`does not belong to logical cluster ${a}`);
    const dotdot = await request(`${url}/clusters/${a}/../${b}/api/v1/namespaces`, caPem, { token: tokenB });
    expect(dotdot.status).to.equal(400);
    const encoded = await request(`${url}/clusters/${a}/%2e%2e/${b}/api/v1/namespaces`, caPem, { token: tokenB });
    expect(encoded.status).to.equal(400);
    const crossNamespace = await request(`${url}/clusters/${a}/api/v1/namespaces/${b}/configmaps`, caPem, {
      method: 'POST',
      token: tokenA,
      body: JSON.stringify({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'planted' } }),
    });
    expect(crossNamespace.status).to.equal(404);
    expect(crossNamespace.body).to.include({ kind: 'Status', reason: 'NotFound' });
    const viaB = await request(`${url}/clusters/${b}/api/v1/namespaces/${aNamespaces[0]}/configmaps`, caPem, {
      method: 'POST',
      token: tokenB,
      body: JSON.stringify({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'planted' } }),
    });
    expect(viaB.status).to.equal(404);
    // A logical cluster with its single default namespace cannot grow one here: that would rename its first namespace.
    const grow = await run(kubectl, ['--kubeconfig', kcB, 'create', 'namespace', `${b}-more`]);
    expect(grow.code).to.not.equal(0);
    expect(grow.stderr).to.contain('single default namespace');
    expect(await host.tryGet(Resources.Namespace, `${b}-more`)).to.equal(undefined);
    const kubectlB = await run(kubectl, ['--kubeconfig', kcB, 'get', 'pods', '-n', aNamespaces[0]!]);
    expect(kubectlB.stderr).to.contain(`namespaces "${aNamespaces[0]}" not found`);
    const unknown = await request(`${url}/clusters/${uniqueName('nobody')}/api/v1/namespaces`, caPem, { token: tokenA });
    expect(unknown.status).to.equal(404);
    const anonymous = await request(`${url}/clusters/${a}/api/v1/namespaces`, caPem);
    expect(anonymous.status).to.equal(401);
    const huge = await request(`${url}/clusters/${a}/api/v1/namespaces/${aNamespaces[0]}/configmaps`, caPem, {
      method: 'POST',
      token: tokenA,
      body: JSON.stringify({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'huge' }, data: { k: 'x'.repeat(4 * 1024 * 1024) } }),
    });
    expect(huge.status).to.equal(413);
    expect(huge.body).to.include({ kind: 'Status', reason: 'RequestEntityTooLarge' });
    // Without a Content-Length (chunked), the body is counted as it streams.
    const chunked = await new Promise<number>((resolve, reject) => {
      const target = new URL(url);
      const req = https.request(
        {
          hostname: target.hostname,
          port: Number(target.port),
          path: `/clusters/${a}/api/v1/namespaces/${aNamespaces[0]}/configmaps`,
          method: 'POST',
          ca: caPem,
          agent: false,
          headers: { Authorization: `Bearer ${tokenA}`, 'Content-Type': 'application/json', 'Transfer-Encoding': 'chunked' },
        },
        (res) => {
          res.resume();
          resolve(res.statusCode ?? 0);
        },
      );
      req.on('error', reject);
      req.write(`{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"huge"},"data":{"k":"`);
      const block = 'x'.repeat(256 * 1024);
      let sent = 0;
      const more = (): void => {
        while (sent < 16) {
          sent++;
          if (!req.write(block)) return void req.once('drain', more);
        }
        req.end('"}}');
      };
      more();
    });
    expect(chunked).to.equal(413);
    for (const ns of [b, ...aNamespaces]) {
      const maps = await host.list(Resources.ConfigMap, { namespace: ns });
      expect(maps.items.map((m) => m.metadata?.name)).to.not.include.members(['planted', 'huge']);
    }
  });

  it('impersonates only the logical cluster’s ServiceAccount, through a Role in its first namespace', async () => {
    const role = await host.get<KubeObject & { rules?: unknown[] }>(Resources.Role, IMPERSONATE_ROLE, aNamespaces[0]);
    expect(role.rules).to.deep.equal([{ apiGroups: [''], resources: ['serviceaccounts'], verbs: ['impersonate'], resourceNames: [a] }]);
    const operatorUser = 'system:serviceaccount:canopy-system:canopy-operator';
    const review = await host.request<{ status?: { allowed?: boolean } }>('POST', '/apis/authorization.k8s.io/v1/subjectaccessreviews', {
      body: {
        apiVersion: 'authorization.k8s.io/v1',
        kind: 'SubjectAccessReview',
        spec: { user: operatorUser, resourceAttributes: { namespace: 'kube-system', verb: 'impersonate', resource: 'serviceaccounts', name: 'default' } },
      },
    });
    expect(review.status?.allowed).to.not.equal(true);
  });

  it('leaves no client connection open once the clients are gone, and counts what it answered', async () => {
    const gateway = testOperator().gateway as GatewayRunnable;
    expect(await waitUntil(30_000, 200, () => gateway.connections === 0), `${gateway.connections} connections open`).to.equal(true);
    const counted = await testOperator().manager.metrics.registry.getSingleMetricAsString('canopy_gateway_requests_total');
    expect(counted)
      .to.contain('request="namespaces:list",code="200"')
      .and.contain('request="refused",code="403"')
      .and.contain('request="unscoped:watch",code="200"');
  });

  describe('Cluster mode', () => {
    const ws = uniqueName('gw-ws-c');
    const c = uniqueName('gwc');
    let kcC: string;
    let cToken: string;
    let member: ApiClient;

    before(async () => {
      member = new ApiClient(testEnv().cluster('us-1').kubeConfig());
      await create(host, Resources.Workspace, workspaceObject(ws, { constraints: { regions: ['us-1'] } }));
      await create(
        host,
        Resources.LogicalCluster,
        logicalClusterObject(c, { workspace: ws, mode: 'Cluster', namespaces: ['app', 'jobs'], capabilities: { preset: 'developer' } }),
      );
      cToken = await tokenOf(c);
      kcC = kubeconfigFile('c', c, cToken);
      await member.create(Resources.Pod, pod('on-member', `${c}-jobs`));
    });

    after(async () => {
      await deleteIfExists(host, Resources.LogicalCluster, c);
      await waitGone(host, c).catch(() => undefined);
      await deleteIfExists(host, Resources.Workspace, ws);
    });

    it('serves the logical cluster from its member with the same narrowing', async () => {
      const ns = await run(kubectl, ['--kubeconfig', kcC, 'get', 'namespaces', '-o', 'name']);
      expect(ns.stderr).to.equal('');
      expect(names(ns.stdout)).to.deep.equal([`namespace/${c}-app`, `namespace/${c}-jobs`]);
      const pods = await run(kubectl, ['--kubeconfig', kcC, 'get', 'pods', '-A', '-o', 'name']);
      expect(pods.stderr).to.equal('');
      expect(names(pods.stdout)).to.deep.equal(['pod/on-member']);
      const created = await run(kubectl, ['--kubeconfig', kcC, 'create', 'namespace', `${c}-more`]);
      expect(created.stderr).to.equal('');
      expect((await member.get(Resources.Namespace, `${c}-more`)).metadata?.labels).to.include({ 'canopy.dev/logical-cluster': c });
      const logs = await run(kubectl, ['--kubeconfig', kcC, 'logs', '-n', `${c}-jobs`, 'on-member']);
      const exec = await run(kubectl, ['--kubeconfig', kcC, 'exec', '-n', `${c}-jobs`, 'on-member', '--', 'true']);
      // The member's apiserver took both as the tenant and called the kubelet; kwok's fake nodes serve no kubelet
      // endpoint, so that is where they stop (RBAC or the gateway refusing would answer Forbidden or NotFound).
      expect(logs.stderr).to.contain(`/containerLogs/${c}-jobs/on-member/`);
      expect(exec.stderr).to.contain(`/exec/${c}-jobs/on-member/`);
      const nodes = await request(`${url}/clusters/${c}/api/v1/nodes`, caPem, { token: cToken });
      expect(nodes.status).to.equal(403);
      expect(String(nodes.body.message)).to.contain(`cluster-scoped, outside logical cluster ${c}`);
      const stranger = await request(`${url}/clusters/${c}/api/v1/namespaces`, caPem, { token: tokenA });
      expect(stranger.status).to.be.oneOf([401, 403]);
      const foreign = await run(kubectl, ['--kubeconfig', kcA, 'get', 'pods', '-n', `${c}-app`]);
      expect(foreign.stderr).to.contain('not found');
    });

    it('ends a merged watch cleanly when the member apiserver restarts, and serves again once it is back', async () => {
      const token = cToken;
      const gatewayUrl = new URL(url);
      let ended = false;
      let received = '';
      const watch = https.request(
        {
          hostname: gatewayUrl.hostname,
          port: Number(gatewayUrl.port),
          path: `/clusters/${c}/api/v1/pods?watch=1`,
          ca: caPem,
          headers: { Authorization: `Bearer ${token}` },
          agent: false,
        },
        (res) => {
          expect(res.statusCode).to.equal(200);
          res.on('data', (chunk: Buffer) => (received += chunk.toString()));
          res.on('end', () => (ended = true));
          res.on('error', () => (ended = true));
          res.on('close', () => (ended = true));
        },
      );
      watch.on('error', () => (ended = true));
      watch.end();
      expect(await waitUntil(30_000, 100, () => received.includes('on-member'))).to.equal(true);
      const us1 = testEnv().cluster('us-1');
      try {
        await us1.stopApiServer();
        expect(await waitUntil(60_000, 200, () => ended), 'the merged watch ended').to.equal(true);
      } finally {
        if (!us1.apiServerRunning) await us1.startApiServer();
      }
      const back = await waitUntil(90_000, 500, async () =>
        (await run(kubectl, ['--kubeconfig', kcC, 'get', 'pods', '-A', '-o', 'name'])).stdout.includes('pod/on-member'),
      );
      expect(back, 'served again after the restart').to.equal(true);
    });
  });
});
