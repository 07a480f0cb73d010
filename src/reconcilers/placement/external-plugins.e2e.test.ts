import { spawn, execFileSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:https';
import type { AddressInfo, Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { expect } from 'chai';
import { repoRoot, waitUntil } from '../../../controlplane/launcher/index.js';
import { testEnv, uniqueName } from '../../../test/e2e/env.js';
import { objectWhen } from '../../../test/e2e/wait.js';
import { ApiClient, apply, Resources, type KubeObject } from '../../runtime/index.js';
import type { Cluster } from '../../crds/cluster.js';
import type { PropagatedObject } from '../../crds/propagatedobject.js';
import { SYSTEM_NAMESPACE } from '../../dev/register.js';
import { ALLOW_LOOPBACK_ENV } from './plugin-client.js';

const admin = () => ApiClient.for(testEnv().host.kubeConfig());
type PO = PropagatedObject & KubeObject;

const scheduled = (po: PO) => po.status?.conditions?.find((c) => c.type === 'Scheduled');
const placed = (po: PO) => (po.status?.placement ?? []).map((p) => p.cluster).sort();

function poWhen(namespace: string, name: string, predicate: (po: PO) => boolean, what: string, timeoutMs = 30_000): Promise<PO> {
  return objectWhen<PO>(Resources.PropagatedObject, name, namespace, predicate, what, timeoutMs);
}

/** The example score plugin as its README starts it, as a real process; resolves with what it prints when it listens. */
async function startGreenScore(): Promise<{ child: ChildProcess; url: string; caBundle: string }> {
  const child = spawn(
    process.execPath,
    ['--conditions=source', '--import', 'tsx', join(repoRoot, 'examples', 'extensions', 'green-score', 'main.ts'), '--port', '0'],
    {
      cwd: repoRoot,
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  let stderr = '';
  child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
  const first = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`green-score did not start within 30s: ${stderr}`)), 30_000);
    createInterface({ input: child.stdout! }).once('line', (line) => {
      clearTimeout(timer);
      resolve(line);
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`green-score exited ${code}: ${stderr}`));
    });
  });
  const { url, caBundle } = JSON.parse(first) as { url: string; caBundle: string };
  return { child, url, caBundle };
}

async function stopProcess(child: ChildProcess | undefined): Promise<void> {
  if (!child || child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((resolve) => child.once('exit', resolve));
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), 5_000);
  await exited;
  clearTimeout(timer);
}

/** A self-signed certificate for 127.0.0.1 (its own CA), for the hostile plugin server. */
function loopbackCertificate(): { key: string; cert: string } {
  const dir = mkdtempSync(join(tmpdir(), 'canopy-hostile-'));
  try {
    execFileSync(
      'openssl',
      [
        'req',
        '-x509',
        '-newkey',
        'ec',
        '-pkeyopt',
        'ec_paramgen_curve:prime256v1',
        '-nodes',
        '-days',
        '1',
        '-subj',
        '/CN=hostile',
        '-addext',
        'subjectAltName=IP:127.0.0.1',
        '-keyout',
        join(dir, 'k.pem'),
        '-out',
        join(dir, 'c.pem'),
      ],
      { stdio: 'ignore' },
    );
    return { key: readFileSync(join(dir, 'k.pem'), 'utf8'), cert: readFileSync(join(dir, 'c.pem'), 'utf8') };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/**
 * External placement plugins end to end: the example green-score plugin
 * (examples/extensions/green-score), spawned as its own process on loopback
 * HTTPS, is named by a PlacementPolicy and moves decisions towards the
 * clusters it prefers; down, it fails closed or is ignored as the policy
 * says; hostile endpoints and addresses end in a readable condition.
 */
describe('placement: external plugins, the example green-score plugin (e2e)', () => {
  const id = uniqueName('plug');
  const namespace = `${id}-apps`;
  const clusterA = `${id}-a`;
  const clusterB = `${id}-b`;
  const policies: string[] = [];
  const objects: string[] = [];
  let plugin: { child: ChildProcess; url: string; caBundle: string } | undefined;
  let loopbackBefore: string | undefined;

  const cluster = (name: string, member: string, labels: Record<string, string>) => ({
    apiVersion: 'canopy.dev/v1alpha1',
    kind: 'Cluster',
    metadata: { name, labels: { ...labels, scenario: id } },
    spec: {
      kubeconfigSecretRef: { name: `${member}-kubeconfig`, namespace: SYSTEM_NAMESPACE, key: 'kubeconfig' },
      region: member,
      capacity: { cpu: '16', memory: '64Gi' },
    },
  });

  /** A policy for Deployments labelled app=<app> in this test's namespace, over this test's two clusters, choosing one. */
  async function createPolicy(name: string, app: string, plugins: Record<string, unknown>[]): Promise<void> {
    await admin().create(Resources.PlacementPolicy, {
      apiVersion: 'canopy.dev/v1alpha1',
      kind: 'PlacementPolicy',
      metadata: { name },
      spec: {
        resourceSelectors: [{ apiVersion: 'apps/v1', kind: 'Deployment', namespaces: [namespace], labelSelector: { matchLabels: { app } } }],
        clusterSelector: { matchLabels: { scenario: id } },
        replicas: { maxClusters: 1 },
        plugins,
      },
    });
    policies.push(name);
  }

  async function createObject(name: string): Promise<void> {
    await admin().create(Resources.PropagatedObject, {
      apiVersion: 'canopy.dev/v1alpha1',
      kind: 'PropagatedObject',
      metadata: { name, namespace },
      spec: {
        template: {
          apiVersion: 'apps/v1',
          kind: 'Deployment',
          metadata: { name, labels: { app: name } },
          spec: {
            replicas: 1,
            selector: { matchLabels: { app: name } },
            template: { metadata: { labels: { app: name } }, spec: { containers: [{ name: 'app', image: 'registry.example/app:1' }] } },
          },
        },
      },
    });
    objects.push(name);
  }

  before(async function () {
    this.timeout(120_000);
    // The operator runs in this process and the plugin on this host: allow loopback plugins (off by default).
    loopbackBefore = process.env[ALLOW_LOOPBACK_ENV];
    process.env[ALLOW_LOOPBACK_ENV] = 'true';
    plugin = await startGreenScore();
    await admin().create(Resources.Namespace, { apiVersion: 'v1', kind: 'Namespace', metadata: { name: namespace } });
    await admin().create(Resources.Cluster, cluster(clusterA, 'eu-1', {}));
    await admin().create(Resources.Cluster, cluster(clusterB, 'eu-2', { 'green-energy': 'true' }));
  });

  after(async function () {
    this.timeout(120_000);
    for (const name of objects)
      await admin()
        .delete(Resources.PropagatedObject, name, namespace)
        .catch(() => undefined);
    for (const name of policies)
      await admin()
        .delete(Resources.PlacementPolicy, name)
        .catch(() => undefined);
    await waitUntil(30_000, 250, async () => (await admin().list(Resources.PropagatedObject, { namespace })).items.length === 0);
    for (const name of [clusterA, clusterB])
      await admin()
        .delete(Resources.Cluster, name)
        .catch(() => undefined);
    await admin()
      .delete(Resources.Namespace, namespace)
      .catch(() => undefined);
    await stopProcess(plugin?.child);
    if (loopbackBefore === undefined) delete process.env[ALLOW_LOOPBACK_ENV];
    else process.env[ALLOW_LOOPBACK_ENV] = loopbackBefore;
  });

  it('accepts only https plugin URLs and a weight only on Score plugins (CRD validation)', async () => {
    const bad = async (plugins: Record<string, unknown>[]) => {
      const err = await createPolicy(`${id}-invalid`, 'never', plugins).then(
        () => undefined,
        (e: unknown) => e as Error,
      );
      expect(err, JSON.stringify(plugins)).to.be.instanceOf(Error);
      return err!.message;
    };
    expect(await bad([{ name: 'p', type: 'Score', url: 'http://127.0.0.1:1/score' }])).to.contain('plugins[].url must be an https:// URL');
    expect(await bad([{ name: 'p', type: 'Filter', url: 'https://p.example/', weight: 5 }])).to.contain('weight applies only to Score plugins');
  });

  it('moves the decision towards the clusters the plugin scores higher, and follows when the label moves', async () => {
    await createPolicy(`${id}-green`, 'green', [{ name: 'green-score', type: 'Score', url: plugin!.url, caBundle: plugin!.caBundle, weight: 10 }]);
    await createObject('green');
    // By name alone clusterA would win; the plugin prefers clusterB, the one labelled green-energy=true.
    const first = await poWhen(namespace, 'green', (p) => scheduled(p)?.status === 'True', 'scheduled', 60_000);
    expect(placed(first)).to.deep.equal([clusterB]);
    expect(first.status!.placement![0]!.reason).to.contain('External 100 [green-score 100]');
    const loser = (first.status?.excluded ?? []).find((e) => e.cluster === clusterA);
    expect(loser?.plugin).to.equal('Selection');

    // Green energy moves to clusterA: a label change is a new cluster fingerprint, so the plugin is asked again.
    await admin().patch(Resources.Cluster, clusterB, undefined, { metadata: { labels: { 'green-energy': null } } }, 'merge');
    await admin().patch(Resources.Cluster, clusterA, undefined, { metadata: { labels: { 'green-energy': 'true' } } }, 'merge');
    const moved = await poWhen(namespace, 'green', (p) => placed(p)[0] === clusterA, 'moved to the green cluster');
    expect(placed(moved)).to.deep.equal([clusterA]);
    expect(moved.status!.placement![0]!.reason).to.contain('[green-score 100]');
  });

  it('with the plugin down and failurePolicy Fail, places nothing and the condition names the plugin and why', async () => {
    await stopProcess(plugin!.child);
    await createPolicy(`${id}-down-fail`, 'down-fail', [
      { name: 'green-score', type: 'Score', url: plugin!.url, caBundle: plugin!.caBundle, failurePolicy: 'Fail' },
    ]);
    await createObject('down-fail');
    const po = await poWhen(namespace, 'down-fail', (p) => scheduled(p)?.reason === 'PluginFailed', 'failed closed', 60_000);
    expect(scheduled(po)?.status).to.equal('False');
    expect(scheduled(po)?.message)
      .to.contain(`placement plugin green-score (${plugin!.url}) failed:`)
      .and.to.contain('ECONNREFUSED')
      .and.to.contain('failurePolicy Fail');
    expect(po.status?.placement ?? []).to.deep.equal([]);
  });

  it('with the plugin down and failurePolicy Ignore, places without it and says it was ignored', async () => {
    await createPolicy(`${id}-down-ignore`, 'down-ignore', [
      { name: 'green-score', type: 'Score', url: plugin!.url, caBundle: plugin!.caBundle, failurePolicy: 'Ignore' },
    ]);
    await createObject('down-ignore');
    const po = await poWhen(namespace, 'down-ignore', (p) => scheduled(p)?.status === 'True', 'scheduled', 60_000);
    expect(placed(po)).to.have.length(1);
    expect(scheduled(po)?.message).to.contain(`placement plugin green-score (${plugin!.url}) failed`).and.to.contain('ignored as failurePolicy is Ignore');
  });

  it('reads per-cluster scores written as data into Cluster status.scores, which the health probes leave alone', async () => {
    // Two writers, one entry each, by server-side apply with their own field managers (as the example README shows).
    const feed = (cluster: string, name: string, value: number, manager: string) =>
      apply(
        admin(),
        {
          apiVersion: 'canopy.dev/v1alpha1',
          kind: 'Cluster',
          metadata: { name: cluster },
          status: { scores: [{ name, value, updatedAt: new Date().toISOString() }] },
        } as KubeObject,
        {
          resource: Resources.Cluster,
          subresource: 'status',
          fieldManager: manager,
          force: false,
        },
      );
    await feed(clusterA, 'green-energy', 90, 'green-feed');
    await feed(clusterB, 'green-energy', 10, 'green-feed');
    await feed(clusterA, 'spot-price', 0, 'spot-feed');
    await feed(clusterB, 'spot-price', 0, 'spot-feed');
    const written = Date.now();
    await admin().create(Resources.PlacementPolicy, {
      apiVersion: 'canopy.dev/v1alpha1',
      kind: 'PlacementPolicy',
      metadata: { name: `${id}-data` },
      spec: {
        resourceSelectors: [{ apiVersion: 'apps/v1', kind: 'Deployment', namespaces: [namespace], labelSelector: { matchLabels: { app: 'data' } } }],
        clusterSelector: { matchLabels: { scenario: id } },
        replicas: { maxClusters: 1 },
        clusterScores: [
          { name: 'green-energy', weight: 10, maxAgeSeconds: 3600 },
          { name: 'spot-price', weight: 1 },
        ],
      },
    });
    policies.push(`${id}-data`);
    await createObject('data');
    const first = await poWhen(namespace, 'data', (p) => scheduled(p)?.status === 'True', 'scheduled', 60_000);
    expect(placed(first)).to.deep.equal([clusterA]);
    expect(first.status!.placement![0]!.reason).to.contain('ClusterScores').and.to.contain('[green-energy 90, spot-price 0]');

    // The health reconciler rewrites the Cluster's status (here for a spec change); the entries written by others stay.
    const edited = await admin().patch<Cluster & KubeObject>(
      Resources.Cluster,
      clusterB,
      undefined,
      { spec: { capacity: { cpu: '17', memory: '64Gi' } } },
      'merge',
    );
    const probed = await objectWhen<Cluster & KubeObject>(
      Resources.Cluster,
      clusterB,
      undefined,
      (c) => c.status?.observedGeneration === edited.metadata.generation && Date.parse(String(c.status?.lastProbeTime ?? 0)) > written,
      'probed after the scores were written',
      60_000,
    );
    expect((probed.status?.scores ?? []).map((e) => `${e.name}=${e.value}`).sort()).to.deep.equal(['green-energy=10', 'spot-price=0']);

    await feed(clusterB, 'green-energy', 100, 'green-feed');
    await feed(clusterA, 'green-energy', 0, 'green-feed');
    const moved = await poWhen(namespace, 'data', (p) => placed(p)[0] === clusterB, 'moved with the scores');
    expect(moved.status!.placement![0]!.reason).to.contain('[green-energy 100, spot-price 0]');
  });

  describe('abuse', () => {
    let hostile: Server;
    let hostileUrl: string;
    let hostileCa: string;
    const sockets = new Set<Socket>();

    before(async () => {
      const tls = loopbackCertificate();
      hostileCa = Buffer.from(tls.cert).toString('base64');
      hostile = createServer(tls, (req, res) => {
        req.resume();
        if (req.url === '/garbage') {
          res.writeHead(200, { 'Content-Type': 'application/json' });
          res.end('{"result": {"clusters": {"x": {"score": "over 9000"');
        } else if (req.url === '/huge') {
          // 64 MiB of one JSON string, as fast as the client reads it; stops when the client hangs up.
          res.writeHead(200, { 'Content-Type': 'application/json' });
          const chunk = Buffer.alloc(1 << 16, 'a');
          let sent = 0;
          const pump = (): void => {
            while (sent < 1024 && !res.destroyed) {
              sent++;
              if (!res.write(chunk)) return void res.once('drain', pump);
            }
            res.end();
          };
          res.write('{"result": "');
          pump();
        } else if (req.url === '/slow') {
          // Answers at once, then drips a byte a second: only a deadline on the whole exchange ends it.
          res.writeHead(200, { 'Content-Type': 'application/json' });
          const drip = setInterval(() => (res.destroyed ? clearInterval(drip) : res.write(' ')), 1000);
          res.on('close', () => clearInterval(drip));
        } else if (req.url === '/redirect') {
          res.writeHead(302, { Location: 'https://169.254.169.254/latest/meta-data/' });
          res.end();
        } else {
          res.writeHead(404);
          res.end();
        }
      });
      hostile.on('connection', (s: Socket) => {
        sockets.add(s);
        s.on('close', () => sockets.delete(s));
      });
      await new Promise<void>((resolve) => hostile.listen(0, '127.0.0.1', resolve));
      hostileUrl = `https://127.0.0.1:${(hostile.address() as AddressInfo).port}`;
    });

    after(async () => {
      hostile?.closeAllConnections();
      await new Promise((resolve) => hostile?.close(resolve));
    });

    const failsWith = async (app: string, plugin: Record<string, unknown>, ...expected: string[]): Promise<void> => {
      await createPolicy(`${id}-${app}`, app, [{ name: app, type: 'Score', failurePolicy: 'Fail', timeoutSeconds: 2, ...plugin }]);
      await createObject(app);
      const po = await poWhen(namespace, app, (p) => scheduled(p)?.reason === 'PluginFailed', 'failed closed', 60_000);
      for (const text of expected) expect(scheduled(po)?.message, app).to.contain(text);
      expect(po.status?.placement ?? []).to.deep.equal([]);
    };

    it('refuses the cloud metadata address and anything link-local, whatever the operator allows', async () => {
      await failsWith('metadata', { url: 'https://169.254.169.254/latest/meta-data/' }, 'refused: 169.254.169.254 is a link-local');
    });

    it('refuses loopback, as an IP and as a name that resolves to it, unless the operator allows it', async () => {
      process.env[ALLOW_LOOPBACK_ENV] = 'false';
      try {
        await failsWith('loopback-ip', { url: `${hostileUrl}/garbage`, caBundle: hostileCa }, 'refused: 127.0.0.1 is a loopback address');
        await failsWith(
          'loopback-name',
          { url: `${hostileUrl.replace('127.0.0.1', 'localhost')}/garbage`, caBundle: hostileCa },
          'refused: localhost resolves to',
          'a loopback address',
        );
      } finally {
        process.env[ALLOW_LOOPBACK_ENV] = 'true';
      }
    });

    it('turns garbage, a huge body, a body that never ends and a redirect into a readable condition, and leaves no connection open', async () => {
      await failsWith('garbage', { url: `${hostileUrl}/garbage`, caBundle: hostileCa }, 'the answer is not JSON');
      await failsWith('huge', { url: `${hostileUrl}/huge`, caBundle: hostileCa }, 'answer larger than 1 MiB');
      await failsWith('slow', { url: `${hostileUrl}/slow`, caBundle: hostileCa }, 'no complete answer within 2s');
      await failsWith('redirect', { url: `${hostileUrl}/redirect`, caBundle: hostileCa }, 'HTTP 302');
      await failsWith('untrusted', { url: `${hostileUrl}/garbage` }, 'self-signed certificate');
      // Failed plugins are asked again every 5s while their objects exist; once they are gone, no connection may stay open.
      for (const app of ['garbage', 'huge', 'slow', 'redirect', 'untrusted']) await admin().delete(Resources.PropagatedObject, app, namespace);
      expect(await waitUntil(20_000, 100, async () => sockets.size === 0), `${sockets.size} connection(s) left open`).to.equal(true);
    });

    it('keeps scheduling everything else (the operator did not crash)', async () => {
      await createPolicy(`${id}-after`, 'after', []);
      await createObject('after');
      const po = await poWhen(namespace, 'after', (p) => scheduled(p)?.status === 'True', 'scheduled', 60_000);
      expect(placed(po)).to.have.length(1);
    });
  });
});
