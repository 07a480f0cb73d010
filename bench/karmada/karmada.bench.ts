/**
 * Canopy against Karmada, in the same run, on the same member apiservers.
 *
 *   CANOPY_KARMADA_BIN=… CANOPY_KARMADA_CRDS=… npm run bench:karmada
 *   BENCH_COUNT=300 BENCH_ROUNDS=3 npm run bench:karmada     # smaller, when 1,000 does not fit
 *   BENCH_ROUNDS=0 BENCH_FAILOVER_ROUNDS=1 npm run bench:karmada   # failover only
 *   BENCH_SMOKE=1 npm run bench:karmada                     # one Deployment, both systems, then stop
 *   BENCH_STATE_DIR=/tmp/kb npm run bench:karmada           # keep every process's log there
 *   (also BENCH_TUNINGS, BENCH_FAILOVER_TUNINGS, BENCH_FAILOVER_SYSTEMS, BENCH_DRIFT, BENCH_TIMEOUT_S)
 *
 * Needs Karmada's prebuilt binaries and CRDs (karmada.ts checks them and says
 * what is missing). One LocalEnvironment per round and tuning: etcd, Canopy's
 * host apiserver, Karmada's apiserver and three members (eu-1, eu-2, us-1),
 * none with a kube-controller-manager, so member Deployments get no status
 * (the numbers are the propagation systems', not the member controllers').
 * Both systems run side by side in it; the one measured second alternates
 * every round, so both see the same load.
 *
 * Per round and tuning ("shipped": every default; "lifted": client QPS, the
 * work-queue bucket and worker counts raised), per system and mode
 * (Duplicate; Divide by static weights 2:1:1):
 * - time from the first of N Deployment creates (64 in flight) until every
 *   member copy exists with its replicas AND every object reports applied
 *   (Canopy: its generated PropagatedObject Synced=True; Karmada: its
 *   ResourceBinding FullyApplied=True);
 * - CPU of the system's control-plane apiserver, of the members' apiservers,
 *   of etcd (shared) and of the system's controllers; the controllers' peak
 *   RSS; requests per object on each apiserver;
 * - drift repair on the Duplicate copies: one edited (replicas) or deleted on
 *   a member, time until the member shows the desired copy again.
 * Then failover, one environment per system (both would react to the same
 * outage at once): N Deployments divided 2:1:1, us-1's apiserver stopped,
 * time until every Deployment's replicas are applied on eu-1 + eu-2, with
 * the same detection on both sides (probe every 1 s, failed after 5 s, the
 * taint tolerated 0 s; Karmada's failover flags in karmada.ts).
 *
 * Prints a Markdown table and writes bench/results/karmada-<date>.json
 * (karmada-failover-<date>.json when BENCH_ROUNDS=0).
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { dirname, join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { DEFAULT_MEMBERS, LocalEnvironment, type ClusterHandle } from '../../controlplane/launcher/index.js';
import { applyManifests, readManifests } from '../../src/dev/manifests.js';
import { registerMembers } from '../../src/dev/register.js';
import { ApiClient, apply, Informer, Resources, silentLogger, type KubeObject, type ResourceRef } from '../../src/runtime/index.js';
import { perObject, requestCounts, treeCpuSeconds } from '../apiserver-metrics.js';
import { KARMADA_LIFTED, KARMADA_SHIPPED, KARMADA_VERSION, KarmadaControlPlane, KarmadaResources, karmadaInputs, KarmadaSetupError } from './karmada.js';
import { CANOPY_TUNING, canopyObjects, expectedReplicas, karmadaObjects, type PlacementMode, type WorkloadDescription, workloadName } from './workload.js';

const here = dirname(fileURLToPath(import.meta.url));
const repoRoot = join(here, '..', '..');
const SMOKE = process.env.BENCH_SMOKE === '1';
const N = SMOKE ? 1 : Number(process.env.BENCH_COUNT ?? 1000);
const ROUNDS = SMOKE ? 1 : Number(process.env.BENCH_ROUNDS ?? 3);
const TUNINGS = (process.env.BENCH_TUNINGS ?? 'shipped,lifted').split(',') as Array<'shipped' | 'lifted'>;
const FAILOVER_ROUNDS = SMOKE ? 0 : Number(process.env.BENCH_FAILOVER_ROUNDS ?? 3);
const FAILOVER_TUNINGS = (process.env.BENCH_FAILOVER_TUNINGS ?? TUNINGS.join(',')).split(',') as Array<'shipped' | 'lifted'>;
const FAILOVER_SYSTEMS = (process.env.BENCH_FAILOVER_SYSTEMS ?? 'canopy,karmada').split(',');
const DRIFT_SAMPLES = SMOKE ? 2 : Number(process.env.BENCH_DRIFT ?? 10);
const CONVERGE_TIMEOUT_MS = Number(process.env.BENCH_TIMEOUT_S ?? 900) * 1000;
const DRIFT_TIMEOUT_MS = 60_000;
const WORKERS = 64;
const MEMBERS = ['eu-1', 'eu-2', 'us-1'];
const MODES: Record<'Duplicate' | 'Divide', { mode: PlacementMode; replicas: number }> = {
  Duplicate: { mode: { kind: 'Duplicate' }, replicas: 3 },
  Divide: { mode: { kind: 'Divide', weights: { 'eu-1': 2, 'eu-2': 1, 'us-1': 1 } }, replicas: 4 },
};
type System = 'canopy' | 'karmada';
type ModeName = keyof typeof MODES;

const round1 = (v: number, digits = 1) => Math.round(v * 10 ** digits) / 10 ** digits;
const uptime = () => readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).map(Number);
const log = (line: string) => console.error(`[${new Date().toISOString().slice(11, 19)}] ${line}`);

async function pool(limit: number, tasks: Array<() => Promise<unknown>>): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: limit }, async () => {
      while (next < tasks.length) await tasks[next++]!();
    }),
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

/** Peak resident set (VmHWM) of a process, MiB. */
function peakRssMiB(pid: number | undefined): number {
  if (!pid) return Number.NaN;
  try {
    const kb = /VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1];
    return kb ? round1(Number(kb) / 1024) : Number.NaN;
  } catch {
    return Number.NaN;
  }
}

type Conditioned = KubeObject & { status?: { conditions?: Array<{ type: string; status: string }> } };
type Deployment = KubeObject & { spec?: { replicas?: number } };

/** The Canopy operator in its own process. */
class CanopyOperator {
  private constructor(private readonly child: ChildProcess) {}
  get pid(): number | undefined {
    return this.child.exitCode === null ? this.child.pid : undefined;
  }
  static async start(env: LocalEnvironment, tuning: 'shipped' | 'lifted'): Promise<CanopyOperator> {
    const child = spawn(process.execPath, ['--import', 'tsx', join(here, 'canopy-operator.child.ts'), tuning], {
      cwd: repoRoot,
      env: { ...process.env, KUBECONFIG: env.host.kubeconfigPath },
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    const op = new CanopyOperator(child);
    const lines = createInterface({ input: child.stdout! });
    const ready = new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error('Canopy operator not ready within 120 s')), 120_000);
      child.once('exit', (code) => reject(new Error(`Canopy operator exited with ${code}`)));
      lines.on('line', (l) => {
        if (l.includes('"ready"')) {
          clearTimeout(timer);
          resolve();
        }
      });
    });
    try {
      await ready;
    } catch (err) {
      child.kill('SIGKILL'); // never leave an operator behind a failed start
      throw err;
    }
    return op;
  }
  async stop(): Promise<void> {
    if (this.child.exitCode !== null) return;
    const exited = new Promise((r) => this.child.once('exit', r));
    this.child.kill('SIGTERM');
    const timer = setTimeout(() => this.child.kill('SIGKILL'), 15_000);
    await exited;
    clearTimeout(timer);
  }
}

interface RunResult {
  readonly system: System;
  readonly tuning: 'shipped' | 'lifted';
  readonly mode: ModeName;
  readonly round: number;
  readonly objects: number;
  /** First create → every member copy and every applied report; undefined when it timed out. */
  readonly ms: number | undefined;
  /** When the last member copy appeared (≤ ms). */
  readonly copiesMs: number | undefined;
  readonly copies: number;
  readonly expectedCopies: number;
  readonly applied: number;
  readonly cpuSeconds: { controlPlaneApiserver: number; memberApiservers: number; etcd: number; controllers: number };
  readonly controllerPeakRssMiB: number;
  readonly requestsPerObject: Record<string, Record<string, number>>;
  readonly loadBefore: number[];
  readonly loadAfter: number[];
}

interface World {
  readonly env: LocalEnvironment;
  readonly karmadaApi: ClusterHandle;
  readonly etcdPid: number;
  readonly canopy: CanopyOperator | undefined;
  readonly karmada: KarmadaControlPlane | undefined;
}

function controllerPids(w: World, system: System): number[] {
  if (system === 'canopy') return [w.canopy?.pid].filter((p): p is number => p !== undefined);
  return Object.values(w.karmada?.processIds ?? {}).filter((p): p is number => p !== undefined);
}

function describe(system: System, modeName: ModeName): WorkloadDescription {
  const m = MODES[modeName];
  const name = `${system === 'canopy' ? 'c' : 'k'}-${modeName.toLowerCase()}`;
  return { namespace: name, name, count: N, replicas: m.replicas, clusters: MEMBERS, mode: m.mode };
}

async function measure(
  w: World,
  system: System,
  tuning: 'shipped' | 'lifted',
  modeName: ModeName,
  round: number,
  d: WorkloadDescription = describe(system, modeName),
): Promise<RunResult> {
  const objects = system === 'canopy' ? canopyObjects(d) : karmadaObjects(d);
  const plane = system === 'canopy' ? w.env.host : w.karmadaApi;
  const client = new ApiClient(plane.kubeConfig());
  for (const o of objects.setup) await apply(client, o as unknown as KubeObject);
  const expected = expectedReplicas(d);
  const expectedCopies = Object.keys(expected).length * N;
  const members = MEMBERS.map((m) => {
    const informer = new Informer<Deployment>(new ApiClient(w.env.cluster(m).kubeConfig()), Resources.Deployment, { namespace: d.namespace }, silentLogger());
    informer.start();
    return { name: m, informer };
  });
  const reportRef: ResourceRef = system === 'canopy' ? Resources.PropagatedObject : KarmadaResources.ResourceBinding;
  const reportType = system === 'canopy' ? 'Synced' : 'FullyApplied';
  const reports = new Informer<Conditioned>(client, reportRef, { namespace: d.namespace }, silentLogger());
  reports.start();
  await Promise.all([...members.map((m) => m.informer.waitForSync()), reports.waitForSync()]);
  const copies = () =>
    members.reduce((sum, m) => sum + m.informer.list().filter((dep) => dep.spec?.replicas === expected[m.name] && !dep.metadata?.deletionTimestamp).length, 0);
  const applied = () => reports.list().filter((r) => r.status?.conditions?.some((c) => c.type === reportType && c.status === 'True')).length;

  const counted = [plane, ...MEMBERS.map((m) => w.env.cluster(m))];
  const before = await Promise.all(counted.map((c) => requestCounts(c)));
  const cpu = () => ({
    controlPlaneApiserver: plane.processIds.reduce((s, p) => s + treeCpuSeconds(p), 0),
    memberApiservers: MEMBERS.flatMap((m) => w.env.cluster(m).processIds).reduce((s, p) => s + treeCpuSeconds(p), 0),
    etcd: treeCpuSeconds(w.etcdPid),
    controllers: controllerPids(w, system).reduce((s, p) => s + treeCpuSeconds(p), 0),
  });
  const loadBefore = uptime();
  const cpuBefore = cpu();
  const start = performance.now();
  await pool(
    WORKERS,
    objects.workloads.map((o) => () => apply(client, o as unknown as KubeObject, { resource: Resources.Deployment })),
  );
  let copiesMs: number | undefined;
  const done = await until(() => {
    if (copiesMs === undefined && copies() === expectedCopies) copiesMs = performance.now() - start;
    return copiesMs !== undefined && applied() === N;
  }, CONVERGE_TIMEOUT_MS);
  const ms = done ? performance.now() - start : undefined;
  const cpuAfter = cpu();
  const after = await Promise.all(counted.map((c) => requestCounts(c)));
  const result: RunResult = {
    system,
    tuning,
    mode: modeName,
    round,
    objects: N,
    ms: ms === undefined ? undefined : round1(ms),
    copiesMs: copiesMs === undefined ? undefined : round1(copiesMs),
    copies: copies(),
    expectedCopies,
    applied: applied(),
    cpuSeconds: {
      controlPlaneApiserver: round1(cpuAfter.controlPlaneApiserver - cpuBefore.controlPlaneApiserver, 2),
      memberApiservers: round1(cpuAfter.memberApiservers - cpuBefore.memberApiservers, 2),
      etcd: round1(cpuAfter.etcd - cpuBefore.etcd, 2),
      controllers: round1(cpuAfter.controllers - cpuBefore.controllers, 2),
    },
    controllerPeakRssMiB: round1(controllerPids(w, system).reduce((s, p) => s + peakRssMiB(p), 0)),
    requestsPerObject: Object.fromEntries(counted.map((c, i) => [c === plane ? `${system} control plane` : c.name, perObject(before[i]!, after[i]!, N)])),
    loadBefore,
    loadAfter: uptime(),
  };
  await reports.stop();
  await Promise.all(members.map((m) => m.informer.stop()));
  client.close();
  log(
    `${system} ${tuning} ${modeName} round ${round}: ${ms === undefined ? `TIMED OUT (${result.copies}/${expectedCopies} copies, ${result.applied}/${N} applied)` : `${round1(ms / 1000, 2)} s`}` +
      ` (copies ${copiesMs === undefined ? '-' : round1(copiesMs / 1000, 2)} s; controllers ${result.cpuSeconds.controllers} s CPU, peak ${result.controllerPeakRssMiB} MiB; load ${loadBefore.join(' ')})`,
  );
  return result;
}

interface DriftResult {
  readonly system: System;
  readonly tuning: 'shipped' | 'lifted';
  readonly round: number;
  /** ms per sample; null: not repaired within DRIFT_TIMEOUT_MS. */
  readonly edit: Array<number | null>;
  readonly delete: Array<number | null>;
}

async function drift(w: World, system: System, tuning: 'shipped' | 'lifted', round: number): Promise<DriftResult> {
  const d = describe(system, 'Duplicate');
  const edit: Array<number | null> = [];
  const del: Array<number | null> = [];
  for (let s = 0; s < DRIFT_SAMPLES; s++) {
    const member = new ApiClient(w.env.cluster(MEMBERS[s % MEMBERS.length]!).kubeConfig());
    const name = workloadName((s * 7919) % N);
    const remove = s % 2 === 1;
    const informer = new Informer<Deployment>(member, Resources.Deployment, { namespace: d.namespace, fieldSelector: `metadata.name=${name}` }, silentLogger());
    informer.start();
    await informer.waitForSync();
    const before = informer.get(name, d.namespace);
    let restored!: () => void;
    const back = new Promise<void>((r) => (restored = r));
    informer.on((e) => {
      if (e.type === 'delete') return;
      const same = e.object.metadata?.uid === before?.metadata?.uid;
      if (remove ? !same && !e.object.metadata?.deletionTimestamp : e.object.spec?.replicas === d.replicas) restored();
    });
    const start = performance.now();
    if (remove) await member.delete(Resources.Deployment, name, d.namespace);
    else await member.patch(Resources.Deployment, name, d.namespace, { spec: { replicas: 7 } }, 'merge');
    const ok = await Promise.race([back.then(() => true), new Promise<boolean>((r) => setTimeout(() => r(false), DRIFT_TIMEOUT_MS))]);
    (remove ? del : edit).push(ok ? round1(performance.now() - start) : null);
    await informer.stop();
    member.close();
  }
  log(`${system} ${tuning} drift round ${round}: edit ${JSON.stringify(edit)} ms, delete ${JSON.stringify(del)} ms`);
  return { system, tuning, round, edit, delete: del };
}

const PROBE_SECONDS = 1;
const FAILOVER_AFTER_SECONDS = 5;
const FAILED_MEMBER = 'us-1';

interface FailoverResult {
  readonly system: System;
  readonly tuning: 'shipped' | 'lifted';
  readonly round: number;
  readonly objects: number;
  /** Creates → all applied on the three members, before the outage (Divide 2:1:1, failover toleration 0). */
  readonly placedMs: number | undefined;
  /** us-1's apiserver stop → every Deployment's replicas applied on eu-1 + eu-2; undefined: not within the timeout. */
  readonly ms: number | undefined;
  /** Deployments whose replicas were all on eu-1 + eu-2 at the end. */
  readonly moved: number;
  /** ms after the stop: when the member was seen NotReady, when the first and the last Deployment had moved. */
  readonly milestonesMs: Readonly<Record<string, number>>;
  readonly toleration: string;
  readonly load: number[];
}

/**
 * One member's apiserver stopped: time until every Deployment's replicas are applied on the
 * other two. Both systems detect it the same way (probe every 1 s, failed after 5 s) and the
 * policies tolerate the resulting taint for 0 s.
 */
async function failoverRun(w: World, system: System, tuning: 'shipped' | 'lifted', round: number): Promise<FailoverResult> {
  const base = describe(system, 'Divide');
  const d: WorkloadDescription = { ...base, namespace: `${base.namespace}-fo`, name: `${base.name}-fo`, failoverTolerationSeconds: 0 };
  const placed = await measure(w, system, tuning, 'Divide', round, d);
  if (system === 'canopy') {
    // The same detection as Karmada's failover flags (probed every second, failed after 5 s), set on the
    // member that will fail once the workloads are placed, as bench/propagation-failover.ts does: with a
    // 1 s probe on every member from the start, the generated PropagatedObjects were placed on all three
    // but not reported Synced within 10 minutes (seen once, at N=5, under a load average above 20).
    const host = new ApiClient(w.env.host.kubeConfig());
    await host.patch(
      Resources.Cluster,
      FAILED_MEMBER,
      undefined,
      { spec: { probeIntervalSeconds: PROBE_SECONDS, failoverAfterSeconds: FAILOVER_AFTER_SECONDS } },
      'merge',
    );
    host.close();
    await new Promise((r) => setTimeout(r, 3 * PROBE_SECONDS * 1000)); // the health reconciler picks the new interval up
  }
  const remaining = ['eu-1', 'eu-2'].map((m) => {
    const informer = new Informer<Deployment>(new ApiClient(w.env.cluster(m).kubeConfig()), Resources.Deployment, { namespace: d.namespace }, silentLogger());
    informer.start();
    return informer;
  });
  await Promise.all(remaining.map((i) => i.waitForSync()));
  const plane = system === 'canopy' ? w.env.host : w.karmadaApi;
  const planeClient = new ApiClient(plane.kubeConfig());
  const clusterRef = system === 'canopy' ? Resources.Cluster : KarmadaResources.Cluster;
  const clusters = new Informer<Conditioned>(planeClient, clusterRef, {}, silentLogger());
  clusters.start();
  await clusters.waitForSync();
  const milestones: Record<string, number> = {};
  let start = 0;
  const mark = (name: string) => (milestones[name] ??= Math.round(performance.now() - start));
  clusters.on((e) => {
    if (start && e.object.metadata?.name === FAILED_MEMBER && e.object.status?.conditions?.some((c) => c.type === 'Ready' && c.status !== 'True'))
      mark('notReady');
  });
  const movedCount = () => {
    let n = 0;
    for (let i = 0; i < N; i++) {
      const name = workloadName(i);
      if (remaining.reduce((s, inf) => s + (inf.get(name, d.namespace)?.spec?.replicas ?? 0), 0) === d.replicas) n++;
    }
    return n;
  };
  const load = uptime();
  start = performance.now();
  const stopped = w.env.cluster(FAILED_MEMBER).stopApiServer();
  const done = await until(() => {
    const n = movedCount();
    if (n > 0) mark('firstMoved');
    return n === N;
  }, 300_000);
  const ms = done ? performance.now() - start : undefined;
  if (done) mark('lastMoved');
  await stopped;
  const moved = movedCount();
  await clusters.stop();
  await Promise.all(remaining.map((i) => i.stop()));
  planeClient.close();
  const result: FailoverResult = {
    system,
    tuning,
    round,
    objects: N,
    placedMs: placed.ms,
    ms: ms === undefined ? undefined : round1(ms),
    moved,
    milestonesMs: milestones,
    toleration: `probe every ${PROBE_SECONDS} s, failed after ${FAILOVER_AFTER_SECONDS} s, taint tolerated 0 s`,
    load,
  };
  log(
    `${system} ${tuning} failover round ${round}: ${ms === undefined ? `NOT DONE (${moved}/${N})` : `${round1(ms / 1000, 2)} s`} ${JSON.stringify(milestones)}`,
  );
  return result;
}

/** Canopy's CRDs, installed as they are, then waited on until Established. */
async function installCanopyCrds(env: LocalEnvironment): Promise<void> {
  const crds = readManifests(join(repoRoot, 'config', 'crd')).filter((o) => o.kind === 'CustomResourceDefinition');
  const client = new ApiClient(env.host.kubeConfig());
  const installed: string[] = [];
  for (const crd of crds) {
    await applyManifests(env.host.kubeConfig(), [crd]);
    installed.push(crd.metadata?.name ?? '');
  }
  const deadline = Date.now() + 60_000;
  for (;;) {
    const list = (await client.listAll(Resources.CustomResourceDefinition)) as Conditioned[];
    const established = new Set(
      list.filter((c) => c.status?.conditions?.some((x) => x.type === 'Established' && x.status === 'True')).map((c) => c.metadata?.name),
    );
    if (installed.every((n) => established.has(n))) break;
    if (Date.now() > deadline) throw new Error(`Canopy CRDs not established: ${installed.filter((n) => !established.has(n)).join(', ')}`);
    await new Promise((r) => setTimeout(r, 200));
  }
  client.close();
}

interface WorldOptions {
  readonly tuning: 'shipped' | 'lifted';
  readonly round: number;
  /** Which systems run (a failover world runs one: both would react to the same outage at once). */
  readonly systems: readonly System[];
  readonly failover: boolean;
}

async function withWorld<T>({ tuning, round, systems, failover }: WorldOptions, body: (w: World) => Promise<T>): Promise<T> {
  // BENCH_STATE_DIR: keep every process's log (and etcd's data) there instead of a temp dir removed at the end.
  const keep = process.env.BENCH_STATE_DIR;
  const env = await LocalEnvironment.start({
    quiet: true,
    ...(keep ? { stateDir: join(keep, `${failover ? `failover-${systems.join('-')}` : 'round'}-${round}-${tuning}`) } : {}),
    controllerManager: false,
    members: [...DEFAULT_MEMBERS, { name: 'karmada', region: 'karmada', provider: 'local', labels: {} }],
  });
  let canopy: CanopyOperator | undefined;
  let karmada: KarmadaControlPlane | undefined;
  try {
    const members = MEMBERS.map((m) => env.cluster(m));
    const karmadaApi = env.cluster('karmada');
    const etcdPid = env.processIds.find((pid) => !env.clusters.some((c) => c.processIds.includes(pid)))!;
    await installCanopyCrds(env);
    await registerMembers(env.host.kubeConfig(), members);
    if (systems.includes('canopy')) canopy = await CanopyOperator.start(env, tuning);
    if (systems.includes('karmada'))
      karmada = await KarmadaControlPlane.start({
        apiserver: karmadaApi,
        members,
        stateDir: join(env.stateDir, 'karmada'),
        tuning: tuning === 'lifted' ? KARMADA_LIFTED : KARMADA_SHIPPED,
        failover,
      });
    // Both systems see their members Ready before any workload exists (placed earlier, a workload would
    // go to whichever member was probed first).
    if (canopy) {
      const host = new ApiClient(env.host.kubeConfig());
      const clusters = new Informer<Conditioned>(host, Resources.Cluster, {}, silentLogger());
      clusters.start();
      const ready = await until(
        () => MEMBERS.every((m) => clusters.get(m)?.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True')),
        120_000,
      );
      await clusters.stop();
      host.close();
      if (!ready) throw new Error('Canopy never reported the members Ready');
    }
    return await body({ env, karmadaApi, etcdPid, canopy, karmada });
  } finally {
    await canopy?.stop();
    await karmada?.stop();
    await env.stop();
  }
}

function stats(values: number[]): { min: number; median: number; max: number; n: number } | undefined {
  if (values.length === 0) return undefined;
  const s = [...values].sort((a, b) => a - b);
  const mid = s.length % 2 ? s[(s.length - 1) / 2]! : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2;
  return { min: round1(s[0]!), median: round1(mid), max: round1(s[s.length - 1]!), n: s.length };
}

// --- main ---
try {
  karmadaInputs();
} catch (err) {
  if (err instanceof KarmadaSetupError) {
    console.error(err.message);
    process.exit(2);
  }
  throw err;
}

const startedAt = new Date();
const loadAtStart = uptime();
const runs: RunResult[] = [];
const drifts: DriftResult[] = [];
const failovers: FailoverResult[] = [];
const commandLines: Record<string, Record<string, string>> = {};
log(`N=${N}, rounds=${ROUNDS}, tunings=${TUNINGS.join(',')}, load ${loadAtStart.join(' ')} (${cpus().length} CPUs)`);
function report(final: boolean): void {
  const loadAtEnd = uptime();

  const summary: Record<string, unknown> = {};
  const rows: string[][] = [];
  for (const tuning of TUNINGS) {
    for (const mode of Object.keys(MODES) as ModeName[]) {
      for (const system of ['canopy', 'karmada'] as System[]) {
        const mine = runs.filter((r) => r.system === system && r.tuning === tuning && r.mode === mode);
        const finished = mine.filter((r) => r.ms !== undefined);
        const s = {
          seconds: stats(finished.map((r) => r.ms! / 1000)),
          timedOut: mine.length - finished.length,
          controllerCpuSeconds: stats(mine.map((r) => r.cpuSeconds.controllers)),
          controlPlaneApiserverCpuSeconds: stats(mine.map((r) => r.cpuSeconds.controlPlaneApiserver)),
          memberApiserverCpuSeconds: stats(mine.map((r) => r.cpuSeconds.memberApiservers)),
          etcdCpuSeconds: stats(mine.map((r) => r.cpuSeconds.etcd)),
          controllerPeakRssMiB: stats(mine.map((r) => r.controllerPeakRssMiB)),
        };
        summary[`${system}/${tuning}/${mode}`] = s;
        const f = (v: { min: number; median: number; max: number } | undefined, digits = 2) =>
          v ? `${round1(v.median, digits)} (${round1(v.min, digits)}–${round1(v.max, digits)})` : '—';
        rows.push([
          system,
          tuning,
          mode,
          `${f(s.seconds)}${s.timedOut ? `, ${s.timedOut} timed out` : ''}`,
          f(s.controllerCpuSeconds, 1),
          f(s.controlPlaneApiserverCpuSeconds, 1),
          f(s.memberApiserverCpuSeconds, 1),
          f(s.controllerPeakRssMiB, 0),
        ]);
      }
    }
  }
  const driftSummary: Record<string, unknown> = {};
  for (const tuning of TUNINGS) {
    for (const system of ['canopy', 'karmada'] as System[]) {
      const mine = drifts.filter((d) => d.system === system && d.tuning === tuning);
      const edits = mine.flatMap((d) => d.edit);
      const deletes = mine.flatMap((d) => d.delete);
      driftSummary[`${system}/${tuning}`] = {
        editMs: stats(edits.filter((v): v is number => v !== null)),
        editNotRepaired: edits.filter((v) => v === null).length,
        deleteMs: stats(deletes.filter((v): v is number => v !== null)),
        deleteNotRepaired: deletes.filter((v) => v === null).length,
      };
    }
  }
  const failoverSummary: Record<string, unknown> = {};
  for (const tuning of FAILOVER_TUNINGS) {
    for (const system of ['canopy', 'karmada'] as System[]) {
      const mine = failovers.filter((f) => f.system === system && f.tuning === tuning);
      if (mine.length === 0) continue;
      failoverSummary[`${system}/${tuning}`] = {
        seconds: stats(mine.filter((f) => f.ms !== undefined).map((f) => f.ms! / 1000)),
        notDone: mine.filter((f) => f.ms === undefined).length,
        notReadySeenSeconds: stats(mine.filter((f) => f.milestonesMs['notReady'] !== undefined).map((f) => f.milestonesMs['notReady']! / 1000)),
      };
    }
  }
  if (final && runs.length > 0)
    console.log(
      [
        `| system | tuning | mode | seconds, median (min–max) | controller CPU s | control-plane apiserver CPU s | member apiservers CPU s | controller peak RSS MiB |`,
        '| --- | --- | --- | --- | --- | --- | --- | --- |',
        ...rows.map((r) => `| ${r.join(' | ')} |`),
      ].join('\n'),
    );
  if (final) console.log(`\ndrift: ${JSON.stringify(driftSummary)}\nfailover: ${JSON.stringify(failoverSummary)}`);
  if (final) console.log(`load average at start ${loadAtStart.join(' ')}, at end ${loadAtEnd.join(' ')} (${cpus().length} CPUs)`);

  if (!SMOKE) {
    mkdirSync(join(here, '..', 'results'), { recursive: true });
    // BENCH_LABEL names a variant's file (karmada-failover-<label>-<date>.json) so it does not replace the main record.
    const label = process.env.BENCH_LABEL ? `-${process.env.BENCH_LABEL}` : '';
    const file = join(here, '..', 'results', `karmada${ROUNDS === 0 ? '-failover' : ''}${label}-${startedAt.toISOString().slice(0, 10)}.json`);
    writeFileSync(
      file,
      `${JSON.stringify(
        {
          benchmark: 'karmada',
          environment: {
            node: process.version,
            cpu: cpus()[0]?.model,
            cpus: cpus().length,
            date: startedAt.toISOString(),
            finished: final ? new Date().toISOString() : undefined,
            loadAverageAtStart: loadAtStart,
            loadAverageAtEnd: loadAtEnd,
            note: 'shared machine: other test suites ran on the same cores; each run records the load average before and after',
          },
          karmada: { version: KARMADA_VERSION, commandLines },
          canopy: { tuning: CANOPY_TUNING },
          objects: N,
          rounds: ROUNDS,
          members: MEMBERS,
          modes: MODES,
          workers: WORKERS,
          summary,
          drift: driftSummary,
          failover: failoverSummary,
          runs,
          drifts,
          failovers,
        },
        null,
        2,
      )}\n`,
    );
    log(`${final ? 'wrote' : 'updated'} ${file}`);
  }
}

for (let round = 1; round <= ROUNDS; round++) {
  for (const tuning of TUNINGS) {
    await withWorld({ tuning, round, systems: ['canopy', 'karmada'], failover: false }, async (w) => {
      if (w.karmada) commandLines[tuning] = w.karmada.commandLines;
      // Alternate which system goes first, round by round (and within a round, by tuning).
      const order: System[] = (round + TUNINGS.indexOf(tuning)) % 2 === 1 ? ['canopy', 'karmada'] : ['karmada', 'canopy'];
      for (const system of order) {
        for (const mode of Object.keys(MODES) as ModeName[]) runs.push(await measure(w, system, tuning, mode, round));
      }
      for (const system of order) drifts.push(await drift(w, system, tuning, round));
    });
    report(false); // what is measured so far is on disk even if a later round fails
  }
}
// Failover: one world per system (both would react to the same outage at once), alternating.
for (let round = 1; round <= FAILOVER_ROUNDS; round++) {
  for (const tuning of FAILOVER_TUNINGS) {
    const order = (round % 2 === 1 ? ['canopy', 'karmada'] : ['karmada', 'canopy']).filter((s) => FAILOVER_SYSTEMS.includes(s)) as System[];
    for (const system of order) {
      await withWorld({ tuning, round, systems: [system], failover: true }, async (w) => {
        if (w.karmada) commandLines[`${tuning}+failover`] = w.karmada.commandLines;
        failovers.push(await failoverRun(w, system, tuning, round));
      });
      report(false);
    }
  }
}
report(true);
process.exit(0);
