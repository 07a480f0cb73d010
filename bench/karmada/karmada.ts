/**
 * Karmada's control plane on loopback, for the head-to-head benchmark: a
 * kube-apiserver of the LocalEnvironment as Karmada's apiserver, Karmada's
 * CRDs (plus this folder's Cluster stand-in), karmada-webhook with a
 * generated serving certificate registered like the chart registers it,
 * karmada-controller-manager and karmada-scheduler, and the members joined in
 * Push mode with the objects `karmadactl join` creates (a credentials Secret
 * and an impersonator Secret in karmada-cluster, and the Cluster).
 *
 * Karmada's binaries are prebuilt and not part of this repository: this only
 * runs them, from $CANOPY_KARMADA_BIN, after checking their version.
 */
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { closeSync, existsSync, mkdirSync, openSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { KubernetesObject } from '@kubernetes/client-node';
import { parseAllDocuments } from 'yaml';
import type { ClusterHandle } from '../../controlplane/launcher/index.js';
import { httpsGet } from '../../controlplane/launcher/http.js';
import { freePort } from '../../controlplane/launcher/ports.js';
import { applyManifests } from '../../src/dev/manifests.js';
import { ApiClient, type KubeObject, type ResourceRef } from '../../src/runtime/index.js';
import { generateServingCertificate } from '../../src/webhooks/certificates.js';

/** The Karmada release the benchmark was written and recorded against. */
export const KARMADA_VERSION = 'v1.18.2';
export const KARMADA_BINARIES = ['karmada-controller-manager', 'karmada-scheduler', 'karmada-webhook'] as const;
export type KarmadaBinary = (typeof KARMADA_BINARIES)[number];

const here = dirname(fileURLToPath(import.meta.url));
const CLUSTER_NAMESPACE = 'karmada-cluster';
const SYSTEM_NAMESPACE = 'karmada-system';

export const KarmadaResources = {
  Cluster: { apiVersion: 'cluster.karmada.io/v1alpha1', kind: 'Cluster', plural: 'clusters', namespaced: false },
  ResourceBinding: { apiVersion: 'work.karmada.io/v1alpha2', kind: 'ResourceBinding', plural: 'resourcebindings', namespaced: true },
  Work: { apiVersion: 'work.karmada.io/v1alpha1', kind: 'Work', plural: 'works', namespaced: true },
  PropagationPolicy: { apiVersion: 'policy.karmada.io/v1alpha1', kind: 'PropagationPolicy', plural: 'propagationpolicies', namespaced: true },
} as const satisfies Record<string, ResourceRef>;

export class KarmadaSetupError extends Error {}

/** Where the prebuilt binaries and the CRDs are, from the environment; a clear error when absent or of another version. */
export function karmadaInputs(): { binDir: string; crdDir: string } {
  const binDir = process.env.CANOPY_KARMADA_BIN;
  const crdDir = process.env.CANOPY_KARMADA_CRDS;
  const usage =
    `Set CANOPY_KARMADA_BIN to a directory with ${KARMADA_BINARIES.join(', ')} of Karmada ${KARMADA_VERSION}, ` +
    `and CANOPY_KARMADA_CRDS to the charts/karmada/_crds/bases directory of the same release (see docs/benchmarks.md, "Against Karmada").`;
  if (!binDir || !crdDir) throw new KarmadaSetupError(`Karmada is not available. ${usage}`);
  for (const binary of KARMADA_BINARIES) {
    const path = join(binDir, binary);
    if (!existsSync(path)) throw new KarmadaSetupError(`${path} is missing. ${usage}`);
    let out: string;
    try {
      out = execFileSync(path, ['version'], { encoding: 'utf8', timeout: 30_000 });
    } catch (err) {
      throw new KarmadaSetupError(`${path} version failed: ${(err as Error).message}`);
    }
    if (!out.includes(`GitVersion:"${KARMADA_VERSION}"`)) throw new KarmadaSetupError(`${path} is not Karmada ${KARMADA_VERSION}: ${out.trim()}`);
  }
  if (!existsSync(join(crdDir, 'work', 'work.karmada.io_resourcebindings.yaml')))
    throw new KarmadaSetupError(`${crdDir} has no work/work.karmada.io_resourcebindings.yaml. ${usage}`);
  return { binDir, crdDir };
}

function yamlFiles(dir: string): string[] {
  return readdirSync(dir)
    .sort()
    .flatMap((f) => {
      const path = join(dir, f);
      if (statSync(path).isDirectory()) return yamlFiles(path);
      return f.endsWith('.yaml') ? [path] : [];
    });
}

function readYaml(path: string): KubeObject[] {
  return parseAllDocuments(readFileSync(path, 'utf8'))
    .map((d) => d.toJSON() as KubeObject | null)
    .filter((o): o is KubeObject => o !== null && typeof o === 'object' && 'kind' in o);
}

/** The flags that differ between "as shipped" and "limits lifted"; everything else stays at Karmada's defaults. */
export interface KarmadaTuning {
  readonly label: 'shipped' | 'lifted';
  readonly controllerManager: readonly string[];
  readonly scheduler: readonly string[];
}

export const KARMADA_SHIPPED: KarmadaTuning = { label: 'shipped', controllerManager: [], scheduler: [] };
/** Client QPS, the work-queue token bucket and the worker counts raised far above what the benchmark can use. */
export const KARMADA_LIFTED: KarmadaTuning = {
  label: 'lifted',
  controllerManager: [
    '--kube-api-qps=5000',
    '--kube-api-burst=10000',
    '--cluster-api-qps=5000',
    '--cluster-api-burst=10000',
    '--rate-limiter-qps=5000',
    '--rate-limiter-bucket-size=10000',
    '--concurrent-resource-template-syncs=64',
    '--concurrent-resourcebinding-syncs=64',
    '--concurrent-work-syncs=64',
  ],
  scheduler: ['--kube-api-qps=5000', '--kube-api-burst=10000', '--rate-limiter-qps=5000', '--rate-limiter-bucket-size=10000'],
};

/**
 * Cluster failover, off by default in Karmada: the Failover feature gate, the
 * cluster probed every second and judged failed after 5 s (Canopy's failover
 * run: probe every 1 s, failoverAfterSeconds 5), and a ClusterTaintPolicy that
 * puts the NoExecute not-ready taint on a cluster whose Ready condition is
 * False or Unknown (NoExecute taints must be allowed by the webhook). Workloads
 * tolerate it for the policy's tolerationSeconds, then the taint manager
 * evicts them and the scheduler places their replicas on the other members.
 */
export const KARMADA_FAILOVER = {
  controllerManager: [
    '--feature-gates=Failover=true',
    '--enable-no-execute-taint-eviction=true',
    '--cluster-status-update-frequency=1s',
    '--cluster-failure-threshold=5s',
  ],
  /**
   * With the other limits lifted, failover is still paced by the taint manager's eviction rate
   * (--resource-eviction-rate, 0.5 objects/s by default, on purpose); lifted with them.
   */
  lifted: ['--resource-eviction-rate=5000'],
  webhook: ['--allow-no-execute-taint-policy=true'],
  taintPolicy: {
    apiVersion: 'policy.karmada.io/v1alpha1',
    kind: 'ClusterTaintPolicy',
    metadata: { name: 'not-ready-no-execute' },
    spec: {
      addOnConditions: [{ conditionType: 'Ready', operator: 'In', statusValues: ['False', 'Unknown'] }],
      removeOnConditions: [{ conditionType: 'Ready', operator: 'In', statusValues: ['True'] }],
      taints: [{ key: 'cluster.karmada.io/not-ready', effect: 'NoExecute' }],
    },
  } as KubernetesObject,
} as const;

class KarmadaProcess {
  private child: ChildProcess | undefined;
  private exit: Promise<void> = Promise.resolve();
  constructor(
    readonly name: KarmadaBinary,
    private readonly path: string,
    readonly args: readonly string[],
    private readonly logFile: string,
  ) {}
  get pid(): number | undefined {
    return this.child?.exitCode === null ? this.child.pid : undefined;
  }
  start(): void {
    const log = openSync(this.logFile, 'a');
    const child = spawn(this.path, [...this.args], { stdio: ['ignore', log, log] });
    closeSync(log);
    this.child = child;
    this.exit = new Promise((resolve) => child.once('exit', () => resolve()));
    live.add(this);
    void this.exit.then(() => live.delete(this));
  }
  async stop(): Promise<void> {
    if (!this.child || this.child.exitCode !== null) return;
    this.child.kill('SIGTERM');
    const timer = setTimeout(() => this.child?.kill('SIGKILL'), 10_000);
    await this.exit;
    clearTimeout(timer);
  }
  killNow(): void {
    if (this.child && this.child.exitCode === null) this.child.kill('SIGKILL');
  }
  logTail(lines = 10): string {
    try {
      return readFileSync(this.logFile, 'utf8').trim().split('\n').slice(-lines).join('\n');
    } catch {
      return '';
    }
  }
}
const live = new Set<KarmadaProcess>();
process.on('exit', () => {
  for (const p of live) p.killNow();
});

/** The webhook entries of Karmada's chart on the measured path (policies, bindings, works, deletion protection). */
function webhookConfigurations(base: string, caBundle: string): KubeObject[] {
  const entry = (name: string, path: string, group: string, resource: string, scope: string, operations: string[], extra: Record<string, unknown> = {}) => ({
    name,
    rules: [{ operations, apiGroups: [group], apiVersions: ['*'], resources: [resource], scope }],
    clientConfig: { url: `${base}${path}`, caBundle },
    failurePolicy: 'Fail',
    sideEffects: 'None',
    admissionReviewVersions: ['v1'],
    timeoutSeconds: 3,
    ...extra,
  });
  const cu = ['CREATE', 'UPDATE'];
  return [
    {
      apiVersion: 'admissionregistration.k8s.io/v1',
      kind: 'MutatingWebhookConfiguration',
      metadata: { name: 'mutating-config' },
      webhooks: [
        entry('propagationpolicy.karmada.io', '/mutate-propagationpolicy', 'policy.karmada.io', 'propagationpolicies', 'Namespaced', cu),
        entry('clusterpropagationpolicy.karmada.io', '/mutate-clusterpropagationpolicy', 'policy.karmada.io', 'clusterpropagationpolicies', 'Cluster', cu),
        entry('overridepolicy.karmada.io', '/mutate-overridepolicy', 'policy.karmada.io', 'overridepolicies', 'Namespaced', cu),
        entry('resourcebinding.karmada.io', '/mutate-resourcebinding', 'work.karmada.io', 'resourcebindings', 'Namespaced', ['CREATE']),
        entry('clusterresourcebinding.karmada.io', '/mutate-clusterresourcebinding', 'work.karmada.io', 'clusterresourcebindings', 'Cluster', ['CREATE']),
        entry('work.karmada.io', '/mutate-work', 'work.karmada.io', 'works', 'Namespaced', cu),
      ],
    } as KubeObject,
    {
      apiVersion: 'admissionregistration.k8s.io/v1',
      kind: 'ValidatingWebhookConfiguration',
      metadata: { name: 'validating-config' },
      webhooks: [
        entry('propagationpolicy.karmada.io', '/validate-propagationpolicy', 'policy.karmada.io', 'propagationpolicies', 'Namespaced', cu),
        entry('clusterpropagationpolicy.karmada.io', '/validate-clusterpropagationpolicy', 'policy.karmada.io', 'clusterpropagationpolicies', 'Cluster', cu),
        entry('overridepolicy.karmada.io', '/validate-overridepolicy', 'policy.karmada.io', 'overridepolicies', 'Namespaced', cu),
        entry('clusteroverridepolicy.karmada.io', '/validate-clusteroverridepolicy', 'policy.karmada.io', 'clusteroverridepolicies', 'Cluster', cu),
        entry('resourcedeletionprotection.karmada.io', '/validate-resourcedeletionprotection', '*', '*', '*', ['DELETE'], {
          objectSelector: { matchExpressions: [{ key: 'resourcetemplate.karmada.io/deletion-protected', operator: 'Exists' }] },
        }),
        entry('resourcebinding.karmada.io', '/validate-resourcebinding', 'work.karmada.io', 'resourcebindings', 'Namespaced', cu, {
          sideEffects: 'NoneOnDryRun',
        }),
      ],
    } as KubeObject,
  ];
}

async function until(check: () => Promise<boolean>, timeoutMs: number, what: string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let last = '';
  while (Date.now() < deadline) {
    try {
      if (await check()) return;
    } catch (err) {
      last = (err as Error).message;
    }
    await new Promise((r) => setTimeout(r, 250));
  }
  throw new KarmadaSetupError(`${what} within ${timeoutMs / 1000} s${last ? `: ${last}` : ''}`);
}

type ClusterObject = KubeObject & { status?: { conditions?: Array<{ type: string; status: string }> } };

/** A running Karmada control plane (webhook, controller-manager, scheduler) over `apiserver`, members joined. */
export class KarmadaControlPlane {
  private constructor(
    readonly apiserver: ClusterHandle,
    readonly processes: readonly KarmadaProcess[],
    readonly tuning: KarmadaTuning,
  ) {}

  /** PIDs of the three Karmada processes (for CPU and RSS). */
  get processIds(): Record<KarmadaBinary, number | undefined> {
    return Object.fromEntries(this.processes.map((p) => [p.name, p.pid])) as Record<KarmadaBinary, number | undefined>;
  }

  /** The exact command lines, for the record. */
  get commandLines(): Record<string, string> {
    return Object.fromEntries(this.processes.map((p) => [p.name, p.args.filter((a) => !a.includes('/tmp/')).join(' ')]));
  }

  static async start(options: {
    apiserver: ClusterHandle;
    members: readonly ClusterHandle[];
    stateDir: string;
    tuning: KarmadaTuning;
    /** Cluster failover as Karmada documents it (see KARMADA_FAILOVER): feature gate, probe timings, NoExecute taint policy. */
    failover?: boolean;
  }): Promise<KarmadaControlPlane> {
    const { binDir, crdDir } = karmadaInputs();
    const { apiserver, members, stateDir, tuning } = options;
    mkdirSync(stateDir, { recursive: true });
    const kc = apiserver.kubeConfig();
    const client = new ApiClient(kc);
    try {
      // CRDs: Karmada's own, and the Cluster stand-in for its aggregated API.
      const crds = [...yamlFiles(crdDir).flatMap(readYaml), ...readYaml(join(here, 'cluster-crd.yaml'))].filter((o) => o.kind === 'CustomResourceDefinition');
      await applyManifests(kc, crds as KubernetesObject[]);
      await until(
        async () => {
          const list = await client.listAll({
            apiVersion: 'apiextensions.k8s.io/v1',
            kind: 'CustomResourceDefinition',
            plural: 'customresourcedefinitions',
            namespaced: false,
          });
          const established = new Set(
            list
              .filter((c) =>
                (c as { status?: { conditions?: Array<{ type: string; status: string }> } }).status?.conditions?.some(
                  (x) => x.type === 'Established' && x.status === 'True',
                ),
              )
              .map((c) => c.metadata?.name),
          );
          return crds.every((c) => established.has(c.metadata?.name));
        },
        60_000,
        'Karmada CRDs not established',
      );
      await applyManifests(kc, [
        { apiVersion: 'v1', kind: 'Namespace', metadata: { name: SYSTEM_NAMESPACE } },
        { apiVersion: 'v1', kind: 'Namespace', metadata: { name: CLUSTER_NAMESPACE, labels: { 'karmada.io/system': 'true' } } },
      ]);

      // karmada-webhook, serving on loopback with a generated certificate.
      const certDir = join(stateDir, 'webhook-certs');
      mkdirSync(certDir, { recursive: true });
      const cert = await generateServingCertificate({ hosts: ['127.0.0.1', 'localhost'], validityMs: 24 * 3600_000, caName: 'karmada-webhook-ca' });
      writeFileSync(join(certDir, 'tls.crt'), cert.certPem);
      writeFileSync(join(certDir, 'tls.key'), cert.keyPem, { mode: 0o600 });
      const kubeconfig = join(stateDir, 'karmada.kubeconfig');
      writeFileSync(kubeconfig, apiserver.kubeconfigYaml(), { mode: 0o600 });
      const webhookPort = await freePort();
      const ports = { webhookMetrics: await freePort(), webhookHealth: await freePort(), cmMetrics: await freePort(), cmHealth: await freePort() };
      const schedPorts = { metrics: await freePort(), health: await freePort() };
      const webhook = new KarmadaProcess(
        'karmada-webhook',
        join(binDir, 'karmada-webhook'),
        [
          `--kubeconfig=${kubeconfig}`,
          '--bind-address=127.0.0.1',
          `--secure-port=${webhookPort}`,
          `--cert-dir=${certDir}`,
          `--metrics-bind-address=127.0.0.1:${ports.webhookMetrics}`,
          `--health-probe-bind-address=127.0.0.1:${ports.webhookHealth}`,
          '--v=2',
          ...(options.failover ? KARMADA_FAILOVER.webhook : []),
        ],
        join(stateDir, 'karmada-webhook.log'),
      );
      webhook.start();
      // It registers no readiness check; serving TLS with the generated certificate is what matters.
      await until(
        async () => {
          if (webhook.pid === undefined) throw new KarmadaSetupError(`karmada-webhook exited: ${webhook.logTail(5)}`);
          await httpsGet(`https://127.0.0.1:${webhookPort}/mutate-work`, { ca: cert.caPem, token: 'none', timeoutMs: 2000 });
          return true;
        },
        120_000,
        `karmada-webhook not serving (log: ${join(stateDir, 'karmada-webhook.log')})`,
      );
      await applyManifests(kc, webhookConfigurations(`https://127.0.0.1:${webhookPort}`, Buffer.from(cert.caPem).toString('base64')) as KubernetesObject[]);

      // Join the members in Push mode: what `karmadactl join` writes to the control plane.
      for (const m of members) {
        const memberClient = new ApiClient(m.kubeConfig());
        const kubeSystem = await memberClient.get({ apiVersion: 'v1', kind: 'Namespace', plural: 'namespaces', namespaced: false }, 'kube-system');
        memberClient.close();
        const secretData = { token: Buffer.from(m.adminToken).toString('base64') };
        await applyManifests(kc, [
          {
            apiVersion: 'v1',
            kind: 'Secret',
            metadata: { name: m.name, namespace: CLUSTER_NAMESPACE, labels: { 'karmada.io/system': 'true' } },
            data: { ...secretData, caBundle: Buffer.from(m.caPem).toString('base64') },
          } as KubernetesObject,
          {
            apiVersion: 'v1',
            kind: 'Secret',
            metadata: { name: `${m.name}-impersonator`, namespace: CLUSTER_NAMESPACE, labels: { 'karmada.io/system': 'true' } },
            data: secretData,
          } as KubernetesObject,
          {
            apiVersion: 'cluster.karmada.io/v1alpha1',
            kind: 'Cluster',
            metadata: { name: m.name },
            spec: {
              id: kubeSystem?.metadata?.uid,
              syncMode: 'Push',
              apiEndpoint: m.server,
              secretRef: { namespace: CLUSTER_NAMESPACE, name: m.name },
              impersonatorSecretRef: { namespace: CLUSTER_NAMESPACE, name: `${m.name}-impersonator` },
              ...(m.member ? { region: m.member.region, provider: m.member.provider } : {}),
            },
          } as KubernetesObject,
        ]);
      }

      const controllerManager = new KarmadaProcess(
        'karmada-controller-manager',
        join(binDir, 'karmada-controller-manager'),
        [
          `--kubeconfig=${kubeconfig}`,
          '--leader-elect=false',
          `--metrics-bind-address=127.0.0.1:${ports.cmMetrics}`,
          `--health-probe-bind-address=127.0.0.1:${ports.cmHealth}`,
          '--v=2',
          ...tuning.controllerManager,
          ...(options.failover ? KARMADA_FAILOVER.controllerManager : []),
          ...(options.failover && tuning.label === 'lifted' ? KARMADA_FAILOVER.lifted : []),
        ],
        join(stateDir, 'karmada-controller-manager.log'),
      );
      const scheduler = new KarmadaProcess(
        'karmada-scheduler',
        join(binDir, 'karmada-scheduler'),
        [
          `--kubeconfig=${kubeconfig}`,
          '--leader-elect=false',
          `--metrics-bind-address=127.0.0.1:${schedPorts.metrics}`,
          `--health-probe-bind-address=127.0.0.1:${schedPorts.health}`,
          '--v=2',
          ...tuning.scheduler,
        ],
        join(stateDir, 'karmada-scheduler.log'),
      );
      if (options.failover) await applyManifests(kc, [KARMADA_FAILOVER.taintPolicy]);
      controllerManager.start();
      scheduler.start();
      const plane = new KarmadaControlPlane(apiserver, [webhook, controllerManager, scheduler], tuning);
      try {
        await until(
          async () => {
            for (const p of plane.processes) if (p.pid === undefined) throw new KarmadaSetupError(`${p.name} exited: ${p.logTail(5)}`);
            const clusters = (await client.listAll(KarmadaResources.Cluster)) as ClusterObject[];
            return clusters.length === members.length && clusters.every((c) => c.status?.conditions?.some((x) => x.type === 'Ready' && x.status === 'True'));
          },
          180_000,
          `Karmada did not report the ${members.length} members Ready (logs in ${stateDir})`,
        );
      } catch (err) {
        await plane.stop();
        throw err;
      }
      return plane;
    } catch (err) {
      for (const p of live) p.killNow();
      throw err;
    } finally {
      client.close();
    }
  }

  async stop(): Promise<void> {
    await Promise.all(this.processes.map((p) => p.stop()));
  }
}
