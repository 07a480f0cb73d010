import { expect } from 'chai';
import type { Taint } from '../types.js';
import { cluster, policy } from '../../../../test/support/placement-fixtures.js';
import { contextFor, reasonOf, runFilter } from '../../../../test/support/placement-run.js';
import { clusterView } from '../cluster-view.js';
import { taintTolerationFilter, tolerates } from './taint-toleration.js';

const NOW = Date.parse('2030-01-01T00:00:00Z');
const unreachable = (minutesAgo: number): Taint => ({
  key: 'canopy.dev/unreachable',
  effect: 'NoExecute',
  timeAdded: new Date(NOW - minutesAgo * 60_000).toISOString(),
});

describe('placement filter TaintToleration', () => {
  it('matches tolerations like core/v1', () => {
    const taint = { key: 'dedicated', value: 'gpu', effect: 'NoSchedule' };
    expect(tolerates({ key: 'dedicated', value: 'gpu' }, taint)).to.equal(true);
    expect(tolerates({ key: 'dedicated', value: 'cpu' }, taint)).to.equal(false);
    expect(tolerates({ key: 'dedicated', operator: 'Exists', effect: 'NoSchedule' }, taint)).to.equal(true);
    expect(tolerates({ key: 'dedicated', operator: 'Exists', effect: 'NoExecute' }, taint)).to.equal(false);
    expect(tolerates({ operator: 'Exists' }, taint)).to.equal(true);
    expect(tolerates({ value: 'gpu' }, taint)).to.equal(false);
  });

  it("excludes an untolerated NoExecute taint with Karmada's wording", () => {
    const c = cluster('us-1', { taints: [{ key: 'maintenance', effect: 'NoExecute' }] });
    expect(reasonOf(runFilter(taintTolerationFilter, {}, c))).to.equal("cluster had taint {maintenance: NoExecute} that the policy didn't tolerate");
  });

  it('gives the unreachable taint one reason, whether the object ran there or not', () => {
    const c = cluster('us-1', { taints: [unreachable(2)] });
    const expected = `cluster had taint {canopy.dev/unreachable: NoExecute}: the cluster is unreachable (since ${unreachable(2).timeAdded})`;
    expect(reasonOf(runFilter(taintTolerationFilter, { now: NOW }, c))).to.equal(expected);
    expect(reasonOf(runFilter(taintTolerationFilter, { currentPlacement: [{ cluster: 'us-1', replicas: 1 }], now: NOW }, c))).to.equal(expected);
  });

  it('excludes an untolerated NoSchedule taint and passes a tolerated one', () => {
    const c = cluster('gpu-1', { taints: [{ key: 'dedicated', value: 'gpu', effect: 'NoSchedule' }] });
    expect(reasonOf(runFilter(taintTolerationFilter, {}, c))).to.equal("cluster had taint {dedicated=gpu: NoSchedule} that the policy didn't tolerate");
    const p = policy({ tolerations: [{ key: 'dedicated', operator: 'Equal', value: 'gpu', effect: 'NoSchedule' }] });
    expect(reasonOf(runFilter(taintTolerationFilter, { policy: p }, c))).to.equal(undefined);
  });

  it('never filters on PreferNoSchedule', () => {
    const c = cluster('a', { taints: [{ key: 'spot', effect: 'PreferNoSchedule' }] });
    expect(reasonOf(runFilter(taintTolerationFilter, {}, c))).to.equal(undefined);
  });

  it('lets an existing placement stay under NoSchedule but not under an untolerated NoExecute', () => {
    const current = [{ cluster: 'a', replicas: 1 }];
    const soft = cluster('a', { taints: [{ key: 'maintenance', effect: 'NoSchedule' }] });
    expect(reasonOf(runFilter(taintTolerationFilter, { currentPlacement: current }, soft))).to.equal(undefined);
    const hard = cluster('a', { taints: [{ key: 'maintenance', effect: 'NoExecute' }] });
    expect(reasonOf(runFilter(taintTolerationFilter, { currentPlacement: current }, hard))).to.contain("didn't tolerate");
  });

  it('honours tolerationSeconds from the taint time and asks to be woken when it expires', () => {
    const p = policy({ tolerations: [{ key: 'canopy.dev/unreachable', operator: 'Exists', effect: 'NoExecute', tolerationSeconds: 300 }] });
    const fresh = cluster('a', { taints: [unreachable(1)] });
    const ctx = contextFor({ policy: p, now: NOW }, [fresh]);
    expect(taintTolerationFilter.filter(ctx, clusterView(fresh)).ok).to.equal(true);
    expect(ctx.wakeAt).to.equal(NOW - 60_000 + 300_000);
    const old = cluster('a', { taints: [unreachable(10)] });
    expect(reasonOf(runFilter(taintTolerationFilter, { policy: p, now: NOW }, old))).to.match(
      /^cluster had taint \{canopy.dev\/unreachable: NoExecute\} that the policy tolerated only for 300s/,
    );
  });

  it('derives failover for the unreachable taint on the current placement from spec.failover', () => {
    const current = [{ cluster: 'a', replicas: 2 }];
    const c = cluster('a', { taints: [unreachable(2)] });
    // Default: failover enabled, no grace beyond failoverAfterSeconds.
    expect(reasonOf(runFilter(taintTolerationFilter, { currentPlacement: current, now: NOW }, c))).to.contain('the cluster is unreachable');
    // A grace period keeps the workload until it has passed.
    const grace = policy({ failover: { enabled: true, tolerationSeconds: 600 } });
    expect(reasonOf(runFilter(taintTolerationFilter, { policy: grace, currentPlacement: current, now: NOW }, c))).to.equal(undefined);
    // Failover disabled: the workload stays where it is for as long as it takes.
    const off = policy({ failover: { enabled: false } });
    expect(reasonOf(runFilter(taintTolerationFilter, { policy: off, currentPlacement: current, now: NOW }, c))).to.equal(undefined);
    // ...but new objects are not placed there.
    expect(reasonOf(runFilter(taintTolerationFilter, { policy: off, now: NOW }, c))).to.contain('the cluster is unreachable');
  });
});
