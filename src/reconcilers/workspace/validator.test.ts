import { expect } from 'chai';
import { MemoryTreeView, ws } from '../../../test/support/memory-view.js';
import type { AdmissionInput, Requester } from '../../admission/request.js';
import type { WorkspaceLike } from '../../admission/tree.js';
import { denialMessage, type Verdict } from '../../admission/verdict.js';
import type { WorkspaceConstraints } from '../../hierarchy/types.js';
import { validateWorkspace, WorkspaceRules } from './validator.js';

const admin: Requester = { username: 'admin', groups: ['system:masters'], admin: true };
const alice: Requester = { username: 'alice', groups: ['system:authenticated'], admin: false };
const bob: Requester = { username: 'bob', groups: ['system:authenticated', 'platform'], admin: false };
const robot: Requester = { username: 'system:serviceaccount:ci:deployer', groups: ['system:serviceaccounts'], admin: false };

function tree(): MemoryTreeView {
  return new MemoryTreeView({
    workspaces: [
      ws('acme', {
        owners: [
          { kind: 'User', name: 'alice' },
          { kind: 'ServiceAccount', name: 'deployer', namespace: 'ci' },
        ],
        constraints: {
          regions: ['eu-1', 'eu-2'],
          maxLogicalClusters: 10,
          quota: { hard: { cpu: '10', memory: '20Gi' } },
          podSecurity: 'baseline',
          costBudget: 1000,
          allowedRegistries: ['registry.acme.io'],
        },
      }),
      ws('team-a', { parent: 'acme', owners: [{ kind: 'Group', name: 'platform' }], constraints: { regions: ['eu-1'] } }),
      ws('app-1', { parent: 'team-a' }),
      ws('other', { owners: [{ kind: 'User', name: 'carol' }] }),
      ws('orphan', { parent: 'gone' }),
    ],
    namespaces: [
      { metadata: { name: 'acme', labels: { 'canopy.dev/workspace': 'acme' } } },
      { metadata: { name: 'legacy' } },
      { metadata: { name: 'shop', labels: { 'canopy.dev/logical-cluster': 'shop', 'canopy.dev/workspace': 'acme' } } },
    ],
  });
}

function create(object: WorkspaceLike, requester = admin): AdmissionInput<WorkspaceLike> {
  return { operation: 'CREATE', object, oldObject: undefined, requester };
}

function update(oldObject: WorkspaceLike, object: WorkspaceLike, requester = admin): AdmissionInput<WorkspaceLike> {
  return { operation: 'UPDATE', object, oldObject, requester };
}

function message(verdict: Verdict): string {
  expect(verdict.allowed, 'expected a denial').to.equal(false);
  return verdict.allowed ? '' : denialMessage(verdict.denial);
}

function rule(verdict: Verdict): string {
  return verdict.allowed ? 'allowed' : verdict.denial.rule;
}

describe('workspace validator', () => {
  describe('tree shape', () => {
    it('admits a child under an existing parent', () => {
      expect(validateWorkspace(create(ws('team-b', { parent: 'acme' })), tree()).allowed).to.equal(true);
    });

    it('denies a parent that does not exist, naming it', () => {
      const verdict = validateWorkspace(create(ws('team-b', { parent: 'acmee' })), tree());
      expect(message(verdict)).to.equal('spec.parent: parent workspace "acmee" does not exist; create it first or choose an existing parent');
    });

    it('denies attaching below a workspace whose own parent is missing', () => {
      const verdict = validateWorkspace(create(ws('child', { parent: 'orphan' })), tree());
      expect(rule(verdict)).to.equal(WorkspaceRules.parentMissing);
      expect(message(verdict)).to.contain('"gone", which does not exist');
    });

    it('denies a move that would form a cycle and prints the loop', () => {
      const t = tree();
      const verdict = validateWorkspace(update(t.workspace('acme')!, ws('acme', { ...t.workspace('acme')!.spec, parent: 'app-1' })), t);
      expect(message(verdict)).to.equal(
        'spec.parent: making "app-1" the parent of "acme" would form a cycle (acme → app-1 → team-a → acme); choose a parent outside the subtree of "acme"',
      );
    });

    it('does not block unrelated edits of a workspace whose parent disappeared', () => {
      const t = tree();
      const orphan = t.workspace('orphan')!;
      const edited = ws('orphan', { ...orphan.spec, owners: [{ kind: 'User', name: 'dave' }] });
      expect(validateWorkspace(update(orphan, edited), t).allowed).to.equal(true);
      expect(rule(validateWorkspace(update(orphan, ws('orphan', { parent: 'gone-too' })), t))).to.equal(WorkspaceRules.parentMissing);
    });

    it('says a chain deeper than the walk limit is too deep, not a cycle', () => {
      const chain = Array.from({ length: 257 }, (_, i) => ws(`d${i}`, i === 0 ? {} : { parent: `d${i - 1}` }));
      const t = new MemoryTreeView({ workspaces: chain, namespaces: [] });
      expect(validateWorkspace(create(ws('d-next', { parent: 'd255' })), t).allowed, '256 levels fit').to.equal(true);
      expect(message(validateWorkspace(create(ws('d-next', { parent: 'd256' })), t))).to.equal(
        'spec.parent: parent workspace "d256" is more than 256 levels below its root; workspace trees are limited to 256 levels',
      );
    });

    it('denies a workspace that is its own parent', () => {
      expect(rule(validateWorkspace(create(ws('loop', { parent: 'loop' })), tree()))).to.equal(WorkspaceRules.cycle);
    });

    it('denies reserved names and namespaces that belong to something else', () => {
      expect(message(validateWorkspace(create(ws('kube-system')), tree()))).to.contain('metadata.name: namespace "kube-system" is reserved');
      expect(message(validateWorkspace(create(ws('legacy')), tree()))).to.contain('namespace "legacy" already exists');
      expect(message(validateWorkspace(create(ws('shop')), tree()))).to.contain('already belongs to logical cluster "shop"');
    });

    it('admits re-creating a workspace whose home namespace is still there', () => {
      const t = new MemoryTreeView({ namespaces: [{ metadata: { name: 'acme', labels: { 'canopy.dev/workspace': 'acme' } } }] });
      expect(validateWorkspace(create(ws('acme')), t).allowed).to.equal(true);
    });
  });

  describe('constraints only narrow', () => {
    const cases: [string, WorkspaceConstraints, string][] = [
      ['regions', { regions: ['eu-1', 'us-1'] }, 'spec.constraints.regions: us-1 is not allowed by parent workspace acme (allowed: eu-1, eu-2)'],
      ['maxLogicalClusters', { maxLogicalClusters: 11 }, 'spec.constraints.maxLogicalClusters: 11 exceeds the limit 10 set by parent workspace acme'],
      ['quota', { quota: { hard: { cpu: '12' } } }, 'spec.constraints.quota.hard.requests.cpu: 12 exceeds the limit 10 set by parent workspace acme'],
      ['podSecurity', { podSecurity: 'privileged' }, 'spec.constraints.podSecurity: privileged is less strict than baseline required by parent workspace acme'],
      ['costBudget', { costBudget: 1500 }, 'spec.constraints.costBudget: 1500 exceeds the budget 1000 set by parent workspace acme'],
      [
        'allowedRegistries',
        { allowedRegistries: ['docker.io'] },
        'spec.constraints.allowedRegistries: docker.io is not allowed by parent workspace acme (allowed: registry.acme.io)',
      ],
    ];
    for (const [name, constraints, expected] of cases) {
      it(`denies a wider ${name}`, () => {
        const verdict = validateWorkspace(create(ws('team-b', { parent: 'acme', constraints })), tree());
        expect(rule(verdict)).to.equal(WorkspaceRules.narrow);
        expect(message(verdict)).to.equal(expected);
      });
    }

    it('names the ancestor that set a limit, not only the parent', () => {
      const verdict = validateWorkspace(create(ws('app-2', { parent: 'team-a', constraints: { podSecurity: 'privileged' } })), tree());
      expect(message(verdict)).to.contain('required by ancestor workspace acme');
    });

    it('admits narrower constraints', () => {
      const spec = {
        parent: 'acme',
        constraints: { regions: ['eu-2'], quota: { hard: { cpu: '2' } }, podSecurity: 'restricted', allowedRegistries: ['registry.acme.io/team-b'] },
      };
      expect(validateWorkspace(create(ws('team-b', spec)), tree()).allowed).to.equal(true);
    });
  });

  describe('ownership', () => {
    it('lets an owner of an ancestor create below it, by user, group or service account', () => {
      expect(validateWorkspace(create(ws('app-2', { parent: 'team-a' }), alice), tree()).allowed).to.equal(true);
      expect(validateWorkspace(create(ws('app-2', { parent: 'team-a' }), bob), tree()).allowed).to.equal(true);
      expect(validateWorkspace(create(ws('app-2', { parent: 'acme' }), robot), tree()).allowed).to.equal(true);
    });

    it("denies creating outside the requester's subtree", () => {
      const verdict = validateWorkspace(create(ws('team-x', { parent: 'acme' }), bob), tree());
      expect(message(verdict)).to.equal(
        'spec.parent: user "bob" may not create workspace "team-x" under "acme": not an owner of workspace "acme" or of any workspace above it',
      );
      expect(message(validateWorkspace(create(ws('x', { parent: 'other' }), robot), tree()))).to.contain('service account "ci/deployer"');
    });

    it('leaves root workspaces to cluster administrators', () => {
      expect(message(validateWorkspace(create(ws('newco'), alice), tree()))).to.contain('only cluster administrators may manage root workspaces');
      expect(validateWorkspace(create(ws('newco'), admin), tree()).allowed).to.equal(true);
    });

    it('denies moving a workspace to a parent the requester does not own', () => {
      const t = tree();
      const verdict = validateWorkspace(update(t.workspace('app-1')!, ws('app-1', { parent: 'other' }), alice), t);
      expect(message(verdict)).to.equal(
        'spec.parent: user "alice" may not move workspace "app-1" from "team-a" to "other": not an owner of workspace "other" or of any workspace above it',
      );
    });

    it("lets a workspace's own owners narrow its constraints but not widen them", () => {
      const t = tree();
      const teamA = t.workspace('team-a')!;
      const narrower = ws('team-a', { ...teamA.spec, constraints: { regions: ['eu-1'], podSecurity: 'restricted' } });
      expect(validateWorkspace(update(teamA, narrower, bob), t).allowed).to.equal(true);
      const wider = ws('team-a', { ...teamA.spec, constraints: { regions: ['eu-1', 'eu-2'] } });
      expect(message(validateWorkspace(update(teamA, wider, bob), t))).to.contain('user "bob" may not widen the constraints of workspace "team-a"');
      const dropped = ws('team-a', { ...teamA.spec, constraints: {} });
      expect(rule(validateWorkspace(update(teamA, dropped, bob), t))).to.equal(WorkspaceRules.ownership);
      expect(validateWorkspace(update(teamA, wider, alice), t).allowed).to.equal(true);
    });

    it('lets owners edit their workspace and denies strangers', () => {
      const t = tree();
      const teamA = t.workspace('team-a')!;
      const moreOwners = ws('team-a', {
        ...teamA.spec,
        owners: [
          { kind: 'Group', name: 'platform' },
          { kind: 'User', name: 'dave' },
        ],
      });
      expect(validateWorkspace(update(teamA, moreOwners, bob), t).allowed).to.equal(true);
      const stranger: Requester = { username: 'erin', groups: [], admin: false };
      expect(message(validateWorkspace(update(teamA, moreOwners, stranger), t))).to.equal(
        'spec: user "erin" may not change workspace "team-a": not an owner of "team-a" or of any workspace above it',
      );
    });

    it('leaves metadata-only updates to RBAC', () => {
      const t = tree();
      const teamA = t.workspace('team-a')!;
      const labelled = { ...teamA, metadata: { ...teamA.metadata, labels: { tier: 'gold' } } };
      expect(validateWorkspace(update(teamA, labelled, { username: 'erin', groups: [], admin: false }), t).allowed).to.equal(true);
    });

    it('requires authority over the parent to delete', () => {
      const t = tree();
      const del = (requester: Requester): AdmissionInput<WorkspaceLike> => ({
        operation: 'DELETE',
        object: undefined,
        oldObject: t.workspace('app-1')!,
        requester,
      });
      expect(validateWorkspace(del(bob), t).allowed).to.equal(true);
      expect(message(validateWorkspace(del({ username: 'erin', groups: [], admin: false }), t))).to.equal(
        'metadata.name: user "erin" may not delete workspace "app-1": not an owner of workspace "team-a" or of any workspace above it',
      );
    });
  });
});
