/**
 * Admission rules for pods (and the pod templates of workload objects) in a
 * tenant's namespaces: the pod-security level in force there (effective over
 * the workspace tree, `baseline` when nobody set one, as the LogicalCluster
 * reconciler materializes it) and the image registries its constraints allow.
 *
 * Tenant namespaces are those of a logical cluster and the workspaces' own
 * (home) namespaces: a home namespace is as much the workspace's as its
 * logical clusters are, and what runs there is propagated onto members just
 * the same, so it gets the workspace's effective constraints with the same
 * default level. A different default for home namespaces would make the
 * cheapest way around a logical cluster's limits "deploy one level up".
 *
 * The namespaces also carry Pod Security Admission labels; this check runs
 * first, covers workload templates (so a Deployment is refused instead of
 * silently never getting pods) and says which workspace set the limit.
 */
import { LABEL_LOGICAL_CLUSTER, LABEL_WORKSPACE } from '../crds/labels.js';
import { DEFAULT_POD_SECURITY } from '../crds/common.js';
import { effectiveConstraints, registryCovers, type ConstraintLevel } from '../hierarchy/constraints.js';
import type { AdmissionInput } from './request.js';
import { ancestry, type TreeView } from './tree.js';
import { allow, deny, type Verdict } from './verdict.js';

export const PodRules = {
  podSecurity: 'pod/pod-security',
  registry: 'pod/allowed-registries',
} as const;

type Json = Record<string, unknown>;

/** Any object with a pod spec somewhere: Pod, Deployment, CronJob, ... */
export interface WorkloadLike {
  readonly kind?: string;
  readonly metadata?: { readonly name?: string; readonly namespace?: string };
  readonly spec?: unknown;
}

/** Where the pod spec lives in each workload kind, as a path and its printable prefix. */
export function podSpecOf(object: WorkloadLike): { spec: Json; field: string } | undefined {
  const spec = asRecord(object.spec);
  if (!spec) return undefined;
  switch (object.kind) {
    case 'Pod':
      return { spec, field: 'spec' };
    case 'CronJob': {
      const pod = asRecord(asRecord(asRecord(asRecord(spec['jobTemplate'])?.['spec'])?.['template'])?.['spec']);
      return pod ? { spec: pod, field: 'spec.jobTemplate.spec.template.spec' } : undefined;
    }
    default: {
      const pod = asRecord(asRecord(spec['template'])?.['spec']);
      return pod ? { spec: pod, field: 'spec.template.spec' } : undefined;
    }
  }
}

export interface PodLimits {
  /** The logical cluster the namespace belongs to; absent in a workspace's own namespace. */
  readonly logicalCluster?: string;
  /** Where the limits apply, as messages name it: `logical cluster "shop"`, `the home namespace of workspace "acme"`. */
  readonly where: string;
  readonly level: string;
  /** Who set the level: `workspace acme`, or `the default` when nobody did. */
  readonly levelSetBy: string;
  readonly registries?: readonly string[];
  readonly registriesSetBy?: string;
}

/**
 * The limits that apply in a namespace, or undefined outside tenant
 * namespaces. A namespace is a tenant's when it carries `canopy.dev/workspace`
 * (set only by Canopy and administrators): with `canopy.dev/logical-cluster`
 * it is that logical cluster's, otherwise the workspace's own.
 */
export function podLimits(namespace: string, view: TreeView): PodLimits | undefined {
  const labels = view.namespace(namespace)?.metadata.labels ?? {};
  const lcName = labels[LABEL_LOGICAL_CLUSTER];
  const workspace = labels[LABEL_WORKSPACE];
  if (!workspace) return undefined;
  const levels: ConstraintLevel[] = ancestry(view, workspace)
    .nodes.map((n) => ({ workspace: `workspace ${n.name}`, constraints: n.workspace.spec?.constraints }))
    .reverse();
  const lc = lcName ? view.logicalClustersIn(workspace).find((l) => l.metadata.name === lcName) : undefined;
  if (lc?.spec.constraints) levels.push({ workspace: `logical cluster ${lcName}`, constraints: lc.spec.constraints });
  const effective = effectiveConstraints(levels);
  const registries = effective.constraints.allowedRegistries;
  const where = lcName
    ? `logical cluster "${lcName}"`
    : namespace === workspace
      ? `the home namespace of workspace "${workspace}"`
      : `namespace "${namespace}" of workspace "${workspace}"`;
  return {
    ...(lcName ? { logicalCluster: lcName } : {}),
    where,
    level: effective.constraints.podSecurity ?? DEFAULT_POD_SECURITY,
    levelSetBy: effective.origins.podSecurity ?? 'the default',
    ...(registries ? { registries, registriesSetBy: effective.origins.allowedRegistries ?? 'an ancestor workspace' } : {}),
  };
}

export function validateWorkload(input: AdmissionInput<WorkloadLike>, view: TreeView): Verdict {
  const object = input.object;
  if (input.operation === 'DELETE' || !object) return allow();
  const limits = podLimits(object.metadata?.namespace ?? input.namespace ?? '', view);
  if (!limits) return allow();
  const pod = podSpecOf(object);
  if (!pod) return allow();
  // Updates that leave the pod spec alone (labels, scaling, rollout pauses) are not re-judged against limits set since.
  const before = input.oldObject ? podSpecOf({ ...input.oldObject, kind: object.kind }) : undefined;
  if (before && JSON.stringify(before.spec) === JSON.stringify(pod.spec)) return allow();
  return checkPodSpec(pod.spec, pod.field, limits);
}

const BASELINE_CAPABILITIES = new Set([
  'AUDIT_WRITE',
  'CHOWN',
  'DAC_OVERRIDE',
  'FOWNER',
  'FSETID',
  'KILL',
  'MKNOD',
  'NET_BIND_SERVICE',
  'SETFCAP',
  'SETGID',
  'SETPCAP',
  'SETUID',
  'SYS_CHROOT',
]);
const CONTAINER_LISTS = ['initContainers', 'containers', 'ephemeralContainers'] as const;

/** The first pod-security or registry violation of a pod spec. */
export function checkPodSpec(spec: Json, field: string, limits: PodLimits): Verdict {
  const level = limits.level;
  const where = limits.where;
  const security = (path: string, what: string): Verdict =>
    deny(PodRules.podSecurity, `${field}.${path}`, `${what} is not allowed in ${where} (pod security level ${level}, set by ${limits.levelSetBy})`);
  const strict = level === 'baseline' || level === 'restricted';
  const restricted = level === 'restricted';

  if (strict) {
    for (const key of ['hostNetwork', 'hostPID', 'hostIPC'] as const) {
      if (spec[key] === true) return security(key, `${key}: true`);
    }
    for (const [i, volume] of asArray(spec['volumes']).entries()) {
      if (asRecord(volume)?.['hostPath'] !== undefined) return security(`volumes[${i}].hostPath`, 'a hostPath volume');
    }
  }
  const podContext = asRecord(spec['securityContext']) ?? {};
  for (const list of CONTAINER_LISTS) {
    for (const [i, raw] of asArray(spec[list]).entries()) {
      const container = asRecord(raw) ?? {};
      const at = `${list}[${i}]`;
      const sc = asRecord(container['securityContext']) ?? {};
      const caps = asRecord(sc['capabilities']) ?? {};
      const added = asArray(caps['add']).map(String);
      if (strict) {
        if (sc['privileged'] === true) return security(`${at}.securityContext.privileged`, 'a privileged container');
        for (const [j, port] of asArray(container['ports']).entries()) {
          const hostPort = asRecord(port)?.['hostPort'];
          if (typeof hostPort === 'number' && hostPort !== 0) return security(`${at}.ports[${j}].hostPort`, `hostPort ${hostPort}`);
        }
        const extra = added.filter((c) => !BASELINE_CAPABILITIES.has(c.replace(/^CAP_/, '')));
        if (extra.length > 0) return security(`${at}.securityContext.capabilities.add`, `adding capability ${extra.join(', ')}`);
      }
      if (restricted) {
        if (sc['allowPrivilegeEscalation'] !== false) {
          return security(`${at}.securityContext.allowPrivilegeEscalation`, 'a container without allowPrivilegeEscalation: false');
        }
        if (sc['runAsNonRoot'] !== true && !(podContext['runAsNonRoot'] === true && sc['runAsNonRoot'] !== false)) {
          return security(`${at}.securityContext.runAsNonRoot`, 'a container without runAsNonRoot: true');
        }
        if (!asArray(caps['drop']).map(String).includes('ALL')) {
          return security(`${at}.securityContext.capabilities.drop`, 'a container that does not drop ALL capabilities');
        }
        const beyond = added.filter((c) => c.replace(/^CAP_/, '') !== 'NET_BIND_SERVICE');
        if (beyond.length > 0) return security(`${at}.securityContext.capabilities.add`, `adding capability ${beyond.join(', ')}`);
        const seccomp = asRecord(sc['seccompProfile'])?.['type'] ?? asRecord(podContext['seccompProfile'])?.['type'];
        if (seccomp !== 'RuntimeDefault' && seccomp !== 'Localhost') {
          return security(`${at}.securityContext.seccompProfile.type`, 'a container without seccompProfile RuntimeDefault or Localhost');
        }
      }
      const image = container['image'];
      if (limits.registries && typeof image === 'string' && !imageAllowed(image, limits.registries)) {
        return deny(
          PodRules.registry,
          `${field}.${at}.image`,
          `image "${image}" is not from a registry allowed in ${where} (allowed: ${limits.registries.join(', ') || 'none'}, set by ${limits.registriesSetBy})`,
        );
      }
    }
  }
  return allow();
}

/** Whether an image reference lies under one of the prefixes, as written or fully qualified. */
export function imageAllowed(image: string, registries: readonly string[]): boolean {
  const path = image.split('@')[0]!;
  const candidates = [path, normalizeImage(path)];
  return registries.some((prefix) => candidates.some((c) => registryCovers(prefix, withoutTag(c)) || registryCovers(prefix, c)));
}

/** `nginx` → `docker.io/library/nginx`, `team/app` → `docker.io/team/app`, as the container runtime resolves them. */
export function normalizeImage(reference: string): string {
  const first = reference.split('/')[0]!;
  const hasRegistry = reference.includes('/') && (first.includes('.') || first.includes(':') || first === 'localhost');
  if (hasRegistry) return reference;
  return reference.includes('/') ? `docker.io/${reference}` : `docker.io/library/${reference}`;
}

function withoutTag(reference: string): string {
  const slash = reference.lastIndexOf('/');
  const colon = reference.lastIndexOf(':');
  return colon > slash ? reference.slice(0, colon) : reference;
}

function asRecord(value: unknown): Json | undefined {
  return typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as Json) : undefined;
}

function asArray(value: unknown): unknown[] {
  return Array.isArray(value) ? value : [];
}
