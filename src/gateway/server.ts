/**
 * The gateway's request path: `/clusters/<lc>/<apiserver path>` →
 * authenticate (TokenReview) → check the caller is the logical cluster's own
 * identity → narrow by policy.ts → forward to the apiserver that holds the
 * logical cluster (the host in Namespace mode, the bound member in Cluster
 * mode) as the caller, through impersonation. Bodies stream both ways; a
 * client that goes away aborts its upstream request.
 */
import https from 'node:https';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { ApiClient, KubeConfigSource, KubeObject, Logger } from '../runtime/index.js';
import { planNamespaces } from '../hierarchy/logical-cluster-namespaces.js';
import { serviceAccountName } from '../reconcilers/logicalcluster/names.js';
import { bearerToken, serviceAccountUser, type TokenReviewer, type UserInfo } from './auth.js';
import { jsonAccept, listQuery, mergeLists, mergeWatches, type ListLike } from './fanout.js';
import { parseGatewayPath } from './path.js';
import { checkNamespace, decideUnscoped, isWatch, routeOf, type ApiTarget, type Route } from './policy.js';
import { GatewayError, sendJson, sendStatus, statusOf, type StatusObject } from './status.js';
import { forwardHeaders, responseHeaders, type Upstream } from './upstream.js';

/** The fields of a LogicalCluster the gateway reads. */
export interface GatewayLogicalCluster extends KubeObject {
  spec?: { mode?: string; namespaces?: string[]; workspace?: string };
  status?: { phase?: string; namespaces?: string[]; cluster?: string };
}

/** Where one logical cluster lives: the apiserver that holds its namespaces and issued its token. */
export interface ClusterTarget {
  /** `host`, or `member:<cluster>`. */
  readonly key: string;
  readonly client: ApiClient;
  readonly upstream: Upstream;
}

export interface GatewayBackend {
  /** The logical cluster (cache first, then a live read), or undefined. */
  logicalCluster(name: string): Promise<GatewayLogicalCluster | undefined>;
  /** The apiserver of a logical cluster; throws a GatewayError when it cannot be reached. */
  target(lc: GatewayLogicalCluster): Promise<ClusterTarget>;
  readonly reviewer: TokenReviewer;
  readonly logger: Logger;
  /** Before the first impersonated request of a logical cluster on a target: make sure the gateway may impersonate it. */
  ensureImpersonation(lc: GatewayLogicalCluster, target: ClusterTarget): Promise<void>;
  /** The virtual namespaces resource (namespaces.ts). */
  namespaces(request: Admitted, req: IncomingMessage, res: ServerResponse): Promise<void>;
  /** Discovery documents (`/api`, `/apis`, OpenAPI); default: forwarded as the caller. */
  discovery?(request: Admitted, req: IncomingMessage, res: ServerResponse): Promise<boolean>;
  /** Calls `listener` when the namespaces of logical cluster `name` change; returns the unsubscribe function. */
  onNamespacesChanged?(name: string, listener: () => void): () => void;
  /** Called once per answered request (metrics): what it was, its status code, and how long until the answer ended. */
  observe?(what: string, code: number, elapsedMs: number): void;
  /** Virtual views served by the gateway itself (the placements view); false when the path is not one. */
  views?(request: Admitted, req: IncomingMessage, res: ServerResponse): Promise<boolean>;
}

export interface GatewayServerOptions {
  readonly host: string;
  readonly port: number;
  readonly tls: { readonly certPem: string; readonly keyPem: string };
  readonly maxBodyBytes: number;
}

/** A request that passed authentication and membership. */
export interface Admitted {
  readonly lc: GatewayLogicalCluster;
  readonly name: string;
  /** The logical cluster's namespaces (status), first one first. */
  readonly namespaces: readonly string[];
  readonly firstNamespace: string;
  readonly user: UserInfo;
  readonly target: ClusterTarget;
  readonly route: Route;
  /** Decoded path segments after `/clusters/<lc>`. */
  readonly segments: readonly string[];
  /** The apiserver path, as the client encoded it. */
  readonly rawRest: string;
  readonly query: URLSearchParams;
  readonly rawQuery: string;
  readonly maxBodyBytes: number;
}

export class GatewayServer {
  private readonly sockets = new Set<Socket>();
  private readonly scopes = new WeakMap<ApiClient, Map<string, { at: number; scopes: Promise<Map<string, boolean>> }>>();

  private constructor(
    private readonly server: https.Server,
    readonly port: number,
  ) {
    server.on('secureConnection', (socket: Socket) => {
      this.sockets.add(socket);
      socket.once('close', () => this.sockets.delete(socket));
    });
  }

  static async start(options: GatewayServerOptions, backend: GatewayBackend): Promise<GatewayServer> {
    let self: GatewayServer | undefined;
    const server = https.createServer({ key: options.tls.keyPem, cert: options.tls.certPem, minVersion: 'TLSv1.2' }, (req, res) => {
      void self!.handle(req, res, backend, options.maxBodyBytes);
    });
    server.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) => void self!.upgrade(req, socket, head, backend, options.maxBodyBytes));
    // Watches are long-lived: no request timeout; idle keep-alive connections are closed by Node's default.
    server.requestTimeout = 0;
    server.headersTimeout = 60_000;
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(options.port, options.host, () => {
        server.off('error', reject);
        resolve();
      });
    });
    self = new GatewayServer(server, (server.address() as AddressInfo).port);
    return self;
  }

  setTls(tls: { readonly certPem: string; readonly keyPem: string }): void {
    this.server.setSecureContext({ key: tls.keyPem, cert: tls.certPem, minVersion: 'TLSv1.2' });
  }

  get listening(): boolean {
    return this.server.listening;
  }

  /** Open client connections (tests check nothing leaks). */
  get connections(): number {
    return this.sockets.size;
  }

  async close(): Promise<void> {
    if (!this.server.listening) return;
    await new Promise<void>((resolve) => {
      this.server.close(() => resolve());
      for (const socket of this.sockets) socket.destroy();
    });
  }

  private async handle(req: IncomingMessage, res: ServerResponse, backend: GatewayBackend, maxBodyBytes: number): Promise<void> {
    const started = performance.now();
    let what = 'refused';
    if (backend.observe) res.once('close', () => backend.observe?.(what, res.statusCode, performance.now() - started));
    try {
      const request = await this.admit(req, backend, maxBodyBytes);
      what = 'verb' in request.route ? `${request.route.kind}:${request.route.verb}` : request.route.kind;
      await this.dispatch(request, req, res, backend);
    } catch (err) {
      this.fail(res, err, backend.logger, req);
    }
  }

  private fail(res: ServerResponse, err: unknown, logger: Logger, req: IncomingMessage): void {
    if (err instanceof GatewayError) {
      sendStatus(res, err.status);
      return;
    }
    logger.warn({ err: (err as Error).message, method: req.method, path: (req.url ?? '').split('?')[0] }, 'gateway request failed');
    sendStatus(res, statusOf(503, 'ServiceUnavailable', `the gateway could not complete the request: ${(err as Error).message}`));
  }

  /** Path, logical cluster, authentication, membership and route: everything decided before any forwarding. */
  private async admit(req: IncomingMessage, backend: GatewayBackend, maxBodyBytes: number): Promise<Admitted> {
    const url = req.url ?? '/';
    const mark = url.indexOf('?');
    const rawPath = mark >= 0 ? url.slice(0, mark) : url;
    const rawQuery = mark >= 0 ? url.slice(mark + 1) : '';
    const parsed = parseGatewayPath(rawPath);
    if (!parsed.ok) throw new GatewayError(parsed.code, parsed.code === 400 ? 'BadRequest' : 'NotFound', parsed.message);
    const declared = Number(req.headers['content-length'] ?? 0);
    if (declared > maxBodyBytes) throw tooLarge(maxBodyBytes);
    const token = bearerToken(req.headers.authorization);
    if (!token) throw new GatewayError(401, 'Unauthorized', 'Unauthorized: the gateway needs a bearer token');
    const lc = await backend.logicalCluster(parsed.cluster);
    // Same answer for a missing logical cluster and a bad token would leak nothing either; a real apiserver says 404 for a missing object.
    if (!lc)
      throw new GatewayError(404, 'NotFound', `logicalclusters.canopy.dev "${parsed.cluster}" not found`, {
        name: parsed.cluster,
        group: 'canopy.dev',
        kind: 'logicalclusters',
      });
    const plan = planNamespaces({ metadata: { name: parsed.cluster }, spec: lc.spec ?? {} });
    const namespaces = lc.status?.namespaces ?? [];
    if (!plan.ok || namespaces.length === 0) {
      throw new GatewayError(
        503,
        'ServiceUnavailable',
        `logical cluster ${parsed.cluster} has no namespaces yet (phase ${lc.status?.phase ?? 'Pending'}); try again shortly`,
      );
    }
    const target = await backend.target(lc);
    const user = await backend.reviewer.review(target.client, target.key, token);
    if (!user) throw new GatewayError(401, 'Unauthorized', 'Unauthorized: the token was not accepted');
    // The first namespace of the spec holds the ServiceAccount (it cannot be removed, see namespaces.ts).
    const firstNamespace = plan.namespaces[0]!;
    if (user.username !== serviceAccountUser(firstNamespace, serviceAccountName(parsed.cluster))) {
      throw new GatewayError(403, 'Forbidden', `user "${user.username}" does not belong to logical cluster ${parsed.cluster}`);
    }
    const query = new URLSearchParams(rawQuery);
    const route = routeOf(req.method ?? 'GET', parsed.segments, query);
    const ordered = [firstNamespace, ...namespaces.filter((n) => n !== firstNamespace)].filter((n) => namespaces.includes(n));
    return {
      lc,
      name: parsed.cluster,
      namespaces: ordered,
      firstNamespace,
      user,
      target,
      route,
      segments: parsed.segments,
      rawRest: parsed.rawRest,
      query,
      rawQuery,
      maxBodyBytes,
    };
  }

  private async dispatch(request: Admitted, req: IncomingMessage, res: ServerResponse, backend: GatewayBackend): Promise<void> {
    const { route } = request;
    if (backend.views && (await backend.views(request, req, res))) return;
    switch (route.kind) {
      case 'info':
        return this.forwardAsCaller(request, req, res, backend);
      case 'discovery':
        if (backend.discovery && (await backend.discovery(request, req, res))) return;
        return this.forwardAsCaller(request, req, res, backend);
      case 'namespaces':
        return backend.namespaces(request, req, res);
      case 'namespaced':
        checkNamespace(route.target.namespace, request.namespaces);
        return this.forwardAsCaller(request, req, res, backend);
      case 'unscoped': {
        const namespaced = await this.isNamespaced(request.target.client, route.target);
        const decision = decideUnscoped(request.name, route.verb, route.target, namespaced);
        if (decision.action === 'forward') return this.forwardAsCaller(request, req, res, backend);
        if (decision.action === 'operator-read') {
          return forward(
            req,
            res,
            request.target.upstream,
            pathWithQuery(request.rawRest, request.rawQuery),
            forwardHeaders(req.headers, undefined),
            request.maxBodyBytes,
          );
        }
        return this.fanout(request, route.target, req, res, backend, route.verb === 'watch');
      }
    }
  }

  private async forwardAsCaller(request: Admitted, req: IncomingMessage, res: ServerResponse, backend: GatewayBackend): Promise<void> {
    await backend.ensureImpersonation(request.lc, request.target);
    const headers = forwardHeaders(req.headers, request.user.username);
    await forward(req, res, request.target.upstream, pathWithQuery(request.rawRest, request.rawQuery), headers, request.maxBodyBytes);
  }

  /** Whether a resource is namespaced, from the apiserver's discovery (cached 30 s); undefined when it does not exist. */
  private async isNamespaced(client: ApiClient, target: ApiTarget): Promise<boolean | undefined> {
    const gv = target.group ? `/apis/${target.group}/${target.version}` : `/api/${target.version}`;
    let byClient = this.scopes.get(client);
    if (!byClient) this.scopes.set(client, (byClient = new Map()));
    let entry = byClient.get(gv);
    if (!entry || Date.now() - entry.at > 30_000) {
      const scopes = client
        .find<{ resources?: Array<{ name: string; namespaced: boolean }> }>(gv)
        .then((list) => new Map((list?.resources ?? []).map((r) => [r.name, r.namespaced] as const)));
      entry = { at: Date.now(), scopes };
      byClient.set(gv, entry);
      scopes.catch(() => byClient.delete(gv));
    }
    return (await entry.scopes).get(target.resource);
  }

  private async fanout(
    request: Admitted,
    target: ApiTarget,
    req: IncomingMessage,
    res: ServerResponse,
    backend: GatewayBackend,
    watch: boolean,
  ): Promise<void> {
    await backend.ensureImpersonation(request.lc, request.target);
    const base = target.group ? `/apis/${target.group}/${target.version}` : `/api/${target.version}`;
    const headers = { ...forwardHeaders(req.headers, request.user.username), accept: jsonAccept(req.headers.accept) };
    delete headers['content-length'];
    delete headers['accept-encoding']; // the pages are parsed and merged here
    const pathFor = (ns: string, query: URLSearchParams): string => {
      const q = query.toString();
      return `${base}/namespaces/${encodeURIComponent(ns)}/${encodeURIComponent(target.resource)}${q ? `?${q}` : ''}`;
    };
    const abort = new AbortController();
    res.on('close', () => abort.abort());
    if (!watch) {
      const [first, ...others] = request.namespaces;
      const head = await call(request.target.upstream, 'GET', pathFor(first!, listQuery(request.query, undefined)), headers, abort.signal);
      if (head.status < 200 || head.status >= 300) return relay(res, head);
      const firstPage = JSON.parse(head.body.toString('utf8')) as ListLike;
      const snapshot = firstPage.metadata?.resourceVersion;
      // The others at the first one's snapshot, in parallel.
      const answers = await Promise.all(
        others.map((ns) => call(request.target.upstream, 'GET', pathFor(ns, listQuery(request.query, snapshot)), headers, abort.signal)),
      );
      const refused = answers.find((a) => a.status < 200 || a.status >= 300);
      if (refused) return relay(res, refused);
      const pages = [firstPage, ...answers.map((a) => JSON.parse(a.body.toString('utf8')) as ListLike)];
      return sendJson(res, 200, mergeLists(pages, snapshot));
    }
    const query = new URLSearchParams(request.query);
    query.delete('limit');
    query.delete('continue');
    const opened: IncomingMessage[] = [];
    try {
      const responses = await Promise.all(
        request.namespaces.map(async (ns) => {
          const upstream = await request.target.upstream.request('GET', pathFor(ns, query), headers, abort.signal);
          upstream.end();
          const response = await new Promise<IncomingMessage>((resolve, reject) => {
            upstream.once('response', resolve);
            upstream.once('error', reject);
          });
          opened.push(response);
          return response;
        }),
      );
      const refused = responses.find((r) => r.statusCode !== 200);
      if (refused) {
        const body = await readAll(refused);
        for (const r of responses) r.destroy();
        return relay(res, { status: refused.statusCode ?? 502, headers: refused.headers, body });
      }
      res.writeHead(200, {
        'Content-Type': responses[0]?.headers['content-type'] ?? 'application/json',
        'Cache-Control': 'no-cache, private',
        'Transfer-Encoding': 'chunked',
      });
      res.flushHeaders();
      const expire = new AbortController();
      const unsubscribe = backend.onNamespacesChanged?.(request.name, () => expire.abort());
      res.once('close', () => unsubscribe?.());
      await mergeWatches(responses, res, {
        expire: expire.signal,
        bookmarks: query.get('allowWatchBookmarks') === 'true',
        ...(query.get('resourceVersion') ? { from: query.get('resourceVersion')! } : {}),
        onEnd: (why) => backend.logger.debug({ logicalCluster: request.name, resource: target.resource, why }, 'merged watch ended'),
      });
    } catch (err) {
      for (const r of opened) r.destroy();
      abort.abort();
      throw err;
    }
  }

  /** `Connection: Upgrade` (exec, attach, port-forward over SPDY or WebSocket): a raw tunnel after the same checks. */
  private async upgrade(req: IncomingMessage, socket: Duplex, head: Buffer, backend: GatewayBackend, maxBodyBytes: number): Promise<void> {
    socket.on('error', () => socket.destroy());
    let upstreamSocket: Socket | undefined;
    try {
      const request = await this.admit(req, backend, maxBodyBytes);
      const route = request.route;
      if (route.kind !== 'namespaced' || !route.target.subresource) {
        throw new GatewayError(400, 'BadRequest', 'upgrade requests are served only for pod subresources (exec, attach, portforward)');
      }
      checkNamespace(route.target.namespace, request.namespaces);
      await backend.ensureImpersonation(request.lc, request.target);
      const upstream = request.target.upstream;
      upstreamSocket = await upstream.connect();
      const headers = {
        ...forwardHeaders(req.headers, request.user.username, { upgrade: true }),
        ...(await upstream.credentials()),
        host: upstream.server.host,
      };
      const lines = [`${req.method} ${upstream.basePath}${pathWithQuery(request.rawRest, request.rawQuery)} HTTP/1.1`];
      for (const [key, value] of Object.entries(headers)) {
        if (value === undefined) continue;
        for (const v of Array.isArray(value) ? value : [value]) lines.push(`${key}: ${String(v).replace(/[\r\n]/g, '')}`);
      }
      upstreamSocket.write(`${lines.join('\r\n')}\r\n\r\n`);
      if (head.length > 0) upstreamSocket.write(head);
      const up = upstreamSocket;
      up.on('error', () => socket.destroy());
      up.on('close', () => socket.destroy());
      socket.on('close', () => up.destroy());
      up.pipe(socket);
      socket.pipe(up);
    } catch (err) {
      upstreamSocket?.destroy();
      const status: StatusObject =
        err instanceof GatewayError ? err.status : statusOf(503, 'ServiceUnavailable', `the gateway could not complete the request: ${(err as Error).message}`);
      const body = JSON.stringify(status);
      socket.end(
        `HTTP/1.1 ${status.code} ${status.reason}\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`,
      );
    }
  }
}

function tooLarge(limit: number): GatewayError {
  return new GatewayError(413, 'RequestEntityTooLarge', `the request body is larger than ${limit} bytes`);
}

export function pathWithQuery(path: string, rawQuery: string): string {
  return rawQuery ? `${path}?${rawQuery}` : path;
}

/**
 * Streams one request to the apiserver and its answer back. The body is counted on the way (413 beyond the
 * limit, before the apiserver sees all of it); a client that disconnects aborts the upstream request.
 */
export async function forward(
  req: IncomingMessage,
  res: ServerResponse,
  upstream: Upstream,
  pathAndQuery: string,
  headers: Record<string, string | string[] | number | undefined>,
  maxBodyBytes: number,
): Promise<void> {
  const abort = new AbortController();
  const onClose = (): void => {
    if (!res.writableFinished) abort.abort();
  };
  res.on('close', onClose);
  const method = req.method ?? 'GET';
  const upstreamRequest = await upstream.request(method, pathAndQuery, headers, abort.signal);
  let received = 0;
  let oversized = false;
  const answered = new Promise<IncomingMessage>((resolve, reject) => {
    upstreamRequest.once('response', resolve);
    upstreamRequest.once('error', reject);
  });
  // The body is pumped by hand rather than piped: past the limit the upstream request is aborted but the
  // client's connection stays up (the rest of its body is read and dropped) so it receives the 413.
  const sent = new Promise<void>((resolve, reject) => {
    req.on('data', (chunk: Buffer) => {
      if (oversized) return;
      received += chunk.length;
      if (received > maxBodyBytes) {
        oversized = true;
        abort.abort();
        reject(tooLarge(maxBodyBytes));
        return;
      }
      if (!upstreamRequest.write(chunk)) {
        req.pause();
        upstreamRequest.once('drain', () => req.resume());
      }
    });
    req.once('end', () => {
      if (oversized) return;
      upstreamRequest.end();
      resolve();
    });
    req.once('error', reject);
  });
  let response: IncomingMessage;
  try {
    [response] = await Promise.all([answered, sent]);
  } catch (err) {
    if (oversized) throw tooLarge(maxBodyBytes);
    if (abort.signal.aborted) return; // the client went away
    throw err;
  }
  res.writeHead(response.statusCode ?? 502, responseHeaders(response.headers));
  res.flushHeaders();
  await pipeline(response, res).catch(() => {
    // Client gone or upstream cut: both sides are closed by pipeline; nothing else to tell anyone.
    response.destroy();
  });
  res.off('close', onClose);
}

interface Answer {
  readonly status: number;
  readonly headers: IncomingMessage['headers'];
  readonly body: Buffer;
}

/** One upstream request without a body, read whole. */
async function call(
  upstream: Upstream,
  method: string,
  pathAndQuery: string,
  headers: Record<string, string | string[] | number | undefined>,
  signal: AbortSignal,
): Promise<Answer> {
  const request = await upstream.request(method, pathAndQuery, headers, signal);
  request.end();
  const response = await new Promise<IncomingMessage>((resolve, reject) => {
    request.once('response', resolve);
    request.once('error', reject);
  });
  return { status: response.statusCode ?? 502, headers: response.headers, body: await readAll(response) };
}

function relay(res: ServerResponse, answer: Answer): void {
  const headers = responseHeaders(answer.headers);
  headers['content-length'] = answer.body.length;
  res.writeHead(answer.status, headers);
  res.end(answer.body);
}

export function readAll(stream: IncomingMessage, limit = Number.POSITIVE_INFINITY): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    stream.on('data', (chunk: Buffer) => {
      if (size > limit) return; // over the limit: the rest is read and dropped, so the client still gets its 413
      size += chunk.length;
      if (size > limit) {
        chunks.length = 0;
        reject(tooLarge(limit));
        return;
      }
      chunks.push(chunk);
    });
    stream.on('end', () => resolve(Buffer.concat(chunks)));
    stream.on('error', reject);
  });
}

export { call, relay, type Answer, type KubeConfigSource, isWatch };
