/**
 * Rolling rollout versus All, in one run, against real apiservers with real
 * pod readiness (a private LocalEnvironment: host + 3 members with
 * kube-controller-manager, kube-scheduler and kwok, so a member Deployment
 * is Ready only once its pods are).
 *
 *   npm run bench:rollout               # 100 Deployments × 3 members
 *   npm run bench:rollout -- --n 1000   # the size, when the machine has the time
 *
 * N PropagatedObjects with strategy All and N with strategy Rolling
 * (maxUnavailableClusters 1: one cluster at a time), placement written
 * directly (the syncer alone runs, as in propagation.bench.ts). Once every
 * copy is Ready, the image of the All set is changed, then (after it
 * finished) the image of the Rolling set: for each, the time until every
 * member runs the new image with every replica updated and available, and
 * the apiserver requests per object (host and members) while it ran.
 *
 * Prints a Markdown table and writes bench/results/rollout.json.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { pino } from 'pino';
import { LocalEnvironment } from '../controlplane/launcher/index.js';
import { ApiClient, apply, Informer, Manager, Resources, silentLogger, type KubeObject } from '../src/runtime/index.js';
import { installCrds } from '../src/dev/manifests.js';
import { registerMembers } from '../src/dev/register.js';
import { registerPropagation } from '../src/reconcilers/propagation/register.js';
import { perObject, requestCounts } from './apiserver-metrics.js';

const arg = process.argv.indexOf('--n');
const N = arg > 0 ? Number(process.argv[arg + 1]) : 100;
const WORKERS = 32;
const MEMBERS = ['eu-1', 'eu-2', 'us-1'];
const here = dirname(fileURLToPath(import.meta.url));
const round = (v: number, digits = 1) => Math.round(v * 10 ** digits) / 10 ** digits;

type MemberDeployment = KubeObject & {
  spec?: { replicas?: number; template?: { spec?: { containers?: Array<{ image?: string }> } } };
  status?: { observedGeneration?: number; replicas?: number; updatedReplicas?: number; availableReplicas?: number };
};

function deployment(name: string, image: string): Record<string, unknown> {
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name, labels: { app: name } },
    spec: {
      replicas: 1,
      selector: { matchLabels: { app: name } },
      template: { metadata: { labels: { app: name } }, spec: { containers: [{ name: 'app', image }] } },
    },
  };
}

function done(d: MemberDeployment, image: string): boolean {
  const s = d.status ?? {};
  return (
    d.spec?.template?.spec?.containers?.[0]?.image === image &&
    (s.observedGeneration ?? 0) >= (d.metadata?.generation ?? 0) &&
    (s.updatedReplicas ?? 0) >= 1 &&
    (s.availableReplicas ?? 0) >= 1 &&
    (s.replicas ?? 0) <= 1
  );
}

async function pool(limit: number, tasks: Array<() => Promise<unknown>>): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: limit }, async () => {
      while (next < tasks.length) await tasks[next++]!();
    }),
  );
}

/** Member informers of one namespace; `until(image)` resolves when all N × 3 copies run it, Ready. */
async function memberWatch(env: LocalEnvironment, namespace: string) {
  const informers = MEMBERS.map(
    (m) => new Informer<MemberDeployment>(new ApiClient(env.cluster(m).kubeConfig()), Resources.Deployment, { namespace }, silentLogger()),
  );
  for (const i of informers) i.start();
  for (const i of informers) await i.waitForSync();
  const count = (image: string) => informers.reduce((sum, i) => sum + i.list(namespace).filter((d) => done(d, image)).length, 0);
  const until = async (image: string, timeoutMs: number) => {
    const deadline = Date.now() + timeoutMs;
    while (count(image) < N * MEMBERS.length) {
      if (Date.now() > deadline) throw new Error(`${namespace}: ${count(image)} of ${N * MEMBERS.length} copies run ${image} after ${timeoutMs} ms`);
      await new Promise((r) => setTimeout(r, 100));
    }
  };
  return { until, stop: () => Promise.all(informers.map((i) => i.stop())) };
}

async function create(host: ApiClient, namespace: string, rollout: Record<string, unknown> | undefined): Promise<void> {
  await apply(host, { apiVersion: 'v1', kind: 'Namespace', metadata: { name: namespace } });
  const names = Array.from({ length: N }, (_, i) => `app-${i}`);
  await pool(
    WORKERS,
    names.map(
      (name) => () =>
        apply(
          host,
          {
            apiVersion: 'canopy.dev/v1alpha1',
            kind: 'PropagatedObject',
            metadata: { name, namespace },
            spec: { template: deployment(name, 'nginx:1.27'), ...(rollout ? { rollout } : {}) },
          } as KubeObject,
          { resource: Resources.PropagatedObject },
        ),
    ),
  );
  await pool(
    WORKERS,
    names.map(
      (name) => () =>
        host.patch(
          Resources.PropagatedObject,
          name,
          namespace,
          { status: { placement: MEMBERS.map((cluster) => ({ cluster, replicas: 1, reason: 'bench' })) } },
          'merge',
          { subresource: 'status' },
        ),
    ),
  );
}

async function change(env: LocalEnvironment, host: ApiClient, namespace: string, watch: Awaited<ReturnType<typeof memberWatch>>) {
  const counted = [env.host, ...MEMBERS.map((m) => env.cluster(m))];
  const before = await Promise.all(counted.map((c) => requestCounts(c)));
  const start = performance.now();
  await pool(
    WORKERS,
    Array.from(
      { length: N },
      (_, i) => () =>
        host.patch(
          Resources.PropagatedObject,
          `app-${i}`,
          namespace,
          [{ op: 'replace', path: '/spec/template/spec/template/spec/containers/0/image', value: 'nginx:1.28' }],
          'json',
        ),
    ),
  );
  await watch.until('nginx:1.28', 30 * 60_000);
  const ms = performance.now() - start;
  const after = await Promise.all(counted.map((c) => requestCounts(c)));
  const requestsPerObject = Object.fromEntries(counted.map((c, i) => [c.name, perObject(before[i]!, after[i]!, N)]));
  const total = counted.reduce((sum, _c, i) => sum + [...after[i]!].reduce((s, [k, v]) => s + v - (before[i]!.get(k) ?? 0), 0), 0);
  return { ms, requestsPerObject, requestsPerObjectTotal: round(total / N, 2) };
}

const loadAtStart = loadavg().map((x) => round(x));
const env = await LocalEnvironment.start({ quiet: true });
let manager: Manager | undefined;
try {
  await installCrds(env.host.kubeConfig(), join(here, '..', 'config', 'crd'));
  await registerMembers(env.host.kubeConfig(), env.members);
  const host = new ApiClient(env.host.kubeConfig());
  await create(host, 'all', undefined);
  await create(host, 'rolling', { strategy: 'Rolling', maxUnavailableClusters: 1 });
  const watches = { all: await memberWatch(env, 'all'), rolling: await memberWatch(env, 'rolling') };
  manager = new Manager({ kubeConfig: env.host.kubeConfig(), leaderElection: false, metricsPort: false, healthPort: false, logger: pino({ level: 'warn' }) });
  registerPropagation(manager, { concurrency: WORKERS, generate: false });
  await manager.start();
  const initial = performance.now();
  await watches.all.until('nginx:1.27', 30 * 60_000);
  await watches.rolling.until('nginx:1.27', 30 * 60_000);
  console.error(`initial placement of ${2 * N} × ${MEMBERS.length} copies, Ready: ${round((performance.now() - initial) / 1000)} s`);
  await new Promise((r) => setTimeout(r, 5000)); // follow-up status writes settle

  const all = await change(env, host, 'all', watches.all);
  console.error(`All: ${round(all.ms / 1000)} s`);
  await new Promise((r) => setTimeout(r, 5000));
  const rolling = await change(env, host, 'rolling', watches.rolling);
  console.error(`Rolling: ${round(rolling.ms / 1000)} s`);
  await watches.all.stop();
  await watches.rolling.stop();

  const rows = [
    ['All', all],
    ['Rolling (maxUnavailableClusters 1)', rolling],
  ] as const;
  console.log(`\n| strategy | ${N} Deployments × ${MEMBERS.length} members: all at the new image, Ready | requests per object (all apiservers) |`);
  console.log('|---|---|---|');
  for (const [name, r] of rows) console.log(`| ${name} | ${round(r.ms / 1000)} s | ${r.requestsPerObjectTotal} |`);
  console.log(`\nper apiserver, All: ${JSON.stringify(all.requestsPerObject)}`);
  console.log(`per apiserver, Rolling: ${JSON.stringify(rolling.requestsPerObject)}`);
  mkdirSync(join(here, 'results'), { recursive: true });
  writeFileSync(
    join(here, 'results', 'rollout.json'),
    `${JSON.stringify(
      {
        date: new Date().toISOString(),
        machine: { cpus: cpus().length, loadAtStart },
        objects: N,
        members: MEMBERS.length,
        all: { seconds: round(all.ms / 1000, 2), requestsPerObject: all.requestsPerObjectTotal, byApiserver: all.requestsPerObject },
        rolling: { seconds: round(rolling.ms / 1000, 2), requestsPerObject: rolling.requestsPerObjectTotal, byApiserver: rolling.requestsPerObject },
      },
      null,
      2,
    )}\n`,
  );
} finally {
  await manager?.stop();
  await env.stop();
}
