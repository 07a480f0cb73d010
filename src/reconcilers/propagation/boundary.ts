/**
 * The tenant boundary a member namespace carries: what a tenant namespace on
 * the host enforces must hold wherever its workloads land, so every member
 * namespace the syncer creates gets
 *
 * - the pod-security admission labels of the level admission enforces on the
 *   host (enforce, warn and audit, like the logical cluster's namespaces);
 * - copies of the logical cluster's ResourceQuota, LimitRange and
 *   NetworkPolicies (default deny plus allow-within-the-logical-cluster)
 *   exactly as the LogicalCluster reconciler materialized them on the host.
 *
 * The quota is mirrored, not divided: the host already bounds what the tenant
 * declares (its plain objects count against the same quota there), a
 * Duplicate placement deliberately runs a full copy per cluster, and a
 * divided quota would make such a placement fail on every member. Mirroring
 * bounds what any one member gives the tenant, which is what protects that
 * member's other tenants.
 *
 * Pure: host objects in, member objects out.
 */
import { createHash } from 'node:crypto';
import { LABEL_LOGICAL_CLUSTER, LABEL_MANAGED_BY, MANAGED_BY_VALUE } from '../../crds/labels.js';
import { LABEL_COMPANION } from './names.js';
import { portableObject, type PortableObject } from './portable.js';

/** Value of {@link LABEL_COMPANION} on boundary objects in member namespaces. */
export const BOUNDARY_ROLE = 'boundary';

/** The kinds copied into member namespaces as the boundary, in the order they are applied. */
export const BOUNDARY_TYPES = [
  { apiVersion: 'v1', kind: 'ResourceQuota', plural: 'resourcequotas' },
  { apiVersion: 'v1', kind: 'LimitRange', plural: 'limitranges' },
  { apiVersion: 'networking.k8s.io/v1', kind: 'NetworkPolicy', plural: 'networkpolicies' },
] as const;

export type BoundaryKind = (typeof BOUNDARY_TYPES)[number]['kind'];

const POD_SECURITY_LABELS = ['enforce', 'warn', 'audit'].map((mode) => `pod-security.kubernetes.io/${mode}`);

interface HostObject {
  readonly apiVersion?: string;
  readonly kind?: string;
  readonly metadata?: { readonly name?: string; readonly namespace?: string; readonly labels?: Readonly<Record<string, string>> };
}

export interface BoundaryInput {
  /** The host namespace the member namespace mirrors. */
  readonly namespace: string;
  /** The tenant labels of the host namespace (workspace, logical cluster). */
  readonly tenantLabels: Readonly<Record<string, string>>;
  /** The pod-security level admission enforces there; undefined outside tenant namespaces. */
  readonly podSecurity: string | undefined;
  /** Host objects of the boundary kinds in that namespace (any labels; filtered here). */
  readonly hostObjects: readonly HostObject[];
}

export interface MemberBoundary {
  /** Labels the member namespace must carry besides Canopy's own. */
  readonly namespaceLabels: Readonly<Record<string, string>>;
  /** Objects to apply inside it, labelled as the boundary. */
  readonly objects: readonly PortableObject[];
  /** Changes whenever anything above does: whether a member is already up to date. */
  readonly fingerprint: string;
}

/**
 * Only what the LogicalCluster reconciler wrote for this namespace's own
 * logical cluster is copied: a tenant who may create NetworkPolicies must not
 * get one of theirs applied with Canopy's authority as "the boundary".
 */
function isBoundarySource(object: HostObject, logicalCluster: string | undefined): boolean {
  const labels = object.metadata?.labels ?? {};
  return logicalCluster !== undefined && labels[LABEL_MANAGED_BY] === MANAGED_BY_VALUE && labels[LABEL_LOGICAL_CLUSTER] === logicalCluster;
}

export function memberBoundary(input: BoundaryInput): MemberBoundary {
  const namespaceLabels: Record<string, string> = {};
  if (input.podSecurity) for (const key of POD_SECURITY_LABELS) namespaceLabels[key] = input.podSecurity;
  const logicalCluster = input.tenantLabels[LABEL_LOGICAL_CLUSTER];
  const order = (o: HostObject): number => BOUNDARY_TYPES.findIndex((t) => t.kind === o.kind && t.apiVersion === o.apiVersion);
  const objects = input.hostObjects
    .filter((o) => o.metadata?.namespace === input.namespace && order(o) >= 0 && isBoundarySource(o, logicalCluster))
    .sort((a, b) => order(a) - order(b) || (a.metadata?.name ?? '').localeCompare(b.metadata?.name ?? ''))
    .map((source) => {
      const copy = portableObject(source as PortableObject);
      copy.metadata.namespace = input.namespace;
      copy.metadata.labels = { ...(copy.metadata.labels ?? {}), ...input.tenantLabels, [LABEL_MANAGED_BY]: MANAGED_BY_VALUE, [LABEL_COMPANION]: BOUNDARY_ROLE };
      return copy;
    });
  const fingerprint = createHash('sha256')
    .update(JSON.stringify([namespaceLabels, objects]))
    .digest('base64')
    .slice(0, 16);
  return { namespaceLabels, objects, fingerprint };
}

/** `Kind/name` of a boundary object, the key live and desired objects are compared by. */
export function boundaryKey(object: HostObject): string {
  return `${object.kind ?? ''}/${object.metadata?.name ?? ''}`;
}

/** Whether the namespace's pod-security labels differ from what the boundary asks for. */
export function namespaceLabelsDrifted(live: Readonly<Record<string, string>> | undefined, boundary: MemberBoundary): boolean {
  const labels = live ?? {};
  for (const key of POD_SECURITY_LABELS) if (labels[key] !== boundary.namespaceLabels[key]) return true;
  return false;
}
