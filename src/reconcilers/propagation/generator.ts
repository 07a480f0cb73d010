/**
 * Generates PropagatedObjects for plain objects: an object in a tenant
 * namespace that a PlacementPolicy's resourceSelectors select gets a
 * PropagatedObject `<name>-<kind>` owned by it, whose template follows the
 * object as the tenant edits it. When no policy selects the object any more
 * (its labels changed, the policy went away) the generated PropagatedObject
 * is not deleted at once: it is marked and keeps its copies for the grace the
 * last selecting policy set (placement/deselection.ts), then deleted, and its
 * finalizer removes the copies from member clusters. A source deleted by its
 * owner takes its PropagatedObject (and so its copies) with it at once.
 *
 * Requests: a PlacementPolicy (cluster-scoped name) fans out to every object
 * of the kinds policies select; a plain object is `{namespace, name:
 * "<apiVersion>/<kind>/<name>"}`.
 */
import {
  apply,
  isBeingDeleted,
  isNotFound,
  Resources,
  type Controller,
  type Informer,
  type KubeObject,
  type Logger,
  type Manager,
  type ReconcileContext,
  type ReconcileResult,
  type Request,
  type ResourceRef,
} from '../../runtime/index.js';
import { LABEL_MANAGED_BY, LABEL_WORKSPACE, MANAGED_BY_VALUE } from '../../crds/labels.js';
import { ANNOTATION_DESELECTED_SINCE, ANNOTATION_DESELECTION_GRACE, decideDeselection, policyGraceSeconds } from '../placement/deselection.js';
import { generatePropagatedObject, isGenerated, sourceKey, type SourceObject } from './generate.js';
import type { PropagatedObjectLike } from './host.js';
import { jsonEqual } from './jsonpatch.js';
import { tenantLabels } from './members.js';
import { ANNOTATION_SOURCE } from '../../crds/labels.js';
import { generatedName } from './names.js';
import { selectPolicy, type SelectablePolicy } from '../placement/select-policy.js';

export type PolicyObject = SelectablePolicy & KubeObject;

/** `apps/v1/Deployment/web` → its parts (apiVersion may contain a slash). */
export function parseSourceName(name: string): { apiVersion: string; kind: string; name: string } | undefined {
  const parts = name.split('/');
  if (parts.length < 3) return undefined;
  const objectName = parts.pop()!;
  const kind = parts.pop()!;
  return { apiVersion: parts.join('/'), kind, name: objectName };
}

export function sourceRequest(object: KubeObject): Request {
  return { namespace: object.metadata?.namespace ?? '', name: `${object.apiVersion}/${object.kind}/${object.metadata?.name ?? ''}` };
}

/** Objects Canopy never generates PropagatedObjects for: its own, and those another controller owns (ReplicaSets, Pods). */
function generatable(object: KubeObject): boolean {
  if (object.metadata?.labels?.[LABEL_MANAGED_BY] === MANAGED_BY_VALUE) return false;
  return !(object.metadata?.ownerReferences ?? []).some((r) => r.controller === true);
}

/** `apiVersion/kind` of every plain kind some policy selects. */
export function selectedKinds(policies: readonly PolicyObject[]): Set<string> {
  const kinds = new Set<string>();
  for (const p of policies) {
    for (const s of p.spec.resourceSelectors ?? []) {
      if (s.apiVersion.startsWith('canopy.dev/')) continue;
      kinds.add(`${s.apiVersion}/${s.kind}`);
    }
  }
  return kinds;
}

export class Generator {
  /** Synced informers of the selected kinds, by `apiVersion/kind`. */
  private readonly sources = new Map<string, Informer>();
  /** Informers being started, so concurrent reconciles start (and watch) each kind once. */
  private readonly starting = new Map<string, Promise<Informer | undefined>>();
  private controller: Controller | undefined;
  private lastPolicies: string | undefined;
  /** Deselection marks written by this process (by uid), until the cache shows them: a second look must not mark again later. */
  private readonly marks = new Map<string, string>();

  constructor(
    private readonly manager: Manager,
    private readonly policies: Informer<PolicyObject>,
    private readonly propagatedObjects: Informer<PropagatedObjectLike>,
    private readonly namespaces: Informer,
    private readonly logger: Logger,
  ) {}

  attach(controller: Controller): void {
    this.controller = controller;
  }

  async reconcile(request: Request, ctx: ReconcileContext): Promise<ReconcileResult | void> {
    if (!request.namespace) return this.policyChanged(ctx);
    const ref = parseSourceName(request.name);
    if (!ref) return;
    const namespace = request.namespace;
    const kind = `${ref.apiVersion}/${ref.kind}`;
    // Without a cache of the kind its objects cannot be told apart from absent ones. A generated
    // PropagatedObject wakes its source as the operator starts, possibly before any policy request
    // has started the kind's informer: start it here rather than take the source for deleted (and
    // its copies off every member).
    const informer =
      this.sources.get(kind) ?? (selectedKinds(this.policies.list()).has(kind) ? await this.sourceInformer(ref.apiVersion, ref.kind, ctx.signal) : undefined);
    const source = informer?.get(ref.name, namespace) as SourceObject | undefined;
    const ns = this.namespaces.get(namespace);
    const existing = this.propagatedObjects.get(generatedName(ref.name, ref.kind), namespace);
    const ours =
      existing !== undefined && isGenerated(existing) && existing.metadata?.annotations?.[ANNOTATION_SOURCE] === `${ref.apiVersion}/${ref.kind}/${ref.name}`;

    const tenant = ns?.metadata?.labels?.[LABEL_WORKSPACE] !== undefined && !isBeingDeleted(ns);
    const selection =
      source && tenant && !isBeingDeleted(source) && generatable(source)
        ? selectPolicy(source, this.policies.list(), { name: namespace, labels: ns?.metadata?.labels ?? {} })
        : undefined;
    if (!selection || !source) {
      if (!ours || isBeingDeleted(existing)) return;
      // The owner deleting the object (or its namespace going) is meant: its copies go at once.
      // Anything else is a deselection, which waits out the grace first.
      const intended = !source || isBeingDeleted(source) || !ns || isBeingDeleted(ns);
      if (intended) return this.removeGenerated(existing, ctx, request.name, 'the object is gone; removed its PropagatedObject');
      return this.deselected(existing, source, ctx, request.name);
    }
    // A PropagatedObject on its way out (its finalizer is cleaning the members) is re-created once it is gone.
    if (existing && isBeingDeleted(existing)) return;
    if (existing && !ours) {
      ctx.events.warning(
        source,
        'PropagatedObjectNameTaken',
        `PropagatedObject ${existing.metadata?.name} exists and was not generated for this ${ref.kind}; rename one of them to have it placed`,
      );
      return;
    }
    if (existing && (existing.metadata?.annotations?.[ANNOTATION_DESELECTED_SINCE] !== undefined || this.marks.has(existing.metadata?.uid ?? ''))) {
      // Selected again within the grace: the mark goes and the copies stay where they are. The
      // mark was written by a merge patch, so the apply below would not remove it.
      await this.patchAnnotations(existing, { [ANNOTATION_DESELECTED_SINCE]: null }, ctx.signal);
      this.marks.delete(existing.metadata?.uid ?? '');
      ctx.logger.info({ source: request.name }, 'selected again within the deselection grace; its copies stay');
    }
    const desired = generatePropagatedObject(source, tenantLabels(ns), policyGraceSeconds(selection.policy));
    if (
      existing &&
      jsonEqual(existing.spec?.template, desired.spec.template) &&
      existing.metadata?.annotations?.[ANNOTATION_DESELECTION_GRACE] === desired.metadata.annotations[ANNOTATION_DESELECTION_GRACE] &&
      existing.metadata?.ownerReferences?.some((r) => r.uid === source.metadata.uid)
    ) {
      return;
    }
    await apply(this.manager.client, desired, { resource: Resources.PropagatedObject, signal: ctx.signal });
  }

  /**
   * No policy selects the (still existing) source: mark the PropagatedObject
   * and keep it through the grace, then delete it. The template is left as
   * it was, so the copies do not change meanwhile either.
   */
  private async deselected(existing: PropagatedObjectLike, source: SourceObject, ctx: ReconcileContext, key: string): Promise<ReconcileResult | void> {
    const uid = existing.metadata?.uid ?? '';
    const cached = existing.metadata?.annotations ?? {};
    const written = this.marks.get(uid);
    if (cached[ANNOTATION_DESELECTED_SINCE] !== undefined) this.marks.delete(uid);
    const annotations = cached[ANNOTATION_DESELECTED_SINCE] === undefined && written ? { ...cached, [ANNOTATION_DESELECTED_SINCE]: written } : cached;
    const decision = decideDeselection(annotations, Date.now());
    if (decision.action === 'delete') {
      this.marks.delete(uid);
      return this.removeGenerated(existing, ctx, key, 'no PlacementPolicy has selected the object for its deselection grace; removed its PropagatedObject');
    }
    if (decision.action === 'mark') {
      await this.patchAnnotations(existing, { [ANNOTATION_DESELECTED_SINCE]: decision.since }, ctx.signal);
      this.marks.set(uid, decision.since);
      const message = `no PlacementPolicy selects ${source.kind} ${source.metadata.name} any more; PropagatedObject ${existing.metadata?.name} and its copies are kept until ${decision.until.toISOString()}, then removed`;
      ctx.events.normal(source, 'Deselected', message);
      ctx.logger.info(
        { source: key, until: decision.until.toISOString() },
        'no PlacementPolicy selects the object any more; its copies are kept for the deselection grace',
      );
    }
    // Woken when the grace ends (a little after, so the decision is then 'delete').
    return { requeueAfter: decision.requeueAfterMs + 100 };
  }

  private async removeGenerated(existing: PropagatedObjectLike, ctx: ReconcileContext, key: string, why: string): Promise<void> {
    await this.manager.client
      .delete(Resources.PropagatedObject, existing.metadata?.name ?? '', existing.metadata?.namespace, { preconditions: { uid: existing.metadata?.uid } })
      .catch((err: unknown) => {
        if (!isNotFound(err)) throw err;
      });
    ctx.logger.info({ source: key }, why);
  }

  private async patchAnnotations(existing: PropagatedObjectLike, annotations: Record<string, string | null>, signal: AbortSignal): Promise<void> {
    // uid: never mark (or unmark) a PropagatedObject of the same name created meanwhile.
    await this.manager.client
      .patch(
        Resources.PropagatedObject,
        existing.metadata?.name ?? '',
        existing.metadata?.namespace,
        { metadata: { uid: existing.metadata?.uid, annotations } },
        'merge',
        { signal },
      )
      .catch((err: unknown) => {
        if (!isNotFound(err)) throw err;
      });
  }

  /** A policy changed: make sure every selected kind is watched, then look at every object of those kinds and every generated PropagatedObject. */
  private async policyChanged(ctx: ReconcileContext): Promise<void> {
    // Status updates of policies (matched counts) change nothing here: act only when a spec changed.
    const fingerprint = this.policies
      .list()
      .map((p) => `${p.metadata.name}@${(p as KubeObject).metadata?.generation ?? ''}${p.metadata.deletionTimestamp ? '-' : ''}`)
      .sort()
      .join(',');
    if (fingerprint === this.lastPolicies) return;
    for (const key of selectedKinds(this.policies.list())) {
      if (this.sources.has(key)) continue;
      const slash = key.lastIndexOf('/');
      await this.sourceInformer(key.slice(0, slash), key.slice(slash + 1), ctx.signal);
    }
    this.lastPolicies = fingerprint;
    for (const informer of this.sources.values()) for (const o of informer.list()) this.controller?.enqueue(sourceRequest(o));
    for (const po of this.propagatedObjects.list()) {
      const source = po.metadata?.annotations?.[ANNOTATION_SOURCE];
      if (isGenerated(po) && source) this.controller?.enqueue({ namespace: po.metadata?.namespace ?? '', name: source });
    }
  }

  /** Re-evaluates every watched object of one namespace (its labels decide whether it is a tenant's and in which workspace). */
  namespaceChanged(namespace: string): void {
    for (const informer of this.sources.values()) for (const o of informer.list(namespace)) this.controller?.enqueue(sourceRequest(o));
  }

  /** The synced informer of a kind, started (once) if need be; undefined when the control plane does not serve it namespaced. */
  private sourceInformer(apiVersion: string, kind: string, signal: AbortSignal): Promise<Informer | undefined> {
    const key = `${apiVersion}/${kind}`;
    const known = this.sources.get(key);
    if (known) return Promise.resolve(known);
    let pending = this.starting.get(key);
    if (!pending) {
      pending = this.watchKind(apiVersion, kind, signal).finally(() => this.starting.delete(key));
      this.starting.set(key, pending);
    }
    return pending;
  }

  private async watchKind(apiVersion: string, kind: string, signal: AbortSignal): Promise<Informer | undefined> {
    let resource: ResourceRef;
    try {
      resource = await this.manager.client.resourceFor(apiVersion, kind);
    } catch (err) {
      if (isNotFound(err)) {
        this.logger.warn({ apiVersion, kind }, 'a PlacementPolicy selects a kind the control plane does not serve; ignored until it does');
        return undefined;
      }
      throw err;
    }
    if (!resource.namespaced) return undefined;
    const informer = this.manager.informer(resource);
    informer.start();
    await informer.waitForSync(signal);
    this.controller?.watch(informer, (o) => [sourceRequest(o)]);
    this.sources.set(`${apiVersion}/${kind}`, informer);
    return informer;
  }
}

/** Generated PropagatedObjects wake their source (so a hand-deleted or hand-edited one is regenerated). */
export function generatedSourceRequests(po: KubeObject): Request[] {
  const source = po.metadata?.annotations?.[ANNOTATION_SOURCE];
  return source && po.metadata?.labels?.[LABEL_MANAGED_BY] === MANAGED_BY_VALUE ? [{ namespace: po.metadata?.namespace ?? '', name: source }] : [];
}

export { sourceKey };
