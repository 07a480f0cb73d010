/**
 * Where the CPU goes when the syncer works, process by process: the raw
 * floor (N × 3 member server-side applies by a plain client, 192 in flight)
 * against the syncer making the same copies (N PropagatedObjects created with
 * their finalizer — what the admission webhook does — and their placement
 * written, then the operator starts; until all are Synced). CPU seconds of
 * etcd, the host apiserver, each member apiserver and this process (the
 * client, or the operator plus the watcher that sees Synced) from /proc.
 * After them (the operator stopped), the *contract floor*: a plain client making only the
 * requests the contract itself requires of any syncer — the same N × 3
 * member applies, then each PropagatedObject's status (clusters[] and the
 * Synced condition) written once, 64 objects in flight — timed the same way
 * (until a watcher sees every one Synced). No implementation can do less, so
 * its ratio to the raw floor bounds what any syncer can reach here.
 * On a machine where every core is busy in all runs, the time ratio follows
 * the ratio of total CPU, and this says who adds it.
 *
 *   npx tsx bench/propagation-cpu.run.ts          # N=1000
 *   FINALIZER=0 npx tsx bench/propagation-cpu.run.ts   # created without the finalizer
 *   N=200 PROFILE=1 npx tsx bench/propagation-cpu.run.ts   # + /tmp/syncer.cpuprofile of the operator
 *
 * Prints one JSON line (at N=1000 also bench/results/propagation-cpu[-no-finalizer].json).
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { Session } from 'node:inspector/promises';
import { cpus } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { LocalEnvironment } from '../controlplane/launcher/index.js';
import { ApiClient, apply, Informer, Manager, Resources, silentLogger, type KubeObject } from '../src/runtime/index.js';
import { installCrds } from '../src/dev/manifests.js';
import { registerMembers } from '../src/dev/register.js';
import { FINALIZER } from '../src/reconcilers/propagation/names.js';
import { SYNCER_FIELD_MANAGER } from '../src/reconcilers/propagation/host.js';
import { registerPropagation } from '../src/reconcilers/propagation/register.js';
import { treeCpuSeconds } from './apiserver-metrics.js';
import { deployment } from './propagation-failover.js';

const N = Number(process.env.N ?? 1000);
const WORKERS = 64;
const MEMBERS = ['eu-1', 'eu-2', 'us-1'];
/** FINALIZER=0: created without the finalizer (no admission webhook), so the syncer adds it. */
const WITH_FINALIZER = process.env.FINALIZER !== '0';

async function pool(limit: number, tasks: Array<() => Promise<unknown>>): Promise<number> {
  let next = 0;
  const start = performance.now();
  await Promise.all(
    Array.from({ length: limit }, async () => {
      while (next < tasks.length) await tasks[next++]!();
    }),
  );
  return performance.now() - start;
}

const env = await LocalEnvironment.start({ quiet: true, controllerManager: false });
const etcdPid = env.processIds.find((pid) => !env.clusters.some((c) => c.processIds.includes(pid)))!;
const snapshot = (): Record<string, number> => {
  const self = process.cpuUsage();
  return {
    etcd: treeCpuSeconds(etcdPid),
    host: treeCpuSeconds(env.host.processIds[0]!),
    ...Object.fromEntries(MEMBERS.map((m) => [m, treeCpuSeconds(env.cluster(m).processIds[0]!)])),
    thisProcess: (self.user + self.system) / 1e6,
  };
};
const since = (before: Record<string, number>): Record<string, number> => {
  const now = snapshot();
  const out = Object.fromEntries(Object.keys(before).map((k) => [k, Number((now[k]! - before[k]!).toFixed(2))]));
  return {
    ...out,
    total: Number(
      Object.values(out)
        .reduce((a, b) => a + b, 0)
        .toFixed(2),
    ),
  };
};
try {
  await installCrds(env.host.kubeConfig(), join('config', 'crd'));
  await registerMembers(env.host.kubeConfig(), env.members);
  const host = new ApiClient(env.host.kubeConfig());
  const clients = MEMBERS.map((m) => new ApiClient(env.cluster(m).kubeConfig()));
  for (const c of clients) await apply(c, { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'floor' } });
  const tasks: Array<() => Promise<unknown>> = [];
  for (let i = 0; i < N; i++)
    for (const c of clients)
      tasks.push(() =>
        apply(
          c,
          { ...deployment(`app-${i}`), metadata: { name: `app-${i}`, namespace: 'floor', labels: { app: `app-${i}` } } },
          { resource: Resources.Deployment },
        ),
      );
  let before = snapshot();
  const floorMs = await pool(WORKERS * MEMBERS.length, tasks);
  const floorCpu = since(before);

  type PO = KubeObject & { status?: { conditions?: Array<{ type: string; status: string }> } };
  /** N PropagatedObjects as the syncer finds them (finalizer, placement written) and a watcher that resolves when all are Synced. */
  const prepare = async (namespace: string) => {
    await apply(host, { apiVersion: 'v1', kind: 'Namespace', metadata: { name: namespace, labels: { 'canopy.dev/workspace': 'bench' } } });
    await pool(
      WORKERS,
      Array.from({ length: N }, (_, i) => async () => {
        const name = `app-${i}`;
        await apply(
          host,
          {
            apiVersion: 'canopy.dev/v1alpha1',
            kind: 'PropagatedObject',
            metadata: { name, namespace, ...(WITH_FINALIZER ? { finalizers: [FINALIZER] } : {}) },
            spec: { template: deployment(name) },
          } as KubeObject,
          { resource: Resources.PropagatedObject },
        );
        await host.patch(
          Resources.PropagatedObject,
          name,
          namespace,
          { status: { placement: MEMBERS.map((cluster) => ({ cluster, replicas: 1, reason: 'bench' })) } },
          'merge',
          { subresource: 'status' },
        );
      }),
    );
    const watcher = new Informer<PO>(host, Resources.PropagatedObject, { namespace }, silentLogger());
    const synced = new Set<string>();
    let resolve!: () => void;
    const done = new Promise<void>((r) => (resolve = r));
    watcher.on((e) => {
      const name = e.object.metadata?.name ?? '';
      if (e.type !== 'delete' && e.object.status?.conditions?.some((c) => c.type === 'Synced' && c.status === 'True')) synced.add(name);
      else synced.delete(name);
      if (synced.size === N) resolve();
    });
    watcher.start();
    await watcher.waitForSync();
    return { watcher, done };
  };

  const { watcher, done } = await prepare('bench');
  const manager = new Manager({
    kubeConfig: env.host.kubeConfig(),
    leaderElection: false,
    metricsPort: false,
    healthPort: false,
    logger: pino({ level: 'warn' }),
  });
  registerPropagation(manager, { concurrency: WORKERS, generate: false });
  const session = process.env.PROFILE === '1' ? new Session() : undefined;
  if (session) {
    session.connect();
    await session.post('Profiler.enable');
    await session.post('Profiler.start');
  }
  before = snapshot();
  const start = performance.now();
  await manager.start();
  await done;
  const syncMs = performance.now() - start;
  const syncCpu = since(before);
  if (session) writeFileSync('/tmp/syncer.cpuprofile', JSON.stringify((await session.post('Profiler.stop')).profile));
  await watcher.stop();
  await manager.stop();

  // The contract floor, once the operator has stopped (it would sync these objects too): the member
  // applies and one status write per object, nothing else.
  const contract = await prepare('contract');
  for (const c of clients) await apply(c, { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'contract' } });
  before = snapshot();
  const contractStart = performance.now();
  await pool(
    WORKERS,
    Array.from({ length: N }, (_, i) => async () => {
      const name = `app-${i}`;
      const stored = await Promise.all(
        clients.map((c) =>
          apply(c, { ...deployment(name), metadata: { name, namespace: 'contract', labels: { app: name } } }, { resource: Resources.Deployment }),
        ),
      );
      const now = new Date().toISOString();
      await apply(
        host,
        {
          apiVersion: 'canopy.dev/v1alpha1',
          kind: 'PropagatedObject',
          metadata: { name, namespace: 'contract' },
          status: {
            clusters: MEMBERS.map((cluster, m) => ({
              cluster,
              state: 'Synced',
              syncedGeneration: 1,
              observedGeneration: (stored[m] as KubeObject).metadata?.generation ?? 1,
              replicas: 1,
              readyReplicas: 0,
              availableReplicas: 0,
              lastSyncTime: now,
            })),
            replicas: MEMBERS.length,
            readyReplicas: 0,
            conditions: [
              { type: 'Synced', status: 'True', reason: 'Synced', message: `applied to ${MEMBERS.join(', ')}`, observedGeneration: 1, lastTransitionTime: now },
              {
                type: 'Ready',
                status: 'False',
                reason: 'ReplicasNotReady',
                message: `0 of ${MEMBERS.length} replicas ready`,
                observedGeneration: 1,
                lastTransitionTime: now,
              },
            ],
          },
        } as KubeObject,
        { resource: Resources.PropagatedObject, subresource: 'status', fieldManager: SYNCER_FIELD_MANAGER },
      );
    }),
  );
  await contract.done;
  const contractMs = performance.now() - contractStart;
  const contractCpu = since(before);
  await contract.watcher.stop();

  const result = JSON.stringify({
    benchmark: 'propagation-cpu',
    date: new Date().toISOString(),
    cpus: cpus().length,
    objects: N,
    members: MEMBERS.length,
    createdWithFinalizer: WITH_FINALIZER,
    floor: { seconds: Number((floorMs / 1000).toFixed(2)), cpuSeconds: floorCpu, coresBusy: Number((floorCpu.total! / (floorMs / 1000)).toFixed(2)) },
    contractFloor: {
      seconds: Number((contractMs / 1000).toFixed(2)),
      cpuSeconds: contractCpu,
      coresBusy: Number((contractCpu.total! / (contractMs / 1000)).toFixed(2)),
      ratio: Number((contractMs / floorMs).toFixed(2)),
      cpuRatio: Number((contractCpu.total! / floorCpu.total!).toFixed(2)),
    },
    syncer: { seconds: Number((syncMs / 1000).toFixed(2)), cpuSeconds: syncCpu, coresBusy: Number((syncCpu.total! / (syncMs / 1000)).toFixed(2)) },
    ratio: Number((syncMs / floorMs).toFixed(2)),
    ratioToContractFloor: Number((syncMs / contractMs).toFixed(2)),
    cpuRatio: Number((syncCpu.total! / floorCpu.total!).toFixed(2)),
  });
  console.log(result);
  if (N === 1000) {
    mkdirSync('bench/results', { recursive: true });
    writeFileSync(`bench/results/propagation-cpu${WITH_FINALIZER ? '' : '-no-finalizer'}.json`, `${result}\n`);
  }
  host.close();
  for (const c of clients) c.close();
} finally {
  await env.stop();
}
