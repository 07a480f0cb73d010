import { expect } from 'chai';
import { apportion, divideReplicas, type DivisionCandidate } from './division.js';
import { rng } from '../../../test/support/placement-fixtures.js';

const sum = (xs: readonly { replicas: number }[]): number => xs.reduce((a, b) => a + b.replicas, 0);
const byName = (r: ReturnType<typeof divideReplicas>): Record<string, number> => Object.fromEntries(r.assignments.map((a) => [a.name, a.replicas]));
const c = (name: string, weight = 1, capacity = Infinity): DivisionCandidate => ({ name, weight, capacity });

describe('placement replica division', () => {
  it('splits by weights with the largest remainder', () => {
    // Quotas 10 x (5,3,2)/10 are exact; 7 x (1,1,1)/3 = 2.33 each, so the remainder goes by name.
    expect(byName(divideReplicas({ total: 10, candidates: [c('a', 5), c('b', 3), c('c', 2)] }))).to.deep.equal({ a: 5, b: 3, c: 2 });
    expect(byName(divideReplicas({ total: 7, candidates: [c('c'), c('b'), c('a')] }))).to.deep.equal({ a: 3, b: 2, c: 2 });
    // 5 x (2,1)/3 = 3.33, 1.67: floors 3,1; remainder 2/3 > 1/3 goes to b.
    expect(byName(divideReplicas({ total: 5, candidates: [c('a', 2), c('b', 1)] }))).to.deep.equal({ a: 3, b: 2 });
  });

  it('gives weight-0 candidates nothing and does not list them', () => {
    const r = divideReplicas({ total: 4, candidates: [c('a', 1), c('z', 0), c('b', 1)] });
    expect(byName(r)).to.deep.equal({ a: 2, b: 2 });
    expect(r.dropped).to.deep.equal([{ name: 'z', reason: 'weight 0 in the replica weights' }]);
  });

  it('fails when every weight is 0', () => {
    expect(divideReplicas({ total: 3, candidates: [c('a', 0)] }).error).to.equal('every candidate cluster has replica weight 0');
  });

  it('with more clusters than replicas, places one each on the tie-broken first by name', () => {
    const r = divideReplicas({ total: 2, candidates: [c('e'), c('d'), c('c'), c('b'), c('a')] });
    expect(byName(r)).to.deep.equal({ a: 1, b: 1 });
    expect(r.dropped.map((d) => d.name).sort()).to.deep.equal(['c', 'd', 'e']);
  });

  it('honours minPerCluster by using fewer clusters, best ranked first', () => {
    const r = divideReplicas({ total: 5, candidates: [c('x'), c('y'), c('z')], minPerCluster: 2 });
    expect(byName(r)).to.deep.equal({ x: 3, y: 2 });
    expect(r.dropped[0]!.reason).to.contain('minPerCluster 2');
  });

  it('puts everything on one cluster when minPerCluster exceeds the total, and says so', () => {
    const r = divideReplicas({ total: 2, candidates: [c('x'), c('y')], minPerCluster: 3 });
    expect(byName(r)).to.deep.equal({ x: 2 });
    expect(r.notes[0]).to.contain('minPerCluster 3 exceeds the 2 replica(s)');
  });

  it('respects maxClusters', () => {
    expect(byName(divideReplicas({ total: 9, candidates: [c('x'), c('y'), c('z')], maxClusters: 2 }))).to.deep.equal({ x: 5, y: 4 });
  });

  it('caps at capacity and moves the rest to clusters with room', () => {
    const r = divideReplicas({ total: 10, candidates: [c('a', 1, 2), c('b', 1), c('c', 1)] });
    expect(byName(r)).to.deep.equal({ a: 2, b: 4, c: 4 });
    expect(r.overflow).to.equal(0);
  });

  it('when capacity is exhausted fills every cluster and overflows by weight, keeping the sum', () => {
    const r = divideReplicas({ total: 10, candidates: [c('a', 1, 2), c('b', 1, 3)] });
    expect(r.overflow).to.equal(5);
    expect(sum(r.assignments)).to.equal(10);
    expect(byName(r)).to.deep.equal({ a: 5, b: 5 });
  });

  it('guarantees spread seeds a replica even against the weights', () => {
    const r = divideReplicas({ total: 2, candidates: [c('eu-a', 10), c('us-a', 1), c('eu-b', 10)], seeds: 2 });
    expect(byName(r)).to.deep.equal({ 'eu-a': 1, 'us-a': 1 });
  });

  it('places a zero-replica object on the best cluster', () => {
    expect(divideReplicas({ total: 0, candidates: [c('x'), c('y')] }).assignments).to.deep.equal([{ name: 'x', replicas: 0 }]);
  });

  it('apportion is exact for weights whose float quotient would round up', () => {
    // 3 x 1/3 style quotas: floors must not be off by one.
    const { allocation } = apportion(3, [1, 1, 1], [0, 0, 0], [Infinity, Infinity, Infinity], ['a', 'b', 'c']);
    expect(allocation).to.deep.equal([1, 1, 1]);
  });

  describe('properties over seeded random cases', () => {
    const CASES = 3000;

    it('always sums to the total, honours bounds when feasible, gives weight 0 nothing', () => {
      const random = rng(42);
      const int = (lo: number, hi: number): number => lo + Math.floor(random() * (hi - lo + 1));
      for (let k = 0; k < CASES; k++) {
        const n = int(1, 12);
        const total = int(0, 60);
        const candidates: DivisionCandidate[] = Array.from({ length: n }, (_, i) => ({
          name: `c${String(i).padStart(2, '0')}`,
          weight: random() < 0.15 ? 0 : random() < 0.2 ? Math.round(random() * 1000) / 100 : int(1, 10),
          capacity: random() < 0.3 ? Infinity : int(0, 15),
        }));
        const minPerCluster = random() < 0.5 ? 0 : int(1, 4);
        const maxClusters = random() < 0.5 ? undefined : int(1, n);
        const req = { total, candidates, minPerCluster, ...(maxClusters !== undefined ? { maxClusters } : {}) };
        const r = divideReplicas(req);
        const label = JSON.stringify(req);
        const live = candidates.filter((x) => x.weight > 0);
        if (live.length === 0) {
          expect(r.error, label).to.be.a('string');
          continue;
        }
        expect(r.error, label).to.equal(undefined);
        expect(sum(r.assignments), label).to.equal(total);
        const weights = new Map(candidates.map((x) => [x.name, x]));
        for (const a of r.assignments) {
          expect(weights.get(a.name)!.weight, label).to.be.greaterThan(0);
          if (total >= minPerCluster && total > 0) expect(a.replicas, label).to.be.at.least(Math.max(1, minPerCluster));
          if (r.overflow === 0) expect(a.replicas, label).to.be.at.most(Math.max(weights.get(a.name)!.capacity, minPerCluster));
        }
        if (maxClusters !== undefined) expect(r.assignments.length, label).to.be.at.most(maxClusters);
        // Capacity overflows only when every chosen cluster is full.
        if (r.overflow > 0) {
          const room = r.assignments.reduce((s, a) => s + Math.min(a.replicas, weights.get(a.name)!.capacity), 0);
          expect(room, label).to.be.lessThan(total);
        }
        // Every assigned name is listed once, and every candidate is either assigned or dropped.
        const names = [...r.assignments.map((a) => a.name), ...r.dropped.map((d) => d.name)].sort();
        expect(names, label).to.deep.equal(candidates.map((x) => x.name).sort());
      }
    });

    it('is proportional: with ample capacity no cluster is more than one replica off its exact quota', () => {
      const random = rng(7);
      for (let k = 0; k < CASES; k++) {
        const n = 1 + Math.floor(random() * 8);
        const total = Math.floor(random() * 100);
        const candidates = Array.from({ length: n }, (_, i) => c(`c${i}`, 1 + Math.floor(random() * 9)));
        const W = candidates.reduce((s, x) => s + x.weight, 0);
        const r = divideReplicas({ total, candidates });
        const got = byName(r);
        for (const x of candidates) {
          const quota = (total * x.weight) / W;
          expect(Math.abs((got[x.name] ?? 0) - quota), JSON.stringify({ total, candidates })).to.be.lessThan(1);
        }
      }
    });

    it('does not depend on candidate order when ranks tie (same weights, no limits)', () => {
      const random = rng(99);
      for (let k = 0; k < 500; k++) {
        const n = 2 + Math.floor(random() * 6);
        const total = Math.floor(random() * 30);
        const candidates = Array.from({ length: n }, (_, i) => c(`c${i}`, 1 + Math.floor(random() * 4)));
        const shuffled = [...candidates].sort(() => random() - 0.5);
        const a = byName(divideReplicas({ total: total || 1, candidates }));
        const b = byName(divideReplicas({ total: total || 1, candidates: shuffled }));
        if (total > 0) expect(a).to.deep.equal(b);
      }
    });
  });
});
