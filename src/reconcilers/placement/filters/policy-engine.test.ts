import { expect } from 'chai';
import { cluster, policy } from '../../../../test/support/placement-fixtures.js';
import { reasonOf, runFilter } from '../../../../test/support/placement-run.js';
import { policyEngineFilter } from './policy-engine.js';

describe('placement filter PolicyEngine', () => {
  const p = policy({ policyEngine: { url: 'https://opa.example/v1/data/placement' } });

  it('excludes clusters the policy engine did not allow', () => {
    const decision = { allowed: ['eu-1'] };
    expect(reasonOf(runFilter(policyEngineFilter, { policy: p, policyEngineDecision: decision }, cluster('eu-1')))).to.equal(undefined);
    expect(reasonOf(runFilter(policyEngineFilter, { policy: p, policyEngineDecision: decision }, cluster('us-1')))).to.equal(
      'policy engine https://opa.example/v1/data/placement did not allow this cluster',
    );
  });

  it('is skipped without a policy engine or without an answer (the engine handles failures)', () => {
    expect(runFilter(policyEngineFilter, { policyEngineDecision: { allowed: [] } }, cluster('a'))).to.equal('skipped');
    expect(runFilter(policyEngineFilter, { policy: p, policyEngineDecision: { error: 'timeout' } }, cluster('a'))).to.equal('skipped');
  });
});
