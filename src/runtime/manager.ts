import type { KubeConfigSource } from './kubeconfig.js';
import type { Logger } from 'pino';
import type { ControllerOptions } from './controller.js';
import { Controller } from './controller.js';
import type { EventRecorder } from './events.js';
import { KubeEventRecorder } from './events.js';
import { ApiClient } from './http.js';
import type { InformerOptions } from './informer.js';
import { Informer } from './informer.js';
import type { LeaderElectionOptions } from './leader.js';
import { defaultIdentity, LeaderElector } from './leader.js';
import { createLogger } from './logger.js';
import { informerKey, MemberClusterPool } from './members.js';
import { RuntimeMetrics } from './metrics.js';
import { OwnWrites } from './own-writes.js';
import { UrgentWork } from './urgent-work.js';
import type { KubeObject } from './object.js';
import type { ResourceRef } from './resources.js';
import type { HttpEndpoint, Route } from './server.js';
import { serveRoutes } from './server.js';

export interface ManagerOptions {
  readonly kubeConfig: KubeConfigSource;
  /** Where the operator runs (lease, its own objects); default `canopy-system`. */
  readonly namespace?: string;
  /** Leader election; default on with client-go's timings. `false` makes this replica always lead. */
  readonly leaderElection?: boolean | LeaderElectionOptions;
  /** Port of /metrics; default 8080; 0 = any free port; false = no server. */
  readonly metricsPort?: number | false;
  /** Port of /healthz and /readyz; default 8081; 0 = any free port; false = no server. May equal metricsPort. */
  readonly healthPort?: number | false;
  /** Address the HTTP servers bind; default 0.0.0.0. */
  readonly bindAddress?: string;
  readonly logger?: Logger;
  /** How long stop() waits for in-flight reconciles and runnables; default 30 s. */
  readonly gracefulShutdownTimeoutMs?: number;
  /** Member cluster clients kept open at once; default 64. */
  readonly maxMemberClusters?: number;
  /** Accept member kubeconfigs with exec/auth-provider plugins or file paths; default false. */
  readonly allowMemberKubeconfigPlugins?: boolean;
}

/**
 * Something the manager runs besides controllers (an admission webhook server,
 * a periodic prober). `start` runs until `signal` aborts, then returns.
 */
export interface Runnable {
  readonly name: string;
  /** Run only on the elected leader; default true. A webhook server sets false (it serves on every replica). */
  readonly needLeaderElection?: boolean;
  start(signal: AbortSignal): Promise<void> | void;
  /** Counted by /readyz; default ready. */
  ready?(): boolean;
}

export type StopReason = 'stopped' | 'leadership-lost' | 'runnable-failed';

/**
 * Runs informers, controllers and runnables for one operator process:
 * caches start on every replica; controllers and leader-only runnables start
 * on the elected leader once the caches synced; /metrics, /healthz and
 * /readyz are served; stop() shuts down in order and releases the lease.
 */
export class Manager {
  readonly kubeConfig: KubeConfigSource;
  /** The JSON client for the host (control-plane) cluster. */
  readonly client: ApiClient;
  readonly namespace: string;
  readonly logger: Logger;
  readonly metrics = new RuntimeMetrics();
  readonly events: EventRecorder;
  /** Clients and informers of registered member clusters. */
  readonly members: MemberClusterPool;
  /** Objects this process wrote, until its caches show them (read-your-writes across controllers). */
  readonly ownWrites = new OwnWrites();
  /** Work report writers yield to (see UrgentWork). */
  readonly urgentWork = new UrgentWork();
  /** This replica's identity (lease holder name, event reportingInstance). */
  readonly identity: string;
  /** Resolves when the manager has stopped, with why. */
  readonly done: Promise<StopReason>;

  private readonly options: ManagerOptions;
  private readonly informers = new Map<string, Informer>();
  private readonly controllers: Controller[] = [];
  private readonly runnables: Runnable[] = [];
  private readonly running = new Map<Runnable, Promise<void>>();
  private readonly readinessChecks = new Map<string, () => boolean>();
  private readonly elector: LeaderElector | undefined;
  private readonly stopAll = new AbortController();
  private readonly stopElection = new AbortController();
  private readonly runnableSignals = { always: new AbortController(), leader: new AbortController() };
  private endpoints: HttpEndpoint[] = [];
  private election: Promise<'stopped' | 'lost'> | undefined;
  private leaderWork: Promise<void> | undefined;
  private started = false;
  private stopping: Promise<void> | undefined;
  private resolveDone!: (reason: StopReason) => void;
  private ports: { metrics?: number; health?: number } = {};

  constructor(options: ManagerOptions) {
    this.options = options;
    this.kubeConfig = options.kubeConfig;
    this.client = ApiClient.for(options.kubeConfig);
    this.namespace = options.namespace ?? 'canopy-system';
    this.logger = options.logger ?? createLogger();
    const election = options.leaderElection ?? true;
    const electionOptions = typeof election === 'object' ? election : {};
    this.identity = electionOptions.identity ?? defaultIdentity();
    this.events = new KubeEventRecorder(this.client, 'canopy', this.identity, this.logger);
    this.members = new MemberClusterPool({
      informer: (r, s) => this.informer(r, s),
      client: this.client,
      logger: this.logger,
      max: options.maxMemberClusters,
      allowKubeconfigPlugins: options.allowMemberKubeconfigPlugins === true,
    });
    this.done = new Promise((resolve) => (this.resolveDone = resolve));
    if (election !== false) {
      this.elector = new LeaderElector(this.client, this.namespace, { ...electionOptions, identity: this.identity }, this.logger, {
        onNewLeader: (holder) => this.logger.info({ leader: holder, self: holder === this.identity }, 'new leader observed'),
        onStartedLeading: () => {
          if (this.elector) this.metrics.leader(this.elector.leaseName, true);
          this.leaderWork ??= this.startLeaderWork();
        },
        onStoppedLeading: () => {
          if (this.elector) this.metrics.leader(this.elector.leaseName, false);
        },
      });
      this.metrics.leader(this.elector.leaseName, false);
    }
  }

  /** True while this replica leads (always true without leader election, once started). */
  get isLeader(): boolean {
    return this.elector ? this.elector.isLeader : this.started;
  }

  /** The bound /metrics port (after start). */
  get metricsPort(): number | undefined {
    return this.ports.metrics;
  }

  /** The bound /healthz and /readyz port (after start). */
  get healthPort(): number | undefined {
    return this.ports.health;
  }

  /**
   * The shared informer for (resource, selectors): one list+watch per
   * distinct selector, however many controllers use it. Started at once if
   * the manager is running.
   */
  informer<T extends KubeObject = KubeObject>(resource: ResourceRef, options: InformerOptions<T> = {}): Informer<T> {
    const key = informerKey(resource, options);
    let informer = this.informers.get(key) as Informer<T> | undefined;
    if (!informer) {
      informer = new Informer<T>(this.client, resource, options, this.logger);
      this.informers.set(key, informer as unknown as Informer);
      if (this.started && !this.stopping) informer.start();
    }
    return informer;
  }

  /** Adds a controller; it starts (on the leader) once its informers synced. */
  addController(options: ControllerOptions): Controller {
    if (this.controllers.some((c) => c.name === options.name)) throw new Error(`a controller named ${options.name} already exists`);
    const controller = new Controller(options, { informer: (r, s) => this.informer(r, s), metrics: this.metrics, logger: this.logger, events: this.events });
    this.controllers.push(controller);
    if (this.started && (!controller.needLeaderElection || this.isLeader)) void this.startController(controller);
    return controller;
  }

  addRunnable(runnable: Runnable): void {
    this.runnables.push(runnable);
    if (!this.started) return;
    if (runnable.needLeaderElection === false) this.runRunnable(runnable, this.runnableSignals.always.signal);
    else if (this.isLeader) this.runRunnable(runnable, this.runnableSignals.leader.signal);
  }

  /** An extra /readyz condition (e.g. the webhook has its certificate). */
  addReadinessCheck(name: string, check: () => boolean): void {
    this.readinessChecks.set(name, check);
  }

  /** Why /readyz fails right now (empty: ready). */
  notReadyReasons(): string[] {
    const reasons: string[] = [];
    if (!this.started || this.stopping) reasons.push('manager not running');
    for (const informer of this.informers.values()) if (!informer.hasSynced()) reasons.push(`informer ${informer.resource.plural} not synced`);
    for (const runnable of this.runnables) if (runnable.ready && !runnable.ready()) reasons.push(`runnable ${runnable.name} not ready`);
    for (const [name, check] of this.readinessChecks) if (!check()) reasons.push(`check ${name} failing`);
    return reasons;
  }

  /** Starts servers, informers and runnables, and campaigns for leadership. Resolves once started (not synced). */
  async start(): Promise<void> {
    if (this.started) return;
    await this.serve();
    this.started = true;
    for (const informer of this.informers.values()) informer.start();
    for (const runnable of this.runnables) if (runnable.needLeaderElection === false) this.runRunnable(runnable, this.runnableSignals.always.signal);
    for (const controller of this.controllers) if (!controller.needLeaderElection) void this.startController(controller);
    if (this.elector) {
      const elector = this.elector;
      this.election = elector.run(this.stopElection.signal);
      void this.election.then((outcome) => {
        if (outcome === 'lost') void this.stop('leadership-lost');
      });
    } else {
      this.leaderWork = this.startLeaderWork();
    }
    this.logger.info({ namespace: this.namespace, identity: this.identity, metricsPort: this.ports.metrics, healthPort: this.ports.health }, 'manager started');
  }

  /**
   * Graceful shutdown: stop taking work, let in-flight reconciles finish
   * (up to the grace period), release the lease so a standby takes over at
   * once, stop watches and servers. Idempotent.
   */
  stop(reason: StopReason = 'stopped'): Promise<void> {
    this.stopping ??= this.shutdown(reason);
    return this.stopping;
  }

  private async shutdown(reason: StopReason): Promise<void> {
    const grace = this.options.gracefulShutdownTimeoutMs ?? 30_000;
    this.logger.info({ reason, graceMs: grace }, 'stopping');
    this.stopAll.abort();
    this.runnableSignals.leader.abort();
    this.runnableSignals.always.abort();
    const drained = await Promise.all(this.controllers.map((c) => c.stop(grace)));
    await withDeadline(Promise.allSettled([...this.running.values()]), grace);
    this.stopElection.abort();
    await this.election;
    await this.elector?.release();
    if (this.elector) this.metrics.leader(this.elector.leaseName, false);
    this.members.closeAll();
    await Promise.all([...this.informers.values()].map((i) => i.stop()));
    if (this.events instanceof KubeEventRecorder) await this.events.flush(2000);
    await Promise.all(this.endpoints.map((e) => e.close()));
    this.client.close();
    this.logger.info({ reason, reconcilesDrained: drained.every(Boolean) }, 'stopped');
    this.resolveDone(reason);
  }

  private async startLeaderWork(): Promise<void> {
    const signal = this.stopAll.signal;
    try {
      await Promise.all([...this.informers.values()].map((i) => i.waitForSync(signal)));
    } catch {
      return; // stopping before caches synced
    }
    for (const runnable of this.runnables) if (runnable.needLeaderElection !== false) this.runRunnable(runnable, this.runnableSignals.leader.signal);
    await Promise.all(this.controllers.filter((c) => c.needLeaderElection).map((c) => this.startController(c)));
  }

  private async startController(controller: Controller): Promise<void> {
    try {
      await Promise.all(controller.informers.map((i) => i.waitForSync(this.stopAll.signal)));
    } catch {
      return;
    }
    if (!this.stopAll.signal.aborted) controller.start();
  }

  private runRunnable(runnable: Runnable, signal: AbortSignal): void {
    if (this.running.has(runnable)) return;
    const run = (async () => {
      try {
        await runnable.start(signal);
      } catch (err) {
        if (signal.aborted) return;
        this.logger.error({ runnable: runnable.name, err: (err as Error).message }, 'runnable failed; stopping the manager');
        void this.stop('runnable-failed');
      }
    })();
    this.running.set(runnable, run);
  }

  private async serve(): Promise<void> {
    const host = this.options.bindAddress ?? '0.0.0.0';
    const metricsPort = this.options.metricsPort ?? 8080;
    const healthPort = this.options.healthPort ?? 8081;
    const metrics: Route = async () => {
      const perResource = new Map<string, number>();
      for (const informer of this.informers.values())
        perResource.set(informer.resource.plural, (perResource.get(informer.resource.plural) ?? 0) + informer.size);
      for (const [resource, n] of perResource) this.metrics.cachedObjects(resource, n);
      return { status: 200, body: await this.metrics.render(), contentType: this.metrics.contentType };
    };
    const healthz: Route = async () => (this.stopping ? { status: 503, body: 'stopping\n' } : { status: 200, body: 'ok\n' });
    const readyz: Route = async () => {
      const reasons = this.notReadyReasons();
      return reasons.length === 0 ? { status: 200, body: 'ok\n' } : { status: 503, body: `${reasons.map((r) => `[-] ${r}`).join('\n')}\n` };
    };
    const health = new Map([
      ['/healthz', healthz],
      ['/readyz', readyz],
    ]);
    if (metricsPort !== false && metricsPort === healthPort && metricsPort !== 0) {
      const endpoint = await serveRoutes(metricsPort, host, new Map([...health, ['/metrics', metrics]]));
      this.endpoints.push(endpoint);
      this.ports = { metrics: endpoint.port, health: endpoint.port };
      return;
    }
    if (metricsPort !== false) {
      const endpoint = await serveRoutes(metricsPort, host, new Map([['/metrics', metrics]]));
      this.endpoints.push(endpoint);
      this.ports.metrics = endpoint.port;
    }
    if (healthPort !== false) {
      const endpoint = await serveRoutes(healthPort, host, health);
      this.endpoints.push(endpoint);
      this.ports.health = endpoint.port;
    }
  }
}

async function withDeadline(work: Promise<unknown>, ms: number): Promise<void> {
  await Promise.race([work, new Promise((resolve) => setTimeout(resolve, ms).unref())]);
}
