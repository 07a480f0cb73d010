import { expect } from 'chai';
import type { AdmissionInput } from '../../admission/request.js';
import { ClusterPropagatedObjectRules, validateClusterPropagatedObject, type ClusterPropagatedObjectLike } from './cluster-scoped-validator.js';

const input = (
  admin: boolean,
  operation: AdmissionInput<unknown>['operation'] = 'CREATE',
  object: ClusterPropagatedObjectLike = { spec: { template: { metadata: {} } } },
): AdmissionInput<ClusterPropagatedObjectLike> => ({
  operation,
  object: operation === 'DELETE' ? undefined : object,
  oldObject: undefined,
  requester: { username: 'alice', groups: ['system:authenticated'], admin },
});

describe('propagation: ClusterPropagatedObject admission', () => {
  it('allows cluster administrators', () => {
    expect(validateClusterPropagatedObject(input(true)).allowed).to.equal(true);
    expect(validateClusterPropagatedObject(input(true, 'DELETE')).allowed).to.equal(true);
  });

  it('refuses everyone else, on create, update and delete, naming the requester', () => {
    for (const op of ['CREATE', 'UPDATE', 'DELETE'] as const) {
      const verdict = validateClusterPropagatedObject(input(false, op));
      expect(verdict.allowed).to.equal(false);
      if (verdict.allowed) continue;
      expect(verdict.denial.rule).to.equal(ClusterPropagatedObjectRules.adminOnly);
      expect(verdict.denial.reason).to.match(/user "alice" may not .* a ClusterPropagatedObject/);
    }
  });

  it('refuses a template with metadata.namespace (CEL cannot see it on an embedded object)', () => {
    const verdict = validateClusterPropagatedObject(input(true, 'CREATE', { spec: { template: { metadata: { namespace: 'shop' } } } }));
    expect(verdict.allowed).to.equal(false);
    if (!verdict.allowed) expect(verdict.denial.rule).to.equal(ClusterPropagatedObjectRules.templateNamespace);
  });
});
