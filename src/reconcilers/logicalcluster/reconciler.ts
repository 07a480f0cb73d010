/**
 * The LogicalCluster reconciler's shell: reads the caches, asks plan() what
 * the logical cluster should be, and makes it so on the host and (Cluster
 * mode) the bound member: finalizer first, namespaces, the objects inside,
 * the kubeconfig Secret with a fresh token when due, then status. Deletion
 * removes the namespaces on every cluster the logical cluster touched before
 * the finalizer is released.
 */

import type { LogicalClusterLike } from '../../hierarchy/logical-cluster.js';
import { createHash } from 'node:crypto';
import { redact } from '../../runtime/redact.js';
import type { KubernetesObject } from '@kubernetes/client-node';
import {
  isConflict,
  isNotFound,
  MemberClusterUnavailableError,
  patchStatus,
  Resources,
  type ApiClient,
  type Informer,
  type KubeObject,
  type MemberClusterPool,
  type ReconcileContext,
  type ReconcileResult,
  type Reconciler,
  type Request,
} from '../../runtime/index.js';
import { currentBindings, otherClaims, workspaceView, type Lookup, type WorkspaceLike } from './context.js';
import { FINALIZER, KUBECONFIG_KEY, belongsTo, kubeconfigSecretName } from './names.js';
import { KubeconfigIssuer } from './issuer.js';
import { applyAll, cleanup, ensureNamespace, NamespaceConflictError, NamespaceTerminatingError, prune } from './ops.js';
import { plan, type Failure, type Plan } from './plan.js';
import { announceRelease, ANNOTATION_FORCE_FINALIZE, DEFAULT_FINALIZER_TIMEOUT_MS, finalizerWait, timestampText } from '../../runtime/finalizer-timeout.js';
import { hasWorkspaceLimits } from './limits.js';
import { UNCONSTRAINED } from '../../hierarchy/constraints.js';
import { ConditionTypes, nextStatus, statusChanged, statusDigest, type ConditionInput, type Outcome } from './status.js';
import type { KubeconfigEndpoint, ServerEndpoint } from './target.js';
import { endpointOf } from './target.js';
import type { ClusterLike } from './types.js';
import {
  doneMessage,
  InitializedReasons,
  initializersFixed,
  nextWaitedChangeMs,
  pendingInitializers,
  waitingMessage,
  workspaceInitializers,
} from './initializers.js';

export type LogicalClusterObject = KubeObject & LogicalClusterLike;
export type WorkspaceObject = KubeObject & WorkspaceLike;
export type ClusterObject = KubeObject & ClusterLike;

export interface LogicalClusterReconcilerOptions {
  /** Server and CA tenants use for the host; default: those of the operator's own KubeConfig. */
  readonly hostEndpoint?: ServerEndpoint;
  /** Points tenant kubeconfigs at the tenant gateway (both modes) when it resolves to an endpoint; default: direct. */
  readonly kubeconfigEndpoint?: KubeconfigEndpoint;
  /** Re-apply unchanged objects (repairing drift) at most this often; default 1 h. */
  readonly reapplyAfterMs?: number;
  /** How often deletion checks whether namespaces have terminated; default 2 s. */
  readonly cleanupPollMs?: number;
  /** Retry interval while a cluster cannot be reached at deletion; default 15 s. */
  readonly unreachableRetryMs?: number;
  /** How often a Failed or Pending logical cluster is looked at again without any event; default 5 min. */
  readonly failedRetryMs?: number;
  /** How long deletion waits for an unreachable cluster before releasing the finalizer anyway; default 10 min (finalizer-timeout.ts). */
  readonly finalizerTimeoutMs?: number;
}

export interface LogicalClusterDeps {
  readonly host: ApiClient;
  readonly hostKubeConfig: import('../../runtime/kubeconfig.js').KubeConfigSource;
  readonly members: MemberClusterPool;
  readonly logicalClusters: Informer<LogicalClusterObject>;
  readonly workspaces: Informer<WorkspaceObject>;
  readonly clusters: Informer<ClusterObject>;
  /** Namespaces labelled canopy.dev/managed-by=canopy on the host. */
  readonly namespaces: Informer;
  readonly now?: () => Date;
}

export const INDEX_BY_WORKSPACE = 'logicalcluster-workspace';
export const INDEX_BY_PARENT = 'workspace-parent';

/** Plans kept in memory without their manifests (see decide). */
const LIGHT_PLANS = new WeakSet<Plan>();

/** What applyPlan compares to know whether the objects on the cluster are already what this plan wants. */
function fingerprintOf(lc: LogicalClusterObject, p: Plan): string {
  return createHash('sha256')
    .update(JSON.stringify([lc.metadata.uid, p.cluster ?? '', p.objects]))
    .digest('base64')
    .slice(0, 22);
}

/** How long a status this process wrote is trusted over an older cached one. */
const STATUS_MEMO_MS = 60_000;

/** Errors that mean "the cluster did not answer", as opposed to "the cluster said no". */
export function isUnreachable(err: unknown): boolean {
  const code = (err as { code?: unknown })?.code;
  if (typeof code === 'string' && ['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EHOSTUNREACH', 'ENOTFOUND', 'EPIPE', 'ENETUNREACH'].includes(code)) return true;
  const message = err instanceof Error ? err.message : String(err);
  return /ECONNREFUSED|ECONNRESET|socket hang up|no data for|connection closed|client for .* is closed/.test(message);
}

class ClusterUnavailable extends Error {
  constructor(
    readonly cluster: string,
    readonly reason: string,
    message: string,
  ) {
    super(message);
  }
}

export class LogicalClusterReconciler implements Reconciler {
  /** Cluster → logical cluster bound in this process but maybe not yet visible in the cache. */
  private readonly pendingBindings = new Map<string, string>();
  /**
   * What was last applied for a logical cluster, so an unchanged one is not re-applied on every event,
   * and the generation that round completed (leftovers of earlier generations pruned).
   */
  private readonly applied = new Map<string, { fingerprint: string; at: number; generation: number }>();
  private readonly issuer: KubeconfigIssuer;
  /** The last plan per logical cluster and what it was computed from (see decide). */
  private readonly plans = new Map<string, { key: string; plan: Plan | Failure; fingerprint: string }>();
  private inputsEpoch = 0;
  private statusWrites = 0;
  /** The status this process last wrote per logical cluster (the cache lags behind our own writes). */
  private readonly writtenStatus = new Map<string, { uid: string | undefined; digest: string; at: number }>();
  private readonly opts: Required<Omit<LogicalClusterReconcilerOptions, 'hostEndpoint' | 'kubeconfigEndpoint' | 'finalizerTimeoutMs'>>;
  private hostEndpointCache: ServerEndpoint | undefined;
  private readonly lookup: Lookup;
  /**
   * Initializer lists this process wrote, until the cache shows them: a
   * reconcile woken by an older event must neither fix the list a second
   * time nor take the missing list for an empty one and issue the kubeconfig.
   */
  private readonly initializersWritten = new Map<string, { uid: string | undefined; names: readonly string[] }>();

  constructor(
    private readonly deps: LogicalClusterDeps,
    private readonly options: LogicalClusterReconcilerOptions = {},
  ) {
    this.opts = {
      reapplyAfterMs: options.reapplyAfterMs ?? 3600_000,
      cleanupPollMs: options.cleanupPollMs ?? 2000,
      unreachableRetryMs: options.unreachableRetryMs ?? 15_000,
      failedRetryMs: options.failedRetryMs ?? 300_000,
    };
    this.issuer = new KubeconfigIssuer(deps.host, () => this.now(), options.kubeconfigEndpoint);
    this.lookup = {
      workspace: (name) => deps.workspaces.get(name),
      childWorkspaces: (name) => deps.workspaces.byIndex(INDEX_BY_PARENT, name).map((w) => w.metadata?.name ?? ''),
      logicalClustersIn: (name) => deps.logicalClusters.byIndex(INDEX_BY_WORKSPACE, name),
    };
  }

  private now(): Date {
    return this.deps.now ? this.deps.now() : new Date();
  }

  private get hostEndpoint(): ServerEndpoint {
    this.hostEndpointCache ??= this.options.hostEndpoint ?? endpointOf(this.deps.hostKubeConfig);
    return this.hostEndpointCache;
  }

  async reconcile(request: Request, ctx: ReconcileContext): Promise<ReconcileResult | void> {
    const lc = this.deps.logicalClusters.get(request.name);
    if (!lc) {
      this.forget(request.name);
      return;
    }
    if (lc.metadata.deletionTimestamp) return this.finalize(lc, ctx);
    if (!(lc.metadata.finalizers ?? []).includes(FINALIZER)) await this.addFinalizer(lc, ctx.signal);
    return this.materialize(lc, ctx);
  }

  // ------------------------------------------------------------------ materialize

  private async materialize(lc: LogicalClusterObject, ctx: ReconcileContext): Promise<ReconcileResult | void> {
    const name = lc.metadata.name ?? '';
    const decision = this.decide(lc);

    if (!decision.ok) {
      const conditions: ConditionInput[] = [];
      if (decision.binding && !decision.binding.ok)
        conditions.push({ type: ConditionTypes.Bound, status: 'False', reason: decision.binding.reason, message: decision.message });
      if (decision.limits) conditions.push({ type: ConditionTypes.WithinLimits, status: 'False', reason: decision.reason, message: decision.message });
      const changed = await this.writeStatus(
        lc,
        { phase: decision.phase, reason: decision.reason, message: decision.message, namespaces: decision.namespaces, conditions },
        ctx.signal,
      );
      if (changed && decision.phase === 'Failed') ctx.events.warning(lc, decision.reason, decision.message);
      return { requeueAfter: this.opts.failedRetryMs };
    }

    if (decision.mode === 'Cluster' && decision.binding?.ok && !decision.binding.kept) {
      // Record the binding before anything is created there, so that a crash leaves a
      // status that says where to clean up, and no second logical cluster takes it.
      this.pendingBindings.set(decision.cluster!, name);
      const message = `bound to cluster ${decision.cluster}`;
      await this.writeStatus(
        lc,
        {
          phase: 'Initializing',
          reason: 'Binding',
          message: `${message}; creating namespaces there`,
          cluster: decision.cluster,
          namespaces: decision.namespaces,
          conditions: [{ type: ConditionTypes.Bound, status: 'True', reason: 'Bound', message }],
        },
        ctx.signal,
      );
      ctx.events.normal(lc, 'Bound', message);
    }

    const init = await this.fixInitializers(lc, decision, ctx);
    // Another write got there first (the cache was behind): decide again on the fresh object.
    if (!init) return { requeueAfter: 250 };

    let target: { client: ApiClient; endpoint: ServerEndpoint };
    try {
      target = await this.targetOf(decision, ctx.signal);
      // The namespaces and everything in them exist while initializers run: that is what they stamp into.
      await this.applyPlan(lc, decision, target.client, ctx.signal);
    } catch (err) {
      return this.materializeFailed(lc, decision, err, ctx);
    }

    if (init.pending.length > 0) return this.awaitInitializers(lc, decision, init.pending, ctx);

    let requeueAfter: number;
    try {
      requeueAfter = await this.issuer.ensure(
        { lc, namespace: decision.namespaces[0]!, lifetimeSeconds: decision.tokenLifetimeSeconds, client: target.client, endpoint: target.endpoint },
        ctx.signal,
      );
    } catch (err) {
      return this.materializeFailed(lc, decision, err, ctx);
    }

    const conditions: ConditionInput[] = [
      decision.narrowed.length > 0
        ? { type: ConditionTypes.CapabilitiesNarrowed, status: 'True', reason: 'ExceedsWorkspaceAllowance', message: decision.narrowed.join('; ') }
        : { type: ConditionTypes.CapabilitiesNarrowed, status: 'False', reason: 'AsRequested', message: 'every requested capability is granted' },
    ];
    if (decision.mode === 'Cluster')
      conditions.push({ type: ConditionTypes.Bound, status: 'True', reason: 'Bound', message: `bound to cluster ${decision.cluster}` });
    if (lc.status?.conditions?.some((c) => c.type === ConditionTypes.Initialized)) {
      conditions.push({ type: ConditionTypes.Initialized, status: 'True', reason: InitializedReasons.Done, message: doneMessage() });
    }
    const where = decision.mode === 'Cluster' ? `on cluster ${decision.cluster}` : 'on the control plane';
    await this.writeStatus(
      lc,
      {
        phase: 'Ready',
        reason: 'Ready',
        message: `namespaces ${decision.namespaces.join(', ')} are ready ${where}; kubeconfig in Secret ${decision.namespaces[0]}/${kubeconfigSecretName(name)}`,
        namespaces: decision.namespaces,
        cluster: decision.cluster,
        kubeconfigSecretRef: { name: kubeconfigSecretName(name), namespace: decision.namespaces[0]!, key: KUBECONFIG_KEY },
        conditions,
        clear: [ConditionTypes.WithinLimits, ConditionTypes.CleanupBlocked, ...(decision.mode === 'Cluster' ? [] : [ConditionTypes.Bound])],
        // Born without initializers: say so once, so a workspace that lists some later leaves this one alone.
        ...(init.bornEmpty ? { initializers: [] } : {}),
      },
      ctx.signal,
    );
    return { requeueAfter: Math.max(1000, Math.min(requeueAfter, this.opts.reapplyAfterMs)) };
  }

  /**
   * Fixes the logical cluster's initializers the first time it is
   * materialized: the union of its workspaces' spec.initializers, written with
   * the resourceVersion it was computed from, so it is written exactly once.
   * Returns what is still pending, or undefined when that write lost a race.
   */
  private async fixInitializers(
    lc: LogicalClusterObject,
    p: Plan,
    ctx: ReconcileContext,
  ): Promise<{ pending: readonly string[]; bornEmpty: boolean } | undefined> {
    const name = lc.metadata.name ?? '';
    const written = this.initializersWritten.get(name);
    if (initializersFixed(lc)) {
      if (written) this.initializersWritten.delete(name);
      return { pending: pendingInitializers(lc), bornEmpty: false };
    }
    if (written && written.uid === lc.metadata.uid) return { pending: written.names, bornEmpty: false };
    const names = workspaceInitializers(this.lookup, lc.spec.workspace)?.names ?? [];
    if (names.length === 0) return { pending: [], bornEmpty: true };
    const now = this.now();
    const message = waitingMessage(names, now.getTime(), now.getTime());
    const next = nextStatus(
      lc.status,
      {
        phase: 'Initializing',
        reason: InitializedReasons.Waiting,
        message,
        namespaces: p.namespaces,
        cluster: p.cluster,
        initializers: names,
        conditions: [{ type: ConditionTypes.Initialized, status: 'False', reason: InitializedReasons.Waiting, message }],
      },
      lc.metadata.generation,
      now,
    );
    try {
      await this.deps.host.patch(
        Resources.LogicalCluster,
        name,
        undefined,
        { metadata: { resourceVersion: lc.metadata.resourceVersion }, status: next },
        'merge',
        { subresource: 'status', signal: ctx.signal },
      );
    } catch (err) {
      if (isConflict(err)) return undefined;
      throw err;
    }
    this.initializersWritten.set(name, { uid: lc.metadata.uid, names });
    this.writtenStatus.set(name, { uid: lc.metadata.uid, digest: statusDigest(next), at: now.getTime() });
    ctx.events.normal(
      lc,
      InitializedReasons.Waiting,
      `initializers ${names.join(', ')} must each remove their name from status.initializers before the kubeconfig is issued`,
    );
    return { pending: names, bornEmpty: false };
  }

  /** Namespaces are in place; the kubeconfig waits for the initializers. Rewrites the message as the wait grows. */
  private async awaitInitializers(lc: LogicalClusterObject, p: Plan, pending: readonly string[], ctx: ReconcileContext): Promise<ReconcileResult> {
    const now = this.now().getTime();
    const started = lc.status?.conditions?.find((c) => c.type === ConditionTypes.Initialized && c.status === 'False')?.lastTransitionTime;
    const since = started ? new Date(started).getTime() : now;
    const message = waitingMessage(pending, since, now);
    await this.writeStatus(
      lc,
      {
        phase: 'Initializing',
        reason: InitializedReasons.Waiting,
        message,
        namespaces: p.namespaces,
        cluster: p.cluster,
        conditions: [{ type: ConditionTypes.Initialized, status: 'False', reason: InitializedReasons.Waiting, message }],
      },
      ctx.signal,
    );
    return { requeueAfter: nextWaitedChangeMs(now - since) };
  }

  /**
   * plan() for this logical cluster, remembered while nothing it reads can have
   * changed: the same spec (uid, generation), binding, and no Workspace or
   * Cluster event since (inputsEpoch). Only a Namespace-mode plan without
   * workspace limits is remembered; the others also read other logical
   * clusters, which the epoch does not track.
   */
  private decide(lc: LogicalClusterObject, full = false): Plan | Failure {
    const name = lc.metadata.name ?? '';
    const key = `${lc.metadata.uid}|${lc.metadata.generation}|${lc.status?.cluster ?? ''}|${this.inputsEpoch}`;
    const cached = this.plans.get(name);
    if (cached?.key === key && !full) return cached.plan;
    const view = workspaceView(this.lookup, lc.spec.workspace);
    const clusters = this.deps.clusters.list();
    const bindings = lc.spec.mode === 'Cluster' ? currentBindings(this.deps.logicalClusters.list(), this.livePendingBindings()) : new Map<string, string>();
    const decision = plan({ lc, workspace: view, clusters, bindings, otherClaims: () => otherClaims(this.lookup, view, name, clusters) });
    const cacheable = decision.ok && decision.mode === 'Namespace' && view.state === 'ok' && !hasWorkspaceLimits(view.scopes);
    if (cacheable) {
      // Remembered without its manifests (most of a plan's memory); applyPlan recomputes them when it must write.
      const light: Plan = { ...decision, objects: { host: [], member: [] }, effective: UNCONSTRAINED };
      LIGHT_PLANS.add(light);
      this.plans.set(name, { key, plan: light, fingerprint: fingerprintOf(lc, decision) });
    } else {
      this.plans.delete(name);
    }
    return decision;
  }

  /** A Workspace or Cluster changed: remembered plans may be stale. */
  inputsChanged(): void {
    this.inputsEpoch++;
  }

  private async targetOf(p: Plan, signal: AbortSignal): Promise<{ client: ApiClient; endpoint: ServerEndpoint }> {
    if (p.mode === 'Namespace') return { client: this.deps.host, endpoint: this.hostEndpoint };
    try {
      const member = await this.deps.members.get(p.cluster!, signal);
      return { client: member.client, endpoint: endpointOf(member.kubeConfig) };
    } catch (err) {
      if (err instanceof MemberClusterUnavailableError) throw new ClusterUnavailable(p.cluster!, err.reason, err.message);
      throw err;
    }
  }

  private async applyPlan(lc: LogicalClusterObject, planned: Plan, targetClient: ApiClient, signal: AbortSignal): Promise<void> {
    const name = lc.metadata.name ?? '';
    const remembered = this.plans.get(name);
    const fingerprint = remembered?.plan === planned ? remembered.fingerprint : fingerprintOf(lc, planned);
    const memo = this.applied.get(name);
    // Objects an earlier generation made and this one does not want are pruned once per generation,
    // in the first round that completes: status.observedGeneration cannot tell (it is also written
    // when a round fails, e.g. on a namespace still terminating), and after a restart nothing here
    // remembers, so every changed logical cluster is pruned once. A first generation has nothing to prune.
    const generation = lc.metadata.generation ?? 1;
    const specChanged = generation > 1 && memo?.generation !== generation;
    if (memo && memo.fingerprint === fingerprint && this.now().getTime() - memo.at < this.opts.reapplyAfterMs && !specChanged) return;
    // A remembered plan carries no manifests: build them again (same inputs, same answer).
    const p = LIGHT_PLANS.has(planned) ? (this.decide(lc, true) as Plan) : planned;

    const keepSecret = [`v1/Secret/${p.namespaces[0]}/${kubeconfigSecretName(name)}`];
    const writes: Array<{ client: ApiClient; objects: KubernetesObject[]; host: boolean }> =
      p.mode === 'Namespace'
        ? [{ client: this.deps.host, objects: p.objects.host, host: true }]
        : [
            { client: targetClient, objects: p.objects.member, host: false },
            { client: this.deps.host, objects: p.objects.host, host: true },
          ];
    for (const w of writes) {
      const namespaces = w.objects.filter((o) => o.kind === 'Namespace');
      const created = await Promise.all(
        namespaces.map((ns) => ensureNamespace(w.client, ns, name, w.host && this.knownNamespace(ns.metadata?.name ?? '', name), signal)),
      );
      const fresh = new Set(namespaces.filter((_, i) => created[i]).map((ns) => ns.metadata?.name ?? ''));
      await applyAll(
        w.client,
        w.objects.filter((o) => o.kind !== 'Namespace'),
        fresh,
        signal,
      );
      // Pruning lists by label, so it runs only when the spec changed, not on every event.
      if (specChanged) await prune(w.client, name, w.objects, w.host ? keepSecret : [], signal);
    }
    this.applied.set(name, { fingerprint, at: this.now().getTime(), generation });
  }

  private knownNamespace(ns: string, lcName: string): boolean {
    const cached = this.deps.namespaces.get(ns);
    return cached !== undefined && belongsTo(cached.metadata?.labels, lcName) && !cached.metadata?.deletionTimestamp;
  }

  private async materializeFailed(lc: LogicalClusterObject, p: Plan, err: unknown, ctx: ReconcileContext): Promise<ReconcileResult> {
    this.applied.delete(lc.metadata.name ?? '');
    const where = p.mode === 'Cluster' ? `cluster ${p.cluster}` : 'the control plane';
    if (err instanceof NamespaceConflictError) {
      const changed = await this.writeStatus(lc, { phase: 'Failed', reason: 'NamespaceConflict', message: err.message, namespaces: p.namespaces }, ctx.signal);
      if (changed) ctx.events.warning(lc, 'NamespaceConflict', err.message);
      return { requeueAfter: this.opts.failedRetryMs };
    }
    if (err instanceof NamespaceTerminatingError) {
      await this.writeStatus(lc, { phase: 'Initializing', reason: 'NamespaceTerminating', message: err.message, namespaces: p.namespaces }, ctx.signal);
      return { requeueAfter: this.opts.cleanupPollMs };
    }
    const reason = err instanceof ClusterUnavailable ? err.reason : isUnreachable(err) ? 'ClusterUnreachable' : 'ApplyFailed';
    // Cluster errors can quote what they were sent or answered; status and events are readable by owners.
    const detail = redact(err instanceof Error ? err.message : String(err));
    const message = reason === 'ClusterUnreachable' ? `cannot reach ${where}: ${detail}; retrying` : `materializing on ${where} failed: ${detail}; retrying`;
    await this.writeStatus(lc, { phase: 'Initializing', reason, message, namespaces: p.namespaces }, ctx.signal).catch(() => undefined);
    throw err instanceof Error ? err : new Error(detail);
  }

  // ------------------------------------------------------------------ delete

  private async finalize(lc: LogicalClusterObject, ctx: ReconcileContext): Promise<ReconcileResult | void> {
    const name = lc.metadata.name ?? '';
    if (!(lc.metadata.finalizers ?? []).includes(FINALIZER)) return;
    const blocked: string[] = [];
    const blockedClusters: string[] = [];
    const remaining: string[] = [];
    const targets: Array<{ label: string; cluster?: string; client: () => Promise<ApiClient> }> = [
      { label: 'the control plane', client: async () => this.deps.host },
    ];
    const bound = lc.status?.cluster;
    if (bound) targets.push({ label: `cluster ${bound}`, cluster: bound, client: async () => (await this.deps.members.get(bound, ctx.signal)).client });
    for (const t of targets) {
      try {
        const progress = await cleanup(await t.client(), name, ctx.signal);
        remaining.push(...progress.remaining.map((ns) => `${ns} (${t.label})`));
      } catch (err) {
        const why =
          err instanceof MemberClusterUnavailableError ? err.message : isUnreachable(err) ? `unreachable: ${(err as Error).message}` : (err as Error).message;
        blocked.push(`${t.label}: ${redact(why)}`);
        if (t.cluster) blockedClusters.push(t.cluster);
      }
    }
    // Bounded: a member cluster that never answers does not hold the finalizer for ever (the
    // control plane itself failing is not waited out: that is not an unreachable member).
    const timeoutMs = this.options.finalizerTimeoutMs ?? DEFAULT_FINALIZER_TIMEOUT_MS;
    const giveUp =
      blocked.length === blockedClusters.length
        ? finalizerWait({
            deletionTimestamp: timestampText(lc.metadata.deletionTimestamp),
            annotations: lc.metadata.annotations,
            now: this.now().getTime(),
            timeoutMs,
            blocked: blockedClusters,
            leftBehind: `the namespaces of LogicalCluster ${name} (label canopy.dev/logical-cluster=${name})`,
            finalizer: FINALIZER,
          })
        : { release: false as const };
    if (giveUp.release) {
      announceRelease(ctx, lc, giveUp);
      await this.removeFinalizer(lc, ctx.signal);
      this.forget(name);
      return;
    }
    if (blocked.length > 0) {
      const message = `cannot delete this logical cluster's namespaces on ${blocked.join('; ')}. Retrying every ${Math.round(this.opts.unreachableRetryMs / 1000)}s; the finalizer ${FINALIZER} is released ${Math.round(timeoutMs / 1000)} s after deletion started, or at once with annotation ${ANNOTATION_FORCE_FINALIZE}="true" (its namespaces there are then left behind)`;
      const changed = await this.writeStatus(
        lc,
        {
          phase: 'Terminating',
          reason: 'CleanupBlocked',
          message,
          conditions: [{ type: ConditionTypes.CleanupBlocked, status: 'True', reason: 'ClusterUnreachable', message }],
        },
        ctx.signal,
      );
      if (changed) ctx.events.warning(lc, 'CleanupBlocked', message);
      return { requeueAfter: this.opts.unreachableRetryMs };
    }
    if (remaining.length > 0) {
      await this.writeStatus(
        lc,
        {
          phase: 'Terminating',
          reason: 'DeletingNamespaces',
          message: `waiting for namespaces to terminate: ${remaining.join(', ')}`,
          clear: [ConditionTypes.CleanupBlocked],
        },
        ctx.signal,
      );
      return { requeueAfter: this.opts.cleanupPollMs };
    }
    await this.removeFinalizer(lc, ctx.signal);
    this.forget(name);
  }

  // ------------------------------------------------------------------ writes

  private async addFinalizer(lc: LogicalClusterObject, signal: AbortSignal): Promise<void> {
    const finalizers = [...(lc.metadata.finalizers ?? []), FINALIZER];
    await this.deps.host.patch(
      Resources.LogicalCluster,
      lc.metadata.name ?? '',
      undefined,
      { metadata: { finalizers, resourceVersion: lc.metadata.resourceVersion } },
      'merge',
      { signal },
    );
  }

  private async removeFinalizer(lc: LogicalClusterObject, signal: AbortSignal): Promise<void> {
    const finalizers = (lc.metadata.finalizers ?? []).filter((f) => f !== FINALIZER);
    try {
      await this.deps.host.patch(
        Resources.LogicalCluster,
        lc.metadata.name ?? '',
        undefined,
        { metadata: { finalizers, resourceVersion: lc.metadata.resourceVersion } },
        'merge',
        { signal },
      );
    } catch (err) {
      // Gone already: an earlier reconcile released it and the cache has not shown the delete yet.
      if (!isNotFound(err)) throw err;
    }
  }

  /** Writes status if it changed; returns whether it did. */
  private async writeStatus(lc: LogicalClusterObject, outcome: Outcome, signal: AbortSignal): Promise<boolean> {
    const name = lc.metadata.name ?? '';
    const next = nextStatus(lc.status, outcome, lc.metadata.generation, this.now());
    if (!statusChanged(lc.status, next)) return false;
    // The cache may not show our last write yet (the event that woke this reconcile can be
    // older than it): a status identical to the one written a moment ago is not written again.
    const digest = statusDigest(next);
    const written = this.writtenStatus.get(name);
    if (written && written.uid === lc.metadata.uid && written.digest === digest && this.now().getTime() - written.at < STATUS_MEMO_MS) return false;
    await patchStatus(this.deps.host, Resources.LogicalCluster, lc, next, signal);
    this.writtenStatus.set(name, { uid: lc.metadata.uid, digest, at: this.now().getTime() });
    if (++this.statusWrites % 1000 === 0) this.sweepWrittenStatus();
    return true;
  }

  /**
   * Bindings made here whose holder still exists: a holder that is gone (its
   * delete event can overtake the end of its own last reconcile) holds nothing.
   */
  private livePendingBindings(): Map<string, string> {
    for (const [cluster, holder] of this.pendingBindings) {
      if (!this.deps.logicalClusters.get(holder)) this.pendingBindings.delete(cluster);
    }
    return this.pendingBindings;
  }

  /** Drops remembered statuses old enough that the cache has caught up with them. */
  private sweepWrittenStatus(): void {
    const cutoff = this.now().getTime() - STATUS_MEMO_MS;
    for (const [name, entry] of this.writtenStatus) if (entry.at < cutoff) this.writtenStatus.delete(name);
  }

  /** A namespace of this logical cluster disappeared: the next reconcile re-applies instead of trusting its memo. */
  namespaceGone(lcName: string): void {
    this.applied.delete(lcName);
  }

  private forget(name: string): void {
    this.applied.delete(name);
    this.issuer.forget(name);
    this.writtenStatus.delete(name);
    this.initializersWritten.delete(name);
    this.plans.delete(name);
    for (const [cluster, holder] of this.pendingBindings) if (holder === name) this.pendingBindings.delete(cluster);
  }
}
