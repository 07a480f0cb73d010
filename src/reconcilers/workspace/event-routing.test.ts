import { expect } from 'chai';
import { LABEL_INHERITED_FROM, LABEL_MANAGED_BY, MANAGED_BY_VALUE } from '../../crds/labels.js';
import { Forest } from '../../hierarchy/forest.js';
import type { ForestChange } from '../../hierarchy/forest-change.js';
import type { HierarchyChange } from '../../hierarchy/hierarchy.js';
import type { PropagatedType } from '../../hierarchy/types.js';
import type { Request } from '../../runtime/index.js';
import type { Entry } from '../inheritance/tracker.js';
import { routeHierarchyChange, routeObjectChange, type RoutingContext, type RoutingTargets } from './event-routing.js';

/** Every routed request, by target, as text. */
function recorder(): { targets: RoutingTargets; log: string[] } {
  const log: string[] = [];
  const text = (r: Request): string => (r.namespace === undefined ? r.name : `${r.namespace}/${r.name}`);
  return {
    log,
    targets: {
      workspace: (r) => log.push(`workspace ${text(r)}`),
      treeLabels: (r) => log.push(`tree-labels ${text(r)}`),
      inherit: (r) => log.push(`inherit ${text(r)}`),
      ensureType: (t: PropagatedType) => log.push(`ensure ${t.kind}`),
      forgetConflicts: (ns) => log.push(`forget ${ns}`),
    },
  };
}

function world(pending: ReadonlySet<string> = new Set()): { forest: Forest; context: RoutingContext } {
  const forest = new Forest();
  forest.setWorkspace('acme', '');
  forest.setWorkspace('team-a', 'acme');
  forest.setWorkspace('app-1', 'team-a');
  forest.attachNamespace('app-1-dev', 'app-1', 'app-1-dev');
  const context: RoutingContext = {
    forest,
    propagateOf: (name) => (name === 'team-a' ? [{ apiVersion: 'v1', kind: 'ConfigMap' }] : []),
    writePending: (ns, key) => pending.has(`${ns}|${key}`),
  };
  return { forest, context };
}

const role = (namespace: string, labels?: Record<string, string>): Entry => ({
  apiVersion: 'rbac.authorization.k8s.io/v1',
  kind: 'Role',
  name: 'reader',
  namespace,
  uid: 'u1',
  hash: 'h1',
  ...(labels ? { labels } : {}),
});

describe('workspace event routing', () => {
  it('a re-parented workspace wakes its subtree, relabels every namespace below it and replans its copies', () => {
    const { forest, context } = world();
    const change: ForestChange = forest.setWorkspace('team-a', '');
    const { targets, log } = recorder();
    routeHierarchyChange(
      {
        kind: 'workspace',
        name: 'team-a',
        change,
        parentChanged: true,
        propagateChanged: false,
        ownersChanged: false,
        constraintsChanged: false,
        removed: false,
      },
      context,
      targets,
    );
    expect(log).to.include.members([
      'workspace team-a',
      'workspace app-1',
      'tree-labels team-a',
      'tree-labels app-1',
      'tree-labels app-1-dev',
      'inherit tree/team-a',
    ]);
    expect(log.filter((l) => l.startsWith('ensure'))).to.deep.equal([]);
  });

  it('a changed spec.propagate looks the listed types up', () => {
    const { forest, context } = world();
    const change = forest.setWorkspace('team-a', 'acme', { propagate: [{ apiVersion: 'v1', kind: 'ConfigMap' }] });
    const { targets, log } = recorder();
    routeHierarchyChange(
      {
        kind: 'workspace',
        name: 'team-a',
        change,
        parentChanged: false,
        propagateChanged: true,
        ownersChanged: false,
        constraintsChanged: false,
        removed: false,
      },
      context,
      targets,
    );
    expect(log).to.include.members(['inherit tree/team-a', 'ensure ConfigMap']);
  });

  it('a removed namespace forgets its conflicts and plans nothing', () => {
    const { forest, context } = world();
    const change = forest.detachNamespace('app-1-dev');
    const { targets, log } = recorder();
    const removed: HierarchyChange = { kind: 'namespace', name: 'app-1-dev', change, appeared: false, labelsChanged: false, removed: true };
    routeHierarchyChange(removed, context, targets);
    expect(log).to.include('forget app-1-dev');
    expect(log.filter((l) => l.startsWith('inherit') || l.startsWith('tree-labels'))).to.deep.equal([]);
  });

  it('a source edited in a home namespace replans that source; the same edit of a copy replans the namespace', () => {
    const { context } = world();
    const { targets, log } = recorder();
    routeObjectChange({ kind: 'upsert', entry: { ...role('team-a'), hash: 'h2' }, previous: role('team-a') }, context, targets);
    const copyLabels = { [LABEL_INHERITED_FROM]: 'team-a', [LABEL_MANAGED_BY]: MANAGED_BY_VALUE };
    routeObjectChange({ kind: 'upsert', entry: { ...role('app-1', copyLabels), hash: 'h2' }, previous: role('app-1', copyLabels) }, context, targets);
    expect(log).to.deep.equal(['inherit src/team-a|Role.rbac.authorization.k8s.io/reader', 'inherit ns/app-1|Role.rbac.authorization.k8s.io/reader']);
  });

  it('drops echoes: an unchanged object, one the propagator is writing, and one outside the tree', () => {
    const { context } = world(new Set(['team-a|Role.rbac.authorization.k8s.io/reader']));
    const { targets, log } = recorder();
    routeObjectChange({ kind: 'upsert', entry: role('app-1'), previous: role('app-1') }, context, targets);
    routeObjectChange({ kind: 'upsert', entry: { ...role('team-a'), hash: 'h2' }, previous: role('team-a') }, context, targets);
    routeObjectChange({ kind: 'upsert', entry: role('kube-system'), previous: undefined }, context, targets);
    routeObjectChange({ kind: 'delete', entry: role('app-1'), previous: undefined }, context, targets);
    expect(log).to.deep.equal([]);
  });
});
