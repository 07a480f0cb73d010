/**
 * The tenant gateway: an HTTPS endpoint on every operator replica that
 * speaks the Kubernetes API for one logical cluster per path prefix,
 * `<url>/clusters/<logical-cluster>`, so any client that takes a server URL
 * works unchanged. Identity and authorization stay the apiserver's: the
 * gateway authenticates the bearer token (TokenReview), checks the caller is
 * the logical cluster's own ServiceAccount, narrows the request to the
 * logical cluster and forwards it impersonating the caller.
 *
 *   register(manager)                      // loopback, port 6443, generated certificate
 *   register(manager, { port: 0 })         // any free port (tests)
 *   register(manager, gatewayOptionsFromEnv())  // what the chart configures
 */
import { Counter, Histogram } from 'prom-client';
import { isIP } from 'node:net';
import type { KubeConfigSource, Logger, Manager, Runnable } from '../runtime/index.js';
import { MemberClusterUnavailableError, Resources } from '../runtime/index.js';
import { FileCertificateSource, SecretCertificateSource, type CertificateSource, type ServingMaterial } from '../webhooks/cert-source.js';
import { certificateOptionsFromEnv, nonNegativeFromEnv, type CertificateOptions } from '../webhooks/index.js';
import { serviceAccountName } from '../reconcilers/logicalcluster/names.js';
import { TokenReviewer } from './auth.js';
import { ImpersonationGrants } from './impersonation.js';
import { namespacesHandler } from './namespaces.js';
import { GatewayServer, type ClusterTarget, type GatewayBackend, type GatewayLogicalCluster } from './server.js';
import { GatewayError } from './status.js';
import { Upstream } from './upstream.js';
import { planNamespaces } from '../hierarchy/logical-cluster-namespaces.js';
import { discoveryHandler } from './discovery/index.js';
import { handlePlacedView } from './placed-view.js';

export type { CertificateOptions } from '../webhooks/index.js';

export interface GatewayOptions {
  readonly host?: string; // bind address, default 127.0.0.1 (0.0.0.0 in-cluster)
  readonly port?: number; // default 6443; 0 = any free port (tests)
  readonly externalUrl?: string; // base URL tenants use, default https://<host>:<bound port>; in-cluster the Service URL
  readonly certificates?: CertificateOptions; // as webhooks' CertificateOptions; default generated Secret canopy-gateway-tls
  readonly serviceDnsNames?: readonly string[]; // extra SANs (the chart's Service names)
  readonly maxBodyBytes?: number; // default 3 MiB (the apiserver's own limit)
  readonly tokenReviewCacheMs?: number; // default 10 s
}

export interface GatewayHandle {
  /** Resolves once listening: base URL and PEM CA that verifies it. */
  endpoint(): Promise<{ readonly url: string; readonly caPem: string }>;
}

export const DEFAULT_GATEWAY_PORT = 6443;
export const DEFAULT_GATEWAY_CERT_SECRET = 'canopy-gateway-tls';
export const DEFAULT_MAX_BODY_BYTES = 3 * 1024 * 1024;
export const DEFAULT_TOKEN_REVIEW_CACHE_MS = 10_000;
const DEFAULT_CERT_VALIDITY_MS = 365 * 24 * 3600_000;

/** Adds the gateway runnable (every replica, like the webhook) and returns its handle. */
export function register(manager: Manager, options: GatewayOptions = {}): GatewayHandle {
  const runnable = new GatewayRunnable(manager, options);
  manager.addRunnable(runnable);
  return runnable;
}

/** The names a generated certificate covers. */
export function gatewayCertificateHosts(options: GatewayOptions): string[] {
  const hosts: string[] = [];
  if (options.externalUrl) hosts.push(new URL(options.externalUrl).hostname.replace(/^\[|\]$/g, ''));
  hosts.push(...(options.serviceDnsNames ?? []));
  const host = options.host ?? '127.0.0.1';
  if (host !== '0.0.0.0' && host !== '::') hosts.push(host);
  if (hosts.length === 0) hosts.push('localhost', '127.0.0.1');
  return [...new Set(hosts)];
}

export class GatewayRunnable implements Runnable, GatewayHandle {
  readonly name = 'tenant-gateway';
  readonly needLeaderElection = false;
  private server: GatewayServer | undefined;
  private readonly source: CertificateSource;
  private readonly reviewer: TokenReviewer;
  private readonly grants: ImpersonationGrants;
  private readonly logger: Logger;
  private readonly upstreams = new WeakMap<KubeConfigSource, Upstream>();
  private readonly listening: Promise<{ url: string; caPem: string }>;
  private resolveListening!: (value: { url: string; caPem: string }) => void;

  constructor(
    private readonly manager: Manager,
    private readonly options: GatewayOptions,
  ) {
    this.logger = manager.logger.child({ component: 'tenant-gateway' });
    const certs = options.certificates ?? {};
    const log = (message: string, fields: Record<string, unknown> = {}): void => this.logger.info(fields, message.replace('webhook', 'gateway'));
    this.source =
      'certFile' in certs
        ? new FileCertificateSource({ ...certs, log })
        : new SecretCertificateSource({
            client: manager.client,
            namespace: manager.namespace,
            secretName: certs.secretName ?? DEFAULT_GATEWAY_CERT_SECRET,
            hosts: gatewayCertificateHosts(options),
            validityMs: certs.validityMs ?? DEFAULT_CERT_VALIDITY_MS,
            ...(certs.checkIntervalMs !== undefined ? { checkIntervalMs: certs.checkIntervalMs } : {}),
            log,
          });
    this.reviewer = new TokenReviewer(options.tokenReviewCacheMs ?? DEFAULT_TOKEN_REVIEW_CACHE_MS);
    this.grants = new ImpersonationGrants(this.logger);
    this.listening = new Promise((resolve) => (this.resolveListening = resolve));
    // The logical clusters, cached on every replica (the webhook shares this informer).
    manager.informer(Resources.LogicalCluster);
  }

  endpoint(): Promise<{ readonly url: string; readonly caPem: string }> {
    return this.listening;
  }

  /** The bound port, once serving. */
  get port(): number | undefined {
    return this.server?.port;
  }

  /** Open client connections (tests check that nothing leaks). */
  get connections(): number {
    return this.server?.connections ?? 0;
  }

  ready(): boolean {
    return this.server?.listening === true;
  }

  async start(signal: AbortSignal): Promise<void> {
    let material: ServingMaterial | undefined;
    for (let delay = 500; !signal.aborted && !material; delay = Math.min(delay * 2, 30_000)) {
      try {
        material = await this.source.start(signal, (next) => this.server?.setTls(next));
      } catch (err) {
        this.logger.warn({ err: (err as Error).message, retryInMs: delay }, 'could not load the gateway certificate; retrying');
        await new Promise((resolve) => setTimeout(resolve, delay));
      }
    }
    if (!material) return;
    const backend = this.backend();
    this.server = await GatewayServer.start(
      {
        host: this.options.host ?? '127.0.0.1',
        port: this.options.port ?? DEFAULT_GATEWAY_PORT,
        tls: material,
        maxBodyBytes: this.options.maxBodyBytes ?? DEFAULT_MAX_BODY_BYTES,
      },
      backend,
    );
    const url = this.externalUrl(this.server.port);
    this.logger.info({ url }, 'tenant gateway serving');
    this.resolveListening({ url, caPem: material.caBundlePem ?? '' });
    await new Promise<void>((resolve) => {
      if (signal.aborted) resolve();
      else signal.addEventListener('abort', () => resolve(), { once: true });
    });
    await this.server.close();
    this.logger.info('tenant gateway stopped');
  }

  private externalUrl(port: number): string {
    if (this.options.externalUrl) {
      const url = new URL(this.options.externalUrl);
      return url.toString().replace(/\/$/, '');
    }
    const host = this.options.host && this.options.host !== '0.0.0.0' && this.options.host !== '::' ? this.options.host : '127.0.0.1';
    return `https://${isIP(host) === 6 ? `[${host}]` : host}:${port}`;
  }

  private upstreamFor(kubeConfig: KubeConfigSource): Upstream {
    let upstream = this.upstreams.get(kubeConfig);
    if (!upstream) {
      upstream = new Upstream(kubeConfig);
      this.upstreams.set(kubeConfig, upstream);
    }
    return upstream;
  }

  private backend(): GatewayBackend {
    const manager = this.manager;
    const informer = manager.informer<GatewayLogicalCluster>(Resources.LogicalCluster);
    // Once the cache has synced it is the only source: a miss is not worth a live read that anyone, even
    // without a valid token, could trigger with made-up names (a logical cluster is usable only once reconciled,
    // by which time the cache has it).
    const logicalCluster = async (name: string): Promise<GatewayLogicalCluster | undefined> =>
      informer.get(name) ?? (informer.hasSynced() ? undefined : await manager.client.tryGet<GatewayLogicalCluster>(Resources.LogicalCluster, name));
    const target = async (lc: GatewayLogicalCluster): Promise<ClusterTarget> => {
      if (lc.spec?.mode !== 'Cluster') return { key: 'host', client: manager.client, upstream: this.upstreamFor(manager.kubeConfig) };
      const cluster = lc.status?.cluster;
      if (!cluster) throw new GatewayError(503, 'ServiceUnavailable', `logical cluster ${lc.metadata?.name} is not bound to a cluster yet`);
      try {
        const member = await manager.members.get(cluster);
        return { key: `member:${cluster}`, client: member.client, upstream: this.upstreamFor(member.kubeConfig) };
      } catch (err) {
        if (err instanceof MemberClusterUnavailableError) {
          throw new GatewayError(503, 'ServiceUnavailable', `the cluster of logical cluster ${lc.metadata?.name} is unavailable: ${err.reason}`);
        }
        throw err;
      }
    };
    const ensureImpersonation = async (lc: GatewayLogicalCluster, on: ClusterTarget): Promise<void> => {
      const name = lc.metadata?.name ?? '';
      const plan = planNamespaces({ metadata: { name }, spec: lc.spec ?? {} });
      if (!plan.ok) return;
      await this.grants.ensure(on.key, on.client, plan.namespaces[0]!, serviceAccountName(name));
    };
    const registry = manager.metrics.registry;
    const requests =
      (registry.getSingleMetric('canopy_gateway_requests_total') as Counter<'request' | 'code'> | undefined) ??
      new Counter({
        name: 'canopy_gateway_requests_total',
        help: 'Tenant gateway requests by kind:verb (namespaced:get, unscoped:watch, namespaces:create, discovery, refused...) and status code.',
        labelNames: ['request', 'code'],
        registers: [registry],
      });
    const latency =
      (registry.getSingleMetric('canopy_gateway_request_duration_seconds') as Histogram<'request'> | undefined) ??
      new Histogram({
        name: 'canopy_gateway_request_duration_seconds',
        help: 'Time from a tenant gateway request to the end of its answer (a watch counts until it closes).',
        labelNames: ['request'],
        buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 10, 60, 600],
        registers: [registry],
      });
    // One informer handler for every merged watch: a watch over a logical cluster whose namespaces change is ended with a 410.
    const namespaceListeners = new Map<string, Set<() => void>>();
    informer.on((event) => {
      const name = event.object.metadata?.name ?? '';
      const listeners = namespaceListeners.get(name);
      if (!listeners || event.type === 'add') return;
      const before = event.type === 'update' ? (event.old.status?.namespaces ?? []).join(',') : '';
      const after = event.type === 'update' ? (event.object.status?.namespaces ?? []).join(',') : '-';
      if (before !== after) for (const listener of [...listeners]) listener();
    });
    const onNamespacesChanged = (name: string, listener: () => void): (() => void) => {
      let listeners = namespaceListeners.get(name);
      if (!listeners) namespaceListeners.set(name, (listeners = new Set()));
      listeners.add(listener);
      return () => {
        listeners.delete(listener);
        if (listeners.size === 0) namespaceListeners.delete(name);
      };
    };
    return {
      onNamespacesChanged,
      observe: (what, code, ms) => {
        requests.inc({ request: what, code: String(code) });
        latency.observe({ request: what }, ms / 1000);
      },
      logicalCluster,
      target,
      reviewer: this.reviewer,
      logger: this.logger,
      ensureImpersonation,
      namespaces: namespacesHandler({ host: manager.client, logger: this.logger, logicalCluster }),
      discovery: discoveryHandler({ logger: this.logger, ensureImpersonation }),
      views: (request, req, res) =>
        handlePlacedView(
          {
            logicalCluster: request.name,
            segments: request.segments,
            method: req.method ?? 'GET',
            query: request.query,
            accept: req.headers.accept,
            // PropagatedObjects live on the host: all namespaces in Namespace mode, the first (host-side) one in Cluster mode.
            namespaces: request.lc.spec?.mode === 'Cluster' ? [request.firstNamespace] : request.namespaces,
            client: manager.client,
          },
          res,
        ),
    };
  }
}

/**
 * Options from the environment, as the Helm chart sets them: CANOPY_GATEWAY_HOST, _PORT,
 * _EXTERNAL_URL, _SERVICE_DNS_NAMES (comma-separated), _MAX_BODY_BYTES, _TOKEN_REVIEW_CACHE_MS;
 * a provided certificate: CANOPY_GATEWAY_CERT_DIR (tls.crt, tls.key, optional ca.crt) or
 * _CERT_FILE / _KEY_FILE / _CA_FILE; otherwise generated: _CERT_SECRET, _CERT_VALIDITY_HOURS.
 */
export function gatewayOptionsFromEnv(env: NodeJS.ProcessEnv = process.env): GatewayOptions {
  const num = (key: string): number | undefined => nonNegativeFromEnv(env, key);
  const certificates = certificateOptionsFromEnv(env, 'CANOPY_GATEWAY');
  const port = num('CANOPY_GATEWAY_PORT');
  const maxBodyBytes = num('CANOPY_GATEWAY_MAX_BODY_BYTES');
  const tokenReviewCacheMs = num('CANOPY_GATEWAY_TOKEN_REVIEW_CACHE_MS');
  const names = (env['CANOPY_GATEWAY_SERVICE_DNS_NAMES'] ?? '')
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
  return {
    ...(env['CANOPY_GATEWAY_HOST'] ? { host: env['CANOPY_GATEWAY_HOST'] } : {}),
    ...(port !== undefined ? { port } : {}),
    ...(env['CANOPY_GATEWAY_EXTERNAL_URL'] ? { externalUrl: env['CANOPY_GATEWAY_EXTERNAL_URL'] } : {}),
    ...(certificates ? { certificates } : {}),
    ...(names.length > 0 ? { serviceDnsNames: names } : {}),
    ...(maxBodyBytes !== undefined ? { maxBodyBytes } : {}),
    ...(tokenReviewCacheMs !== undefined ? { tokenReviewCacheMs } : {}),
  };
}
