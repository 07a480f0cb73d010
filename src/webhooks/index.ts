/**
 * Admission for Canopy: `register(manager, options)` adds the validating
 * webhooks and the finalizer-adding mutating webhook to an operator. Locally (tests, `npm start`) the apiserver calls it
 * at `https://127.0.0.1:<port>/validate/...`; in a cluster through a Service.
 *
 *   register(manager)                                  // loopback, port 9443, generated certificate
 *   register(manager, { port: 0 })                     // any free port (tests)
 *   register(manager, { service: { name: 'canopy-webhook' }, host: '0.0.0.0' })
 *   register(manager, { ...webhookOptionsFromEnv() })  // what the chart configures
 */
import { existsSync } from 'node:fs';
import { isIP } from 'node:net';
import { join } from 'node:path';
import type { Manager } from '../runtime/index.js';
import { FileCertificateSource, SecretCertificateSource, type CertificateSource } from './cert-source.js';
import { DEFAULT_CONFIGURATION_NAME, type LabelSelectorJson, type MutatingWebhookId, type WebhookEndpoint, type WebhookId } from './configuration.js';
import { WebhookRunnable } from './runnable.js';
import { InstallationOwner } from './installation-owner.js';
import { parseReservedNamespaces, ReservedNamespaces } from '../admission/reserved-names.js';
import { AdmissionState } from './state.js';

export {
  DEFAULT_CONFIGURATION_NAME,
  DEFAULT_MUTATING_CONFIGURATION_NAME,
  MUTATING_WEBHOOK_SPECS,
  mutatingWebhookConfiguration,
  mutatingWebhookPath,
  validatingWebhookConfiguration,
  WEBHOOK_SPECS,
  webhookPath,
} from './configuration.js';
export type { MutatingWebhookId, WebhookEndpoint, WebhookId } from './configuration.js';
export { WebhookRunnable } from './runnable.js';
export { AdmissionDispatcher } from './dispatcher.js';
export { generateServingCertificate } from './certificates.js';

export const DEFAULT_WEBHOOK_PORT = 9443;
export const DEFAULT_CERT_SECRET = 'canopy-webhook-tls';
export const DEFAULT_CERT_VALIDITY_MS = 365 * 24 * 3600_000;

export type CertificateOptions =
  /** Provided certificate: files (e.g. a mounted Secret), reloaded when they change. */
  | { readonly certFile: string; readonly keyFile: string; readonly caFile?: string; readonly pollMs?: number }
  /** Generated and rotated by the operator, kept in a Secret in the manager's namespace. */
  | { readonly secretName?: string; readonly validityMs?: number; readonly checkIntervalMs?: number };

export interface WebhookOptions {
  /** Address the HTTPS server binds; default 127.0.0.1 for a url endpoint, 0.0.0.0 behind a service. */
  readonly host?: string;
  /** Listening port; default 9443; 0 picks a free one. */
  readonly port?: number;
  /** Base URL the apiserver calls; default `https://<host>:<bound port>`. A url without port gets the bound port. */
  readonly url?: string;
  /** In-cluster: the Service in front of the operator (namespace defaults to the manager's, port to 443). */
  readonly service?: { readonly name: string; readonly namespace?: string; readonly port?: number };
  /** Name of the ValidatingWebhookConfiguration; default `canopy-validating`. */
  readonly configurationName?: string;
  /** Name of the MutatingWebhookConfiguration; default `canopy-mutating`. */
  readonly mutatingConfigurationName?: string;
  readonly certificates?: CertificateOptions;
  /** More DNS names or IPs for a generated certificate. */
  readonly extraHosts?: readonly string[];
  /** Only these validating webhooks (default all). */
  readonly webhooks?: readonly WebhookId[];
  /** These mutating webhooks; default all, none when `webhooks` limits the validating ones. */
  readonly mutatingWebhooks?: readonly MutatingWebhookId[];
  /** objectSelector on every webhook: an extra instance (tests) sees only objects with these labels. */
  readonly objectSelector?: LabelSelectorJson;
  readonly caPropagationDelayMs?: number;
  /** How long the apiserver waits for an answer before failing the request (closed); default 5. */
  readonly timeoutSeconds?: number;
  /**
   * The installation's ClusterRole (the chart's `canopy-operator`): named as owner of the webhook
   * configurations and the generated certificate's Secret, so deleting it (`helm uninstall`) has the
   * garbage collector remove them. Unset: they are left for whoever installed to delete.
   */
  readonly ownerClusterRole?: string;
  /** Namespace names reserved besides Kubernetes' own and the operator's namespace (no Workspace or LogicalCluster may take them). */
  readonly reservedNamespaces?: readonly string[];
}

/** Adds the admission webhook runnable (every replica) and its readiness check; returns it. */
export function register(manager: Manager, options: WebhookOptions = {}): WebhookRunnable {
  const namespace = manager.namespace;
  const service = options.service
    ? { name: options.service.name, namespace: options.service.namespace ?? namespace, port: options.service.port ?? 443 }
    : undefined;
  const host = options.host ?? (service ? '0.0.0.0' : '127.0.0.1');
  const endpoint: WebhookEndpoint = service ? { service } : { url: options.url ?? `https://${isIP(host) === 6 ? `[${host}]` : host}` };
  const log = (message: string, fields: Record<string, unknown> = {}): void => manager.logger.info(fields, message);
  const certs = options.certificates ?? {};
  const owner = options.ownerClusterRole
    ? new InstallationOwner(manager.client, options.ownerClusterRole, (message, fields = {}) => manager.logger.warn(fields, message))
    : undefined;
  const source: CertificateSource =
    'certFile' in certs
      ? new FileCertificateSource({ ...certs, log })
      : new SecretCertificateSource({
          client: manager.client,
          namespace,
          secretName: certs.secretName ?? DEFAULT_CERT_SECRET,
          hosts: certificateHosts(endpoint, options.extraHosts ?? []),
          validityMs: certs.validityMs ?? DEFAULT_CERT_VALIDITY_MS,
          ...(certs.checkIntervalMs !== undefined ? { checkIntervalMs: certs.checkIntervalMs } : {}),
          ...(owner ? { owner } : {}),
          log,
        });
  const reserved = new ReservedNamespaces({ operatorNamespace: namespace, ...(options.reservedNamespaces ? { extra: options.reservedNamespaces } : {}) });
  const state = new AdmissionState(manager.client, manager, { reserved });
  const runnable = new WebhookRunnable(manager.client, state, manager.logger.child({ component: 'admission-webhook' }), manager.metrics.registry, {
    host,
    port: options.port ?? DEFAULT_WEBHOOK_PORT,
    endpoint,
    configuration: {
      name: options.configurationName ?? DEFAULT_CONFIGURATION_NAME,
      ...(options.webhooks ? { only: options.webhooks } : {}),
      ...(options.mutatingWebhooks ? { mutating: options.mutatingWebhooks } : {}),
      ...(options.mutatingConfigurationName ? { mutatingName: options.mutatingConfigurationName } : {}),
      ...(options.objectSelector ? { objectSelector: options.objectSelector } : {}),
      ...(options.timeoutSeconds !== undefined ? { timeoutSeconds: options.timeoutSeconds } : {}),
    },
    certificates: source,
    events: manager.events,
    ...(owner ? { owner } : {}),
    ...(options.caPropagationDelayMs !== undefined ? { caPropagationDelayMs: options.caPropagationDelayMs } : {}),
  });
  manager.addRunnable(runnable);
  return runnable;
}

/** The names a generated certificate covers: the url's host, or every name the Service answers to. */
export function certificateHosts(endpoint: WebhookEndpoint, extra: readonly string[]): string[] {
  const hosts =
    'url' in endpoint
      ? [new URL(endpoint.url).hostname.replace(/^\[|\]$/g, '')]
      : [
          endpoint.service.name,
          `${endpoint.service.name}.${endpoint.service.namespace}`,
          `${endpoint.service.name}.${endpoint.service.namespace}.svc`,
          `${endpoint.service.name}.${endpoint.service.namespace}.svc.cluster.local`,
        ];
  return [...new Set([...hosts, ...extra])];
}

/**
 * Options from the environment, as the Helm chart sets them:
 * - CANOPY_WEBHOOK_PORT, CANOPY_WEBHOOK_HOST, CANOPY_WEBHOOK_URL;
 * - CANOPY_WEBHOOK_SERVICE (`name`, `name.namespace` or `name.namespace.svc`,
 *   port 443) or CANOPY_WEBHOOK_SERVICE_NAME / _NAMESPACE / _PORT;
 * - provided certificate: CANOPY_WEBHOOK_CERT_DIR (a mounted kubernetes.io/tls
 *   Secret: tls.crt, tls.key, optional ca.crt) or CANOPY_WEBHOOK_CERT_FILE /
 *   _KEY_FILE / _CA_FILE; otherwise generated: CANOPY_WEBHOOK_CERT_SECRET,
 *   CANOPY_WEBHOOK_CERT_VALIDITY_HOURS;
 * - CANOPY_WEBHOOK_CONFIGURATION_NAME, CANOPY_WEBHOOK_MUTATING_CONFIGURATION_NAME,
 *   CANOPY_WEBHOOK_TIMEOUT_SECONDS;
 * - CANOPY_OWNER_CLUSTERROLE: the installation's ClusterRole (see `ownerClusterRole`);
 * - CANOPY_RESERVED_NAMESPACES: comma-separated namespace names no Workspace
 *   or LogicalCluster may take, besides default, kube-* and the operator's own.
 */
export function webhookOptionsFromEnv(env: NodeJS.ProcessEnv = process.env): WebhookOptions {
  const num = (key: string): number | undefined => nonNegativeFromEnv(env, key);
  const certificates = certificateOptionsFromEnv(env, 'CANOPY_WEBHOOK');
  // CANOPY_WEBHOOK_SERVICE is a DNS name such as canopy-webhook.canopy-system.svc.
  const [serviceFromDns, namespaceFromDns] = (env['CANOPY_WEBHOOK_SERVICE'] ?? '').split('.');
  const serviceName = env['CANOPY_WEBHOOK_SERVICE_NAME'] || serviceFromDns;
  const serviceNamespace = env['CANOPY_WEBHOOK_SERVICE_NAMESPACE'] || namespaceFromDns;
  const port = num('CANOPY_WEBHOOK_PORT');
  const servicePort = num('CANOPY_WEBHOOK_SERVICE_PORT');
  const timeoutSeconds = num('CANOPY_WEBHOOK_TIMEOUT_SECONDS');
  const reservedNamespaces = parseReservedNamespaces(env['CANOPY_RESERVED_NAMESPACES']);
  return {
    ...(port !== undefined ? { port } : {}),
    ...(env['CANOPY_WEBHOOK_HOST'] ? { host: env['CANOPY_WEBHOOK_HOST'] } : {}),
    ...(env['CANOPY_WEBHOOK_URL'] ? { url: env['CANOPY_WEBHOOK_URL'] } : {}),
    ...(serviceName
      ? {
          service: {
            name: serviceName,
            ...(serviceNamespace ? { namespace: serviceNamespace } : {}),
            ...(servicePort !== undefined ? { port: servicePort } : {}),
          },
        }
      : {}),
    ...(env['CANOPY_WEBHOOK_CONFIGURATION_NAME'] ? { configurationName: env['CANOPY_WEBHOOK_CONFIGURATION_NAME'] } : {}),
    ...(env['CANOPY_WEBHOOK_MUTATING_CONFIGURATION_NAME'] ? { mutatingConfigurationName: env['CANOPY_WEBHOOK_MUTATING_CONFIGURATION_NAME'] } : {}),
    ...(timeoutSeconds !== undefined ? { timeoutSeconds } : {}),
    ...(env['CANOPY_OWNER_CLUSTERROLE'] ? { ownerClusterRole: env['CANOPY_OWNER_CLUSTERROLE'] } : {}),
    ...(reservedNamespaces.length > 0 ? { reservedNamespaces } : {}),
    ...(certificates ? { certificates } : {}),
  };
}

/** A non-negative number from the environment; unset or empty is undefined, anything else a clear error. */
export function nonNegativeFromEnv(env: NodeJS.ProcessEnv, key: string): number | undefined {
  const raw = env[key];
  if (raw === undefined || raw === '') return undefined;
  const n = Number(raw);
  if (!Number.isFinite(n) || n < 0) throw new Error(`${key}=${raw} is not a non-negative number`);
  return n;
}

/**
 * A serving certificate as the chart configures one under `<prefix>_*`: provided
 * (`_CERT_DIR` holding a mounted kubernetes.io/tls Secret, or `_CERT_FILE` /
 * `_KEY_FILE` / `_CA_FILE`), else generated (`_CERT_SECRET`,
 * `_CERT_VALIDITY_HOURS`); undefined when none is set, so the default applies.
 * Shared by the webhook and the tenant gateway, which serve TLS the same way.
 */
export function certificateOptionsFromEnv(env: NodeJS.ProcessEnv, prefix: string): CertificateOptions | undefined {
  const certDir = env[`${prefix}_CERT_DIR`];
  const certFile = env[`${prefix}_CERT_FILE`] ?? (certDir ? join(certDir, 'tls.crt') : undefined);
  const caFile = env[`${prefix}_CA_FILE`] ?? (certDir && existsSync(join(certDir, 'ca.crt')) ? join(certDir, 'ca.crt') : undefined);
  const validityHours = nonNegativeFromEnv(env, `${prefix}_CERT_VALIDITY_HOURS`);
  const secretName = env[`${prefix}_CERT_SECRET`];
  if (certFile)
    return {
      certFile,
      keyFile: env[`${prefix}_KEY_FILE`] ?? (certDir ? join(certDir, 'tls.key') : certFile.replace(/\.crt$/, '.key')),
      ...(caFile ? { caFile } : {}),
    };
  if (secretName || validityHours !== undefined)
    return {
      ...(secretName ? { secretName } : {}),
      ...(validityHours !== undefined ? { validityMs: validityHours * 3600_000 } : {}),
    };
  return undefined;
}
