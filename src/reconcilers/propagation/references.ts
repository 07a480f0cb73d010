/**
 * The namespaced objects a workload needs to start: what its pod template
 * references by name. These follow the workload onto every cluster it is
 * placed on, since a Deployment whose ConfigMap is missing never becomes
 * ready there.
 */
import { isRecord, type JsonObject } from './portable.js';

export type DependencyKind = 'ConfigMap' | 'Secret' | 'ServiceAccount' | 'PersistentVolumeClaim';

export const DEPENDENCY_KINDS: readonly DependencyKind[] = ['ConfigMap', 'Secret', 'ServiceAccount', 'PersistentVolumeClaim'];

/** A dependency by kind and name (same namespace as the workload); `Kind/name` as a string key. */
export interface DependencyRef {
  readonly kind: DependencyKind;
  readonly name: string;
}

export function dependencyKey(ref: DependencyRef): string {
  return `${ref.kind}/${ref.name}`;
}

export function parseDependencyKey(key: string): DependencyRef {
  const slash = key.indexOf('/');
  return { kind: key.slice(0, slash) as DependencyKind, name: key.slice(slash + 1) };
}

/**
 * The pod spec of a Pod, of anything with `spec.template` (Deployment,
 * StatefulSet, DaemonSet, ReplicaSet, Job) or of a CronJob; undefined for
 * objects that run no pods.
 */
export function podSpecOf(object: { kind: string; [field: string]: unknown }): JsonObject | undefined {
  const spec = isRecord(object['spec']) ? object['spec'] : undefined;
  if (!spec) return undefined;
  if (object.kind === 'Pod') return spec;
  const template = spec['template'];
  if (isRecord(template) && isRecord(template['spec'])) return template['spec'];
  const jobTemplate = spec['jobTemplate'];
  if (isRecord(jobTemplate) && isRecord(jobTemplate['spec'])) return podSpecOf({ kind: 'Job', spec: jobTemplate['spec'] });
  return undefined;
}

function records(v: unknown): JsonObject[] {
  return Array.isArray(v) ? v.filter(isRecord) : [];
}

function nameOf(v: unknown): string | undefined {
  return isRecord(v) && typeof v['name'] === 'string' && v['name'] !== '' ? v['name'] : undefined;
}

/**
 * Every ConfigMap, Secret, ServiceAccount and PersistentVolumeClaim the
 * object's pod template names: volumes (including projected sources),
 * `envFrom`, `env[].valueFrom` of every container kind, `imagePullSecrets`
 * and `serviceAccountName`. The `default` ServiceAccount is left out: every
 * namespace has one. Sorted by kind then name, without duplicates.
 */
export function podTemplateDependencies(object: { kind: string; [field: string]: unknown }): DependencyRef[] {
  const pod = podSpecOf(object);
  if (!pod) return [];
  const found = new Map<string, DependencyRef>();
  const add = (kind: DependencyKind, name: string | undefined): void => {
    if (name) found.set(`${kind}/${name}`, { kind, name });
  };

  const sa =
    typeof pod['serviceAccountName'] === 'string' ? pod['serviceAccountName'] : typeof pod['serviceAccount'] === 'string' ? pod['serviceAccount'] : undefined;
  if (sa && sa !== 'default') add('ServiceAccount', sa);
  for (const s of records(pod['imagePullSecrets'])) add('Secret', nameOf(s));

  for (const v of records(pod['volumes'])) {
    if (isRecord(v['configMap'])) add('ConfigMap', nameOf(v['configMap']));
    if (isRecord(v['secret']) && typeof v['secret']['secretName'] === 'string') add('Secret', v['secret']['secretName']);
    if (isRecord(v['persistentVolumeClaim']) && typeof v['persistentVolumeClaim']['claimName'] === 'string') {
      add('PersistentVolumeClaim', v['persistentVolumeClaim']['claimName']);
    }
    if (isRecord(v['projected'])) {
      for (const src of records(v['projected']['sources'])) {
        if (isRecord(src['configMap'])) add('ConfigMap', nameOf(src['configMap']));
        if (isRecord(src['secret'])) add('Secret', nameOf(src['secret']));
      }
    }
    // Volume plugins that read credentials from a Secret in the pod's namespace.
    for (const plugin of ['cephfs', 'rbd', 'iscsi', 'flexVolume', 'azureFile', 'scaleIO', 'storageos', 'csi']) {
      const p = v[plugin];
      if (!isRecord(p)) continue;
      if (plugin === 'azureFile' && typeof p['secretName'] === 'string') add('Secret', p['secretName']);
      add('Secret', nameOf(p['secretRef']));
      add('Secret', nameOf(p['nodePublishSecretRef']));
    }
  }

  const containers = [...records(pod['initContainers']), ...records(pod['containers']), ...records(pod['ephemeralContainers'])];
  for (const c of containers) {
    for (const from of records(c['envFrom'])) {
      add('ConfigMap', nameOf(from['configMapRef']));
      add('Secret', nameOf(from['secretRef']));
    }
    for (const env of records(c['env'])) {
      const valueFrom = env['valueFrom'];
      if (!isRecord(valueFrom)) continue;
      add('ConfigMap', nameOf(valueFrom['configMapKeyRef']));
      add('Secret', nameOf(valueFrom['secretKeyRef']));
    }
  }

  const order = (r: DependencyRef) => DEPENDENCY_KINDS.indexOf(r.kind);
  return [...found.values()].sort((a, b) => order(a) - order(b) || (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
}
