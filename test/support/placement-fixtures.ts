/**
 * Builders for placement inputs, shared by the unit tests and the benchmark.
 * They produce plain objects in the shape of the CRDs (docs/api-reference.md).
 */
import type { ResourceList } from '../../src/crds/common.js';
import type {
  APIEnablement,
  Cluster,
  PlacedObject,
  PlacementPolicy,
  PlacementPolicySpec,
  Pricing,
  Taint,
  WorkspaceContext,
  EffectiveConstraints,
} from '../../src/reconcilers/placement/types.js';

export interface ClusterOptions {
  region?: string;
  provider?: string;
  labels?: Record<string, string>;
  taints?: Taint[];
  /** `true` (default), `false` (Ready=False) or `missing` (no Ready condition). */
  ready?: boolean | 'missing';
  allocatable?: ResourceList;
  allocated?: ResourceList;
  pricing?: Pricing;
  apiEnablements?: APIEnablement[];
}

export function cluster(name: string, o: ClusterOptions = {}): Cluster {
  const ready = o.ready ?? true;
  return {
    metadata: { name, labels: o.labels ?? {} },
    spec: {
      region: o.region ?? 'eu-1',
      provider: o.provider ?? 'cloud',
      taints: o.taints ?? [],
      ...(o.pricing ? { pricing: o.pricing } : {}),
    },
    status: {
      conditions:
        ready === 'missing'
          ? []
          : [{ type: 'Ready', status: ready ? 'True' : 'False', reason: ready ? 'Probed' : 'ProbeFailed', message: ready ? '' : 'readyz timed out' }],
      ...(o.allocatable ? { allocatable: o.allocatable } : {}),
      ...(o.allocated ? { allocated: o.allocated } : {}),
      ...(o.apiEnablements ? { apiEnablements: o.apiEnablements } : {}),
    },
  };
}

export interface DeploymentOptions {
  replicas?: number;
  cpu?: string;
  memory?: string;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
  namespace?: string;
}

export function deployment(name: string, o: DeploymentOptions = {}): PlacedObject {
  const requests: Record<string, string> = {};
  if (o.cpu) requests['cpu'] = o.cpu;
  if (o.memory) requests['memory'] = o.memory;
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name, namespace: o.namespace ?? 'team-a', labels: o.labels ?? {}, annotations: o.annotations ?? {} },
    spec: {
      replicas: o.replicas ?? 1,
      selector: { matchLabels: { app: name } },
      template: {
        metadata: { labels: { app: name } },
        spec: { containers: [{ name: 'app', image: 'registry.example/app:1', resources: { requests } }] },
      },
    },
  };
}

export function policy(spec: PlacementPolicySpec, name = 'default'): PlacementPolicy {
  return { metadata: { name }, spec };
}

export function workspace(name: string, constraints?: EffectiveConstraints, extra: Partial<WorkspaceContext> = {}): WorkspaceContext {
  return { name, path: `root:${name}`, ...(constraints ? { constraints } : {}), ...extra };
}

/** Deterministic PRNG (mulberry32) for property-style tests and the benchmark's data. */
export { mulberry32 as rng } from './random.js';
