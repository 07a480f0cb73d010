/**
 * An independent checker: from the specs the suite wrote (which
 * LogicalClusters and Deployments should exist, which were deleted, how the
 * PlacementPolicy divides replicas) it computes every object each cluster
 * must hold, by a hand-written model of the product contract
 * (docs/architecture.md and src/reconcilers/logicalcluster/README.md) — not by calling the operator's own planning
 * code — and compares it with what the apiservers hold:
 *
 * - missing: an expected object that is not there (a lost object);
 * - duplicates: one expected object present more than once (e.g. the same
 *   Deployment copied into two namespaces of a member, two namespaces for one
 *   logical cluster);
 * - extras: an object carrying a live owner's label that the model does not
 *   expect (including a wrong replica count on a member);
 * - orphans: an object left for something that was deleted or never existed.
 */
import { type ApiClient, Resources, type KubeObject, type ResourceRef } from '../../../src/runtime/index.js';
import { LABEL_LOGICAL_CLUSTER, LABEL_MANAGED_BY, MANAGED_BY_VALUE } from '../../../src/crds/labels.js';

export interface DeploymentSpec {
  readonly name: string;
  readonly replicas: number;
  /** Members its policy divides it over with equal weights (default: Specs.members). */
  readonly members?: readonly string[];
}

export interface Specs {
  /** LogicalClusters that exist (namespace mode, no spec.namespaces, workspace without quota or limits). */
  readonly logicalClusters: ReadonlySet<string>;
  /** Prefix of every LogicalCluster the suite ever created (anything labelled with such a name that is not expected is an orphan). */
  readonly logicalClusterPrefix: string;
  /** Deployments in `namespace` on the host, selected by a Divide policy with equal weights over `members`. */
  readonly deployments: ReadonlyMap<string, DeploymentSpec>;
  readonly namespace: string;
  readonly members: readonly string[];
}

export interface CheckReport {
  readonly expected: number;
  readonly found: number;
  readonly missing: string[];
  readonly duplicates: string[];
  readonly extras: string[];
  readonly orphans: string[];
  /** Expected owners whose status does not say so yet (LogicalCluster not Ready, PropagatedObject not Synced). */
  readonly unsettled: string[];
}

export function clean(report: CheckReport): boolean {
  return report.missing.length + report.duplicates.length + report.extras.length + report.orphans.length + report.unsettled.length === 0;
}

export function summary(report: CheckReport): string {
  const few = (xs: string[]) => (xs.length === 0 ? '0' : `${xs.length} (${xs.slice(0, 5).join('; ')}${xs.length > 5 ? '; …' : ''})`);
  return `expected ${report.expected}, found ${report.found}; missing ${few(report.missing)}; duplicates ${few(report.duplicates)}; extras ${few(report.extras)}; orphans ${few(report.orphans)}; unsettled ${few(report.unsettled)}`;
}

/**
 * What one logical cluster in namespace mode owns on the host, per the
 * contract: its namespace; in it the tenant's ServiceAccount (named after the
 * logical cluster) and kubeconfig Secret, the ResourceQuota and LimitRange,
 * the default-deny ingress policy and the same-logical-cluster allow policy,
 * the tenant Role and its RoleBinding.
 */
export function logicalClusterObjects(lc: string): string[] {
  return [
    `Namespace ${lc}`,
    `ServiceAccount ${lc}/${lc}`,
    `Secret ${lc}/${lc}-kubeconfig`,
    `ResourceQuota ${lc}/canopy-quota`,
    `LimitRange ${lc}/canopy-defaults`,
    `NetworkPolicy ${lc}/canopy-default-deny`,
    `NetworkPolicy ${lc}/canopy-allow-same-logical-cluster`,
    `Role ${lc}/canopy-tenant`,
    `RoleBinding ${lc}/canopy-tenant`,
  ];
}

const LC_KINDS: ResourceRef[] = [
  Resources.Namespace,
  Resources.ServiceAccount,
  Resources.Secret,
  Resources.ResourceQuota,
  Resources.LimitRange,
  Resources.NetworkPolicy,
  Resources.Role,
  Resources.RoleBinding,
];

type Labelled = KubeObject & {
  status?: { phase?: string; observedGeneration?: number; conditions?: Array<{ type: string; status: string }>; replicas?: number };
  spec?: { replicas?: number };
};

const id = (kind: string, o: KubeObject) => `${kind} ${o.metadata?.namespace ? `${o.metadata.namespace}/` : ''}${o.metadata?.name}`;

export async function check(host: ApiClient, members: ReadonlyMap<string, ApiClient>, specs: Specs): Promise<CheckReport> {
  const missing: string[] = [];
  const duplicates: string[] = [];
  const extras: string[] = [];
  const orphans: string[] = [];
  const unsettled: string[] = [];
  let expected = 0;
  let found = 0;

  // Logical clusters: everything on the host labelled canopy.dev/logical-cluster, grouped by that label.
  const byOwner = new Map<string, Map<string, number>>();
  for (const resource of LC_KINDS) {
    for (const o of await host.listAll<Labelled>(resource, { labelSelector: LABEL_LOGICAL_CLUSTER })) {
      const owner = o.metadata?.labels?.[LABEL_LOGICAL_CLUSTER] ?? '';
      if (!owner.startsWith(specs.logicalClusterPrefix)) continue;
      const seen = byOwner.get(owner) ?? new Map<string, number>();
      byOwner.set(owner, seen);
      const key = id(resource.kind, o);
      seen.set(key, (seen.get(key) ?? 0) + 1);
      found++;
    }
  }
  for (const [owner, seen] of byOwner) {
    if (specs.logicalClusters.has(owner)) continue;
    for (const key of seen.keys()) orphans.push(`${key} (logical cluster ${owner} is gone)`);
  }
  for (const lc of specs.logicalClusters) {
    const want = logicalClusterObjects(lc);
    expected += want.length;
    const seen = byOwner.get(lc) ?? new Map<string, number>();
    for (const key of want) {
      const n = seen.get(key) ?? 0;
      if (n === 0) missing.push(`${key} (logical cluster ${lc})`);
      if (n > 1) duplicates.push(`${key} ×${n}`);
    }
    for (const key of seen.keys()) if (!want.includes(key)) extras.push(`${key} (logical cluster ${lc})`);
    // One namespace per logical cluster: a second one for the same owner is a duplicate whatever its name.
    const namespaces = [...seen.keys()].filter((k) => k.startsWith('Namespace '));
    if (namespaces.length > 1) duplicates.push(`${namespaces.length} namespaces for ${lc}: ${namespaces.join(', ')}`);
  }
  const lcObjects = await host.listAll<Labelled>(Resources.LogicalCluster);
  const lcNames = new Set<string>();
  for (const lc of lcObjects) {
    const name = lc.metadata?.name ?? '';
    if (!name.startsWith(specs.logicalClusterPrefix)) continue;
    lcNames.add(name);
    if (!specs.logicalClusters.has(name)) orphans.push(`LogicalCluster ${name} (deleted, still there${lc.metadata?.deletionTimestamp ? ', terminating' : ''})`);
    else if (lc.status?.phase !== 'Ready' || lc.status.observedGeneration !== lc.metadata?.generation)
      unsettled.push(`LogicalCluster ${name} is ${lc.status?.phase ?? 'without status'}`);
  }
  for (const lc of specs.logicalClusters) if (!lcNames.has(lc)) missing.push(`LogicalCluster ${lc}`);

  // Deployments: one PropagatedObject each on the host, one copy on every member with an equal share.
  if (specs.members.length > 0) {
    const pos = await host.listAll<Labelled>(Resources.PropagatedObject, { namespace: specs.namespace });
    const poNames = new Map<string, Labelled>();
    for (const po of pos) poNames.set(po.metadata?.name ?? '', po);
    for (const [name, spec] of specs.deployments) {
      expected++;
      const po = poNames.get(`${name}-deployment`);
      if (!po) missing.push(`PropagatedObject ${specs.namespace}/${name}-deployment`);
      else if (po.status?.conditions?.find((c) => c.type === 'Synced')?.status !== 'True') unsettled.push(`PropagatedObject ${name}-deployment not Synced`);
      else if (po.status?.replicas !== spec.replicas)
        unsettled.push(`PropagatedObject ${name}-deployment reports ${po.status?.replicas} replicas, spec ${spec.replicas}`);
    }
    for (const [poName, po] of poNames) {
      found++;
      const source = poName.replace(/-deployment$/, '');
      if (!specs.deployments.has(source))
        orphans.push(`PropagatedObject ${specs.namespace}/${poName}${po.metadata?.deletionTimestamp ? ' (terminating)' : ''}`);
    }
    for (const [member, client] of members) {
      if (!specs.members.includes(member)) continue;
      const copies = await client.listAll<Labelled>(Resources.Deployment, { labelSelector: `${LABEL_MANAGED_BY}=${MANAGED_BY_VALUE}` });
      const byName = new Map<string, Labelled[]>();
      for (const d of copies) {
        found++;
        const list = byName.get(d.metadata?.name ?? '') ?? [];
        list.push(d);
        byName.set(d.metadata?.name ?? '', list);
      }
      for (const [name, spec] of specs.deployments) {
        const targets = spec.members ?? specs.members;
        const here = byName.get(name) ?? [];
        if (!targets.includes(member)) {
          for (const d of here) extras.push(`Deployment ${d.metadata?.namespace}/${name} on ${member} (placed only on ${targets.join(', ')})`);
          continue;
        }
        expected++;
        const share = spec.replicas / targets.length;
        if (here.length === 0) missing.push(`Deployment ${specs.namespace}/${name} on ${member}`);
        if (here.length > 1) duplicates.push(`Deployment ${name} ×${here.length} on ${member} (${here.map((d) => d.metadata?.namespace).join(', ')})`);
        for (const d of here) {
          if (d.metadata?.namespace !== specs.namespace) extras.push(`Deployment ${d.metadata?.namespace}/${name} on ${member} (wrong namespace)`);
          else if (d.spec?.replicas !== share) extras.push(`Deployment ${name} on ${member} has ${d.spec?.replicas} replicas, its share is ${share}`);
        }
      }
      for (const [name, list] of byName) {
        if (specs.deployments.has(name)) continue;
        for (const d of list) orphans.push(`Deployment ${d.metadata?.namespace}/${name} on ${member} (its source is gone)`);
      }
    }
  }
  return { expected, found, missing, duplicates, extras, orphans, unsettled };
}
