/**
 * Workspace forest and propagation planning (the pure core, no I/O).
 *
 *   npx tsx bench/forest.bench.ts
 *
 * Three forests: a 1,111-workspace tree (fan-out 10, depth 3), a 50-deep
 * chain, and a 10,000-workspace tree (fan-out 10, breadth-first to 10,000,
 * depth 4). Every leaf workspace has one LogicalCluster namespace; every
 * non-leaf home namespace holds three RoleBindings, already copied everywhere
 * below (the existing state is consistent before each measurement).
 *
 * Measured, each the median of RUNS after a warm-up:
 * - build: all setWorkspace/attachNamespace calls, then effective constraints
 *   of every workspace (cold derived state);
 * - add one source: planSourceChange for a new RoleBinding at the top;
 * - re-parent: moving a subtree to another branch (t-0-0 from t-0 to t-1, so
 *   it loses t-0's copies and gains t-1's; on the chain, c25 from c24 to c10,
 *   losing c10..c24's), i.e. forest.setWorkspace plus
 *   recomputing the moved workspaces' effective constraints ("forest"), then
 *   planReparent ("plan");
 * - full re-plan: planSubtree from every root, what re-propagating every
 *   object on each hierarchy change (HNC's approach) would cost.
 *
 * Prints a Markdown table and writes bench/results/workspace-forest.json.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Forest } from '../src/hierarchy/forest.js';
import { type ExistingObject, indexByNamespace, type SourceObject } from '../src/reconcilers/inheritance/objects.js';
import { desiredCopies, planReparent, planSourceChange, planSubtree, type PropagationInput } from '../src/reconcilers/inheritance/plan.js';

const RUNS = 15;
const here = dirname(fileURLToPath(import.meta.url));

interface Shape {
  name: string;
  /** [workspace, parent] in creation order. */
  edges: Array<[string, string]>;
  /** The subtree to move and its old and new parents. */
  move: { workspace: string; from: string; to: string };
}

function tree(name: string, fanOut: number, limit: number): Shape {
  const edges: Array<[string, string]> = [['t', '']];
  const queue = ['t'];
  while (queue.length > 0 && edges.length < limit) {
    const parent = queue.shift()!;
    for (let i = 0; i < fanOut && edges.length < limit; i++) {
      const child = `${parent}-${i}`;
      edges.push([child, parent]);
      queue.push(child);
    }
  }
  return { name, edges, move: { workspace: 't-0-0', from: 't-0', to: 't-1' } };
}

function chain(length: number): Shape {
  const edges: Array<[string, string]> = Array.from({ length }, (_, i) => [`c${i}`, i === 0 ? '' : `c${i - 1}`]);
  return { name: `${length}-deep chain`, edges, move: { workspace: 'c25', from: 'c24', to: 'c10' } };
}

function rb(namespace: string, name: string): SourceObject {
  return { apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'RoleBinding', name, namespace, hash: `${namespace}/${name}` };
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)]!;
}

/** Median wall ms and median CPU ms of `runs` calls to fn, after one warm-up call. */
function measure(runs: number, fn: () => void, between?: () => void): { wall: number; cpu: number } {
  fn();
  between?.();
  const walls: number[] = [];
  const cpusUsed: number[] = [];
  for (let i = 0; i < runs; i++) {
    const cpu0 = process.cpuUsage();
    const t0 = performance.now();
    fn();
    walls.push(performance.now() - t0);
    const cpu = process.cpuUsage(cpu0);
    cpusUsed.push((cpu.user + cpu.system) / 1000);
    between?.();
  }
  return { wall: median(walls), cpu: median(cpusUsed) };
}

function build(shape: Shape): Forest {
  const forest = new Forest();
  for (const [ws, parent] of shape.edges) forest.setWorkspace(ws, parent, { constraints: { regions: ['eu-1', 'eu-2'] } });
  for (const ws of forest.workspaces()) {
    if (forest.children(ws).length === 0) forest.attachNamespace(`lc-${ws}`, ws, `lc-${ws}`);
  }
  for (const ws of forest.workspaces()) forest.effectiveConstraints(ws);
  return forest;
}

function run(shape: Shape) {
  const buildTime = measure(5, () => void build(shape));
  const forest = build(shape);
  const sources = forest
    .workspaces()
    .filter((ws) => forest.children(ws).length > 0)
    .flatMap((ws) => [0, 1, 2].map((i) => rb(ws, `rb-${ws}-${i}`)));
  const existing: ExistingObject[] = [];
  for (const [ns, copies] of desiredCopies(forest, indexByNamespace(sources))) {
    for (const source of copies.values()) {
      existing.push({
        ...source,
        namespace: ns,
        labels: { 'canopy.dev/inherited-from': source.namespace, 'canopy.dev/managed-by': 'canopy' },
      });
    }
  }
  const namespaces = forest.workspaces().length + forest.workspaces().reduce((n, ws) => n + forest.attachedNamespaces(ws).length, 0);
  const top = forest.roots()[0]!;
  const added = rb(top, 'new-binding');
  const withAdded: PropagationInput = {
    forest,
    sources: indexByNamespace([...sources, added]),
    existing: indexByNamespace([...sources, added, ...existing]),
  };
  const addPlan = planSourceChange(withAdded, added);
  const addTime = measure(RUNS, () => void planSourceChange(withAdded, added));

  const input: PropagationInput = { forest, sources: indexByNamespace(sources), existing: indexByNamespace([...sources, ...existing]) };
  const { workspace, from, to } = shape.move;
  const moved = forest.subtree(workspace);
  const forestTime = measure(
    RUNS,
    () => {
      forest.setWorkspace(workspace, to, forest.dataOf(workspace));
      for (const ws of moved) forest.effectiveConstraints(ws);
    },
    () => void forest.setWorkspace(workspace, from, forest.dataOf(workspace)),
  );
  forest.setWorkspace(workspace, to, forest.dataOf(workspace));
  const reparent = planReparent(input, workspace);
  const planTime = measure(RUNS, () => void planReparent(input, workspace));
  forest.setWorkspace(workspace, from, forest.dataOf(workspace));

  const fullTime = measure(3, () => {
    for (const root of forest.roots()) planSubtree(input, root);
  });

  return {
    forest: shape.name,
    workspaces: forest.size,
    namespaces,
    sources: sources.length,
    copies: existing.length,
    build: buildTime,
    addOneSource: { ...addTime, visited: addPlan.visited, creates: addPlan.actions.length },
    reparent: {
      movedWorkspaces: moved.length,
      forest: forestTime,
      plan: planTime,
      visited: reparent.visited,
      add: reparent.add.length,
      remove: reparent.remove.length,
      update: reparent.update.length,
    },
    fullReplan: fullTime,
  };
}

const results = [tree('1,111 tree (fan-out 10, depth 3)', 10, 1111), chain(50), tree('10,000 tree (fan-out 10, depth 4)', 10, 10_000)].map(run);

const fmt = (ms: number): string => (ms < 1 ? ms.toFixed(3) : ms < 100 ? ms.toFixed(2) : ms.toFixed(0));
// CPU time is the core's own cost; wall time on a shared machine includes other processes.
const both = (t: { wall: number; cpu: number }): string => `${fmt(t.cpu)} (${fmt(t.wall)})`;
console.log(
  `Node ${process.version}, ${cpus().length} × ${cpus()[0]?.model ?? 'cpu'}, load average ${loadavg()
    .map((l) => l.toFixed(1))
    .join(' ')}`,
);
console.log('');
console.log('Times in ms: CPU (wall), medians.');
console.log('');
console.log(
  '| forest | workspaces | namespaces | copies | build + warm | add one source | visited | creates | re-parent: moved | forest update | plan | visited | add / remove / update | full re-plan |',
);
console.log('| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |');
for (const r of results) {
  console.log(
    `| ${r.forest} | ${r.workspaces.toLocaleString('en')} | ${r.namespaces.toLocaleString('en')} | ${r.copies.toLocaleString('en')} | ${both(r.build)} | ` +
      `${both(r.addOneSource)} | ${r.addOneSource.visited.toLocaleString('en')} | ${r.addOneSource.creates.toLocaleString('en')} | ` +
      `${r.reparent.movedWorkspaces.toLocaleString('en')} | ${both(r.reparent.forest)} | ${both(r.reparent.plan)} | ` +
      `${r.reparent.visited.toLocaleString('en')} | ${r.reparent.add} / ${r.reparent.remove} / ${r.reparent.update} | ${both(r.fullReplan)} |`,
  );
}

const out = join(here, 'results', 'workspace-forest.json');
mkdirSync(dirname(out), { recursive: true });
writeFileSync(out, `${JSON.stringify({ node: process.version, cpus: cpus().length, loadavg: loadavg(), runs: RUNS, results }, null, 2)}\n`);
console.log(`\nwrote ${out}`);
