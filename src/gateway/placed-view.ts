/**
 * The cross-member view: where a tenant's placed objects run, a question no
 * single member cluster can answer and the host answers only in
 * PropagatedObject statuses the tenant may not read across namespaces.
 *
 * It is a read-only virtual resource of the gateway, served under every
 * logical cluster's prefix:
 *
 *   GET /clusters/<lc>/apis/view.canopy.dev/v1/placements                  (all the logical cluster's namespaces)
 *   GET /clusters/<lc>/apis/view.canopy.dev/v1/namespaces/<ns>/placements  (one of them)
 *
 * One item per (placed object, member cluster), from the PropagatedObjects'
 * status, read with the operator's identity and only in the logical
 * cluster's own namespaces: the tenant sees its own placements and nothing
 * else, whatever its RBAC on the host. `kubectl get placements.view.canopy.dev -A`
 * asks for a Table (columns NAME, KIND, CLUSTER, READY, STATUS, AGE; kubectl
 * adds NAMESPACE); any other client gets a PlacementList. Only `list` is
 * served: there is nothing to watch or write, and the answer carries no
 * resourceVersion to resume from.
 */
import type { ServerResponse } from 'node:http';
import type { ClusterSyncStatus, PropagatedObject } from '../crds/propagatedobject.js';
import { type ApiClient, Resources } from '../runtime/index.js';
import { sendJson, sendStatus, statusOf, type StatusObject } from './status.js';

export const PLACED_VIEW_GROUP = 'view.canopy.dev';
export const PLACED_VIEW_VERSION = 'v1';
export const PLACED_VIEW_RESOURCE = 'placements';
export const PLACED_VIEW_KIND = 'Placement';
const API_VERSION = `${PLACED_VIEW_GROUP}/${PLACED_VIEW_VERSION}`;

/** The group as `/apis` lists it, for the gateway's discovery to add to the tenant's groups. */
export const PLACED_VIEW_API_GROUP = {
  name: PLACED_VIEW_GROUP,
  versions: [{ groupVersion: API_VERSION, version: PLACED_VIEW_VERSION }],
  preferredVersion: { groupVersion: API_VERSION, version: PLACED_VIEW_VERSION },
} as const;

/** `/apis/view.canopy.dev/v1`: one namespaced, list-only resource. */
export const PLACED_VIEW_RESOURCE_LIST = {
  kind: 'APIResourceList',
  apiVersion: 'v1',
  groupVersion: API_VERSION,
  resources: [
    {
      name: PLACED_VIEW_RESOURCE,
      singularName: 'placement',
      namespaced: true,
      kind: PLACED_VIEW_KIND,
      verbs: ['list'],
      shortNames: ['plc'],
      categories: ['canopy'],
    },
  ],
} as const;

/** One placed object on one member cluster. */
export interface Placement {
  readonly apiVersion: typeof API_VERSION;
  readonly kind: typeof PLACED_VIEW_KIND;
  readonly metadata: { readonly name: string; readonly namespace: string; readonly creationTimestamp?: string };
  /** The placed object: what the tenant created. */
  readonly object: { readonly apiVersion: string; readonly kind: string; readonly name: string };
  /** The PropagatedObject that placed it (a tenant's plain object gets one generated). */
  readonly propagatedObject: string;
  readonly cluster: string;
  /** Pending, Synced, Failed or Deleting (Pending while chosen but not yet applied). */
  readonly state: string;
  /** Synced there, and for workloads every desired replica ready. */
  readonly ready: boolean;
  readonly replicas?: number;
  readonly readyReplicas?: number;
  readonly message?: string;
}

export type PlacedViewRequest =
  /** Not a path of the view: the gateway routes it as usual. */
  | { readonly kind: 'none' }
  | { readonly kind: 'group' }
  | { readonly kind: 'resources' }
  /** `namespace` undefined: every namespace of the logical cluster. */
  | { readonly kind: 'list'; readonly namespace?: string }
  | { readonly kind: 'refused'; readonly status: StatusObject };

/** Whether a path (segments after `/clusters/<lc>`) belongs to the view; cheap, for the router. */
export function isPlacedViewPath(segments: readonly string[]): boolean {
  return segments[0] === 'apis' && segments[1] === PLACED_VIEW_GROUP;
}

/** What a request to the view asks for, from its decoded path segments (after `/clusters/<lc>`), method and query. */
export function placedViewRequest(segments: readonly string[], method: string, query: URLSearchParams): PlacedViewRequest {
  if (!isPlacedViewPath(segments)) return { kind: 'none' };
  const rest = segments.slice(2);
  const notFound = (): PlacedViewRequest => ({
    kind: 'refused',
    status: statusOf(404, 'NotFound', `the server could not find the requested resource: /${segments.join('/')} is not part of ${PLACED_VIEW_GROUP}`),
  });
  if (rest.length > 0 && rest[0] !== PLACED_VIEW_VERSION) return notFound();
  const verbOk = method === 'GET' || method === 'HEAD';
  const onlyList = (): PlacedViewRequest => ({
    kind: 'refused',
    status: statusOf(405, 'MethodNotAllowed', `${PLACED_VIEW_RESOURCE}.${PLACED_VIEW_GROUP} is a read-only view: only list is supported`),
  });
  if (rest.length === 0) return verbOk ? { kind: 'group' } : onlyList();
  if (rest.length === 1) return verbOk ? { kind: 'resources' } : onlyList();
  let namespace: string | undefined;
  let tail: readonly string[];
  if (rest[1] === 'namespaces' && rest.length >= 4) {
    namespace = rest[2];
    tail = rest.slice(3);
  } else tail = rest.slice(1);
  if (tail[0] !== PLACED_VIEW_RESOURCE) return notFound();
  // A name, a subresource, a watch or any write: the view has none of them.
  if (tail.length > 1 || !verbOk || query.get('watch') === 'true' || query.get('watch') === '1') return onlyList();
  return namespace === undefined ? { kind: 'list' } : { kind: 'list', namespace };
}

/** The placements one PropagatedObject reports: one per cluster it is placed on or synced to. */
export function placementsOf(po: PropagatedObject): Placement[] {
  const namespace = po.metadata.namespace ?? '';
  const poName = po.metadata.name ?? '';
  const object = {
    apiVersion: po.spec.template?.apiVersion ?? po.spec.sourceRef?.apiVersion ?? '',
    kind: po.spec.template?.kind ?? po.spec.sourceRef?.kind ?? '',
    name: po.spec.template?.metadata?.name ?? po.spec.sourceRef?.name ?? poName,
  };
  const created: unknown = po.metadata.creationTimestamp;
  const creationTimestamp = typeof created === 'string' ? created : created instanceof Date ? created.toISOString() : undefined;
  const synced = new Map<string, ClusterSyncStatus>((po.status?.clusters ?? []).map((c) => [c.cluster, c]));
  // Chosen clusters first, in the order placement decided; then clusters still holding a copy (being deleted, or no longer chosen).
  const names = [...new Set([...(po.status?.placement ?? []).map((p) => p.cluster), ...synced.keys()])];
  return names.map((cluster) => {
    const status = synced.get(cluster);
    const state = status?.state ?? 'Pending';
    const workload = status?.replicas !== undefined;
    const ready = state === 'Synced' && (!workload || (status?.readyReplicas ?? 0) >= (status?.replicas ?? 0));
    return {
      apiVersion: API_VERSION,
      kind: PLACED_VIEW_KIND,
      metadata: {
        // Unique per namespace: one PropagatedObject is on a cluster at most once.
        name: `${poName}.${cluster}`,
        namespace,
        ...(creationTimestamp ? { creationTimestamp } : {}),
      },
      object,
      propagatedObject: poName,
      cluster,
      state,
      ready,
      ...(workload ? { replicas: status?.replicas ?? 0, readyReplicas: status?.readyReplicas ?? 0 } : {}),
      ...(status?.message ? { message: status.message } : {}),
    };
  });
}

/** Sorted like the apiserver sorts a list: by namespace, then name. */
export function placementsOfAll(objects: readonly PropagatedObject[]): Placement[] {
  return objects
    .flatMap(placementsOf)
    .sort((a, b) => a.metadata.namespace.localeCompare(b.metadata.namespace) || a.metadata.name.localeCompare(b.metadata.name));
}

/** Whether the client asked for a server-side Table (kubectl get does, for every resource). */
export function wantsTable(accept: string | undefined): boolean {
  return /as=Table/.test(accept ?? '') && /g=meta\.k8s\.io/.test(accept ?? '');
}

function age(created: string | undefined, now: Date): string {
  if (!created) return '<unknown>';
  const s = Math.max(0, Math.floor((now.getTime() - new Date(created).getTime()) / 1000));
  if (s < 120) return `${s}s`;
  if (s < 7200) return `${Math.floor(s / 60)}m`;
  if (s < 172_800) return `${Math.floor(s / 3600)}h`;
  return `${Math.floor(s / 86_400)}d`;
}

/** A meta.k8s.io/v1 Table, what `kubectl get` prints; the row objects carry the namespace kubectl shows with -A. */
export function placementTable(items: readonly Placement[], now: Date = new Date()): Record<string, unknown> {
  return {
    kind: 'Table',
    apiVersion: 'meta.k8s.io/v1',
    metadata: { resourceVersion: '' },
    columnDefinitions: [
      { name: 'Name', type: 'string', format: 'name', description: 'Name of the placed object.', priority: 0 },
      { name: 'Kind', type: 'string', format: '', description: 'Kind of the placed object.', priority: 0 },
      { name: 'Cluster', type: 'string', format: '', description: 'Member cluster it is placed on.', priority: 0 },
      { name: 'Ready', type: 'string', format: '', description: 'Ready replicas of desired for workloads; otherwise whether the copy is synced.', priority: 0 },
      { name: 'Status', type: 'string', format: '', description: 'Pending, Synced, Failed or Deleting.', priority: 0 },
      { name: 'Age', type: 'string', format: '', description: 'Age of the placement request.', priority: 0 },
      { name: 'PropagatedObject', type: 'string', format: '', description: 'The PropagatedObject that placed it.', priority: 1 },
      { name: 'Message', type: 'string', format: '', description: 'Last error or status summary there.', priority: 1 },
    ],
    rows: items.map((p) => ({
      cells: [
        p.object.name,
        p.object.kind,
        p.cluster,
        p.replicas !== undefined ? `${p.readyReplicas ?? 0}/${p.replicas}` : String(p.ready),
        p.state,
        age(p.metadata.creationTimestamp, now),
        p.propagatedObject,
        p.message ?? '',
      ],
      object: { kind: 'PartialObjectMetadata', apiVersion: 'meta.k8s.io/v1', metadata: p.metadata },
    })),
  };
}

export function placementList(items: readonly Placement[]): Record<string, unknown> {
  return { apiVersion: API_VERSION, kind: `${PLACED_VIEW_KIND}List`, metadata: { resourceVersion: '' }, items };
}

export interface PlacedViewContext {
  readonly logicalCluster: string;
  /** Decoded path segments after `/clusters/<logical-cluster>`. */
  readonly segments: readonly string[];
  readonly method: string;
  readonly query: URLSearchParams;
  /** The request's Accept header. */
  readonly accept?: string | undefined;
  /** The logical cluster's namespaces on the host (its Namespace-mode namespaces, or their host home in Cluster mode). */
  readonly namespaces: readonly string[];
  /** The operator's own client on the host: PropagatedObjects are read with its identity, never the tenant's. */
  readonly client: ApiClient;
  readonly signal?: AbortSignal;
  readonly now?: () => Date;
}

export interface PlacedViewAnswer {
  readonly code: number;
  readonly body: unknown;
}

/** The answer to a request of the view, or undefined when the path is not the view's. */
export async function placedView(ctx: PlacedViewContext): Promise<PlacedViewAnswer | undefined> {
  const request = placedViewRequest(ctx.segments, ctx.method, ctx.query);
  switch (request.kind) {
    case 'none':
      return undefined;
    case 'refused':
      return { code: request.status.code, body: request.status };
    case 'group':
      return { code: 200, body: { kind: 'APIGroup', apiVersion: 'v1', ...PLACED_VIEW_API_GROUP } };
    case 'resources':
      return { code: 200, body: PLACED_VIEW_RESOURCE_LIST };
    case 'list':
      break;
  }
  const own = new Set(ctx.namespaces);
  if (request.namespace !== undefined && !own.has(request.namespace)) {
    // As for any other namespace of someone else: it does not exist in this logical cluster.
    return {
      code: 404,
      body: statusOf(404, 'NotFound', `namespaces "${request.namespace}" not found in logical cluster ${ctx.logicalCluster}`, {
        name: request.namespace,
        kind: 'namespaces',
      }),
    };
  }
  const scope = request.namespace !== undefined ? [request.namespace] : [...own].sort();
  // One list per namespace rather than one cluster-wide list: the cost follows the tenant's size, not the host's.
  const lists = await Promise.all(
    scope.map((namespace) =>
      ctx.client.listAll<PropagatedObject & { metadata: { name: string } }>(Resources.PropagatedObject, { namespace, signal: ctx.signal }),
    ),
  );
  const items = placementsOfAll(lists.flat());
  return { code: 200, body: wantsTable(ctx.accept) ? placementTable(items, ctx.now?.() ?? new Date()) : placementList(items) };
}

/**
 * Answers a request of the view on `res`; returns false (and writes nothing)
 * when the path is not the view's, so the router goes on. Failures reading
 * the host answer 503 as the apiserver would for an unavailable backend.
 */
export async function handlePlacedView(ctx: PlacedViewContext, res: ServerResponse): Promise<boolean> {
  if (!isPlacedViewPath(ctx.segments)) return false;
  let answer: PlacedViewAnswer | undefined;
  try {
    answer = await placedView(ctx);
  } catch (err) {
    sendStatus(res, statusOf(503, 'ServiceUnavailable', `the placement view could not read PropagatedObjects: ${(err as Error).message}`));
    return true;
  }
  if (!answer) return false;
  if (ctx.method === 'HEAD') {
    res.writeHead(answer.code, { 'Content-Type': 'application/json', 'Cache-Control': 'no-cache, private' });
    res.end();
    return true;
  }
  sendJson(res, answer.code, answer.body);
  return true;
}
