/**
 * Helpers for the admission e2e suites (real apiserver calling the webhook
 * on loopback). Not loaded by the operator.
 */
import { KubeConfig, KubernetesObjectApi } from '@kubernetes/client-node';
import { pino } from 'pino';
import { waitUntil } from '../../controlplane/launcher/index.js';
import { maybeTestOperator, testEnv } from '../e2e/env.js';
import { allowWebhookConfigurationNames } from '../e2e/webhook-names.js';
import { ApiClient, Manager, resourcePath, type KubeObject } from '../../src/runtime/index.js';
import type { LabelSelectorJson, WebhookId } from '../../src/webhooks/configuration.js';
import { DEFAULT_CONFIGURATION_NAME, register, type WebhookOptions, type WebhookRunnable } from '../../src/webhooks/index.js';

export interface WebhookInstance {
  readonly manager: Manager;
  readonly runnable: WebhookRunnable;
  readonly configurationName: string;
  /** Stops serving; the configuration stays (requests it matches now fail closed). */
  stop(): Promise<void>;
  /** Stops serving and deletes the configuration. */
  remove(): Promise<void>;
}

/** The identity webhook instances run as: the operator's ServiceAccount when the shared operator runs, else admin. */
function operatorKubeConfig(): KubeConfig {
  const source = maybeTestOperator()?.kubeConfig ?? testEnv().host.kubeConfig();
  // A copy: ApiClient.for shares one client per KubeConfig object, and stopping
  // this instance's manager closes its client, which must not be the operator's.
  const copy = new KubeConfig();
  copy.loadFromString(source.exportConfig());
  return copy;
}

/** Runs a webhook in its own manager (leader election off, no metrics server) until stopped. */
export async function startWebhook(options: WebhookOptions & { logLevel?: string } = {}): Promise<WebhookInstance> {
  const logger = pino({ level: options.logLevel ?? 'warn' });
  // The operator's role names only the default configurations: grant these names as a renaming installation would.
  if (maybeTestOperator()) await allowWebhookConfigurationNames([options.configurationName, options.mutatingConfigurationName]);
  const manager = new Manager({ kubeConfig: operatorKubeConfig(), leaderElection: false, metricsPort: false, healthPort: false, logger });
  const runnable = register(manager, { port: 0, ...options });
  await manager.start();
  const ready = await waitUntil(60_000, 100, async () => runnable.ready());
  if (!ready) {
    await manager.stop();
    throw new Error(`webhook not ready: ${runnable.notReadyReasons().join(', ')}`);
  }
  const configurationName = options.configurationName ?? DEFAULT_CONFIGURATION_NAME;
  const stop = () => manager.stop();
  return {
    manager,
    runnable,
    configurationName,
    stop,
    remove: async () => {
      await stop();
      await deleteConfiguration(configurationName);
    },
  };
}

export async function deleteConfiguration(name: string): Promise<void> {
  const client = KubernetesObjectApi.makeApiClient(testEnv().host.kubeConfig());
  try {
    await client.delete({ apiVersion: 'admissionregistration.k8s.io/v1', kind: 'ValidatingWebhookConfiguration', metadata: { name } });
  } catch (err) {
    if ((err as { code?: number }).code !== 404) throw err;
  }
}

async function configurationExists(name: string): Promise<boolean> {
  const client = KubernetesObjectApi.makeApiClient(testEnv().host.kubeConfig());
  try {
    await client.read({ apiVersion: 'admissionregistration.k8s.io/v1', kind: 'ValidatingWebhookConfiguration', metadata: { name } });
    return true;
  } catch {
    return false;
  }
}

let shared: { instance: WebhookInstance | undefined; users: number } | undefined;
const E2E_SECRET = 'canopy-webhook-tls-e2e';

/**
 * Makes sure the Canopy webhook is active on the host: the shared operator's
 * when it registered one, otherwise one started here (and removed when the
 * last user releases it). Returns the release function.
 */
export async function acquireAdmission(): Promise<() => Promise<void>> {
  if (!shared) {
    const operatorHasIt = maybeTestOperator() !== undefined && (await configurationExists(DEFAULT_CONFIGURATION_NAME));
    shared = { instance: operatorHasIt ? undefined : await startWebhook({ certificates: { secretName: E2E_SECRET } }), users: 0 };
    await waitForEnforcement();
  }
  shared.users++;
  let released = false;
  return async () => {
    if (released || !shared) return;
    released = true;
    if (--shared.users > 0) return;
    const instance = shared.instance;
    shared = undefined;
    if (!instance) return;
    await instance.remove();
    await new Actor('admin', testEnv().host.kubeConfig()).deleteIfExists({ apiVersion: 'v1', kind: 'Secret', name: E2E_SECRET, namespace: 'canopy-system' });
  };
}

/** Waits until the apiserver calls the webhook (it picks up new configurations asynchronously). */
export async function waitForEnforcement(probe: KubeObject = missingParentProbe(), kubeConfig: KubeConfig = testEnv().host.kubeConfig()): Promise<void> {
  const actor = new Actor('probe', kubeConfig);
  const enforced = await waitUntil(30_000, 200, async () => {
    try {
      await actor.create(probe, { dryRun: true });
      return false;
    } catch (err) {
      return /denied the request/.test(errorMessage(err));
    }
  });
  if (!enforced) throw new Error('the apiserver did not start calling the admission webhook within 30 s');
}

function missingParentProbe(): KubeObject {
  return {
    apiVersion: 'canopy.dev/v1alpha1',
    kind: 'Workspace',
    metadata: { name: 'admission-probe' },
    spec: { parent: 'no-such-parent-anywhere' },
  } as KubeObject;
}

/** The apiserver's message from a client-node error (Status.message), else the error text. */
export function errorMessage(err: unknown): string {
  const e = err as { body?: unknown; message?: string };
  if (typeof e.body === 'string') {
    try {
      return (JSON.parse(e.body) as { message?: string }).message ?? e.body;
    } catch {
      return e.body;
    }
  }
  if (e.body && typeof e.body === 'object' && 'message' in e.body) return String((e.body as { message: unknown }).message);
  return e.message ?? String(err);
}

/** HTTP status of a client-node error (0 when the request never got an answer). */
export function errorCode(err: unknown): number {
  const code = (err as { code?: unknown }).code;
  return typeof code === 'number' ? code : 0;
}

export type { LabelSelectorJson, WebhookId };

/** A plain-JSON client acting as one identity, for sending test requests exactly as written. */
export class Actor {
  private readonly client: ApiClient;

  constructor(
    readonly name: string,
    kubeConfig: KubeConfig,
  ) {
    this.client = ApiClient.for(kubeConfig);
  }

  async create<T extends KubeObject>(object: T, options: { dryRun?: boolean } = {}): Promise<T> {
    const resource = await this.client.resourceFor(object.apiVersion ?? '', object.kind ?? '');
    return this.client.request<T>('POST', resourcePath(resource, object.metadata?.namespace), {
      body: object,
      ...(options.dryRun ? { query: { dryRun: 'All' } } : {}),
    });
  }

  async get<T extends KubeObject>(ref: ObjectRef): Promise<T> {
    const resource = await this.client.resourceFor(ref.apiVersion, ref.kind);
    return this.client.request<T>('GET', resourcePath(resource, ref.namespace, ref.name));
  }

  /** Reads, changes and writes back (PUT), as `kubectl edit` would. */
  async update<T extends KubeObject>(ref: ObjectRef, mutate: (object: T) => void, options: { dryRun?: boolean } = {}): Promise<T> {
    const resource = await this.client.resourceFor(ref.apiVersion, ref.kind);
    const object = await new Actor('reader', testEnv().host.kubeConfig()).get<T>(ref);
    mutate(object);
    return this.client.request<T>('PUT', resourcePath(resource, ref.namespace, ref.name), {
      body: object,
      ...(options.dryRun ? { query: { dryRun: 'All' } } : {}),
    });
  }

  async delete(ref: ObjectRef, options: { dryRun?: boolean } = {}): Promise<void> {
    const resource = await this.client.resourceFor(ref.apiVersion, ref.kind);
    await this.client.request('DELETE', resourcePath(resource, ref.namespace, ref.name), options.dryRun ? { query: { dryRun: 'All' } } : {});
  }

  /** Deletes and ignores "not found". */
  async deleteIfExists(ref: ObjectRef): Promise<void> {
    try {
      await this.delete(ref);
    } catch (err) {
      if (errorCode(err) !== 404) throw err;
    }
  }
}

export interface ObjectRef {
  readonly apiVersion: string;
  readonly kind: string;
  readonly name: string;
  readonly namespace?: string;
}

export function refOf(object: KubeObject): ObjectRef {
  return {
    apiVersion: object.apiVersion ?? '',
    kind: object.kind ?? '',
    name: object.metadata?.name ?? '',
    ...(object.metadata?.namespace ? { namespace: object.metadata.namespace } : {}),
  };
}
