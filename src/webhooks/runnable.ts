/**
 * The admission webhook as a manager runnable: serves on every replica (no
 * leader election), keeps its certificate fresh and its Validating- and
 * MutatingWebhookConfiguration applied, and reports ready only once it
 * serves with a loaded certificate, the configuration points at it and the
 * caches the validators read have synced.
 *
 * Order on a new certificate: publish the caBundle (new and previous CA)
 * first, wait for the apiserver to pick it up, then serve the new
 * certificate; the apiserver trusts both all along.
 */
import { Counter, Histogram, type Registry } from 'prom-client';
import { apply, type ApiClient, type EventRecorder, type Logger, type Runnable } from '../runtime/index.js';
import type { AdmissionReview } from './admission.js';
import type { CertificateSource, ServingMaterial } from './cert-source.js';
import { mutatingWebhookConfiguration, validatingWebhookConfiguration, type ConfigurationOptions, type WebhookEndpoint } from './configuration.js';
import { AdmissionDispatcher, type VerdictRecord } from './dispatcher.js';
import type { InstallationOwner } from './installation-owner.js';
import { WebhookServer } from './server.js';
import type { AdmissionState } from './state.js';

export interface WebhookRunnableOptions {
  readonly host: string;
  readonly port: number;
  /** The endpoint to publish; a url without port gets the bound port (`https://127.0.0.1` → `https://127.0.0.1:<port>`). */
  readonly endpoint: WebhookEndpoint;
  readonly configuration: Omit<ConfigurationOptions, 'endpoint' | 'caBundlePem'>;
  readonly certificates: CertificateSource;
  /** Wait between publishing a new caBundle and serving the certificate it vouches for; default 2 s. */
  readonly caPropagationDelayMs?: number;
  /** Re-apply the configuration this often (it may have been edited or deleted); default 60 s. */
  readonly resyncMs?: number;
  /** Named as both configurations' owner, so uninstalling removes them. */
  readonly owner?: InstallationOwner;
  /** Where denials are recorded as Events (the manager's recorder). */
  readonly events?: EventRecorder;
}

export class WebhookRunnable implements Runnable {
  readonly name = 'admission-webhook';
  readonly needLeaderElection = false;
  private server: WebhookServer | undefined;
  private material: ServingMaterial | undefined;
  private published = false;
  /** What the configuration's caBundle should be; may run ahead of `material` during a rotation. */
  private caBundlePem: string | undefined;
  private readonly dispatcher: AdmissionDispatcher;
  private readonly metrics: WebhookMetrics;

  constructor(
    private readonly client: ApiClient,
    private readonly state: AdmissionState,
    private readonly logger: Logger,
    registry: Registry,
    private readonly options: WebhookRunnableOptions,
  ) {
    this.metrics = new WebhookMetrics(registry);
    this.dispatcher = new AdmissionDispatcher(state, (record) => this.recordVerdict(record));
  }

  /** The bound port, once serving. */
  get port(): number | undefined {
    return this.server?.port;
  }

  /** The endpoint as published (url with the bound port, or the service). */
  get endpoint(): WebhookEndpoint | undefined {
    return this.server ? this.resolvedEndpoint(this.server.port) : undefined;
  }

  ready(): boolean {
    return this.server?.listening === true && this.material !== undefined && this.published && this.state.synced();
  }

  /** Why ready() is false, for logs and tests. */
  notReadyReasons(): string[] {
    return [
      ...(this.server?.listening ? [] : ['not serving']),
      ...(this.material ? [] : ['no certificate loaded']),
      ...(this.published ? [] : ['webhook configuration not applied']),
      ...(this.state.synced() ? [] : ['informers not synced']),
    ];
  }

  async start(signal: AbortSignal): Promise<void> {
    await this.state.learnSelf();
    const material = await retry(signal, this.logger, 'load webhook certificate', () =>
      this.options.certificates.start(signal, (next) => void this.rotate(next, signal)),
    );
    if (!material) return;
    this.material = material;
    this.caBundlePem = material.caBundlePem;
    const handlers = this.dispatcher.handlers();
    this.server = await WebhookServer.start({
      host: this.options.host,
      port: this.options.port,
      tls: material,
      handlers,
      onReviewed: (path, review, ms) => this.metrics.observe(path, review, ms),
      onError: (path, err) => this.logger.error({ webhook: path, err: err.message }, 'admission handler failed'),
    });
    this.logger.info({ host: this.options.host, port: this.server.port, endpoint: this.endpoint }, 'admission webhook serving');
    await retry(signal, this.logger, 'apply webhook configuration', () => this.publish());
    while (!signal.aborted) {
      await sleep(this.options.resyncMs ?? 60_000, signal);
      if (signal.aborted) break;
      await this.publish().catch((err: Error) => this.logger.warn({ err: err.message }, 'could not re-apply the webhook configuration'));
    }
    this.published = false;
    await this.server.close();
    this.logger.info('admission webhook stopped');
  }

  private async rotate(next: ServingMaterial, signal: AbortSignal): Promise<void> {
    try {
      this.caBundlePem = next.caBundlePem;
      await this.publish();
      await sleep(this.options.caPropagationDelayMs ?? 2_000, signal);
      this.server?.setTls(next);
      this.material = next;
      this.logger.info({ notAfter: next.notAfter.toISOString() }, 'admission webhook serving a new certificate');
    } catch (err) {
      this.logger.error({ err: (err as Error).message }, 'could not switch to the new webhook certificate; serving the previous one');
    }
  }

  private async publish(): Promise<void> {
    if (!this.server) return;
    const caBundlePem = this.caBundlePem;
    const operatorUsername = this.state.operatorUsername;
    const owner = await this.options.owner?.reference();
    const options = {
      ...this.options.configuration,
      endpoint: this.resolvedEndpoint(this.server.port),
      ...(caBundlePem ? { caBundlePem } : {}),
      ...(operatorUsername ? { operatorUsername } : {}),
      ...(owner ? { owner } : {}),
    };
    const mutating = mutatingWebhookConfiguration(options);
    await Promise.all([
      apply(this.client, validatingWebhookConfiguration(options), { fieldManager: 'canopy-webhook' }),
      ...(mutating ? [apply(this.client, mutating, { fieldManager: 'canopy-webhook' })] : []),
    ]);
    this.published = true;
  }

  private resolvedEndpoint(port: number): WebhookEndpoint {
    const endpoint = this.options.endpoint;
    if (!('url' in endpoint)) return endpoint;
    const url = new URL(endpoint.url);
    if (!url.port) url.port = String(port);
    return { url: url.toString().replace(/\/$/, '') };
  }

  private recordVerdict(record: VerdictRecord): void {
    if (record.verdict.allowed) return;
    const { rule, field, reason } = record.verdict.denial;
    this.metrics.denied(record.webhook, rule);
    this.logger.info(
      {
        webhook: record.webhook,
        operation: record.operation,
        kind: record.kind,
        name: record.name,
        namespace: record.namespace,
        object: { kind: record.kind, namespace: record.namespace, name: record.name, uid: record.uid },
        decision: 'AdmissionDenied',
        user: record.user,
        dryRun: record.dryRun,
        rule,
        field,
        reason,
      },
      'admission denied',
    );
    // The same denial as an Event regarding the object, where `kubectl events --for` finds it; a dry run leaves none.
    if (!record.dryRun && record.name) {
      const object = {
        apiVersion: record.apiVersion,
        kind: record.kind,
        metadata: { name: record.name, ...(record.namespace ? { namespace: record.namespace } : {}), ...(record.uid ? { uid: record.uid } : {}) },
      };
      this.options.events?.warning(object, 'AdmissionDenied', `${record.operation.toLowerCase()} by ${record.user} denied: ${field}: ${reason}`);
    }
  }
}

/** controller-runtime's webhook metric names, plus denials by Canopy rule. */
class WebhookMetrics {
  private readonly requests: Counter<'webhook' | 'code'>;
  private readonly latency: Histogram<'webhook'>;
  private readonly denials: Counter<'webhook' | 'rule'>;

  constructor(registry: Registry) {
    this.requests = reuse(
      registry,
      'controller_runtime_webhook_requests_total',
      (name) =>
        new Counter({
          name,
          help: 'Admission requests by webhook path and code of the answer (200 allowed, 403 denied, 500 failed).',
          labelNames: ['webhook', 'code'],
          registers: [registry],
        }),
    );
    this.latency = reuse(
      registry,
      'controller_runtime_webhook_latency_seconds',
      (name) =>
        new Histogram({
          name,
          help: 'Time to answer an admission request, from the first byte read to the answer written.',
          labelNames: ['webhook'],
          buckets: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
          registers: [registry],
        }),
    );
    this.denials = reuse(
      registry,
      'canopy_admission_denials_total',
      (name) => new Counter({ name, help: 'Admission denials by webhook and rule.', labelNames: ['webhook', 'rule'], registers: [registry] }),
    );
  }

  observe(path: string, review: AdmissionReview, ms: number): void {
    const code = review.response?.allowed ? 200 : (review.response?.status?.code ?? 500);
    this.requests.inc({ webhook: path, code: String(code) });
    this.latency.observe({ webhook: path }, ms / 1000);
  }

  denied(webhook: string, rule: string): void {
    this.denials.inc({ webhook, rule });
  }
}

/** One metric per registry, however many webhook runnables share it. */
function reuse<T>(registry: Registry, name: string, create: (name: string) => T): T {
  return (registry.getSingleMetric(name) as T | undefined) ?? create(name);
}

async function retry<T>(signal: AbortSignal, logger: Logger, what: string, work: () => Promise<T>): Promise<T | undefined> {
  let delay = 500;
  while (!signal.aborted) {
    try {
      return await work();
    } catch (err) {
      logger.warn({ err: (err as Error).message, retryInMs: delay }, `could not ${what}; retrying`);
      await sleep(delay, signal);
      delay = Math.min(delay * 2, 30_000);
    }
  }
  return undefined;
}

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal.aborted) return resolve();
    const timer = setTimeout(done, ms);
    function done(): void {
      clearTimeout(timer);
      signal.removeEventListener('abort', done);
      resolve();
    }
    signal.addEventListener('abort', done, { once: true });
  });
}
