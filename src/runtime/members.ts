import { KubeConfig, KubeconfigSyntaxError, parseKubeconfigDocument, type KubeConfigSource } from './kubeconfig.js';
import { checkMemberKubeconfig, KubeconfigRefusedError } from './member-kubeconfig.js';
import { redact } from './redact.js';
import { LRUCache } from 'lru-cache';
import type { Logger } from 'pino';
import { ApiClient } from './http.js';
import type { InformerOptions, InformerSelector } from './informer.js';
import { Informer } from './informer.js';
import type { KubeObject } from './object.js';
import type { ResourceRef } from './resources.js';
import { Resources } from './resources.js';

/** The identity of a shared informer: resource plus selectors. */
export function informerKey(resource: ResourceRef, selector: InformerSelector = {}): string {
  return [resource.apiVersion, resource.plural, selector.namespace ?? '', selector.labelSelector ?? '', selector.fieldSelector ?? ''].join('|');
}

/** A registered member cluster's client and informers, valid until `signal` aborts. */
export interface MemberCluster {
  /** The Cluster object's name. */
  readonly name: string;
  readonly kubeConfig: KubeConfigSource;
  readonly client: ApiClient;
  /** resourceVersion of the kubeconfig Secret this client was built from. */
  readonly secretResourceVersion: string;
  /** Aborted when this client is closed (Secret changed, Cluster deleted, evicted from the pool). */
  readonly signal: AbortSignal;
  readonly closed: boolean;
  /** A shared informer on the member (started at once; stopped when the member is closed). */
  informer<T extends KubeObject = KubeObject>(resource: ResourceRef, options?: InformerOptions<T>): Informer<T>;
}

export type MemberUnavailableReason = 'ClusterNotFound' | 'SecretRefMissing' | 'SecretNotFound' | 'KeyNotFound' | 'InvalidKubeconfig' | 'KubeconfigRefused';

/**
 * The pool cannot build a client for a Cluster; `reason` is fit for a
 * condition, and the message never quotes the kubeconfig (it reaches Cluster
 * and PropagatedObject statuses, which tenants may read).
 */
export class MemberClusterUnavailableError extends Error {
  constructor(
    readonly cluster: string,
    readonly reason: MemberUnavailableReason,
    message: string,
  ) {
    super(`cluster ${cluster}: ${message}`);
    this.name = 'MemberClusterUnavailableError';
  }
}

interface ClusterObject extends KubeObject {
  spec?: { kubeconfigSecretRef?: { name?: string; namespace?: string; key?: string } };
}

interface SecretObject extends KubeObject {
  data?: Record<string, string>;
}

class MemberClusterHandle implements MemberCluster {
  readonly client: ApiClient;
  private readonly abort = new AbortController();
  private readonly informers = new Map<string, Informer>();

  constructor(
    readonly name: string,
    readonly kubeConfig: KubeConfigSource,
    readonly secretRef: string,
    readonly secretResourceVersion: string,
    private readonly logger: Logger,
  ) {
    this.client = new ApiClient(kubeConfig);
  }

  get signal(): AbortSignal {
    return this.abort.signal;
  }

  get closed(): boolean {
    return this.abort.signal.aborted;
  }

  /** Informers currently running on this member (for tests and metrics). */
  get informerCount(): number {
    return [...this.informers.values()].filter((i) => i.running).length;
  }

  informer<T extends KubeObject = KubeObject>(resource: ResourceRef, options: InformerOptions<T> = {}): Informer<T> {
    if (this.closed) throw new Error(`member cluster ${this.name} client is closed`);
    const key = informerKey(resource, options);
    let informer = this.informers.get(key) as Informer<T> | undefined;
    if (!informer) {
      informer = new Informer<T>(this.client, resource, options, this.logger);
      this.informers.set(key, informer as unknown as Informer);
      informer.start();
    }
    return informer;
  }

  close(): void {
    if (this.closed) return;
    this.abort.abort();
    for (const informer of this.informers.values()) void informer.stop();
    this.informers.clear();
    this.client.close();
  }
}

export interface MemberClusterPoolDeps {
  /** Shared host informers (the Manager's). */
  informer(resource: ResourceRef, selector: InformerSelector): Informer;
  /** The host client, to confirm cache misses. */
  readonly client: ApiClient;
  readonly logger: Logger;
  /** Clients kept at once; the least recently used is closed beyond it. Default 64. */
  readonly max?: number;
  /** Accept member kubeconfigs that run plugins (`exec`, `auth-provider`) or read files; default false (member-kubeconfig.ts). */
  readonly allowKubeconfigPlugins?: boolean;
}

/**
 * Clients and informers for member clusters, built from the kubeconfig in the
 * Secret each `Cluster` names (spec.kubeconfigSecretRef). A client is closed
 * and rebuilt on next use when that Secret changes (new resourceVersion),
 * closed for good when the Cluster is deleted, and closed when evicted from
 * the bounded pool (its watches stop). Listeners hear about every close so
 * controllers can drop member triggers and re-enqueue.
 */
export class MemberClusterPool {
  private readonly cache: LRUCache<string, MemberClusterHandle>;
  private readonly building = new Map<string, Promise<MemberClusterHandle>>();
  private readonly listeners = new Set<(cluster: string) => void>();
  private readonly watchedSecretNamespaces = new Set<string>();
  private clusterInformer: Informer<ClusterObject> | undefined;

  constructor(private readonly deps: MemberClusterPoolDeps) {
    this.cache = new LRUCache({
      max: deps.max ?? 64,
      dispose: (member, name) => {
        member.close();
        deps.logger.info({ cluster: name }, 'member cluster client closed');
        for (const listener of this.listeners) listener(name);
      },
    });
  }

  /** Member clients currently open. */
  get size(): number {
    return this.cache.size;
  }

  names(): string[] {
    return [...this.cache.keys()];
  }

  /** The open client for a cluster, without building one. */
  peek(name: string): MemberCluster | undefined {
    return this.cache.peek(name);
  }

  /** Called with the cluster name whenever a member client is closed (rebuild, deletion, eviction). */
  onClose(listener: (cluster: string) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /**
   * The client for Cluster `name`, built (or rebuilt after a Secret change)
   * as needed. Throws MemberClusterUnavailableError when the Cluster, its
   * Secret or the kubeconfig in it is missing or unreadable.
   */
  async get(name: string, signal?: AbortSignal): Promise<MemberCluster> {
    const clusters = this.clusters();
    await clusters.waitForSync(signal);
    // The cache may lag a Cluster or Secret created a moment ago: confirm a miss with a live read.
    const cluster = clusters.get(name) ?? (await this.deps.client.tryGet<ClusterObject>(Resources.Cluster, name));
    if (!cluster) throw new MemberClusterUnavailableError(name, 'ClusterNotFound', 'no such Cluster');
    const ref = cluster.spec?.kubeconfigSecretRef;
    if (!ref?.name || !ref.namespace) throw new MemberClusterUnavailableError(name, 'SecretRefMissing', 'spec.kubeconfigSecretRef needs name and namespace');
    const secrets = this.secrets(ref.namespace);
    await secrets.waitForSync(signal);
    const secret =
      (secrets.get(ref.name, ref.namespace) as SecretObject | undefined) ??
      (await this.deps.client.tryGet<SecretObject>(Resources.Secret, ref.name, ref.namespace));
    if (!secret) throw new MemberClusterUnavailableError(name, 'SecretNotFound', `Secret ${ref.namespace}/${ref.name} not found`);
    const secretRef = `${ref.namespace}/${ref.name}#${ref.key ?? 'kubeconfig'}`;
    const rv = secret.metadata?.resourceVersion ?? '';
    const current = this.cache.get(name);
    if (current && current.secretRef === secretRef && current.secretResourceVersion === rv) return current;
    if (current) this.cache.delete(name);
    let pending = this.building.get(name);
    if (!pending) {
      pending = Promise.resolve().then(() => this.build(name, secretRef, secret, ref.key ?? 'kubeconfig'));
      this.building.set(name, pending);
      void pending.finally(() => this.building.delete(name)).catch(() => undefined);
    }
    return pending;
  }

  /** Closes one member client (it is rebuilt on next get). */
  close(name: string): void {
    this.cache.delete(name);
  }

  closeAll(): void {
    this.cache.clear();
  }

  private build(name: string, secretRef: string, secret: SecretObject, key: string): MemberClusterHandle {
    const encoded = secret.data?.[key];
    if (!encoded) throw new MemberClusterUnavailableError(name, 'KeyNotFound', `Secret ${secretRef.split('#')[0]} has no key ${key}`);
    const where = `the kubeconfig in Secret ${secretRef.split('#')[0]} key "${key}"`;
    const kubeConfig = new KubeConfig();
    try {
      const document = parseKubeconfigDocument(Buffer.from(encoded, 'base64').toString('utf8'));
      checkMemberKubeconfig(document, this.deps.allowKubeconfigPlugins === true);
      kubeConfig.loadFromDocument(document);
      if (!kubeConfig.getCurrentCluster()) throw new Error('its current-context names no cluster');
    } catch (err) {
      if (err instanceof KubeconfigRefusedError) throw new MemberClusterUnavailableError(name, 'KubeconfigRefused', `${where} ${err.message}`);
      if (err instanceof KubeconfigSyntaxError) throw new MemberClusterUnavailableError(name, 'InvalidKubeconfig', `${where} is ${err.message}`);
      throw new MemberClusterUnavailableError(name, 'InvalidKubeconfig', `${where} is unusable: ${redact((err as Error).message)}`);
    }
    const member = new MemberClusterHandle(name, kubeConfig, secretRef, secret.metadata?.resourceVersion ?? '', this.deps.logger.child({ cluster: name }));
    this.cache.set(name, member);
    this.deps.logger.info({ cluster: name, server: kubeConfig.getCurrentCluster()?.server }, 'member cluster client built');
    return member;
  }

  private clusters(): Informer<ClusterObject> {
    if (!this.clusterInformer) {
      this.clusterInformer = this.deps.informer(Resources.Cluster, {}) as Informer<ClusterObject>;
      this.clusterInformer.on((event) => {
        const name = event.object.metadata?.name ?? '';
        const member = this.cache.peek(name);
        if (!member) return;
        const ref = event.object.spec?.kubeconfigSecretRef;
        const refKey = ref ? `${ref.namespace}/${ref.name}#${ref.key ?? 'kubeconfig'}` : '';
        if (event.type === 'delete' || refKey !== member.secretRef) this.cache.delete(name);
      });
    }
    return this.clusterInformer;
  }

  private secrets(namespace: string): Informer {
    const informer = this.deps.informer(Resources.Secret, { namespace });
    if (!this.watchedSecretNamespaces.has(namespace)) {
      this.watchedSecretNamespaces.add(namespace);
      informer.on((event) => {
        const meta = event.object.metadata ?? {};
        const secretKey = `${meta.namespace}/${meta.name}`;
        const stale = [...this.cache.entries()]
          .filter(([, member]) => member.secretRef.split('#')[0] === secretKey)
          .filter(([, member]) => event.type === 'delete' || member.secretResourceVersion !== meta.resourceVersion)
          .map(([name]) => name);
        for (const name of stale) this.cache.delete(name);
      });
    }
    return informer;
  }
}
