/**
 * OpenAPI narrowed to a logical cluster's surface, so `kubectl explain` and
 * client generators see the tenant's API and nothing else: the v3 index
 * (`/openapi/v3`) lists only group versions with something shown, a v3 group
 * version document and the v2 document keep only the paths of shown
 * resources and the schemas those paths reach.
 *
 * A kept path keeps all its operations, whatever verbs the tenant holds:
 * clients read operations to learn what the server supports, not what the
 * caller may do (kubectl and Helm look for the kind's PATCH operation to know
 * the server validates fields; without it they fall back to client-side
 * validation). The verbs a tenant holds are discovery's to say.
 */
import { createHash } from 'node:crypto';
import { type GroupVersionResources, groupVersionShown } from './discovery.js';
import type { ApiSurface, Scope } from './surface.js';

/** `/openapi/v3`: one entry per document, `serverRelativeURL` carrying the document's hash. */
export interface OpenApiV3Index {
  readonly paths: Readonly<Record<string, { readonly serverRelativeURL: string }>>;
}

/** The parts of a swagger 2.0 or OpenAPI 3.0 document narrowing reads; everything else is kept as is. */
export interface OpenApiDocument {
  readonly paths?: Readonly<Record<string, unknown>>;
  /** Swagger 2.0 schemas. */
  readonly definitions?: Readonly<Record<string, unknown>>;
  /** OpenAPI 3.0 schemas live in components.schemas. */
  readonly components?: { readonly schemas?: Readonly<Record<string, unknown>> } & Readonly<Record<string, unknown>>;
}

/** What an OpenAPI path (a template such as `/apis/apps/v1/namespaces/{namespace}/deployments/{name}/scale`) addresses. */
export type OpenApiPathTarget =
  | { readonly kind: 'other'; readonly head: string }
  | { readonly kind: 'root' }
  | { readonly kind: 'group'; readonly group: string }
  | { readonly kind: 'groupVersion'; readonly group: string; readonly version: string }
  | {
      readonly kind: 'resource';
      readonly group: string;
      readonly version: string;
      /** `deployments` or `deployments/scale`. */
      readonly resource: string;
      /** Whether this path is inside `namespaces/{namespace}`. */
      readonly inNamespace: boolean;
    };

export function openApiPathTarget(path: string): OpenApiPathTarget {
  const segments = path
    .split('?')[0]!
    .split('/')
    .filter((s) => s !== '');
  const [head, ...tail] = segments;
  if (head === undefined) return { kind: 'root' };
  let group: string;
  let version: string;
  let rest: string[];
  if (head === 'api') {
    if (tail.length === 0) return { kind: 'root' };
    group = '';
    version = tail[0]!;
    rest = tail.slice(1);
  } else if (head === 'apis') {
    if (tail.length === 0) return { kind: 'root' };
    if (tail.length === 1) return { kind: 'group', group: tail[0]! };
    group = tail[0]!;
    version = tail[1]!;
    rest = tail.slice(2);
  } else {
    return { kind: 'other', head };
  }
  if (rest[0] === 'watch') rest = rest.slice(1);
  if (rest.length === 0) return { kind: 'groupVersion', group, version };
  let inNamespace = false;
  // `namespaces/{namespace}/<resource>...` is inside a namespace; `namespaces`, `namespaces/{name}[/status]` is the Namespace kind.
  if (rest[0] === 'namespaces' && rest.length >= 3 && rest[1] === '{namespace}') {
    rest = rest.slice(2);
    inNamespace = true;
  }
  const resource = rest.length >= 3 ? `${rest[0]}/${rest[2]}` : rest[0]!;
  return { kind: 'resource', group, version, resource, inNamespace };
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Every `$ref` string under `value`. */
function collectRefs(value: unknown, into: Set<string>): void {
  if (Array.isArray(value)) {
    for (const v of value) collectRefs(v, into);
  } else if (isObject(value)) {
    for (const [key, v] of Object.entries(value)) {
      if (key === '$ref' && typeof v === 'string') into.add(v);
      else collectRefs(v, into);
    }
  }
}

/** The paths of a document the surface shows. */
function narrowPaths(paths: Readonly<Record<string, unknown>>, surface: ApiSurface): Record<string, unknown> {
  const targets = new Map<string, OpenApiPathTarget>();
  // A resource is namespaced when any of its paths sits inside `namespaces/{namespace}` (its cluster-wide list does not).
  const namespaced = new Set<string>();
  for (const path of Object.keys(paths)) {
    const target = openApiPathTarget(path);
    targets.set(path, target);
    if (target.kind === 'resource' && target.inNamespace) namespaced.add(`${target.group}/${target.version}/${target.resource.split('/')[0]}`);
  }
  const scopeOf = (t: { group: string; version: string; resource: string }): Scope =>
    namespaced.has(`${t.group}/${t.version}/${t.resource.split('/')[0]}`) ? 'Namespaced' : 'Cluster';

  const kept: Record<string, unknown> = {};
  const shownGroupVersions = new Set<string>();
  for (const [path, item] of Object.entries(paths)) {
    const target = targets.get(path)!;
    if (target.kind !== 'resource' || !isObject(item)) continue;
    const scope = scopeOf(target);
    const parent = target.resource.split('/')[0]!;
    if (!surface.allows(target.group, target.resource, scope) || !surface.allows(target.group, parent, scope)) continue;
    kept[path] = item;
    shownGroupVersions.add(`${target.group}/${target.version}`);
  }
  const out: Record<string, unknown> = {};
  for (const [path, item] of Object.entries(paths)) {
    const target = targets.get(path)!;
    let keep: boolean;
    switch (target.kind) {
      case 'resource':
        keep = path in kept;
        break;
      case 'groupVersion':
        keep = shownGroupVersions.has(`${target.group}/${target.version}`);
        break;
      case 'group':
        keep = [...shownGroupVersions].some((gv) => gv.startsWith(`${target.group}/`));
        break;
      case 'root':
        keep = true;
        break;
      case 'other':
        // `/logs/` reads the control plane's own log files: never a tenant's.
        keep = target.head !== 'logs';
        break;
    }
    if (keep) out[path] = kept[path] ?? item;
  }
  return out;
}

/** The schemas reachable from `roots` through `$ref`s of the form `<prefix><name>`. */
function reachableSchemas(roots: unknown, schemas: Readonly<Record<string, unknown>>, prefix: string): Record<string, unknown> {
  const refs = new Set<string>();
  collectRefs(roots, refs);
  const out: Record<string, unknown> = {};
  const queue = [...refs];
  while (queue.length > 0) {
    const ref = queue.pop()!;
    if (!ref.startsWith(prefix)) continue;
    const name = ref.slice(prefix.length);
    if (name in out || !(name in schemas)) continue;
    out[name] = schemas[name];
    const more = new Set<string>();
    collectRefs(schemas[name], more);
    for (const r of more) {
      if (refs.has(r)) continue;
      refs.add(r);
      queue.push(r);
    }
  }
  // Keep the document's order: generators and diffs read better that way.
  return Object.fromEntries(
    Object.keys(schemas)
      .filter((n) => n in out)
      .map((n) => [n, out[n]]),
  );
}

/** `/openapi/v2` (swagger 2.0, as JSON): the paths of the shown resources and the definitions they reach. */
export function filterOpenApiV2<T extends OpenApiDocument>(doc: T, surface: ApiSurface): T {
  const paths = narrowPaths(doc.paths ?? {}, surface);
  const { definitions: _all, paths: _paths, ...rest } = doc;
  const definitions = reachableSchemas([paths, rest], doc.definitions ?? {}, '#/definitions/');
  return { ...doc, paths, definitions };
}

/** `/openapi/v3/<api/v1 | apis/<g>/<v>>`: the paths of the shown resources and the schemas they reach. */
export function filterOpenApiV3Document<T extends OpenApiDocument>(doc: T, surface: ApiSurface): T {
  const paths = narrowPaths(doc.paths ?? {}, surface);
  const { components, paths: _paths, ...rest } = doc;
  const { schemas: _all, ...otherComponents } = components ?? {};
  const schemas = reachableSchemas([paths, rest, otherComponents], components?.schemas ?? {}, '#/components/schemas/');
  return { ...doc, paths, ...(components ? { components: { ...components, schemas } } : {}) };
}

/** The OpenAPI v3 document path (`apis/apps/v1`, `/openapi/v3/api/v1?hash=...`) without prefix and query. */
function documentPath(gvPath: string): string {
  return gvPath
    .split('?')[0]!
    .replace(/^\/+/, '')
    .replace(/^openapi\/v3\/?/, '')
    .replace(/\/+$/, '');
}

/**
 * Whether `/openapi/v3/<gvPath>` is served to the logical cluster: a group
 * version with nothing shown (or unknown to the host) answers 404, as a real
 * cluster answers for an API it does not have; the documents that describe
 * no resource (`api`, `apis`, `version`, `.well-known/...`) are served.
 */
export function openApiV3PathAllowed(gvPath: string, surface: ApiSurface, resources: GroupVersionResources): boolean {
  const target = openApiPathTarget(documentPath(gvPath));
  switch (target.kind) {
    case 'root':
      return true;
    case 'other':
      return target.head !== 'logs';
    case 'group':
      return [...resources.keys()].some((gv) => gv.startsWith(`${target.group}/`) && groupVersionShown(gv, surface, resources));
    case 'groupVersion':
      return groupVersionShown(target.group ? `${target.group}/${target.version}` : target.version, surface, resources);
    case 'resource':
      return false;
  }
}

/**
 * The hash a narrowed document is published under: the apiserver's hash
 * combined with the surface's fingerprint, so a client cache keyed by URL
 * never serves one surface's document after the surface changed.
 */
export function narrowedOpenApiHash(upstreamHash: string, surface: ApiSurface): string {
  return createHash('sha512').update(`${upstreamHash}\n${surface.fingerprint}`).digest('hex').toUpperCase();
}

/** `/openapi/v3`: only the documents openApiV3PathAllowed serves, under hashes of the narrowed content. */
export function filterOpenApiV3Index<T extends OpenApiV3Index>(doc: T, surface: ApiSurface, groupVersionResources: GroupVersionResources): T {
  const paths: Record<string, { readonly serverRelativeURL: string }> = {};
  for (const [path, entry] of Object.entries(doc.paths)) {
    if (!openApiV3PathAllowed(path, surface, groupVersionResources)) continue;
    const url = entry.serverRelativeURL.replace(/([?&]hash=)([^&]*)/, (_m, key: string, hash: string) => `${key}${narrowedOpenApiHash(hash, surface)}`);
    paths[path] = { ...entry, serverRelativeURL: url };
  }
  return { ...doc, paths };
}
