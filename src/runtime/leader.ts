import { randomBytes } from 'node:crypto';
import { hostname } from 'node:os';
import type { Logger } from 'pino';
import type { Clock } from './clock.js';
import { sleep, systemClock } from './clock.js';
import { isAlreadyExists, isConflict } from './errors.js';
import type { ApiClient } from './http.js';
import type { KubeObject } from './object.js';
import { Resources } from './resources.js';

export interface LeaderElectionOptions {
  /** Lease name; default `canopy-leader`. */
  readonly leaseName?: string;
  /** Lease namespace; default the manager's namespace. */
  readonly namespace?: string;
  /** This replica's identity; default `<hostname>_<random>`. */
  readonly identity?: string;
  /** How long a lease is valid without renewal (standbys wait this long after the last renewal they saw); default 15 s. */
  readonly leaseDurationMs?: number;
  /** The leader gives up if it could not renew for this long; default 10 s. */
  readonly renewDeadlineMs?: number;
  /** Interval between acquire/renew attempts; default 2 s. */
  readonly retryPeriodMs?: number;
}

/** coordination.k8s.io/v1 LeaseSpec as JSON. */
export interface LeaseSpec {
  holderIdentity?: string;
  leaseDurationSeconds?: number;
  acquireTime?: string;
  renewTime?: string;
  leaseTransitions?: number;
}

export interface Lease extends KubeObject {
  spec?: LeaseSpec;
}

export type LeaseAction = 'create' | 'renew' | 'takeover' | 'wait';

/**
 * What a candidate does with the lease it just read. Expiry is judged by
 * when *this* process last saw the record change (`observedAt`, local
 * clock), never by the renewTime written by another machine, so clock skew
 * between replicas cannot cause two leaders (client-go's rule).
 */
export function leaseAction(input: { identity: string; lease: LeaseSpec | undefined; observedAt: number; now: number }): LeaseAction {
  const { lease, identity } = input;
  if (!lease) return 'create';
  if (lease.holderIdentity === identity) return 'renew';
  if (!lease.holderIdentity) return 'takeover'; // released on graceful shutdown
  const validMs = (lease.leaseDurationSeconds ?? 0) * 1000;
  return input.observedAt + validMs <= input.now ? 'takeover' : 'wait';
}

/** The spec to write for an action (acquireTime and transitions change only when the holder changes). */
export function nextLeaseSpec(
  action: 'create' | 'renew' | 'takeover',
  current: LeaseSpec | undefined,
  identity: string,
  leaseDurationSeconds: number,
  now: number,
): LeaseSpec {
  const time = microTime(now);
  if (action === 'renew' && current) return { ...current, holderIdentity: identity, leaseDurationSeconds, renewTime: time };
  return {
    holderIdentity: identity,
    leaseDurationSeconds,
    acquireTime: time,
    renewTime: time,
    leaseTransitions: action === 'create' ? 0 : (current?.leaseTransitions ?? 0) + 1,
  };
}

/** metav1.MicroTime: RFC 3339 with exactly six fractional digits (the apiserver rejects other widths). */
export function microTime(ms: number): string {
  return new Date(ms).toISOString().replace(/\.(\d{3})Z$/, '.$1000Z');
}

export function defaultIdentity(): string {
  return `${hostname()}_${randomBytes(4).toString('hex')}`;
}

export interface LeaderElectorCallbacks {
  onStartedLeading?(): void;
  onStoppedLeading?(): void;
  onNewLeader?(identity: string): void;
}

/**
 * Leader election on a coordination.k8s.io/v1 Lease with optimistic
 * concurrency (every write carries the resourceVersion it read; a 409 means
 * someone else wrote first and this round is lost).
 */
export class LeaderElector {
  readonly identity: string;
  readonly leaseName: string;
  readonly namespace: string;
  private readonly leaseDurationMs: number;
  private readonly renewDeadlineMs: number;
  private readonly retryPeriodMs: number;
  private observed: { key: string; at: number; holder: string | undefined } | undefined;
  private lease: Lease | undefined;
  private leading = false;

  constructor(
    private readonly client: ApiClient,
    defaultNamespace: string,
    options: LeaderElectionOptions,
    private readonly logger: Logger,
    private readonly callbacks: LeaderElectorCallbacks = {},
    private readonly clock: Clock = systemClock,
  ) {
    this.identity = options.identity ?? defaultIdentity();
    this.leaseName = options.leaseName ?? 'canopy-leader';
    this.namespace = options.namespace ?? defaultNamespace;
    this.leaseDurationMs = options.leaseDurationMs ?? 15_000;
    this.renewDeadlineMs = options.renewDeadlineMs ?? 10_000;
    this.retryPeriodMs = options.retryPeriodMs ?? 2_000;
    if (this.renewDeadlineMs >= this.leaseDurationMs) throw new Error('leader election: renewDeadline must be shorter than leaseDuration');
    if (this.retryPeriodMs >= this.renewDeadlineMs) throw new Error('leader election: retryPeriod must be shorter than renewDeadline');
  }

  get isLeader(): boolean {
    return this.leading;
  }

  /** The holder this replica last saw (itself when leading). */
  get observedHolder(): string | undefined {
    return this.observed?.holder;
  }

  /**
   * Campaigns until leading, then renews until `signal` aborts (resolves
   * 'stopped', lease kept: call release) or renewal failed past the renew
   * deadline (resolves 'lost': the caller must stop leader-only work at once).
   */
  async run(signal: AbortSignal): Promise<'stopped' | 'lost'> {
    while (!signal.aborted) {
      if (await this.tryAcquireOrRenew(signal)) break;
      await sleep(this.retryPeriodMs * (1 + 0.2 * Math.random()), signal, this.clock);
    }
    if (signal.aborted) return 'stopped';
    this.leading = true;
    this.logger.info({ lease: `${this.namespace}/${this.leaseName}`, identity: this.identity }, 'acquired leadership');
    this.callbacks.onStartedLeading?.();
    let lastRenew = this.clock.now();
    while (!signal.aborted) {
      await sleep(this.retryPeriodMs, signal, this.clock);
      if (signal.aborted) break;
      if (await this.tryAcquireOrRenew(signal)) {
        lastRenew = this.clock.now();
      } else if (this.clock.now() - lastRenew >= this.renewDeadlineMs) {
        this.leading = false;
        this.logger.error({ lease: `${this.namespace}/${this.leaseName}`, identity: this.identity }, 'leader election lost: could not renew the lease in time');
        this.callbacks.onStoppedLeading?.();
        return 'lost';
      }
    }
    return 'stopped';
  }

  /**
   * Gives the lease up (holderIdentity cleared, duration 1 s) so a standby
   * takes over at its next retry instead of waiting for expiry. Call after
   * leader-only work has stopped.
   */
  async release(): Promise<void> {
    if (!this.leading || !this.lease) return;
    this.leading = false;
    const signal = AbortSignal.timeout(this.renewDeadlineMs);
    const giveUp = (lease: Lease) => {
      const spec = {
        ...lease.spec,
        holderIdentity: '',
        leaseDurationSeconds: 1,
        renewTime: microTime(this.clock.now()),
        acquireTime: microTime(this.clock.now()),
      };
      return this.client.replace<Lease>(Resources.Lease, { ...lease, spec }, undefined, signal);
    };
    try {
      try {
        await giveUp(this.lease);
      } catch (err) {
        // The copy held here is stale when a renewal reached the apiserver but its answer did not reach
        // us (shutdown aborted it) or something else touched the Lease: read it again, still ours → release.
        if (!isConflict(err)) throw err;
        const current = await this.client.tryGet<Lease>(Resources.Lease, this.leaseName, this.namespace);
        if (current?.spec?.holderIdentity !== this.identity) throw err;
        await giveUp(current);
      }
      this.logger.info({ lease: `${this.namespace}/${this.leaseName}`, identity: this.identity }, 'released leadership');
    } catch (err) {
      this.logger.warn({ err: (err as Error).message }, 'could not release the lease; standbys take over when it expires');
    }
    this.callbacks.onStoppedLeading?.();
  }

  private async tryAcquireOrRenew(signal: AbortSignal): Promise<boolean> {
    const requestSignal = AbortSignal.any([signal, AbortSignal.timeout(this.renewDeadlineMs)]);
    try {
      const now = this.clock.now();
      const current = await this.client.tryGet<Lease>(Resources.Lease, this.leaseName, this.namespace);
      if (current) this.observe(current.spec ?? {}, now);
      const action = leaseAction({ identity: this.identity, lease: current ? (current.spec ?? {}) : undefined, observedAt: this.observed?.at ?? now, now });
      if (action === 'wait') return false;
      const spec = nextLeaseSpec(action, current?.spec, this.identity, Math.ceil(this.leaseDurationMs / 1000), now);
      const written = current
        ? await this.client.replace<Lease>(Resources.Lease, { ...current, spec }, undefined, requestSignal)
        : await this.client.create<Lease>(
            Resources.Lease,
            { apiVersion: 'coordination.k8s.io/v1', kind: 'Lease', metadata: { name: this.leaseName, namespace: this.namespace }, spec },
            requestSignal,
          );
      this.lease = written;
      this.observe(written.spec ?? {}, this.clock.now());
      return true;
    } catch (err) {
      if (!isConflict(err) && !isAlreadyExists(err) && !signal.aborted) {
        this.logger.warn({ lease: `${this.namespace}/${this.leaseName}`, err: (err as Error).message }, 'leader election: could not read or write the lease');
      }
      return false;
    }
  }

  private observe(spec: LeaseSpec, now: number): void {
    const key = JSON.stringify([spec.holderIdentity, spec.renewTime, spec.acquireTime, spec.leaseTransitions, spec.leaseDurationSeconds]);
    if (this.observed?.key === key) return;
    const previousHolder = this.observed?.holder;
    this.observed = { key, at: now, holder: spec.holderIdentity };
    if (spec.holderIdentity && spec.holderIdentity !== previousHolder) this.callbacks.onNewLeader?.(spec.holderIdentity);
  }
}
