/**
 * PropagatedObject syncer against real apiservers (a private LocalEnvironment:
 * host + 3 members, no kube-controller-manager, so member Deployments get no
 * status and the numbers are the syncer's, not the controllers').
 *
 *   npx tsx bench/propagation.bench.ts            # 1,000 Deployments × 3 members
 *   npx tsx bench/propagation.bench.ts --quick    # 200, for a smoke check
 *
 * 1. raw floor: the same N × 3 server-side applies by a plain client, with
 *    as many requests in flight as the syncer can have (workers × members);
 *    once before and once after the syncer runs, the faster one counting;
 * 2. syncer: N PropagatedObjects with their placement already written, then
 *    the operator starts; time until every one reports Synced=True. Twice:
 *    created without the operator's admission webhook (the syncer adds its
 *    finalizer), and created while the webhook serves, as in production (its
 *    mutating webhook adds the finalizer at creation);
 * 3. drift repair: a copy edited (spec.replicas) or deleted on a member, time
 *    until the member shows the desired copy again (p50/p99);
 * 4. failover, with the cluster-health and placement reconcilers: time from
 *    stopping a member's apiserver to its replicas applied on the others,
 *    against the toleration (probe interval + failoverAfterSeconds).
 *
 * Prints a Markdown table and writes bench/results/propagation.json.
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
import { register as registerWebhooks } from '../src/webhooks/index.js';
import { FINALIZER } from '../src/reconcilers/propagation/names.js';
import { controlPlaneCpu, perObject, requestCounts } from './apiserver-metrics.js';
import { deployment, failover } from './propagation-failover.js';

const quick = process.argv.includes('--quick');
const N = quick ? 200 : 1_000;
const WORKERS = 64;
const MEMBERS = ['eu-1', 'eu-2', 'us-1'];
const DRIFT_SAMPLES = quick ? 20 : 100;
const FAILOVER_N = quick ? 100 : 1_000;
const here = dirname(fileURLToPath(import.meta.url));

interface PO extends KubeObject {
  status?: { conditions?: Array<{ type: string; status: string }> };
}

/** Runs `tasks` with at most `limit` in flight; returns the wall time in ms. */
async function pool(limit: number, tasks: Array<() => Promise<unknown>>): Promise<number> {
  const start = performance.now();
  let next = 0;
  await Promise.all(
    Array.from({ length: limit }, async () => {
      while (next < tasks.length) await tasks[next++]!();
    }),
  );
  return performance.now() - start;
}

function percentile(values: number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]!;
}

const round = (v: number, digits = 1) => Math.round(v * 10 ** digits) / 10 ** digits;

async function rawFloor(env: LocalEnvironment, namespace: string): Promise<number> {
  const clients = MEMBERS.map((m) => new ApiClient(env.cluster(m).kubeConfig()));
  for (const c of clients) await apply(c, { apiVersion: 'v1', kind: 'Namespace', metadata: { name: namespace } });
  const tasks: Array<() => Promise<unknown>> = [];
  for (let i = 0; i < N; i++) {
    for (const c of clients)
      tasks.push(() =>
        apply(c, { ...deployment(`app-${i}`), metadata: { name: `app-${i}`, namespace, labels: { app: `app-${i}` } } }, { resource: Resources.Deployment }),
      );
  }
  const ms = await pool(WORKERS * MEMBERS.length, tasks);
  for (const c of clients) c.close();
  return ms;
}

interface Creation {
  /** Wall time of the N creates (placement written after, untimed). */
  ms: number;
  /** kube-apiservers + etcd CPU seconds over the creates. */
  controlPlaneCpuSeconds: number;
}

/** Creates the N PropagatedObjects (a server-side apply each, 64 in flight), then writes their placement. */
async function createPropagatedObjects(env: LocalEnvironment, host: ApiClient, namespace: string): Promise<Creation> {
  await apply(host, { apiVersion: 'v1', kind: 'Namespace', metadata: { name: namespace, labels: { 'canopy.dev/workspace': 'bench' } } });
  const names = Array.from({ length: N }, (_, i) => `app-${i}`);
  const cpu = controlPlaneCpu(env);
  const ms = await pool(
    WORKERS,
    names.map(
      (name) => () =>
        apply(
          host,
          { apiVersion: 'canopy.dev/v1alpha1', kind: 'PropagatedObject', metadata: { name, namespace }, spec: { template: deployment(name) } } as KubeObject,
          { resource: Resources.PropagatedObject },
        ),
    ),
  );
  const controlPlaneCpuSeconds = controlPlaneCpu(env) - cpu;
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
  return { ms, controlPlaneCpuSeconds };
}

/**
 * Creates the PropagatedObjects while an operator serving only the admission
 * webhook (its mutating part) runs, as a production operator always does;
 * checks that every one got its finalizer from it. The webhook process stops
 * before the syncer starts, so its CPU is not in the syncer's time.
 */
async function createThroughAdmission(env: LocalEnvironment, host: ApiClient, namespace: string): Promise<Creation> {
  const webhook = new Manager({
    kubeConfig: env.host.kubeConfig(),
    leaderElection: false,
    metricsPort: false,
    healthPort: false,
    logger: pino({ level: 'warn' }),
  });
  registerWebhooks(webhook, { port: 0, webhooks: [], mutatingWebhooks: ['finalizers'] });
  let creation: Creation;
  await webhook.start();
  try {
    const deadline = Date.now() + 60_000;
    while (webhook.notReadyReasons().length > 0) {
      if (Date.now() > deadline) throw new Error(`admission webhook not ready: ${webhook.notReadyReasons().join(', ')}`);
      await new Promise((r) => setTimeout(r, 100));
    }
    await new Promise((r) => setTimeout(r, 2000)); // the apiserver loads a new webhook configuration within about a second
    creation = await createPropagatedObjects(env, host, namespace);
  } finally {
    await webhook.stop();
  }
  const created = await host.listAll(Resources.PropagatedObject, { namespace });
  const without = created.filter((po) => !po.metadata?.finalizers?.includes(FINALIZER)).length;
  if (without > 0) throw new Error(`${without} of ${created.length} PropagatedObjects were created without the finalizer: the mutating webhook was not called`);
  return creation;
}

/** Resolves when every PropagatedObject of the namespace reports Synced=True. */
function allSynced(host: ApiClient, namespace: string): { done: Promise<void>; quiet: (ms: number) => Promise<void>; stop: () => Promise<void> } {
  const informer = new Informer<PO>(host, Resources.PropagatedObject, { namespace }, silentLogger());
  const synced = new Set<string>();
  let resolve!: () => void;
  const done = new Promise<void>((r) => (resolve = r));
  let lastEvent = performance.now();
  informer.on((e) => {
    lastEvent = performance.now();
    const name = e.object.metadata?.name ?? '';
    if (e.type !== 'delete' && e.object.status?.conditions?.some((c) => c.type === 'Synced' && c.status === 'True')) synced.add(name);
    else synced.delete(name);
    if (synced.size === N) resolve();
  });
  informer.start();
  /** Resolves once no PropagatedObject changed for `ms` (the syncer's follow-up work is done). */
  const quiet = async (ms: number) => {
    while (performance.now() - lastEvent < ms) await new Promise((r) => setTimeout(r, 200));
  };
  return { done, quiet, stop: () => informer.stop() };
}

/** Starts an operator with the syncer only and waits until every PropagatedObject of the namespace is Synced. */
async function syncRun(
  env: LocalEnvironment,
  host: ApiClient,
  namespace: string,
): Promise<{ manager: Manager; ms: number; cpuMs: number; requestsPerObject: Record<string, Record<string, number>> }> {
  const counted = [env.host, ...MEMBERS.map((m) => env.cluster(m))];
  const before = await Promise.all(counted.map((c) => requestCounts(c)));
  const watch = allSynced(host, namespace);
  const manager = new Manager({
    kubeConfig: env.host.kubeConfig(),
    leaderElection: false,
    metricsPort: false,
    healthPort: false,
    logger: pino({ level: 'warn' }),
  });
  registerPropagation(manager, { concurrency: WORKERS, generate: false });
  const cpu = process.cpuUsage();
  const start = performance.now();
  await manager.start();
  await watch.done;
  const ms = performance.now() - start;
  const used = process.cpuUsage(cpu);
  const after = await Promise.all(counted.map((c) => requestCounts(c)));
  const requestsPerObject = Object.fromEntries(counted.map((c, i) => [c.name, perObject(before[i]!, after[i]!, N)]));
  // Drift is measured on a settled system, not behind the queue of follow-up reconciles.
  await watch.quiet(3000);
  await watch.stop();
  return { manager, ms, cpuMs: (used.user + used.system) / 1000, requestsPerObject };
}

async function driftRepair(env: LocalEnvironment, namespace: string): Promise<{ edit: number[]; delete: number[] }> {
  const edit: number[] = [];
  const del: number[] = [];
  for (let s = 0; s < DRIFT_SAMPLES; s++) {
    const member = new ApiClient(env.cluster(MEMBERS[s % MEMBERS.length]!).kubeConfig());
    const name = `app-${(s * 7919) % N}`;
    const remove = s % 2 === 1;
    const informer = new Informer<KubeObject & { spec?: { replicas?: number } }>(
      member,
      Resources.Deployment,
      { namespace, fieldSelector: `metadata.name=${name}` },
      silentLogger(),
    );
    informer.start();
    await informer.waitForSync();
    const before = informer.get(name, namespace);
    let restored!: () => void;
    const back = new Promise<void>((r) => (restored = r));
    informer.on((e) => {
      if (e.type === 'delete') return;
      const same = e.object.metadata?.uid === before?.metadata?.uid;
      if (remove ? !same && !e.object.metadata?.deletionTimestamp : e.object.spec?.replicas === 1) restored();
    });
    const start = performance.now();
    if (remove) await member.delete(Resources.Deployment, name, namespace);
    else await member.patch(Resources.Deployment, name, namespace, { spec: { replicas: 7 } }, 'merge');
    await back;
    (remove ? del : edit).push(performance.now() - start);
    await informer.stop();
    member.close();
  }
  return { edit, delete: del };
}

const loadAtStart = loadavg().map((x) => round(x));
const env = await LocalEnvironment.start({ quiet: true, controllerManager: false });
let manager: Manager | undefined;
try {
  await installCrds(env.host.kubeConfig(), join(here, '..', 'config', 'crd'));
  await registerMembers(env.host.kubeConfig(), env.members);
  const host = new ApiClient(env.host.kubeConfig());

  const floorBeforeMs = await rawFloor(env, 'floor');
  console.error(`raw floor: ${N * MEMBERS.length} applies in ${round(floorBeforeMs / 1000, 2)} s`);

  const namespace = 'bench';
  const createdPlain = await createPropagatedObjects(env, host, namespace);
  const run = await syncRun(env, host, namespace);
  manager = run.manager;
  const syncMs = run.ms;
  console.error(
    `syncer: ${N} PropagatedObjects Synced on ${MEMBERS.length} members in ${round(syncMs / 1000, 2)} s (operator CPU ${round(run.cpuMs / 1000, 2)} s)`,
  );

  const drift = await driftRepair(env, namespace);
  await manager.stop();
  manager = undefined;

  // As in production: created through the admission webhook, which adds the finalizer (generated
  // PropagatedObjects are created with it too). Runs second, so its operator also re-reads the first
  // batch (in sync, no writes): if anything, that works against it.
  const createdThroughWebhook = await createThroughAdmission(env, host, 'bench-final');
  const withFinalizer = await syncRun(env, host, 'bench-final');
  await withFinalizer.manager.stop();
  console.error(`syncer (created through the admission webhook): ${round(withFinalizer.ms / 1000, 2)} s`);

  // The floor again, after both syncer runs: this machine's speed drifts within minutes (the floor alone
  // has taken 6.5 to 13 s). Ratios use the faster of the two, which can only make them larger.
  const floorAfterMs = await rawFloor(env, 'floor-after');
  const floorMs = Math.min(floorBeforeMs, floorAfterMs);
  console.error(`raw floor again: ${round(floorAfterMs / 1000, 2)} s`);

  // Failover runs its own operator with the cluster and placement reconcilers; two syncers would fight.
  // ...on a control plane of its own: the 2,000 PropagatedObjects above (placed by hand, selected by no
  // policy) would otherwise be re-decided and re-reported during the failover, which is not its work.
  const foEnv = await LocalEnvironment.start({ quiet: true, controllerManager: false });
  let fo: Awaited<ReturnType<typeof failover>>;
  try {
    await installCrds(foEnv.host.kubeConfig(), join(here, '..', 'config', 'crd'));
    await registerMembers(foEnv.host.kubeConfig(), foEnv.members);
    fo = await failover(foEnv, FAILOVER_N, WORKERS);
  } finally {
    await foEnv.stop();
  }

  const rows = [
    [
      'raw floor: server-side applies (before / after the syncer runs)',
      `${N * MEMBERS.length}`,
      `${round(floorBeforeMs / 1000, 2)} s / ${round(floorAfterMs / 1000, 2)} s`,
      `${WORKERS * MEMBERS.length} in flight; ratios below use the faster`,
    ],
    [
      'syncer: PropagatedObjects created through the admission webhook → all Synced',
      `${N} × ${MEMBERS.length}`,
      `${round(withFinalizer.ms / 1000, 2)} s`,
      `${round(withFinalizer.ms / floorMs, 2)}× the floor (target ≤ 1.3×); operator CPU ${round(withFinalizer.cpuMs / 1000, 1)} s`,
    ],
    [
      'syncer: created without the webhook (the syncer adds its finalizer)',
      `${N} × ${MEMBERS.length}`,
      `${round(syncMs / 1000, 2)} s`,
      `${round(syncMs / floorMs, 2)}× the floor; operator CPU ${round(run.cpuMs / 1000, 1)} s`,
    ],
    [
      'creating the PropagatedObjects (untimed above): through the webhook / without',
      `${N}`,
      `${round(createdThroughWebhook.ms / 1000, 2)} s / ${round(createdPlain.ms / 1000, 2)} s`,
      `control-plane CPU ${round(createdThroughWebhook.controlPlaneCpuSeconds, 1)} s / ${round(createdPlain.controlPlaneCpuSeconds, 1)} s: the webhook call the create now includes`,
    ],
    ['drift repair, edited copy', `${drift.edit.length}`, `p50 ${round(percentile(drift.edit, 50))} ms, p99 ${round(percentile(drift.edit, 99))} ms`, ''],
    [
      'drift repair, deleted copy',
      `${drift.delete.length}`,
      `p50 ${round(percentile(drift.delete, 50))} ms, p99 ${round(percentile(drift.delete, 99))} ms`,
      '',
    ],
    [
      'placement + syncer: PropagatedObjects → all Synced',
      `${fo.objects} × ${MEMBERS.length}`,
      `${round(fo.placedAndSyncedMs / 1000, 2)} s`,
      'Divide 1:1:1, with the placement and cluster reconcilers',
    ],
    [
      'failover: apiserver stop → replicas applied elsewhere',
      `${fo.objects}`,
      `${round(fo.ms / 1000, 2)} s`,
      `toleration ${fo.tolerationSeconds} s (probe 1 s + failoverAfterSeconds 5); target ≤ toleration + 5 s`,
    ],
    [
      'failover breakdown (s after the stop)',
      '',
      Object.entries(fo.milestonesMs)
        .map(([k, v]) => `${k} ${round(v / 1000, 2)}`)
        .join(', '),
      '',
    ],
    [
      'failover, per object: taint → replicas applied',
      `${fo.taintToAppliedMs.samples}`,
      `p50 ${fo.taintToAppliedMs.p50} ms, p99 ${fo.taintToAppliedMs.p99} ms, last ${fo.taintToAppliedMs.max} ms`,
      'decided and moved before the decision is written',
    ],
    [
      'failover, move floor: the same replica changes on eu-1 by a plain client',
      `${fo.objects}`,
      `${round(fo.moveFloorMs / 1000, 2)} s`,
      `taint → last move is ${round(fo.taintToAppliedMs.max / fo.moveFloorMs, 2)}× this`,
    ],
    [
      'failover, per object: replicas applied → placement recorded in status',
      `${fo.appliedToRecordedMs.samples}`,
      `p50 ${fo.appliedToRecordedMs.p50} ms, p99 ${fo.appliedToRecordedMs.p99} ms`,
      'status writes trail the moves',
    ],
  ];
  const table = ['| measurement | n | result | note |', '| --- | --- | --- | --- |', ...rows.map((r) => `| ${r.join(' | ')} |`)].join('\n');
  console.log(table);
  console.log(`\nsyncer requests per object (through the webhook): ${JSON.stringify(withFinalizer.requestsPerObject)}`);
  console.log(`syncer requests per object (without it): ${JSON.stringify(run.requestsPerObject)}`);
  const loadAtEnd = loadavg().map((x) => round(x));
  console.log(`\nload average at start ${loadAtStart.join(' ')}, at end ${loadAtEnd.join(' ')} (${cpus().length} CPUs)`);
  mkdirSync(join(here, 'results'), { recursive: true });
  writeFileSync(
    join(here, 'results', 'propagation.json'),
    `${JSON.stringify(
      {
        benchmark: 'propagation',
        environment: {
          node: process.version,
          cpu: cpus()[0]?.model,
          cpus: cpus().length,
          date: new Date().toISOString(),
          loadAverageAtStart: loadAtStart,
          loadAverageAtEnd: loadAtEnd,
          quick,
        },
        objects: N,
        members: MEMBERS.length,
        workers: WORKERS,
        rawFloorMs: round(floorMs),
        rawFloorBeforeMs: round(floorBeforeMs),
        rawFloorAfterMs: round(floorAfterMs),
        syncerWithoutWebhookMs: round(syncMs),
        ratioWithoutWebhook: round(syncMs / floorMs, 3),
        syncerWithoutWebhookOperatorCpuMs: round(run.cpuMs),
        syncerWithoutWebhookRequestsPerObject: run.requestsPerObject,
        syncerThroughWebhookMs: round(withFinalizer.ms),
        ratioThroughWebhook: round(withFinalizer.ms / floorMs, 3),
        syncerThroughWebhookOperatorCpuMs: round(withFinalizer.cpuMs),
        syncerThroughWebhookRequestsPerObject: withFinalizer.requestsPerObject,
        creationThroughWebhook: { ms: round(createdThroughWebhook.ms), controlPlaneCpuSeconds: round(createdThroughWebhook.controlPlaneCpuSeconds, 2) },
        creationWithoutWebhook: { ms: round(createdPlain.ms), controlPlaneCpuSeconds: round(createdPlain.controlPlaneCpuSeconds, 2) },
        driftEditMs: { p50: round(percentile(drift.edit, 50)), p99: round(percentile(drift.edit, 99)), samples: drift.edit.map((v) => round(v)) },
        driftDeleteMs: { p50: round(percentile(drift.delete, 50)), p99: round(percentile(drift.delete, 99)), samples: drift.delete.map((v) => round(v)) },
        failover: fo,
      },
      null,
      2,
    )}\n`,
  );
  host.close();
} finally {
  await manager?.stop();
  await env.stop();
}
