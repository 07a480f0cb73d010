import { expect } from 'chai';
import { Forest } from '../../hierarchy/forest.js';
import { statusPatch, workspaceStatus, type StatusInput } from './status.js';

function input(forest: Forest, name: string, extra: Partial<StatusInput> = {}): StatusInput {
  return {
    forest,
    name,
    generation: 3,
    previous: undefined,
    logicalClusters: 0,
    conflicts: [],
    propagationProblems: [],
    now: new Date('2026-01-01T00:00:00Z'),
    ...extra,
  };
}

const conditionOf = (status: ReturnType<typeof workspaceStatus>, type: string) => status.conditions!.find((c) => c.type === type)!;

describe('workspace status', () => {
  const forest = new Forest();
  forest.setWorkspace('acme', '', { constraints: { regions: ['eu-1', 'eu-2'] } });
  forest.setWorkspace('team-a', 'acme', { constraints: { regions: ['eu-1'] } });
  forest.setWorkspace('x', 'y');
  forest.setWorkspace('y', 'x');
  forest.setWorkspace('orphan', 'gone');

  it('reports path, depth, children and effective constraints of a healthy workspace', () => {
    const status = workspaceStatus(input(forest, 'team-a'));
    expect(status.path).to.equal('root:acme:team-a');
    expect(status.depth).to.equal(1);
    expect(status.effectiveConstraints!.regions).to.deep.equal(['eu-1']);
    expect(workspaceStatus(input(forest, 'acme')).children).to.deep.equal(['team-a']);
    expect(conditionOf(status, 'Ready').status).to.equal('True');
    expect(conditionOf(status, 'CycleDetected').status).to.equal('False');
    expect(status.observedGeneration).to.equal(3);
  });

  it('names the members of a cycle and drops the path', () => {
    const status = workspaceStatus(input(forest, 'x'));
    expect(status.path).to.equal(undefined);
    const cycle = conditionOf(status, 'CycleDetected');
    expect(cycle.status).to.equal('True');
    expect(cycle.message).to.contain('x, y');
    expect(conditionOf(status, 'Ready').reason).to.equal('CycleDetected');
  });

  it('says which parent is missing', () => {
    const missing = conditionOf(workspaceStatus(input(forest, 'orphan')), 'ParentMissing');
    expect(missing.status).to.equal('True');
    expect(missing.message).to.contain('"gone" does not exist');
  });

  it('lists conflicts by object and namespace, and type problems make it not Ready', () => {
    const status = workspaceStatus(
      input(forest, 'team-a', {
        conflicts: [
          {
            namespace: 'team-a',
            key: 'RoleBinding.rbac.authorization.k8s.io/admins',
            source: { apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'RoleBinding', name: 'admins', namespace: 'acme' },
          },
        ],
        propagationProblems: [{ reason: 'Forbidden', message: 'the operator may not create widgets.example.com' }],
      }),
    );
    expect(conditionOf(status, 'PropagationConflict').message).to.contain('RoleBinding admins in namespace team-a (not copied from acme)');
    expect(conditionOf(status, 'Propagating').reason).to.equal('Forbidden');
    expect(conditionOf(status, 'Ready').status).to.equal('False');
  });

  it('keeps lastTransitionTime while a condition holds', () => {
    const first = workspaceStatus(input(forest, 'team-a'));
    const later = workspaceStatus(input(forest, 'team-a', { previous: first, now: new Date('2026-02-01T00:00:00Z') }));
    expect(conditionOf(later, 'Ready').lastTransitionTime).to.equal(conditionOf(first, 'Ready').lastTransitionTime);
    expect(statusPatch(first, later)).to.equal(undefined);
  });
});

describe('statusPatch', () => {
  it('removes what the new status lacks, at any depth, and leaves equal parts out', () => {
    const before = { path: 'root:a', depth: 0, children: ['b'], effectiveConstraints: { regions: ['eu-1'], podSecurity: 'baseline' as const } };
    const after = { depth: 0, children: ['b', 'c'], effectiveConstraints: { regions: ['eu-1'] } };
    expect(statusPatch(before, after)).to.deep.equal({ path: null, children: ['b', 'c'], effectiveConstraints: { podSecurity: null } });
  });

  it('is undefined when nothing changed, whatever the key order', () => {
    expect(statusPatch({ quotaUsed: { cpu: '1', memory: '1Gi' } }, { quotaUsed: { memory: '1Gi', cpu: '1' } })).to.equal(undefined);
  });
});
