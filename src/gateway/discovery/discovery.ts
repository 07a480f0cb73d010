/**
 * Discovery documents narrowed to a logical cluster's surface: the legacy
 * lists (`/api/v1`, `/apis`, `/apis/<g>`, `/apis/<g>/<v>`) and aggregated
 * discovery (`/api`, `/apis` asked for as apidiscovery.k8s.io/v2
 * APIGroupDiscoveryList, what kubectl and client-go prefer). Every function
 * keeps the document's shape and unknown fields, removes what is hidden and
 * narrows verbs to those granted, so `kubectl api-resources -o wide` shows
 * the verbs `kubectl auth can-i --list` reports.
 */
import type { V1APIGroup, V1APIGroupList, V1APIResource, V1APIResourceList } from '@kubernetes/client-node';
import type { ApiSurface, ResourceRule, Scope } from './surface.js';

/** apidiscovery.k8s.io/v2 (and v2beta1) APISubresourceDiscovery. */
export interface APISubresourceDiscovery {
  readonly subresource: string;
  readonly verbs?: readonly string[];
  readonly responseKind?: { readonly group?: string; readonly version?: string; readonly kind?: string };
  readonly acceptedTypes?: readonly { readonly group?: string; readonly version?: string; readonly kind?: string }[];
}

/** apidiscovery.k8s.io/v2 APIResourceDiscovery. */
export interface APIResourceDiscovery {
  readonly resource: string;
  readonly scope: Scope;
  readonly verbs?: readonly string[];
  readonly singularResource?: string;
  readonly responseKind?: { readonly group?: string; readonly version?: string; readonly kind?: string };
  readonly shortNames?: readonly string[];
  readonly categories?: readonly string[];
  readonly subresources?: readonly APISubresourceDiscovery[];
}

/** apidiscovery.k8s.io/v2 APIVersionDiscovery. */
export interface APIVersionDiscovery {
  readonly version: string;
  readonly resources?: readonly APIResourceDiscovery[];
  readonly freshness?: string;
}

/** apidiscovery.k8s.io/v2 APIGroupDiscovery (the core group has no metadata.name). */
export interface APIGroupDiscovery {
  readonly metadata?: { readonly name?: string };
  readonly versions?: readonly APIVersionDiscovery[];
}

/** apidiscovery.k8s.io/v2 APIGroupDiscoveryList: the body of `/api` and `/apis` with `Accept: ...;as=APIGroupDiscoveryList`. */
export interface APIGroupDiscoveryList {
  readonly kind?: string;
  readonly apiVersion?: string;
  readonly metadata?: Readonly<Record<string, unknown>>;
  readonly items?: readonly APIGroupDiscovery[];
}

/** One resource of a group version, as discovery lists it (`name` may be `parent/subresource`). */
export interface DiscoveredResource {
  readonly name: string;
  readonly namespaced: boolean;
}

/** The host's resources per group version (`v1`, `apps/v1`): what lets the gateway drop a group or version with nothing left. */
export type GroupVersionResources = ReadonlyMap<string, readonly DiscoveredResource[]>;

function scopeOf(namespaced: boolean | undefined): Scope {
  return namespaced ? 'Namespaced' : 'Cluster';
}

function groupOf(groupVersion: string): string {
  const slash = groupVersion.indexOf('/');
  return slash < 0 ? '' : groupVersion.slice(0, slash);
}

/**
 * Whether a resource entry stays and with which verbs. A subresource is shown
 * only by its own rule (`pods` does not show `pods/exec`) and only beside its
 * parent, as aggregated discovery nests it (so both formats agree).
 */
function narrowEntry(
  surface: ApiSurface,
  group: string,
  name: string,
  scope: Scope,
  offered: readonly string[] | undefined,
  parentShown: boolean,
): string[] | undefined {
  if (name.includes('/') && !parentShown) return undefined;
  if (!surface.allows(group, name, scope)) return undefined;
  const verbs = surface.verbs(group, name, scope, offered ?? []);
  // An entry the apiserver lists without verbs keeps none; one whose granted verbs are all outside the offered ones is hidden.
  if (verbs.length === 0 && (offered ?? []).length > 0) return undefined;
  return verbs;
}

/** `/apis/<group>/<version>` (and `/api/v1` with group ""): the resources of one group version. */
export function filterApiResourceList<T extends V1APIResourceList>(group: string, doc: T, surface: ApiSurface): T {
  const shown = new Set<string>();
  const resources: V1APIResource[] = [];
  // Parents first, so a subresource can see whether its parent stayed whatever the order of the list.
  const parents = doc.resources.filter((r) => !r.name.includes('/'));
  const subs = doc.resources.filter((r) => r.name.includes('/'));
  const kept = new Map<V1APIResource, string[]>();
  for (const r of [...parents, ...subs]) {
    const parent = r.name.split('/')[0]!;
    const verbs = narrowEntry(surface, group, r.name, scopeOf(r.namespaced), r.verbs, shown.has(parent));
    if (verbs === undefined) continue;
    if (!r.name.includes('/')) shown.add(r.name);
    kept.set(r, verbs);
  }
  for (const r of doc.resources) {
    const verbs = kept.get(r);
    if (verbs !== undefined) resources.push({ ...r, verbs });
  }
  return { ...doc, resources };
}

/** `/api/v1`. */
export function filterCoreApiResourceList<T extends V1APIResourceList>(doc: T, surface: ApiSurface): T {
  return filterApiResourceList('', doc, surface);
}

/** Whether `/apis/<g>/<v>` (or `/api/v1`, groupVersion `v1`) has anything the logical cluster shows; answer 404 otherwise. */
export function groupVersionShown(groupVersion: string, surface: ApiSurface, resources: GroupVersionResources): boolean {
  const group = groupOf(groupVersion);
  return (resources.get(groupVersion) ?? []).some((r) => !r.name.includes('/') && surface.allows(group, r.name, scopeOf(r.namespaced)));
}

/** `/apis/<group>`: the group narrowed to its versions with something shown, or undefined (answer 404) when none is left. */
export function filterApiGroup<T extends V1APIGroup>(doc: T, surface: ApiSurface, resources: GroupVersionResources): T | undefined {
  const versions = doc.versions.filter((v) => groupVersionShown(v.groupVersion, surface, resources));
  if (versions.length === 0) return undefined;
  const preferred = doc.preferredVersion && versions.some((v) => v.groupVersion === doc.preferredVersion!.groupVersion) ? doc.preferredVersion : versions[0];
  return { ...doc, versions, ...(preferred ? { preferredVersion: preferred } : {}) };
}

/** `/apis` (legacy APIGroupList): groups with nothing shown are dropped, and so are versions. */
export function filterApiGroupList<T extends V1APIGroupList>(doc: T, surface: ApiSurface, resources: GroupVersionResources): T {
  const groups: V1APIGroup[] = [];
  for (const group of doc.groups) {
    const narrowed = filterApiGroup(group, surface, resources);
    if (narrowed) groups.push(narrowed);
  }
  return { ...doc, groups };
}

/** `/api` and `/apis` as APIGroupDiscoveryList: resources, versions and groups with nothing shown are dropped. */
export function filterAggregatedDiscovery<T extends APIGroupDiscoveryList>(doc: T, surface: ApiSurface): T {
  const items: APIGroupDiscovery[] = [];
  for (const item of doc.items ?? []) {
    const group = item.metadata?.name ?? '';
    const versions: APIVersionDiscovery[] = [];
    for (const version of item.versions ?? []) {
      const resources: APIResourceDiscovery[] = [];
      for (const r of version.resources ?? []) {
        const verbs = narrowEntry(surface, group, r.resource, r.scope, r.verbs, true);
        if (verbs === undefined) continue;
        const subresources: APISubresourceDiscovery[] = [];
        for (const sub of r.subresources ?? []) {
          const subVerbs = narrowEntry(surface, group, `${r.resource}/${sub.subresource}`, r.scope, sub.verbs, true);
          if (subVerbs !== undefined) subresources.push({ ...sub, verbs: subVerbs });
        }
        const { subresources: _dropped, ...rest } = r;
        resources.push({ ...rest, verbs, ...(subresources.length > 0 ? { subresources } : {}) });
      }
      if (resources.length > 0) versions.push({ ...version, resources });
    }
    // The core group stays even when empty: clients expect `/api` to name v1.
    if (versions.length > 0) items.push({ ...item, versions });
    else if (group === '') items.push({ ...item, versions: [] });
  }
  return { ...doc, items };
}

/** The host's resources per group version, from its aggregated discovery (`/api` and `/apis`). */
export function groupVersionResourcesFromAggregated(...docs: readonly APIGroupDiscoveryList[]): Map<string, DiscoveredResource[]> {
  const out = new Map<string, DiscoveredResource[]>();
  for (const doc of docs) {
    for (const item of doc.items ?? []) {
      const group = item.metadata?.name ?? '';
      for (const version of item.versions ?? []) {
        const list: DiscoveredResource[] = [];
        for (const r of version.resources ?? []) {
          const namespaced = r.scope === 'Namespaced';
          list.push({ name: r.resource, namespaced });
          for (const sub of r.subresources ?? []) list.push({ name: `${r.resource}/${sub.subresource}`, namespaced });
        }
        out.set(group ? `${group}/${version.version}` : version.version, list);
      }
    }
  }
  return out;
}

/** The host's resources per group version, from legacy resource lists (`/api/v1`, `/apis/<g>/<v>`). */
export function groupVersionResourcesFromLists(lists: readonly V1APIResourceList[]): Map<string, DiscoveredResource[]> {
  const out = new Map<string, DiscoveredResource[]>();
  for (const list of lists)
    out.set(
      list.groupVersion,
      list.resources.map((r) => ({ name: r.name, namespaced: r.namespaced })),
    );
  return out;
}

/** Whether a response Content-Type is aggregated discovery (apidiscovery.k8s.io APIGroupDiscoveryList). */
export function isAggregatedDiscovery(contentType: string | undefined): boolean {
  return contentType !== undefined && /(^|[;,\s])as=APIGroupDiscoveryList\b/.test(contentType);
}

/**
 * The client's Accept header for a discovery or OpenAPI request with the
 * protobuf alternatives removed (the gateway must read the body to narrow
 * it); `application/json` when nothing is left.
 */
export function forwardableDiscoveryAccept(accept: string | undefined): string {
  const kept = (accept ?? '')
    .split(',')
    .map((part) => part.trim())
    .filter((part) => part !== '' && !/protobuf/i.test(part));
  return kept.length > 0 ? kept.join(',') : 'application/json';
}

/** The resource rules of several SelfSubjectRulesReview statuses (one per namespace), as one list for surfaceFromRules. */
export function mergeRulesReviews(statuses: readonly { readonly resourceRules?: readonly ResourceRule[] | undefined }[]): ResourceRule[] {
  return statuses.flatMap((s) => [...(s.resourceRules ?? [])]);
}

/** `GET /`: the paths an apiserver serves. */
export interface RootPaths {
  readonly paths?: readonly string[];
}

/** The first path segments the gateway answers under a logical cluster's prefix (everything else is 404 there). */
export const GATEWAY_ROOTS: ReadonlySet<string> = new Set(['api', 'apis', 'openapi', 'version', 'healthz', 'livez', 'readyz']);

/** `GET /`: only the paths the gateway serves, and of the API paths only the groups and versions with something shown. */
export function filterRootPaths<T extends RootPaths>(
  doc: T,
  surface: ApiSurface,
  resources: GroupVersionResources,
  roots: ReadonlySet<string> = GATEWAY_ROOTS,
): T {
  const paths = (doc.paths ?? []).filter((path) => {
    const segments = path.split('/').filter((s) => s !== '');
    const [head, group, version] = segments;
    if (head === undefined || !roots.has(head)) return false;
    if (head === 'api' && group !== undefined) return segments.length === 2 && groupVersionShown(group, surface, resources);
    if (head !== 'apis' || group === undefined) return true;
    if (version !== undefined) return segments.length === 3 && groupVersionShown(`${group}/${version}`, surface, resources);
    return [...resources.keys()].some((gv) => gv.startsWith(`${group}/`) && groupVersionShown(gv, surface, resources));
  });
  return { ...doc, paths };
}
