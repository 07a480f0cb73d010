/**
 * The layout rules of docs/architecture.md, checked on every import of src/:
 *
 * - test support stays out of the product: the product build
 *   (tsconfig.build.json, the image's build stage) compiles src/ without its
 *   tests, so a product file that imports test/ would break it and ship test code;
 * - layers import only downward (crds ← kube ← runtime ← hierarchy ← admission
 *   ← reconcilers ← webhooks ← gateway ← main, cli, dev), type-only imports included,
 *   because a type from a higher layer drags its module's assumptions down;
 * - the feature folders under reconcilers/ form no cycle between them;
 * - no two product files need each other at run time (value imports).
 */
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { expect } from 'chai';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');

function productFiles(dir: string): string[] {
  const out: string[] = [];
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) out.push(...productFiles(path));
    else if (entry.name.endsWith('.ts') && !entry.name.endsWith('.test.ts')) out.push(path);
  }
  return out;
}

interface Edge {
  readonly from: string;
  readonly to: string;
  readonly typeOnly: boolean;
}

const IMPORT = /^(import|export)\s+(type\s+)?[^;]*?from\s+['"](\.{1,2}\/[^'"]+)['"]|import\(\s*['"](\.{1,2}\/[^'"]+)['"]\s*\)/gm;

/** Every relative import of every product file, as repository-relative .ts paths. */
function productEdges(): Edge[] {
  const edges: Edge[] = [];
  for (const file of productFiles(join(root, 'src'))) {
    for (const match of readFileSync(file, 'utf8').matchAll(IMPORT)) {
      const specifier = match[3] ?? match[4]!;
      const to = relative(root, resolve(dirname(file), specifier)).replace(/\.js$/, '.ts');
      edges.push({ from: relative(root, file), to, typeOnly: match[2] !== undefined });
    }
  }
  return edges;
}

/** The layer a src/ path belongs to: its top folder, or reconcilers/<feature>. */
function unitOf(path: string): string {
  const parts = path.split('/');
  if (parts[1] === 'reconcilers') return parts.length > 3 ? `reconcilers/${parts[2]}` : 'reconcilers';
  return parts.length > 2 ? parts[1]! : parts[1]!.replace(/\.ts$/, '');
}

const RANK: Readonly<Record<string, number>> = {
  crds: 0,
  kube: 1,
  runtime: 2,
  hierarchy: 3,
  admission: 4,
  reconcilers: 5,
  webhooks: 6,
  gateway: 7,
  main: 8,
  cli: 8,
  dev: 8,
  public: 8,
};

function rankOf(unit: string): number {
  const rank = RANK[unit.startsWith('reconcilers/') ? 'reconcilers' : unit];
  if (rank === undefined) throw new Error(`${unit} has no layer: add it to RANK and to docs/architecture.md`);
  return rank;
}

/** Strongly connected components with more than one node (Tarjan). */
function cycles(graph: ReadonlyMap<string, readonly string[]>): string[][] {
  let next = 0;
  const index = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const onStack = new Set<string>();
  const found: string[][] = [];
  const visit = (v: string): void => {
    index.set(v, next);
    low.set(v, next);
    next++;
    stack.push(v);
    onStack.add(v);
    for (const w of graph.get(v) ?? []) {
      if (!graph.has(w)) continue;
      if (!index.has(w)) {
        visit(w);
        low.set(v, Math.min(low.get(v)!, low.get(w)!));
      } else if (onStack.has(w)) {
        low.set(v, Math.min(low.get(v)!, index.get(w)!));
      }
    }
    if (low.get(v) === index.get(v)) {
      const component: string[] = [];
      let w: string;
      do {
        w = stack.pop()!;
        onStack.delete(w);
        component.push(w);
      } while (w !== v);
      if (component.length > 1) found.push(component.sort());
    }
  };
  for (const v of graph.keys()) if (!index.has(v)) visit(v);
  return found;
}

function graphOf(edges: readonly Edge[], key: (path: string) => string): Map<string, string[]> {
  const graph = new Map<string, string[]>();
  for (const edge of edges) {
    const from = key(edge.from);
    const to = key(edge.to);
    if (from === to) continue;
    graph.set(from, [...(graph.get(from) ?? []), to]);
    if (!graph.has(to)) graph.set(to, []);
  }
  return graph;
}

describe('layout', () => {
  const edges = productEdges();
  const inSrc = edges.filter((e) => e.to.startsWith('src/'));

  it('keeps test support out of the product: no file under src/ (tests aside) imports from test/', () => {
    const offenders = edges.filter((e) => e.to.startsWith('test/')).map((e) => `${e.from} → ${e.to}`);
    expect(offenders).to.deep.equal([]);
  });

  it('imports only downward: crds ← kube ← runtime ← hierarchy ← admission ← reconcilers ← webhooks ← gateway ← main, cli, dev', () => {
    const backEdges = inSrc
      .filter((e) => rankOf(unitOf(e.to)) > rankOf(unitOf(e.from)))
      .map((e) => `${e.from} → ${e.to} (${unitOf(e.from)} may not import ${unitOf(e.to)})`);
    expect(backEdges).to.deep.equal([]);
  });

  it('has no cycle between the feature folders under reconcilers/', () => {
    const features = inSrc.filter((e) => unitOf(e.from).startsWith('reconcilers/') && unitOf(e.to).startsWith('reconcilers/'));
    expect(cycles(graphOf(features, unitOf))).to.deep.equal([]);
  });

  it('has no cycle of run-time imports between product files', () => {
    const values = inSrc.filter((e) => !e.typeOnly);
    expect(cycles(graphOf(values, (p) => p))).to.deep.equal([]);
  });

  it('opens every file that has a header comment with one style: a /** */ block', () => {
    const lineHeaders = [...productFiles(join(root, 'src')), ...productFiles(join(root, 'test'))]
      .filter((file) => readFileSync(file, 'utf8').startsWith('//'))
      .map((file) => relative(root, file));
    expect(lineHeaders).to.deep.equal([]);
  });

  it('places every product file in a known layer', () => {
    const unknown = productFiles(join(root, 'src'))
      .map((f) => relative(root, f))
      .filter((f) => RANK[unitOf(f).startsWith('reconcilers/') ? 'reconcilers' : unitOf(f)] === undefined);
    expect(unknown).to.deep.equal([]);
  });

  it('catches a back-edge and a cycle when one is planted (the checks can fail)', () => {
    expect(rankOf(unitOf('src/hierarchy/forest.ts')) > rankOf(unitOf('src/kube/quantity.ts'))).to.equal(true);
    const planted = graphOf(
      [
        { from: 'src/reconcilers/placement/a.ts', to: 'src/reconcilers/propagation/b.ts', typeOnly: false },
        { from: 'src/reconcilers/propagation/b.ts', to: 'src/reconcilers/placement/c.ts', typeOnly: false },
      ],
      unitOf,
    );
    expect(cycles(planted)).to.deep.equal([['reconcilers/placement', 'reconcilers/propagation']]);
  });
});
