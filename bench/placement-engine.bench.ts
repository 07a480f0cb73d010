/**
 * Placement engine throughput: decisions per second and per-decision latency
 * for 10,000 Deployments over 100 clusters with six plugins active, and how
 * that scales with 10, 100 and 1,000 clusters.
 *
 *   npx tsx bench/placement-engine.bench.ts            # full run
 *   npx tsx bench/placement-engine.bench.ts --quick    # smaller, for a smoke check
 *
 * Prints a Markdown table and writes bench/results/placement-engine.json.
 * Every pass runs on fresh copies of the inputs, so no pass profits from
 * caches a previous pass filled; "steady" repeats a pass over the same
 * objects and clusters, which is what a resync of an unchanged informer
 * cache does.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { schedule } from '../src/reconcilers/placement/engine.js';
import { workspaceConstraintsFilter } from '../src/reconcilers/placement/filters/workspace-constraints.js';
import { clusterSelectorFilter } from '../src/reconcilers/placement/filters/cluster-selector.js';
import { taintTolerationFilter } from '../src/reconcilers/placement/filters/taint-toleration.js';
import { rulesFilter } from '../src/reconcilers/placement/filters/rules.js';
import { capacityFilter } from '../src/reconcilers/placement/filters/capacity.js';
import { costScore } from '../src/reconcilers/placement/scores/cost.js';
import { defaultRegistry, PluginRegistry } from '../src/reconcilers/placement/registry.js';
import { cluster, deployment, policy, rng, workspace } from '../test/support/placement-fixtures.js';
import type { Cluster, PlacedObject, ScheduleInput } from '../src/reconcilers/placement/types.js';

const quick = process.argv.includes('--quick');
const OBJECTS = quick ? 1_000 : 10_000;
const SCALING_OBJECTS = quick ? 300 : 2_000;
const REGIONS = ['eu-1', 'eu-2', 'eu-3', 'us-1', 'us-2', 'ap-1'];

/** The six plugins of the headline number (WorkspaceConstraints always runs). */
const SIX = new PluginRegistry([clusterSelectorFilter, taintTolerationFilter, capacityFilter, rulesFilter], [costScore]);
const SIX_NAMES = [workspaceConstraintsFilter, clusterSelectorFilter, taintTolerationFilter, capacityFilter, rulesFilter, costScore].map((p) => p.name);

function makeClusters(n: number, seed: number): Cluster[] {
  const random = rng(seed);
  return Array.from({ length: n }, (_, i) => {
    const region = REGIONS[i % REGIONS.length]!;
    const onprem = random() < 0.3;
    return cluster(`c-${String(i).padStart(4, '0')}`, {
      region,
      provider: onprem ? 'onprem' : 'cloud',
      labels: {
        'canopy.dev/onprem': String(onprem),
        tier: random() < 0.5 ? 'gold' : 'silver',
        'compliance/pci': String(random() < 0.6),
        'topology.kubernetes.io/region': region,
      },
      taints: random() < 0.1 ? [{ key: 'dedicated', value: 'gpu', effect: 'NoSchedule' }] : [],
      allocatable: { cpu: String(16 + Math.floor(random() * 240)), memory: `${64 + Math.floor(random() * 960)}Gi`, pods: '1100' },
      pricing: { cpuHour: 0.01 + random() * 0.05, memoryGiBHour: 0.002 + random() * 0.006, loadBalancerHour: 0.025 },
    });
  });
}

function makeObjects(n: number, seed: number): PlacedObject[] {
  const random = rng(seed);
  const levels = ['low', 'medium', 'high'];
  return Array.from({ length: n }, (_, i) =>
    deployment(`app-${i}`, {
      namespace: `team-${i % 50}`,
      replicas: 1 + Math.floor(random() * 12),
      cpu: `${100 * (1 + Math.floor(random() * 10))}m`,
      memory: `${128 * (1 + Math.floor(random() * 16))}Mi`,
      labels: { criticality: levels[Math.floor(random() * levels.length)]!, team: `team-${i % 50}` },
    }),
  );
}

const benchPolicy = policy(
  {
    resourceSelectors: [{ apiVersion: 'apps/v1', kind: 'Deployment' }],
    clusterSelector: { matchExpressions: [{ key: 'compliance/pci', operator: 'In', values: ['true'] }] },
    rules: [
      {
        expression: "object.metadata.labels.criticality == 'low' || cluster.metadata.labels['canopy.dev/onprem'] == 'true'",
        message: 'only criticality low may run outside on-prem clusters',
      },
    ],
    cost: 'LowestFirst',
    preferences: [{ weight: 50, clusterSelector: { matchLabels: { tier: 'gold' } } }],
    spread: { topologyKey: 'region', minGroups: 2 },
    replicas: { strategy: 'Divide', maxClusters: 5 },
  },
  'bench',
);
const benchWorkspace = workspace('acme', { regions: ['eu-1', 'eu-2', 'eu-3', 'us-1'] });

interface PassResult {
  decisions: number;
  /** Wall clock: what a caller waits, including time the shared machine gave to others. */
  decisionsPerSecond: number;
  meanUs: number;
  p50Us: number;
  p99Us: number;
  maxUs: number;
  /** Process CPU time (all threads, GC included): the engine's own cost, independent of machine load. */
  decisionsPerCpuSecond: number;
  cpuP50Us: number;
  cpuP99Us: number;
  scheduled: number;
}

function pass(inputs: readonly ScheduleInput[], registry: PluginRegistry): PassResult {
  const wall = new Float64Array(inputs.length);
  const cpu = new Float64Array(inputs.length);
  let scheduled = 0;
  const start = performance.now();
  const cpuStart = process.cpuUsage();
  for (let i = 0; i < inputs.length; i++) {
    const c0 = process.cpuUsage();
    const t0 = performance.now();
    const r = schedule(inputs[i]!, { registry });
    wall[i] = (performance.now() - t0) * 1000;
    const c1 = process.cpuUsage(c0);
    cpu[i] = c1.user + c1.system;
    if (r.condition.reason === 'Scheduled') scheduled++;
  }
  const totalMs = performance.now() - start;
  const cpuUsed = process.cpuUsage(cpuStart);
  const cpuMs = (cpuUsed.user + cpuUsed.system) / 1000;
  wall.sort();
  cpu.sort();
  const q = (xs: Float64Array, p: number): number => round(xs[Math.min(xs.length - 1, Math.floor(p * xs.length))]!);
  return {
    decisions: inputs.length,
    decisionsPerSecond: Math.round((inputs.length / totalMs) * 1000),
    meanUs: round((totalMs / inputs.length) * 1000),
    p50Us: q(wall, 0.5),
    p99Us: q(wall, 0.99),
    maxUs: round(wall[wall.length - 1]!),
    decisionsPerCpuSecond: Math.round((inputs.length / cpuMs) * 1000),
    cpuP50Us: q(cpu, 0.5),
    cpuP99Us: q(cpu, 0.99),
    scheduled,
  };
}

function round(v: number): number {
  return Math.round(v * 10) / 10;
}

/** Fresh clusters and objects (new identities, so no cache from an earlier pass applies). */
function inputsFor(clusterCount: number, objectCount: number, seed: number): ScheduleInput[] {
  const clusters = makeClusters(clusterCount, seed);
  const now = Date.parse('2030-01-01T00:00:00Z');
  return makeObjects(objectCount, seed + 1).map((object) => ({ object, policy: benchPolicy, clusters, workspace: benchWorkspace, now }));
}

interface Row {
  scenario: string;
  clusters: number;
  plugins: string;
  cold: PassResult;
  steady: PassResult;
}

function measure(scenario: string, clusterCount: number, objectCount: number, registry: PluginRegistry, plugins: string, seed: number): Row {
  const inputs = inputsFor(clusterCount, objectCount, seed);
  const cold = pass(inputs, registry);
  const steady = pass(inputs, registry);
  return { scenario, clusters: clusterCount, plugins, cold, steady };
}

const loadAtStart = loadavg().map((x) => round(x));

// Warm up the JIT on separate data so the first measured pass is not also paying for compilation.
pass(inputsFor(100, 500, 1), SIX);
pass(inputsFor(100, 500, 2), defaultRegistry());

const rows: Row[] = [
  measure(`${OBJECTS.toLocaleString('en')} objects, six plugins`, 100, OBJECTS, SIX, SIX_NAMES.join(', '), 10),
  measure(
    `${OBJECTS.toLocaleString('en')} objects, all default plugins`,
    100,
    OBJECTS,
    defaultRegistry(),
    'all defaults (8 filters + 5 scores, as enabled)',
    20,
  ),
  ...[10, 100, 1000].map((n) => measure(`scaling, ${SCALING_OBJECTS.toLocaleString('en')} objects`, n, SCALING_OBJECTS, SIX, 'six', 30 + n)),
];

const n = (x: number): string => x.toLocaleString('en');
const header =
  '| scenario | clusters | pass | decisions/s (wall) | p50 µs | p99 µs | decisions/CPU-s | CPU p50 µs | CPU p99 µs | scheduled |\n' +
  '| --- | ---: | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |';
const lines = rows.flatMap((r) =>
  (['cold', 'steady'] as const).map((which) => {
    const p = r[which];
    return (
      `| ${r.scenario} | ${r.clusters} | ${which} | ${n(p.decisionsPerSecond)} | ${p.p50Us} | ${p.p99Us} | ` +
      `${n(p.decisionsPerCpuSecond)} | ${p.cpuP50Us} | ${p.cpuP99Us} | ${p.scheduled}/${p.decisions} |`
    );
  }),
);
const table = [header, ...lines].join('\n');
console.log(table);
console.log(
  `\nload average at start ${loadAtStart.join(' ')}, at end ${loadavg()
    .map((x) => round(x))
    .join(' ')} (${cpus().length} CPUs)`,
);

const environment = {
  node: process.version,
  cpu: cpus()[0]?.model ?? 'unknown',
  cpus: cpus().length,
  date: new Date().toISOString(),
  // The machine is shared; wall-clock numbers are only meaningful next to its load.
  loadAverageAtStart: loadAtStart,
  loadAverageAtEnd: loadavg().map((x) => round(x)),
  quick,
};
const out = join(dirname(fileURLToPath(import.meta.url)), 'results', 'placement-engine.json');
mkdirSync(dirname(out), { recursive: true });
writeFileSync(out, `${JSON.stringify({ benchmark: 'placement-engine', environment, sixPlugins: SIX_NAMES, rows, table }, null, 2)}\n`);
console.log(`\nwrote ${out}`);
