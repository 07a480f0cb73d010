import { expect } from 'chai';
import { schedule } from './engine.js';
import { clusterFingerprint, parsePluginAnswer, PluginAnswerCache, refusedAddress } from './plugin-client.js';
import { cluster, deployment, policy } from '../../../test/support/placement-fixtures.js';
import type { Cluster, ExternalPluginRef, PluginAnswer } from './types.js';

const NOW = Date.parse('2030-01-01T00:00:00Z');
const fleet: Cluster[] = [cluster('eu-1', { region: 'eu-1' }), cluster('eu-2', { region: 'eu-2' }), cluster('us-1', { region: 'us-1' })];
const names = (r: ReturnType<typeof schedule>) => r.placement.map((p) => p.cluster);
const green: ExternalPluginRef = { name: 'green', type: 'Score', url: 'https://green.example/score', weight: 10 };
const gpu: ExternalPluginRef = { name: 'gpu', type: 'Filter', url: 'https://gpu.example/filter' };

describe('placement: external plugins and cluster scores (engine)', () => {
  const object = deployment('web', { replicas: 2 });

  it('ranks by an external score plugin and shows its score per cluster', () => {
    const p = policy({ plugins: [green], maxClusters: 1 });
    const r = schedule({ object, policy: p, clusters: fleet, pluginAnswers: { green: { scores: { 'eu-1': 10, 'eu-2': 90, 'us-1': 40 } } }, now: NOW });
    expect(names(r)).to.deep.equal(['eu-2']);
    expect(r.placement[0]!.reason).to.contain('External 90 [green 90]');
    const flipped = schedule({ object, policy: p, clusters: fleet, pluginAnswers: { green: { scores: { 'eu-1': 95, 'eu-2': 5 } } }, now: NOW });
    expect(names(flipped)).to.deep.equal(['eu-1']);
    expect(flipped.excluded.find((e) => e.cluster === 'us-1')?.reason).to.contain('score');
  });

  it('weighs a plugin against the built-in scores by its weight', () => {
    // Preferences (weight 1) favour us-1 fully; a weight-10 plugin favouring eu-1 outweighs it.
    const preferUs = [{ weight: 100, clusterSelector: { matchLabels: { 'x/us': 'true' } } }];
    const clusters = [cluster('eu-1'), cluster('us-1', { labels: { 'x/us': 'true' } })];
    const answers = { green: { scores: { 'eu-1': 60, 'us-1': 0 } } };
    expect(
      names(schedule({ object, policy: policy({ preferences: preferUs, plugins: [green], maxClusters: 1 }), clusters, pluginAnswers: answers, now: NOW })),
    ).to.deep.equal(['eu-1']);
    const light = { ...green, weight: 1 };
    expect(
      names(schedule({ object, policy: policy({ preferences: preferUs, plugins: [light], maxClusters: 1 }), clusters, pluginAnswers: answers, now: NOW })),
    ).to.deep.equal(['us-1']);
  });

  it('excludes what a Filter plugin rejects, naming the plugin and its reason; unjudged clusters are rejected too', () => {
    const r = schedule({
      object,
      policy: policy({ plugins: [gpu] }),
      clusters: fleet,
      pluginAnswers: { gpu: { verdicts: { 'eu-1': { pass: true }, 'eu-2': { pass: false, reason: 'no A100 left' } } } },
      now: NOW,
    });
    expect(names(r)).to.deep.equal(['eu-1']);
    expect(r.excluded).to.deep.equal([
      { cluster: 'eu-2', plugin: 'External', reason: 'gpu: no A100 left' },
      { cluster: 'us-1', plugin: 'External', reason: 'gpu: gave no verdict for this cluster' },
    ]);
  });

  it('failurePolicy Fail (the default): a failed plugin places nothing and the condition names it and why', () => {
    for (const pluginAnswers of [{ gpu: { error: 'no complete answer within 2s' } }, undefined, { gpu: { scores: {} } }] as (
      | Record<string, PluginAnswer>
      | undefined
    )[]) {
      const r = schedule({ object, policy: policy({ plugins: [gpu] }), clusters: fleet, ...(pluginAnswers ? { pluginAnswers } : {}), now: NOW });
      expect(r.placement).to.deep.equal([]);
      expect(r.condition).to.deep.include({ status: 'False', reason: 'PluginFailed' });
      expect(r.condition.message).to.match(
        /^placement plugin gpu \(https:\/\/gpu\.example\/filter\) failed: .+; failurePolicy Fail leaves the object unscheduled$/,
      );
      expect(r.excluded.map((e) => e.plugin)).to.deep.equal(['External/gpu', 'External/gpu', 'External/gpu']);
    }
  });

  it('failurePolicy Ignore: placement proceeds without the plugin and the condition says it was ignored', () => {
    const p = policy({
      plugins: [
        { ...gpu, failurePolicy: 'Ignore' },
        { ...green, failurePolicy: 'Ignore' },
      ],
    });
    const r = schedule({ object, policy: p, clusters: fleet, pluginAnswers: { gpu: { error: 'HTTP 503' }, green: { scores: { 'eu-1': 100 } } }, now: NOW });
    expect(names(r)).to.deep.equal(['eu-1', 'eu-2', 'us-1']);
    expect(r.condition.reason).to.equal('Scheduled');
    expect(r.condition.message).to.contain('placement plugin gpu (https://gpu.example/filter) failed (HTTP 503); ignored as failurePolicy is Ignore');
    expect(r.placement[0]!.reason).to.contain('[green 100]');
  });

  it('reads cluster scores written as data, with a default for clusters without one and stale ones', () => {
    const scored = (name: string, value: number, updatedAt: string) => ({
      ...cluster(name),
      status: { ...cluster(name).status, scores: [{ name: 'green-energy', value, updatedAt }] },
    });
    const clusters = [
      scored('eu-1', 30, '2029-12-31T23:59:00Z'),
      scored('eu-2', 80, '2029-12-31T23:59:00Z'),
      scored('us-1', 100, '2029-12-31T00:00:00Z'),
      cluster('zz-1'),
    ];
    const p = policy({ clusterScores: [{ name: 'green-energy', weight: 5, defaultValue: 50, maxAgeSeconds: 3600 }], maxClusters: 2 });
    const r = schedule({ object, policy: p, clusters, now: NOW });
    expect(names(r)).to.deep.equal(['eu-2', 'us-1']); // us-1's 100 is a day old: it counts as the default 50, like zz-1 (by name)
    expect(r.placement[1]!.reason).to.contain('green-energy 50 (stale)');
    // eu-1 and eu-2's scores go stale an hour after they were written: decide again then.
    expect(r.requeueAfterMs).to.equal(Date.parse('2030-01-01T00:59:00Z') - NOW);
  });
});

describe('placement: external plugin answers and addresses', () => {
  const asked = new Set(['eu-1', 'eu-2']);

  it('parses Filter and Score answers and drops clusters that were not asked about', () => {
    expect(
      parsePluginAnswer(
        'Filter',
        JSON.stringify({ result: { clusters: { 'eu-1': { pass: true }, 'eu-2': { pass: false, reason: 'full\nnow' }, other: { pass: true } } } }),
        asked,
      ),
    ).to.deep.equal({
      verdicts: { 'eu-1': { pass: true }, 'eu-2': { pass: false, reason: 'full now' } },
    });
    expect(parsePluginAnswer('Score', JSON.stringify({ result: { clusters: { 'eu-1': { score: 12.5 } } } }), asked)).to.deep.equal({
      scores: { 'eu-1': 12.5 },
    });
  });

  it('turns garbage into an error, never into "allow all"', () => {
    for (const [type, body] of [
      ['Filter', 'not json'],
      ['Filter', '{}'],
      ['Filter', '{"result": {"clusters": ["eu-1"]}}'],
      ['Filter', '{"result": {"clusters": {"eu-1": {"pass": "yes"}}}}'],
      ['Score', '{"result": {"clusters": {"eu-1": {"score": 101}}}}'],
      ['Score', '{"result": {"clusters": {"eu-1": {"score": "9"}}}}'],
      ['Score', 'null'],
    ] as const) {
      expect(parsePluginAnswer(type, body, asked), `${type} ${body}`).to.have.property('error');
    }
  });

  it('bounds a verdict reason that lands in status', () => {
    const a = parsePluginAnswer('Filter', JSON.stringify({ result: { clusters: { 'eu-1': { pass: false, reason: 'x'.repeat(10_000) } } } }), asked);
    expect((a as { verdicts: Record<string, { reason: string }> }).verdicts['eu-1']!.reason).to.have.length(256);
  });

  it('refuses loopback (unless allowed), link-local metadata, unspecified and multicast addresses; allows cluster-internal ones', () => {
    for (const a of ['127.0.0.1', '127.8.9.10', '::1', '::ffff:127.0.0.1']) {
      expect(refusedAddress(a, false), a).to.contain('loopback');
      expect(refusedAddress(a, true), a).to.equal(undefined);
    }
    for (const a of ['169.254.169.254', 'fe80::1', '0.0.0.0', '::', '224.0.0.1', '::ffff:169.254.169.254'])
      expect(refusedAddress(a, true), a).to.be.a('string');
    for (const a of ['10.96.0.10', '192.168.1.5', '172.20.0.3', '2001:db8::1', '8.8.8.8']) expect(refusedAddress(a, false), a).to.equal(undefined);
  });

  it('fingerprints clusters by name, generation, labels and readiness, not by probe-time status', () => {
    const a = [cluster('eu-1'), cluster('eu-2')];
    const probed = [{ ...a[0]!, status: { ...a[0]!.status, allocatable: { cpu: '3' } } }, a[1]!];
    expect(clusterFingerprint(probed)).to.equal(clusterFingerprint(a));
    expect(clusterFingerprint([a[1]!, a[0]!])).to.equal(clusterFingerprint(a));
    expect(clusterFingerprint([cluster('eu-1', { labels: { 'green-energy': 'true' } }), a[1]!])).to.not.equal(clusterFingerprint(a));
    expect(clusterFingerprint([cluster('eu-1', { ready: false }), a[1]!])).to.not.equal(clusterFingerprint(a));
  });
});

describe('placement: external plugin answer cache', () => {
  const input = { object: { kind: 'Deployment' }, clusters: fleet, workspace: null };
  const counting = (answer: PluginAnswer) => {
    const calls: string[] = [];
    const ask = async (ref: ExternalPluginRef): Promise<PluginAnswer> => {
      calls.push(ref.name);
      return answer;
    };
    return { calls, ask };
  };

  it('asks once per object generation and cluster set within cacheSeconds, shares concurrent asks, asks again after', async () => {
    const { calls, ask } = counting({ scores: { 'eu-1': 1 } });
    const cache = new PluginAnswerCache(ask);
    const obj = { uid: 'u1', generation: 1 };
    const both = await Promise.all([cache.askAll('p', [green], obj, input, NOW), cache.askAll('p', [green], obj, input, NOW)]);
    expect(calls).to.have.length(1);
    expect(both[0].expiresInMs).to.equal(60_000);
    await cache.askAll('p', [green], obj, { ...input, clusters: [...fleet] }, NOW + 10_000); // a probe: new array, same fingerprint
    expect(calls).to.have.length(1);
    await cache.askAll('p', [green], { uid: 'u1', generation: 2 }, input, NOW + 10_000);
    expect(calls).to.have.length(2);
    await cache.askAll('p', [green], obj, input, NOW + 60_001);
    expect(calls).to.have.length(3);
  });

  it('keeps a failure for at most 5s, so a plugin that is down is not asked by every probe', async () => {
    const { calls, ask } = counting({ error: 'HTTP 503' });
    const cache = new PluginAnswerCache(ask);
    const first = await cache.askAll('p', [gpu], { uid: 'u' }, input, NOW);
    expect(first.expiresInMs).to.equal(5_000);
    await cache.askAll('p', [gpu], { uid: 'u' }, input, NOW + 4_000);
    expect(calls).to.have.length(1);
    await cache.askAll('p', [gpu], { uid: 'u' }, input, NOW + 5_001);
    expect(calls).to.have.length(2);
  });

  it('does not ask an unreachable plugin about other objects for 5s, so they do not each wait out its timeout', async () => {
    const { calls, ask } = counting({ error: 'connect ECONNREFUSED 10.0.0.1:443', unreachable: true });
    const cache = new PluginAnswerCache(ask);
    const first = await cache.askAll('p', [gpu], { uid: 'u1' }, input, NOW);
    const other = await cache.askAll('p', [gpu], { uid: 'u2' }, input, NOW + 1_000);
    expect(calls).to.have.length(1);
    expect(other.answers).to.deep.equal(first.answers);
    expect(other.expiresInMs).to.equal(4_000);
    await cache.askAll('p', [gpu], { uid: 'u3' }, input, NOW + 5_001);
    expect(calls).to.have.length(2);
    // An answer that is merely wrong for one object says nothing about the plugin: others are still asked.
    const wrong = counting({ error: 'HTTP 500' });
    const perObject = new PluginAnswerCache(wrong.ask);
    await perObject.askAll('p', [gpu], { uid: 'u1' }, input, NOW);
    await perObject.askAll('p', [gpu], { uid: 'u2' }, input, NOW);
    expect(wrong.calls).to.have.length(2);
  });

  it('stays bounded however many objects it has seen, in answers and in per-cluster entries', async () => {
    const { ask } = counting({ scores: {} });
    const cache = new PluginAnswerCache(ask, 100);
    for (let i = 0; i < 1_000; i++) await cache.askAll('p', [green], { uid: `u${i}` }, input, NOW);
    expect(cache.size).to.be.at.most(100);
    const big = counting({ scores: Object.fromEntries(Array.from({ length: 1_000 }, (_, i) => [`c${i}`, 1])) });
    const byEntries = new PluginAnswerCache(big.ask, 10_000, 5_000);
    for (let i = 0; i < 100; i++) await byEntries.askAll('p', [green], { uid: `u${i}` }, input, NOW);
    expect(byEntries.size).to.be.at.most(6);
  });
});
