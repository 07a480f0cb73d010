import { expect } from 'chai';
import { cluster } from '../../../../test/support/placement-fixtures.js';
import { reasonOf, runFilter } from '../../../../test/support/placement-run.js';
import { clusterReadyFilter } from './readiness.js';

describe('placement filter ClusterReady', () => {
  it('passes a Ready cluster', () => {
    expect(reasonOf(runFilter(clusterReadyFilter, {}, cluster('eu-1')))).to.equal(undefined);
  });

  it('excludes a NotReady cluster with the probe reason', () => {
    expect(reasonOf(runFilter(clusterReadyFilter, {}, cluster('eu-1', { ready: false })))).to.equal(
      'cluster is NotReady (Ready=False: ProbeFailed (readyz timed out))',
    );
  });

  it('excludes a cluster that never reported Ready', () => {
    expect(reasonOf(runFilter(clusterReadyFilter, {}, cluster('eu-1', { ready: 'missing' })))).to.equal('cluster has not reported a Ready condition yet');
  });

  it('keeps a NotReady cluster the object already runs on (failover is left to the unreachable taint)', () => {
    const r = runFilter(clusterReadyFilter, { currentPlacement: [{ cluster: 'eu-1', replicas: 2 }] }, cluster('eu-1', { ready: false }));
    expect(reasonOf(r)).to.equal(undefined);
  });
});
