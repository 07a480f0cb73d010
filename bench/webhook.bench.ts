import { execFile, spawn, type ChildProcess } from 'node:child_process';
import http2 from 'node:http2';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, totalmem } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { promisify } from 'node:util';
import { LocalEnvironment, repoRoot } from '../controlplane/launcher/index.js';
import { ApiClient } from '../src/runtime/http.js';
import { knownResource, resourcePath, Resources } from '../src/runtime/resources.js';
import type { KubeObject } from '../src/runtime/object.js';
import { installCrds } from '../src/dev/manifests.js';
import { ADMISSION_API_VERSION } from '../src/webhooks/admission.js';
import { round, writeSection, type PhaseResult } from './webhook.report.js';

/**
 * Benchmark: admission latency at a steady 200 requests/s for 60 s, and the
 * webhook process's CPU and RSS meanwhile, on a private control plane (host
 * only) holding a realistic tree: 105 workspaces, 200 logical clusters, 10
 * placement policies, 3 clusters.
 *
 * - direct: a loopback client POSTs AdmissionReviews straight to the
 *   webhook (keep-alive TLS, as the apiserver does), open loop: a request
 *   leaves every 5 ms whether or not earlier ones returned;
 * - apiserver: dry-run creates through kube-apiserver, which calls the
 *   webhook; and the same requests with a label the webhook's objectSelector
 *   excludes, as the baseline without admission.
 *
 * Writes bench/results/webhook.json and the "Admission webhook" section of
 * docs/benchmarks.md.
 *
 *   npx tsx bench/webhook.bench.ts                  # 200/s × 60 s per phase (recorded)
 *   BENCH_SECONDS=10 npx tsx bench/webhook.bench.ts # quick check (not recorded)
 *   npx tsx bench/webhook.bench.ts --report         # rewrite the docs section from the recorded results
 */
const run = promisify(execFile);
const RATE = Number(process.env.BENCH_RATE ?? 200);
/** The apiserver path also runs at a rate a small shared machine can sustain without the webhook, for a meaningful comparison. */
const SUSTAINABLE_RATE = Number(process.env.BENCH_SUSTAINABLE_RATE ?? 50);
const SECONDS = Number(process.env.BENCH_SECONDS ?? 60);
const RECORD = process.env.BENCH_RATE === undefined && process.env.BENCH_SECONDS === undefined;
const SKIP_LABEL = 'bench.canopy.dev/skip-webhook';
const ORGS = 5;
const TEAMS = 5;
const APPS = 3;
const LOGICAL_CLUSTERS = 200;
const TENANT_NAMESPACES = 10;

interface Sample {
  at: number;
  cpuPercent: number;
  rssMiB: number;
  heapMiB: number;
  /** Cumulative reviews answered and seconds spent answering them (the webhook's own latency histogram). */
  answered: number;
  answeringSeconds: number;
}

async function compileChild(): Promise<string> {
  const outDir = join(repoRoot, 'bench', 'results', 'raw', 'build-webhook');
  const tsc = join(repoRoot, 'node_modules', 'typescript', 'bin', 'tsc');
  await run(
    process.execPath,
    [
      tsc,
      '--ignoreConfig',
      join(repoRoot, 'bench', 'webhook.child.ts'),
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
    ],
    { cwd: repoRoot },
  );
  return join(outDir, 'bench', 'webhook.child.js');
}

const org = (o: number) => `org-${o}`;
const team = (o: number, t: number) => `org-${o}-team-${t}`;
const app = (o: number, t: number, a: number) => `org-${o}-team-${t}-app-${a}`;
const tenantNs = (i: number) => `tenant-${i}`;

async function buildWorld(client: ApiClient): Promise<void> {
  const create = (object: KubeObject) => client.create(knownResource(object.apiVersion!, object.kind!)!, object);
  const ws = (name: string, spec: Record<string, unknown>) =>
    create({ apiVersion: 'canopy.dev/v1alpha1', kind: 'Workspace', metadata: { name }, spec } as KubeObject);
  await create({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'canopy-system' } });
  for (let o = 0; o < ORGS; o++) {
    await ws(org(o), {
      owners: [{ kind: 'User', name: `owner-${o}` }],
      constraints: {
        regions: ['eu-1', 'eu-2'],
        maxLogicalClusters: 1000,
        quota: { hard: { cpu: '1000', memory: '4Ti' } },
        podSecurity: 'baseline',
        allowedRegistries: ['registry.example.com', 'docker.io/library'],
      },
    });
    for (let t = 0; t < TEAMS; t++) {
      await ws(team(o, t), { parent: org(o), owners: [{ kind: 'Group', name: `team-${o}-${t}` }] });
      for (let a = 0; a < APPS; a++) await ws(app(o, t, a), { parent: team(o, t) });
    }
  }
  const work: Promise<unknown>[] = [];
  for (let i = 0; i < LOGICAL_CLUSTERS; i++) {
    const o = i % ORGS;
    const t = Math.floor(i / ORGS) % TEAMS;
    work.push(
      create({
        apiVersion: 'canopy.dev/v1alpha1',
        kind: 'LogicalCluster',
        metadata: { name: `lc-${i}` },
        spec: { workspace: team(o, t), constraints: { quota: { hard: { cpu: '1', memory: '1Gi', 'services.loadbalancers': '0' } } } },
      } as KubeObject),
    );
  }
  await Promise.all(work);
  for (let i = 0; i < TENANT_NAMESPACES; i++) {
    const o = i % ORGS;
    await create({
      apiVersion: 'v1',
      kind: 'Namespace',
      metadata: {
        name: tenantNs(i),
        labels: { 'canopy.dev/workspace': team(o, 0), 'canopy.dev/logical-cluster': `lc-${i}`, [`${org(o)}.tree.canopy.dev/depth`]: '1' },
      },
    });
    // No controller manager runs here: give each namespace the ServiceAccount pods default to.
    await create({ apiVersion: 'v1', kind: 'ServiceAccount', metadata: { name: 'default', namespace: tenantNs(i) } });
  }
  for (const [name, region] of [
    ['eu-1', 'eu-1'],
    ['eu-2', 'eu-2'],
    ['us-1', 'us-1'],
  ] as const) {
    await create({
      apiVersion: 'canopy.dev/v1alpha1',
      kind: 'Cluster',
      metadata: { name, labels: { 'topology.kubernetes.io/region': region } },
      spec: {
        region,
        kubeconfigSecretRef: { name: `${name}-kubeconfig`, namespace: 'canopy-system', key: 'kubeconfig' },
        pricing: { cpuHour: 0.04, memoryGiBHour: 0.005, loadBalancerHour: 0.025 },
      },
    } as KubeObject);
  }
  for (let p = 0; p < 10; p++) {
    await create({
      apiVersion: 'canopy.dev/v1alpha1',
      kind: 'PlacementPolicy',
      metadata: { name: `policy-${p}` },
      spec: {
        resourceSelectors: [{ apiVersion: 'apps/v1', kind: 'Deployment', workspace: org(p % ORGS) }],
        priority: p,
        rules: [{ expression: "cluster.metadata.labels['topology.kubernetes.io/region'] != 'us-1'" }],
      },
    } as KubeObject);
  }
}

// ---------------------------------------------------------------- request corpus

interface Review {
  webhook: string;
  body: string;
}

function review(webhook: string, kind: string, object: unknown, user: { username: string; groups: string[] }, namespace?: string, oldObject?: unknown): Review {
  const request = {
    uid: '00000000-0000-0000-0000-000000000000',
    kind: { group: kind === 'Pod' || kind === 'ConfigMap' ? '' : 'canopy.dev', version: kind === 'Pod' || kind === 'ConfigMap' ? 'v1' : 'v1alpha1', kind },
    resource: { group: '', version: 'v1', resource: `${kind.toLowerCase()}s` },
    operation: oldObject ? 'UPDATE' : 'CREATE',
    userInfo: user,
    object,
    ...(oldObject ? { oldObject } : {}),
    ...(namespace ? { namespace } : {}),
  };
  return { webhook, body: JSON.stringify({ apiVersion: ADMISSION_API_VERSION, kind: 'AdmissionReview', request }) };
}

/** A mix shaped like a busy control plane: mostly tenant workloads, some tree and policy changes, a quarter of them bad. */
function corpus(): Review[] {
  const admin = { username: 'kubernetes-admin', groups: ['system:masters', 'system:authenticated'] };
  const owner = (o: number) => ({ username: `owner-${o}`, groups: ['system:authenticated'] });
  const teamMember = (o: number, t: number) => ({ username: `dev-${o}-${t}`, groups: [`team-${o}-${t}`, 'system:authenticated'] });
  const out: Review[] = [];
  for (let i = 0; i < 200; i++) {
    const o = i % ORGS;
    const t = Math.floor(i / ORGS) % TEAMS;
    const ns = tenantNs(i % TENANT_NAMESPACES);
    const wsObj = (spec: Record<string, unknown>) => ({ apiVersion: 'canopy.dev/v1alpha1', kind: 'Workspace', metadata: { name: `new-${i}` }, spec });
    out.push(review('workspaces', 'Workspace', wsObj({ parent: team(o, t), constraints: { regions: ['eu-1'] } }), teamMember(o, t)));
    out.push(review('workspaces', 'Workspace', wsObj({ parent: org(o), constraints: { regions: ['us-1'] } }), owner(o)));
    out.push(
      review('workspaces', 'Workspace', { ...wsObj({ parent: app(o, t, 0) }), metadata: { name: org(o) } }, admin, undefined, {
        ...wsObj({}),
        metadata: { name: org(o) },
      }),
    );
    out.push(
      review(
        'logicalclusters',
        'LogicalCluster',
        {
          apiVersion: 'canopy.dev/v1alpha1',
          kind: 'LogicalCluster',
          metadata: { name: `new-lc-${i}` },
          spec: { workspace: app(o, t, i % APPS), constraints: { quota: { hard: { cpu: '1', memory: '1Gi', 'services.loadbalancers': '0' } } } },
        },
        teamMember(o, t),
      ),
    );
    out.push(
      review(
        'placementpolicies',
        'PlacementPolicy',
        {
          apiVersion: 'canopy.dev/v1alpha1',
          kind: 'PlacementPolicy',
          metadata: { name: `p-${i}` },
          spec: {
            resourceSelectors: [{ apiVersion: 'apps/v1', kind: 'Deployment' }],
            rules: [{ expression: `object.metadata.labels['tier'] == 'gold-${i % 7}'` }],
          },
        },
        admin,
      ),
    );
    const pod = (spec: Record<string, unknown>) => ({
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name: `p-${i}`, namespace: ns },
      spec: { containers: [{ name: 'app', image: 'registry.example.com/shop/app:1' }], ...spec },
    });
    for (let k = 0; k < 4; k++) out.push(review('pods', 'Pod', pod({}), teamMember(o, 0), ns));
    out.push(review('pods', 'Pod', pod({ hostNetwork: true }), teamMember(o, 0), ns));
    out.push(
      review(
        'propagatedobjects',
        'PropagatedObject',
        {
          apiVersion: 'canopy.dev/v1alpha1',
          kind: 'PropagatedObject',
          metadata: { name: `po-${i}`, namespace: ns },
          spec: {
            template: {
              apiVersion: 'v1',
              kind: 'ConfigMap',
              metadata: { name: 'c', annotations: { 'placement.canopy.dev/clusters': i % 2 ? 'eu-1' : 'us-1' } },
            },
          },
        },
        teamMember(o, 0),
        ns,
      ),
    );
  }
  return out;
}

// ---------------------------------------------------------------- load

function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return 0;
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
}

function summarize(latencies: number[]): PhaseResult['latencyMs'] {
  const sorted = [...latencies].sort((a, b) => a - b);
  return {
    p50: round(percentile(sorted, 50)),
    p90: round(percentile(sorted, 90)),
    p99: round(percentile(sorted, 99)),
    max: round(sorted[sorted.length - 1] ?? 0),
  };
}

type Outcome = 'allowed' | 'denied' | 'error';
interface Tally {
  sent: number;
  allowed: number;
  denied: number;
  errors: number;
}

/** Sends `send(i)` every 1000/rate ms for `seconds`, without waiting for answers (open loop). */
async function openLoop(
  rate: number,
  seconds: number,
  first: number,
  send: (i: number) => Promise<Outcome>,
  onLatency: (i: number, ms: number) => void,
  tally: Tally,
): Promise<void> {
  const total = rate * seconds;
  const interval = 1000 / rate;
  const start = performance.now();
  const inflight: Promise<void>[] = [];
  for (let k = 0; k < total; k++) {
    const i = first + k;
    const due = start + k * interval;
    const wait = due - performance.now();
    if (wait > 1) await new Promise((r) => setTimeout(r, wait));
    const t0 = performance.now();
    tally.sent++;
    inflight.push(
      send(i).then((outcome) => {
        onLatency(i, performance.now() - t0);
        tally[outcome === 'error' ? 'errors' : outcome]++;
      }),
    );
  }
  await Promise.all(inflight);
}

/** AdmissionReviews over one HTTP/2 connection, as kube-apiserver sends them. */
function directSender(port: number, ca: string, reviews: Review[]): { send: (i: number) => Promise<Outcome>; close: () => void } {
  const session = http2.connect(`https://127.0.0.1:${port}`, { ca });
  const send = (i: number) =>
    new Promise<Outcome>((resolve) => {
      const r = reviews[i % reviews.length]!;
      const stream = session.request({ ':method': 'POST', ':path': `/validate/${r.webhook}`, 'content-type': 'application/json' });
      let status = 0;
      let text = '';
      stream.on('response', (headers) => (status = Number(headers[':status'])));
      stream.on('data', (c: Buffer) => (text += c.toString()));
      stream.on('end', () => {
        if (status !== 200) return resolve('error');
        const response = (JSON.parse(text) as { response?: { allowed?: boolean; status?: { code?: number } } }).response;
        resolve(response?.allowed ? 'allowed' : response?.status?.code === 403 ? 'denied' : 'error');
      });
      stream.on('error', () => resolve('error'));
      stream.end(r.body);
    });
  return { send, close: () => session.close() };
}

/** Dry-run creates through the apiserver: valid and invalid workspaces, logical clusters and pods. */
function apiserverSender(client: ApiClient, skip: boolean): (i: number) => Promise<Outcome> {
  const labels = skip ? { [SKIP_LABEL]: 'true' } : {};
  return async (i) => {
    const o = i % ORGS;
    const t = Math.floor(i / ORGS) % TEAMS;
    const kind = i % 10;
    let object: KubeObject;
    if (kind < 3)
      object = {
        apiVersion: 'canopy.dev/v1alpha1',
        kind: 'Workspace',
        metadata: { name: `dry-${i}`, labels },
        spec: { parent: team(o, t), constraints: { regions: [kind === 2 ? 'us-1' : 'eu-1'] } },
      } as KubeObject;
    else if (kind < 5)
      object = {
        apiVersion: 'canopy.dev/v1alpha1',
        kind: 'LogicalCluster',
        metadata: { name: `dry-lc-${i}`, labels },
        spec: { workspace: app(o, t, 0), constraints: { quota: { hard: { cpu: '1', memory: '1Gi', 'services.loadbalancers': '0' } } } },
      } as KubeObject;
    else
      object = {
        apiVersion: 'v1',
        kind: 'Pod',
        metadata: { name: `dry-${i}`, namespace: tenantNs(i % TENANT_NAMESPACES), labels },
        spec: { containers: [{ name: 'app', image: kind === 9 ? 'quay.io/x/y:1' : 'registry.example.com/app:1' }] },
      } as KubeObject;
    const resource = knownResource(object.apiVersion!, object.kind!)!;
    try {
      await client.request('POST', resourcePath(resource, object.metadata?.namespace), { body: object, query: { dryRun: 'All' } });
      return 'allowed';
    } catch (err) {
      return (err as { code?: number }).code === 403 ? 'denied' : 'error';
    }
  };
}

// ---------------------------------------------------------------- the webhook process

interface ChildHandle {
  proc: ChildProcess;
  port: number;
  samples: Sample[];
}

async function startChild(file: string, kubeconfigPath: string): Promise<ChildHandle> {
  const proc = spawn(process.execPath, [file, SKIP_LABEL], {
    cwd: repoRoot,
    env: { ...process.env, KUBECONFIG: kubeconfigPath },
    stdio: ['pipe', 'pipe', 'inherit'],
  });
  const samples: Sample[] = [];
  const lines = createInterface({ input: proc.stdout! });
  const port = await new Promise<number>((resolve, reject) => {
    proc.once('exit', () => reject(new Error('the webhook process ended before it was ready')));
    lines.on('line', (line) => {
      const event = JSON.parse(line) as { event: string; port?: number } & Sample;
      if (event.event === 'ready') resolve(event.port!);
      else if (event.event === 'sample') samples.push(event);
    });
  });
  return { proc, port, samples };
}

function usageDuring(samples: Sample[], from: number, to: number): Pick<PhaseResult, 'webhookCpuPercent' | 'webhookRssMiB' | 'webhookHandlingMs'> {
  const window = samples.filter((s) => s.at >= from && s.at <= to);
  const mean = (xs: number[]) => (xs.length ? xs.reduce((a, b) => a + b, 0) / xs.length : 0);
  // Consecutive samples give the reviews answered in between and the time spent on them.
  let answered = 0;
  let seconds = 0;
  for (let k = 1; k < window.length; k++) {
    if (window[k]!.at - window[k - 1]!.at > 1500) continue; // a gap between alternating blocks
    answered += window[k]!.answered - window[k - 1]!.answered;
    seconds += window[k]!.answeringSeconds - window[k - 1]!.answeringSeconds;
  }
  return {
    webhookHandlingMs: answered > 0 ? round((1000 * seconds) / answered, 3) : 0,
    webhookCpuPercent: { mean: round(mean(window.map((s) => s.cpuPercent)), 1), max: round(Math.max(0, ...window.map((s) => s.cpuPercent)), 1) },
    webhookRssMiB: { mean: round(mean(window.map((s) => s.rssMiB)), 1), max: round(Math.max(0, ...window.map((s) => s.rssMiB)), 1) },
  };
}

async function phase(name: string, child: ChildHandle, send: (i: number) => Promise<Outcome>, webhookOf?: (i: number) => string): Promise<PhaseResult> {
  const latencies: number[] = [];
  const perWebhook = new Map<string, number[]>();
  const from = Date.now();
  const tally: Tally = { sent: 0, allowed: 0, denied: 0, errors: 0 };
  await openLoop(
    RATE,
    SECONDS,
    0,
    send,
    (i, ms) => {
      latencies.push(ms);
      if (webhookOf) {
        const w = webhookOf(i);
        perWebhook.set(w, [...(perWebhook.get(w) ?? []), ms]);
      }
    },
    tally,
  );
  const to = Date.now();
  const byWebhook = webhookOf
    ? Object.fromEntries(
        [...perWebhook].map(([w, xs]) => {
          const s = summarize(xs);
          return [w, { n: xs.length, p50: s.p50, p99: s.p99 }];
        }),
      )
    : undefined;
  const result: PhaseResult = {
    phase: name,
    rate: RATE,
    seconds: SECONDS,
    ...tally,
    latencyMs: summarize(latencies),
    ...(byWebhook ? { byWebhook } : {}),
    ...usageDuring(child.samples, from, to),
  };
  console.error(`${name}: ${JSON.stringify(result)}`);
  return result;
}

const BLOCK_SECONDS = 10;

/**
 * Through the apiserver with and without the webhook, in alternating blocks
 * of BLOCK_SECONDS, so both see the same machine (other work on it comes and
 * goes by the minute).
 */
async function alternating(child: ChildHandle, client: ApiClient, rate: number): Promise<PhaseResult[]> {
  const modes = [
    {
      name: 'apiserver (dry-run creates, through the webhook)',
      send: apiserverSender(client, false),
      latencies: [] as number[],
      tally: { sent: 0, allowed: 0, denied: 0, errors: 0 },
      windows: [] as [number, number][],
    },
    {
      name: 'apiserver (same requests, webhook skipped: baseline)',
      send: apiserverSender(client, true),
      latencies: [] as number[],
      tally: { sent: 0, allowed: 0, denied: 0, errors: 0 },
      windows: [] as [number, number][],
    },
  ];
  const blocks = Math.max(1, Math.round(SECONDS / BLOCK_SECONDS));
  for (let b = 0; b < blocks; b++) {
    for (const mode of modes) {
      const from = Date.now();
      await openLoop(rate, Math.min(BLOCK_SECONDS, SECONDS), b * rate * BLOCK_SECONDS, mode.send, (_i, ms) => mode.latencies.push(ms), mode.tally);
      mode.windows.push([from, Date.now()]);
    }
  }
  return modes.map((mode) => {
    const samples = mode.windows.flatMap(([from, to]) => child.samples.filter((s) => s.at >= from && s.at <= to));
    const result: PhaseResult = {
      phase: mode.name,
      rate,
      seconds: blocks * Math.min(BLOCK_SECONDS, SECONDS),
      ...mode.tally,
      latencyMs: summarize(mode.latencies),
      ...usageDuring(samples, 0, Number.MAX_SAFE_INTEGER),
    };
    console.error(`${mode.name}: ${JSON.stringify(result)}`);
    return result;
  });
}

/** One request at a time, alternating with and without the webhook: what admission adds on an idle path. */
async function sequential(client: ApiClient, count: number): Promise<{ withWebhook: PhaseResult['latencyMs']; baseline: PhaseResult['latencyMs'] }> {
  const through = apiserverSender(client, false);
  const skipped = apiserverSender(client, true);
  const a: number[] = [];
  const b: number[] = [];
  for (let i = 0; i < count; i++) {
    let t = performance.now();
    await through(i);
    a.push(performance.now() - t);
    t = performance.now();
    await skipped(i);
    b.push(performance.now() - t);
  }
  const result = { withWebhook: summarize(a), baseline: summarize(b) };
  console.error(`sequential: ${JSON.stringify(result)}`);
  return result;
}

async function main(): Promise<void> {
  const childFile = await compileChild();
  const env = await LocalEnvironment.start({ members: [], controllerManager: false, quiet: true });
  let child: ChildHandle | undefined;
  try {
    const admin = env.host.kubeConfig();
    await installCrds(admin, join(repoRoot, 'config', 'crd'));
    const client = ApiClient.for(admin);
    await buildWorld(client);
    child = await startChild(childFile, env.host.kubeconfigPath);
    const secret = await client.get<KubeObject & { data: Record<string, string> }>(Resources.Secret, 'canopy-webhook-tls-bench', 'canopy-system');
    const ca = Buffer.from(secret.data['ca-bundle.crt']!, 'base64').toString();
    await new Promise((r) => setTimeout(r, 5_000));
    const idle = usageDuring(child.samples, Date.now() - 4_500, Date.now());

    const reviews = corpus();
    const direct = directSender(child.port, ca, reviews);
    const results: PhaseResult[] = [];
    results.push(await phase('direct', child, direct.send, (i) => reviews[i % reviews.length]!.webhook));
    direct.close();
    const oneAtATime = await sequential(client, 300);
    results.push(...(await alternating(child, client, RATE)));
    if (SUSTAINABLE_RATE !== RATE) results.push(...(await alternating(child, client, SUSTAINABLE_RATE)));

    const output = {
      at: new Date().toISOString(),
      machine: {
        cpus: cpus().length,
        cpuModel: cpus()[0]?.model,
        memoryGiB: round(totalmem() / 2 ** 30, 1),
        node: process.version,
        loadAvg: loadavg().map((l) => round(l, 1)),
      },
      world: {
        workspaces: ORGS * (1 + TEAMS * (1 + APPS)),
        logicalClusters: LOGICAL_CLUSTERS,
        placementPolicies: 10,
        clusters: 3,
        tenantNamespaces: TENANT_NAMESPACES,
      },
      idle,
      sequential: oneAtATime,
      results,
      loadAvgAfter: loadavg().map((l) => round(l, 1)),
    };
    if (!RECORD) {
      console.log(JSON.stringify(output, null, 2));
      return;
    }
    mkdirSync(join(repoRoot, 'bench', 'results'), { recursive: true });
    writeFileSync(join(repoRoot, 'bench', 'results', 'webhook.json'), `${JSON.stringify(output, null, 2)}\n`);
    writeSection({ ...output.machine, loadAvg: output.loadAvgAfter }, idle, oneAtATime, results);
  } finally {
    child?.proc.stdin?.end();
    await new Promise((r) => setTimeout(r, 500));
    child?.proc.kill();
    await env.stop();
  }
}

if (process.argv.includes('--report')) {
  const recorded = JSON.parse(readFileSync(join(repoRoot, 'bench', 'results', 'webhook.json'), 'utf8'));
  writeSection({ ...recorded.machine, loadAvg: recorded.loadAvgAfter }, recorded.idle, recorded.sequential, recorded.results);
} else {
  await main();
}
