/**
 * What a request through the gateway is, and what the gateway does with it,
 * decided from the path and method alone (pure; the server supplies the one
 * fact it must look up: whether a resource is namespaced).
 *
 * The gateway only narrows: namespaced requests must name one of the logical
 * cluster's namespaces; cluster-scoped requests are refused unless they are
 * one of the few kinds a tenant reads in a real cluster, or the caller's own
 * access reviews. Everything that passes still meets the apiserver's RBAC and
 * admission as the tenant's identity.
 */
import { badRequest, forbidden, GatewayError, notFound } from './status.js';

export type Verb = 'get' | 'list' | 'watch' | 'create' | 'update' | 'patch' | 'delete' | 'deletecollection';

export interface ApiTarget {
  readonly group: string;
  readonly version: string;
  readonly resource: string;
  readonly name?: string;
  /** `log`, `exec`, `status`, `proxy/...`. */
  readonly subresource?: string;
  readonly namespace?: string;
}

export type Route =
  /** `/version`, `/healthz`...: forwarded as the caller. */
  | { readonly kind: 'info' }
  /** `/`, `/api`, `/apis`, `/api/v1`, `/apis/<g>[/<v>]`, `/openapi/...`. */
  | { readonly kind: 'discovery' }
  /** The virtual namespaces of the logical cluster. */
  | { readonly kind: 'namespaces'; readonly verb: Verb; readonly name?: string }
  /** Inside one namespace. */
  | { readonly kind: 'namespaced'; readonly verb: Verb; readonly target: ApiTarget & { readonly namespace: string } }
  /** No namespace in the path: a cluster-scoped kind, or all namespaces of a namespaced one. */
  | { readonly kind: 'unscoped'; readonly verb: Verb; readonly target: ApiTarget };

/** Read-only cluster-scoped kinds every workload may need to see, read with the gateway's own identity. */
export const OPERATOR_READ_KINDS: ReadonlySet<string> = new Set([
  'storage.k8s.io/storageclasses',
  'scheduling.k8s.io/priorityclasses',
  'networking.k8s.io/ingressclasses',
  'node.k8s.io/runtimeclasses',
]);
/** Read-only cluster-scoped kinds forwarded as the caller: the apiserver's RBAC decides. */
export const CALLER_READ_KINDS: ReadonlySet<string> = new Set(['apiextensions.k8s.io/customresourcedefinitions']);
/** The caller's questions about itself (`kubectl auth can-i`, `auth whoami`). */
export const SELF_REVIEWS: ReadonlySet<string> = new Set([
  'authorization.k8s.io/selfsubjectaccessreviews',
  'authorization.k8s.io/selfsubjectrulesreviews',
  'authentication.k8s.io/selfsubjectreviews',
]);
const READ_VERBS: ReadonlySet<Verb> = new Set(['get', 'list', 'watch']);
const INFO_PATHS: ReadonlySet<string> = new Set(['version', 'healthz', 'livez', 'readyz']);

export function isWatch(query: URLSearchParams): boolean {
  const value = query.get('watch');
  return value === 'true' || value === '1';
}

export function verbOf(method: string, named: boolean, query: URLSearchParams): Verb {
  switch (method) {
    case 'GET':
      return named ? 'get' : isWatch(query) ? 'watch' : 'list';
    case 'POST':
      return 'create';
    case 'PUT':
      return 'update';
    case 'PATCH':
      return 'patch';
    case 'DELETE':
      return named ? 'delete' : 'deletecollection';
    default:
      throw new GatewayError(405, 'MethodNotAllowed', `method ${method} is not served by the gateway`);
  }
}

/** Classifies a request by its decoded path segments (after `/clusters/<lc>`). Throws a GatewayError for what no apiserver serves. */
export function routeOf(method: string, segments: readonly string[], query: URLSearchParams): Route {
  const [head, ...tail] = segments;
  if (head === undefined) return readOnly(method, { kind: 'discovery' });
  if (INFO_PATHS.has(head)) return readOnly(method, { kind: 'info' });
  if (head === 'openapi') return readOnly(method, { kind: 'discovery' });
  let group: string;
  let version: string;
  let rest: readonly string[];
  if (head === 'api') {
    if (tail.length <= 1) return readOnly(method, { kind: 'discovery' });
    group = '';
    version = tail[0]!;
    rest = tail.slice(1);
  } else if (head === 'apis') {
    if (tail.length <= 2) return readOnly(method, { kind: 'discovery' });
    group = tail[0]!;
    version = tail[1]!;
    rest = tail.slice(2);
  } else {
    throw notFound(`the server could not find the requested resource (/${segments.join('/')})`);
  }
  if (rest[0] === 'watch') throw notFound('the deprecated /watch/ paths are not served by the gateway; use ?watch=true');
  if (rest[0] === 'namespaces' && (rest.length <= 2 || (group === '' && rest.length === 3 && (rest[2] === 'status' || rest[2] === 'finalize')))) {
    if (group !== '') throw notFound(`the server could not find the requested resource (namespaces in ${group}/${version})`);
    const name = rest[1];
    if (rest.length === 3) {
      throw forbidden(`namespaces "${name}" is forbidden: the ${rest[2]} subresource of a namespace is managed by the logical cluster, not by its tenants`);
    }
    return { kind: 'namespaces', verb: verbOf(method, name !== undefined, query), ...(name !== undefined ? { name } : {}) };
  }
  if (rest[0] === 'namespaces') {
    const [, namespace, resource, name, ...sub] = rest;
    const target = {
      group,
      version,
      resource: resource!,
      namespace: namespace!,
      ...(name !== undefined ? { name } : {}),
      ...(sub.length > 0 ? { subresource: sub.join('/') } : {}),
    };
    return { kind: 'namespaced', verb: verbOf(method, name !== undefined, query), target };
  }
  const [resource, name, ...sub] = rest;
  const target = { group, version, resource: resource!, ...(name !== undefined ? { name } : {}), ...(sub.length > 0 ? { subresource: sub.join('/') } : {}) };
  return { kind: 'unscoped', verb: verbOf(method, name !== undefined, query), target };
}

function readOnly(method: string, route: Route): Route {
  if (method !== 'GET' && method !== 'HEAD') throw new GatewayError(405, 'MethodNotAllowed', `method ${method} is not allowed on discovery paths`);
  return route;
}

export type UnscopedDecision =
  /** List or watch every namespace of the logical cluster and merge. */
  | { readonly action: 'fanout' }
  /** Forward as the caller. */
  | { readonly action: 'forward' }
  /** Read with the gateway's own identity. */
  | { readonly action: 'operator-read' };

/** A request without a namespace: what to do once the resource's scope is known (undefined: no such resource). */
export function decideUnscoped(lc: string, verb: Verb, target: ApiTarget, namespaced: boolean | undefined): UnscopedDecision {
  const key = `${target.group}/${target.resource}`;
  const shown = target.group ? `${target.resource}.${target.group}` : target.resource;
  if (namespaced === undefined) throw notFound(`the server could not find the requested resource (${shown} in ${target.group || 'core'}/${target.version})`);
  if (namespaced) {
    if ((verb === 'list' || verb === 'watch') && !target.subresource) return { action: 'fanout' };
    throw forbidden(`${shown} is forbidden: across all namespaces of logical cluster ${lc} the gateway serves only list and watch; ${verb} needs a namespace`);
  }
  if (SELF_REVIEWS.has(key)) {
    if (verb === 'create') return { action: 'forward' };
    throw new GatewayError(405, 'MethodNotAllowed', `${shown} can only be created`);
  }
  if (OPERATOR_READ_KINDS.has(key) || CALLER_READ_KINDS.has(key)) {
    if (!READ_VERBS.has(verb) || target.subresource) {
      throw forbidden(`${shown}${target.name ? ` "${target.name}"` : ''} is forbidden: ${shown} is cluster-scoped and read-only inside logical cluster ${lc}`);
    }
    return OPERATOR_READ_KINDS.has(key) ? { action: 'operator-read' } : { action: 'forward' };
  }
  throw forbidden(
    `${shown}${target.name ? ` "${target.name}"` : ''} is forbidden: ${shown} is cluster-scoped, outside logical cluster ${lc} ` +
      '(a logical cluster reaches its own namespaces and may read storageclasses, priorityclasses, ingressclasses, runtimeclasses and customresourcedefinitions)',
  );
}

/** A namespaced request: the namespace must be one of the logical cluster's (a real cluster would say the namespace does not exist). */
export function checkNamespace(namespace: string, namespaces: readonly string[]): void {
  if (!namespaces.includes(namespace)) throw notFound(`namespaces "${namespace}" not found`, { name: namespace, kind: 'namespaces' });
}

/** metav1.CauseTypeFieldValueInvalid: how the apiserver marks an invalid field in a Status. */
const FIELD_VALUE_INVALID = 'FieldValueInvalid';

/** The namespace name rule of the gateway: `<lc>-<suffix>`, suffix a DNS label (becomes an entry of spec.namespaces). */
export function suffixFor(lc: string, namespace: string): string {
  const prefix = `${lc}-`;
  const suffix = namespace.startsWith(prefix) ? namespace.slice(prefix.length) : '';
  if (!suffix || !/^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/.test(suffix) || namespace.length > 63) {
    const why = `namespaces of logical cluster ${lc} are named ${prefix}<suffix> (a DNS label, at most 63 characters in all)`;
    // kubectl prints an Invalid status through its causes, as it does the apiserver's own validation errors.
    throw new GatewayError(422, 'Invalid', `namespaces "${namespace}" is invalid: metadata.name: ${why}`, {
      name: namespace,
      kind: 'namespaces',
      causes: [{ reason: FIELD_VALUE_INVALID, field: 'metadata.name', message: `Invalid value: "${namespace}": ${why}` }],
    });
  }
  return suffix;
}

export { badRequest };
