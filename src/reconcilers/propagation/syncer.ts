/**
 * The PropagatedObject syncer: makes member clusters match
 * `status.placement` (which the placement reconciler decides) and reports
 * back. One reconcile observes every cluster involved, lets the pure plan
 * decide (make before break, never delete without an alternative), carries
 * the plan out in parallel across clusters, and writes the syncer's part of
 * the status.
 */
import {
  apply,
  isBeingDeleted,
  isNotFound,
  OwnWrites,
  Resources,
  type ApiClient,
  type Informer,
  type KubeObject,
  type Logger,
  type ReconcileContext,
  type ReconcileResult,
  type MemberCluster,
  type Request,
  type ResourceRef,
} from '../../runtime/index.js';
import { redact } from '../../runtime/redact.js';
import { checkPodSpec, podSpecOf } from '../../admission/pods.js';
import { denialMessage } from '../../admission/verdict.js';
import type { BoundarySource } from './boundary-source.js';
import { inSync } from './drift.js';
import { announceRelease } from '../../runtime/finalizer-timeout.js';
import { propagatedObjectFinalizerWait } from './finalizer-timeout.js';
import { workspaceDeletionHold } from './workspace-deletion.js';
import { hasFinalizer, placedIdentity, resolveTemplate, setFinalizer, specReplicas, type PropagatedObjectLike } from './host.js';
import { summarizeMember } from './member-status.js';
import { isConnectionError, MemberNamespaceConflictError, OWNER_INDEX, tenantLabels, type MemberAccess } from './members.js';
import { ANNOTATION_HANDOVER_TIMEOUT, LABEL_PROPAGATED_OBJECT } from './names.js';
import { observeCluster, type ClusterView } from './observe.js';
import { planSync, type ClusterAction, type Observation } from './plan.js';
import { renderMemberObject, type ClusterOverride, type RenderResult } from './render.js';
import { syncStatus, type ActionOutcome, type SyncStatus } from './status.js';
import type { PortableObject } from './portable.js';
import type { RolloutGate } from './rollout-gate.js';
import type { Rollout } from '../../crds/rollout.js';

export interface SyncerOptions {
  /** How long old copies wait for the replacement to be ready before they go anyway; default 120 s. */
  readonly handoverTimeoutMs?: number;
  /** How often to retry while a member is unreachable (Cluster changes also wake the syncer); default 15 s. */
  readonly unreachableRetryMs?: number;
  /** How long a deletion waits for unreachable members before releasing the finalizer anyway; default 10 min (finalizer-timeout.ts). */
  readonly finalizerTimeoutMs?: number;
}

export const DEFAULT_HANDOVER_TIMEOUT_MS = 120_000;
/** How long copies on a cluster that just came back are kept while placement reacts to the same recovery. */
const SETTLE_MS = 10_000;
/** A member namespace that belongs to someone else does not free itself: look again now and then, not on every backoff step. */
const NAMESPACE_CONFLICT_RETRY_MS = 60_000;
/** A copy waiting for its kind's CRD on a member, or a CRD for its custom resources to go, looks again this often. */
const ORDERING_RETRY_MS = 2_000;
/** Synced reasons worth a Warning event when they first appear. */
const WARNED_REASONS = ['Conflict', 'ApplyFailed', 'SourceNotFound', 'ConstraintViolation', 'NamespaceConflict'];

export class PropagationSyncer {
  /** When the current handover of each PropagatedObject (by uid) started; in memory, so a restart only waits longer. */
  private readonly handovers = new Map<string, number>();

  constructor(
    private readonly client: ApiClient,
    private readonly access: MemberAccess,
    private readonly propagatedObjects: Informer<PropagatedObjectLike>,
    private readonly namespaces: Informer,
    private readonly options: SyncerOptions = {},
    /** Writes this syncer's status reports off the critical path, the newest per object (register.ts). */
    private readonly statuses: { submit(po: PropagatedObjectLike, status: SyncStatus): void },
    /** Tenant limits and the boundary every member namespace carries. */
    private readonly boundaries: BoundarySource,
    /** Shared with the placement reconciler: a placement it just wrote is acted on before its watch event arrives. */
    private readonly writes: OwnWrites = new OwnWrites(),
    /** What this syncer reconciles: PropagatedObjects, or ClusterPropagatedObjects (namespace '' in requests, cluster-scoped copies). */
    private readonly resource: ResourceRef = Resources.PropagatedObject,
    /** Rolling and Staged rollouts (rollout-gate.ts); without it every cluster gets a change at once. */
    private readonly rollouts?: RolloutGate,
  ) {}

  async reconcile(request: Request, ctx: ReconcileContext): Promise<ReconcileResult | void> {
    const namespace = request.namespace ?? '';
    const ownerKey = `${namespace}/${request.name}`;
    // The fresher of the cache and this process's own last write (the placement reconciler's or ours).
    const po = this.writes.freshest(this.resource.plural, this.propagatedObjects.get(request.name, namespace));
    if (!po) return this.removeOrphans(ownerKey, ctx);
    // Deleted with its workspace's home namespace: the copies stay for the grace first (workspace-deletion.ts).
    const held = isBeingDeleted(po) ? workspaceDeletionHold(po, this.namespaces.get(namespace), Date.now()) : undefined;
    const deleting = isBeingDeleted(po) && !held;
    if (deleting && !hasFinalizer(po)) return;
    const identity = placedIdentity(po);
    if (!identity) return; // admission rejects this; nothing can be placed or found

    const resolved = deleting ? undefined : await resolveTemplate(this.client, po);

    const placement = deleting ? [] : (po.status?.placement ?? []).map((p) => ({ cluster: p.cluster, replicas: p.replicas }));
    const known = new Set((po.status?.clusters ?? []).map((c) => c.cluster));
    const candidates = new Set<string>([...placement.map((p) => p.cluster), ...known]);
    for (const c of this.clustersHolding(ownerKey, identity.apiVersion)) candidates.add(c);

    const tenant = tenantLabels(this.namespaces.get(namespace));
    const resolvedTemplate = resolved?.ok ? resolved.template : undefined;
    const renders = new Map<string, RenderResult>();
    const render = (cluster: string, replicas: number | undefined): RenderResult | undefined => {
      if (!resolvedTemplate) return undefined;
      const key = `${cluster}|${replicas ?? ''}`;
      let rendered = renders.get(key);
      if (!rendered) {
        rendered = renderMemberObject({
          namespace,
          name: request.name,
          template: resolvedTemplate,
          overrides: po.spec?.overrides as ClusterOverride[] | undefined,
          cluster: { name: cluster, labels: this.access.cluster(cluster)?.metadata?.labels ?? {} },
          replicas,
          tenantLabels: tenant,
        });
        renders.set(key, rendered);
      }
      return rendered;
    };
    // Defence in depth: admission judged the template when it was written, but the limits may have
    // tightened since, and overrides render differently per cluster. A copy that breaks them is not
    // applied anywhere (what already runs is left alone, as with a template that cannot be resolved).
    const violation = resolvedTemplate && !deleting && namespace ? this.constraintViolation(namespace, placement, render) : undefined;
    const template = violation ? undefined : resolvedTemplate;

    const views = new Map<string, ClusterView>();
    // The finalizer goes on before anything is written to a member; it is written alongside the
    // (read-only) observation to keep it off the critical path. A copy that slipped through
    // without it is still found by the orphan sweep (removeOrphans).
    const finalizer =
      !deleting && !hasFinalizer(po) && candidates.size > 0 ? setFinalizer(this.client, po, true, this.writes, undefined, this.resource) : undefined;
    // Awaited below; this only keeps a rejection that arrives while the observations run from counting as unhandled.
    finalizer?.catch(() => undefined);
    await Promise.all(
      [...candidates].map(async (cluster) => {
        const entry = placement.find((p) => p.cluster === cluster);
        const desired = entry ? render(cluster, entry.replicas) : undefined;
        views.set(cluster, await this.observe({ cluster, ownerKey, identity, namespace, desired, signal: ctx.signal }));
      }),
    );
    await finalizer;
    const observations = new Map<string, Observation>([...views].map(([c, v]) => [c, v.observation]));

    const uid = po.metadata?.uid ?? ownerKey;
    const now = Date.now();
    const settling = this.access.recentlyRecovered(SETTLE_MS, now);
    const planned = planSync({
      deleting,
      // Without a template nothing can be applied; keep what runs (as an empty placement does) until it is fixed.
      placement: template ? placement : [],
      observations,
      knownCopies: known,
      registered: this.access.registeredNames(),
      settling: new Set(settling.keys()),
      handoverSince: this.handovers.get(uid),
      handoverTimeoutMs: this.handoverTimeout(po),
      now,
    });
    // A Rolling or Staged rollout holds the clusters it has not released yet: their copies keep the previous revision.
    const rollout = this.rolloutFor(po, deleting, template);
    const gated = rollout
      ? this.rollouts?.gate(
          {
            po,
            plan: planned,
            views,
            placement,
            template: rollout.template,
            render,
            clusterLabels: (c) => this.access.cluster(c)?.metadata?.labels ?? {},
            clusterUnhealthy: (c) => clusterCannotServe(this.access.cluster(c)),
            now,
          },
          rollout.rollout,
        )
      : undefined;
    if (!gated) this.rollouts?.forget(uid);
    const plan = gated?.plan ?? planned;
    if (plan.holding && !this.handovers.has(uid)) this.handovers.set(uid, now);
    if (!plan.holding) this.handovers.delete(uid);
    // The handover timeout counts from when the rollout releases the receivers, not while it holds them.
    if (gated?.heldAdditions) this.handovers.delete(uid);

    const outcomes = new Map<string, ActionOutcome>();
    await Promise.all(
      plan.actions.map(async (action) => {
        const outcome = await this.execute(action, views.get(action.cluster), render, namespace, ctx.signal, ctx.logger);
        if (outcome) outcomes.set(action.cluster, outcome);
      }),
    );

    // The audit trail: a copy placed on a cluster, or taken off one, is an Event on the PropagatedObject
    // (one per reconcile, naming every cluster). Not while deleting: its namespace may be terminating.
    if (!deleting) {
      const placed = plan.actions
        .filter(
          (a) =>
            a.action === 'apply' &&
            outcomes.get(a.cluster)?.ok &&
            (outcomes.get(a.cluster) as { wrote?: boolean }).wrote &&
            views.get(a.cluster)?.observation.kind === 'absent',
        )
        .map((a) => a.cluster);
      const removed = plan.actions
        .filter((a) => a.action === 'delete' && outcomes.get(a.cluster)?.ok && (outcomes.get(a.cluster) as { wrote?: boolean }).wrote)
        .map((a) => a.cluster);
      if (placed.length > 0) ctx.events.normal(po, 'Propagated', `placed a copy on ${placed.sort().join(', ')}`);
      if (removed.length > 0) ctx.events.normal(po, 'CopyRemoved', `removed the copy from ${removed.sort().join(', ')}: no longer chosen`);
    }
    // What an apply returned is the freshest view of that copy: report it instead of waiting for its watch event.
    for (const [cluster, outcome] of outcomes) {
      if (!outcome.ok || !outcome.stored) continue;
      const replicas = specReplicas(outcome.stored as KubeObject);
      observations.set(cluster, { kind: 'ours', specReplicas: replicas, synced: true, summary: summarizeMember(outcome.stored, replicas) });
    }
    const status = syncStatus({
      generation: po.metadata?.generation ?? 0,
      deleting,
      placement: template ? placement : [],
      scheduled: po.status?.conditions?.find((c) => c.type === 'Scheduled'),
      plan,
      observations,
      outcomes,
      previous: po.status?.clusters ?? [],
      previousConditions: po.status?.conditions ?? [],
      now: new Date(now).toISOString(),
    });
    gated?.decorate(status);
    // Said in status, not an Event: nothing new may be created in a terminating namespace.
    if (held) Object.assign(status.conditions.find((c) => c.type === 'Synced') ?? {}, { status: 'False', reason: 'DeletionGrace', message: held.message });
    if (resolved && !resolved.ok) {
      const synced = status.conditions.find((c) => c.type === 'Synced');
      if (synced)
        Object.assign(synced, {
          status: 'False',
          reason: resolved.reason,
          message: `${resolved.message}; nothing is changed on member clusters until it is fixed`,
        });
    }
    if (violation) {
      const synced = status.conditions.find((c) => c.type === 'Synced');
      if (synced)
        Object.assign(synced, {
          status: 'False',
          reason: 'ConstraintViolation',
          message: `${violation}; nothing is applied to member clusters until the object complies (copies already running are left as they are)`,
        });
    }
    const failures = [...outcomes.entries()].filter(([, o]) => !o.ok);
    const pending = plan.actions.some((a) => a.action === 'wait' && a.why === 'Unreachable');
    if (!deleting) {
      const previous = po.status?.conditions?.find((c) => c.type === 'Synced');
      const synced = status.conditions.find((c) => c.type === 'Synced');
      if (synced && synced.status === 'False' && previous?.reason !== synced.reason && WARNED_REASONS.includes(synced.reason)) {
        ctx.events.warning(po, synced.reason, synced.message);
      }
    }
    // A deletion that completes now needs no status; one that waits for a member says which.
    // Queued, not awaited: the next object's member writes need not wait for this report.
    if (!deleting || pending || failures.length > 0) this.statuses.submit(po, status);
    // Bounded: a member that never answers does not hold the finalizer for ever (finalizer-timeout.ts).
    const giveUp = deleting ? propagatedObjectFinalizerWait(po, plan.actions, outcomes, this.options.finalizerTimeoutMs, now) : undefined;
    if (giveUp?.release) announceRelease(ctx, po, giveUp);
    if (deleting && (giveUp?.release || plan.actions.every((a) => a.action === 'forget' || (a.action === 'delete' && outcomes.get(a.cluster)?.ok)))) {
      this.handovers.delete(uid);
      await setFinalizer(this.client, po, false, this.writes, undefined, this.resource);
      return;
    }
    const retriable = failures.filter(([, o]) => o.ok || o.reason === undefined);
    // Waiting for another object on a member (a CRD to be served, custom resources to go): look again soon, without backoff.
    const ordering = failures.some(([, o]) => !o.ok && (o.reason === 'AwaitingKind' || o.reason === 'AwaitingDependents'));
    const conflicted = failures.some(([, o]) => !o.ok && o.reason === 'NamespaceConflict');
    if (retriable.length > 0) {
      // Status already says what failed; throwing gets the per-key exponential backoff.
      throw new Error(`sync of ${ownerKey} failed on ${retriable.map(([c, o]) => `${c}: ${o.ok ? '' : o.error}`).join('; ')}`);
    }
    const retry =
      [pending || deleting ? (this.options.unreachableRetryMs ?? 15_000) : undefined, ordering ? ORDERING_RETRY_MS : undefined]
        .filter((v): v is number => v !== undefined)
        .sort((a, b) => a - b)[0] ?? (conflicted ? NAMESPACE_CONFLICT_RETRY_MS : undefined);
    const settled = Math.min(...plan.actions.filter((a) => a.action === 'wait' && a.why === 'Settling').map((a) => (settling.get(a.cluster) ?? 0) + 100));
    const requeueAfter = [
      plan.requeueAfterMs,
      gated?.decision.requeueAfterMs,
      retry,
      Number.isFinite(settled) ? settled : undefined,
      held ? held.remainingMs + 100 : undefined,
    ]
      .filter((v): v is number => v !== undefined)
      .sort((a, b) => a - b)[0];
    return requeueAfter !== undefined ? { requeueAfter } : undefined;
  }

  private rolloutFor(
    po: PropagatedObjectLike,
    deleting: boolean,
    template: PortableObject | undefined,
  ): { rollout: Rollout; template: PortableObject } | undefined {
    if (deleting || !template || !this.rollouts) return undefined;
    const rollout = this.rollouts.rolloutOf(po);
    return rollout ? { rollout, template } : undefined;
  }

  /** The first way a placed copy breaks the pod-security or registry limits of its namespace, naming the cluster; undefined when none does. */
  private constraintViolation(
    namespace: string,
    placement: ReadonlyArray<{ cluster: string; replicas: number | undefined }>,
    render: (cluster: string, replicas: number | undefined) => RenderResult | undefined,
  ): string | undefined {
    const limits = this.boundaries.limits(namespace);
    if (!limits) return undefined;
    for (const entry of placement) {
      const rendered = render(entry.cluster, entry.replicas);
      if (!rendered?.ok) continue;
      const pod = podSpecOf(rendered.object);
      if (!pod) continue;
      const verdict = checkPodSpec(pod.spec, pod.field, limits);
      if (!verdict.allowed) return `the copy for cluster ${entry.cluster} breaks the limits of namespace ${namespace}: ${denialMessage(verdict.denial)}`;
    }
    return undefined;
  }

  private handoverTimeout(po: KubeObject): number {
    const fromAnnotation = Number(po.metadata?.annotations?.[ANNOTATION_HANDOVER_TIMEOUT]);
    if (Number.isFinite(fromAnnotation) && fromAnnotation >= 0) return fromAnnotation * 1000;
    return this.options.handoverTimeoutMs ?? DEFAULT_HANDOVER_TIMEOUT_MS;
  }

  private observe(input: Omit<Parameters<typeof observeCluster>[0], 'access'>): Promise<ClusterView> {
    return observeCluster({ ...input, access: this.access }).catch((err: unknown): ClusterView => {
      if (isConnectionError(err)) return { observation: { kind: 'unreachable', reason: (err as Error).message } };
      throw err;
    });
  }

  /** Clusters whose member cache shows a copy of this PropagatedObject (even if status lost track of it). */
  private clustersHolding(ownerKey: string, apiVersion: string): string[] {
    const out: string[] = [];
    for (const { cluster, informer } of this.access.running('copies', apiVersion, '*')) {
      if (informer.byIndex(OWNER_INDEX, ownerKey).length > 0) out.push(cluster);
    }
    return out;
  }

  private async execute(
    action: ClusterAction,
    view: ClusterView | undefined,
    render: (cluster: string, replicas: number | undefined) => RenderResult | undefined,
    namespace: string,
    signal: AbortSignal,
    logger: Logger,
  ): Promise<ActionOutcome | undefined> {
    if (action.action === 'apply') {
      if (!view?.member) return { ok: false, error: 'cluster not reachable' };
      // Ordering across kinds: a custom resource waits (no error, no backoff) until its CRD is served there.
      if (view.kindMissing)
        return { ok: false, error: `${view.unsupported}; applied once it is (is its CustomResourceDefinition placed there?)`, reason: 'AwaitingKind' };
      if (view.unsupported || !view.resource) return { ok: false, error: view.unsupported ?? 'unknown kind' };
      const rendered = render(action.cluster, action.replicas);
      if (!rendered) return { ok: false, error: 'nothing to apply' };
      if (!rendered.ok) return { ok: false, error: rendered.error };
      if (view.observation.kind === 'ours' && view.live && inSync(rendered.object, view.live)) return { ok: true, wrote: false };
      // Cluster-scoped copies (ClusterPropagatedObjects) need no member namespace.
      const target = namespace ? this.boundaries.lookup(namespace) : undefined;
      if (target && !target.ok) return { ok: false, error: target.reason };
      try {
        if (target?.ok) await this.access.ensureNamespace(view.member, target.request, signal);
        const stored = await apply(view.member.client, rendered.object as PortableObject & KubeObject, { resource: view.resource, signal });
        // This reconcile reports from `stored`; the copy's own watch event then need not wake it again.
        this.writes.record(memberResourceKey(action.cluster, view.resource.plural), stored);
        logger.debug({ cluster: action.cluster, replicas: action.replicas, created: view.observation.kind === 'absent' }, 'applied the copy');
        return { ok: true, wrote: true, stored };
      } catch (err) {
        if (err instanceof MemberNamespaceConflictError) return { ok: false, error: err.message, reason: 'NamespaceConflict' };
        if (isNotFound(err)) this.access.forgetNamespace(action.cluster, namespace);
        return { ok: false, error: errorText(err) };
      }
    }
    if (action.action === 'delete') {
      if (!view?.member || !view.resource || !view.live) return { ok: true, wrote: false };
      // Reverse order: a CRD stays while custom resources Canopy placed of it remain on that member.
      const dependents = await customResourcesLeft(view.member, view.live, signal).catch((err: unknown) => errorText(err));
      if (dependents) return { ok: false, error: dependents, reason: 'AwaitingDependents' };
      try {
        await view.member.client.delete(view.resource, view.live.metadata?.name ?? '', namespace, {
          preconditions: { uid: view.live.metadata?.uid },
          propagationPolicy: 'Background',
          signal,
        });
      } catch (err) {
        if (!isNotFound(err)) return { ok: false, error: errorText(err) };
      }
      logger.info({ cluster: action.cluster }, 'removed the copy from a cluster no longer chosen');
      return { ok: true, wrote: true };
    }
    return undefined;
  }

  /**
   * A member copy whose PropagatedObject no longer exists (deleted without
   * its finalizer running, e.g. forced): remove it from every member whose
   * cache shows it, so nothing is left behind.
   */
  private async removeOrphans(ownerKey: string, ctx: ReconcileContext): Promise<ReconcileResult | void> {
    let pending = false;
    for (const { cluster, informer } of this.access.running('copies', '*', '*')) {
      for (const orphan of informer.byIndex(OWNER_INDEX, ownerKey)) {
        const member = await this.access.member(cluster, ctx.signal);
        if (typeof member === 'string') {
          pending = true;
          continue;
        }
        try {
          await member.client.delete(informer.resource, orphan.metadata?.name ?? '', orphan.metadata?.namespace, {
            preconditions: { uid: orphan.metadata?.uid },
            propagationPolicy: 'Background',
            signal: ctx.signal,
          });
          ctx.logger.info({ cluster, object: `${orphan.kind}/${orphan.metadata?.name}` }, 'removed a copy whose PropagatedObject is gone');
        } catch (err) {
          if (isConnectionError(err)) pending = true;
          else if (!isNotFound(err)) throw err;
        }
      }
    }
    return pending ? { requeueAfter: this.options.unreachableRetryMs ?? 15_000 } : undefined;
  }
}

/**
 * When `live` is a CustomResourceDefinition: why it may not be deleted yet
 * (custom resources of it that Canopy placed are still on the member), or
 * undefined. Deleting a CRD deletes its custom resources with it; waiting
 * lets their own PropagatedObjects remove them first, so removal runs in the
 * reverse order of arrival.
 */
async function customResourcesLeft(member: MemberCluster, live: KubeObject, signal: AbortSignal): Promise<string | undefined> {
  if (live.kind !== 'CustomResourceDefinition') return undefined;
  const spec = (
    live as { spec?: { group?: string; scope?: string; names?: { plural?: string; kind?: string }; versions?: Array<{ name: string; served?: boolean }> } }
  ).spec;
  const version = spec?.versions?.find((v) => v.served !== false)?.name;
  if (!spec?.group || !spec.names?.plural || !version) return undefined;
  const resource = { apiVersion: `${spec.group}/${version}`, kind: spec.names.kind ?? '', plural: spec.names.plural, namespaced: spec.scope === 'Namespaced' };
  const left = await member.client.list(resource, { labelSelector: LABEL_PROPAGATED_OBJECT, limit: 1, signal });
  if (left.items.length === 0) return undefined;
  const first = left.items[0]!;
  const where = first.metadata?.namespace ? `${first.metadata.namespace}/${first.metadata.name}` : first.metadata?.name;
  return `kept until the ${spec.names.plural} Canopy placed there are removed (e.g. ${where}): deleting the CustomResourceDefinition first would delete them with it`;
}

/** A NoExecute taint or a False Ready condition: moving copies away from it is a failover, which a rollout does not pace. */
function clusterCannotServe(cluster: KubeObject | undefined): boolean {
  const c = cluster as
    | (KubeObject & { spec?: { taints?: Array<{ effect?: string }> }; status?: { conditions?: Array<{ type?: string; status?: string }> } })
    | undefined;
  if (c?.spec?.taints?.some((t) => t.effect === 'NoExecute')) return true;
  return c?.status?.conditions?.some((x) => x.type === 'Ready' && x.status === 'False') ?? false;
}

/** The OwnWrites key of a kind on a member cluster (host resources use their plural alone). */
export function memberResourceKey(cluster: string, plural: string): string {
  return `${cluster}:${plural}`;
}

function errorText(err: unknown): string {
  const e = err as { message?: string; body?: { message?: string } };
  return redact((typeof e.body === 'object' ? e.body?.message : undefined) ?? e.message ?? String(err));
}
