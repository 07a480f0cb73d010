import type { KubeConfigSource } from '../../runtime/kubeconfig.js';
import type { Cluster, ClusterStatus } from '../../crds/cluster.js';
import { findCondition, sameConditions, setConditions } from '../../kube/conditions.js';
import {
  isNotFound,
  MemberClusterUnavailableError,
  patchStatus,
  Resources,
  type Manager,
  type ReconcileContext,
  type ReconcileResult,
  type Request,
} from '../../runtime/index.js';
import { redact } from '../../runtime/redact.js';
import { allocatable, desiredTaints, msUntilTaint, probeIntervalMs, readyConditionUpdate, sameTaints, type ProbeOutcome } from './health.js';
import { discoverApis, listNodes, probeCluster } from './probe.js';

export const CONTROLLER_NAME = 'cluster-health';

/** Rediscover a member's APIs this often even when nothing changed (CRDs come and go). */
const DISCOVERY_TTL_MS = 5 * 60_000;
/** Write lastProbeTime at least this often when nothing else changed. */
const PROBE_TIME_REFRESH_MS = 60_000;

interface Discovery {
  readonly kubeConfig: KubeConfigSource;
  readonly version: string;
  readonly at: number;
  readonly apis: NonNullable<ClusterStatus['apiEnablements']>;
}

/**
 * Probes each registered Cluster through its kubeconfig Secret on an interval
 * and records what placement needs: Ready (with a reason an admin can act
 * on), version, allocatable, served APIs, and the unreachable taint once a
 * cluster has been NotReady for failoverAfterSeconds.
 */
export class ClusterHealthReconciler {
  private readonly discoveries = new Map<string, Discovery>();

  constructor(
    private readonly manager: Manager,
    private readonly clusters = manager.informer<Cluster>(Resources.Cluster),
    private readonly now: () => Date = () => new Date(),
  ) {}

  async reconcile(request: Request, context: ReconcileContext): Promise<ReconcileResult> {
    const cluster = this.clusters.get(request.name);
    if (!cluster) {
      this.discoveries.delete(request.name);
      return {};
    }
    const outcome = await this.probe(cluster);
    const now = this.now();
    const conditions = setConditions(cluster.status?.conditions, [readyConditionUpdate(outcome)], cluster.metadata.generation, now);
    const ready = findCondition(conditions, 'Ready');

    const taints = desiredTaints(cluster, ready, now);
    if (!sameTaints(taints, cluster.spec.taints)) {
      await this.writeTaints(cluster, taints);
      const added = taints.length > (cluster.spec.taints ?? []).length;
      if (added)
        context.events.warning(
          cluster,
          'Unreachable',
          `NotReady for ${cluster.spec.failoverAfterSeconds ?? 30}s: tainted canopy.dev/unreachable:NoExecute, workloads move elsewhere`,
        );
      else context.events.normal(cluster, 'Recovered', 'Ready again: removed the canopy.dev/unreachable taint');
      context.logger.info({ taints }, added ? 'cluster tainted unreachable' : 'unreachable taint removed');
    }

    const status = await this.statusFor(cluster, outcome, conditions, now);
    if (this.statusChanged(cluster.status, status, now)) {
      await patchStatus(this.manager.client, Resources.Cluster, cluster, status, context.signal);
      if (cluster.status && findCondition(cluster.status.conditions, 'Ready')?.status !== ready?.status) {
        if (outcome.ok) context.events.normal(cluster, 'Ready', readyConditionUpdate(outcome).message);
        else context.events.warning(cluster, outcome.reason, outcome.message);
      }
    }
    const untilTaint = msUntilTaint({ spec: { ...cluster.spec, taints } }, ready, now);
    return { requeueAfter: Math.min(probeIntervalMs(cluster), untilTaint ?? Infinity) };
  }

  private async probe(cluster: Cluster): Promise<ProbeOutcome> {
    try {
      const member = await this.manager.members.get(cluster.metadata.name!);
      return await probeCluster(member.kubeConfig);
    } catch (err) {
      if (err instanceof MemberClusterUnavailableError) return { ok: false, reason: err.reason, message: redact(err.message) };
      throw err;
    }
  }

  private async statusFor(cluster: Cluster, outcome: ProbeOutcome, conditions: ClusterStatus['conditions'], now: Date): Promise<ClusterStatus> {
    // status.scores belongs to the programs that write it: a merge patch resending the cached list could undo their newer write.
    const { scores: _scores, ...observed } = cluster.status ?? {};
    const status: ClusterStatus = {
      ...observed,
      conditions,
      lastProbeTime: now.toISOString(),
      observedGeneration: cluster.metadata.generation,
      allocatable: cluster.status?.allocatable ?? cluster.spec.capacity,
    };
    if (!outcome.ok) return status;
    status.kubernetesVersion = outcome.version;
    const discovery = await this.discovery(cluster, outcome.version, now);
    if (discovery) {
      status.apiEnablements = discovery.apis;
      status.allocatable = allocatable(await listNodes(discovery.kubeConfig), cluster.spec.capacity);
    }
    return status;
  }

  private async discovery(cluster: Cluster, version: string, now: Date): Promise<Discovery | undefined> {
    const member = await this.manager.members.get(cluster.metadata.name!);
    const cached = this.discoveries.get(cluster.metadata.name!);
    if (cached && cached.kubeConfig === member.kubeConfig && cached.version === version && now.getTime() - cached.at < DISCOVERY_TTL_MS) return cached;
    try {
      const fresh: Discovery = { kubeConfig: member.kubeConfig, version, at: now.getTime(), apis: await discoverApis(member.kubeConfig) };
      this.discoveries.set(cluster.metadata.name!, fresh);
      return fresh;
    } catch {
      return cached; // keep the last known API list through a discovery hiccup
    }
  }

  private statusChanged(before: ClusterStatus | undefined, after: ClusterStatus, now: Date): boolean {
    if (!before) return true;
    if (!sameConditions(before.conditions, after.conditions)) return true;
    if (before.kubernetesVersion !== after.kubernetesVersion || before.observedGeneration !== after.observedGeneration) return true;
    if (JSON.stringify(before.allocatable) !== JSON.stringify(after.allocatable)) return true;
    if (JSON.stringify(before.apiEnablements) !== JSON.stringify(after.apiEnablements)) return true;
    const lastProbe = before.lastProbeTime ? Date.parse(before.lastProbeTime) : 0;
    return now.getTime() - lastProbe >= PROBE_TIME_REFRESH_MS;
  }

  /** Optimistic (resourceVersion) so an admin's concurrent taint edit is never lost. */
  private async writeTaints(cluster: Cluster, taints: Cluster['spec']['taints']): Promise<void> {
    try {
      await this.manager.client.patch(
        Resources.Cluster,
        cluster.metadata.name!,
        undefined,
        { metadata: { resourceVersion: cluster.metadata.resourceVersion }, spec: { taints } },
        'merge',
      );
    } catch (err) {
      if (isNotFound(err)) return;
      throw err; // a conflict is retried with the fresh object
    }
  }
}

export function register(manager: Manager): void {
  const reconciler = new ClusterHealthReconciler(manager);
  const controller = manager.addController({ name: CONTROLLER_NAME, for: Resources.Cluster, concurrency: 4, reconciler });
  // The pool closes a member's client when its kubeconfig Secret changes or
  // disappears: probe again at once rather than at the next interval.
  manager.members.onClose((cluster) => controller.enqueue({ name: cluster }));
}
