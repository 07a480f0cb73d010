/**
 * What the engine needs to know about the object being placed, derived once
 * per object (cached by identity) instead of once per cluster.
 */
import { parseResourceList } from './quantity.js';
import type { PlacedObject } from './types.js';

/** Annotation with which an object asks for specific clusters: `a,b`. */
export const ANNOTATION_PLACEMENT_CLUSTERS = 'placement.canopy.dev/clusters';

export interface ObjectProfile {
  /** `apps` for `apps/v1`, `` for `v1`. */
  readonly group: string;
  readonly groupVersion: string;
  readonly kind: string;
  /** `spec.replicas`, or Kubernetes' default of 1 for replicated workload kinds; absent otherwise. */
  readonly replicas: number | undefined;
  /** Resource requests of one replica (one pod), including `pods: 1` for pod-bearing objects. */
  readonly requestsPerReplica: ReadonlyMap<string, number>;
  /** Pods the object runs when not divided (replicas, or 1 for a bare pod template). */
  readonly podCount: number;
  /** LoadBalancer Services the object creates on each cluster it lands on. */
  readonly loadBalancers: number;
  /** Clusters named by the `placement.canopy.dev/clusters` annotation, or undefined. */
  readonly pinnedClusters: readonly string[] | undefined;
}

const REPLICATED_KINDS = new Set(['Deployment', 'StatefulSet', 'ReplicaSet', 'ReplicationController']);
const cache = new WeakMap<PlacedObject, ObjectProfile>();

export function objectProfile(object: PlacedObject): ObjectProfile {
  let p = cache.get(object);
  if (!p) {
    p = build(object);
    cache.set(object, p);
  }
  return p;
}

type Json = Record<string, unknown>;

function isRecord(v: unknown): v is Json {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function build(object: PlacedObject): ObjectProfile {
  const slash = object.apiVersion.indexOf('/');
  const group = slash < 0 ? '' : object.apiVersion.slice(0, slash);
  const spec = isRecord(object.spec) ? object.spec : {};
  const podSpec = findPodSpec(object.kind, spec);
  const replicas =
    typeof spec['replicas'] === 'number' && Number.isInteger(spec['replicas']) && spec['replicas'] >= 0
      ? spec['replicas']
      : REPLICATED_KINDS.has(object.kind)
        ? 1
        : undefined;
  const requestsPerReplica = podSpec ? podRequests(podSpec) : new Map<string, number>();
  const annotation = object.metadata.annotations?.[ANNOTATION_PLACEMENT_CLUSTERS];
  const pinned = annotation
    ?.split(',')
    .map((s) => s.trim())
    .filter((s) => s.length > 0);
  return {
    group,
    groupVersion: object.apiVersion,
    kind: object.kind,
    replicas,
    requestsPerReplica,
    podCount: podSpec ? (replicas ?? 1) : 0,
    loadBalancers: object.kind === 'Service' && object.apiVersion === 'v1' && spec['type'] === 'LoadBalancer' ? 1 : 0,
    pinnedClusters: pinned && pinned.length > 0 ? [...new Set(pinned)] : undefined,
  };
}

/** The pod spec of a Pod or of any object with a pod template (including CronJob's job template). */
function findPodSpec(kind: string, spec: Json): Json | undefined {
  if (kind === 'Pod') return spec;
  const template = spec['template'];
  if (isRecord(template) && isRecord(template['spec'])) return template['spec'];
  const jobTemplate = spec['jobTemplate'];
  if (isRecord(jobTemplate) && isRecord(jobTemplate['spec'])) return findPodSpec('Job', jobTemplate['spec']);
  return undefined;
}

/**
 * Effective pod requests as the kube-scheduler computes them: the sum of
 * app containers (and restartable init "sidecars"), or the largest plain init
 * container if that is bigger, plus pod overhead. Limits stand in for missing
 * requests, as the apiserver defaults them.
 */
function podRequests(podSpec: Json): Map<string, number> {
  const sum = new Map<string, number>();
  const initMax = new Map<string, number>();
  const add = (target: Map<string, number>, r: Map<string, number>, mode: 'sum' | 'max'): void => {
    for (const [k, v] of r) target.set(k, mode === 'sum' ? (target.get(k) ?? 0) + v : Math.max(target.get(k) ?? 0, v));
  };
  for (const c of list(podSpec['containers'])) add(sum, containerRequests(c), 'sum');
  for (const c of list(podSpec['initContainers'])) {
    add(c['restartPolicy'] === 'Always' ? sum : initMax, containerRequests(c), c['restartPolicy'] === 'Always' ? 'sum' : 'max');
  }
  add(sum, initMax, 'max');
  if (isRecord(podSpec['overhead'])) add(sum, parseResourceList(podSpec['overhead'] as Record<string, string>), 'sum');
  sum.set('pods', 1);
  return sum;
}

function containerRequests(c: Json): Map<string, number> {
  const resources = isRecord(c['resources']) ? c['resources'] : {};
  const requests = isRecord(resources['requests']) ? parseResourceList(resources['requests'] as Record<string, string>) : new Map<string, number>();
  if (isRecord(resources['limits'])) {
    for (const [k, v] of parseResourceList(resources['limits'] as Record<string, string>)) if (!requests.has(k)) requests.set(k, v);
  }
  return requests;
}

function list(v: unknown): Json[] {
  return Array.isArray(v) ? v.filter(isRecord) : [];
}
