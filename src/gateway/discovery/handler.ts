/**
 * The gateway's discovery and OpenAPI answers: the apiserver's documents,
 * read as the tenant, narrowed to the logical cluster's surface (surface.ts)
 * before they reach the client. The surface comes from SelfSubjectRulesReviews
 * made as the tenant in each of its namespaces, so it is exactly what RBAC
 * would let the tenant do there; it is cached briefly per logical cluster, as
 * is the host's list of resources per group version (read with the gateway's
 * own identity: it only decides which groups and versions are empty).
 *
 * Bodies are read whole and re-encoded as JSON: the upstream request asks for
 * JSON and no compression, and carries no cache validators, since an ETag or
 * a 304 of the unfiltered document would describe something else.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Logger } from '../../runtime/index.js';
import { PLACED_VIEW_API_GROUP, PLACED_VIEW_GROUP, PLACED_VIEW_KIND, PLACED_VIEW_RESOURCE_LIST, PLACED_VIEW_VERSION } from '../placed-view.js';
import type { Admitted, ClusterTarget, GatewayLogicalCluster } from '../server.js';
import { sendStatus, statusOf } from '../status.js';
import { forwardHeaders, responseHeaders } from '../upstream.js';
import {
  type APIGroupDiscovery,
  type APIGroupDiscoveryList,
  filterAggregatedDiscovery,
  filterApiGroup,
  filterApiGroupList,
  filterApiResourceList,
  filterRootPaths,
  forwardableDiscoveryAccept,
  type GroupVersionResources,
  groupVersionResourcesFromAggregated,
  groupVersionShown,
  isAggregatedDiscovery,
  type RootPaths,
} from './discovery.js';
import { filterOpenApiV2Protobuf, OPENAPI_V2_PROTOBUF } from './openapi-protobuf.js';
import { filterOpenApiV2, filterOpenApiV3Document, filterOpenApiV3Index, type OpenApiDocument, type OpenApiV3Index, openApiV3PathAllowed } from './openapi.js';
import { type ApiSurface, CLUSTER_SCOPED_KINDS, type ResourceRule, surfaceFromRules } from './surface.js';

const AGGREGATED_ACCEPT = 'application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList,application/json';
/** How long a logical cluster's surface is reused: a capability change shows in discovery within this time. */
export const SURFACE_TTL_MS = 10_000;
/** How long the host's resources per group version are reused: a new CRD shows within this time. */
export const HOST_RESOURCES_TTL_MS = 30_000;
/** Discovery and OpenAPI documents are bounded (the full v2 document is a few MB). */
const MAX_DOCUMENT_BYTES = 64 * 1024 * 1024;

export interface DiscoveryHandlerOptions {
  readonly logger: Logger;
  /** The gateway's grant to impersonate the logical cluster's identity on that apiserver (the backend's ensureImpersonation). */
  ensureImpersonation(lc: GatewayLogicalCluster, target: ClusterTarget): Promise<void>;
}

/** The GatewayBackend `discovery` hook: answers `/api`, `/apis...` and `/openapi/...`; false lets the server forward as usual. */
export type DiscoveryHook = (request: Admitted, req: IncomingMessage, res: ServerResponse) => Promise<boolean>;

interface Cached<T> {
  readonly at: number;
  readonly value: Promise<T>;
}

interface Answer {
  readonly status: number;
  readonly headers: IncomingMessage['headers'];
  readonly body: Buffer;
}

/** The virtual placements view (placed-view.ts), as aggregated discovery lists it. */
const PLACED_VIEW_DISCOVERY: APIGroupDiscovery = {
  metadata: { name: PLACED_VIEW_GROUP },
  versions: [
    {
      version: PLACED_VIEW_VERSION,
      resources: PLACED_VIEW_RESOURCE_LIST.resources.map((r) => ({
        resource: r.name,
        responseKind: { group: PLACED_VIEW_GROUP, version: PLACED_VIEW_VERSION, kind: PLACED_VIEW_KIND },
        scope: 'Namespaced' as const,
        singularResource: r.singularName,
        verbs: [...r.verbs],
        shortNames: [...r.shortNames],
        categories: [...r.categories],
      })),
      freshness: 'Current',
    },
  ],
};

export function discoveryHandler(options: DiscoveryHandlerOptions): DiscoveryHook {
  const surfaces = new Map<string, Cached<ApiSurface>>();
  const hostResources = new Map<string, Cached<GroupVersionResources>>();

  const cached = <T>(cache: Map<string, Cached<T>>, key: string, ttl: number, load: () => Promise<T>): Promise<T> => {
    const hit = cache.get(key);
    if (hit && Date.now() - hit.at < ttl) return hit.value;
    const value = load();
    cache.set(key, { at: Date.now(), value });
    value.catch(() => cache.delete(key));
    if (cache.size > 4096) {
      for (const [k, v] of cache) if (Date.now() - v.at >= ttl) cache.delete(k);
    }
    return value;
  };

  const surfaceOf = (request: Admitted): Promise<ApiSurface> =>
    cached(surfaces, `${request.target.key}|${request.name}|${request.user.username}|${request.namespaces.join(',')}`, SURFACE_TTL_MS, async () => {
      await options.ensureImpersonation(request.lc, request.target);
      const reviews = await Promise.all(request.namespaces.map((ns) => rulesReview(request, ns)));
      return surfaceFromRules(reviews.flat(), CLUSTER_SCOPED_KINDS);
    });

  const resourcesOf = (request: Admitted): Promise<GroupVersionResources> =>
    cached(hostResources, request.target.key, HOST_RESOURCES_TTL_MS, async () => {
      const read = async (path: string): Promise<APIGroupDiscoveryList> => {
        const answer = await call(request, 'GET', path, { accept: AGGREGATED_ACCEPT }, undefined, false);
        if (answer.status !== 200 || !isAggregatedDiscovery(String(answer.headers['content-type'] ?? ''))) {
          throw new Error(`GET ${path} answered ${answer.status} without aggregated discovery`);
        }
        return JSON.parse(answer.body.toString('utf8')) as APIGroupDiscoveryList;
      };
      const [api, apis] = await Promise.all([read('/api'), read('/apis')]);
      return groupVersionResourcesFromAggregated(api, apis);
    });

  /** The tenant's resource rules in one namespace, as the apiserver evaluates them for it. */
  const rulesReview = async (request: Admitted, namespace: string): Promise<ResourceRule[]> => {
    const body = JSON.stringify({ apiVersion: 'authorization.k8s.io/v1', kind: 'SelfSubjectRulesReview', spec: { namespace } });
    const answer = await call(request, 'POST', '/apis/authorization.k8s.io/v1/selfsubjectrulesreviews', { 'content-type': 'application/json' }, body, true);
    if (answer.status !== 201 && answer.status !== 200) throw new Error(`the rules review in ${namespace} answered ${answer.status}`);
    const review = JSON.parse(answer.body.toString('utf8')) as { status?: { resourceRules?: ResourceRule[]; incomplete?: boolean; evaluationError?: string } };
    if (review.status?.incomplete) {
      // Rules that could not be evaluated only ever hide more: the surface narrows, it never widens.
      options.logger.debug({ logicalCluster: request.name, namespace, error: review.status.evaluationError }, 'rules review incomplete');
    }
    return review.status?.resourceRules ?? [];
  };

  return async (request, req, res) => {
    const path = request.rawRest.replace(/\/+$/, '') || '/';
    const segments = path.split('/').filter((s) => s !== '');
    // The placements view answers its own discovery.
    if (segments[0] === 'apis' && segments[1] === PLACED_VIEW_GROUP) return false;
    const isApiRoot = path === '/api' || path === '/apis';
    const isApiDoc = segments[0] === 'api' || segments[0] === 'apis';
    const isOpenApi = segments[0] === 'openapi' && (segments[1] === 'v2' || segments[1] === 'v3');
    const isRoot = path === '/';
    if (!isApiDoc && !isOpenApi && !isRoot) return false;

    if (isOpenApi && segments[1] === 'v2' && segments.length === 2 && prefersV2Protobuf(req.headers.accept)) {
      const surface = await surfaceOf(request);
      const headers = forwardHeaders(req.headers, request.user.username);
      const json = await call(request, 'GET', '/openapi/v2', { ...headers, accept: 'application/json' }, undefined, true);
      if (json.status !== 200) {
        relay(res, json);
        return true;
      }
      const narrowed = filterOpenApiV2(JSON.parse(json.body.toString('utf8')) as OpenApiDocument, surface);
      const protobuf = await call(request, 'GET', '/openapi/v2', { ...headers, accept: OPENAPI_V2_PROTOBUF }, undefined, true);
      if (protobuf.status !== 200) {
        relay(res, protobuf);
        return true;
      }
      const body = filterOpenApiV2Protobuf(protobuf.body, narrowed);
      res.writeHead(200, {
        'Content-Type': String(protobuf.headers['content-type'] ?? OPENAPI_V2_PROTOBUF),
        'Content-Length': body.length,
        'Cache-Control': 'no-cache, private',
      });
      res.end(body);
      return true;
    }
    if (isOpenApi && !acceptsJson(req.headers.accept)) {
      // The v3 documents are narrowed as JSON only (clients read them as JSON); a protobuf-only client is told so, as an apiserver tells it.
      const body = JSON.stringify({
        kind: 'Status',
        apiVersion: 'v1',
        metadata: {},
        status: 'Failure',
        message: `the gateway serves ${path} as application/json only`,
        reason: 'NotAcceptable',
        code: 406,
      });
      res.writeHead(406, { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(body), 'Cache-Control': 'no-cache, private' });
      res.end(body);
      return true;
    }
    const [surface, resources] = await Promise.all([surfaceOf(request), resourcesOf(request)]);

    if (isOpenApi && segments[1] === 'v3' && segments.length > 2) {
      const document = segments.slice(2).join('/');
      if (!openApiV3PathAllowed(document, surface, resources)) {
        sendStatus(res, statusOf(404, 'NotFound', `the server could not find the requested resource (/openapi/v3/${document})`));
        return true;
      }
    }
    if (segments[0] === 'apis' && segments.length === 3 && !groupVersionShown(`${segments[1]}/${segments[2]}`, surface, resources)) {
      sendStatus(res, statusOf(404, 'NotFound', `the server could not find the requested resource (${path})`));
      return true;
    }

    // The `hash` of an OpenAPI v3 document is the narrowed one the index published: the apiserver knows only its own.
    const query = new URLSearchParams(request.rawQuery);
    if (isOpenApi) query.delete('hash');
    const q = query.toString();
    const accept = isOpenApi ? 'application/json' : forwardableDiscoveryAccept(req.headers.accept);
    const answer = await call(request, 'GET', `${path}${q ? `?${q}` : ''}`, { ...forwardHeaders(req.headers, request.user.username), accept }, undefined, true);
    if (answer.status !== 200) {
      relay(res, answer);
      return true;
    }
    const contentType = String(answer.headers['content-type'] ?? 'application/json');
    const doc: unknown = JSON.parse(answer.body.toString('utf8'));
    let narrowed: unknown;
    if (isRoot) {
      const filtered = filterRootPaths(doc as RootPaths, surface, resources);
      narrowed = { ...filtered, paths: [...(filtered.paths ?? []), `/apis/${PLACED_VIEW_GROUP}`, `/apis/${PLACED_VIEW_GROUP}/${PLACED_VIEW_VERSION}`].sort() };
    } else if (isApiRoot && isAggregatedDiscovery(contentType)) {
      const filtered = filterAggregatedDiscovery(doc as APIGroupDiscoveryList, surface);
      narrowed = path === '/apis' ? { ...filtered, items: [...(filtered.items ?? []), PLACED_VIEW_DISCOVERY] } : filtered;
    } else if (path === '/api') {
      narrowed = doc; // APIVersions: the core group's versions, nothing to narrow
    } else if (path === '/apis') {
      const filtered = filterApiGroupList(doc as Parameters<typeof filterApiGroupList>[0], surface, resources);
      narrowed = { ...filtered, groups: [...filtered.groups, PLACED_VIEW_API_GROUP] };
    } else if (segments[0] === 'api' && segments.length === 2) {
      narrowed = filterApiResourceList('', doc as Parameters<typeof filterApiResourceList>[1], surface);
    } else if (segments[0] === 'apis' && segments.length === 2) {
      narrowed = filterApiGroup(doc as Parameters<typeof filterApiGroup>[0], surface, resources);
      if (narrowed === undefined) {
        sendStatus(res, statusOf(404, 'NotFound', `the server could not find the requested resource (${path})`));
        return true;
      }
    } else if (segments[0] === 'apis' && segments.length === 3) {
      narrowed = filterApiResourceList(segments[1]!, doc as Parameters<typeof filterApiResourceList>[1], surface);
    } else if (isOpenApi && segments[1] === 'v2') {
      narrowed = filterOpenApiV2(doc as OpenApiDocument, surface);
    } else if (isOpenApi && segments.length === 2) {
      narrowed = filterOpenApiV3Index(doc as OpenApiV3Index, surface, resources);
    } else if (isOpenApi) {
      narrowed = filterOpenApiV3Document(doc as OpenApiDocument, surface);
    } else {
      relay(res, answer); // `/api/v1/...` deeper than discovery never reaches here (the router sends it elsewhere)
      return true;
    }
    const body = JSON.stringify(narrowed);
    res.writeHead(200, {
      'Content-Type': contentType.startsWith('application/json') ? contentType : 'application/json',
      'Content-Length': Buffer.byteLength(body),
      'Cache-Control': 'no-cache, private',
    });
    res.end(body);
    return true;
  };
}

/** Whether the client asks for the protobuf OpenAPI v2 document before (or instead of) JSON, as client-go does. */
function prefersV2Protobuf(accept: string | undefined): boolean {
  const first = (accept ?? '').split(',')[0]?.trim() ?? '';
  return first.startsWith(OPENAPI_V2_PROTOBUF.split('@')[0]!);
}

function acceptsJson(accept: string | undefined): boolean {
  if (!accept) return true;
  return accept.split(',').some((part) => /^\s*(application\/json|\*\/\*|application\/\*)/.test(part));
}

/** One upstream request, read whole: as the tenant (impersonated) or with the gateway's own identity. */
async function call(
  request: Admitted,
  method: string,
  pathAndQuery: string,
  headers: Record<string, string | string[] | number | undefined>,
  body: string | undefined,
  asCaller: boolean,
): Promise<Answer> {
  const out: Record<string, string | string[] | number | undefined> = { ...headers };
  for (const key of ['accept-encoding', 'if-none-match', 'if-modified-since', 'content-length']) delete out[key];
  if (asCaller) out['impersonate-user'] = request.user.username;
  else delete out['impersonate-user'];
  if (body !== undefined) out['content-length'] = Buffer.byteLength(body);
  const upstream = await request.target.upstream.request(method, pathAndQuery, out);
  upstream.end(body);
  const response = await new Promise<IncomingMessage>((resolve, reject) => {
    upstream.once('response', resolve);
    upstream.once('error', reject);
  });
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of response as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > MAX_DOCUMENT_BYTES) {
      response.destroy();
      throw new Error(`GET ${pathAndQuery} answered more than ${MAX_DOCUMENT_BYTES} bytes`);
    }
    chunks.push(chunk);
  }
  return { status: response.statusCode ?? 502, headers: response.headers, body: Buffer.concat(chunks) };
}

function relay(res: ServerResponse, answer: Answer): void {
  const headers = responseHeaders(answer.headers);
  headers['content-length'] = answer.body.length;
  res.writeHead(answer.status, headers);
  res.end(answer.body);
}
