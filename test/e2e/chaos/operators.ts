/**
 * The operator as the chart runs it, but as local processes: src/main.ts with
 * leader election on, as the canopy-operator ServiceAccount bound by
 * config/rbac, the admission webhook of every replica behind one address (a
 * TCP front standing in for the chart's Service). Each replica logs JSON to
 * its own file; its peak RSS is sampled from /proc while it lives. Replicas
 * are killed with SIGKILL and started again as a kubelet would.
 *
 * Also here: what proves that no reconcile ran on two replicas at once — the
 * Lease's holder history (polled) and each replica's log (when it acquired
 * leadership, when each reconcile ended).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { closeSync, createWriteStream, mkdirSync, openSync, readFileSync, readSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { AuthorizationV1Api, CoreV1Api } from '@kubernetes/client-node';
import { kubeconfigYaml, repoRoot, waitUntil, type LocalEnvironment } from '../../../controlplane/launcher/index.js';
import { ApiClient, Resources, type KubeObject } from '../../../src/runtime/index.js';
import { applyManifests, readManifests } from '../../../src/dev/manifests.js';
import { SYSTEM_NAMESPACE } from '../../../src/dev/register.js';
import { freePort } from '../../../controlplane/launcher/ports.js';
import { TcpBalancer } from '../../support/tcp-balancer.js';

export const LOG_DIR = join(repoRoot, '.canopy', 'test', 'chaos');
const LEASE = 'canopy-leader';

/** Writes a kubeconfig for the operator's ServiceAccount (RBAC from config/rbac, as the chart grants). */
export async function operatorKubeconfig(env: LocalEnvironment, file: string): Promise<string> {
  const admin = new ApiClient(env.host.kubeConfig());
  try {
    await applyManifests(env.host.kubeConfig(), [{ apiVersion: 'v1', kind: 'Namespace', metadata: { name: SYSTEM_NAMESPACE } }]);
    await applyManifests(env.host.kubeConfig(), readManifests(join(repoRoot, 'config', 'rbac')));
    const token = (await serviceAccountToken(env)).status?.token;
    if (!token) throw new Error('no token for canopy-operator');
    const user = `system:serviceaccount:${SYSTEM_NAMESPACE}:canopy-operator`;
    const authz = env.host.kubeConfig().makeApiClient(AuthorizationV1Api);
    const granted = await waitUntil(60_000, 250, async () => {
      const review = await authz.createSubjectAccessReview({
        body: { spec: { user, resourceAttributes: { group: 'canopy.dev', resource: 'clusters', verb: 'list' } } },
      });
      return review.status?.allowed === true;
    });
    if (!granted) throw new Error('the canopy-operator ClusterRole was not aggregated within 60 s');
    mkdirSync(LOG_DIR, { recursive: true });
    writeFileSync(file, kubeconfigYaml({ clusterName: env.host.name, server: env.host.server, caPem: env.host.caPem, userName: 'canopy-operator', token }), {
      mode: 0o600,
    });
    return file;
  } finally {
    admin.close();
  }
}

async function serviceAccountToken(env: LocalEnvironment): Promise<{ status?: { token?: string } }> {
  const core = env.host.kubeConfig().makeApiClient(CoreV1Api);
  await waitUntil(30_000, 250, async () =>
    core.readNamespacedServiceAccount({ name: 'canopy-operator', namespace: SYSTEM_NAMESPACE }).then(
      () => true,
      () => false,
    ),
  );
  return core.createNamespacedServiceAccountToken({
    name: 'canopy-operator',
    namespace: SYSTEM_NAMESPACE,
    body: { apiVersion: 'authentication.k8s.io/v1', kind: 'TokenRequest', spec: { audiences: [], expirationSeconds: 24 * 3600 } },
  });
}

export interface LogLine {
  readonly time: number;
  readonly msg: string;
  readonly level?: string | number;
  readonly controller?: string;
  readonly key?: string;
  readonly identity?: string;
  readonly [field: string]: unknown;
}

const living = new Set<ChildProcess>();
let exitHook = false;
/** If the test runner exits without stopping them (a crash, an interrupt), no operator outlives it. */
function killOnExit(child: ChildProcess): void {
  living.add(child);
  child.once('exit', () => living.delete(child));
  if (exitHook) return;
  exitHook = true;
  process.on('exit', () => {
    for (const c of living) c.kill('SIGKILL');
  });
}

/** One operator process (one pod's container run). */
export class OperatorProcess {
  readonly child: ChildProcess;
  readonly logPath: string;
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  readonly startedAt = Date.now();
  peakRssKb = 0;
  killedAt: number | undefined;
  private readonly sampler: NodeJS.Timeout;

  constructor(
    readonly name: string,
    readonly slot: number,
    kubeconfigPath: string,
    webhookPort: number,
    webhookUrl: string,
    extraEnv: Record<string, string>,
  ) {
    mkdirSync(LOG_DIR, { recursive: true });
    this.logPath = join(LOG_DIR, `${name}-${process.pid}.log`);
    const log = createWriteStream(this.logPath);
    this.child = spawn(process.execPath, ['--import', 'tsx', join(repoRoot, 'src', 'main.ts')], {
      cwd: repoRoot,
      env: {
        ...process.env,
        KUBECONFIG: kubeconfigPath,
        CANOPY_POD_NAME: name,
        CANOPY_METRICS_PORT: '0',
        CANOPY_HEALTH_PORT: '0',
        CANOPY_BIND_ADDRESS: '127.0.0.1',
        CANOPY_WEBHOOK_PORT: String(webhookPort),
        // Every replica serves the tenant gateway: on one machine each needs its own port.
        CANOPY_GATEWAY_PORT: '0',
        CANOPY_WEBHOOK_HOST: '127.0.0.1',
        CANOPY_WEBHOOK_URL: webhookUrl,
        // A killed leader's lease runs out soon, so the storm sees many takeovers.
        CANOPY_LEASE_DURATION: '6s',
        CANOPY_RENEW_DEADLINE: '5s',
        CANOPY_RETRY_PERIOD: '1s',
        CANOPY_LOG_LEVEL: 'debug',
        ...extraEnv,
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    killOnExit(this.child);
    this.child.stdout!.pipe(log);
    this.child.stderr!.pipe(log);
    this.exited = new Promise((resolve) => this.child.once('exit', (code, signal) => resolve({ code, signal })));
    this.sampler = setInterval(() => this.sample(), 500);
    void this.exited.then(() => clearInterval(this.sampler));
  }

  private cachedIdentity: string | undefined;

  /** The leader-election identity, from the 'manager started' line near the top of the log. */
  identity(): string | undefined {
    if (this.cachedIdentity) return this.cachedIdentity;
    let head = '';
    try {
      const fd = openSync(this.logPath, 'r');
      const buffer = Buffer.alloc(1 << 20);
      head = buffer.subarray(0, readSync(fd, buffer, 0, buffer.length, 0)).toString('utf8');
      closeSync(fd);
    } catch {
      return undefined;
    }
    const line = head.split('\n').find((l) => l.includes('"manager started"'));
    if (!line) return undefined;
    try {
      this.cachedIdentity = String((JSON.parse(line) as { identity?: string }).identity);
    } catch {
      return undefined;
    }
    return this.cachedIdentity;
  }

  get alive(): boolean {
    return this.child.exitCode === null && this.child.signalCode === null;
  }

  get pid(): number | undefined {
    return this.child.pid;
  }

  async kill(signal: NodeJS.Signals = 'SIGKILL'): Promise<void> {
    if (!this.alive) return;
    this.sample();
    if (signal === 'SIGKILL') this.killedAt = Date.now();
    this.child.kill(signal);
    await this.exited;
  }

  /** Parsed JSON log lines (non-JSON lines, e.g. a stack on stderr, are skipped). */
  lines(): LogLine[] {
    const out: LogLine[] = [];
    let text = '';
    try {
      text = readFileSync(this.logPath, 'utf8');
    } catch {
      return out;
    }
    for (const raw of text.split('\n')) {
      if (!raw.startsWith('{')) continue;
      try {
        const parsed = JSON.parse(raw) as Record<string, unknown>;
        out.push({ ...parsed, time: Date.parse(String(parsed.time)), msg: String(parsed.msg ?? '') } as LogLine);
      } catch {
        // a line cut by SIGKILL
      }
    }
    return out;
  }

  /** VmHWM is the kernel's own high-water mark of resident memory for the process. */
  private sample(): void {
    if (!this.child.pid || !this.alive) return;
    try {
      const status = readFileSync(`/proc/${this.child.pid}/status`, 'utf8');
      const hwm = /VmHWM:\s+(\d+) kB/.exec(status);
      if (hwm) this.peakRssKb = Math.max(this.peakRssKb, Number(hwm[1]));
    } catch {
      // exited between the check and the read
    }
  }
}

/**
 * Two (or more) replicas with fixed webhook ports behind one balancer; a
 * replica that exits — killed, or stopping itself after losing its lease — is
 * started again under a new name while `keepRunning` is on.
 */
export class OperatorFleet {
  readonly all: OperatorProcess[] = [];
  readonly current: (OperatorProcess | undefined)[];
  private readonly balancer = new TcpBalancer();
  private webhookPorts: number[] = [];
  private generation = 0;
  keepRunning = true;
  restarts = 0;

  constructor(
    private readonly prefix: string,
    private readonly kubeconfigPath: string,
    readonly replicas = 2,
    private readonly extraEnv: Record<string, string> = {},
  ) {
    this.current = new Array(replicas).fill(undefined);
  }

  async start(): Promise<void> {
    await this.balancer.start();
    for (let i = 0; i < this.replicas; i++) this.webhookPorts.push(await freePort());
    this.balancer.setBackends(this.webhookPorts);
    for (let slot = 0; slot < this.replicas; slot++) this.spawn(slot);
  }

  private spawn(slot: number): OperatorProcess {
    const name = `${this.prefix}-${slot}-${this.generation++}`;
    const operator = new OperatorProcess(name, slot, this.kubeconfigPath, this.webhookPorts[slot]!, `https://127.0.0.1:${this.balancer.port}`, this.extraEnv);
    this.all.push(operator);
    this.current[slot] = operator;
    void operator.exited.then(() => {
      if (this.keepRunning && this.current[slot] === operator) {
        // As a kubelet would: start the container again after a short pause.
        setTimeout(() => {
          if (this.keepRunning && this.current[slot] === operator) {
            this.restarts++;
            this.spawn(slot);
          }
        }, 500);
      }
    });
    return operator;
  }

  /** The replica whose identity holds the Lease now (read from its log's 'acquired leadership' line). */
  async leader(host: ApiClient): Promise<OperatorProcess | undefined> {
    const lease = await host.tryGet<KubeObject & { spec?: { holderIdentity?: string } }>(Resources.Lease, LEASE, SYSTEM_NAMESPACE);
    const holder = lease?.spec?.holderIdentity;
    if (!holder) return undefined;
    return this.current.find((o) => o?.alive && o.identity() === holder);
  }

  async stop(): Promise<void> {
    this.keepRunning = false;
    await Promise.all(this.all.map((o) => o.kill('SIGKILL')));
    await this.balancer.stop();
  }

  peakRssMb(): number {
    return Math.round(Math.max(0, ...this.all.map((o) => o.peakRssKb)) / 1024);
  }

  /**
   * Unexpected exits: not killed by the test, and not the deliberate exit of a
   * leader that could not renew its lease in time (it stops at once so that
   * it never reconciles beside the next leader; the kubelet starts it again).
   */
  crashes(): string[] {
    return this.all
      .filter((o) => !o.alive && o.killedAt === undefined && o.child.exitCode !== 0 && !o.lines().some((l) => l.msg.startsWith('leader election lost')))
      .map(
        (o) =>
          `${o.name} exited with ${o.child.exitCode ?? o.child.signalCode}: ${o
            .lines()
            .filter((l) => l.level === 'error' || l.level === 'fatal')
            .slice(-3)
            .map((l) => l.msg)
            .join(' | ')}`,
      );
  }
}

export interface LeaseSample {
  readonly at: number;
  readonly holder: string;
  readonly transitions: number;
}

/** Polls the Lease and keeps every change of holder it saw. */
export class LeaseHistory {
  readonly samples: LeaseSample[] = [];
  private timer: NodeJS.Timeout | undefined;
  private inFlight = false;

  constructor(private readonly host: ApiClient) {}

  start(intervalMs = 200): void {
    this.timer = setInterval(() => {
      if (this.inFlight) return;
      this.inFlight = true;
      void this.host
        .tryGet<KubeObject & { spec?: { holderIdentity?: string; leaseTransitions?: number } }>(Resources.Lease, LEASE, SYSTEM_NAMESPACE)
        .then((lease) => {
          if (!lease?.spec) return;
          const holder = lease.spec.holderIdentity ?? '';
          const transitions = lease.spec.leaseTransitions ?? 0;
          const last = this.samples.at(-1);
          if (!last || last.holder !== holder || last.transitions !== transitions) this.samples.push({ at: Date.now(), holder, transitions });
        })
        .catch(() => undefined)
        .finally(() => (this.inFlight = false));
    }, intervalMs);
  }

  stop(): void {
    clearInterval(this.timer);
  }
}

export interface LeadershipReport {
  /** Leadership terms from the logs, in order: who, from when, its last reconcile. */
  readonly terms: Array<{ process: string; identity: string; acquiredAt: number; lastReconcileAt: number | undefined; reconciles: number }>;
  readonly reconciles: number;
  /** Reconcile lines from a replica that never led, or outside its own term. */
  readonly violations: string[];
  /** Distinct holders the Lease showed, and how many of them match a term in the logs. */
  readonly leaseHolders: number;
  readonly leaseTransitions: number;
}

const RECONCILE_MESSAGES = new Set(['reconciled', 'reconcile failed; will retry']);

/**
 * A reconcile of replica P ends ('reconciled' is logged at its end) before
 * the next leader acquired the Lease, and starts after P acquired it
 * (controllers start only on the leader): so no two replicas' reconciles
 * overlap in time when every P's reconcile lines fall in [acquired(P),
 * acquired(next leader)). The Lease history must name the same holders.
 */
export function leadershipReport(processes: readonly OperatorProcess[], lease: LeaseHistory): LeadershipReport {
  const terms: Array<{ process: OperatorProcess; identity: string; acquiredAt: number; lines: LogLine[] }> = [];
  const violations: string[] = [];
  const linesOf = new Map<OperatorProcess, LogLine[]>();
  const firstSeen = new Map<string, number>();
  for (const sample of lease.samples) if (sample.holder && !firstSeen.has(sample.holder)) firstSeen.set(sample.holder, sample.at);
  for (const p of processes) {
    const lines = p.lines();
    linesOf.set(p, lines);
    const identity = p.identity();
    // A term starts at the Lease write that won it: the replica logs 'new leader observed' (self) right after
    // that write and 'acquired leadership' right after that. A replica killed within that moment may have
    // lost both lines (stdout is written asynchronously); the Lease history then gives the start (a poll later).
    const won = lines.filter((l) => l.msg === 'acquired leadership' || (l.msg === 'new leader observed' && l.self === true));
    const acquisitions = new Set(lines.filter((l) => l.msg === 'acquired leadership').map((l) => l.time));
    if (acquisitions.size > 1) violations.push(`${p.name} acquired leadership ${acquisitions.size} times in one run`);
    const at = won[0]?.time ?? (identity ? firstSeen.get(identity) : undefined);
    if (at !== undefined && identity) terms.push({ process: p, identity, acquiredAt: at, lines });
  }
  terms.sort((a, b) => a.acquiredAt - b.acquiredAt);
  let reconciles = 0;
  const out: LeadershipReport['terms'] = [];
  for (const [i, term] of terms.entries()) {
    const next = terms[i + 1]?.acquiredAt ?? Number.POSITIVE_INFINITY;
    const own = term.lines.filter((l) => RECONCILE_MESSAGES.has(l.msg) && l.controller !== undefined);
    reconciles += own.length;
    for (const l of own) {
      if (l.time < term.acquiredAt)
        violations.push(
          `${term.process.name} reconciled ${l.key} at ${new Date(l.time).toISOString()} before it acquired the lease (${new Date(term.acquiredAt).toISOString()})`,
        );
      if (l.time >= next)
        violations.push(
          `${term.process.name} reconciled ${l.controller}/${l.key} at ${new Date(l.time).toISOString()}, after the next leader acquired the lease at ${new Date(next).toISOString()}`,
        );
    }
    out.push({ process: term.process.name, identity: term.identity, acquiredAt: term.acquiredAt, lastReconcileAt: own.at(-1)?.time, reconciles: own.length });
  }
  for (const p of processes) {
    if (terms.some((t) => t.process === p)) continue;
    const stray = (linesOf.get(p) ?? []).filter((l) => RECONCILE_MESSAGES.has(l.msg) && l.controller !== undefined);
    if (stray.length > 0) violations.push(`${p.name} never led but logged ${stray.length} reconciles (first ${stray[0]!.controller}/${stray[0]!.key})`);
  }
  const identities = new Set(terms.map((t) => t.identity));
  const holders = new Set(lease.samples.map((s) => s.holder).filter((h) => h !== ''));
  for (const h of holders) if (!identities.has(h)) violations.push(`the Lease named ${h} as holder, but no replica has that identity`);
  return { terms: out, reconciles, violations, leaseHolders: holders.size, leaseTransitions: lease.samples.at(-1)?.transitions ?? 0 };
}
