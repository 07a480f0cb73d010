/**
 * The member copy of a PropagatedObject for one cluster: the template made
 * portable, the cluster's overrides applied, the cluster's share of replicas
 * written, and Canopy's labels added so the copy can be found, watched and
 * cleaned up.
 */
import { matchesSelector } from '../../kube/label-selector.js';
import { LABEL_MANAGED_BY, MANAGED_BY_VALUE } from '../../crds/labels.js';
import { applyJsonPatch, type JsonPatchOp } from './jsonpatch.js';
import { ANNOTATION_PROPAGATED_OBJECT, LABEL_PROPAGATED_OBJECT, propagatedObjectLabelValue } from './names.js';
import { isRecord, portableObject, type PortableObject } from './portable.js';

/** `spec.overrides[]` of a PropagatedObject (structural, as in src/crds). */
export interface ClusterOverride {
  readonly clusterSelector?: {
    readonly matchLabels?: Readonly<Record<string, string>>;
    readonly matchExpressions?: readonly { readonly key: string; readonly operator: string; readonly values?: readonly string[] }[];
  };
  readonly clusters?: readonly string[];
  readonly patches: readonly JsonPatchOp[];
}

/** The parts of a Cluster overrides are matched against. */
export interface TargetCluster {
  readonly name: string;
  readonly labels?: Readonly<Record<string, string>>;
}

/** Kinds whose `spec.replicas` Kubernetes defaults to 1, so a divided share must be written even if the template omits it. */
const REPLICATED_KINDS = new Set(['Deployment', 'StatefulSet', 'ReplicaSet', 'ReplicationController']);

/**
 * Whether an override applies to a cluster: it names the cluster, or its
 * selector matches the cluster's labels. With neither, it applies everywhere.
 */
export function overrideApplies(override: ClusterOverride, cluster: TargetCluster): boolean {
  const names = override.clusters ?? [];
  if (names.length === 0 && !override.clusterSelector) return true;
  if (names.includes(cluster.name)) return true;
  return override.clusterSelector !== undefined && matchesSelector(override.clusterSelector, cluster.labels);
}

/** Every patch that applies to the cluster, in the order the overrides list them. */
export function patchesFor(overrides: readonly ClusterOverride[] | undefined, cluster: TargetCluster): JsonPatchOp[] {
  const out: JsonPatchOp[] = [];
  for (const o of overrides ?? []) if (overrideApplies(o, cluster)) out.push(...o.patches);
  return out;
}

export interface RenderInput {
  /** Namespace of the PropagatedObject: the copy goes into the namespace of the same name. */
  readonly namespace: string;
  /** Name of the PropagatedObject. */
  readonly name: string;
  /** The object to place (spec.template, or the source object of a generated PropagatedObject). */
  readonly template: PortableObject;
  readonly overrides?: readonly ClusterOverride[];
  readonly cluster: TargetCluster;
  /** The cluster's share of replicas (status.placement[].replicas), if divided. */
  readonly replicas?: number | undefined;
  /** Labels naming the tenant (workspace, logical cluster), copied from the host namespace. */
  readonly tenantLabels?: Readonly<Record<string, string>>;
}

export type RenderResult =
  | { readonly ok: true; readonly object: PortableObject; readonly replicas: number | undefined }
  | { readonly ok: false; readonly error: string };

/**
 * Renders the copy for one cluster. Overrides apply first; then the
 * placement's replica share is written, unless an override of this cluster
 * sets `/spec/replicas` itself (an explicit per-cluster choice wins, and
 * status then reports that number).
 */
export function renderMemberObject(input: RenderInput): RenderResult {
  const base = portableObject(input.template);
  const patches = patchesFor(input.overrides, input.cluster);
  let object: PortableObject;
  try {
    object = patches.length > 0 ? applyJsonPatch(base, patches) : base;
  } catch (err) {
    return { ok: false, error: `override for cluster ${input.cluster.name} does not apply: ${(err as Error).message}` };
  }
  if (!isRecord(object) || !isRecord(object.metadata)) return { ok: false, error: "overrides removed the object's metadata" };
  if (object.apiVersion !== input.template.apiVersion || object.kind !== input.template.kind || object.metadata.name !== input.template.metadata.name) {
    return { ok: false, error: 'overrides may not change apiVersion, kind or metadata.name' };
  }
  const overridesReplicas = patches.some((p) => p.path === '/spec/replicas' || p.path === '/spec');
  const spec = isRecord(object['spec']) ? object['spec'] : undefined;
  if (input.replicas !== undefined && !overridesReplicas && (REPLICATED_KINDS.has(object.kind) || typeof spec?.['replicas'] === 'number')) {
    object['spec'] = { ...(spec ?? {}), replicas: input.replicas };
  }
  const finalSpec = isRecord(object['spec']) ? object['spec'] : undefined;
  const replicas = typeof finalSpec?.['replicas'] === 'number' ? finalSpec['replicas'] : REPLICATED_KINDS.has(object.kind) ? 1 : undefined;
  // A ClusterPropagatedObject (namespace '') places a cluster-scoped object: it has no namespace.
  if (input.namespace) object.metadata.namespace = input.namespace;
  else delete object.metadata.namespace;
  object.metadata.labels = {
    ...(object.metadata.labels ?? {}),
    ...(input.tenantLabels ?? {}),
    [LABEL_MANAGED_BY]: MANAGED_BY_VALUE,
    [LABEL_PROPAGATED_OBJECT]: propagatedObjectLabelValue(input.namespace, input.name),
  };
  object.metadata.annotations = { ...(object.metadata.annotations ?? {}), [ANNOTATION_PROPAGATED_OBJECT]: `${input.namespace}/${input.name}` };
  return { ok: true, object, replicas };
}
