/**
 * Workspace propagation against a real apiserver (a private LocalEnvironment:
 * host only, no kube-controller-manager), operator in-process with only the
 * workspace feature registered.
 *
 *   npx tsx bench/workspace-propagation.bench.ts           # 111, 1,111, chain 10, chain 50 (+ HNC)
 *   npx tsx bench/workspace-propagation.bench.ts --quick   # 111 and chain 10, one round
 *   ... --no-hnc                                            # skip HNC
 *   ... --only=chain50                                      # one shape (tree111, tree1111, chain10, chain50)
 *   BENCH_DEBUG=1 ...                                       # operator debug log in .canopy/bench-workspace.log
 *
 * Per shape (a tree of fan-out 10, or a chain), once the tree is built and
 * the operator idle, ROUNDS rounds of, alternately:
 * - operator: one RoleBinding created in the root's home namespace; time
 *   until a watch has seen a copy in every descendant namespace; then the
 *   source deleted, time until every copy is gone;
 * - raw floor: a plain client creating the same RoleBindings (same body and
 *   labels, different name) in as many plain namespaces, with the same
 *   number of requests in flight as the operator's write pool, timed by the
 *   same kind of watch; then deleting them.
 * Also: namespaces the planner visited per source change (each descendant
 * once), and the memory of the propagated-object cache.
 * Then HNC (built from its Go module) on the same trees in the same apiserver,
 * with our operator stopped, timed the same way.
 *
 * Prints Markdown tables and writes bench/results/workspace-propagation.json.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { pino } from 'pino';
import { LocalEnvironment, repoRoot } from '../controlplane/launcher/index.js';
import { ApiClient, Manager, Resources, silentLogger, type KubeObject } from '../src/runtime/index.js';
import { installCrds } from '../src/dev/manifests.js';
import { LABEL_INHERITED_FROM, treeLabel } from '../src/crds/labels.js';
import { strip } from '../src/reconcilers/inheritance/content.js';
import { register as registerWorkspace, type WorkspaceFeature } from '../src/reconcilers/workspace/index.js';
import {
  CONCURRENCY,
  countingWatch,
  floorRound,
  http2Floor,
  median,
  pool,
  roleBinding,
  round,
  sleep,
  waitFor,
  watchUntil,
  type Timing,
} from './workspace-propagation-probes.js';
import { buildHnc, buildHncTree, HIERARCHY, HNC_INHERITED_FROM, HNC_VERSION, hncTreeLabel, startHnc, type HncBuild } from './workspace-propagation-hnc.js';

const quick = process.argv.includes('--quick');
const withHnc = !process.argv.includes('--no-hnc');
const ROUNDS = quick ? 1 : 5;
const here = dirname(fileURLToPath(import.meta.url));

setFlagsFromString('--expose_gc');
const gc = runInNewContext('gc') as () => void;

interface Shape {
  name: string;
  prefix: string;
  /** [namespace, parent] parents first. */
  edges: Array<[string, string]>;
  /**
   * A hierarchy change: `node` moves from `from` to `to` and back. RoleBinding
   * `branch` sits in `sources`; after the move its copies in node's subtree
   * come from `there` (none if undefined), after moving back from `back`.
   */
  move?: { node: string; from: string; to: string; sources: string[]; there: string | undefined; back: string | undefined };
}

function tree(prefix: string, fanOut: number, depth: number): Shape {
  const edges: Array<[string, string]> = [[prefix, '']];
  let level = [prefix];
  for (let d = 0; d < depth; d++) {
    const next: string[] = [];
    for (const parent of level) {
      for (let i = 0; i < fanOut; i++) {
        next.push(`${parent}-${i}`);
        edges.push([`${parent}-${i}`, parent]);
      }
    }
    level = next;
  }
  const move =
    depth >= 2
      ? { node: `${prefix}-0-0`, from: `${prefix}-0`, to: `${prefix}-1`, sources: [`${prefix}-0`, `${prefix}-1`], there: `${prefix}-1`, back: `${prefix}-0` }
      : undefined;
  return { name: `tree ${edges.length}`, prefix, edges, ...(move ? { move } : {}) };
}

function chain(prefix: string, length: number): Shape {
  const edges: Array<[string, string]> = [[`${prefix}-0`, '']];
  for (let i = 1; i < length; i++) edges.push([`${prefix}-${i}`, `${prefix}-${i - 1}`]);
  // The middle of the chain moves up past the source: its half of the chain loses those copies, then regains them.
  const m = Math.floor(length / 2);
  const move =
    length >= 10
      ? {
          node: `${prefix}-${m}`,
          from: `${prefix}-${m - 1}`,
          to: `${prefix}-${Math.floor(m / 5)}`,
          sources: [`${prefix}-${m - 2}`],
          there: undefined,
          back: `${prefix}-${m - 2}`,
        }
      : undefined;
  return { name: `chain ${length}`, prefix, edges, ...(move ? { move } : {}) };
}

/** The same shape under other names (HNC's namespaces live beside ours). */
function renamed(shape: Shape, rename: (name: string) => string): Shape {
  const move = shape.move;
  return {
    ...shape,
    edges: shape.edges.map(([ns, parent]) => [rename(ns), parent ? rename(parent) : '']),
    ...(move
      ? {
          move: {
            node: rename(move.node),
            from: rename(move.from),
            to: rename(move.to),
            sources: move.sources.map(rename),
            there: move.there && rename(move.there),
            back: move.back && rename(move.back),
          },
        }
      : {}),
  };
}

function subtreeOf(edges: ReadonlyArray<[string, string]>, node: string): string[] {
  const inside = new Set([node]);
  for (const [ns, parent] of edges) if (inside.has(parent)) inside.add(ns);
  return [...inside];
}

/** Moves shape.move.node there and back ROUNDS times; the times until the copies in its subtree were right. */
async function moveRounds(
  client: ApiClient,
  shape: Shape,
  labelKey: string,
  setParent: (node: string, parent: string) => Promise<unknown>,
  settle: () => Promise<void>,
): Promise<{ thereMs: number; backMs: number; namespaces: number } | undefined> {
  const move = shape.move;
  if (!move) return undefined;
  const targets = subtreeOf(shape.edges, move.node);
  await pool(move.sources.map((ns) => () => client.create(Resources.RoleBinding, roleBinding('branch', ns))));
  const ready = await watchUntil(client, 'branch', targets, labelKey, move.back);
  await ready.reached;
  await ready.stop();
  await settle();
  const there: number[] = [];
  const back: number[] = [];
  for (let r = 0; r < ROUNDS; r++) {
    for (const [parent, from, out] of [
      [move.to, move.there, there],
      [move.from, move.back, back],
    ] as const) {
      const watch = await watchUntil(client, 'branch', targets, labelKey, from);
      const t0 = performance.now();
      if (process.env.BENCH_DEBUG) console.log(`move ${move.node} under ${parent} at ${new Date().toISOString()}`);
      await setParent(move.node, parent);
      out.push((await watch.reached) - t0);
      await watch.stop();
      await settle();
    }
  }
  return { thereMs: round(median(there)), backMs: round(median(back)), namespaces: targets.length };
}

async function idle(feature: WorkspaceFeature): Promise<void> {
  const { workspace, treeLabels, propagation } = feature.controllers;
  let quietSince = Date.now();
  await waitFor(
    'the operator to go idle',
    () => {
      if (workspace.queueLength + treeLabels.queueLength + propagation.queueLength > 0) quietSince = Date.now();
      return Date.now() - quietSince > 1500;
    },
    600_000,
    50,
  );
}

async function operatorRound(client: ApiClient, shape: Shape, name: string, feature: WorkspaceFeature): Promise<Timing & { visited: number }> {
  const root = shape.edges[0]![0];
  const targets = new Set(shape.edges.slice(1).map(([ns]) => ns));
  const watch = await countingWatch(client, name, targets);
  const visitedBefore = feature.propagator.stats.visited;
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  await client.create(Resources.RoleBinding, roleBinding(name, root));
  const t1 = await watch.created;
  const cpu = process.cpuUsage(cpu0);
  const visited = feature.propagator.stats.visited - visitedBefore;
  if (process.env.BENCH_DEBUG) console.log(JSON.stringify(feature.propagator.stats));
  await idle(feature);
  const d0 = performance.now();
  if (process.env.BENCH_DEBUG) console.log(`delete ${name} at ${new Date().toISOString()}`);
  await client.delete(Resources.RoleBinding, name, root);
  const d1 = await watch.deleted();
  await watch.stop();
  await idle(feature);
  return { createMs: t1 - t0, deleteMs: d1 - d0, visited, createCpuMs: (cpu.user + cpu.system) / 1000 };
}

async function main(): Promise<void> {
  const started = Date.now();
  const env = await LocalEnvironment.start({ members: [], controllerManager: false, quiet: true });
  const results: Record<string, unknown> = {
    date: new Date().toISOString(),
    node: process.version,
    cpus: cpus().length,
    cpuModel: cpus()[0]?.model,
    concurrency: CONCURRENCY,
    rounds: ROUNDS,
  };
  try {
    const admin = env.host.kubeConfig();
    await installCrds(admin, join(repoRoot, 'config', 'crd'));
    const client = new ApiClient(admin);
    const logger = process.env.BENCH_DEBUG
      ? pino({ level: 'debug', timestamp: pino.stdTimeFunctions.isoTime }, pino.destination(join(repoRoot, '.canopy', 'bench-workspace.log')))
      : silentLogger();
    const manager = new Manager({ kubeConfig: env.host.kubeConfig(), leaderElection: false, metricsPort: false, healthPort: false, logger });
    const feature = registerWorkspace(manager, { writeConcurrency: CONCURRENCY });
    await manager.start();

    const only = process.argv.find((a) => a.startsWith('--only='))?.slice('--only='.length);
    const all = quick ? [tree('ta', 10, 2), chain('ca', 10)] : [tree('ta', 10, 2), tree('tb', 10, 3), chain('ca', 10), chain('cb', 50)];
    const shapes = only ? all.filter((shape) => shape.name.replace(/[ ,]/g, '') === only) : all;
    const rows: Array<Record<string, number | string>> = [];
    const loads: number[] = [];
    for (const shape of shapes) {
      const t0 = Date.now();
      for (const depthGroup of groupByDepth(shape.edges)) {
        await pool(
          depthGroup.map(
            ([ws, parent]) =>
              () =>
                client.create(Resources.Workspace, {
                  apiVersion: 'canopy.dev/v1alpha1',
                  kind: 'Workspace',
                  metadata: { name: ws },
                  spec: parent ? { parent } : {},
                } as KubeObject),
          ),
        );
      }
      const root = shape.edges[0]![0];
      await waitFor(
        `${shape.name}: every home namespace labelled`,
        async () => (await client.listAll(Resources.Namespace, { labelSelector: treeLabel(root) })).length === shape.edges.length,
        600_000,
        500,
      );
      const floorNamespaces = shape.edges.slice(1).map(([ns]) => `floor-${ns}`);
      await pool(floorNamespaces.map((ns) => () => client.create(Resources.Namespace, { apiVersion: 'v1', kind: 'Namespace', metadata: { name: ns } })));
      await idle(feature);
      const buildSeconds = (Date.now() - t0) / 1000;
      const op: Array<Timing & { visited: number }> = [];
      const floor: Timing[] = [];
      const floorH2: number[] = [];
      for (let r = 0; r < ROUNDS; r++) {
        loads.push(loadavg()[0]!);
        // Alternate which goes first, so a drift in machine load hits both alike.
        if (r % 2 === 0) {
          floor.push(await floorRound(client, floorNamespaces, `floor-${r}`, root));
          op.push(await operatorRound(client, shape, `sres-${r}`, feature));
          floorH2.push(await http2Floor(env, client, floorNamespaces, `floor-h2-${r}`, root));
        } else {
          floorH2.push(await http2Floor(env, client, floorNamespaces, `floor-h2-${r}`, root));
          op.push(await operatorRound(client, shape, `sres-${r}`, feature));
          floor.push(await floorRound(client, floorNamespaces, `floor-${r}`, root));
        }
      }
      const moved = await moveRounds(
        client,
        shape,
        LABEL_INHERITED_FROM,
        (node, parent) => client.patch(Resources.Workspace, node, undefined, { spec: { parent } }, 'merge'),
        () => idle(feature),
      );
      const descendants = shape.edges.length - 1;
      const row = {
        shape: shape.name,
        descendants,
        buildSeconds: round(buildSeconds, 1),
        visitedPerChange: median(op.map((o) => o.visited)),
        operatorCreateMs: round(median(op.map((o) => o.createMs))),
        floorCreateMs: round(median(floor.map((f) => f.createMs))),
        createRatio: round(median(op.map((o) => o.createMs)) / median(floor.map((f) => f.createMs)), 2),
        floorHttp2CreateMs: round(median(floorH2)),
        operatorDeleteMs: round(median(op.map((o) => o.deleteMs))),
        floorDeleteMs: round(median(floor.map((f) => f.deleteMs))),
        deleteRatio: round(median(op.map((o) => o.deleteMs)) / median(floor.map((f) => f.deleteMs)), 2),
        operatorMsPerCopy: round(median(op.map((o) => o.createMs)) / descendants, 2),
        operatorCreateCpuMs: round(median(op.map((o) => o.createCpuMs))),
        floorCreateCpuMs: round(median(floor.map((f) => f.createCpuMs))),
        allOperatorCreateMs: op.map((o) => round(o.createMs)).join('/'),
        allFloorCreateMs: floor.map((f) => round(f.createMs)).join('/'),
        ...(moved ? { movedNamespaces: moved.namespaces, moveThereMs: moved.thereMs, moveBackMs: moved.backMs } : {}),
      };
      rows.push(row);
      console.log(JSON.stringify(row));
    }
    results.shapes = rows;

    // Memory of the propagated-object cache: every RoleBinding in the cluster,
    // stripped (what the operator keeps) or whole; copies left in place for it.
    const largest = shapes[shapes.length - 1]!;
    const big = shapes.find((s) => s.edges.length >= 1000) ?? largest;
    await client.create(Resources.RoleBinding, roleBinding('memory-probe', big.edges[0]![0]));
    await waitFor(
      'copies for the memory probe',
      async () => (await client.listAll(Resources.RoleBinding, { labelSelector: LABEL_INHERITED_FROM })).length >= big.edges.length - 1,
      600_000,
      200,
    );
    await idle(feature);
    // What the cache keeps per object, measured on objects parsed one by one as a watch delivers them:
    // the cluster's RoleBindings (1,110 of them copies), kept whole or stripped; and, since ConfigMaps
    // carry payload, 1,000 ConfigMaps with 1 KiB of data each. The Store's maps are the same either way.
    const REPEAT = 10;
    const bindings = (await client.listAll(Resources.RoleBinding)).map((o) => JSON.stringify({ ...o, metadata: { ...o.metadata, managedFields: undefined } }));
    const configMaps = Array.from({ length: 1000 }, (_, i) =>
      JSON.stringify({
        apiVersion: 'v1',
        kind: 'ConfigMap',
        metadata: {
          name: `settings-${i}`,
          namespace: `ns-${i}`,
          uid: `00000000-0000-0000-0000-${String(i).padStart(12, '0')}`,
          resourceVersion: String(1000 + i),
          labels: { app: 'web' },
        },
        data: { 'settings.yaml': 'x'.repeat(1024) },
      }),
    );
    const bytesPerObject = (lines: readonly string[], repeat: number, shape: (o: KubeObject) => KubeObject) => {
      gc();
      gc();
      const before = process.memoryUsage().heapUsed;
      const kept: KubeObject[] = [];
      for (let i = 0; i < repeat; i++) for (const line of lines) kept.push(shape(JSON.parse(line) as KubeObject));
      gc();
      gc();
      return round((process.memoryUsage().heapUsed - before) / kept.length);
    };
    results.memory = {
      roleBindings: bindings.length,
      roleBindingWholeBytes: bytesPerObject(bindings, REPEAT, (o) => o),
      roleBindingStrippedBytes: bytesPerObject(bindings, REPEAT, (o) => strip(o)),
      configMapWholeBytes: bytesPerObject(configMaps, 1, (o) => o),
      configMapStrippedBytes: bytesPerObject(configMaps, 1, (o) => strip(o)),
      trackerObjects: feature.tracker.size,
    };
    console.log(JSON.stringify(results.memory));
    await manager.stop();

    results.hnc = withHnc ? await runHnc(env, shapes, rows) : { skipped: 'run without --no-hnc to include HNC' };
    results.loadAverage = { min: round(Math.min(...loads), 1), max: round(Math.max(...loads), 1) };
    results.totalSeconds = round((Date.now() - started) / 1000);
  } finally {
    await env.stop();
  }
  mkdirSync(join(here, 'results'), { recursive: true });
  writeFileSync(join(here, 'results', 'workspace-propagation.json'), `${JSON.stringify(results, null, 2)}\n`);
  printTables(results);
}

function groupByDepth(edges: ReadonlyArray<[string, string]>): Array<Array<[string, string]>> {
  const depth = new Map<string, number>();
  const groups: Array<Array<[string, string]>> = [];
  for (const [ws, parent] of edges) {
    const d = parent === '' ? 0 : depth.get(parent)! + 1;
    depth.set(ws, d);
    (groups[d] ??= []).push([ws, parent]);
  }
  return groups;
}

async function runHnc(env: LocalEnvironment, shapes: readonly Shape[], ours: ReadonlyArray<Record<string, number | string>>): Promise<Record<string, unknown>> {
  const build: HncBuild = buildHnc();
  if (!build.ok) return { version: HNC_VERSION, built: false, buildSeconds: build.seconds, error: build.error };
  const logFile = join(repoRoot, '.canopy', 'bench-hnc.log');
  mkdirSync(dirname(logFile), { recursive: true });
  const hnc = await startHnc(env.host, build, { maxReconciles: CONCURRENCY, logFile });
  const rows: Array<Record<string, number | string>> = [];
  try {
    for (const shape of shapes) {
      const hshape = renamed(shape, (n) => `h${n}`);
      const root = hshape.edges[0]![0];
      const t0 = Date.now();
      await buildHncTree(hnc.client, hshape.edges, (tasks) => pool(tasks));
      await waitFor(
        `HNC ${shape.name}: tree labels`,
        async () => (await hnc.client.listAll(Resources.Namespace, { labelSelector: hncTreeLabel(root) })).length === hshape.edges.length,
        900_000,
        500,
      );
      const buildSeconds = round((Date.now() - t0) / 1000, 1);
      await sleep(3000);
      const targets = new Set(hshape.edges.slice(1).map(([ns]) => ns));
      const creates: number[] = [];
      for (let r = 0; r < ROUNDS; r++) {
        const name = `hsres-${r}`;
        const watch = await countingWatch(hnc.client, name, targets);
        const c0 = performance.now();
        await hnc.client.create(Resources.RoleBinding, roleBinding(name, root));
        creates.push((await watch.created) - c0);
        await watch.stop();
        await sleep(2000);
      }
      // HNC labels its copies like ours: make sure these were its copies.
      const sample = await hnc.client.get(Resources.RoleBinding, 'hsres-0', hshape.edges[hshape.edges.length - 1]![0]);
      const moved = await moveRounds(
        hnc.client,
        hshape,
        HNC_INHERITED_FROM,
        (node, parent) => hnc.client.patch(HIERARCHY, 'hierarchy', node, { spec: { parent } }, 'merge'),
        async () => {
          await sleep(2000);
        },
      );
      const ourRow = ours.find((r) => r.shape === shape.name)!;
      const row = {
        shape: shape.name,
        buildSeconds,
        ...(moved
          ? {
              moveThereMs: moved.thereMs,
              moveBackMs: moved.backMs,
              moveOverCanopy: round((moved.thereMs + moved.backMs) / (Number(ourRow.moveThereMs) + Number(ourRow.moveBackMs)), 2),
            }
          : {}),
        hncCreateMs: round(median(creates)),
        allHncCreateMs: creates.map((c) => round(c)).join('/'),
        hncOverFloor: round(median(creates) / Number(ourRow.floorCreateMs), 2),
        hncOverHttp2Floor: round(median(creates) / Number(ourRow.floorHttp2CreateMs), 2),
        hncOverCanopy: round(median(creates) / Number(ourRow.operatorCreateMs), 2),
        copyLabelled: sample.metadata?.labels?.[HNC_INHERITED_FROM] ?? 'missing',
      };
      rows.push(row);
      console.log(JSON.stringify(row));
    }
  } finally {
    await hnc.stop();
  }
  return { version: HNC_VERSION, built: true, buildSeconds: build.seconds, cachedBuild: build.cached, maxReconciles: CONCURRENCY, shapes: rows };
}

function printTables(results: Record<string, unknown>): void {
  const shapes = results.shapes as Array<Record<string, number | string>> | undefined;
  if (!shapes) return;
  console.log(
    '\n| shape | descendants | visited per change | operator create (ms) | floor create (ms) | ratio | floor over HTTP/2 (ms) | operator delete (ms) | floor delete (ms) | ratio | ms per copy | move there / back (ms) |',
  );
  console.log('|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|');
  for (const r of shapes) {
    console.log(
      `| ${r.shape} | ${r.descendants} | ${r.visitedPerChange} | ${r.operatorCreateMs} | ${r.floorCreateMs} | ${r.createRatio}× | ${r.floorHttp2CreateMs} | ${r.operatorDeleteMs} | ${r.floorDeleteMs} | ${r.deleteRatio}× | ${r.operatorMsPerCopy} | ${r.moveThereMs ?? '–'} / ${r.moveBackMs ?? '–'} |`,
    );
  }
  const hnc = results.hnc as { shapes?: Array<Record<string, number | string>>; built?: boolean; error?: string } | undefined;
  if (hnc?.shapes) {
    console.log(
      '\n| shape | HNC build (s) | HNC create (ms) | HNC / floor | HNC / HTTP/2 floor | HNC / Canopy | HNC move there / back (ms) | HNC / Canopy (moves) |',
    );
    console.log('|---|---:|---:|---:|---:|---:|---:|---:|');
    for (const r of hnc.shapes)
      console.log(
        `| ${r.shape} | ${r.buildSeconds} | ${r.hncCreateMs} | ${r.hncOverFloor}× | ${r.hncOverHttp2Floor}× | ${r.hncOverCanopy}× | ${r.moveThereMs ?? '–'} / ${r.moveBackMs ?? '–'} | ${r.moveOverCanopy ?? '–'}× |`,
      );
  } else if (hnc?.built === false) console.log(`\nHNC not built: ${hnc.error}`);
  console.log(`\nmemory: ${JSON.stringify(results.memory)}; load ${JSON.stringify(results.loadAverage)}`);
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
