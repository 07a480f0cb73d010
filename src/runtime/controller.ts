import { randomUUID } from 'node:crypto';
import type { Logger } from 'pino';
import type { EventRecorder } from './events.js';
import type { Informer, InformerEvent, InformerSelector } from './informer.js';
import type { RuntimeMetrics } from './metrics.js';
import type { KubeObject, Request } from './object.js';
import { parseKey, requestFor, requestKey } from './object.js';
import { KeyProcessor } from './processor.js';
import { WorkQueue } from './queue.js';
import type { RateLimiterOptions } from './ratelimit.js';
import { defaultControllerRateLimiter } from './ratelimit.js';
import type { ResourceRef } from './resources.js';
import { groupOf } from './resources.js';
import { redact } from './redact.js';

/** What a reconcile may ask for besides success. Throwing means "retry with backoff". */
export interface ReconcileResult {
  /** Reconcile this object again after this many ms (polling something outside the cluster, token rotation …). */
  readonly requeueAfter?: number;
}

/** Everything a reconcile gets besides the request. */
export interface ReconcileContext {
  /** Aborted when shutdown's grace period is over: stop and return. */
  readonly signal: AbortSignal;
  /** Carries `controller`, `key` and `reconcileID`. */
  readonly logger: Logger;
  readonly events: EventRecorder;
  readonly controller: string;
  readonly reconcileId: string;
  /** Failures of this key in a row before this attempt (0 on the first try). */
  readonly retries: number;
}

/**
 * A reconciler makes the world match one object's spec. It is level-triggered:
 * it gets only a name, reads current state from informer caches (never from
 * the event that woke it), is idempotent, and may run any number of times.
 */
export interface Reconciler {
  reconcile(request: Request, context: ReconcileContext): Promise<ReconcileResult | void>;
}

export type ReconcileFunc = Reconciler['reconcile'];

/** Decides whether an informer event should trigger anything (see `generationChanged`). */
export type Predicate = (event: InformerEvent) => boolean;

/** A resource plus which of its objects to cache. */
export interface Source extends InformerSelector {
  readonly resource: ResourceRef;
  /** Ignore events this returns false for (the cache still holds every object). */
  readonly predicate?: Predicate;
}

/**
 * Lets through creations, deletions and updates that changed
 * metadata.generation (the spec), so a reconciler's own status writes on its
 * `for` object do not wake it again. Objects without a generation always pass.
 */
export const generationChanged: Predicate = (event) => {
  if (event.type !== 'update') return true;
  const before = event.old.metadata?.generation;
  const after = event.object.metadata?.generation;
  return before === undefined || after === undefined || before !== after;
};

/** Maps an object to the requests it should trigger. */
export type MapFunc = (object: KubeObject) => readonly Request[];

/** A custom trigger: events of a resource (or of an existing informer, e.g. a member cluster's) mapped to requests. */
export type WatchSpec = (Source | { readonly informer: Informer; readonly predicate?: Predicate }) & { readonly map: MapFunc };

export interface ControllerOptions {
  /** Unique; used in metrics, logs and the work-queue name. */
  readonly name: string;
  readonly reconciler: Reconciler | ReconcileFunc;
  /** The reconciled resource: each of its events enqueues that object's own key. */
  readonly for: ResourceRef | Source;
  /**
   * Children: an event on an object whose controller ownerReference points at
   * a `for` object (same kind and API group) enqueues that owner.
   */
  readonly owns?: ReadonlyArray<ResourceRef | Source>;
  /** Other triggers with their own mapping (e.g. a Namespace event → its Workspace). */
  readonly watches?: readonly WatchSpec[];
  /** Reconciles at once (different keys only); default 1. */
  readonly concurrency?: number;
  /** Run only on the elected leader; default true. */
  readonly needLeaderElection?: boolean;
  /** Retry backoff and global retry rate; defaults as client-go. */
  readonly rateLimiter?: RateLimiterOptions;
  /** Re-enqueue every `for` object this often (drift the watches cannot see); default 10 h, 0 = never. */
  readonly resyncPeriodMs?: number;
}

/** What the Controller needs from its Manager. */
export interface ControllerDeps {
  informer(resource: ResourceRef, selector: InformerSelector): Informer;
  readonly metrics: RuntimeMetrics;
  readonly logger: Logger;
  readonly events: EventRecorder;
}

interface Trigger {
  readonly informer: Informer;
  readonly map: MapFunc;
  readonly predicate?: Predicate;
}

function asSource(spec: ResourceRef | Source): Source {
  return 'resource' in spec ? spec : { resource: spec };
}

function selectorOf(source: InformerSelector): InformerSelector {
  return { namespace: source.namespace, labelSelector: source.labelSelector, fieldSelector: source.fieldSelector };
}

/**
 * The request of the controlling owner of `object` if that owner is of
 * `ownerResource` (kind and API group must match; versions may differ).
 * A namespaced owner lives in its child's namespace (Kubernetes forbids
 * cross-namespace owner references).
 */
export function ownerRequests(object: KubeObject, ownerResource: ResourceRef): Request[] {
  const group = groupOf(ownerResource.apiVersion);
  const ref = object.metadata?.ownerReferences?.find((r) => r.controller === true && r.kind === ownerResource.kind && groupOf(r.apiVersion) === group);
  if (!ref) return [];
  if (!ownerResource.namespaced) return [{ name: ref.name }];
  const namespace = object.metadata?.namespace;
  return namespace ? [{ namespace, name: ref.name }] : [];
}

/** Requests for an informer event: both the old and the new object's, so moving ownership or labels re-triggers both sides. */
export function eventRequests(event: InformerEvent, map: MapFunc): Request[] {
  const requests = [...map(event.object)];
  if (event.type === 'update') requests.push(...map(event.old));
  return requests;
}

/**
 * A controller: informers feed a de-duplicating work queue, workers run the
 * reconciler with bounded concurrency. Created by Manager.addController.
 */
export class Controller {
  readonly name: string;
  readonly needLeaderElection: boolean;
  private readonly queue: WorkQueue;
  private readonly processor: KeyProcessor;
  private readonly reconciler: Reconciler;
  private readonly logger: Logger;
  private readonly forInformer: Informer;
  private readonly triggers: Trigger[] = [];
  private readonly unsubscribers: Array<() => void> = [];
  private resyncTimer: NodeJS.Timeout | undefined;
  private started = false;
  private active = 0;

  constructor(
    private readonly options: ControllerOptions,
    private readonly deps: ControllerDeps,
  ) {
    this.name = options.name;
    this.needLeaderElection = options.needLeaderElection ?? true;
    this.logger = deps.logger.child({ controller: this.name });
    this.reconciler = typeof options.reconciler === 'function' ? { reconcile: options.reconciler } : options.reconciler;
    this.queue = new WorkQueue({ rateLimiter: defaultControllerRateLimiter(options.rateLimiter), metrics: deps.metrics.workQueue(this.name) });
    this.processor = new KeyProcessor(this.queue, (key, signal) => this.reconcileKey(key, signal), {
      concurrency: options.concurrency ?? 1,
      onResult: (_key, result, ms) => deps.metrics.reconciled(this.name, result, ms / 1000),
    });
    const forSource = asSource(options.for);
    this.forInformer = deps.informer(forSource.resource, selectorOf(forSource));
    this.triggers.push({ informer: this.forInformer, map: (object) => [requestFor(object)], predicate: forSource.predicate });
    for (const owned of options.owns ?? []) {
      const source = asSource(owned);
      this.triggers.push({
        informer: deps.informer(source.resource, selectorOf(source)),
        map: (object) => ownerRequests(object, forSource.resource),
        predicate: source.predicate,
      });
    }
    for (const spec of options.watches ?? []) {
      const informer = 'informer' in spec ? spec.informer : deps.informer(spec.resource, selectorOf(spec));
      this.triggers.push({ informer, map: spec.map, predicate: spec.predicate });
    }
  }

  /** Informers that must be synced before this controller starts. */
  get informers(): Informer[] {
    return [...new Set(this.triggers.map((t) => t.informer))];
  }

  get isStarted(): boolean {
    return this.started;
  }

  /** Keys waiting in the queue (for tests and debugging). */
  get queueLength(): number {
    return this.queue.length;
  }

  /** Keys waiting or being reconciled right now (not those delayed by enqueueAfter or a backoff). */
  get pending(): number {
    return this.queue.length + this.queue.processingCount;
  }

  /** Asks for a reconcile of `request` (de-duplicated while queued). */
  enqueue(request: Request): void {
    this.queue.add(requestKey(request));
  }

  enqueueAfter(request: Request, delayMs: number): void {
    this.queue.addAfter(requestKey(request), delayMs);
  }

  /**
   * Adds a trigger at run time, e.g. an informer on a member cluster created
   * when that cluster appeared. Returns a function that removes it (the
   * informer's own stop also ends its events).
   */
  watch(informer: Informer, map: MapFunc, predicate?: Predicate): () => void {
    const trigger: Trigger = { informer, map, predicate };
    this.triggers.push(trigger);
    let unsubscribe = this.started ? this.subscribe(trigger) : undefined;
    return () => {
      const i = this.triggers.indexOf(trigger);
      if (i >= 0) this.triggers.splice(i, 1);
      unsubscribe?.();
      unsubscribe = undefined;
    };
  }

  /** Subscribes to the informers (their replay enqueues everything cached) and starts workers. Call after caches synced. */
  start(): void {
    if (this.started) return;
    this.started = true;
    this.deps.metrics.controllerStarted(this.name, this.options.concurrency ?? 1);
    for (const trigger of this.triggers) this.unsubscribers.push(this.subscribe(trigger));
    this.processor.start();
    const resync = this.options.resyncPeriodMs ?? 10 * 3600_000;
    if (resync > 0) {
      const tick = () => {
        for (const object of this.forInformer.list()) this.enqueue(requestFor(object));
        this.resyncTimer = setTimeout(tick, resync * (0.9 + 0.2 * Math.random()));
        this.resyncTimer.unref();
      };
      this.resyncTimer = setTimeout(tick, resync * (0.9 + 0.2 * Math.random()));
      this.resyncTimer.unref();
    }
    this.logger.info({ concurrency: this.options.concurrency ?? 1 }, 'controller started');
  }

  /** Stops taking work and waits up to `deadlineMs` for reconciles in flight. Resolves true if they all finished. */
  async stop(deadlineMs: number): Promise<boolean> {
    clearTimeout(this.resyncTimer);
    for (const unsubscribe of this.unsubscribers.splice(0)) unsubscribe();
    const drained = await this.processor.stop(deadlineMs);
    if (this.started) this.logger.info({ drained }, 'controller stopped');
    return drained;
  }

  private subscribe(trigger: Trigger): () => void {
    return trigger.informer.on((event) => {
      if (trigger.predicate && !trigger.predicate(event)) return;
      for (const request of eventRequests(event, trigger.map)) this.enqueue(request);
    });
  }

  private async reconcileKey(key: string, signal: AbortSignal): Promise<ReconcileResult | void> {
    const reconcileId = randomUUID();
    const logger = this.logger.child({ key, reconcileID: reconcileId });
    const retries = this.queue.numRequeues(key);
    this.deps.metrics.activeWorkersChanged(this.name, ++this.active);
    try {
      const result = await this.reconciler.reconcile(parseKey(key), { signal, logger, events: this.deps.events, controller: this.name, reconcileId, retries });
      logger.debug({ requeueAfter: result?.requeueAfter }, 'reconciled');
      return result;
    } catch (err) {
      // Redacted: a reconcile error can quote what a cluster was sent or answered, credentials included.
      logger.error(
        { err: err instanceof Error ? { message: redact(err.message), stack: redact(err.stack ?? '') } : redact(String(err)), retries },
        'reconcile failed; will retry',
      );
      throw err;
    } finally {
      this.deps.metrics.activeWorkersChanged(this.name, --this.active);
    }
  }
}
