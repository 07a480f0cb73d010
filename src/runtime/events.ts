import { randomBytes } from 'node:crypto';
import { LRUCache } from 'lru-cache';
import type { Logger } from 'pino';
import type { Clock } from './clock.js';
import { systemClock } from './clock.js';
import { isNotFound } from './errors.js';
import type { ApiClient } from './http.js';
import type { KubeObject } from './object.js';
import type { ResourceRef } from './resources.js';

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

export type CorrelatedAction =
  | { readonly action: 'create'; readonly name: string }
  | { readonly action: 'patch'; readonly name: string; readonly count: number };

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

/** The API Events are written through (client-go's tools/events, what `kubectl events` reads). */
export const EventsV1: ResourceRef = Object.freeze({ apiVersion: 'events.k8s.io/v1', kind: 'Event', plural: 'events', namespaced: true });

/** An events.k8s.io/v1 Event, as far as Canopy writes and tests read it. */
export interface EventV1 extends KubeObject {
  eventTime: string;
  series?: { count: number; lastObservedTime: string };
  reportingController: string;
  reportingInstance: string;
  action: string;
  reason: string;
  regarding: { apiVersion?: string; kind?: string; name?: string; namespace?: string; uid?: string; resourceVersion?: string };
  note: string;
  type: EventType;
}

/** events.k8s.io caps `note` at 1 kB. */
const MAX_NOTE = 1024;

/** A MicroTime: RFC 3339 with six fractional digits, which eventTime and lastObservedTime require. */
export function microTime(ms: number): string {
  return new Date(ms).toISOString().replace(/\.(\d{3})Z$/, '.$1000Z');
}

/** The first occurrence: a new Event without `series` (client-go's tools/events does the same). */
export function newEventV1(
  name: string,
  object: KubeObject,
  type: EventType,
  reason: string,
  message: string,
  reporter: { controller: string; instance: string; action: string },
  nowMs: number,
): EventV1 {
  const meta = object.metadata ?? {};
  return {
    apiVersion: EventsV1.apiVersion,
    kind: 'Event',
    // Events of cluster-scoped objects go to `default`: the apiserver accepts no other namespace for them.
    metadata: { name, namespace: meta.namespace || 'default' },
    eventTime: microTime(nowMs),
    reportingController: reporter.controller,
    reportingInstance: reporter.instance.slice(0, 128),
    action: reporter.action,
    reason,
    regarding: {
      apiVersion: object.apiVersion,
      kind: object.kind,
      name: meta.name,
      namespace: meta.namespace,
      uid: meta.uid,
      resourceVersion: meta.resourceVersion,
    },
    note: message.length > MAX_NOTE ? `${message.slice(0, MAX_NOTE - 3)}...` : message,
    type,
  };
}

/** A repeat: the merge patch that counts it in `series` (count 2 on the first repeat, as the API requires). */
export function seriesPatch(count: number, nowMs: number): Pick<EventV1, 'series'> {
  return { series: { count, lastObservedTime: microTime(nowMs) } };
}

/**
 * Writes events.k8s.io/v1 Events with aggregation (repeats become a `series`)
 * and a bounded backlog. `action` is what the reporter was doing.
 */
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
    private readonly action = 'Reconcile',
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
    // Every Event is also a log line, so the audit trail survives the Event's TTL and a full backlog:
    // the object, the decision (the Event's reason) and why (its note).
    this.logger.info(
      { object: { kind: object.kind, namespace: meta.namespace, name: meta.name, uid: meta.uid }, decision: reason, reason: message, eventType: type },
      `event ${reason}`,
    );
    if (this.backlog >= this.maxBacklog) {
      this.dropped++;
      return;
    }
    const key = [meta.uid ?? `${meta.namespace ?? ''}/${meta.name}`, type, reason, message].join('\u0000');
    this.backlog++;
    const previous = this.chains.get(key) ?? Promise.resolve();
    // Writes for one key run in order, so a repeat never patches an Event still being created.
    const next = previous
      .then(() => this.write(key, object, type, reason, message))
      .finally(() => {
        this.backlog--;
        if (this.chains.get(key) === next) this.chains.delete(key);
      });
    this.chains.set(key, next);
  }

  private async write(key: string, object: KubeObject, type: EventType, reason: string, message: string): Promise<void> {
    const meta = object.metadata ?? {};
    const now = this.clock.now();
    const decision = this.correlator.observe(key, meta.name!);
    try {
      if (decision.action === 'patch') {
        try {
          await this.client.patch(EventsV1, decision.name, meta.namespace || 'default', seriesPatch(decision.count, now), 'merge');
          return;
        } catch (err) {
          if (!isNotFound(err)) throw err;
          this.correlator.reset(key);
          return this.write(key, object, type, reason, message);
        }
      }
      const reporter = { controller: this.component, instance: this.instance, action: this.action };
      await this.client.create(EventsV1, newEventV1(decision.name, object, type, reason, message, reporter, now));
    } catch (err) {
      this.logger.warn({ err: (err as Error).message, reason, object: `${meta.namespace ?? ''}/${meta.name}` }, 'could not record event');
    }
  }
}
