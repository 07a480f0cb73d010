/**
 * One workload description, two systems' objects. The head-to-head benchmark
 * (karmada.bench.ts) creates exactly what this returns, so both systems are
 * asked for the same job: N plain Deployments in one namespace, placed on the
 * same members, duplicated or divided by the same static weights.
 *
 * - Canopy: a Workspace, its namespace, one cluster-scoped PlacementPolicy
 *   selecting the Deployments of that workspace, and the Deployments (the
 *   operator generates one PropagatedObject per Deployment — its idiomatic
 *   path for plain objects, as Karmada's is for resource templates).
 * - Karmada: the namespace, one PropagationPolicy selecting the Deployments of
 *   that namespace, and the same Deployments.
 *
 * Pure: no I/O, so the translation is unit-tested (workload.test.ts).
 */

export type PlacementMode = { readonly kind: 'Duplicate' } | { readonly kind: 'Divide'; readonly weights: Readonly<Record<string, number>> };

export interface WorkloadDescription {
  /** Namespace the Deployments live in (on the control plane and on every member). */
  readonly namespace: string;
  /** Name of the policy on both sides (and of Canopy's Workspace). */
  readonly name: string;
  readonly count: number;
  /** spec.replicas of every Deployment. */
  readonly replicas: number;
  /** Member clusters, by name, the same on both sides. */
  readonly clusters: readonly string[];
  readonly mode: PlacementMode;
  /**
   * Failover on an unreachable member after this many seconds (Canopy's
   * failover.tolerationSeconds; Karmada's clusterTolerations on the
   * not-ready/unreachable NoExecute taints). Absent: no failover settings.
   */
  readonly failoverTolerationSeconds?: number;
}

/** A Kubernetes object as plain JSON. */
export interface Manifest {
  readonly apiVersion: string;
  readonly kind: string;
  readonly metadata: { readonly name: string; readonly namespace?: string; readonly labels?: Readonly<Record<string, string>> };
  readonly [field: string]: unknown;
}

export interface SystemObjects {
  /** Created first and waited on (namespace, workspace, policy). */
  readonly setup: readonly Manifest[];
  /** The N workloads, created after the setup: what the clock measures. */
  readonly workloads: readonly Manifest[];
}

/**
 * Canopy's knobs for the same job: PropagatedObjects synced at once and status
 * writes in flight. It has no client QPS limit; its work-queue retry bucket
 * (10/s, burst 100, as client-go's) has no flag and applies to retries only.
 */
export const CANOPY_TUNING = {
  shipped: {},
  lifted: { concurrency: 64, statusConcurrency: 64 },
} as const;

export const CANOPY_WORKSPACE_LABEL = 'canopy.dev/workspace';
/** Karmada's taint keys for a cluster whose Ready condition is False / Unknown. */
export const KARMADA_NOT_READY_TAINT = 'cluster.karmada.io/not-ready';
export const KARMADA_UNREACHABLE_TAINT = 'cluster.karmada.io/unreachable';

export function workloadName(index: number): string {
  return `app-${index}`;
}

/** The Deployment both systems propagate (the shape bench/propagation.bench.ts uses). */
export function deployment(namespace: string, name: string, replicas: number): Manifest {
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name, namespace, labels: { app: name } },
    spec: {
      replicas,
      selector: { matchLabels: { app: name } },
      template: { metadata: { labels: { app: name } }, spec: { containers: [{ name: 'app', image: 'nginx:1.27' }] } },
    },
  };
}

function validate(d: WorkloadDescription): void {
  if (!Number.isInteger(d.count) || d.count < 1) throw new Error(`count must be a positive integer, got ${d.count}`);
  if (!Number.isInteger(d.replicas) || d.replicas < 0) throw new Error(`replicas must be a non-negative integer, got ${d.replicas}`);
  if (d.clusters.length === 0) throw new Error('at least one cluster is needed');
  if (new Set(d.clusters).size !== d.clusters.length) throw new Error(`clusters repeat: ${d.clusters.join(', ')}`);
  if (d.mode.kind === 'Divide') {
    const named = Object.keys(d.mode.weights);
    const unknown = named.filter((c) => !d.clusters.includes(c));
    if (unknown.length > 0) throw new Error(`weights name clusters outside the description: ${unknown.join(', ')}`);
    const weights = d.mode.weights;
    const missing = d.clusters.filter((c) => !(c in weights));
    if (missing.length > 0) throw new Error(`every cluster needs a weight; missing: ${missing.join(', ')}`);
    for (const [c, w] of Object.entries(d.mode.weights)) if (!Number.isInteger(w) || w < 0) throw new Error(`weight of ${c} must be a non-negative integer`);
    if (Object.values(d.mode.weights).every((w) => w === 0)) throw new Error('at least one weight must be positive');
  }
}

function workloads(d: WorkloadDescription): Manifest[] {
  return Array.from({ length: d.count }, (_, i) => deployment(d.namespace, workloadName(i), d.replicas));
}

/**
 * Replicas each cluster should carry for one Deployment. Both systems divide
 * by static weights with a largest-remainder split; the benchmark checks the
 * member copies against this, so a description whose split the two systems
 * round differently is rejected here (remainders must be unambiguous).
 */
export function expectedReplicas(d: WorkloadDescription): Record<string, number> {
  validate(d);
  if (d.mode.kind === 'Duplicate') return Object.fromEntries(d.clusters.map((c) => [c, d.replicas]));
  const weights = d.mode.weights;
  const total = d.clusters.reduce((s, c) => s + (weights[c] ?? 0), 0);
  const exact = d.clusters.map((c) => ((weights[c] ?? 0) * d.replicas) / total);
  const floors = exact.map(Math.floor);
  const rest = d.replicas - floors.reduce((s, v) => s + v, 0);
  if (rest > 0) {
    const fractions = exact.map((v, i) => v - floors[i]!);
    const sorted = [...fractions].sort((a, b) => b - a);
    // A tie at the cut means the systems' tie-breaks (name order, weight order, random) decide.
    if (sorted[rest - 1] === sorted[rest]) throw new Error('these weights and replicas leave a tie in the division; choose a split without one');
    const cut = sorted[rest - 1]!;
    fractions.forEach((f, i) => {
      if (f >= cut) floors[i]! += 1;
    });
  }
  return Object.fromEntries(d.clusters.map((c, i) => [c, floors[i]!]).filter(([, r]) => (r as number) > 0));
}

/** Canopy: Workspace + labelled namespace + PlacementPolicy, then the plain Deployments. */
export function canopyObjects(d: WorkloadDescription): SystemObjects {
  validate(d);
  const replicas =
    d.mode.kind === 'Duplicate'
      ? { strategy: 'Duplicate' }
      : {
          strategy: 'Divide',
          weights: d.clusters.map((cluster) => ({ cluster, weight: (d.mode as { weights: Record<string, number> }).weights[cluster] ?? 0 })),
        };
  const policy: Manifest = {
    apiVersion: 'canopy.dev/v1alpha1',
    kind: 'PlacementPolicy',
    metadata: { name: d.name },
    spec: {
      resourceSelectors: [{ apiVersion: 'apps/v1', kind: 'Deployment', workspace: d.name }],
      // The members by name, as Karmada's clusterAffinity.clusterNames below.
      rules: [{ name: 'members', expression: `cluster.metadata.name in [${d.clusters.map((c) => `'${c}'`).join(', ')}]` }],
      replicas,
      ...(d.failoverTolerationSeconds !== undefined ? { failover: { enabled: true, tolerationSeconds: d.failoverTolerationSeconds } } : {}),
    },
  };
  return {
    setup: [
      { apiVersion: 'canopy.dev/v1alpha1', kind: 'Workspace', metadata: { name: d.name }, spec: {} },
      { apiVersion: 'v1', kind: 'Namespace', metadata: { name: d.namespace, labels: { [CANOPY_WORKSPACE_LABEL]: d.name } } },
      policy,
    ],
    workloads: workloads(d),
  };
}

/** Karmada: namespace + PropagationPolicy, then the same Deployments (resource templates). */
export function karmadaObjects(d: WorkloadDescription): SystemObjects {
  validate(d);
  const replicaScheduling =
    d.mode.kind === 'Duplicate'
      ? { replicaSchedulingType: 'Duplicated' }
      : {
          replicaSchedulingType: 'Divided',
          replicaDivisionPreference: 'Weighted',
          weightPreference: {
            staticWeightList: d.clusters.map((c) => ({
              targetCluster: { clusterNames: [c] },
              weight: (d.mode as { weights: Record<string, number> }).weights[c] ?? 0,
            })),
          },
        };
  const tolerations =
    d.failoverTolerationSeconds === undefined
      ? {}
      : {
          clusterTolerations: [KARMADA_NOT_READY_TAINT, KARMADA_UNREACHABLE_TAINT].map((key) => ({
            key,
            operator: 'Exists',
            effect: 'NoExecute',
            tolerationSeconds: d.failoverTolerationSeconds,
          })),
        };
  const policy: Manifest = {
    apiVersion: 'policy.karmada.io/v1alpha1',
    kind: 'PropagationPolicy',
    metadata: { name: d.name, namespace: d.namespace },
    spec: {
      resourceSelectors: [{ apiVersion: 'apps/v1', kind: 'Deployment' }],
      placement: { clusterAffinity: { clusterNames: [...d.clusters] }, replicaScheduling, ...tolerations },
    },
  };
  return {
    setup: [{ apiVersion: 'v1', kind: 'Namespace', metadata: { name: d.namespace } }, policy],
    workloads: workloads(d),
  };
}
