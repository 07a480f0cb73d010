import { randomBytes } from 'node:crypto';
import { LRUCache } from 'lru-cache';
import type { Logger } from 'pino';
import type { Clock } from './clock.js';
import { systemClock } from './clock.js';
import { isNotFound } from './errors.js';
import type { ApiClient } from './http.js';
import type { KubeObject } from './object.js';
import { Resources } from './resources.js';

export type EventType = 'Normal' | 'Warning';

/**
 * Records Kubernetes Events on objects (what `kubectl describe` shows).
 * Fire-and-forget: recording never blocks or fails a reconcile.
 */
export interface EventRecorder {
  /** Something expected happened (`Created`, `Synced`). `reason` is UpperCamelCase. */
  normal(object: KubeObject, reason: string, message: string): void;
  /** Something needs a human (`Unschedulable`, `ConstraintViolated`). */
  warning(object: KubeObject, reason: string, message: string): void;
}

export type CorrelatedAction = { readonly action: 'create'; readonly name: string } | { readonly action: 'patch'; readonly name: string; readonly count: number };

/**
 * Aggregates repeats the way client-go's EventCorrelator does: the same
 * (object, type, reason, message) within `windowMs` bumps `count` on the
 * existing Event instead of creating another one.
 */
export class EventCorrelator {
  private readonly seen: LRUCache<string, { name: string; count: number; last: number }>;

  constructor(
    private readonly windowMs = 10 * 60_000,
    private readonly clock: Clock = systemClock,
    max = 4096,
  ) {
    this.seen = new LRUCache({ max });
  }

  observe(key: string, objectName: string): CorrelatedAction {
    const now = this.clock.now();
    const entry = this.seen.get(key);
    if (entry && now - entry.last < this.windowMs) {
      entry.count++;
      entry.last = now;
      return { action: 'patch', name: entry.name, count: entry.count };
    }
    const name = `${objectName}.${now.toString(16)}${randomBytes(3).toString('hex')}`;
    this.seen.set(key, { name, count: 1, last: now });
    return { action: 'create', name };
  }

  /** The Event vanished (TTL): start a fresh one next time. */
  reset(key: string): void {
    this.seen.delete(key);
  }
}

interface CoreEvent extends KubeObject {
  involvedObject: { apiVersion?: string; kind?: string; name?: string; namespace?: string; uid?: string; resourceVersion?: string };
  reason: string;
  message: string;
  type: EventType;
  count: number;
  firstTimestamp: string;
  lastTimestamp: string;
  source: { component: string };
  reportingComponent: string;
  reportingInstance: string;
}

/** Writes core/v1 Events through the API with aggregation and a bounded backlog. */
export class KubeEventRecorder implements EventRecorder {
  private readonly correlator: EventCorrelator;
  private readonly chains = new Map<string, Promise<void>>();
  private backlog = 0;
  private dropped = 0;

  constructor(
    private readonly client: ApiClient,
    private readonly component: string,
    private readonly instance: string,
    private readonly logger: Logger,
    private readonly clock: Clock = systemClock,
    private readonly maxBacklog = 1000,
  ) {
    this.correlator = new EventCorrelator(10 * 60_000, clock);
  }

  /** Events not recorded because the backlog was full. */
  get droppedCount(): number {
    return this.dropped;
  }

  normal(object: KubeObject, reason: string, message: string): void {
    this.record(object, 'Normal', reason, message);
  }

  warning(object: KubeObject, reason: string, message: string): void {
    this.record(object, 'Warning', reason, message);
  }

  /** Waits (up to `timeoutMs`) for queued writes, e.g. before exit. */
  async flush(timeoutMs = 5000): Promise<void> {
    await Promise.race([Promise.allSettled([...this.chains.values()]), new Promise((r) => setTimeout(r, timeoutMs).unref())]);
  }

  private record(object: KubeObject, type: EventType, reason: string, message: string): void {
    const meta = object.metadata ?? {};
    if (!meta.name) return;
    if (this.backlog >= this.maxBacklog) {
      this.dropped++;
      return;
    }
    const key = [meta.uid ?? `${meta.namespace ?? ''}/${meta.name}`, type, reason, message].join('\u0000');
    this.backlog++;
    const previous = this.chains.get(key) ?? Promise.resolve();
    // Writes for one key run in order, so a repeat never patches an Event still being created.
    const next = previous.then(() => this.write(key, object, type, reason, message)).finally(() => {
      this.backlog--;
      if (this.chains.get(key) === next) this.chains.delete(key);
    });
    this.chains.set(key, next);
  }

  private async write(key: string, object: KubeObject, type: EventType, reason: string, message: string): Promise<void> {
    const meta = object.metadata ?? {};
    // Events of cluster-scoped objects go to `default`, as kubectl and client-go expect.
    const namespace = meta.namespace || 'default';
    const now = new Date(this.clock.now()).toISOString().replace(/\.\d{3}Z$/, 'Z');
    const decision = this.correlator.observe(key, meta.name!);
    try {
      if (decision.action === 'patch') {
        try {
          await this.client.patch(Resources.Event, decision.name, namespace, { count: decision.count, lastTimestamp: now }, 'merge');
          return;
        } catch (err) {
          if (!isNotFound(err)) throw err;
          this.correlator.reset(key);
          return this.write(key, object, type, reason, message);
        }
      }
      const event: CoreEvent = {
        apiVersion: 'v1',
        kind: 'Event',
        metadata: { name: decision.name, namespace },
        involvedObject: { apiVersion: object.apiVersion, kind: object.kind, name: meta.name, namespace: meta.namespace, uid: meta.uid, resourceVersion: meta.resourceVersion },
        reason,
        message: message.length > 1024 ? `${message.slice(0, 1021)}...` : message,
        type,
        count: 1,
        firstTimestamp: now,
        lastTimestamp: now,
        source: { component: this.component },
        reportingComponent: this.component,
        reportingInstance: this.instance,
      };
      await this.client.create(Resources.Event, event);
    } catch (err) {
      this.logger.warn({ err: (err as Error).message, reason, object: `${meta.namespace ?? ''}/${meta.name}` }, 'could not record event');
    }
  }
}
