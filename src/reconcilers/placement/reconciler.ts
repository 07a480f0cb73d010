import { isDeepStrictEqual } from 'node:util';
import type { Cluster as ClusterObject } from '../../crds/cluster.js';
import type { Condition } from '../../crds/common.js';
import type { PlacementPolicy as PolicyObject } from '../../crds/placementpolicy.js';
import { ScheduledReasons, type PropagatedObject } from '../../crds/propagatedobject.js';
import type { Workspace } from '../../crds/workspace.js';
import { findCondition, setConditions } from '../../kube/conditions.js';
import {
  apply,
  CoalescingWriter,
  isBeingDeleted,
  isNotFound,
  Resources,
  type Informer,
  type KubeObject,
  type Manager,
  type ReconcileContext,
  type ReconcileResult,
  type Request,
  type ResourceRef,
} from '../../runtime/index.js';
import { deselectedMessage } from './deselection.js';
import { selectPolicy } from './select-policy.js';
import { pendingRebalance } from './rebalance.js';
import { awaitedClusters, awaitingMessage } from './awaiting-health.js';
import { ANNOTATION_PLACEMENT_CLUSTERS } from './object-profile.js';
import { schedule } from './engine.js';
import type { PluginRegistry } from './registry.js';
import { askPolicyEngine } from './policy-engine-client.js';
import { PluginAnswerCache } from './plugin-client.js';
import type { Cluster, PlacedObject, PlacementPolicy, PluginAnswer, PolicyEngineDecision, ScheduleResult } from './types.js';
import { workspaceContextFor } from './workspace-context.js';

export const CONTROLLER_NAME = 'placement';
/** Owns status.policy, status.placement, status.excluded and the Scheduled condition (the syncer owns the rest). */
export const PLACEMENT_FIELD_MANAGER = 'canopy-placement';

interface PlacementStatus {
  policy?: string;
  placement: ScheduleResult['placement'];
  excluded: ScheduleResult['excluded'];
  /** The rebalance request acted on (rebalance.ts); carried over from the object when this decision acts on none. */
  rebalancedAt?: string;
  conditions: Condition[];
}

/**
 * Decides where each PropagatedObject runs: picks its PlacementPolicy
 * (pinned by spec.placementRef, else the highest priority that selects it),
 * runs the engine over the registered Clusters within the workspace's
 * effective constraints, and records placement, exclusions and Scheduled.
 * Level-triggered: any change of the object, a policy, a cluster or a
 * workspace re-decides, and an unchanged decision writes nothing.
 */
export class PlacementReconciler {
  constructor(
    private readonly manager: Manager,
    private readonly objects: Informer<PropagatedObject & KubeObject>,
    private readonly policies: Informer<PolicyObject & KubeObject>,
    private readonly clusters: Informer<ClusterObject & KubeObject>,
    private readonly workspaces: Informer<Workspace & KubeObject>,
    private readonly namespaces: Informer<KubeObject>,
    private readonly now: () => number = Date.now,
    /** The plugins to run; extension authors pass a registry with their own plugins added. */
    private readonly registry?: PluginRegistry,
    /** Called when a queued decision could not be written: decide that object again later. */
    private readonly retry: (request: Request) => void = () => undefined,
    /** PropagatedObjects, or ClusterPropagatedObjects (no namespace, no workspace: placed by an administrator's policy). */
    private readonly resource: ResourceRef = Resources.PropagatedObject,
  ) {}

  /** How placement sees the Clusters; register.ts adds the kinds ClusterPropagatedObjects' CRDs bring (cluster-scoped.ts). */
  clusterView: (clusters: Cluster[]) => Cluster[] = (clusters) => clusters;

  /** External plugins' answers, so a plugin is asked once per object generation and cluster set, not per probe. */
  private readonly pluginAnswers = new PluginAnswerCache();

  private readonly writer = new CoalescingWriter<QueuedDecision>({
    // None started while the syncer has moves waiting or in progress (at most REPORT_MAX_DEFER_MS):
    // the apiservers' CPU goes to the moves first; then the records go out 16 at a time.
    concurrency: 16,
    yieldTo: () => this.manager.urgentWork.pending(),
    write: (_key, decision) => this.writeQueued(decision),
    onFailure: (_key, decision, err) => {
      this.manager.logger.warn(
        {
          controller: CONTROLLER_NAME,
          object: `${decision.po.metadata.namespace}/${decision.po.metadata.name}`,
          err: err instanceof Error ? err.message : String(err),
        },
        'placement status write failed; deciding again',
      );
      this.retry({ name: decision.po.metadata.name!, namespace: decision.po.metadata.namespace });
    },
  });

  async reconcile(request: Request, context: ReconcileContext): Promise<ReconcileResult> {
    // What is written (or on its way), not what is merely intended: a failed write must be decided and written again.
    const po = this.manager.ownWrites.freshest(this.resource.plural, this.objects.get(request.name, request.namespace), { intents: false });
    if (!po) {
      // Gone: a decision still announced for it (its write failed and was to be retried) goes too.
      this.manager.ownWrites.dropIntent(this.resource.plural, { metadata: { name: request.name, namespace: request.namespace } });
      return {};
    }
    if (isBeingDeleted(po)) return {};
    const template = po.spec.template as PlacedObject | undefined;
    if (!template?.apiVersion || !template.kind) {
      return this.write(
        po,
        { placement: [], excluded: [] },
        { status: 'False', reason: 'NoTemplate', message: 'spec.template is empty: nothing to place yet' },
        context,
      );
    }
    // Admission accepts a cluster pin on the template or on the PropagatedObject itself; the
    // scheduler must obey whichever was accepted (the template's wins, as admission reads it).
    const ownPin = po.metadata.annotations?.[ANNOTATION_PLACEMENT_CLUSTERS];
    const annotations =
      template.metadata?.annotations?.[ANNOTATION_PLACEMENT_CLUSTERS] === undefined && ownPin !== undefined
        ? { annotations: { ...template.metadata?.annotations, [ANNOTATION_PLACEMENT_CLUSTERS]: ownPin } }
        : {};
    const object: PlacedObject = {
      ...template,
      metadata: { ...template.metadata, ...annotations, name: template.metadata?.name ?? po.metadata.name!, namespace: po.metadata.namespace },
    };
    const namespace = po.metadata.namespace ? this.namespaces.get(po.metadata.namespace) : undefined;

    // Deselected and within its grace (placement/deselection.ts): the placement stays as it was, so nothing moves.
    const deselected = deselectedMessage(po, object);
    if (deselected) {
      const kept = {
        placement: (po.status?.placement ?? []) as ScheduleResult['placement'],
        excluded: (po.status?.excluded ?? []) as ScheduleResult['excluded'],
      };
      return this.write(
        po,
        { ...(po.status?.policy ? { policy: po.status.policy } : {}), ...kept },
        { status: 'False', reason: ScheduledReasons.Deselected, message: deselected },
        context,
      );
    }

    const chosen = this.policyFor(po, object, namespace);
    if ('problem' in chosen)
      return this.write(po, { placement: [], excluded: [] }, { status: 'False', reason: chosen.reason, message: chosen.problem }, context);

    const workspace = workspaceContextFor(namespace?.metadata?.labels, (n) => this.workspaces.get(n));
    if (workspace.problem)
      return this.write(
        po,
        { policy: chosen.policy.metadata.name, placement: [], excluded: [] },
        { status: 'False', reason: workspace.reason ?? 'WorkspaceUnavailable', message: workspace.problem },
        context,
      );

    const clusters = this.clusterView(this.clusters.list() as Cluster[]);
    const rebalance = pendingRebalance(po, chosen.policy, po.status?.rebalancedAt);
    let decision: PolicyEngineDecision | undefined;
    const engineRef = chosen.policy.spec.policyEngine;
    if (engineRef) {
      decision = await askPolicyEngine(engineRef, { object, clusters, workspace: workspace.context ?? null });
      if ('error' in decision) context.logger.warn({ url: engineRef.url, error: decision.error }, 'policy engine failed');
    }
    // Asked here, before the engine, which only reads the answers (it does no I/O).
    let pluginAnswers: Record<string, PluginAnswer> | undefined;
    let pluginsExpireInMs: number | undefined;
    const plugins = chosen.policy.spec.plugins ?? [];
    if (plugins.length > 0) {
      const pluginInput = { object, clusters, workspace: workspace.context ?? null };
      const asked = await this.pluginAnswers.askAll(chosen.policy.metadata.name, plugins, po.metadata, pluginInput, this.now());
      pluginAnswers = asked.answers;
      pluginsExpireInMs = asked.expiresInMs;
      for (const [name, answer] of Object.entries(asked.answers)) {
        if ('error' in answer) context.logger.warn({ plugin: name, error: answer.error }, 'placement plugin failed');
      }
    }
    const input = {
      object,
      policy: chosen.policy,
      clusters,
      workspace: workspace.context,
      currentPlacement: po.status?.placement,
      // Where it failed over from (filters/failback.ts), and a requested rebalance (rebalance.ts).
      previousExclusions: po.status?.excluded,
      copies: po.status?.clusters,
      ...(rebalance ? { rebalance: true } : {}),
      policyEngineDecision: decision,
      ...(pluginAnswers ? { pluginAnswers } : {}),
      now: this.now(),
    };
    const options = this.registry ? { registry: this.registry } : {};
    const result = schedule(input, options);
    const awaited = awaitedClusters(input, options);
    if (awaited) {
      const waiting = { status: 'False' as const, reason: ScheduledReasons.AwaitingClusterHealth, message: awaitingMessage(awaited) };
      const held = await this.write(po, { policy: chosen.policy.metadata.name, placement: [], excluded: result.excluded }, waiting, context);
      // The clusters' first probes wake this object anyway; the requeue bounds the wait.
      return { ...held, requeueAfter: awaited.waitMs + 100 };
    }
    const tieNote = chosen.tiedWith.length > 0 ? ` (policy ${chosen.policy.metadata.name} won a priority tie with ${chosen.tiedWith.join(', ')} by name)` : '';
    const written = await this.write(
      po,
      { policy: chosen.policy.metadata.name, placement: result.placement, excluded: result.excluded, ...(rebalance ? { rebalancedAt: rebalance } : {}) },
      { status: result.condition.status, reason: result.condition.reason, message: result.condition.message + tieNote },
      context,
    );
    // A NoExecute taint with tolerationSeconds expires later, a plugin's answer or a cluster score goes stale: decide again then.
    return { ...written, requeueAfter: earliest(nextTolerationExpiry(clusters, chosen.policy, this.now()), pluginsExpireInMs, result.requeueAfterMs) };
  }

  private policyFor(
    po: PropagatedObject,
    object: PlacedObject,
    namespace: KubeObject | undefined,
  ): { policy: PlacementPolicy & { metadata: { name: string } }; tiedWith: readonly string[] } | { problem: string; reason: string } {
    const pinned = po.spec.placementRef?.name;
    if (pinned) {
      const policy = this.policies.get(pinned);
      if (!policy || isBeingDeleted(policy))
        return { reason: 'PolicyNotFound', problem: `spec.placementRef names PlacementPolicy ${pinned}, which does not exist` };
      return { policy: policy as PlacementPolicy & { metadata: { name: string } }, tiedWith: [] };
    }
    const policies = this.policies.list() as (PlacementPolicy & { metadata: { name: string } })[];
    const selection = selectPolicy(object, policies, { name: po.metadata.namespace ?? '', labels: namespace?.metadata?.labels });
    if (!selection) {
      return {
        reason: 'NoPolicy',
        problem: `no PlacementPolicy selects ${object.apiVersion} ${object.kind} ${po.metadata.namespace}/${object.metadata.name}: add a resourceSelector for it or set spec.placementRef`,
      };
    }
    return selection;
  }

  private async write(
    po: PropagatedObject & KubeObject,
    decided: Omit<PlacementStatus, 'conditions'>,
    scheduled: { status: 'True' | 'False'; reason: string; message: string },
    context: ReconcileContext,
  ): Promise<ReconcileResult> {
    const before = findCondition(po.status?.conditions, 'Scheduled');
    // What was last announced: the written decision, or the one queued behind the writer. Every
    // workspace or cluster event re-decides every object; one re-made while its write still waits
    // must not be announced again (it was, hundreds of times per object, while a deep tree grew).
    const announced = this.manager.ownWrites.freshest(this.resource.plural, po, { intents: true }) ?? po;
    const announcedScheduled = findCondition(announced.status?.conditions, 'Scheduled');
    // Already written, and no other decision on its way: nothing to do. With one on its way (the
    // inputs changed and changed back), this decision replaces it, so the older one is not left standing.
    if (recorded(po, decided, scheduled) && !this.manager.ownWrites.hasIntent(this.resource.plural, po)) return {};
    const conditions = setConditions(before ? [before] : [], [{ type: 'Scheduled', ...scheduled }], po.metadata.generation);
    const status: PlacementStatus = { placement: [...decided.placement], excluded: [...decided.excluded], conditions };
    if (decided.policy) status.policy = decided.policy;
    // Placement's own field: a decision that sends it not would have server-side apply remove it.
    const rebalancedAt = decided.rebalancedAt ?? po.status?.rebalancedAt;
    if (rebalancedAt) status.rebalancedAt = rebalancedAt;
    // The decision is announced in-process first (the syncer starts moving replicas at once) and
    // written behind: during a failover, a thousand status writes must not stand between the
    // taint and the moves. It is a pure function of the caches, so a restart decides it again.
    const token = this.manager.ownWrites.intend(this.resource.plural, po, (o) => withPlacement(o, status), CONTROLLER_NAME);
    this.writer.submit(`${po.metadata.namespace}/${po.metadata.name}`, { po, status, scheduled, token });
    if (announcedScheduled?.status !== scheduled.status || announcedScheduled?.reason !== scheduled.reason) {
      // The condition counts the clusters; the audit trail names them.
      if (scheduled.status === 'True') context.events.normal(po, 'Scheduled', `${scheduled.message}: ${decided.placement.map((p) => p.cluster).join(', ')}`);
      else if (scheduled.reason === ScheduledReasons.AwaitingClusterHealth) context.events.normal(po, scheduled.reason, scheduled.message);
      else context.events.warning(po, scheduled.reason, scheduled.message);
    } else if (scheduled.status === 'True') {
      // Still scheduled, elsewhere: a failover or a policy edit. Without this the audit trail would show
      // the first decision only, never the move (the condition's status and reason stay the same).
      const moved = movement(announced.status?.placement ?? [], decided.placement, decided.excluded);
      if (moved && moved.left.length > 0) context.events.normal(po, 'Moved', moved.message);
      else if (moved) context.events.normal(po, 'Scheduled', moved.message);
    }
    return {};
  }

  /** Writes one queued decision unless the object already shows it; settles its intent either way. */
  private async writeQueued({ po, status, scheduled, token }: QueuedDecision): Promise<void> {
    const settle = () => this.manager.ownWrites.settle(this.resource.plural, po, token);
    const latest = this.manager.ownWrites.freshest(this.resource.plural, this.objects.get(po.metadata.name!, po.metadata.namespace), {
      intents: false,
    });
    if (!latest || latest.metadata.uid !== po.metadata.uid) return settle(); // deleted, or a new object of that name
    if (recorded(latest, status, scheduled)) return settle();
    try {
      const stored = await apply(
        this.manager.client,
        {
          apiVersion: this.resource.apiVersion,
          kind: this.resource.kind,
          metadata: { name: po.metadata.name, ...(this.resource.namespaced ? { namespace: po.metadata.namespace } : {}) },
          status,
        },
        { resource: this.resource, subresource: 'status', fieldManager: PLACEMENT_FIELD_MANAGER },
      );
      this.manager.ownWrites.record(this.resource.plural, stored);
    } catch (err) {
      if (!isNotFound(err)) throw err; // kept as intended: the retry decides and writes again
    }
    settle();
  }
}

/** How a decision's clusters differ from the previous one's, with why each left cluster was dropped; undefined when they do not. */
function movement(
  previous: readonly { cluster: string }[],
  next: readonly { cluster: string }[],
  excluded: readonly { cluster: string; reason: string }[],
): { left: string[]; message: string } | undefined {
  const before = new Set(previous.map((p) => p.cluster));
  const after = new Set(next.map((p) => p.cluster));
  const left = [...before].filter((c) => !after.has(c)).sort();
  const joined = [...after].filter((c) => !before.has(c)).sort();
  if (before.size === 0 || (left.length === 0 && joined.length === 0)) return undefined;
  const why = left.map((c) => `${c}: ${excluded.find((e) => e.cluster === c)?.reason ?? 'no longer chosen'}`);
  const verb = left.length > 0 ? 'moved' : 'widened';
  return {
    left,
    message: `${verb} from ${[...before].sort().join(', ')} to ${[...after].sort().join(', ') || 'nowhere'}${why.length > 0 ? ` (${why.join('; ')})` : ''}`,
  };
}

interface QueuedDecision {
  readonly po: PropagatedObject & KubeObject;
  readonly status: PlacementStatus;
  readonly scheduled: { status: 'True' | 'False'; reason: string; message: string };
  readonly token: symbol;
}

/** Whether the object already records this decision (policy, placement, exclusions, Scheduled). */
function recorded(
  po: PropagatedObject & KubeObject,
  decided: Omit<PlacementStatus, 'conditions'>,
  scheduled: { status: string; reason: string; message: string },
): boolean {
  const before = findCondition(po.status?.conditions, 'Scheduled');
  return (
    before?.status === scheduled.status &&
    before.reason === scheduled.reason &&
    before.message === scheduled.message &&
    before.observedGeneration === po.metadata.generation &&
    po.status?.policy === decided.policy &&
    (decided.rebalancedAt === undefined || po.status?.rebalancedAt === decided.rebalancedAt) &&
    sameEntries(po.status?.placement, decided.placement) &&
    sameEntries(po.status?.excluded, decided.excluded)
  );
}

/** The object as it will be once the decision is written: placement's fields replaced, the rest kept. */
function withPlacement(object: KubeObject, status: PlacementStatus): KubeObject {
  const current = (object as { status?: { conditions?: Condition[] } }).status ?? {};
  const conditions = [...(current.conditions ?? []).filter((c) => c.type !== 'Scheduled'), ...status.conditions];
  return {
    ...object,
    status: {
      ...current,
      placement: status.placement,
      excluded: status.excluded,
      ...(status.policy ? { policy: status.policy } : {}),
      ...(status.rebalancedAt ? { rebalancedAt: status.rebalancedAt } : {}),
      conditions,
    },
  } as KubeObject;
}

/**
 * Compares as JSON values: key order does not count (the apiserver returns
 * keys sorted, the engine builds them in its own order) and undefined fields
 * are absent, so an unchanged decision is never written again.
 */
function sameEntries(a: readonly object[] | undefined, b: readonly object[]): boolean {
  return isDeepStrictEqual(JSON.parse(JSON.stringify(a ?? [])), JSON.parse(JSON.stringify(b)));
}

function earliest(...delays: (number | undefined)[]): number | undefined {
  let min: number | undefined;
  for (const d of delays) if (d !== undefined && d > 0 && (min === undefined || d < min)) min = d;
  return min;
}

/** When the earliest tolerated NoExecute taint stops being tolerated (ms from now), if any. */
function nextTolerationExpiry(clusters: readonly Cluster[], policy: PlacementPolicy, now: number): number | undefined {
  let soonest: number | undefined;
  for (const cluster of clusters) {
    for (const taint of cluster.spec?.taints ?? []) {
      if (taint.effect !== 'NoExecute' || !taint.timeAdded) continue;
      for (const toleration of policy.spec.tolerations ?? []) {
        if (toleration.tolerationSeconds === undefined || (toleration.key && toleration.key !== taint.key)) continue;
        const expiry = Date.parse(taint.timeAdded) + toleration.tolerationSeconds * 1000 - now;
        if (expiry > 0 && (soonest === undefined || expiry < soonest)) soonest = expiry + 100;
      }
    }
  }
  return soonest;
}
