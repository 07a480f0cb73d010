import type { Capabilities, CapabilityPreset, Rule } from '../../hierarchy/logical-cluster.js';
/**
 * Capabilities → the rules of the tenant Role. A preset and/or explicit rules
 * are intersected with what the workspace allows (the `admin` preset when the
 * workspace says nothing) and stripped of anything that would reach beyond the
 * logical cluster's own namespaces: a namespaced Role that names `namespaces`
 * grants rights on the namespace object itself (its pod-security labels!), and
 * `escalate`/`bind`/`impersonate` would let a tenant mint rights it was not given.
 */

const READ = ['get', 'list', 'watch'] as const;
const WRITE = ['create', 'update', 'patch', 'delete', 'deletecollection'] as const;
const ALL = [...READ, ...WRITE];

const CORE_READ = [
  'pods',
  'pods/log',
  'services',
  'endpoints',
  'configmaps',
  'persistentvolumeclaims',
  'serviceaccounts',
  'events',
  'replicationcontrollers',
  'limitranges',
  'resourcequotas',
];
const APPS = ['deployments', 'replicasets', 'statefulsets', 'daemonsets', 'deployments/scale', 'replicasets/scale', 'statefulsets/scale'];

function rule(apiGroups: string[], resources: string[], verbs: readonly string[]): Rule {
  return { apiGroups, resources, verbs: [...verbs] };
}

const VIEWER: readonly Rule[] = [
  rule([''], CORE_READ, READ),
  rule(['apps'], APPS, READ),
  rule(['batch'], ['jobs', 'cronjobs'], READ),
  rule(['autoscaling'], ['horizontalpodautoscalers'], READ),
  rule(['policy'], ['poddisruptionbudgets'], READ),
  rule(['networking.k8s.io'], ['ingresses', 'networkpolicies'], READ),
  rule(['discovery.k8s.io'], ['endpointslices'], READ),
  rule(['canopy.dev'], ['propagatedobjects'], READ),
];

const DEVELOPER: readonly Rule[] = [
  ...VIEWER,
  rule([''], ['pods', 'services', 'configmaps', 'secrets', 'persistentvolumeclaims', 'replicationcontrollers'], ALL),
  rule([''], ['pods/exec', 'pods/attach', 'pods/portforward'], ['get', 'create']),
  rule([''], ['events'], ['create', 'patch']),
  rule(['apps'], APPS, ALL),
  rule(['batch'], ['jobs', 'cronjobs'], ALL),
  rule(['autoscaling'], ['horizontalpodautoscalers'], ALL),
  rule(['policy'], ['poddisruptionbudgets'], ALL),
  rule(['networking.k8s.io'], ['ingresses'], ALL),
  rule(['coordination.k8s.io'], ['leases'], ALL),
  rule(['canopy.dev'], ['propagatedobjects'], ALL),
];

const ADMIN: readonly Rule[] = [
  ...DEVELOPER,
  rule([''], ['serviceaccounts'], ALL),
  rule([''], ['serviceaccounts/token'], ['create']),
  rule(['networking.k8s.io'], ['networkpolicies'], ALL),
  rule(['rbac.authorization.k8s.io'], ['roles', 'rolebindings'], ALL),
];

export const PRESETS: Readonly<Record<CapabilityPreset, readonly Rule[]>> = { viewer: VIEWER, developer: DEVELOPER, admin: ADMIN };

/** What a workspace allows when its model has no explicit allowance. */
export const DEFAULT_ALLOWANCE: readonly Rule[] = ADMIN;

/** Resources a tenant Role never carries, whatever the workspace allows. */
const FORBIDDEN_RESOURCES = new Set(['namespaces', 'namespaces/status', 'namespaces/finalize']);
/** Resources a tenant may read but never change: Canopy owns them. */
const READ_ONLY_RESOURCES = new Set(['resourcequotas', 'limitranges', 'resourcequotas/status']);
const FORBIDDEN_VERBS = new Set(['escalate', 'bind', 'impersonate']);
/** Groups where a `*` resource would also cover the namespace object or RBAC escalation. */
const WILDCARD_UNSAFE_GROUPS = new Set(['', '*', 'rbac.authorization.k8s.io']);
/**
 * Cluster-scoped resources of the built-in groups: meaningless in a Role, so
 * asking for them is reported rather than silently ignored.
 */
const CLUSTER_SCOPED = new Set([
  'nodes',
  'persistentvolumes',
  'clusterroles',
  'clusterrolebindings',
  'customresourcedefinitions',
  'storageclasses',
  'priorityclasses',
  'validatingwebhookconfigurations',
  'mutatingwebhookconfigurations',
  'certificatesigningrequests',
  'apiservices',
  'ingressclasses',
  'runtimeclasses',
  'csidrivers',
  'csinodes',
  'volumeattachments',
  'componentstatuses',
]);

export interface CapabilityResult {
  /** The rules of the tenant Role: sorted, merged, never wider than the allowance. */
  readonly rules: Rule[];
  /** What was asked for and not granted, one sentence each (empty when nothing was narrowed). */
  readonly narrowed: string[];
  /** Set when the preset name is unknown. */
  readonly invalid?: string;
}

// Most logical clusters ask for one of a few capability sets against the default
// allowance: remember those answers instead of intersecting rules per reconcile.
const defaultAllowanceCache = new Map<string, CapabilityResult>();
const CACHE_LIMIT = 1024;

/** Resolves spec.capabilities (default: the `developer` preset) against the workspace's allowance. */
export function resolveCapabilities(capabilities: Capabilities | undefined, allowance: readonly Rule[] = DEFAULT_ALLOWANCE): CapabilityResult {
  if (allowance !== DEFAULT_ALLOWANCE) return computeCapabilities(capabilities, allowance);
  const key = JSON.stringify(capabilities ?? null);
  let result = defaultAllowanceCache.get(key);
  if (!result) {
    result = computeCapabilities(capabilities, allowance);
    if (defaultAllowanceCache.size >= CACHE_LIMIT) defaultAllowanceCache.clear();
    defaultAllowanceCache.set(key, result);
  }
  return result;
}

function computeCapabilities(capabilities: Capabilities | undefined, allowance: readonly Rule[]): CapabilityResult {
  const presetName = capabilities?.preset ?? (capabilities?.rules && capabilities.rules.length > 0 ? undefined : 'developer');
  if (presetName !== undefined && !(presetName in PRESETS)) {
    return { rules: [], narrowed: [], invalid: `unknown capabilities preset "${presetName}"; use viewer, developer or admin` };
  }
  const requested: Rule[] = [...(presetName ? PRESETS[presetName as CapabilityPreset] : []), ...(capabilities?.rules ?? [])];
  const narrowed: string[] = [];
  const granted: Rule[] = [];
  const explicitOffset = presetName ? PRESETS[presetName as CapabilityPreset].length : 0;
  requested.forEach((asked, index) => {
    const label = index >= explicitOffset ? `rules[${index - explicitOffset}]` : `preset ${presetName}`;
    for (const safe of sanitize(asked, label, narrowed)) {
      const pieces = allowance.map((allowed) => intersectRules(safe, allowed)).filter((r): r is Rule => r !== undefined);
      const missing = uncovered(safe, pieces);
      if (missing) narrowed.push(`${label}: ${missing} exceeds what the workspace allows`);
      granted.push(...pieces);
    }
  });
  return { rules: mergeRules(granted), narrowed };
}

/**
 * The part of a requested rule that may ever be granted, possibly split in two:
 * read-only resources keep only the read verbs.
 */
function sanitize(asked: Rule, label: string, notes: string[]): Rule[] {
  const groups = asked.apiGroups && asked.apiGroups.length > 0 ? [...asked.apiGroups] : [''];
  let verbs = asked.verbs.includes('*') ? [...ALL] : [...asked.verbs];
  const droppedVerbs = verbs.filter((v) => FORBIDDEN_VERBS.has(v));
  if (droppedVerbs.length > 0) {
    notes.push(`${label}: verbs ${droppedVerbs.join(', ')} are never granted inside a logical cluster`);
    verbs = verbs.filter((v) => !FORBIDDEN_VERBS.has(v));
  }
  const writable: string[] = [];
  const readOnly: string[] = [];
  for (const resource of asked.resources) {
    if (resource === '*' && groups.some((g) => WILDCARD_UNSAFE_GROUPS.has(g))) {
      notes.push(
        `${label}: resource "*" in API group ${groups.map((g) => `"${g}"`).join(', ')} would include the namespace itself; list the resources instead`,
      );
    } else if (FORBIDDEN_RESOURCES.has(resource)) {
      notes.push(`${label}: ${resource} is never granted: the namespaces belong to Canopy`);
    } else if (CLUSTER_SCOPED.has(resource)) {
      notes.push(`${label}: ${resource} is cluster-scoped; a logical cluster never gets cluster-scoped rights`);
    } else if (READ_ONLY_RESOURCES.has(resource)) {
      if (verbs.some((v) => !isRead(v))) notes.push(`${label}: ${resource} can only be read: Canopy sets them from spec.constraints`);
      readOnly.push(resource);
    } else {
      writable.push(resource);
    }
  }
  const names = asked.resourceNames ? { resourceNames: [...asked.resourceNames] } : {};
  const out: Rule[] = [];
  if (writable.length > 0 && verbs.length > 0) out.push({ apiGroups: groups, resources: writable, verbs, ...names });
  const readVerbs = verbs.filter(isRead);
  if (readOnly.length > 0 && readVerbs.length > 0) out.push({ apiGroups: groups, resources: readOnly, verbs: readVerbs, ...names });
  return out;
}

function isRead(verb: string): boolean {
  return (READ as readonly string[]).includes(verb);
}

function intersectList(a: readonly string[] | undefined, b: readonly string[] | undefined): string[] | undefined {
  if (a === undefined) return b ? [...b] : undefined; // absent resourceNames: every name
  if (b === undefined) return [...a];
  if (a.includes('*')) return [...b];
  if (b.includes('*')) return [...a];
  return a.filter((x) => b.includes(x));
}

/** The rule granting exactly what both rules grant, or undefined when they share nothing. */
export function intersectRules(a: Rule, b: Rule): Rule | undefined {
  const apiGroups = intersectList(a.apiGroups ?? [''], b.apiGroups ?? [''])!;
  const resources = intersectList(a.resources, b.resources)!;
  const verbs = intersectList(a.verbs, b.verbs)!;
  if (apiGroups.length === 0 || resources.length === 0 || verbs.length === 0) return undefined;
  const resourceNames = intersectList(a.resourceNames, b.resourceNames);
  if (resourceNames !== undefined && resourceNames.length === 0) return undefined;
  return resourceNames ? { apiGroups, resources, verbs, resourceNames } : { apiGroups, resources, verbs };
}

function covers(rules: readonly Rule[], group: string, resource: string, verb: string): boolean {
  const has = (list: readonly string[], x: string) => list.includes('*') || list.includes(x);
  return rules.some((r) => has(r.apiGroups ?? [''], group) && has(r.resources, resource) && has(r.verbs, verb) && r.resourceNames === undefined);
}

/** A human summary of what `asked` grants that `granted` does not, or undefined if fully covered. */
function uncovered(asked: Rule, granted: readonly Rule[]): string | undefined {
  const groups = asked.apiGroups ?? [''];
  if ([...groups, ...asked.resources, ...asked.verbs].includes('*')) {
    const full = granted.some((g) => intersectList(g.apiGroups, ['*'])!.includes('*') && g.resources.includes('*') && g.verbs.includes('*'));
    return full ? undefined : `a wildcard (*)`;
  }
  if (asked.resourceNames) return granted.length > 0 ? undefined : describe(asked);
  const missing: string[] = [];
  for (const group of groups) {
    for (const resource of asked.resources) {
      const verbs = asked.verbs.filter((verb) => !covers(granted, group, resource, verb));
      if (verbs.length > 0) missing.push(`${verbs.join('/')} ${group === '' ? '' : `${group}/`}${resource}`);
    }
  }
  return missing.length > 0 ? missing.join(', ') : undefined;
}

function describe(r: Rule): string {
  return `${r.verbs.join('/')} ${r.resources.join(',')} in ${(r.apiGroups ?? ['']).map((g) => g || 'core').join(',')}`;
}

/**
 * Merges rules that differ only in verbs, sorts everything: the Role is then
 * identical for identical input, so re-applying it is a no-op.
 */
export function mergeRules(rules: readonly Rule[]): Rule[] {
  const byTarget = new Map<string, { apiGroups: string[]; resource: string; resourceNames?: string[]; verbs: Set<string> }>();
  for (const r of rules) {
    for (const group of r.apiGroups ?? ['']) {
      for (const resource of r.resources) {
        const names = r.resourceNames ? [...r.resourceNames].sort() : undefined;
        const key = JSON.stringify([group, resource, names]);
        const entry = byTarget.get(key) ?? { apiGroups: [group], resource, ...(names ? { resourceNames: names } : {}), verbs: new Set<string>() };
        for (const v of r.verbs) entry.verbs.add(v);
        byTarget.set(key, entry);
      }
    }
  }
  // Regroup: same group + same verb set + same names → one rule listing the resources.
  const grouped = new Map<string, Rule & { resources: string[] }>();
  for (const e of byTarget.values()) {
    const verbs = e.verbs.has('*') ? ['*'] : [...e.verbs].sort(verbOrder);
    const key = JSON.stringify([e.apiGroups, verbs, e.resourceNames]);
    const existing = grouped.get(key);
    if (existing) existing.resources.push(e.resource);
    else grouped.set(key, { apiGroups: e.apiGroups, resources: [e.resource], verbs, ...(e.resourceNames ? { resourceNames: e.resourceNames } : {}) });
  }
  return [...grouped.values()]
    .map((r) => ({ ...r, resources: [...r.resources].sort() }))
    .sort((a, b) => JSON.stringify([a.apiGroups, a.resources, a.resourceNames]).localeCompare(JSON.stringify([b.apiGroups, b.resources, b.resourceNames])));
}

const VERB_RANK = new Map<string, number>([...ALL, 'escalate', 'bind', 'impersonate'].map((v, i) => [v, i]));
function verbOrder(a: string, b: string): number {
  return (VERB_RANK.get(a) ?? 99) - (VERB_RANK.get(b) ?? 99) || a.localeCompare(b);
}
