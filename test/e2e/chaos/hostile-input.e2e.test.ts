/**
 * Hostile input, end to end: a seeded plan of schema-shaped but semantically
 * hostile objects of the five kinds (hostile-generators.ts) is written to a
 * private control plane while the operator runs as its own process. Every
 * object must be refused by the apiserver or the webhook with a clear message
 * and no credential in it, or be admitted and get a condition from the
 * operator. Meanwhile the operator must stay alive and answering: /healthz is
 * polled throughout (no failed probe), its memory stays under a generous cap,
 * and an unrelated tenant's logical clusters keep becoming Ready — their
 * latency before and during the flood is printed as figures (not asserted:
 * this machine's load is not the operator's).
 *
 * CANOPY_CHAOS_SEED=<n> picks the seed; CANOPY_CHAOS=long the long form
 * (a 1,000-deep workspace chain, 3,000 PropagatedObjects in one namespace);
 * CANOPY_CHAOS_SIZES=<depth>:<flood>:<random> any other size, and
 * CANOPY_CHAOS_PROFILE_DIR=<dir> a CPU profile of the operator. The figures
 * are printed and written to .canopy/test/hostile-figures-<form>-<seed>.json.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { expect } from 'chai';
import { repoRoot, waitUntil, type LocalEnvironment } from '../../../controlplane/launcher/index.js';
import { ApiClient, EventsV1, Resources, type EventV1, type KubeObject, type ResourceRef } from '../../../src/runtime/index.js';
import { SYSTEM_NAMESPACE } from '../../../src/dev/register.js';
import { CREDENTIAL_SHAPES, scanForLeaks } from '../../support/leak-scan.js';
import { hostilePlan, seedFromEnv, sizesFromEnv, type HostileCase, type HostileKind, type VerdictRef } from './hostile-generators.js';
import { percentile, sampleRss, startOperatorProcess, startPrivatePlane, watchHealth, type OperatorProcess } from './hostile-operator.js';

const HOSTILE = 'hostile';
const CALM = 'calm';
const MEMBER = 'eu-1';
/** Generous: the operator's steady state here is a few hundred MiB; a leak under the flood would pass it. */
const RSS_CAP_MIB = 2048;
const PLANTED_TOKEN = 'hostile-planted-token-3b9f0c1d7e';

interface Condition {
  type: string;
  status: string;
  reason?: string;
  message?: string;
  observedGeneration?: number;
}
type Judged = KubeObject & { status?: { conditions?: Condition[]; observedGeneration?: number; phase?: string } };

type Outcome = { kind: 'admitted'; verdictOn: VerdictRef } | { kind: 'apiserver' | 'webhook'; code: number; message: string };

const RESOURCE: Readonly<Record<HostileKind, ResourceRef>> = {
  Workspace: Resources.Workspace,
  LogicalCluster: Resources.LogicalCluster,
  Cluster: Resources.Cluster,
  PlacementPolicy: Resources.PlacementPolicy,
  PropagatedObject: Resources.PropagatedObject,
};

/** The operator's answer on an admitted object: a condition written for its current generation. */
function verdict(object: Judged | undefined): Condition[] | undefined {
  const conditions = object?.status?.conditions ?? [];
  if (!object || conditions.length === 0) return undefined;
  const generation = object.metadata?.generation ?? 0;
  const current = object.status?.observedGeneration === generation || conditions.some((c) => c.observedGeneration === generation);
  return current ? conditions : undefined;
}

describe('hostile input: seeded hostile objects of every kind against the operator process (private control plane)', function () {
  const { form, sizes } = sizesFromEnv();
  const seed = seedFromEnv();
  this.timeout(form === 'long' ? 4 * 3600_000 : 900_000);
  let env: LocalEnvironment;
  let host: ApiClient;
  let operator: OperatorProcess;
  let healthPort: number;

  before(async function () {
    this.timeout(300_000);
    // No fake Nodes: nothing here needs pods to run, and the two cores are shared.
    env = await startPrivatePlane([MEMBER], { nodes: false });
    host = new ApiClient(env.host.kubeConfig());
    operator = startOperatorProcess(env, 'hostile-operator');
    healthPort = await operator.healthPort;
    const ready = await waitUntil(120_000, 250, async () => (await fetch(`http://127.0.0.1:${healthPort}/readyz`).catch(() => undefined))?.status === 200);
    expect(ready, 'the operator never became ready').to.equal(true);
  });

  after(async function () {
    this.timeout(120_000);
    await operator?.stop();
    host?.close();
    await env?.stop();
  });

  it(`refuses or reports a condition for every object of the ${form} plan, and stays alive, bounded and responsive`, async () => {
    const plan = hostilePlan(seed, sizes, { workspace: HOSTILE, secretNamespace: SYSTEM_NAMESPACE, member: MEMBER, plantedToken: PLANTED_TOKEN });
    const health = watchHealth(healthPort);
    const rss = sampleRss(operator.pid);
    const secrets = new Map<string, string>([
      ...CREDENTIAL_SHAPES,
      ['the planted kubeconfig token', PLANTED_TOKEN],
      ['the host admin token', env.host.token('admin')],
      [`the admin token of ${MEMBER}`, env.cluster(MEMBER).adminToken],
    ]);
    const leaksIn = (text: string): string[] => [...secrets].filter(([, needle]) => text.includes(needle)).map(([what]) => what);

    // The two tenants: the hostile one receives the flood, the calm one only measures.
    for (const name of [HOSTILE, CALM])
      await host.create(Resources.Workspace, { apiVersion: 'canopy.dev/v1alpha1', kind: 'Workspace', metadata: { name }, spec: {} } as KubeObject);
    expect(
      await waitUntil(
        60_000,
        200,
        async () => (await host.tryGet(Resources.Namespace, HOSTILE)) !== undefined && (await host.tryGet(Resources.Namespace, CALM)) !== undefined,
      ),
      'home namespaces',
    ).to.equal(true);
    await host.create(Resources.PlacementPolicy, {
      apiVersion: 'canopy.dev/v1alpha1',
      kind: 'PlacementPolicy',
      metadata: { name: 'hostile-base' },
      spec: {
        resourceSelectors: [{ apiVersion: 'v1', kind: 'ConfigMap', workspace: HOSTILE }],
        clusterSelector: { matchLabels: { 'canopy.dev/geo': 'eu' } },
        deselectionGraceSeconds: 0,
      },
    } as KubeObject);

    // Latency of the unrelated tenant: create a logical cluster, time it to Ready.
    let sampleIndex = 0;
    const sampleLatency = async (phase: string): Promise<number> => {
      const name = `${CALM}-${phase}-${sampleIndex++}`;
      const started = performance.now();
      await host.create(Resources.LogicalCluster, {
        apiVersion: 'canopy.dev/v1alpha1',
        kind: 'LogicalCluster',
        metadata: { name },
        spec: { workspace: CALM },
      } as KubeObject);
      const ready = await waitUntil(300_000, 100, async () => (await host.tryGet<Judged>(Resources.LogicalCluster, name))?.status?.phase === 'Ready');
      expect(ready, `logical cluster ${name} of the calm tenant never became Ready`).to.equal(true);
      return performance.now() - started;
    };
    const samples = form === 'long' ? 20 : 5;
    const before: number[] = [];
    for (let i = 0; i < samples; i++) before.push(await sampleLatency('before'));

    // The flood, with the calm tenant sampled all along until every verdict is in.
    const during: number[] = [];
    let flooding = true;
    const sampler = (async () => {
      while (flooding || during.length < samples) {
        during.push(await sampleLatency('during'));
        // A pause, so the calm tenant measures the flood rather than adding one of its own.
        await new Promise((r) => setTimeout(r, 1000));
      }
    })();

    const outcomes: { case: HostileCase; index: number; outcome: Outcome }[] = [];
    const problems: string[] = [];
    const floodStarted = performance.now();
    const submit = async (c: HostileCase): Promise<void> => {
      for (const s of c.support) await host.create(Resources.Secret, s);
      for (const [index, { object, verdictOn }] of c.objects.entries()) {
        const kind = object.kind as HostileKind;
        try {
          await host.create(RESOURCE[kind], object);
          outcomes.push({
            case: c,
            index,
            outcome: {
              kind: 'admitted',
              verdictOn: verdictOn ?? { kind, name: object.metadata!.name!, ...(object.metadata?.namespace ? { namespace: object.metadata.namespace } : {}) },
            },
          });
        } catch (err) {
          const code = (err as { code?: number }).code ?? 0;
          const message = ((err as { body?: { message?: string } }).body?.message ?? (err as Error).message).trim();
          const by = message.includes('denied the request') ? 'webhook' : 'apiserver';
          outcomes.push({ case: c, index, outcome: { kind: by, code, message } });
          const label = `${c.id} (${c.what}) object ${index}`;
          if (code < 400 || code >= 500) problems.push(`${label}: answered ${code}, not a refusal: ${message.slice(0, 300)}`);
          if (message.length < 10) problems.push(`${label}: refusal without a message`);
          if (by === 'webhook' && !/denied the request: [\w.[\]/-]+: \S/.test(message))
            problems.push(`${label}: webhook refusal without a field: ${message.slice(0, 300)}`);
          for (const what of leaksIn(message)) problems.push(`${label}: refusal message holds ${what}`);
        }
      }
    };
    // The chain link by link (each names the one before), then the rest four at a time, as several clients would.
    const chain = plan.cases.filter((c) => c.id.startsWith('deep-'));
    for (const c of chain) await submit(c);
    const rest = plan.cases.filter((c) => !c.id.startsWith('deep-'));
    let next = 0;
    await Promise.all(
      Array.from({ length: 4 }, async () => {
        while (next < rest.length) await submit(rest[next++]!);
      }),
    );
    const createdInMs = performance.now() - floodStarted;

    // Every admitted object gets its verdict: read in bulk, kind by kind.
    const admitted = outcomes.filter((o): o is typeof o & { outcome: { kind: 'admitted'; verdictOn: VerdictRef } } => o.outcome.kind === 'admitted');
    const keyOf = (ref: VerdictRef): string => `${ref.kind}/${ref.namespace ?? ''}/${ref.name}`;
    const pending = new Map(admitted.map((o) => [keyOf(o.outcome.verdictOn), o]));
    const verdicts = new Map<string, Condition[]>();
    const collect = async (): Promise<boolean> => {
      for (const kind of new Set([...pending.values()].map((o) => o.outcome.verdictOn.kind))) {
        for (const object of await host.listAll<Judged>(RESOURCE[kind])) {
          const key = `${kind}/${object.metadata?.namespace ?? ''}/${object.metadata?.name}`;
          const conditions = pending.has(key) ? verdict(object) : undefined;
          if (conditions) {
            verdicts.set(key, conditions);
            pending.delete(key);
          }
        }
      }
      return pending.size === 0;
    };
    const allJudged = await waitUntil(form === 'long' ? 3600_000 : 300_000, 2000, collect);
    const judgedInMs = performance.now() - floodStarted;
    flooding = false;
    await sampler;
    const healthReport = await health.stop();
    const memory = rss.stop();

    for (const [key, o] of pending) problems.push(`${o.case.id} (${o.case.what}): admitted, but ${key} never got a condition`);
    for (const [key, conditions] of verdicts) for (const what of leaksIn(JSON.stringify(conditions))) problems.push(`${key}: a condition holds ${what}`);
    // A decision is announced once: re-deciding every object on each workspace event (the chain) must not
    // repeat its Scheduled Event (it did, hundreds of times per object, while the write was queued). Real
    // changes may repeat it: each new Cluster holds first decisions until its first probe, then releases them.
    const events = await host.listAll<EventV1>(EventsV1);
    const scheduledRepeats = Math.max(0, ...events.filter((e) => e.reason === 'Scheduled').map((e) => e.series?.count ?? 1));
    const leaks = await scanForLeaks({ env, operatorLog: operator.logPath, planted: new Map([['the planted kubeconfig token', PLANTED_TOKEN]]) });

    // A PlacementPolicy and the PropagatedObject it governs share one verdict: each counts.
    const tally = { objects: outcomes.length, apiserver: 0, webhook: 0, condition: admitted.filter((o) => verdicts.has(keyOf(o.outcome.verdictOn))).length };
    for (const { outcome } of outcomes) if (outcome.kind !== 'admitted') tally[outcome.kind]++;
    const byKind = Object.fromEntries(
      [...new Set(outcomes.map((o) => o.case.kind))].map((kind) => {
        const mine = outcomes.filter((o) => o.case.kind === kind);
        return [
          kind,
          {
            objects: mine.length,
            apiserver: mine.filter((o) => o.outcome.kind === 'apiserver').length,
            webhook: mine.filter((o) => o.outcome.kind === 'webhook').length,
            admitted: mine.filter((o) => o.outcome.kind === 'admitted').length,
          },
        ];
      }),
    );
    const reasons = new Map<string, number>();
    for (const conditions of verdicts.values())
      for (const c of conditions)
        if (c.status !== 'True') reasons.set(`${c.type}=${c.status}/${c.reason}`, (reasons.get(`${c.type}=${c.status}/${c.reason}`) ?? 0) + 1);
    const exit = operator.child.exitCode ?? operator.child.signalCode;
    const figures = {
      command: `CANOPY_CHAOS=${form} CANOPY_CHAOS_SEED=${seed} npx mocha --config .mocharc.e2e.json test/e2e/chaos/hostile-input.e2e.test.ts`,
      seed,
      form,
      sizes,
      cases: plan.cases.length,
      ...tally,
      byKind,
      conditionReasons: Object.fromEntries([...reasons].sort((a, b) => b[1] - a[1])),
      crashes: exit === null ? 0 : 1,
      health: { probes: healthReport.probes, failures: healthReport.failures, longestGapMs: Math.round(healthReport.longestGapMs) },
      peakRssMiB: Math.round(memory.peakMiB),
      finalRssMiB: Math.round(memory.lastMiB),
      createdInS: Math.round(createdInMs / 100) / 10,
      allVerdictsInS: Math.round(judgedInMs / 100) / 10,
      calmLatencyMs: {
        before: { samples: before.length, p50: Math.round(percentile(before, 50)), p99: Math.round(percentile(before, 99)) },
        during: { samples: during.length, p50: Math.round(percentile(during, 50)), p99: Math.round(percentile(during, 99)) },
      },
      leakScan: { places: leaks.places.length, hits: leaks.hits.length },
      events: events.length,
      scheduledRepeats,
    };
    mkdirSync(join(repoRoot, '.canopy', 'test'), { recursive: true });
    writeFileSync(join(repoRoot, '.canopy', 'test', `hostile-figures-${form}-${seed}.json`), `${JSON.stringify(figures, null, 2)}\n`);
    console.log(`      ${JSON.stringify(figures)}`);

    expect(exit, `the operator exited (${exit}); see ${operator.logPath}`).to.equal(null);
    expect(healthReport.failures, `failed /healthz probes: ${healthReport.failureSamples.join('; ')}`).to.equal(0);
    expect(memory.peakMiB, 'peak resident memory of the operator, MiB').to.be.lessThan(RSS_CAP_MIB);
    expect(leaks.hits, leaks.hits.join('\n')).to.deep.equal([]);
    expect(problems, problems.slice(0, 40).join('\n')).to.deep.equal([]);
    expect(allJudged).to.equal(true);
    expect(scheduledRepeats, 'the most times one Scheduled Event was repeated').to.be.at.most(50);
    expect(tally.apiserver + tally.webhook + tally.condition).to.equal(tally.objects);
    // The plan reached every layer: the schema, the webhook and the operator each had something to say.
    expect(tally.apiserver, 'refusals by the apiserver').to.be.greaterThan(0);
    expect(tally.webhook, 'refusals by the webhook').to.be.greaterThan(0);
    expect(tally.condition, 'conditions from the operator').to.be.greaterThan(0);
  });
});
