/**
 * Seeded, bounded fuzzing through the real apiserver: valid objects of every
 * kind the webhook covers, mutated at random (fields removed, retyped,
 * replaced with hostile values, tree links rewired), sent as random users
 * with dry-run. Whatever comes back must be an admission or a refusal with a
 * message: never a 5xx, never a webhook failure.
 *
 * Reproduce a run with ADMISSION_FUZZ_SEED=<seed> (and ADMISSION_FUZZ_CASES);
 * ADMISSION_FUZZ_VERBOSE=1 prints why the apiserver refused each request.
 */
import { expect } from 'chai';
import type { KubeObject } from '../runtime/index.js';
import { acquireAdmission, errorCode, errorMessage, waitForEnforcement, type Actor } from '../../test/support/admission.js';
import { buildWorld, type World } from '../../test/support/admission-world.js';
import { mulberry32 as rng } from '../../test/support/random.js';

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };
type Rng = () => number;

const pick = <T>(r: Rng, list: readonly T[]): T => list[Math.floor(r() * list.length)]!;

function hostileValue(r: Rng, w: World, depth = 0): Json {
  const strings = [
    '',
    'x',
    'us-1',
    'eu-1',
    'eu-1,us-1,',
    '500m',
    '-1',
    '1e999',
    '9999999999999999999Gi',
    '🌲'.repeat(20),
    'a'.repeat(300),
    '$(rm -rf /)',
    'kube-system',
    'system:masters',
    w.n('acme'),
    w.n('team'),
    w.n('app'),
    w.n('nope'),
    'restricted',
    'privileged',
    'ALL',
    'SYS_ADMIN',
    'quay.io/x/y:1',
    "object.metadata.labels['a'] ==",
    'true',
  ];
  switch (Math.floor(r() * (depth > 1 ? 5 : 7))) {
    case 0:
      return pick(r, strings);
    case 1:
      return pick(r, [0, -1, 1.5, 3, 1e308, 2 ** 53, -0.001]);
    case 2:
      return r() < 0.5;
    case 3:
      return null;
    case 4:
      return pick(r, strings);
    case 5:
      return Array.from({ length: Math.floor(r() * 3) }, () => hostileValue(r, w, depth + 1));
    default:
      return Object.fromEntries(
        Array.from({ length: Math.floor(r() * 3) }, () => [
          pick(r, ['kind', 'name', 'hard', 'regions', 'x', 'cpu', 'matchLabels']),
          hostileValue(r, w, depth + 1),
        ]),
      );
  }
}

/** Every path into the object, except the ones that only make the apiserver route the request elsewhere. */
function paths(value: Json, prefix: (string | number)[] = []): (string | number)[][] {
  const out: (string | number)[][] = prefix.length > 0 ? [prefix] : [];
  if (Array.isArray(value)) {
    for (const [i, v] of value.entries()) out.push(...paths(v, [...prefix, i]));
  } else if (value && typeof value === 'object') for (const [k, v] of Object.entries(value)) out.push(...paths(v, [...prefix, k]));
  const fixed = new Set(['apiVersion', 'kind', 'metadata.name', 'metadata.namespace', 'metadata']);
  return out.filter((p) => !fixed.has(p.join('.')));
}

function parentOf(root: Json, path: (string | number)[]): { holder: Json; key: string | number } {
  let holder = root;
  for (const step of path.slice(0, -1)) holder = (holder as Record<string | number, Json>)[step]!;
  return { holder, key: path[path.length - 1]! };
}

function mutate(r: Rng, w: World, object: Json): string {
  const all = paths(object);
  if (all.length === 0) {
    (object as Record<string, Json>)['spec'] = hostileValue(r, w);
    return 'replace spec';
  }
  const path = pick(r, all);
  const { holder, key } = parentOf(object, path);
  const h = holder as Record<string | number, Json>;
  const where = path.join('.');
  switch (Math.floor(r() * 8)) {
    case 0:
      if (Array.isArray(holder)) holder.splice(Number(key), 1);
      else delete h[key];
      return `remove ${where}`;
    case 1:
    case 2:
    case 6: {
      // Same type, other value: passes the schema more often, so the webhook sees it.
      const current = h[key];
      const candidates = Array.from({ length: 12 }, () => hostileValue(r, w)).filter(
        (v) => typeof v === typeof current && Array.isArray(v) === Array.isArray(current),
      );
      h[key] = candidates[0] ?? hostileValue(r, w);
      return `retarget ${where}`;
    }
    case 7:
      h[key] = hostileValue(r, w);
      return `replace ${where}`;
    case 3: {
      const target = h[key];
      if (target && typeof target === 'object' && !Array.isArray(target)) {
        (target as Record<string, Json>)[pick(r, ['extra', 'parent', 'hostNetwork', 'privileged', 'annotations', 'quota'])] = hostileValue(r, w);
        return `add to ${where}`;
      }
      h[key] = hostileValue(r, w);
      return `replace ${where}`;
    }
    case 4: {
      const target = h[key];
      if (Array.isArray(target) && target.length > 0) {
        target.push(structuredClone(target[0]!));
        return `duplicate in ${where}`;
      }
      delete h[key];
      return `remove ${where}`;
    }
    default: {
      const meta = (object as Record<string, Record<string, Json>>)['metadata']!;
      meta['annotations'] = { 'placement.canopy.dev/clusters': pick(r, ['us-1', 'eu-1', 'eu-2,us-1', '', ',', 'nowhere', 'eu-1,eu-1']) };
      return 'pin clusters';
    }
  }
}

function seeds(w: World): (() => KubeObject)[] {
  const CANOPY = 'canopy.dev/v1alpha1';
  const ns = w.tenantNamespace;
  const quota = { hard: { cpu: '1', memory: '1Gi', 'services.loadbalancers': '0' } };
  return [
    () => ({
      apiVersion: CANOPY,
      kind: 'Workspace',
      metadata: { name: w.n('fz') },
      spec: {
        parent: w.n('acme'),
        owners: [{ kind: 'User', name: 'bob' }],
        constraints: {
          regions: ['eu-1'],
          quota: { hard: { cpu: '2' } },
          podSecurity: 'restricted',
          maxLogicalClusters: 1,
          costBudget: 100,
          allowedRegistries: ['registry.acme.io/fz'],
          clusterSelector: { matchLabels: { 'canopy.dev/geo': 'eu' } },
        },
      },
    }),
    () => ({
      apiVersion: CANOPY,
      kind: 'LogicalCluster',
      metadata: { name: w.n('fz') },
      spec: {
        workspace: w.n('team'),
        namespaces: ['a', 'b'],
        owners: [{ kind: 'User', name: 'dave' }],
        capabilities: { preset: 'developer' },
        constraints: { quota, podSecurity: 'restricted' },
      },
    }),
    () => ({
      apiVersion: CANOPY,
      kind: 'PlacementPolicy',
      metadata: { name: w.n('fz') },
      spec: {
        resourceSelectors: [{ apiVersion: 'apps/v1', kind: 'Deployment', workspace: w.n('acme') }],
        priority: 5,
        regions: ['eu-1'],
        rules: [{ expression: "cluster.metadata.labels['canopy.dev/geo'] == 'eu'" }],
        replicas: { strategy: 'Divide', minPerCluster: 1 },
        spread: { topologyKey: 'region', minGroups: 1 },
      },
    }),
    () => ({
      apiVersion: CANOPY,
      kind: 'PropagatedObject',
      metadata: { name: w.n('fz'), namespace: ns },
      spec: {
        template: {
          apiVersion: 'v1',
          kind: 'ConfigMap',
          metadata: { name: 'cfg', annotations: { 'placement.canopy.dev/clusters': 'eu-1' } },
          data: { a: 'b' },
        },
        placementRef: { name: w.n('pci') },
        overrides: [{ clusters: ['eu-1'], patches: [{ op: 'add', path: '/data/b', value: 'c' }] }],
      },
    }),
    () => ({
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name: w.n('fz'), namespace: ns },
      spec: {
        initContainers: [{ name: 'init', image: 'registry.acme.io/init:1' }],
        containers: [{ name: 'app', image: 'registry.acme.io/app:1', ports: [{ containerPort: 80 }], securityContext: { capabilities: { drop: ['ALL'] } } }],
        volumes: [{ name: 'data', emptyDir: {} }],
      },
    }),
    () => ({
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: { name: w.n('fz'), namespace: ns, labels: { 'admission-e2e': w.id }, annotations: { 'placement.canopy.dev/clusters': 'eu-1' } },
      spec: {
        replicas: 2,
        selector: { matchLabels: { app: 'fz' } },
        template: { metadata: { labels: { app: 'fz' } }, spec: { containers: [{ name: 'app', image: 'nginx:1.27' }] } },
      },
    }),
    () => ({
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: { name: w.n('fz'), namespace: ns, labels: { 'admission-e2e': w.id }, annotations: { 'placement.canopy.dev/clusters': 'eu-1' } },
      data: { a: 'b' },
    }),
  ] as (() => KubeObject)[];
}

describe('admission fuzzing', function () {
  this.timeout(600_000);
  const seed = Number(process.env['ADMISSION_FUZZ_SEED'] ?? 20_240_611);
  const cases = Number(process.env['ADMISSION_FUZZ_CASES'] ?? 300);
  let world: World;
  let release: () => Promise<void>;

  before(async () => {
    release = await acquireAdmission();
    world = await buildWorld();
  });

  after(async () => {
    await world?.teardown();
    await release?.();
  });

  it(`answers ${cases} mutated requests (seed ${seed}) with an admission or a refusal, never a failure`, async () => {
    const r = rng(seed);
    const actors: Actor[] = [world.admin, world.users.alice, world.users.bob, world.users.dave];
    const makers = seeds(world);
    const tally = { admitted: 0, deniedByWebhook: 0, refusedByApiserver: 0 };
    const failures: string[] = [];
    for (let i = 0; i < cases; i++) {
      const object = makers[Math.floor(r() * makers.length)]!() as unknown as Json;
      const steps = Array.from({ length: 1 + Math.floor(r() * 3) }, () => mutate(r, world, object));
      const actor = pick(r, actors);
      const label = `#${i} ${(object as { kind: string }).kind} as ${actor.name}: ${steps.join(', ')}`;
      try {
        await actor.create(object as unknown as KubeObject, { dryRun: true });
        tally.admitted++;
      } catch (err) {
        const code = errorCode(err);
        const message = errorMessage(err);
        if (code >= 500 || code < 400 || message.trim() === '') {
          failures.push(`${label} → ${code} ${message}`);
        } else if (message.includes('denied the request: ')) {
          tally.deniedByWebhook++;
          // Our sentences read "<field>: <reason>".
          if (!/denied the request: [\w.[\]/-]+: \S/.test(message)) failures.push(`${label} → denial without a field: ${message}`);
        } else {
          tally.refusedByApiserver++;
          if (process.env['ADMISSION_FUZZ_VERBOSE']) console.log(`${code} ${message.slice(0, 160)}`);
        }
      }
    }
    console.log(`      seed ${seed}: ${JSON.stringify(tally)}`);
    expect(failures, failures.join('\n')).to.deep.equal([]);
    expect(tally.admitted + tally.deniedByWebhook + tally.refusedByApiserver).to.equal(cases);
    expect(tally.deniedByWebhook, 'the mutations reached the webhook').to.be.greaterThan(cases / 20);
    // The webhook is still up and judging.
    await waitForEnforcement();
  });
});
