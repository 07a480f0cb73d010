import http from 'node:http';
import https from 'node:https';
import { StringDecoder } from 'node:string_decoder';
import { setTimeout as sleep } from 'node:timers/promises';
import type { KubeConfigSource } from './kubeconfig.js';
import { ApiError, isNotFound, type Status } from './errors.js';
import type { KubeObject } from './object.js';
import { groupOf, knownResource, resourcePath, type ResourceRef } from './resources.js';

export type QueryValue = string | number | boolean | undefined;

export interface RequestOptions {
  readonly query?: Readonly<Record<string, QueryValue>>;
  readonly body?: unknown;
  /** Default application/json when there is a body. */
  readonly contentType?: string;
  readonly signal?: AbortSignal;
  /** Socket inactivity limit; default 60 s. */
  readonly timeoutMs?: number;
}

export interface ListOptions {
  readonly namespace?: string;
  readonly labelSelector?: string;
  readonly fieldSelector?: string;
  readonly limit?: number;
  readonly continue?: string;
  readonly resourceVersion?: string;
  readonly signal?: AbortSignal;
}

export interface ListPage<T> {
  items: T[];
  metadata: { resourceVersion?: string; continue?: string; remainingItemCount?: number };
}

/** One line of a watch stream. */
export interface WatchEvent {
  readonly type: 'ADDED' | 'MODIFIED' | 'DELETED' | 'BOOKMARK' | 'ERROR';
  readonly object: KubeObject & Status;
}

export interface WatchOptions {
  readonly namespace?: string;
  readonly labelSelector?: string;
  readonly fieldSelector?: string;
  readonly resourceVersion?: string;
  readonly allowWatchBookmarks?: boolean;
  /** The apiserver ends the watch after this long (client-go picks 5–10 min at random). */
  readonly timeoutSeconds?: number;
  /** Give up on a stream silent for this long (a dead peer sends no FIN); default 120 s. */
  readonly idleTimeoutMs?: number;
  readonly signal?: AbortSignal;
}

export interface DeleteOptions {
  readonly propagationPolicy?: 'Foreground' | 'Background' | 'Orphan';
  readonly preconditions?: { uid?: string; resourceVersion?: string };
  readonly signal?: AbortSignal;
}

export type PatchType = 'merge' | 'json' | 'strategic' | 'apply';

const PATCH_CONTENT_TYPES: Record<PatchType, string> = {
  merge: 'application/merge-patch+json',
  json: 'application/json-patch+json',
  strategic: 'application/strategic-merge-patch+json',
  apply: 'application/apply-patch+yaml',
};

interface Credentials {
  readonly headers: Record<string, string>;
  readonly expires: number;
}

/** How long resolved credentials are reused (token files rotate; exec plugins cache on their own). */
const CREDENTIALS_TTL_MS = 10_000;

const clients = new WeakMap<KubeConfigSource, ApiClient>();

/** Retries of one request the apiserver throttles (client-go's default, too). */
export const MAX_THROTTLE_RETRIES = 10;
/** The longest Retry-After honoured: a larger one is a misconfigured proxy, not a plan. */
export const MAX_RETRY_AFTER_MS = 30_000;
/** Methods safe to send twice: a 503 may come after the apiserver acted on the first one. */
const IDEMPOTENT = new Set(['GET', 'HEAD', 'PUT', 'DELETE', 'OPTIONS']);

/**
 * How long to wait before sending a throttled request again, or undefined
 * when it must not be retried. Only answers with a Retry-After header are
 * retried. A 429 is retried whatever the method: the
 * apiserver's max-in-flight and priority-and-fairness filters reject before
 * the request is processed. A 503 is retried only with a Retry-After and only
 * for idempotent methods, since it may come from a handler that did the work.
 */
export function throttleDelayMs(method: string, status: number, retryAfter: string | undefined, nowMs = Date.now()): number | undefined {
  if (status !== 429 && status !== 503) return undefined;
  if (status === 503 && !IDEMPOTENT.has(method.toUpperCase())) return undefined;
  // Without the header the answer says nothing about when to come back: client-go does not retry it either.
  const value = retryAfter?.trim() ?? '';
  let ms: number;
  if (/^\d+$/.test(value)) ms = Number(value) * 1000;
  else if (value !== '' && !Number.isNaN(Date.parse(value))) ms = Date.parse(value) - nowMs;
  else return undefined;
  return Math.min(Math.max(ms, 0), MAX_RETRY_AFTER_MS);
}

/** One throttled attempt, reported before the client waits and sends the request again. */
export interface ThrottledRetry {
  readonly method: string;
  readonly path: string;
  readonly status: number;
  /** The wait the apiserver asked for (bounded), without the client's jitter. */
  readonly retryAfterMs: number;
  /** What the client actually waits: Retry-After plus up to half of it again, so a burst does not come back at once. */
  readonly waitMs: number;
  readonly attempt: number;
}

export interface ApiClientOptions {
  /** Called for every throttled attempt (metrics, tests). */
  readonly onThrottled?: (retry: ThrottledRetry) => void;
}

/**
 * What a request needs from a kubeconfig: the TLS options (CA, client
 * certificate) and the credential headers (bearer token, or Basic auth), with
 * header values flattened to strings. Read again when a token may have rotated.
 */
export async function kubeConfigRequestMaterial(kubeConfig: KubeConfigSource): Promise<{ opts: https.RequestOptions; headers: Record<string, string> }> {
  const opts: https.RequestOptions = {};
  await kubeConfig.applyToHTTPSOptions(opts);
  const headers: Record<string, string> = {};
  for (const [key, value] of Object.entries(opts.headers ?? {})) {
    if (value !== undefined) headers[key] = Array.isArray(value) ? value.join(', ') : String(value);
  }
  if (opts.auth) headers.Authorization = `Basic ${Buffer.from(opts.auth).toString('base64')}`;
  return { opts, headers };
}

/**
 * A small JSON client for the Kubernetes REST API built on a KubeConfig.
 * It returns the apiserver's JSON as plain objects (no ObjectSerializer:
 * informers keep tens of thousands of objects and pay for every copy), keeps
 * one keep-alive connection pool per cluster, and streams watches line by line.
 */
export class ApiClient {
  readonly server: string;
  private agent: http.Agent | undefined;
  private credentials: Credentials | undefined;
  private readonly discovery = new Map<string, Promise<Map<string, ResourceRef>>>();
  private closed = false;

  constructor(
    private readonly kubeConfig: KubeConfigSource,
    private readonly options: ApiClientOptions = {},
  ) {
    const cluster = kubeConfig.getCurrentCluster();
    if (!cluster) throw new Error('the kubeconfig has no current cluster');
    this.server = cluster.server.replace(/\/+$/, '');
  }

  /** One shared client per KubeConfig object. */
  static for(kubeConfig: KubeConfigSource): ApiClient {
    let client = clients.get(kubeConfig);
    if (!client || client.closed) {
      client = new ApiClient(kubeConfig);
      clients.set(kubeConfig, client);
    }
    return client;
  }

  /** Closes pooled connections; in-flight watches end with an error. */
  close(): void {
    this.closed = true;
    this.agent?.destroy();
    this.agent = undefined;
  }

  get isClosed(): boolean {
    return this.closed;
  }

  async request<T>(method: string, path: string, options: RequestOptions = {}): Promise<T> {
    const { res, body } = await this.send(method, path, options);
    return decodeAnswer<T>(res, body, `${method} ${path}`);
  }

  /**
   * A GET for something that may well not exist: undefined on 404 instead of
   * an ApiError, which is not free to build (a stack trace per miss) when a
   * reconciler looks up thousands of names it expects to be absent.
   */
  async find<T>(path: string, options: RequestOptions = {}): Promise<T | undefined> {
    const { res, body } = await this.send('GET', path, options);
    return res.statusCode === 404 ? undefined : decodeAnswer<T>(res, body, `GET ${path}`);
  }

  async get<T extends KubeObject = KubeObject>(resource: ResourceRef, name: string, namespace?: string): Promise<T> {
    return this.withType(resource, await this.request<T>('GET', resourcePath(resource, namespace, name)));
  }

  /** The object, or undefined when it does not exist. */
  async tryGet<T extends KubeObject = KubeObject>(resource: ResourceRef, name: string, namespace?: string): Promise<T | undefined> {
    try {
      return await this.get<T>(resource, name, namespace);
    } catch (err) {
      if (isNotFound(err)) return undefined;
      throw err;
    }
  }

  /** One page of a list; items get apiVersion/kind (the apiserver omits them in lists). */
  async list<T extends KubeObject = KubeObject>(resource: ResourceRef, options: ListOptions = {}): Promise<ListPage<T>> {
    const page = await this.request<ListPage<T>>('GET', resourcePath(resource, options.namespace), {
      query: {
        labelSelector: options.labelSelector,
        fieldSelector: options.fieldSelector,
        limit: options.limit,
        continue: options.continue,
        resourceVersion: options.resourceVersion,
      },
      signal: options.signal,
    });
    page.items ??= [];
    for (const item of page.items) this.withType(resource, item);
    return page;
  }

  /** Every object, following continue tokens (pages of `limit`, default 500). */
  async listAll<T extends KubeObject = KubeObject>(resource: ResourceRef, options: ListOptions = {}): Promise<T[]> {
    const all: T[] = [];
    let token: string | undefined;
    do {
      const page = await this.list<T>(resource, { ...options, limit: options.limit ?? 500, continue: token });
      for (const item of page.items) all.push(item);
      token = page.metadata.continue || undefined;
    } while (token);
    return all;
  }

  async create<T extends KubeObject>(resource: ResourceRef, object: T, signal?: AbortSignal): Promise<T> {
    const path = resourcePath(resource, object.metadata?.namespace);
    return this.withType(resource, await this.request<T>('POST', path, { body: object, signal }));
  }

  /** PUT: optimistic concurrency through metadata.resourceVersion (409 when stale). */
  async replace<T extends KubeObject>(resource: ResourceRef, object: T, subresource?: string, signal?: AbortSignal): Promise<T> {
    const path = resourcePath(resource, object.metadata?.namespace, object.metadata?.name ?? '', subresource);
    return this.withType(resource, await this.request<T>('PUT', path, { body: object, signal }));
  }

  async patch<T extends KubeObject = KubeObject>(
    resource: ResourceRef,
    name: string,
    namespace: string | undefined,
    patch: unknown,
    type: PatchType,
    options: { fieldManager?: string; force?: boolean; subresource?: string; signal?: AbortSignal } = {},
  ): Promise<T> {
    const path = resourcePath(resource, namespace, name, options.subresource);
    const result = await this.request<T>('PATCH', path, {
      body: patch,
      contentType: PATCH_CONTENT_TYPES[type],
      query: { fieldManager: options.fieldManager, force: options.force },
      signal: options.signal,
    });
    return this.withType(resource, result);
  }

  async delete(resource: ResourceRef, name: string, namespace?: string, options: DeleteOptions = {}): Promise<void> {
    const { propagationPolicy, preconditions } = options;
    const body = propagationPolicy || preconditions ? { kind: 'DeleteOptions', apiVersion: 'v1', propagationPolicy, preconditions } : undefined;
    await this.request('DELETE', resourcePath(resource, namespace, name), { body, signal: options.signal });
  }

  /**
   * Streams a watch: calls `onEvent` for every event until the apiserver ends
   * the stream (resolves) or the connection fails or is aborted (rejects).
   * A non-200 answer rejects with its ApiError (410 when the version is too old).
   */
  async watch(resource: ResourceRef, options: WatchOptions, onEvent: (event: WatchEvent) => void): Promise<void> {
    const path = resourcePath(resource, options.namespace);
    const query = {
      watch: true,
      labelSelector: options.labelSelector,
      fieldSelector: options.fieldSelector,
      resourceVersion: options.resourceVersion,
      allowWatchBookmarks: options.allowWatchBookmarks,
      timeoutSeconds: options.timeoutSeconds,
    };
    const res = await this.open('GET', path, { query, signal: options.signal, timeoutMs: options.idleTimeoutMs ?? 120_000 });
    const status = res.statusCode ?? 0;
    if (status !== 200) {
      const body = await readAll(res);
      throw new ApiError(status, parseStatus(body.toString('utf8')), `watch ${path}`);
    }
    await new Promise<void>((resolve, reject) => {
      const decoder = new StringDecoder('utf8');
      let buffered = '';
      let failed = false;
      const fail = (err: Error) => {
        if (failed) return;
        failed = true;
        res.destroy();
        reject(err);
      };
      res.on('data', (chunk: Buffer) => {
        buffered += decoder.write(chunk);
        let newline = buffered.indexOf('\n');
        while (newline >= 0 && !failed) {
          const line = buffered.slice(0, newline);
          buffered = buffered.slice(newline + 1);
          newline = buffered.indexOf('\n');
          if (line.trim().length === 0) continue;
          let event: WatchEvent;
          try {
            event = JSON.parse(line) as WatchEvent;
          } catch (err) {
            return fail(new Error(`watch ${path}: unreadable event: ${(err as Error).message}`));
          }
          try {
            onEvent(event);
          } catch (err) {
            return fail(err as Error);
          }
        }
      });
      res.on('end', () => {
        if (!failed) resolve();
      });
      res.on('error', (err) => fail(err));
      res.on('close', () => {
        if (!res.complete) fail(new Error(`watch ${path}: connection closed`));
      });
    });
  }

  /** Finds the resource of an apiVersion/kind through discovery (cached per group version). */
  async resourceFor(apiVersion: string, kind: string): Promise<ResourceRef> {
    const known = knownResource(apiVersion, kind);
    if (known) return known;
    let pending = this.discovery.get(apiVersion);
    if (!pending) {
      pending = this.discover(apiVersion);
      this.discovery.set(apiVersion, pending);
      pending.catch(() => this.discovery.delete(apiVersion));
    }
    const found = (await pending).get(kind);
    if (!found) {
      this.discovery.delete(apiVersion); // a CRD may have been installed since
      throw new ApiError(404, { reason: 'NotFound', message: `the server has no kind ${kind} in ${apiVersion}` }, 'discovery');
    }
    return found;
  }

  private async discover(apiVersion: string): Promise<Map<string, ResourceRef>> {
    const path = groupOf(apiVersion) === '' ? `/api/${apiVersion}` : `/apis/${apiVersion}`;
    const list = await this.request<{ resources?: Array<{ name: string; kind: string; namespaced: boolean }> }>('GET', path);
    const byKind = new Map<string, ResourceRef>();
    for (const r of list.resources ?? []) {
      if (r.name.includes('/')) continue; // subresources such as deployments/status
      byKind.set(r.kind, Object.freeze({ apiVersion, kind: r.kind, plural: r.name, namespaced: r.namespaced }));
    }
    return byKind;
  }

  private withType<T extends KubeObject>(resource: ResourceRef, object: T): T {
    if (object && typeof object === 'object') {
      object.apiVersion ??= resource.apiVersion;
      object.kind ??= resource.kind;
    }
    return object;
  }

  /** One request and its whole answer; throttled attempts are sent again after the wait the apiserver asks for. */
  private async send(method: string, path: string, options: RequestOptions): Promise<{ res: http.IncomingMessage; body: Buffer }> {
    for (let attempt = 1; ; attempt++) {
      const res = await this.open(method, path, options);
      const body = await readAll(res);
      const header = res.headers['retry-after'];
      const retryAfterMs =
        attempt <= MAX_THROTTLE_RETRIES ? throttleDelayMs(method, res.statusCode ?? 0, Array.isArray(header) ? header[0] : header) : undefined;
      if (retryAfterMs === undefined) return { res, body };
      const waitMs = Math.round(retryAfterMs * (1 + Math.random() / 2));
      this.options.onThrottled?.({ method, path, status: res.statusCode ?? 0, retryAfterMs, waitMs, attempt });
      await sleep(waitMs, undefined, { signal: options.signal });
    }
  }

  private async open(method: string, path: string, options: RequestOptions): Promise<http.IncomingMessage> {
    if (this.closed) throw new Error(`client for ${this.server} is closed`);
    const url = new URL(this.server + path);
    for (const [key, value] of Object.entries(options.query ?? {})) {
      if (value !== undefined && value !== '') url.searchParams.set(key, String(value));
    }
    const credentials = await this.resolveCredentials();
    const headers: Record<string, string> = { Accept: 'application/json', ...credentials.headers };
    let payload: Buffer | undefined;
    if (options.body !== undefined) {
      payload = Buffer.from(typeof options.body === 'string' ? options.body : JSON.stringify(options.body));
      headers['Content-Type'] = options.contentType ?? 'application/json';
      headers['Content-Length'] = String(payload.length);
    }
    const transport = url.protocol === 'http:' ? http : https;
    return new Promise((resolve, reject) => {
      const req = transport.request(url, { method, headers, agent: this.agent, signal: options.signal }, resolve);
      req.setTimeout(options.timeoutMs ?? 60_000, () => req.destroy(new Error(`${method} ${path}: no data for ${(options.timeoutMs ?? 60_000) / 1000}s`)));
      req.on('error', reject);
      req.end(payload);
    });
  }

  private async resolveCredentials(): Promise<Credentials> {
    if (this.credentials && this.credentials.expires > Date.now()) return this.credentials;
    const { opts, headers } = await kubeConfigRequestMaterial(this.kubeConfig);
    if (!this.agent) {
      // The TLS material is fixed for the life of this client (a changed kubeconfig makes a new client).
      const tls = { ca: opts.ca, cert: opts.cert, key: opts.key, pfx: opts.pfx, passphrase: opts.passphrase, servername: opts.servername };
      // Keep every socket the pool may open: with fewer free slots than sockets, each burst of
      // parallel writes closes the surplus and the next burst pays new TLS handshakes
      // (measured: ~4x the connections and ~30% more client CPU for reconcile-shaped load).
      const agentOptions = { keepAlive: true, keepAliveMsecs: 30_000, maxSockets: 64, maxFreeSockets: 64, scheduling: 'lifo' as const };
      this.agent = this.server.startsWith('http:')
        ? new http.Agent(agentOptions)
        : new https.Agent({ ...agentOptions, ...tls, ...(opts.rejectUnauthorized !== undefined ? { rejectUnauthorized: opts.rejectUnauthorized } : {}) });
    }
    this.credentials = { headers, expires: Date.now() + CREDENTIALS_TTL_MS };
    return this.credentials;
  }
}

function readAll(res: http.IncomingMessage): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    res.on('data', (chunk: Buffer) => chunks.push(chunk));
    res.on('end', () => resolve(chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks)));
    res.on('error', reject);
  });
}

/** The JSON of a 2xx answer; an ApiError (with the apiserver's Status) for any other. */
function decodeAnswer<T>(res: http.IncomingMessage, body: Buffer, context: string): T {
  const text = body.toString('utf8');
  const status = res.statusCode ?? 0;
  if (status < 200 || status >= 300) throw new ApiError(status, parseStatus(text), context);
  return (text.length > 0 ? JSON.parse(text) : undefined) as T;
}

function parseStatus(text: string): Status | undefined {
  try {
    const parsed = JSON.parse(text) as Status;
    return typeof parsed === 'object' && parsed !== null ? parsed : undefined;
  } catch {
    return text ? { message: text.slice(0, 500) } : undefined;
  }
}
