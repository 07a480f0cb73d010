/**
 * Turns an object read from one cluster into a manifest that can be applied
 * to another: no server-set metadata, no status, and none of the fields the
 * source cluster assigned itself (a Service's cluster IP, a PVC's bound
 * volume, a Job's generated selector), which would be wrong or rejected
 * elsewhere.
 */

export type JsonObject = Record<string, unknown>;

/** An object as it travels to a member cluster: apiVersion and kind always set, any other field kept as is. */
export interface PortableObject {
  apiVersion: string;
  kind: string;
  metadata: {
    name?: string;
    namespace?: string;
    labels?: Record<string, string>;
    annotations?: Record<string, string>;
    [field: string]: unknown;
  };
  [field: string]: unknown;
}

/**
 * A deep copy of a JSON value (what informers and the apiserver hand out).
 * About twice as fast as structuredClone for these shapes, and the syncer
 * copies a template for every cluster of every reconcile.
 */
export function cloneJson<T>(value: T): T {
  return value === undefined ? value : (JSON.parse(JSON.stringify(value)) as T);
}

export function isRecord(v: unknown): v is JsonObject {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** Metadata the apiserver owns; everything else in metadata is kept. */
const SERVER_METADATA = [
  'uid',
  'resourceVersion',
  'generation',
  'creationTimestamp',
  'deletionTimestamp',
  'deletionGracePeriodSeconds',
  'managedFields',
  'ownerReferences',
  'selfLink',
  'finalizers',
  'generateName',
  'namespace',
];

/** Annotations that describe the source object's history, not the desired state. */
const SERVER_ANNOTATION_PREFIXES = [
  'kubectl.kubernetes.io/last-applied-configuration',
  'deployment.kubernetes.io/',
  'pv.kubernetes.io/',
  'volume.kubernetes.io/',
  'volume.beta.kubernetes.io/',
  'kubernetes.io/service-account.',
  'control-plane.alpha.kubernetes.io/',
];

/**
 * A deep copy of `object` without status, server-set metadata and
 * cluster-assigned fields. `metadata.namespace` is dropped too: the caller
 * decides where the copy goes.
 */
export function portableObject<T extends PortableObject>(object: T): T {
  const copy = cloneJson(object);
  delete copy['status'];
  const meta = copy.metadata;
  for (const f of SERVER_METADATA) delete meta[f];
  if (meta.annotations) {
    for (const k of Object.keys(meta.annotations)) {
      if (SERVER_ANNOTATION_PREFIXES.some((p) => k.startsWith(p))) delete meta.annotations[k];
    }
    if (Object.keys(meta.annotations).length === 0) delete meta.annotations;
  }
  stripAssignedFields(copy);
  return copy;
}

function stripAssignedFields(object: PortableObject): void {
  const spec = isRecord(object['spec']) ? object['spec'] : undefined;
  switch (`${object.apiVersion}/${object.kind}`) {
    case 'v1/Service':
      if (!spec) return;
      // A headless Service keeps clusterIP None; an allocated IP belongs to the source cluster.
      if (spec['clusterIP'] !== 'None') {
        delete spec['clusterIP'];
        delete spec['clusterIPs'];
      }
      delete spec['healthCheckNodePort'];
      if (Array.isArray(spec['ports'])) for (const p of spec['ports']) if (isRecord(p)) delete p['nodePort'];
      return;
    case 'v1/PersistentVolumeClaim':
      if (spec) delete spec['volumeName'];
      return;
    case 'v1/ServiceAccount':
      // Token Secrets listed here exist only on the source cluster.
      delete object['secrets'];
      return;
    case 'v1/Pod':
      if (spec) delete spec['nodeName'];
      return;
    case 'batch/v1/Job':
      stripJobSelector(spec);
      return;
  }
}

/** A Job's selector and pod labels are generated from its uid unless manualSelector is set. */
function stripJobSelector(spec: JsonObject | undefined): void {
  if (!spec || spec['manualSelector'] === true) return;
  delete spec['selector'];
  const template = isRecord(spec['template']) ? spec['template'] : undefined;
  const meta = template && isRecord(template['metadata']) ? template['metadata'] : undefined;
  const labels = meta && isRecord(meta['labels']) ? meta['labels'] : undefined;
  if (!labels) return;
  for (const k of ['controller-uid', 'batch.kubernetes.io/controller-uid', 'job-name', 'batch.kubernetes.io/job-name']) delete labels[k];
}
