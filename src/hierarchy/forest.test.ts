import { expect } from 'chai';
import { effectiveConstraints, type EffectiveConstraints } from './constraints.js';
import { Forest, type ForestChange, stableJson } from './forest.js';
import { DEFAULT_PROPAGATED_TYPES, typeKey } from './inherited-types.js';
import { parentFromSpec, workspaceDataFromSpec } from './from-crd.js';
import type { WorkspaceConstraints, WorkspaceData } from './types.js';
import { mulberry32 } from '../../test/support/random.js';

function tree(edges: Array<[string, string, WorkspaceData?]>): Forest {
  const forest = new Forest();
  for (const [name, parent, data] of edges) forest.setWorkspace(name, parent, data);
  return forest;
}

const sorted = (set: Iterable<string>): string[] => [...set].sort();

describe('Forest', () => {
  describe('structure', () => {
    const forest = tree([
      ['acme', ''],
      ['team-a', 'acme'],
      ['team-b', 'acme'],
      ['app-1', 'team-a'],
      ['app-2', 'team-a'],
      ['other', ''],
    ]);

    it('answers ancestors root first, descendants parents first', () => {
      expect(forest.ancestors('app-1')).to.deep.equal(['acme', 'team-a']);
      expect(forest.ancestors('acme')).to.deep.equal([]);
      expect(forest.descendants('acme')).to.deep.equal(['team-a', 'app-1', 'app-2', 'team-b']);
      expect(forest.descendants('app-1')).to.deep.equal([]);
      expect(forest.subtree('team-a')).to.deep.equal(['team-a', 'app-1', 'app-2']);
    });

    it('answers children, roots, depth and path with the literal root prefix', () => {
      expect(forest.children('acme')).to.deep.equal(['team-a', 'team-b']);
      expect(forest.roots()).to.deep.equal(['acme', 'other']);
      expect(forest.depth('acme')).to.equal(0);
      expect(forest.depth('app-2')).to.equal(2);
      expect(forest.path('acme')).to.equal('root:acme');
      expect(forest.path('app-2')).to.equal('root:acme:team-a:app-2');
      expect(forest.health('app-2')).to.deep.equal({ state: 'ok' });
      expect(forest.isHalted('app-2')).to.equal(false);
    });

    it('knows nothing about unknown workspaces', () => {
      expect(forest.has('nope')).to.equal(false);
      expect(forest.depth('nope')).to.equal(undefined);
      expect(forest.path('nope')).to.equal(undefined);
      expect(forest.health('nope')).to.equal(undefined);
      expect(forest.isHalted('nope')).to.equal(true);
      expect(forest.ancestors('nope')).to.deep.equal([]);
    });

    it('lets the walker prune a subtree', () => {
      const seen: string[] = [];
      forest.walkSubtree('acme', (ws) => {
        seen.push(ws);
        return ws !== 'team-a';
      });
      expect(seen).to.deep.equal(['acme', 'team-a', 'team-b']);
    });
  });

  describe('mutations return the touched workspaces', () => {
    it('a new leaf recomputes itself and reports its parent (whose children changed)', () => {
      const forest = tree([
        ['acme', ''],
        ['team-a', 'acme'],
      ]);
      const change = forest.setWorkspace('app', 'team-a');
      expect(sorted(change.subtree)).to.deep.equal(['app']);
      expect(sorted(change.parents)).to.deep.equal(['team-a']);
      expect(sorted(change.all)).to.deep.equal(['app', 'team-a']);
    });

    it('re-parenting recomputes the moved subtree only and reports both parents', () => {
      const forest = tree([
        ['acme', ''],
        ['team-a', 'acme'],
        ['team-b', 'acme'],
        ['app', 'team-a'],
        ['svc', 'app'],
        ['x', 'team-b'],
      ]);
      const change = forest.setWorkspace('app', 'team-b');
      expect(sorted(change.subtree)).to.deep.equal(['app', 'svc']);
      expect(sorted(change.parents)).to.deep.equal(['team-a', 'team-b']);
      expect(forest.path('svc')).to.equal('root:acme:team-b:app:svc');
      expect(forest.children('team-a')).to.deep.equal([]);
      expect(forest.children('team-b')).to.deep.equal(['app', 'x']);
    });

    it('a change to inherited fields recomputes the subtree; an unchanged spec recomputes nothing', () => {
      const forest = tree([
        ['acme', ''],
        ['team-a', 'acme'],
        ['app', 'team-a'],
        ['team-b', 'acme'],
      ]);
      const narrowed = forest.setWorkspace('team-a', 'acme', { constraints: { regions: ['eu-1'] } });
      expect(sorted(narrowed.subtree)).to.deep.equal(['app', 'team-a']);
      expect(sorted(narrowed.parents)).to.deep.equal([]);
      const same = forest.setWorkspace('team-a', 'acme', { constraints: { regions: ['eu-1'] } });
      expect(sorted(same.subtree)).to.deep.equal([]);
      expect(sorted(same.all)).to.deep.equal(['team-a']);
      const propagate = forest.setWorkspace('acme', '', { propagate: [{ apiVersion: 'v1', kind: 'ConfigMap' }] });
      expect(sorted(propagate.subtree)).to.deep.equal(['acme', 'app', 'team-a', 'team-b']);
    });

    it('removal touches the subtree and the parent; the children keep a missing parent', () => {
      const forest = tree([
        ['acme', ''],
        ['team-a', 'acme'],
        ['app', 'team-a'],
      ]);
      const removal = forest.removeWorkspace('team-a');
      expect(sorted(removal.subtree)).to.deep.equal(['app', 'team-a']);
      expect(sorted(removal.parents)).to.deep.equal(['acme']);
      expect(forest.has('team-a')).to.equal(false);
      expect(forest.parentMissing('app')).to.equal(true);
      expect(forest.health('app')).to.deep.equal({ state: 'parent-missing', missing: 'team-a' });
      expect(sorted(forest.removeWorkspace('team-a').all)).to.deep.equal([]);
    });

    it('keeps caches of untouched workspaces (effective constraints are the same objects)', () => {
      const forest = tree([
        ['acme', '', { constraints: { regions: ['eu-1', 'eu-2'] } }],
        ['team-a', 'acme', { constraints: { podSecurity: 'baseline' } }],
        ['team-b', 'acme', { constraints: { podSecurity: 'restricted' } }],
        ['app', 'team-a', { constraints: { maxLogicalClusters: 3 } }],
      ]);
      const before = new Map(forest.workspaces().map((ws) => [ws, forest.effectiveConstraints(ws)]));
      forest.setWorkspace('team-a', 'acme', { constraints: { podSecurity: 'restricted' } });
      expect(forest.effectiveConstraints('acme')).to.equal(before.get('acme'));
      expect(forest.effectiveConstraints('team-b')).to.equal(before.get('team-b'));
      expect(forest.effectiveConstraints('app')).to.not.equal(before.get('app'));
      expect(forest.effectiveConstraints('app')!.constraints).to.deep.equal({
        regions: ['eu-1', 'eu-2'],
        podSecurity: 'restricted',
        maxLogicalClusters: 3,
      });
    });
  });

  describe('missing parents', () => {
    it('halts a subtree whose parent does not exist yet and heals it when the parent arrives', () => {
      const forest = tree([
        ['app', 'team-a'],
        ['svc', 'app'],
      ]);
      expect(forest.parentMissing('app')).to.equal(true);
      expect(forest.parentMissing('svc')).to.equal(false);
      expect(forest.health('svc')).to.deep.equal({ state: 'under-missing', workspace: 'app', missing: 'team-a' });
      expect(forest.isHalted('svc')).to.equal(true);
      expect(forest.path('svc')).to.equal(undefined);
      expect(forest.effectiveConstraints('svc')).to.equal(undefined);
      expect(sorted(forest.setWorkspace('team-a', '').subtree)).to.deep.equal(['app', 'svc', 'team-a']);
      expect(forest.path('svc')).to.equal('root:team-a:app:svc');
      expect(forest.isHalted('svc')).to.equal(false);
    });
  });

  describe('cycles', () => {
    it('reports a self-loop', () => {
      const forest = tree([
        ['loop', 'loop'],
        ['below', 'loop'],
      ]);
      expect(forest.isInCycle('loop')).to.equal(true);
      expect(forest.cycleMembers('loop')).to.deep.equal(['loop']);
      expect(forest.ancestors('loop')).to.deep.equal([]);
      expect(forest.descendants('loop')).to.deep.equal(['below']);
      expect(forest.health('below')).to.deep.equal({ state: 'under-cycle', cycle: ['loop'] });
      expect(forest.isInCycle('below')).to.equal(false);
      expect(forest.cycleMembers('below')).to.deep.equal([]);
    });

    it('reports a 3-cycle with sorted members, and no traversal hangs', () => {
      const forest = tree([
        ['root-ws', ''],
        ['c', 'root-ws'],
        ['b', 'c'],
        ['a', 'b'],
        ['leaf', 'a'],
      ]);
      const touched = forest.setWorkspace('c', 'a');
      expect(sorted(touched.subtree)).to.deep.equal(['a', 'b', 'c', 'leaf']);
      expect(sorted(touched.parents)).to.deep.equal(['a', 'root-ws']);
      for (const member of ['a', 'b', 'c']) {
        expect(forest.isInCycle(member)).to.equal(true);
        expect(forest.cycleMembers(member)).to.deep.equal(['a', 'b', 'c']);
        expect(forest.path(member)).to.equal(undefined);
        expect(forest.depth(member)).to.equal(undefined);
        expect(forest.isHalted(member)).to.equal(true);
      }
      expect(forest.ancestors('a')).to.deep.equal(['c', 'b']);
      expect(forest.ancestors('leaf')).to.deep.equal(['c', 'b', 'a']);
      expect(forest.descendants('a')).to.deep.equal(['c', 'b', 'leaf']);
      expect(forest.health('leaf')).to.deep.equal({ state: 'under-cycle', cycle: ['a', 'b', 'c'] });
      expect(forest.children('root-ws')).to.deep.equal([]);
      // Breaking the cycle anywhere heals every member and what hangs below.
      forest.setWorkspace('b', 'root-ws');
      expect(forest.path('leaf')).to.equal('root:root-ws:b:a:leaf');
      expect(forest.path('c')).to.equal('root:root-ws:b:a:c');
      expect(forest.isInCycle('c')).to.equal(false);
    });

    it('heals a cycle when a member is removed', () => {
      const forest = tree([
        ['a', 'b'],
        ['b', 'a'],
      ]);
      expect(forest.cycleMembers('b')).to.deep.equal(['a', 'b']);
      forest.removeWorkspace('a');
      expect(forest.parentMissing('b')).to.equal(true);
    });
  });

  describe('derived data', () => {
    it('folds constraints down the chain', () => {
      const forest = tree([
        ['acme', '', { constraints: { regions: ['eu-1', 'us-1'] } }],
        ['team', 'acme', { constraints: { regions: ['eu-1'] } }],
        ['app', 'team'],
      ]);
      const effective = forest.effectiveConstraints('app')!;
      expect(effective.constraints.regions).to.deep.equal(['eu-1']);
      expect(effective.origins.regions).to.equal('team');
      // A workspace without constraints shares its parent's result.
      expect(effective).to.equal(forest.effectiveConstraints('team'));
    });

    it('unions propagated types down the chain, with Role and RoleBinding always in', () => {
      const forest = tree([
        ['acme', '', { propagate: [{ apiVersion: 'v1', kind: 'ConfigMap' }] }],
        ['team', 'acme', { propagate: [{ apiVersion: 'networking.k8s.io/v1', kind: 'NetworkPolicy' }] }],
        ['app', 'team'],
        ['other', ''],
      ]);
      expect(sorted(forest.propagatedTypes('app')!)).to.deep.equal([
        'ConfigMap',
        'NetworkPolicy.networking.k8s.io',
        'Role.rbac.authorization.k8s.io',
        'RoleBinding.rbac.authorization.k8s.io',
      ]);
      expect(sorted(forest.propagatedTypes('other')!)).to.deep.equal(DEFAULT_PROPAGATED_TYPES.map((t) => typeKey(t.apiVersion, t.kind)).sort());
      expect(forest.propagatedTypes('app')).to.equal(forest.propagatedTypes('team'));
    });

    it('identifies a type by group and kind, not version', () => {
      expect(typeKey('networking.k8s.io/v1', 'Ingress')).to.equal(typeKey('networking.k8s.io/v1beta1', 'Ingress'));
      expect(typeKey('v1', 'Secret')).to.equal('Secret');
    });
  });

  describe('namespaces', () => {
    it('attaches LogicalCluster namespaces and lists namespaces below a workspace', () => {
      const forest = tree([
        ['acme', ''],
        ['team', 'acme'],
        ['app', 'team'],
      ]);
      expect(sorted(forest.attachNamespace('shop', 'team', 'shop').all)).to.deep.equal(['team']);
      forest.attachNamespace('shop-db', 'team', 'shop');
      forest.attachNamespace('web', 'app', 'web');
      forest.attachNamespace('acme-tools', 'acme');
      expect(forest.namespaceInfo('shop-db')).to.deep.equal({ workspace: 'team', home: false, logicalCluster: 'shop' });
      expect(forest.namespaceInfo('acme-tools')).to.deep.equal({ workspace: 'acme', home: false });
      expect(forest.namespaceInfo('team')).to.deep.equal({ workspace: 'team', home: true });
      expect(forest.namespaceInfo('nope')).to.equal(undefined);
      expect(forest.namespacesOf('team')).to.deep.equal(['team', 'shop', 'shop-db']);
      expect(forest.descendantNamespaces('acme')).to.deep.equal(['acme-tools', 'team', 'shop', 'shop-db', 'app', 'web']);
      expect(forest.descendantNamespaces('team')).to.deep.equal(['shop', 'shop-db', 'app', 'web']);
      expect(forest.logicalClusters('team')).to.deep.equal(['shop']);
    });

    it('moves a re-attached namespace and reports both workspaces', () => {
      const forest = tree([
        ['a', ''],
        ['b', ''],
      ]);
      forest.attachNamespace('ns', 'a', 'lc');
      expect(sorted(forest.attachNamespace('ns', 'b', 'lc').all)).to.deep.equal(['a', 'b']);
      expect(forest.attachedNamespaces('a')).to.deep.equal([]);
      expect(sorted(forest.detachNamespace('ns').all)).to.deep.equal(['b']);
      expect(sorted(forest.detachNamespace('ns').all)).to.deep.equal([]);
      expect(forest.namespaceInfo('ns')).to.equal(undefined);
    });

    it('lets a home namespace win over an attachment of the same name', () => {
      const forest = tree([
        ['a', ''],
        ['clash', ''],
      ]);
      forest.attachNamespace('clash', 'a', 'clash');
      expect(forest.namespaceInfo('clash')).to.deep.equal({ workspace: 'clash', home: true });
      expect(forest.attachedNamespaces('a')).to.deep.equal([]);
      forest.removeWorkspace('clash');
      expect(forest.namespaceInfo('clash')).to.deep.equal({ workspace: 'a', home: false, logicalCluster: 'clash' });
    });

    it('keeps attachments made before their workspace exists', () => {
      const forest = new Forest();
      forest.attachNamespace('early', 'late');
      forest.setWorkspace('late', '');
      expect(forest.namespacesOf('late')).to.deep.equal(['late', 'early']);
    });
  });

  describe('depth without recursion', () => {
    it('handles a 12,000-deep chain (deeper than a recursive walk could go)', () => {
      const forest = new Forest();
      const n = 12_000;
      for (let i = 0; i < n; i++) forest.setWorkspace(`w${i}`, i === 0 ? '' : `w${i - 1}`);
      expect(forest.depth(`w${n - 1}`)).to.equal(n - 1);
      expect(forest.ancestors(`w${n - 1}`)).to.have.length(n - 1);
      expect(forest.descendants('w0')).to.have.length(n - 1);
      expect(forest.path(`w${n - 1}`)!.split(':')).to.have.length(n + 1);
    });

    it('heals a chain built leaf first', () => {
      const forest = new Forest();
      const n = 1_000;
      for (let i = n - 1; i >= 0; i--) forest.setWorkspace(`w${i}`, i === 0 ? '' : `w${i - 1}`);
      expect(forest.depth(`w${n - 1}`)).to.equal(n - 1);
    });
  });

  describe('compatibility with the Workspace CRD types', () => {
    it('reads parent and inherited fields from a spec', () => {
      expect(parentFromSpec(undefined)).to.equal('');
      expect(parentFromSpec({ parent: 'acme' })).to.equal('acme');
      expect(
        workspaceDataFromSpec({
          parent: 'acme',
          owners: [{ kind: 'User', name: 'alice' }],
          constraints: { regions: ['eu-1'], costBudget: 10 },
          propagate: [{ apiVersion: 'v1', kind: 'ConfigMap' }],
        }),
      ).to.deep.equal({
        owners: [{ kind: 'User', name: 'alice' }],
        constraints: { regions: ['eu-1'], costBudget: 10 },
        propagate: [{ apiVersion: 'v1', kind: 'ConfigMap' }],
      });
    });
  });

  describe('against a brute-force model, on seeded random histories', () => {
    for (const seed of [1, 7, 42, 2024]) {
      it(`agrees after every step (seed ${seed})`, () => {
        runRandomHistory(seed, 250);
      });
    }
  });
});

// ---- brute force ----------------------------------------------------------------

/** The obvious O(n²) answers, from nothing but the parent map. */
class BruteForce {
  readonly parents = new Map<string, string>();
  readonly data = new Map<string, WorkspaceData>();

  /** Parent pointers from `name` up, stopping at a root, a missing parent or a repeat. */
  walkUp(name: string): { chain: string[]; end: 'root' | 'missing' | 'repeat'; repeatAt?: string } {
    const chain = [name];
    for (;;) {
      const parent = this.parents.get(chain[chain.length - 1]!)!;
      if (parent === '') return { chain, end: 'root' };
      if (!this.parents.has(parent)) return { chain, end: 'missing' };
      if (chain.includes(parent)) return { chain, end: 'repeat', repeatAt: parent };
      chain.push(parent);
    }
  }

  descendantsOf(name: string): string[] {
    return [...this.parents.keys()].filter((m) => m !== name && this.walkUp(m).chain.includes(name)).sort();
  }

  describe(name: string): string {
    if (!this.parents.has(name)) return 'absent';
    const { chain, end, repeatAt } = this.walkUp(name);
    const children = [...this.parents]
      .filter(([, p]) => p === name)
      .map(([c]) => c)
      .sort();
    const descendants = this.descendantsOf(name);
    let health: unknown;
    let extra: unknown = null;
    if (end === 'root') {
      health = { state: 'ok' };
      const rootFirst = [...chain].reverse();
      const effective = effectiveConstraints(rootFirst.map((ws) => ({ workspace: ws, constraints: this.data.get(ws)?.constraints })));
      extra = { depth: chain.length - 1, path: `root:${rootFirst.join(':')}`, effective: plain(effective) };
    } else if (end === 'missing') {
      const last = chain[chain.length - 1]!;
      health =
        last === name
          ? { state: 'parent-missing', missing: this.parents.get(name) }
          : { state: 'under-missing', workspace: last, missing: this.parents.get(last) };
    } else {
      const cycle = chain.slice(chain.indexOf(repeatAt!)).sort();
      health = { state: cycle.includes(name) ? 'cycle' : 'under-cycle', cycle };
    }
    const ancestors = chain.slice(1).reverse();
    return stableJson({ health, extra, ancestors, children, descendants });
  }
}

function plain(effective: EffectiveConstraints): unknown {
  return { constraints: effective.constraints, origins: effective.origins, unsatisfiable: effective.unsatisfiable };
}

function describeForest(forest: Forest, name: string): string {
  if (!forest.has(name)) return 'absent';
  const health = forest.health(name)!;
  const effective = forest.effectiveConstraints(name);
  const extra = health.state === 'ok' ? { depth: forest.depth(name), path: forest.path(name), effective: plain(effective!) } : null;
  return stableJson({
    health,
    extra,
    ancestors: forest.ancestors(name),
    children: forest.children(name),
    descendants: sorted(forest.descendants(name)),
  });
}

const CONSTRAINT_CHOICES: Array<WorkspaceConstraints | undefined> = [
  undefined,
  { regions: ['eu-1', 'eu-2'] },
  { regions: ['eu-1'], podSecurity: 'restricted' },
  { quota: { hard: { cpu: '10' } }, maxLogicalClusters: 4 },
  { quota: { hard: { 'requests.cpu': '4' } }, costBudget: 100 },
];

function runRandomHistory(seed: number, steps: number): void {
  const random = mulberry32(seed);
  const pick = <T>(items: readonly T[]): T => items[Math.floor(random() * items.length)]!;
  const names = Array.from({ length: 12 }, (_, i) => `ws${i}`);
  const forest = new Forest();
  const model = new BruteForce();
  const statesSeen = new Set<string>();
  for (let step = 0; step < steps; step++) {
    const name = pick(names);
    const before = new Map(names.map((n) => [n, model.describe(n)]));
    // Warm every cache so the identity check below means something.
    const cachedBefore = new Map(names.map((n) => [n, forest.effectiveConstraints(n)]));
    const oldParent = model.parents.get(name);
    const allowed = new Set([name, ...model.descendantsOf(name)]);
    if (oldParent && model.parents.has(oldParent)) allowed.add(oldParent);
    let change: ForestChange;
    if (random() < 0.25) {
      change = forest.removeWorkspace(name);
      model.parents.delete(name);
      model.data.delete(name);
    } else {
      // Mostly parents that exist, sometimes a root, sometimes itself or a missing one.
      const parent = random() < 0.15 ? '' : pick(names);
      const constraints = pick(CONSTRAINT_CHOICES);
      const data: WorkspaceData = constraints ? { constraints } : {};
      change = forest.setWorkspace(name, parent, data);
      model.parents.set(name, parent);
      model.data.set(name, data);
    }
    // Only the workspace, its subtree (before or after) and its old and new parents may be reported.
    for (const n of model.descendantsOf(name)) allowed.add(n);
    const newParent = model.parents.get(name);
    if (newParent && model.parents.has(newParent)) allowed.add(newParent);
    // Subtree totals of the parents' ancestors changed too; consumers expand those themselves.
    const aboveParents = new Set([...change.parents].flatMap((p) => forest.ancestors(p)));
    const context = `seed ${seed}, step ${step}, ${name}`;
    for (const n of names) {
      const after = model.describe(n);
      expect(describeForest(forest, n), `${context}: ${n}`).to.equal(after);
      if (after !== before.get(n)) {
        const onlyDescendantsChanged =
          after !== 'absent' &&
          before.get(n) !== 'absent' &&
          stableJson({ ...JSON.parse(after), descendants: [] }) === stableJson({ ...JSON.parse(before.get(n)!), descendants: [] });
        const reported = change.all.has(n) || (onlyDescendantsChanged && aboveParents.has(n));
        expect(reported, `${context}: ${n} changed but was not reported`).to.equal(true);
      }
      if (change.all.has(n)) expect(allowed.has(n), `${context}: ${n} reported but not near the change`).to.equal(true);
      const health = forest.health(n);
      if (health) statesSeen.add(health.state);
      if (!change.subtree.has(n) && forest.has(n)) {
        expect(forest.effectiveConstraints(n), `${context}: ${n} recomputed though untouched`).to.equal(cachedBefore.get(n));
      }
    }
  }
  // The history must have exercised every shape, or agreeing proves little.
  expect([...statesSeen].sort()).to.deep.equal(['cycle', 'ok', 'parent-missing', 'under-cycle', 'under-missing']);
}
