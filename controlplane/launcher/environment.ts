import { generateKeyPairSync, randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { KubeConfig } from '@kubernetes/client-node';
import { ensureBinaries } from './binaries.js';
import { LaunchError } from './errors.js';
import { httpsGet } from './http.js';
import { kubeConfigFor, kubeconfigYaml } from './kubeconfig.js';
import { createNodes, DEFAULT_NODE_POOL, fakeNodes, type NodePoolSpec } from './nodes.js';
import { freePort, portInUse } from './ports.js';
import { ManagedProcess } from './process.js';
import { waitUntil } from './wait.js';

/** Non-admin identities every cluster knows (static tokens, no groups, no rights until RBAC grants some). */
export const TEST_USERS = ['alice', 'bob', 'carol', 'dave', 'erin'] as const;
export type TestUser = (typeof TEST_USERS)[number];

export interface MemberSpec {
  readonly name: string;
  readonly region: string;
  readonly provider: string;
  readonly labels: Readonly<Record<string, string>>;
  /** The member's fake Nodes (default DEFAULT_NODE_POOL: 3 × 4 CPU / 16 GiB, one per zone). */
  readonly nodes?: NodePoolSpec;
}

/** Three members shaped like real regions: one on-prem PCI site in the EU, two clouds. */
export const DEFAULT_MEMBERS: readonly MemberSpec[] = [
  { name: 'eu-1', region: 'eu-1', provider: 'onprem', labels: { 'canopy.dev/onprem': 'true', 'compliance/pci': 'true', 'canopy.dev/geo': 'eu' } },
  { name: 'eu-2', region: 'eu-2', provider: 'cloud-a', labels: { 'canopy.dev/cloud': 'true', 'canopy.dev/geo': 'eu' } },
  { name: 'us-1', region: 'us-1', provider: 'cloud-b', labels: { 'canopy.dev/cloud': 'true', 'canopy.dev/geo': 'us' } },
];

export interface LocalEnvironmentOptions {
  /** Member clusters besides the host; default DEFAULT_MEMBERS. */
  readonly members?: readonly MemberSpec[];
  /** Where state goes; default a fresh temp dir removed on stop. */
  readonly stateDir?: string;
  /** Also write `<cluster>.kubeconfig` (admin) here, e.g. `.canopy/dev`. */
  readonly kubeconfigDir?: string;
  /** Run kube-controller-manager per cluster (namespace deletion, GC, Deployments); default true. */
  readonly controllerManager?: boolean;
  /**
   * Give every member Nodes and pods that run: kube-scheduler plus kwok (a
   * fake kubelet for every Node) and the member's fake Nodes; default true.
   * Needs the controller manager.
   */
  readonly nodes?: boolean;
  /** How long one cluster may take to become ready; default 120 s. */
  readonly readyTimeoutMs?: number;
  readonly quiet?: boolean;
  /** Called with one line per component once it is up (npm start shows them). */
  readonly progress?: (line: string) => void;
  /** Fixed port for the host apiserver (default: any free port). */
  readonly hostPort?: number;
  /** Extra kube-apiserver flags for every cluster; they come last, so they win over the defaults (e.g. `--max-requests-inflight=1`). */
  readonly apiServerArgs?: readonly string[];
}

interface SharedFiles {
  readonly binDir: string;
  readonly tokensFile: string;
  readonly tokens: ReadonlyMap<string, string>;
  readonly etcdUrl: string;
  readonly readyTimeoutMs: number;
  readonly apiServerArgs: readonly string[];
}

/**
 * The controllers the local clusters need. Workloads run on kwok's fake nodes,
 * so the workload controllers are here; the node-lifecycle and cloud ones are
 * not (no kubelet heartbeats to judge, no cloud).
 */
const CONTROLLERS = [
  'namespace-controller',
  'garbage-collector-controller',
  'serviceaccount-controller',
  'serviceaccount-token-controller',
  'root-ca-certificate-publisher-controller',
  'deployment-controller',
  'replicaset-controller',
  'statefulset-controller',
  'daemonset-controller',
  'job-controller',
  'cronjob-controller',
  'ttl-after-finished-controller',
  'pod-garbage-collector-controller',
  'resourcequota-controller',
  // Aggregated ClusterRoles (Canopy's own operator role is one).
  'clusterrole-aggregation-controller',
].join(',');

/** Stages that make kwok behave like a fast kubelet (see the file's header). */
const KWOK_STAGES = join(dirname(fileURLToPath(import.meta.url)), 'kwok-stages.yaml');

/**
 * One kube-apiserver (+ optional kube-controller-manager) sharing the
 * environment's etcd; a member also runs kube-scheduler and kwok over its fake Nodes.
 */
export class ClusterHandle {
  readonly server: string;
  readonly kubeconfigPath: string;
  private readonly apiServer: ManagedProcess;
  private readonly controllerManager: ManagedProcess | undefined;
  private readonly scheduler: ManagedProcess | undefined;
  private readonly kwok: ManagedProcess | undefined;

  constructor(
    readonly name: string,
    readonly role: 'host' | 'member',
    readonly member: MemberSpec | undefined,
    readonly port: number,
    private readonly dir: string,
    private readonly shared: SharedFiles,
    withControllerManager: boolean,
    withNodes: boolean,
  ) {
    this.server = `https://127.0.0.1:${port}`;
    this.kubeconfigPath = join(dir, 'admin.kubeconfig');
    const certDir = join(dir, 'certs');
    mkdirSync(certDir, { recursive: true });
    const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
    writeFileSync(join(dir, 'sa.key'), privateKey.export({ type: 'pkcs1', format: 'pem' }));
    writeFileSync(join(dir, 'sa.pub'), publicKey.export({ type: 'spki', format: 'pem' }));
    this.apiServer = new ManagedProcess({
      label: `kube-apiserver (${name})`,
      binDir: shared.binDir,
      binary: 'kube-apiserver',
      logFile: join(dir, 'kube-apiserver.log'),
      args: [
        `--etcd-servers=${shared.etcdUrl}`,
        `--etcd-prefix=/clusters/${name}`,
        `--secure-port=${port}`,
        '--bind-address=127.0.0.1',
        '--advertise-address=127.0.0.1',
        `--cert-dir=${certDir}`,
        '--authorization-mode=RBAC',
        `--token-auth-file=${shared.tokensFile}`,
        `--service-account-issuer=https://${name}.clusters.canopy.local`,
        `--service-account-key-file=${join(dir, 'sa.pub')}`,
        `--service-account-signing-key-file=${join(dir, 'sa.key')}`,
        '--service-cluster-ip-range=10.96.0.0/16',
        '--allow-privileged=true',
        '--profiling=false',
        '--max-requests-inflight=1000',
        '--max-mutating-requests-inflight=500',
        '--v=1',
        ...shared.apiServerArgs,
      ],
    });
    this.controllerManager = withControllerManager
      ? new ManagedProcess({
          label: `kube-controller-manager (${name})`,
          binDir: shared.binDir,
          binary: 'kube-controller-manager',
          logFile: join(dir, 'kube-controller-manager.log'),
          args: [
            `--kubeconfig=${this.kubeconfigPath}`,
            '--secure-port=0',
            '--leader-elect=false',
            `--controllers=${CONTROLLERS}`,
            `--service-account-private-key-file=${join(dir, 'sa.key')}`,
            `--root-ca-file=${join(certDir, 'apiserver.crt')}`,
            '--kube-api-qps=200',
            '--kube-api-burst=400',
            '--concurrent-gc-syncs=10',
            '--concurrent-namespace-syncs=10',
            '--v=1',
          ],
        })
      : undefined;
    const runsNodes = withControllerManager && withNodes && role === 'member';
    this.scheduler = runsNodes
      ? new ManagedProcess({
          label: `kube-scheduler (${name})`,
          binDir: shared.binDir,
          binary: 'kube-scheduler',
          logFile: join(dir, 'kube-scheduler.log'),
          args: [`--kubeconfig=${this.kubeconfigPath}`, '--secure-port=0', '--leader-elect=false', '--kube-api-qps=200', '--kube-api-burst=400', '--v=1'],
        })
      : undefined;
    this.kwok = runsNodes
      ? new ManagedProcess({
          label: `kwok (${name})`,
          binDir: shared.binDir,
          binary: 'kwok',
          logFile: join(dir, 'kwok.log'),
          args: [
            `--kubeconfig=${this.kubeconfigPath}`,
            `--config=${KWOK_STAGES}`,
            // Every Node of the member is fake: kwok is the kubelet of all of them.
            '--manage-all-nodes=true',
            '--cidr=10.244.0.0/16',
            '--node-ip=127.0.0.1',
          ],
        })
      : undefined;
  }

  /** PEM bundle that verifies this apiserver (its self-signed cert file carries the CA). */
  get caPem(): string {
    return readFileSync(join(this.dir, 'certs', 'apiserver.crt'), 'utf8');
  }

  get adminToken(): string {
    return this.token('admin');
  }

  /** The apiserver's Prometheus metrics text (benchmarks and tests read its request and admission counters). */
  async metricsText(): Promise<string> {
    const { status, body } = await httpsGet(`${this.server}/metrics`, { ca: this.caPem, token: this.adminToken, timeoutMs: 10_000 });
    if (status !== 200) throw new Error(`GET ${this.server}/metrics: HTTP ${status}`);
    return body;
  }

  /** What this cluster runs, for progress lines: "kube-apiserver, kube-scheduler, kwok (3 nodes × 4 CPU / 16Gi)". */
  get components(): string {
    const parts = ['kube-apiserver'];
    if (this.controllerManager) parts.push('kube-controller-manager');
    if (this.scheduler) parts.push('kube-scheduler');
    if (this.kwok) {
      const pool = { ...DEFAULT_NODE_POOL, ...this.member?.nodes };
      parts.push(`kwok (${pool.count} nodes × ${pool.cpu} CPU / ${pool.memory})`);
    }
    return parts.join(', ');
  }

  get apiServerRunning(): boolean {
    return this.apiServer.running;
  }

  get processIds(): number[] {
    return [this.apiServer.pid, this.controllerManager?.pid, this.scheduler?.pid, this.kwok?.pid].filter((p): p is number => p !== undefined);
  }

  token(user: string): string {
    const token = this.shared.tokens.get(user);
    if (!token) throw new Error(`unknown local user ${user}; known: admin, ${[...this.shared.tokens.keys()].join(', ')}`);
    return token;
  }

  kubeconfigYaml(user = 'admin'): string {
    return kubeconfigYaml({ clusterName: this.name, server: this.server, caPem: this.caPem, userName: user, token: this.token(user) });
  }

  /** Admin (system:masters) client configuration. */
  kubeConfig(): KubeConfig {
    return this.userKubeConfig('admin');
  }

  /** Client configuration for a static-token user; RBAC decides what it may do. */
  userKubeConfig(user: TestUser | 'admin'): KubeConfig {
    return kubeConfigFor({ clusterName: this.name, server: this.server, caPem: this.caPem, userName: user, token: this.token(user) });
  }

  /** Starts kube-apiserver and waits for /readyz; then kube-controller-manager, and on a member its Nodes, kube-scheduler and kwok. */
  async startApiServer(): Promise<void> {
    this.apiServer.start();
    await this.waitReady();
    writeFileSync(this.kubeconfigPath, this.kubeconfigYaml());
    this.controllerManager?.start();
    if (this.kwok && this.member) {
      // Nodes first, so the scheduler's first look already finds them (idempotent after a restart).
      await createNodes(this.kubeConfig(), fakeNodes(this.name, this.member.region, this.member.nodes));
      this.scheduler?.start();
      this.kwok.start();
    }
  }

  /** Stops kube-apiserver and everything that talks to it, as an outage would. */
  async stopApiServer(): Promise<void> {
    await Promise.all([this.kwok?.stop(), this.scheduler?.stop(), this.controllerManager?.stop()]);
    await this.apiServer.stop();
  }

  async restartApiServer(): Promise<void> {
    await this.stopApiServer();
    await this.startApiServer();
  }

  async stop(): Promise<void> {
    await this.stopApiServer();
  }

  private async waitReady(): Promise<void> {
    let lastError = 'no answer yet';
    const exited = this.apiServer.waitForExit().then(() => true);
    let processGone = false;
    void exited.then(() => (processGone = true));
    const ready = await waitUntil(this.shared.readyTimeoutMs, 250, async () => {
      if (processGone) return true;
      if (!existsSync(join(this.dir, 'certs', 'apiserver.crt'))) return false;
      try {
        const probe = await httpsGet(`${this.server}/readyz`, { ca: this.caPem, token: this.adminToken });
        if (probe.status === 200) return true;
        lastError = `/readyz answered ${probe.status}: ${
          probe.body
            .split('\n')
            .filter((l) => l.includes('[-]'))
            .join(' ') || probe.body.slice(0, 200)
        }`;
      } catch (err) {
        lastError = (err as Error).message;
      }
      return false;
    });
    if (processGone || !this.apiServer.running) {
      const tail = this.apiServer.logTail(20);
      const cause = /address already in use/.test(tail) ? `port ${this.port} is already in use; stop whatever listens there or retry` : tail.split('\n').pop();
      throw new LaunchError(`kube-apiserver for cluster ${this.name} exited during start: ${cause} (log: ${join(this.dir, 'kube-apiserver.log')})`);
    }
    if (!ready) {
      throw new LaunchError(
        `cluster ${this.name} did not become ready within ${this.shared.readyTimeoutMs / 1000}s: ${lastError} (log: ${join(this.dir, 'kube-apiserver.log')})`,
      );
    }
  }
}

/**
 * A host control plane plus member clusters on loopback, each a real
 * kube-apiserver with RBAC on, all backed by one real etcd (distinct prefixes).
 */
export class LocalEnvironment {
  private stopped = false;

  private constructor(
    readonly host: ClusterHandle,
    readonly members: readonly ClusterHandle[],
    readonly binDir: string,
    readonly stateDir: string,
    private readonly etcd: ManagedProcess,
    private readonly removeStateOnStop: boolean,
  ) {}

  get clusters(): readonly ClusterHandle[] {
    return [this.host, ...this.members];
  }

  cluster(name: string): ClusterHandle {
    const found = this.clusters.find((c) => c.name === name);
    if (!found) throw new Error(`no cluster ${name} in this environment (have ${this.clusters.map((c) => c.name).join(', ')})`);
    return found;
  }

  /** PIDs of every process the environment runs (for leak checks). */
  get processIds(): number[] {
    return [...(this.etcd.pid ? [this.etcd.pid] : []), ...this.clusters.flatMap((c) => c.processIds)];
  }

  static async start(options: LocalEnvironmentOptions = {}): Promise<LocalEnvironment> {
    if (options.hostPort !== undefined && (await portInUse(options.hostPort))) {
      throw new LaunchError(`port ${options.hostPort} for the host apiserver is already in use; stop what listens there or choose another port`);
    }
    const binDir = await ensureBinaries({ quiet: options.quiet ?? false });
    const removeStateOnStop = options.stateDir === undefined;
    const stateDir = options.stateDir ?? mkdtempSync(join(tmpdir(), 'canopy-env-'));
    mkdirSync(stateDir, { recursive: true });

    const tokens = new Map<string, string>([['admin', randomBytes(24).toString('hex')]]);
    for (const user of TEST_USERS) tokens.set(user, randomBytes(24).toString('hex'));
    const tokensFile = join(stateDir, 'tokens.csv');
    writeFileSync(tokensFile, `${[...tokens].map(([user, token]) => `${token},${user},${user}${user === 'admin' ? ',"system:masters"' : ''}`).join('\n')}\n`, {
      mode: 0o600,
    });

    const progress = options.progress ?? (() => undefined);
    const began = Date.now();
    const elapsed = () => `${((Date.now() - began) / 1000).toFixed(1)}s`;
    const etcd = await startEtcd(binDir, stateDir);
    progress(`etcd ready (${elapsed()})`);
    const shared: SharedFiles = {
      binDir,
      tokensFile,
      tokens,
      etcdUrl: etcd.url,
      readyTimeoutMs: options.readyTimeoutMs ?? 120_000,
      apiServerArgs: options.apiServerArgs ?? [],
    };
    const withKcm = options.controllerManager ?? true;
    const withNodes = options.nodes ?? true;
    const makeCluster = async (name: string, role: 'host' | 'member', member?: MemberSpec) => {
      const dir = join(stateDir, 'clusters', name);
      mkdirSync(dir, { recursive: true });
      const port = role === 'host' && options.hostPort !== undefined ? options.hostPort : await freePort();
      return new ClusterHandle(name, role, member, port, dir, shared, withKcm, withNodes);
    };
    const host = await makeCluster('host', 'host');
    const members: ClusterHandle[] = [];
    for (const spec of options.members ?? DEFAULT_MEMBERS) members.push(await makeCluster(spec.name, 'member', spec));
    const env = new LocalEnvironment(host, members, binDir, stateDir, etcd.process, removeStateOnStop);
    try {
      await Promise.all(
        env.clusters.map(async (c) => {
          await c.startApiServer();
          progress(`${c.name}: ${c.components} ready (${elapsed()})`);
        }),
      );
      if (options.kubeconfigDir) {
        mkdirSync(options.kubeconfigDir, { recursive: true });
        for (const c of env.clusters) writeFileSync(join(options.kubeconfigDir, `${c.name}.kubeconfig`), c.kubeconfigYaml(), { mode: 0o600 });
      }
    } catch (err) {
      await env.stop();
      throw err;
    }
    return env;
  }

  /** Stops every process (controller managers, apiservers, then etcd) and removes temp state. */
  async stop(): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    await Promise.all(this.clusters.map((c) => c.stop()));
    await this.etcd.stop();
    if (this.removeStateOnStop) rmSync(this.stateDir, { recursive: true, force: true });
  }
}

async function startEtcd(binDir: string, stateDir: string): Promise<{ process: ManagedProcess; url: string }> {
  const clientPort = await freePort();
  const peerPort = await freePort();
  const url = `http://127.0.0.1:${clientPort}`;
  const peerUrl = `http://127.0.0.1:${peerPort}`;
  const etcd = new ManagedProcess({
    label: 'etcd',
    binDir,
    binary: 'etcd',
    logFile: join(stateDir, 'etcd.log'),
    args: [
      `--data-dir=${join(stateDir, 'etcd')}`,
      `--listen-client-urls=${url}`,
      `--advertise-client-urls=${url}`,
      `--listen-peer-urls=${peerUrl}`,
      `--initial-advertise-peer-urls=${peerUrl}`,
      `--initial-cluster=default=${peerUrl}`,
      // Local, disposable data: durability buys nothing and fsync costs a lot.
      '--unsafe-no-fsync',
      '--quota-backend-bytes=8589934592',
      '--log-level=warn',
    ],
  });
  etcd.start();
  let gone = false;
  void etcd.waitForExit().then(() => (gone = true));
  const healthy = await waitUntil(30_000, 200, async () => {
    if (gone) return true;
    try {
      const res = await fetch(`${url}/health`);
      return res.ok;
    } catch {
      return false;
    }
  });
  if (gone || !healthy) {
    await etcd.stop();
    const tail = etcd.logTail(10);
    const cause = /address already in use/.test(tail) ? `port ${clientPort} or ${peerPort} is already in use` : tail.split('\n').pop();
    throw new LaunchError(`etcd did not start: ${cause} (log: ${join(stateDir, 'etcd.log')})`);
  }
  return { process: etcd, url };
}
