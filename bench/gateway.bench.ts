import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import https from 'node:https';
import { createServer } from 'node:net';
import { cpus, loadavg, totalmem } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { promisify } from 'node:util';
import { KubeConfig } from '@kubernetes/client-node';
import { LocalEnvironment, repoRoot } from '../controlplane/launcher/index.js';
import { installCrds } from '../src/dev/manifests.js';
import { ApiClient } from '../src/runtime/http.js';
import { Resources } from '../src/runtime/resources.js';
import type { KubeObject } from '../src/runtime/object.js';

/**
 * Benchmark: what the tenant gateway adds in front of kube-apiserver, on a
 * private control plane (host only, no controller manager).
 *
 * The operator runs as it ships (src/main.ts compiled to JavaScript, in its
 * own process, leader election and webhook off, the gateway on loopback,
 * tenant kubeconfigs pointed at the gateway). One logical cluster; its
 * issued kubeconfig is the gateway client, and the same token sent straight
 * to kube-apiserver is the direct client, so both paths authenticate the
 * same ServiceAccount and meet the same RBAC.
 *
 * - latency: sequential GETs of one ConfigMap and LISTs of 100, over one
 *   keep-alive TLS connection per path; direct and gateway alternate, in
 *   ROUNDS rounds; added = gateway percentile − direct percentile per round;
 * - saturation: CONCURRENCY closed-loop clients doing GETs for SECONDS,
 *   direct and gateway alternating, requests/s of each;
 * - watches: WATCHES concurrent watches through the gateway on the tenant's
 *   ConfigMaps; EVENTS ConfigMaps are then created and every watch must see
 *   each exactly once; the operator's RSS before, during and after.
 *
 *   npm run bench:gateway                       # the recorded run
 *   BENCH_QUICK=1 npm run bench:gateway         # small numbers, not recorded
 *
 * Writes bench/results/gateway-<date>.json (docs/benchmarks.md, "Tenant
 * gateway", is written from it by hand: the numbers need the machine's load
 * beside them).
 */
const run = promisify(execFile);
const QUICK = process.env.BENCH_QUICK === '1';
const ROUNDS = QUICK ? 1 : 3;
const GETS = QUICK ? 200 : 500;
const LISTS = QUICK ? 50 : 200;
const LIST_SIZE = 100;
const CONCURRENCY = 16;
const SECONDS = QUICK ? 3 : 10;
const WATCHES = QUICK ? 100 : 1000;
const EVENTS = 20;
const LC = 'bench';

interface Percentiles {
  n: number;
  p50: number;
  p90: number;
  p99: number;
  max: number;
}

function percentiles(values: number[]): Percentiles {
  const v = [...values].sort((a, b) => a - b);
  const at = (q: number) => v[Math.min(v.length - 1, Math.max(0, Math.ceil(q * v.length) - 1))] ?? 0;
  const r = (n: number) => Number(n.toFixed(3));
  return { n: v.length, p50: r(at(0.5)), p90: r(at(0.9)), p99: r(at(0.99)), max: r(v[v.length - 1] ?? 0) };
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.listen(0, '127.0.0.1', () => {
      const port = (server.address() as { port: number }).port;
      server.close(() => resolve(port));
    });
    server.on('error', reject);
  });
}

/** src/main.ts and what it imports, compiled (tsx would add its transpiler to the RSS measured). */
async function compileOperator(): Promise<string> {
  const outDir = join(repoRoot, 'bench', 'results', 'raw', 'build-gateway');
  const tsc = join(repoRoot, 'node_modules', 'typescript', 'bin', 'tsc');
  const args = [
    tsc,
    '--ignoreConfig',
    join(repoRoot, 'src', 'main.ts'),
    '--outDir',
    outDir,
    '--rootDir',
    repoRoot,
    '--module',
    'nodenext',
    '--moduleResolution',
    'nodenext',
    '--target',
    'es2023',
    '--lib',
    'es2023',
    '--skipLibCheck',
    '--types',
    'node',
    '--esModuleInterop',
    '--resolveJsonModule',
  ];
  // Type errors elsewhere in a tree being edited do not stop emitting; a missing output does.
  await run(process.execPath, args, { cwd: repoRoot }).catch(() => undefined);
  const main = join(outDir, 'src', 'main.js');
  if (!existsSync(main)) throw new Error(`compiling src/main.ts produced no ${main}`);
  return main;
}

function rssMiB(pid: number): number {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kb = Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? 0);
  return Number((kb / 1024).toFixed(1));
}

interface Target {
  readonly name: 'direct' | 'gateway';
  readonly base: string;
  readonly ca: string;
  readonly token: string;
}

function request(target: Target, agent: https.Agent, path: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const started = performance.now();
    const req = https.request(
      `${target.base}${path}`,
      { agent, ca: target.ca, headers: { Authorization: `Bearer ${target.token}`, Accept: 'application/json' } },
      (res) => {
        res.resume();
        res.on('end', () => {
          if (res.statusCode !== 200) reject(new Error(`${target.name} ${path}: HTTP ${res.statusCode}`));
          else resolve(performance.now() - started);
        });
        res.on('error', reject);
      },
    );
    req.on('error', reject);
    req.end();
  });
}

async function sequential(target: Target, path: string, n: number): Promise<number[]> {
  const agent = new https.Agent({ keepAlive: true, maxSockets: 1 });
  try {
    for (let i = 0; i < 20; i++) await request(target, agent, path); // warm: TLS session, token review cache
    const out: number[] = [];
    for (let i = 0; i < n; i++) out.push(await request(target, agent, path));
    return out;
  } finally {
    agent.destroy();
  }
}

async function saturate(target: Target, path: string, seconds: number): Promise<{ requests: number; perSecond: number; errors: number }> {
  const agent = new https.Agent({ keepAlive: true, maxSockets: CONCURRENCY });
  let requests = 0;
  let errors = 0;
  const deadline = performance.now() + seconds * 1000;
  try {
    await Promise.all(Array.from({ length: CONCURRENCY }, () => request(target, agent, path)));
    const started = performance.now();
    await Promise.all(
      Array.from({ length: CONCURRENCY }, async () => {
        while (performance.now() < deadline) {
          try {
            await request(target, agent, path);
            requests++;
          } catch {
            errors++;
          }
        }
      }),
    );
    const elapsed = (performance.now() - started) / 1000;
    return { requests, perSecond: Number((requests / elapsed).toFixed(1)), errors };
  } finally {
    agent.destroy();
  }
}

interface WatchTally {
  status?: number;
  seen: Map<string, number>;
  errors: number;
  req?: ReturnType<typeof https.request>;
}

/** Opens one watch and counts ADDED events per object name. */
function openWatch(target: Target, agent: https.Agent, path: string, tally: WatchTally): Promise<void> {
  return new Promise((resolve, reject) => {
    const req = https.request(`${target.base}${path}`, { agent, ca: target.ca, headers: { Authorization: `Bearer ${target.token}` } }, (res) => {
      tally.status = res.statusCode;
      if (res.statusCode !== 200) {
        res.resume();
        reject(new Error(`watch: HTTP ${res.statusCode}`));
        return;
      }
      resolve();
      let buffer = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => {
        buffer += chunk;
        let nl: number;
        while ((nl = buffer.indexOf('\n')) >= 0) {
          const line = buffer.slice(0, nl).trim();
          buffer = buffer.slice(nl + 1);
          if (!line) continue;
          try {
            const event = JSON.parse(line) as { type: string; object: KubeObject };
            if (event.type === 'ADDED') {
              const name = event.object.metadata?.name ?? '';
              tally.seen.set(name, (tally.seen.get(name) ?? 0) + 1);
            } else if (event.type === 'ERROR') tally.errors++;
          } catch {
            tally.errors++;
          }
        }
      });
      res.on('error', () => tally.errors++);
    });
    req.on('error', (err) => {
      if (tally.status === undefined) reject(err);
    });
    // A watch the gateway does not answer within a minute counts as refused (and is closed), rather than stalling the run.
    req.setTimeout(60_000, () => {
      if (tally.status === undefined) {
        req.destroy();
        reject(new Error('watch: no answer within 60 s'));
      }
    });
    tally.req = req;
    req.end();
  });
}

async function main(): Promise<void> {
  const startedAt = new Date();
  const loadBefore = loadavg();
  const mainJs = await compileOperator();
  const env = await LocalEnvironment.start({ members: [], controllerManager: false, quiet: true });
  let operator: ChildProcess | undefined;
  try {
    const adminKc = env.host.kubeConfig();
    const admin = new ApiClient(adminKc);
    await installCrds(adminKc, join(repoRoot, 'config', 'crd'));
    await admin.create(Resources.Namespace, { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'canopy-system' } });
    const port = await freePort();
    mkdirSync(join(repoRoot, '.canopy', 'bench'), { recursive: true });
    operator = spawn(process.execPath, [mainJs], {
      cwd: repoRoot,
      stdio: ['ignore', 'ignore', 'inherit'],
      env: {
        PATH: process.env.PATH ?? '',
        KUBECONFIG: env.host.kubeconfigPath,
        CANOPY_NAMESPACE: 'canopy-system',
        CANOPY_LEADER_ELECT: 'false',
        CANOPY_WEBHOOK: 'false',
        CANOPY_METRICS_PORT: '0',
        CANOPY_HEALTH_PORT: '0',
        CANOPY_BIND_ADDRESS: '127.0.0.1',
        CANOPY_GATEWAY: 'true',
        CANOPY_GATEWAY_HOST: '127.0.0.1',
        CANOPY_GATEWAY_PORT: String(port),
        CANOPY_TENANT_KUBECONFIG: 'gateway',
        CANOPY_LOG_LEVEL: 'warn',
      },
    });
    const pid = operator.pid!;

    await admin.create(Resources.Workspace, { apiVersion: 'canopy.dev/v1alpha1', kind: 'Workspace', metadata: { name: 'bench' }, spec: {} } as KubeObject);
    await admin.create(Resources.LogicalCluster, {
      apiVersion: 'canopy.dev/v1alpha1',
      kind: 'LogicalCluster',
      metadata: { name: LC },
      spec: { workspace: 'bench', namespaces: ['a'], capabilities: { preset: 'developer' } },
    } as KubeObject);
    type Lc = KubeObject & { status?: { phase?: string; namespaces?: string[]; kubeconfigSecretRef?: { name: string; namespace: string; key?: string } } };
    let lc: Lc | undefined;
    for (let i = 0; i < 240 && lc?.status?.phase !== 'Ready'; i++) {
      await new Promise((r) => setTimeout(r, 500));
      lc = await admin.get<Lc>(Resources.LogicalCluster, LC);
    }
    if (lc?.status?.phase !== 'Ready' || !lc.status.kubeconfigSecretRef)
      throw new Error(`logical cluster ${LC} did not become Ready: ${JSON.stringify(lc?.status)}`);
    const namespace = lc.status.namespaces![0]!;
    const ref = lc.status.kubeconfigSecretRef;
    const secret = await admin.get<KubeObject & { data: Record<string, string> }>(Resources.Secret, ref.name, ref.namespace);
    const tenant = new KubeConfig();
    tenant.loadFromString(Buffer.from(secret.data[ref.key ?? 'kubeconfig']!, 'base64').toString());
    const cluster = tenant.getCurrentCluster()!;
    const token = tenant.getCurrentUser()!.token!;
    if (!cluster.server.includes(`/clusters/${LC}`)) throw new Error(`the issued kubeconfig does not point at the gateway: ${cluster.server}`);
    const gateway: Target = { name: 'gateway', base: cluster.server, ca: Buffer.from(cluster.caData!, 'base64').toString(), token };
    const direct: Target = { name: 'direct', base: env.host.server, ca: env.host.caPem, token };

    for (let i = 0; i < LIST_SIZE; i++) {
      await admin.create(Resources.ConfigMap, {
        apiVersion: 'v1',
        kind: 'ConfigMap',
        metadata: { name: `cm-${i}`, namespace, labels: { bench: 'list' } },
        data: { value: 'x'.repeat(256) },
      } as KubeObject);
    }
    const getPath = `/api/v1/namespaces/${namespace}/configmaps/cm-0`;
    const listPath = `/api/v1/namespaces/${namespace}/configmaps?labelSelector=bench%3Dlist`;
    const rssIdle = rssMiB(pid);

    // ---------------------------------------------------------------- latency
    const latency: { round: number; path: string; target: string; ms: Percentiles }[] = [];
    for (let round = 1; round <= ROUNDS; round++) {
      for (const [label, path, n] of [
        ['GET', getPath, GETS],
        ['LIST', listPath, LISTS],
      ] as const) {
        // Alternate which goes first, so a drift in the machine's load does not always favour one.
        const order = round % 2 === 1 ? [direct, gateway] : [gateway, direct];
        for (const target of order) latency.push({ round, path: label, target: target.name, ms: percentiles(await sequential(target, path, n)) });
      }
    }
    const added = latency
      .filter((l) => l.target === 'gateway')
      .map((g) => {
        const d = latency.find((l) => l.target === 'direct' && l.round === g.round && l.path === g.path)!;
        const r = (n: number) => Number(n.toFixed(3));
        return { round: g.round, path: g.path, p50: r(g.ms.p50 - d.ms.p50), p99: r(g.ms.p99 - d.ms.p99) };
      });

    // ---------------------------------------------------------------- saturation
    const saturation: { round: number; target: string; requests: number; perSecond: number; errors: number; operatorRssMiB: number }[] = [];
    for (let round = 1; round <= ROUNDS; round++) {
      const order = round % 2 === 1 ? [direct, gateway] : [gateway, direct];
      for (const target of order) saturation.push({ round, target: target.name, ...(await saturate(target, getPath, SECONDS)), operatorRssMiB: rssMiB(pid) });
    }
    const rate = (name: string) => saturation.filter((s) => s.target === name).map((s) => s.perSecond);
    const ratios = rate('gateway').map((g, i) => Number((g / rate('direct')[i]!).toFixed(3)));

    // ---------------------------------------------------------------- watches
    const rv = (await admin.list(Resources.ConfigMap, { namespace, limit: 1 })).metadata.resourceVersion;
    const watchPath = `/api/v1/namespaces/${namespace}/configmaps?watch=1&labelSelector=bench%3Dwatch&resourceVersion=${rv}`;
    const agent = new https.Agent({ keepAlive: false, maxSockets: Infinity });
    const tallies: WatchTally[] = Array.from({ length: WATCHES }, () => ({ seen: new Map(), errors: 0 }));
    const rssBeforeWatches = rssMiB(pid);
    const rssSamples: number[] = [];
    const sampler = setInterval(() => rssSamples.push(rssMiB(pid)), 250);
    const openStarted = performance.now();
    let refused = 0;
    // Opened in batches of 50, as many clients starting up would, not one burst of 1,000 handshakes.
    for (let i = 0; i < WATCHES; i += 50) {
      const batch = tallies.slice(i, i + 50);
      const results = await Promise.allSettled(batch.map((t) => openWatch(gateway, agent, watchPath, t)));
      refused += results.filter((r) => r.status === 'rejected').length;
    }
    const openSeconds = Number(((performance.now() - openStarted) / 1000).toFixed(2));
    await new Promise((r) => setTimeout(r, 2000));
    const rssWatchesOpen = rssMiB(pid);
    const createStarted = performance.now();
    for (let i = 0; i < EVENTS; i++) {
      await admin.create(Resources.ConfigMap, {
        apiVersion: 'v1',
        kind: 'ConfigMap',
        metadata: { name: `w-${i}`, namespace, labels: { bench: 'watch' } },
        data: { i: String(i) },
      } as KubeObject);
    }
    const open = tallies.filter((t) => t.status === 200);
    const complete = () => open.every((t) => EVENTS <= t.seen.size);
    for (let i = 0; i < 240 && !complete(); i++) await new Promise((r) => setTimeout(r, 250));
    const deliverySeconds = Number(((performance.now() - createStarted) / 1000).toFixed(2));
    await new Promise((r) => setTimeout(r, 2000)); // late duplicates would arrive now
    clearInterval(sampler);
    let lost = 0;
    let duplicated = 0;
    for (const t of open) {
      for (let i = 0; i < EVENTS; i++) {
        const n = t.seen.get(`w-${i}`) ?? 0;
        if (n === 0) lost++;
        if (n > 1) duplicated += n - 1;
      }
    }
    // Counted before closing: a stream cut by the client itself is not an error of the gateway.
    const streamErrors = tallies.reduce((n, t) => n + t.errors, 0);
    for (const t of tallies) t.req?.destroy();
    agent.destroy();
    await new Promise((r) => setTimeout(r, 5000));
    const rssAfterWatches = rssMiB(pid);

    const result = {
      benchmark: 'gateway',
      startedAt: startedAt.toISOString(),
      finishedAt: new Date().toISOString(),
      quick: QUICK,
      machine: {
        cpus: cpus().length,
        memoryGiB: Number((totalmem() / 2 ** 30).toFixed(1)),
        node: process.version,
        loadAvgBefore: loadBefore,
        loadAvgAfter: loadavg(),
      },
      setup: {
        rounds: ROUNDS,
        gets: GETS,
        lists: LISTS,
        listSize: LIST_SIZE,
        concurrency: CONCURRENCY,
        saturationSeconds: SECONDS,
        watches: WATCHES,
        events: EVENTS,
      },
      operatorRssMiB: { idle: rssIdle },
      latency,
      addedLatencyMs: added,
      saturation,
      saturationRatio: ratios,
      watches: {
        opened: open.length,
        refused,
        openSeconds,
        deliverySeconds,
        expectedEvents: open.length * EVENTS,
        lost,
        duplicated,
        streamErrors,
        operatorRssMiB: {
          before: rssBeforeWatches,
          open: rssWatchesOpen,
          max: Math.max(rssWatchesOpen, ...rssSamples),
          afterClose: rssAfterWatches,
        },
      },
    };
    console.log(JSON.stringify(result, null, 2));
    if (!QUICK) {
      const file = join(repoRoot, 'bench', 'results', `gateway-${startedAt.toISOString().slice(0, 10)}.json`);
      writeFileSync(file, `${JSON.stringify(result, null, 2)}\n`);
      console.error(`wrote ${file}`);
    }
  } finally {
    if (operator && operator.exitCode === null) {
      operator.kill('SIGTERM');
      await new Promise((r) => {
        const t = setTimeout(() => {
          operator?.kill('SIGKILL');
          r(undefined);
        }, 15_000);
        operator?.once('exit', () => {
          clearTimeout(t);
          r(undefined);
        });
      });
    }
    await env.stop();
  }
}

main().then(
  () => process.exit(0),
  (err: unknown) => {
    console.error(err);
    process.exit(1);
  },
);
