import { expect } from 'chai';
import { cluster, deployment, policy } from '../../../../test/support/placement-fixtures.js';
import { contextFor, runScore } from '../../../../test/support/placement-run.js';
import { costScore } from './cost.js';
import { preferencesScore } from './preferences.js';
import { spreadScore } from './spread.js';
import { stabilityScore } from './stability.js';
import { taintPreferenceScore } from './taint-preference.js';

describe('placement score plugins', () => {
  describe('Preferences', () => {
    it('scores the share of preference weight a cluster matches', () => {
      const p = policy({
        preferences: [
          { weight: 30, clusterSelector: { matchLabels: { 'canopy.dev/onprem': 'true' } } },
          { weight: 10, clusterSelector: { matchExpressions: [{ key: 'tier', operator: 'In', values: ['gold'] }] } },
        ],
      });
      const scores = runScore(preferencesScore, { policy: p }, [
        cluster('both', { labels: { 'canopy.dev/onprem': 'true', tier: 'gold' } }),
        cluster('onprem', { labels: { 'canopy.dev/onprem': 'true' } }),
        cluster('gold', { labels: { tier: 'gold' } }),
        cluster('none'),
      ]);
      expect(scores).to.deep.equal({ both: 100, onprem: 75, gold: 25, none: 0 });
    });

    it('is skipped without preferences', () => {
      expect(runScore(preferencesScore, {}, [cluster('a')])).to.equal('skipped');
    });
  });

  describe('Cost (LowestFirst)', () => {
    it('ranks cheapest 100, dearest 0, linear between; unpriced 0', () => {
      const p = policy({ cost: 'LowestFirst' });
      const object = deployment('web', { replicas: 2, cpu: '1', memory: '1Gi' });
      const scores = runScore(costScore, { policy: p, object }, [
        cluster('cheap', { pricing: { cpuHour: 0.01, memoryGiBHour: 0 } }),
        cluster('mid', { pricing: { cpuHour: 0.02, memoryGiBHour: 0 } }),
        cluster('dear', { pricing: { cpuHour: 0.03, memoryGiBHour: 0 } }),
        cluster('unpriced'),
      ]);
      if (scores === 'skipped') throw new Error('skipped');
      expect(scores['cheap']).to.equal(100);
      expect(scores['mid']).to.be.closeTo(50, 1e-9);
      expect(scores['dear']).to.equal(0);
      expect(scores['unpriced']).to.equal(0);
    });

    it('counts LoadBalancer hours for Services', () => {
      const svc = { apiVersion: 'v1', kind: 'Service', metadata: { name: 'web' }, spec: { type: 'LoadBalancer' } };
      const scores = runScore(costScore, { policy: policy({ cost: 'LowestFirst' }), object: svc }, [
        cluster('free-lb', { pricing: { loadBalancerHour: 0 } }),
        cluster('paid-lb', { pricing: { loadBalancerHour: 0.025 } }),
      ]);
      expect(scores).to.deep.equal({ 'free-lb': 100, 'paid-lb': 0 });
    });
  });

  describe('Spread', () => {
    const clusters = [
      cluster('eu-1a', { region: 'eu-1' }),
      cluster('eu-1b', { region: 'eu-1' }),
      cluster('us-1a', { region: 'us-1' }),
      cluster('nolabel', { labels: {} }),
    ];

    it('favours clusters in smaller groups', () => {
      const p = policy({ spread: { topologyKey: 'region', minGroups: 2 } });
      const scores = runScore(spreadScore, { policy: p }, clusters.slice(0, 3));
      expect(scores).to.deep.equal({ 'eu-1a': 50, 'eu-1b': 50, 'us-1a': 100 });
    });

    it('groups by a label for other topology keys; clusters without it score 0', () => {
      const labelled = [cluster('a', { labels: { zone: 'z1' } }), cluster('b', { labels: { zone: 'z2' } }), clusters[3]!];
      const scores = runScore(spreadScore, { policy: policy({ spread: { topologyKey: 'zone' } }) }, labelled);
      expect(scores).to.deep.equal({ a: 100, b: 100, nolabel: 0 });
    });

    it('vetoes when fewer groups than minGroups remain', () => {
      const p = policy({ spread: { topologyKey: 'region', minGroups: 3 } });
      const ctx = contextFor({ policy: p }, clusters.slice(0, 3));
      expect(spreadScore.check!(ctx)).to.equal('spread over region needs minGroups 3 but the filters leave 2 group(s) [eu-1, us-1]');
      const ok = contextFor({ policy: policy({ spread: { topologyKey: 'region', minGroups: 2 } }) }, clusters.slice(0, 3));
      expect(spreadScore.check!(ok)).to.equal(undefined);
    });
  });

  describe('Stability', () => {
    it('scores clusters of the current placement 100', () => {
      const scores = runScore(stabilityScore, { currentPlacement: [{ cluster: 'b', replicas: 1 }] }, [cluster('a'), cluster('b')]);
      expect(scores).to.deep.equal({ a: 0, b: 100 });
    });

    it('is skipped for a first placement', () => {
      expect(runScore(stabilityScore, {}, [cluster('a')])).to.equal('skipped');
    });
  });

  describe('TaintPreference', () => {
    it('scores an untolerated PreferNoSchedule taint 0 and a tolerated one 100', () => {
      const clusters = [cluster('spot', { taints: [{ key: 'spot', effect: 'PreferNoSchedule' }] }), cluster('plain')];
      expect(runScore(taintPreferenceScore, {}, clusters)).to.deep.equal({ spot: 0, plain: 100 });
      const tolerant = policy({ tolerations: [{ key: 'spot', operator: 'Exists' }] });
      expect(runScore(taintPreferenceScore, { policy: tolerant }, clusters)).to.deep.equal({ spot: 100, plain: 100 });
    });

    it('is skipped when no feasible cluster has a soft taint', () => {
      expect(runScore(taintPreferenceScore, {}, [cluster('a')])).to.equal('skipped');
    });
  });
});
