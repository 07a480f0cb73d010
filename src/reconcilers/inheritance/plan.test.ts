import { expect } from 'chai';
import { Forest } from '../../hierarchy/forest.js';
import { type ExistingObject, indexByNamespace, objectKey, type SourceObject } from './objects.js';
import { desiredCopies, planNamespace, planReparent, planSourceChange, planSubtree, type PropagationAction, type PropagationInput } from './plan.js';

const RBAC = 'rbac.authorization.k8s.io/v1';
const ADMINS = objectKey({ apiVersion: RBAC, kind: 'RoleBinding', name: 'admins' });

function rb(namespace: string, name = 'admins', extra: Partial<SourceObject> = {}): SourceObject {
  return { apiVersion: RBAC, kind: 'RoleBinding', name, namespace, hash: `${namespace}-v1`, ...extra };
}

function copyOf(source: SourceObject, namespace: string, hash = source.hash): ExistingObject {
  return {
    apiVersion: source.apiVersion,
    kind: source.kind,
    name: source.name,
    namespace,
    hash,
    labels: { 'canopy.dev/inherited-from': source.namespace, 'canopy.dev/managed-by': 'canopy' },
  };
}

/** acme > team-a > app, acme > team-b; LogicalCluster namespace shop under team-a. */
function acmeForest(): Forest {
  const forest = new Forest();
  forest.setWorkspace('acme', '');
  forest.setWorkspace('team-a', 'acme');
  forest.setWorkspace('team-b', 'acme');
  forest.setWorkspace('app', 'team-a');
  forest.attachNamespace('shop', 'team-a', 'shop');
  return forest;
}

function input(
  forest: Forest,
  sources: SourceObject[],
  existing: ExistingObject[] = [],
  labels: Record<string, Record<string, string>> = {},
): PropagationInput {
  return {
    forest,
    sources: indexByNamespace(sources),
    // Sources exist in their own namespace too.
    existing: indexByNamespace([...sources, ...existing]),
    namespaceLabels: (ns) => labels[ns],
  };
}

const brief = (actions: readonly PropagationAction[]): string[] =>
  actions.map((a) => `${a.action} ${a.namespace}${'source' in a ? ` <- ${a.source.namespace}` : ''}`);

describe('propagation planning', () => {
  describe('planSourceChange', () => {
    it('creates a new source in every namespace below it, each once, parents first', () => {
      const forest = acmeForest();
      const source = rb('acme');
      const plan = planSourceChange(input(forest, [source]), source);
      expect(brief(plan.actions)).to.deep.equal(['create team-a <- acme', 'create shop <- acme', 'create app <- acme', 'create team-b <- acme']);
      expect(plan.actions[0]!.key).to.equal(ADMINS);
      expect(plan.visited).to.equal(5); // acme's own home namespace is checked too
    });

    it('updates copies when the source changes, and skips copies already in sync', () => {
      const forest = acmeForest();
      const v1 = rb('acme');
      const v2 = { ...v1, hash: 'acme-v2' };
      const existing = [copyOf(v1, 'team-a'), copyOf(v1, 'shop'), copyOf(v2, 'app'), copyOf(v1, 'team-b')];
      const plan = planSourceChange(input(forest, [v2], existing), v2);
      expect(brief(plan.actions)).to.deep.equal(['update team-a <- acme', 'update shop <- acme', 'update team-b <- acme']);
    });

    it('puts back a copy edited by hand or one that lost its hash', () => {
      const forest = acmeForest();
      const source = rb('acme');
      const plan = planSourceChange(
        input(
          forest,
          [source],
          [copyOf(source, 'team-a', 'edited'), { ...copyOf(source, 'shop'), hash: undefined }, copyOf(source, 'app'), copyOf(source, 'team-b')],
        ),
        source,
      );
      expect(brief(plan.actions)).to.deep.equal(['update team-a <- acme', 'update shop <- acme']);
    });

    it('deletes every copy when the source is deleted', () => {
      const forest = acmeForest();
      const gone = rb('acme');
      const existing = ['team-a', 'shop', 'app', 'team-b'].map((ns) => copyOf(gone, ns));
      const plan = planSourceChange(input(forest, [], existing), gone);
      expect(brief(plan.actions)).to.deep.equal(['delete team-a', 'delete shop', 'delete app', 'delete team-b']);
    });

    it('lets a nearer same-named source win below it; the nearer namespace itself is a conflict', () => {
      const forest = acmeForest();
      const top = rb('acme');
      const mid = rb('team-a');
      const plan = planSourceChange(input(forest, [top, mid]), top);
      // team-a's subtree depends only on team-a's object, so it is not even visited.
      expect(brief(plan.actions)).to.deep.equal(['conflict team-a <- acme', 'create team-b <- acme']);
      expect(plan.visited).to.equal(3);
      const desired = desiredCopies(forest, indexByNamespace([top, mid]));
      expect(desired.get('app')!.get(ADMINS)!.namespace).to.equal('team-a');
      expect(desired.get('shop')!.get(ADMINS)!.namespace).to.equal('team-a');
      expect(desired.get('team-b')!.get(ADMINS)!.namespace).to.equal('acme');
      expect(desired.get('team-a')!.get(ADMINS)!.namespace).to.equal('acme');
    });

    it('hands the subtree back to the farther source when the nearer one is deleted', () => {
      const forest = acmeForest();
      const top = rb('acme');
      const mid = rb('team-a');
      const existing = [copyOf(top, 'team-b'), copyOf(mid, 'shop'), copyOf(mid, 'app')];
      const plan = planSourceChange(input(forest, [top], existing), mid);
      expect(brief(plan.actions)).to.deep.equal(['create team-a <- acme', 'update shop <- acme', 'update app <- acme']);
    });

    it('never overwrites or deletes a user object: it is a conflict', () => {
      const forest = acmeForest();
      const source = rb('acme');
      const mine: ExistingObject = { apiVersion: RBAC, kind: 'RoleBinding', name: 'admins', namespace: 'app' };
      // inherited-from without managed-by is not Canopy's either.
      const lookalike: ExistingObject = { ...mine, namespace: 'shop', labels: { 'canopy.dev/inherited-from': 'acme' } };
      const plan = planSourceChange(input(forest, [source], [mine, lookalike]), source);
      expect(brief(plan.actions)).to.deep.equal(['create team-a <- acme', 'conflict shop <- acme', 'conflict app <- acme', 'create team-b <- acme']);
      const deleted = planSourceChange(input(forest, [], [mine, lookalike]), source);
      expect(deleted.actions).to.deep.equal([]);
    });

    it('ignores objects outside home namespaces', () => {
      const forest = acmeForest();
      const inShop = rb('shop');
      expect(planSourceChange(input(forest, [inShop]), inShop)).to.deep.equal({ actions: [], invalidSources: [], visited: 0 });
    });
  });

  describe('annotations', () => {
    it('propagate.canopy.dev/none stops an object, and removes copies it had', () => {
      const forest = acmeForest();
      const source = rb('acme', 'admins', { annotations: { 'propagate.canopy.dev/none': 'true' } });
      expect(planSourceChange(input(forest, [source]), source).actions).to.deep.equal([]);
      const plan = planSourceChange(input(forest, [source], [copyOf(source, 'team-b')]), source);
      expect(brief(plan.actions)).to.deep.equal(['delete team-b']);
    });

    it('propagate.canopy.dev/select limits by tree labels, namespace name and namespace labels', () => {
      const forest = acmeForest();
      const cases: Array<[string, string[]]> = [
        ['team-a.tree.canopy.dev/depth', ['team-a', 'shop', 'app']],
        ['team-a.tree.canopy.dev/depth=1', ['shop', 'app']],
        ['!team-a.tree.canopy.dev/depth', ['team-b']],
        ['kubernetes.io/metadata.name in (app, team-b)', ['app', 'team-b']],
        ['env=prod', ['shop']],
      ];
      for (const [select, namespaces] of cases) {
        const source = rb('acme', 'admins', { annotations: { 'propagate.canopy.dev/select': select } });
        const plan = planSourceChange(input(forest, [source], [], { shop: { env: 'prod' } }), source);
        expect(
          plan.actions.map((a) => a.namespace),
          select,
        ).to.deep.equal(namespaces);
      }
    });

    it('lets a farther source reach where a nearer selective one does not', () => {
      const forest = acmeForest();
      const top = rb('acme');
      const mid = rb('team-a', 'admins', { annotations: { 'propagate.canopy.dev/select': 'kubernetes.io/metadata.name=app' } });
      const desired = desiredCopies(forest, indexByNamespace([top, mid]));
      expect(desired.get('app')!.get(ADMINS)!.namespace).to.equal('team-a');
      expect(desired.get('shop')!.get(ADMINS)!.namespace).to.equal('acme');
      // A selective nearer source does not shadow the subtree, so it is visited.
      const plan = planSourceChange(input(forest, [top, mid], [copyOf(mid, 'app')]), top);
      expect(brief(plan.actions)).to.deep.equal(['conflict team-a <- acme', 'create shop <- acme', 'create team-b <- acme']);
    });

    it('reports a select annotation that does not parse and sends the object nowhere', () => {
      const forest = acmeForest();
      const source = rb('acme', 'admins', { annotations: { 'propagate.canopy.dev/select': 'env in (' } });
      const plan = planSourceChange(input(forest, [source]), source);
      expect(plan.actions).to.deep.equal([]);
      expect(plan.invalidSources).to.have.length(1);
      expect(plan.invalidSources[0]!.error).to.contain('propagate.canopy.dev/select');
    });
  });

  describe('propagated types', () => {
    const configMap = (namespace: string): SourceObject => ({ apiVersion: 'v1', kind: 'ConfigMap', name: 'settings', namespace, hash: 'h' });

    it('copies Role and RoleBinding by default and other types only where spec.propagate lists them', () => {
      const forest = acmeForest();
      expect(planSourceChange(input(forest, [configMap('acme')]), configMap('acme')).actions).to.deep.equal([]);
      forest.setWorkspace('team-a', 'acme', { propagate: [{ apiVersion: 'v1', kind: 'ConfigMap' }] });
      // Listed at team-a: team-a's ConfigMaps propagate, acme's still do not.
      expect(planSourceChange(input(forest, [configMap('acme')]), configMap('acme')).actions).to.deep.equal([]);
      expect(brief(planSourceChange(input(forest, [configMap('team-a')]), configMap('team-a')).actions)).to.deep.equal([
        'create shop <- team-a',
        'create app <- team-a',
      ]);
    });

    it('removes copies of a type that stops being propagated', () => {
      const forest = acmeForest();
      forest.setWorkspace('acme', '', { propagate: [{ apiVersion: 'v1', kind: 'ConfigMap' }] });
      const source = configMap('acme');
      const existing = ['team-a', 'shop', 'app', 'team-b'].map((ns) => copyOf(source, ns));
      expect(planSubtree(input(forest, [source], existing), 'acme').actions).to.deep.equal([]);
      forest.setWorkspace('acme', '', {});
      expect(brief(planSubtree(input(forest, [source], existing), 'acme').actions)).to.deep.equal([
        'delete team-a',
        'delete shop',
        'delete app',
        'delete team-b',
      ]);
    });
  });

  describe('re-parenting', () => {
    it("adds the new ancestors' copies, removes the old ones' and re-points shared names", () => {
      const forest = acmeForest();
      forest.setWorkspace('globex', '');
      forest.attachNamespace('web', 'app', 'web');
      const acmeAdmins = rb('acme');
      const acmeViewers = rb('acme', 'viewers');
      const teamA = rb('team-a', 'deployers');
      const globexAdmins = rb('globex');
      const globexAuditors = rb('globex', 'auditors');
      const appOwn = rb('app', 'app-admins');
      const sources = [acmeAdmins, acmeViewers, teamA, globexAdmins, globexAuditors, appOwn];
      // Consistent state before the move.
      const before = desiredCopies(forest, indexByNamespace(sources));
      const existing: ExistingObject[] = [];
      for (const [ns, copies] of before) for (const source of copies.values()) existing.push(copyOf(source, ns));

      forest.setWorkspace('app', 'globex');
      const plan = planReparent(input(forest, sources, existing), 'app');
      expect(brief(plan.add)).to.deep.equal(['create app <- globex', 'create web <- globex']);
      expect(plan.add.map((a) => a.key)).to.deep.equal([objectKey(globexAuditors), objectKey(globexAuditors)]);
      expect(plan.remove.map((a) => `${a.namespace} ${a.key}`)).to.deep.equal([
        `app ${objectKey(teamA)}`,
        `app ${objectKey(acmeViewers)}`,
        `web ${objectKey(teamA)}`,
        `web ${objectKey(acmeViewers)}`,
      ]);
      expect(brief(plan.update)).to.deep.equal(['update app <- globex', 'update web <- globex']);
      expect(plan.update.every((a) => a.key === ADMINS && a.current.labels!['canopy.dev/inherited-from'] === 'acme')).to.equal(true);
      expect(plan.conflicts).to.deep.equal([]);
      // app's own object keeps reaching web untouched; nothing outside the subtree is visited.
      expect(plan.visited).to.equal(2);
    });
  });

  describe('planNamespace', () => {
    it('fills a newly attached LogicalCluster namespace from its workspace and above', () => {
      const forest = acmeForest();
      const sources = [rb('acme'), rb('team-a', 'deployers'), rb('app', 'app-only')];
      forest.attachNamespace('shop-db', 'team-a', 'shop');
      const plan = planNamespace(input(forest, sources), 'shop-db');
      expect(plan.actions.map((a) => `${a.action} ${a.key}`)).to.deep.equal([`create ${ADMINS}`, `create ${objectKey(rb('x', 'deployers'))}`]);
      expect(plan.visited).to.equal(1);
    });

    it('puts back a single deleted copy in a home namespace', () => {
      const forest = acmeForest();
      const plan = planNamespace(input(forest, [rb('acme'), rb('team-a')]), 'team-a', ADMINS);
      expect(brief(plan.actions)).to.deep.equal(['conflict team-a <- acme']);
      const healed = planNamespace(input(forest, [rb('acme')]), 'app', ADMINS);
      expect(brief(healed.actions)).to.deep.equal(['create app <- acme']);
      expect(planNamespace(input(forest, []), 'nowhere').actions).to.deep.equal([]);
    });
  });

  describe('halted workspaces', () => {
    it('plans nothing in or under a cycle and leaves its copies alone', () => {
      const forest = acmeForest();
      forest.setWorkspace('a', 'b');
      forest.setWorkspace('b', 'a');
      forest.setWorkspace('below', 'a');
      const source = rb('a');
      const stale = copyOf(rb('acme'), 'below');
      const plan = planSubtree(input(forest, [source], [stale]), 'a');
      expect(plan.actions).to.deep.equal([]);
      expect(plan.halted).to.deep.equal({ workspace: 'a', health: { state: 'cycle', cycle: ['a', 'b'] } });
      expect(planSourceChange(input(forest, [source]), source).halted!.workspace).to.equal('a');
      expect(planNamespace(input(forest, [source]), 'below').halted!.health).to.deep.equal({ state: 'under-cycle', cycle: ['a', 'b'] });
      const desired = desiredCopies(forest, indexByNamespace([source, rb('acme')]));
      expect([...desired.keys()].sort()).to.deep.equal(['app', 'shop', 'team-a', 'team-b']);
    });

    it('plans nothing under a missing parent', () => {
      const forest = acmeForest();
      forest.setWorkspace('orphan', 'gone');
      expect(planSubtree(input(forest, [rb('orphan')]), 'orphan').halted!.health).to.deep.equal({ state: 'parent-missing', missing: 'gone' });
    });
  });

  describe('cost: each descendant namespace is visited exactly once', () => {
    function countVisits(forest: Forest, root: string): Map<string, number> {
      const visits = new Map<string, number>();
      const source = rb(root);
      planSourceChange(input(forest, [source]), source, { trace: (ns) => visits.set(ns, (visits.get(ns) ?? 0) + 1) });
      return visits;
    }

    it('on a 50-deep chain', () => {
      const forest = new Forest();
      for (let i = 0; i < 50; i++) forest.setWorkspace(`c${i}`, i === 0 ? '' : `c${i - 1}`);
      const visits = countVisits(forest, 'c0');
      expect(visits.size).to.equal(50);
      expect([...visits.values()].every((n) => n === 1)).to.equal(true);
      const plan = planSourceChange(input(forest, [rb('c0')]), rb('c0'));
      expect(plan.actions).to.have.length(49);
    });

    it('on a 1,111-workspace tree (fan-out 10, depth 3) with a LogicalCluster namespace per leaf', () => {
      const forest = new Forest();
      forest.setWorkspace('t', '');
      for (let a = 0; a < 10; a++) {
        forest.setWorkspace(`t-${a}`, 't');
        for (let b = 0; b < 10; b++) {
          forest.setWorkspace(`t-${a}-${b}`, `t-${a}`);
          for (let c = 0; c < 10; c++) {
            forest.setWorkspace(`t-${a}-${b}-${c}`, `t-${a}-${b}`);
            forest.attachNamespace(`lc-${a}-${b}-${c}`, `t-${a}-${b}-${c}`, `lc-${a}-${b}-${c}`);
          }
        }
      }
      expect(forest.size).to.equal(1111);
      const visits = countVisits(forest, 't');
      expect(visits.size).to.equal(1111 + 1000);
      expect([...visits.values()].every((n) => n === 1)).to.equal(true);
      const subtreeVisits = new Map<string, number>();
      planSubtree(input(forest, [rb('t')]), 't-3', { trace: (ns) => subtreeVisits.set(ns, (subtreeVisits.get(ns) ?? 0) + 1) });
      expect(subtreeVisits.size).to.equal(111 + 100);
      expect([...subtreeVisits.values()].every((n) => n === 1)).to.equal(true);
    });
  });
});
