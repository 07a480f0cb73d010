import { expect } from 'chai';
import { cluster, deployment, policy } from '../../../../test/support/placement-fixtures.js';
import { reasonOf, runFilter } from '../../../../test/support/placement-run.js';
import { capacityFilter } from './capacity.js';

describe('placement filter Capacity', () => {
  const object = deployment('web', { replicas: 4, cpu: '1', memory: '2Gi' });

  it('passes when replicas x requests fit into free allocatable', () => {
    const c = cluster('a', { allocatable: { cpu: '4', memory: '8Gi' } });
    expect(reasonOf(runFilter(capacityFilter, { object }, c))).to.equal(undefined);
  });

  it('excludes when they do not, naming the resource and the numbers', () => {
    const c = cluster('a', { allocatable: { cpu: '3', memory: '64Gi' } });
    expect(reasonOf(runFilter(capacityFilter, { object }, c))).to.equal('insufficient cpu: 4 replica(s) need 4, 3 of 3 allocatable is free');
  });

  it('subtracts what is allocated and gives back what this object already uses there', () => {
    const c = cluster('a', { allocatable: { cpu: '8' }, allocated: { cpu: '6' } });
    expect(reasonOf(runFilter(capacityFilter, { object }, c))).to.equal('insufficient cpu: 4 replica(s) need 4, 2 of 8 allocatable is free');
    expect(reasonOf(runFilter(capacityFilter, { object, currentPlacement: [{ cluster: 'a', replicas: 4 }] }, c))).to.equal(undefined);
  });

  it('needs only max(1, minPerCluster) replicas to fit when dividing', () => {
    const c = cluster('a', { allocatable: { cpu: '2' } });
    const divide = policy({ replicas: { strategy: 'Divide', minPerCluster: 2 } });
    expect(reasonOf(runFilter(capacityFilter, { object, policy: divide }, c))).to.equal(undefined);
    const three = policy({ replicas: { strategy: 'Divide', minPerCluster: 3 } });
    expect(reasonOf(runFilter(capacityFilter, { object, policy: three }, c))).to.contain('3 replica(s) need 3');
  });

  it('treats resources the cluster does not report as unknown, not as zero', () => {
    expect(reasonOf(runFilter(capacityFilter, { object }, cluster('a', { allocatable: { pods: '110' } })))).to.equal(undefined);
    expect(reasonOf(runFilter(capacityFilter, { object }, cluster('a')))).to.equal(undefined);
  });

  it('is skipped for objects without pods', () => {
    const cm = { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'cfg' } };
    expect(runFilter(capacityFilter, { object: cm }, cluster('a', { allocatable: { cpu: '0' } }))).to.equal('skipped');
  });
});
