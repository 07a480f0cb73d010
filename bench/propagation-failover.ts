/**
 * Failover part of the propagation benchmark, with the real cluster-health,
 * placement and propagation reconcilers: N Deployments divided 1:1:1 over
 * eu-1, eu-2 and us-1; us-1's apiserver is stopped; measured is the time
 * until every Deployment's three replicas are applied on eu-1 and eu-2.
 *
 * The toleration is what the chain waits on purpose: us-1 is probed every
 * second and tainted after failoverAfterSeconds; the policy moves workloads
 * as soon as the taint appears (failover.tolerationSeconds 0). The target is
 * toleration + 5 s.
 */
import { pino } from 'pino';
import { perObject, requestCounts } from './apiserver-metrics.js';
import type { LocalEnvironment } from '../controlplane/launcher/index.js';
import { apply, ApiClient, Informer, Manager, Resources, silentLogger, type KubeObject } from '../src/runtime/index.js';
import { register as registerClusterHealth } from '../src/reconcilers/cluster/index.js';
import { register as registerPlacement } from '../src/reconcilers/placement/register.js';
import { registerPropagation } from '../src/reconcilers/propagation/register.js';

export interface FailoverResult {
  readonly objects: number;
  /** apiserver stop → every Deployment's replicas applied on the remaining members. */
  readonly ms: number;
  /** probe interval + failoverAfterSeconds + the policy's tolerationSeconds. */
  readonly tolerationSeconds: number;
  /** PropagatedObjects created → all Synced, with placement deciding (end to end on the host). */
  readonly placedAndSyncedMs: number;
  /** ms after the stop: apiserver stopped, Ready=False seen, taint seen, every placement off us-1. */
  readonly milestonesMs: Readonly<Record<string, number>>;
  /** Per object, from its new placement (written by the placement reconciler) to its replicas applied: the syncer's part. */
  /**
   * Per object, from the taint to its replicas applied on eu-1 + eu-2. The move starts when placement
   * decides, before its status write lands, so this (not "status written → applied") is the syncer's share.
   */
  readonly taintToAppliedMs: { readonly p50: number; readonly p99: number; readonly max: number; readonly samples: number };
  /** Per object, from its replicas applied to its new placement recorded in its status (the record trails the move). */
  readonly appliedToRecordedMs: { readonly p50: number; readonly p99: number; readonly samples: number };
  /** Requests per moved object on each remaining apiserver, from the stop until the replicas were applied. */
  readonly requestsPerObject: Readonly<Record<string, Readonly<Record<string, number>>>>;
  /**
   * The move's floor: the same number of replica changes applied to eu-1 by a plain client (same
   * concurrency, us-1 still down), against the taint → last move time (the taintToAppliedMs p100).
   */
  readonly moveFloorMs: number;
}

const NAMESPACE = 'failover';
const MOVE_FLOOR_NAMESPACE = 'move-floor';

/** Runs work(0..count-1) with at most `limit` in flight. */
async function pool(limit: number, count: number, work: (i: number) => Promise<unknown>): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: limit }, async () => {
      while (next < count) await work(next++);
    }),
  );
}
const PROBE_SECONDS = 1;
const FAILOVER_AFTER_SECONDS = 5;

type Deployment = KubeObject & { spec?: { replicas?: number } };
type ClusterObject = KubeObject & { status?: { conditions?: Array<{ type: string; status: string }> } };
type PO = KubeObject & { status?: { conditions?: Array<{ type: string; status: string }> } };

/** The workload both propagation benchmarks place: a 3-replica Deployment. */
export function deployment(name: string): KubeObject & Record<string, unknown> {
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name, labels: { app: name } },
    spec: {
      replicas: 3,
      selector: { matchLabels: { app: name } },
      template: { metadata: { labels: { app: name } }, spec: { containers: [{ name: 'app', image: 'nginx:1.27' }] } },
    },
  };
}

/** BENCH_METRICS=1: the runtime's reconcile and queue counters on stderr, to see where the time goes. */
async function dumpMetrics(manager: Manager, label: string): Promise<void> {
  if (!process.env.BENCH_METRICS) return;
  const text = await manager.metrics.registry.metrics();
  const wanted =
    /^(controller_runtime_reconcile_total|controller_runtime_reconcile_time_seconds_(sum|count)|workqueue_adds_total|workqueue_retries_total|workqueue_queue_duration_seconds_(sum|count)|workqueue_work_duration_seconds_(sum|count))/;
  console.error(
    `--- metrics: ${label}\n${text
      .split('\n')
      .filter((l) => wanted.test(l))
      .join('\n')}`,
  );
}

async function until(check: () => boolean, timeoutMs: number): Promise<boolean> {
  const deadline = performance.now() + timeoutMs;
  while (!check()) {
    if (performance.now() > deadline) return false;
    await new Promise((r) => setTimeout(r, 50));
  }
  return true;
}

/**
 * Runs the failover measurement with its own operator (the caller's must be
 * stopped first: two syncers would fight over the same objects).
 */
export async function failover(env: LocalEnvironment, objects: number, workers: number): Promise<FailoverResult> {
  const host = new ApiClient(env.host.kubeConfig());
  await apply(host, { apiVersion: 'canopy.dev/v1alpha1', kind: 'Workspace', metadata: { name: 'bench-failover' }, spec: {} } as KubeObject);
  await apply(host, { apiVersion: 'v1', kind: 'Namespace', metadata: { name: NAMESPACE, labels: { 'canopy.dev/workspace': 'bench-failover' } } });
  await apply(host, {
    apiVersion: 'canopy.dev/v1alpha1',
    kind: 'PlacementPolicy',
    metadata: { name: 'bench-failover' },
    spec: {
      resourceSelectors: [{ apiVersion: 'apps/v1', kind: 'Deployment', workspace: 'bench-failover' }],
      replicas: {
        strategy: 'Divide',
        weights: [
          { cluster: 'eu-1', weight: 1 },
          { cluster: 'eu-2', weight: 1 },
          { cluster: 'us-1', weight: 1 },
        ],
      },
      failover: { enabled: true, tolerationSeconds: 0 },
    },
  } as KubeObject);
  const pos = new Informer<PO>(host, Resources.PropagatedObject, { namespace: NAMESPACE }, silentLogger());
  pos.start();
  const manager = new Manager({
    kubeConfig: env.host.kubeConfig(),
    leaderElection: false,
    metricsPort: false,
    healthPort: false,
    logger: pino({ level: 'warn' }),
  });
  registerClusterHealth(manager);
  registerPlacement(manager);
  registerPropagation(manager, { concurrency: workers, generate: false });
  await manager.start();
  // Workloads are created once every member has been probed Ready, as on a running system: created
  // earlier, they would be placed on the first member found Ready and then spread with make-before-break.
  const clusterList = new Informer<ClusterObject>(host, Resources.Cluster, {}, silentLogger());
  clusterList.start();
  const everyMemberReady = () =>
    ['eu-1', 'eu-2', 'us-1'].every((m) => clusterList.get(m)?.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True'));
  if (!(await until(everyMemberReady, 60_000))) throw new Error('failover setup: the members were never probed Ready');
  await clusterList.stop();

  const placedStart = performance.now();
  await pool(workers, objects, (i) =>
    apply(
      host,
      {
        apiVersion: 'canopy.dev/v1alpha1',
        kind: 'PropagatedObject',
        metadata: { name: `fo-${i}`, namespace: NAMESPACE },
        spec: { template: deployment(`fo-${i}`) },
      } as KubeObject,
      { resource: Resources.PropagatedObject },
    ),
  );
  const allSynced = () => pos.list().filter((p) => p.status?.conditions?.some((c) => c.type === 'Synced' && c.status === 'True')).length === objects;
  if (!(await until(allSynced, 600_000))) throw new Error('failover setup: not every PropagatedObject got Synced');
  const placedAndSyncedMs = performance.now() - placedStart;
  await dumpMetrics(manager, 'placed and synced');

  await host.patch(
    Resources.Cluster,
    'us-1',
    undefined,
    { spec: { probeIntervalSeconds: PROBE_SECONDS, failoverAfterSeconds: FAILOVER_AFTER_SECONDS } },
    'merge',
  );
  await new Promise((r) => setTimeout(r, 3 * PROBE_SECONDS * 1000)); // let the health reconciler pick the new interval up

  const remaining = ['eu-1', 'eu-2'].map((m) => {
    const informer = new Informer<Deployment>(new ApiClient(env.cluster(m).kubeConfig()), Resources.Deployment, { namespace: NAMESPACE }, silentLogger());
    informer.start();
    return informer;
  });
  await Promise.all(remaining.map((i) => i.waitForSync()));
  // The move's floor, measured after the failover on the same degraded system: the same number of
  // Deployment replica changes applied to eu-1 by a plain client, as many in flight as the syncer has.
  const eu1 = new ApiClient(env.cluster('eu-1').kubeConfig());
  await apply(eu1, { apiVersion: 'v1', kind: 'Namespace', metadata: { name: MOVE_FLOOR_NAMESPACE } });
  const floorDeployment = (i: number, replicas: number) =>
    ({
      ...deployment(`mf-${i}`),
      metadata: { name: `mf-${i}`, namespace: MOVE_FLOOR_NAMESPACE, labels: { app: `mf-${i}` } },
      spec: { ...(deployment(`mf-${i}`)['spec'] as object), replicas },
    }) as KubeObject;
  await pool(workers, objects, (i) => apply(eu1, floorDeployment(i, 1), { resource: Resources.Deployment }));
  const movedAll = () => {
    for (let i = 0; i < objects; i++) {
      const sum = remaining.reduce((s, inf) => s + (inf.get(`fo-${i}`, NAMESPACE)?.spec?.replicas ?? 0), 0);
      if (sum !== 3) return false;
    }
    return true;
  };
  // Milestones of the chain, for the breakdown: NotReady seen, taint set, every placement moved.
  const clusters = new Informer<KubeObject & { spec?: { taints?: Array<{ key: string }> }; status?: { conditions?: Array<{ type: string; status: string }> } }>(
    host,
    Resources.Cluster,
    { fieldSelector: 'metadata.name=us-1' },
    silentLogger(),
  );
  const milestones: Record<string, number> = {};
  let start = 0;
  const mark = (name: string) => (milestones[name] ??= Math.round(performance.now() - start));
  clusters.on((e) => {
    if (!start) return;
    if (e.object.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'False')) mark('notReady');
    if (e.object.spec?.taints?.some((t) => t.key === 'canopy.dev/unreachable')) mark('tainted');
  });
  clusters.start();
  await clusters.waitForSync();
  const placedOff = () =>
    pos.list().every((p) => !((p as { status?: { placement?: Array<{ cluster: string }> } }).status?.placement ?? []).some((e) => e.cluster === 'us-1'));
  // Per object: when its placement left us-1, and when eu-1 + eu-2 carried all its replicas (the syncer's share of the chain).
  const movedAt = new Map<string, number>();
  const appliedAt = new Map<string, number>();
  pos.on((e) => {
    const placement = (e.object as { status?: { placement?: Array<{ cluster: string }> } }).status?.placement;
    const name = e.object.metadata?.name ?? '';
    if (start && placement && placement.length > 0 && !placement.some((p) => p.cluster === 'us-1') && !movedAt.has(name)) movedAt.set(name, performance.now());
  });
  for (const informer of remaining) {
    informer.on((e) => {
      const name = e.object.metadata?.name ?? '';
      if (!start || appliedAt.has(name)) return;
      const sum = remaining.reduce((s, inf) => s + (inf.get(name, NAMESPACE)?.spec?.replicas ?? 0), 0);
      if (sum === 3) appliedAt.set(name, performance.now());
    });
  }
  const counted = ['host', 'eu-1', 'eu-2'].map((name) => (name === 'host' ? env.host : env.cluster(name)));
  const countsBefore = await Promise.all(counted.map((c) => requestCounts(c)));
  start = performance.now();
  // The clock runs from the stop signal; the apiserver's own graceful shutdown goes on meanwhile.
  const stopped = env
    .cluster('us-1')
    .stopApiServer()
    .then(() => mark('stopped'));
  const watcher = (async () => {
    if (await until(placedOff, 600_000)) mark('placementMoved');
  })();
  if (!(await until(movedAll, 600_000))) throw new Error('failover: replicas never moved off us-1');
  const ms = performance.now() - start;
  await Promise.all([watcher, stopped]);
  const countsAfter = await Promise.all(counted.map((c) => requestCounts(c)));
  const requestsPerObject = Object.fromEntries(counted.map((c, i) => [c.name, perObject(countsBefore[i]!, countsAfter[i]!, objects)]));
  await clusters.stop();

  await dumpMetrics(manager, 'failover');
  const floorStart = performance.now();
  await pool(workers, objects, (i) => apply(eu1, floorDeployment(i, 2), { resource: Resources.Deployment }));
  const moveFloorMs = performance.now() - floorStart;
  eu1.close();
  await Promise.all(remaining.map((i) => i.stop()));
  await pos.stop();
  await manager.stop();
  await env.cluster('us-1').startApiServer();
  host.close();
  const taintedAt = start + (milestones['tainted'] ?? 0);
  const fromTaint = [...appliedAt.values()].map((at) => at - taintedAt);
  const toRecord = [...appliedAt].filter(([name]) => movedAt.has(name)).map(([name, at]) => movedAt.get(name)! - at);
  return {
    objects,
    ms,
    tolerationSeconds: PROBE_SECONDS + FAILOVER_AFTER_SECONDS,
    placedAndSyncedMs,
    milestonesMs: milestones,
    taintToAppliedMs: percentiles(fromTaint),
    moveFloorMs,
    appliedToRecordedMs: percentiles(toRecord),
    requestsPerObject,
  };
}

function percentiles(values: number[]): { p50: number; p99: number; max: number; samples: number } {
  const sorted = [...values].sort((a, b) => a - b);
  const pct = (p: number) => Math.round(sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)] ?? NaN);
  return { p50: pct(50), p99: pct(99), max: pct(100), samples: sorted.length };
}
