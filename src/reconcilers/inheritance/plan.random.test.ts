/**
 * Seeded random histories of tree moves, source edits and hand edits, checked
 * two ways: desiredCopies against a brute-force reading of the rules written
 * here from scratch, and the incremental plans, applied step by step, against
 * that same brute-force desired state.
 */

import { expect } from 'chai';
import { Forest } from '../../hierarchy/forest.js';
import { matchesRequirements, parseSelectorString } from '../../kube/label-selector.js';
import { type ExistingObject, indexByNamespace, objectKey, type SourceObject } from './objects.js';
import { desiredCopies, planNamespace, planSourceChange, planSubtree, type PropagationAction, type PropagationInput } from './plan.js';
import type { PropagatedType } from '../../hierarchy/types.js';
import { mulberry32 } from '../../../test/support/random.js';

const WORKSPACES = Array.from({ length: 10 }, (_, i) => `ws${i}`);
const LOGICAL_NAMESPACES = Array.from({ length: 6 }, (_, i) => `lc${i}`);
const OBJECTS: ReadonlyArray<{ apiVersion: string; kind: string; name: string }> = [
  { apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'RoleBinding', name: 'admins' },
  { apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'RoleBinding', name: 'viewers' },
  { apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'Role', name: 'deployer' },
  { apiVersion: 'v1', kind: 'ConfigMap', name: 'settings' },
];
const PROPAGATE_CHOICES: PropagatedType[][] = [[], [], [{ apiVersion: 'v1', kind: 'ConfigMap' }]];
const SELECTS = [
  'ws1.tree.canopy.dev/depth',
  'env=prod',
  'kubernetes.io/metadata.name notin (ws3, lc2)',
  'ws2.tree.canopy.dev/depth=1',
  'ws0.tree.canopy.dev/depth in (1, 2)',
  'broken in (',
];
const PROD = new Set(['ws4', 'ws5', 'lc1', 'lc3']);
const userLabels = (ns: string): Record<string, string> | undefined => (PROD.has(ns) ? { env: 'prod' } : undefined);

/** The rules, read literally, with nothing from the forest but the inputs. */
class World {
  readonly parents = new Map<string, string>();
  readonly propagate = new Map<string, PropagatedType[]>();
  readonly attached = new Map<string, string>(); // LogicalCluster namespace → workspace
  readonly sources = new Map<string, SourceObject>(); // `${ns}|${key}`
  readonly objects = new Map<string, ExistingObject>(); // `${ns}|${key}`: what exists, sources included

  /** Root-first chain, or undefined if the ancestry loops or hits a missing workspace. */
  chain(ws: string): string[] | undefined {
    const chain = [ws];
    for (;;) {
      const parent = this.parents.get(chain[0]!)!;
      if (parent === '') return chain;
      if (!this.parents.has(parent) || chain.includes(parent)) return undefined;
      chain.unshift(parent);
    }
  }

  /** (namespace, its workspace, is it the home namespace) for every namespace of the tree. */
  namespaces(): Array<[string, string, boolean]> {
    const out: Array<[string, string, boolean]> = [...this.parents.keys()].map((ws): [string, string, boolean] => [ws, ws, true]);
    for (const [ns, ws] of this.attached) if (!this.parents.has(ns)) out.push([ns, ws, false]);
    return out;
  }

  desired(): Map<string, Map<string, SourceObject>> {
    const result = new Map<string, Map<string, SourceObject>>();
    for (const [ns, ws, home] of this.namespaces()) {
      if (!this.parents.has(ws)) continue;
      const chain = this.chain(ws);
      if (!chain) continue;
      const labels: Record<string, string> = { ...(userLabels(ns) ?? {}), 'kubernetes.io/metadata.name': ns };
      chain.forEach((w, i) => {
        labels[`${w}.tree.canopy.dev/depth`] = String(chain.length - 1 - i + (home ? 0 : 1));
      });
      if (!home) labels[`${ns}.tree.canopy.dev/depth`] = '0';
      const givers = (home ? chain.slice(0, -1) : chain).reverse(); // nearest first
      const got = new Map<string, SourceObject>();
      for (const object of OBJECTS) {
        const key = objectKey(object);
        for (const giver of givers) {
          const source = this.sources.get(`${giver}|${key}`);
          if (!source || !this.reaches(source, giver, labels)) continue;
          got.set(key, source);
          break;
        }
      }
      if (got.size > 0) result.set(ns, got);
    }
    return result;
  }

  private reaches(source: SourceObject, giver: string, labels: Record<string, string>): boolean {
    const typeListed =
      source.kind === 'Role' ||
      source.kind === 'RoleBinding' ||
      this.chain(giver)!.some((w) => (this.propagate.get(w) ?? []).some((t) => t.kind === source.kind));
    if (!typeListed) return false;
    if (source.annotations?.['propagate.canopy.dev/none'] === 'true') return false;
    const select = source.annotations?.['propagate.canopy.dev/select'];
    if (select === undefined) return true;
    const parsed = parseSelectorString(select);
    return parsed.ok && matchesRequirements(parsed.requirements, labels);
  }

  input(forest: Forest): PropagationInput {
    const objects = [...this.objects.values()];
    return {
      forest,
      sources: indexByNamespace([...this.sources.values()]),
      existing: indexByNamespace(objects),
      namespaceLabels: userLabels,
    };
  }

  apply(actions: readonly PropagationAction[]): void {
    for (const a of actions) {
      const id = `${a.namespace}|${a.key}`;
      const current = this.objects.get(id);
      if (a.action === 'conflict') continue;
      if (a.action === 'delete' || a.action === 'update') {
        expect(current?.labels?.['canopy.dev/managed-by'], `${a.action} of a user object ${id}`).to.equal('canopy');
      }
      if (a.action === 'create') expect(current, `create over ${id}`).to.equal(undefined);
      if (a.action === 'delete') this.objects.delete(id);
      else this.objects.set(id, copy(a.source, a.namespace));
    }
  }
}

function copy(source: SourceObject, namespace: string, hash = source.hash): ExistingObject {
  return {
    apiVersion: source.apiVersion,
    kind: source.kind,
    name: source.name,
    namespace,
    hash,
    labels: { 'canopy.dev/inherited-from': source.namespace, 'canopy.dev/managed-by': 'canopy' },
  };
}

function copiesByNamespace(world: World): Map<string, Map<string, SourceObject | ExistingObject>> {
  const out = new Map<string, Map<string, SourceObject | ExistingObject>>();
  for (const [id, object] of world.objects) {
    if (object.labels?.['canopy.dev/managed-by'] !== 'canopy') continue;
    const [ns, key] = id.split('|') as [string, string];
    if (!out.has(ns)) out.set(ns, new Map());
    out.get(ns)!.set(key, object);
  }
  return out;
}

function describeDesired(desired: Map<string, Map<string, SourceObject>>): string[] {
  return [...desired].flatMap(([ns, m]) => [...m].map(([key, s]) => `${ns} ${key} <- ${s.namespace}@${s.hash}`)).sort();
}

function runHistory(seed: number, steps: number): { ops: Map<string, number> } {
  const random = mulberry32(seed);
  const pick = <T>(items: readonly T[]): T => items[Math.floor(random() * items.length)]!;
  const world = new World();
  const forest = new Forest();
  const ops = new Map<string, number>();
  let version = 0;

  const setWorkspace = (ws: string, parent: string, propagate: PropagatedType[]): void => {
    world.parents.set(ws, parent);
    world.propagate.set(ws, propagate);
    forest.setWorkspace(ws, parent, { propagate });
  };
  const newSource = (ns: string, object: (typeof OBJECTS)[number]): SourceObject => {
    const roll = random();
    const annotations: Record<string, string> | undefined =
      roll < 0.1 ? { 'propagate.canopy.dev/none': 'true' } : roll < 0.45 ? { 'propagate.canopy.dev/select': pick(SELECTS) } : undefined;
    return { ...object, namespace: ns, hash: `v${++version}`, ...(annotations ? { annotations } : {}) };
  };

  // A healthy starting tree, already propagated.
  WORKSPACES.forEach((ws, i) => {
    setWorkspace(ws, i === 0 ? '' : pick(WORKSPACES.slice(0, i)), pick(PROPAGATE_CHOICES));
  });
  for (const ns of LOGICAL_NAMESPACES) {
    const ws = pick(WORKSPACES);
    world.attached.set(ns, ws);
    forest.attachNamespace(ns, ws, ns);
  }
  for (let i = 0; i < 20; i++) {
    const source = newSource(pick(WORKSPACES), pick(OBJECTS));
    world.sources.set(`${source.namespace}|${objectKey(source)}`, source);
    world.objects.set(`${source.namespace}|${objectKey(source)}`, source);
  }
  for (const root of forest.roots()) world.apply(planSubtree(world.input(forest), root).actions);

  for (let step = 0; step < steps; step++) {
    const roll = random();
    let op: string;
    if (roll < 0.3) {
      // Create, edit, re-annotate or delete a source.
      const ws = pick([...world.parents.keys()]);
      const object = pick(OBJECTS);
      const id = `${ws}|${objectKey(object)}`;
      const current = world.objects.get(id);
      if (current && world.sources.has(id) && random() < 0.4) {
        op = 'delete source';
        world.sources.delete(id);
        world.objects.delete(id);
      } else if (!current || world.sources.has(id)) {
        op = current ? 'edit source' : 'create source';
        const source = newSource(ws, object);
        world.sources.set(id, source);
        world.objects.set(id, source);
      } else {
        op = 'noop';
      }
      world.apply(planSourceChange(world.input(forest), { ...object, namespace: ws }).actions);
    } else if (roll < 0.55) {
      // Move a workspace: sometimes to the top, sometimes into a cycle.
      op = 'move';
      const ws = pick(WORKSPACES);
      const parent = random() < 0.15 ? '' : pick(WORKSPACES);
      world.parents.set(ws, parent);
      const change = forest.setWorkspace(ws, parent, { propagate: world.propagate.get(ws) ?? [] });
      expect(change.all.has(ws)).to.equal(true);
      world.apply(planSubtree(world.input(forest), ws).actions);
    } else if (roll < 0.65) {
      op = 'change spec.propagate';
      const ws = pick(WORKSPACES);
      const propagate = pick(PROPAGATE_CHOICES);
      world.propagate.set(ws, propagate);
      forest.setWorkspace(ws, world.parents.get(ws)!, { propagate });
      world.apply(planSubtree(world.input(forest), ws).actions);
    } else if (roll < 0.75) {
      op = 'attach namespace';
      const ns = pick(LOGICAL_NAMESPACES);
      const ws = pick(WORKSPACES);
      // A namespace moving between workspaces takes its copies along; start it empty like a fresh one.
      for (const id of [...world.objects.keys()]) if (id.startsWith(`${ns}|`)) world.objects.delete(id);
      world.attached.set(ns, ws);
      forest.attachNamespace(ns, ws, ns);
      world.apply(planNamespace(world.input(forest), ns).actions);
    } else if (roll < 0.85) {
      op = 'user object';
      const ns = pick([...LOGICAL_NAMESPACES.filter((n) => world.attached.has(n))]);
      const object = pick(OBJECTS);
      const id = `${ns}|${objectKey(object)}`;
      if (ns && !world.objects.has(id)) world.objects.set(id, { ...object, namespace: ns });
      else if (ns && world.objects.get(id)!.labels === undefined) world.objects.delete(id);
      if (ns) world.apply(planNamespace(world.input(forest), ns, objectKey(object)).actions);
    } else {
      // Someone edits or deletes a copy by hand; the namespace is re-planned for that key.
      op = 'hand edit';
      const copies = [...world.objects].filter(([, o]) => o.labels?.['canopy.dev/managed-by'] === 'canopy');
      if (copies.length > 0) {
        const [id, object] = pick(copies);
        if (random() < 0.5) world.objects.delete(id);
        else world.objects.set(id, { ...object, hash: 'tampered' });
        const [ns, key] = id.split('|') as [string, string];
        world.apply(planNamespace(world.input(forest), ns, key).actions);
      }
    }
    ops.set(op, (ops.get(op) ?? 0) + 1);

    const context = `seed ${seed}, step ${step} (${op})`;
    const desired = world.desired();
    const planned = desiredCopies(forest, indexByNamespace([...world.sources.values()]), userLabels);
    expect(describeDesired(planned), `${context}: desiredCopies`).to.deep.equal(describeDesired(desired));

    // Every healthy namespace holds exactly its desired copies, except where a user object stands.
    const copies = copiesByNamespace(world);
    for (const [ns, ws] of world.namespaces()) {
      if (!world.parents.has(ws) || !world.chain(ws)) continue;
      const want = [...(desired.get(ns) ?? [])]
        .filter(([key]) => world.objects.get(`${ns}|${key}`)?.labels !== undefined || !world.objects.has(`${ns}|${key}`))
        .map(([key, s]) => `${key} <- ${s.namespace}@${s.hash}`)
        .sort();
      const have = [...(copies.get(ns) ?? [])].map(([key, o]) => `${key} <- ${o.labels!['canopy.dev/inherited-from']}@${o.hash}`).sort();
      expect(have, `${context}: copies in ${ns}`).to.deep.equal(want);
    }
  }
  // A final full plan finds nothing left to do in healthy trees: the incremental plans were exact.
  for (const root of forest.roots()) {
    const leftover = planSubtree(world.input(forest), root).actions.filter((a) => a.action !== 'conflict');
    expect(leftover, `seed ${seed}: leftover work`).to.deep.equal([]);
  }
  return { ops };
}

describe('propagation planning against a brute-force model', () => {
  for (const seed of [3, 11, 99, 31337]) {
    it(`keeps every healthy namespace exactly in sync (seed ${seed})`, () => {
      const { ops } = runHistory(seed, 300);
      // The history must exercise every kind of step for the agreement to mean something.
      for (const op of ['create source', 'edit source', 'delete source', 'move', 'change spec.propagate', 'attach namespace', 'user object', 'hand edit']) {
        expect(ops.get(op) ?? 0, op).to.be.greaterThan(0);
      }
    });
  }
});
