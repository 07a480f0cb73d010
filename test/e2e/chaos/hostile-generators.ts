/**
 * A seeded generator of schema-shaped but semantically hostile objects for
 * the five Canopy kinds: lists at (and just past) their maxItems, workspace
 * chains far deeper than any real tree, names at the 63-character limit (and
 * with unicode where the schema allows any string), selectors that match
 * everything, CEL rules at and past the operator's cost limit (and one a
 * million steps long), overrides that patch every field, kubeconfigs that carry a planted
 * credential, and a flood of PropagatedObjects in one namespace.
 *
 * Pure: the same seed and sizes give the same objects, so a failure found by
 * the long run is reproduced with `CANOPY_CHAOS_SEED=<seed>`. The e2e suite
 * decides nothing from the case itself: every object must be refused by the
 * apiserver or the webhook, or get a condition from the operator.
 */
import type { KubeObject } from '../../../src/runtime/index.js';
import { mulberry32 } from '../../support/random.js';

export const HOSTILE_KINDS = ['Workspace', 'LogicalCluster', 'Cluster', 'PlacementPolicy', 'PropagatedObject'] as const;
export type HostileKind = (typeof HOSTILE_KINDS)[number];

const CANOPY = 'canopy.dev/v1alpha1';

export interface HostileSizes {
  /** Length of the workspace parent chain (each link is one case). */
  readonly treeDepth: number;
  /** PropagatedObjects written into one namespace, on top of the random cases. */
  readonly floodPropagatedObjects: number;
  /** Random cases drawn from every maker. */
  readonly randomCases: number;
}

export const SHORT_SIZES: HostileSizes = { treeDepth: 25, floodPropagatedObjects: 60, randomCases: 50 };
export const LONG_SIZES: HostileSizes = { treeDepth: 1000, floodPropagatedObjects: 3000, randomCases: 400 };

/**
 * `CANOPY_CHAOS=long` selects the long form; anything else the short one that `npm test` runs.
 * `CANOPY_CHAOS_SIZES=<treeDepth>:<flood>:<randomCases>` overrides the sizes of either, to reproduce a finding.
 */
export function sizesFromEnv(env: NodeJS.ProcessEnv = process.env): { form: 'short' | 'long'; sizes: HostileSizes } {
  const form = env['CANOPY_CHAOS'] === 'long' ? 'long' : 'short';
  const raw = env['CANOPY_CHAOS_SIZES'];
  if (!raw) return { form, sizes: form === 'long' ? LONG_SIZES : SHORT_SIZES };
  const [treeDepth, floodPropagatedObjects, randomCases] = raw.split(':').map(Number);
  if (![treeDepth, floodPropagatedObjects, randomCases].every((n) => Number.isInteger(n) && n! >= 0))
    throw new Error(`CANOPY_CHAOS_SIZES=${raw} is not <treeDepth>:<flood>:<randomCases>`);
  return { form, sizes: { treeDepth: treeDepth!, floodPropagatedObjects: floodPropagatedObjects!, randomCases: randomCases! } };
}

export const DEFAULT_SEED = 21_021;

export function seedFromEnv(env: NodeJS.ProcessEnv = process.env): number {
  const raw = env['CANOPY_CHAOS_SEED'];
  if (raw === undefined || raw === '') return DEFAULT_SEED;
  const seed = Number(raw);
  if (!Number.isInteger(seed)) throw new Error(`CANOPY_CHAOS_SEED=${raw} is not an integer`);
  return seed;
}

/** Where the verdict on an admitted object is read: the object, or the PropagatedObject it governs. */
export interface VerdictRef {
  readonly kind: HostileKind;
  readonly name: string;
  readonly namespace?: string;
}

export interface HostileObject {
  readonly object: KubeObject;
  /** A PlacementPolicy has no status of its own: its verdict is the Scheduled condition of the object it governs. */
  readonly verdictOn?: VerdictRef;
}

export interface HostileCase {
  readonly id: string;
  readonly kind: HostileKind;
  /** What is hostile about it, for the failure message. */
  readonly what: string;
  /** Plain objects the case needs (a kubeconfig Secret); created first, never judged. */
  readonly support: readonly KubeObject[];
  /** Judged one by one, in this order. */
  readonly objects: readonly HostileObject[];
}

export interface HostileWorld {
  /** The workspace every hostile tenant object lives under (its home namespace takes the PropagatedObjects). */
  readonly workspace: string;
  /** Namespace the Cluster kubeconfig Secrets go to (the operator's). */
  readonly secretNamespace: string;
  /** A registered, healthy member cluster. */
  readonly member: string;
  /** A credential planted in hostile kubeconfigs: no message may ever show it. */
  readonly plantedToken: string;
}

export interface HostilePlan {
  readonly seed: number;
  readonly sizes: HostileSizes;
  readonly cases: readonly HostileCase[];
}

type Rng = () => number;

const pick = <T>(r: Rng, list: readonly T[]): T => list[Math.floor(r() * list.length)]!;
const int = (r: Rng, min: number, max: number): number => min + Math.floor(r() * (max - min + 1));

/** Unicode that tends to break code: astral plane, combining marks, right-to-left, zero-width, NUL-adjacent controls. */
const UNICODE = ['🌲', '名前', 'ß', 'é', '\u0301', '\u202e', '\u200b', 'Ω', '𝔘', '\u0007', 'ﬀ', 'İ'];

function unicodeString(r: Rng, length: number): string {
  let out = '';
  while ([...out].length < length) out += pick(r, UNICODE);
  return [...out].slice(0, length).join('');
}

/** A DNS label of exactly `length` characters (the schema allows 63), made unique by `tag`. */
export function dnsLabel(tag: string, length: number): string {
  const base = `${tag}-`.replace(/[^a-z0-9-]/g, '');
  const filled = (base + 'x'.repeat(Math.max(0, length))).slice(0, length);
  return filled.replace(/-+$/, (m) => 'z'.repeat(m.length));
}

const digits = (n: number): string => Array.from({ length: n }, (_, i) => i).join(',');

/** A kubeconfig carrying `token`: the member's credential must never be echoed back. */
function kubeconfig(server: string, token: string, extraUser: Record<string, unknown> = {}): string {
  return [
    'apiVersion: v1',
    'kind: Config',
    `clusters: [{name: c, cluster: {server: '${server}', insecure-skip-tls-verify: true}}]`,
    `users: [{name: u, user: ${JSON.stringify({ token, ...extraUser })}}]`,
    'contexts: [{name: x, context: {cluster: c, user: u}}]',
    'current-context: x',
  ].join('\n');
}

interface MakerContext {
  readonly r: Rng;
  readonly w: HostileWorld;
  readonly id: string;
}

type Maker = (c: MakerContext) => Omit<HostileCase, 'id'>;

const workspace = (name: string, spec: Record<string, unknown>): KubeObject =>
  ({ apiVersion: CANOPY, kind: 'Workspace', metadata: { name }, spec }) as KubeObject;

const WORKSPACE_MAKERS: Maker[] = [
  ({ r, w, id }) => {
    // 63 is the limit; 64, an uppercase letter or one unicode letter must be refused by the schema.
    const variant = pick(r, ['63', '64', 'unicode', 'upper'] as const);
    const name =
      variant === '64'
        ? dnsLabel(id, 64)
        : variant === 'unicode'
          ? `${dnsLabel(id, 61)}é`
          : variant === 'upper'
            ? dnsLabel(id, 63).toUpperCase()
            : dnsLabel(id, 63);
    return { kind: 'Workspace', what: `name at the length limit (${variant})`, support: [], objects: [{ object: workspace(name, { parent: w.workspace }) }] };
  },
  ({ r, w, id }) => {
    const count = pick(r, [64, 65]);
    const owners = Array.from({ length: count }, (_, i) => ({ kind: pick(r, ['User', 'Group'] as const), name: `${i}-${unicodeString(r, int(r, 1, 250))}` }));
    return {
      kind: 'Workspace',
      what: `${count} owners with unicode names up to 253 characters`,
      support: [],
      objects: [{ object: workspace(dnsLabel(id, 20), { parent: w.workspace, owners }) }],
    };
  },
  ({ r, w, id }) => {
    const over = r() < 0.3;
    const values = Array.from({ length: over ? 65 : 64 }, (_, i) => `v${i}`);
    const constraints = {
      regions: Array.from({ length: 64 }, (_, i) => dnsLabel(`r${i}`, int(r, 4, 63))).filter((v, i, all) => all.indexOf(v) === i),
      clusterSelector: { matchExpressions: Array.from({ length: 32 }, (_, i) => ({ key: `k${i}.example.com/${'x'.repeat(60)}`, operator: 'NotIn', values })) },
      quota: {
        hard: Object.fromEntries(
          Array.from({ length: 64 }, (_, i) => [`example.com/r${i}`, pick(r, ['9223372036854775807', '1e18', '999999999Ei', '0', '1m'])]),
        ),
      },
      allowedRegistries: Array.from({ length: 32 }, (_, i) => `registry-${i}.example.com/${'a'.repeat(200)}`),
      maxLogicalClusters: 2147483647,
      costBudget: 1e308,
    };
    return {
      kind: 'Workspace',
      what: `every constraint list at its maxItems${over ? ' (selector values one past it)' : ''}`,
      support: [],
      objects: [{ object: workspace(dnsLabel(id, 20), { parent: w.workspace, constraints }) }],
    };
  },
  ({ id }) => ({
    kind: 'Workspace',
    what: 'a parent that does not exist',
    support: [],
    objects: [{ object: workspace(dnsLabel(id, 20), { parent: dnsLabel(`${id}-ghost`, 40) }) }],
  }),
  ({ id }) => {
    // Each names the other as parent: the second one closes the loop.
    const a = dnsLabel(`${id}-a`, 20);
    const b = dnsLabel(`${id}-b`, 20);
    return {
      kind: 'Workspace',
      what: 'a two-workspace parent cycle',
      support: [],
      objects: [{ object: workspace(a, { parent: b }) }, { object: workspace(b, { parent: a }) }],
    };
  },
  ({ w, id }) => ({
    kind: 'Workspace',
    what: '32 propagated types the control plane does not serve',
    support: [],
    objects: [
      {
        object: workspace(dnsLabel(id, 20), {
          parent: w.workspace,
          propagate: Array.from({ length: 32 }, (_, i) => ({ apiVersion: `nope${i}.example.com/v1`, kind: `Nothing${i}` })),
        }),
      },
    ],
  }),
  ({ w, id }) => ({
    kind: 'Workspace',
    what: 'constraints wider than nothing: a child allowing every pod-security level under a restricted parent',
    support: [],
    objects: [
      { object: workspace(dnsLabel(`${id}-p`, 20), { parent: w.workspace, constraints: { podSecurity: 'restricted', regions: ['eu-1'] } }) },
      {
        object: workspace(dnsLabel(`${id}-c`, 20), { parent: dnsLabel(`${id}-p`, 20), constraints: { podSecurity: 'privileged', regions: ['eu-1', 'us-1'] } }),
      },
    ],
  }),
];

const logicalCluster = (name: string, spec: Record<string, unknown>): KubeObject =>
  ({ apiVersion: CANOPY, kind: 'LogicalCluster', metadata: { name }, spec }) as KubeObject;

const LOGICAL_CLUSTER_MAKERS: Maker[] = [
  ({ r, w, id }) => {
    // <name>-<suffix> must stay within 63: a 60-character name leaves one character per suffix.
    const fits = r() < 0.6;
    const name = dnsLabel(id, fits ? 60 : 62);
    const namespaces = Array.from({ length: 32 }, (_, i) => (fits ? 'abcdefghijklmnopqrstuvwxyz0123456789'[i]! : `s${i}`));
    return {
      kind: 'LogicalCluster',
      what: `32 namespaces whose names ${fits ? 'reach' : 'pass'} 63 characters`,
      support: [],
      objects: [{ object: logicalCluster(name, { workspace: w.workspace, namespaces }) }],
    };
  },
  ({ w, id }) => ({
    kind: 'LogicalCluster',
    what: '64 rules granting every verb on every resource of every group',
    support: [],
    objects: [
      {
        object: logicalCluster(dnsLabel(id, 20), {
          workspace: w.workspace,
          capabilities: { preset: 'admin', rules: Array.from({ length: 64 }, () => ({ apiGroups: ['*'], resources: ['*'], verbs: ['*'] })) },
        }),
      },
    ],
  }),
  ({ id }) => ({
    kind: 'LogicalCluster',
    what: 'a workspace that does not exist',
    support: [],
    objects: [{ object: logicalCluster(dnsLabel(id, 20), { workspace: dnsLabel(`${id}-ghost`, 30) }) }],
  }),
  ({ w, id }) => ({
    kind: 'LogicalCluster',
    what: 'mode Cluster with a selector no cluster matches',
    support: [],
    objects: [
      {
        object: logicalCluster(dnsLabel(id, 20), {
          workspace: w.workspace,
          mode: 'Cluster',
          clusterSelector: { matchLabels: { 'hostile.example.com/none': 'true' } },
        }),
      },
    ],
  }),
  ({ r, w, id }) => ({
    kind: 'LogicalCluster',
    what: '64 unicode owners and a quota of the largest quantities',
    support: [],
    objects: [
      {
        object: logicalCluster(dnsLabel(id, 20), {
          workspace: w.workspace,
          owners: Array.from({ length: 64 }, (_, i) => ({ kind: 'User', name: `${i}${unicodeString(r, 200)}` })),
          constraints: { quota: { hard: { cpu: '9223372036854775807', memory: '999999999Ei', pods: '2147483647' } } },
        }),
      },
    ],
  }),
];

const cluster = (name: string, spec: Record<string, unknown>): KubeObject =>
  ({ apiVersion: CANOPY, kind: 'Cluster', metadata: { name, labels: { 'hostile.example.com/cluster': 'true' } }, spec }) as KubeObject;
const secret = (name: string, namespace: string, data: string): KubeObject =>
  ({ apiVersion: 'v1', kind: 'Secret', metadata: { name, namespace }, stringData: { kubeconfig: data } }) as KubeObject;

const CLUSTER_MAKERS: Maker[] = [
  ({ w, id }) => ({
    kind: 'Cluster',
    what: 'a kubeconfig Secret that does not exist',
    support: [],
    objects: [
      {
        object: cluster(dnsLabel(id, 63), {
          region: dnsLabel('r', 63),
          kubeconfigSecretRef: { name: dnsLabel(`${id}-none`, 40), namespace: w.secretNamespace },
        }),
      },
    ],
  }),
  ({ r, w, id }) => {
    const variant = pick(r, ['garbage', 'dead-server', 'exec-plugin', 'token-file'] as const);
    const data =
      variant === 'garbage'
        ? `token: ${w.plantedToken}\n{{{ not yaml: [${'\u0000'.repeat(3)}`
        : variant === 'dead-server'
          ? kubeconfig('https://127.0.0.1:1', w.plantedToken)
          : variant === 'exec-plugin'
            ? kubeconfig('https://127.0.0.1:1', w.plantedToken, {
                exec: { apiVersion: 'client.authentication.k8s.io/v1', command: '/bin/sh', args: ['-c', 'echo pwned'] },
              })
            : kubeconfig('https://127.0.0.1:1', w.plantedToken, { tokenFile: '/etc/shadow' });
    const name = dnsLabel(`${id}-kc`, 40);
    return {
      kind: 'Cluster',
      what: `a kubeconfig that is ${variant}, carrying a planted token`,
      support: [secret(name, w.secretNamespace, data)],
      objects: [
        {
          object: cluster(dnsLabel(id, 30), {
            region: 'eu-1',
            failoverAfterSeconds: 0,
            probeIntervalSeconds: 1,
            kubeconfigSecretRef: { name, namespace: w.secretNamespace },
          }),
        },
      ],
    };
  },
  ({ r, w, id }) => {
    const over = r() < 0.3;
    return {
      kind: 'Cluster',
      what: `taints and capacity at their maxItems${over ? ' (taints one past it)' : ''}, prices of 1e308`,
      support: [],
      objects: [
        {
          object: cluster(dnsLabel(id, 30), {
            region: dnsLabel('region', 63),
            provider: dnsLabel('provider', 63),
            kubeconfigSecretRef: { name: 'missing', namespace: w.secretNamespace },
            taints: Array.from({ length: over ? 33 : 32 }, (_, i) => ({
              key: `hostile.example.com/t${i}`,
              value: 'v'.repeat(63),
              effect: pick(r, ['NoSchedule', 'PreferNoSchedule', 'NoExecute'] as const),
            })),
            capacity: Object.fromEntries(Array.from({ length: 64 }, (_, i) => [`example.com/c${i}`, '9223372036854775807'])),
            pricing: { cpuHour: 1e308, memoryGiBHour: 1e308, loadBalancerHour: 1e308, currency: 'XXX' },
          }),
        },
      ],
    };
  },
];

const propagatedObject = (name: string, namespace: string, spec: Record<string, unknown>): KubeObject =>
  ({ apiVersion: CANOPY, kind: 'PropagatedObject', metadata: { name, namespace, labels: { 'hostile.example.com/po': 'true' } }, spec }) as KubeObject;
const configMapTemplate = (name: string, data: Record<string, string> = { a: 'b' }): Record<string, unknown> => ({
  apiVersion: 'v1',
  kind: 'ConfigMap',
  metadata: { name },
  data,
});

/** A CEL rule of two nested comprehensions over literal lists of n elements: about 11·n² evaluation steps per cluster. */
export function heavyRule(n: number): string {
  return `[${digits(n)}].all(a, [${digits(n)}].exists(b, a + b < 0) || cluster.metadata.name != '')`;
}

/** 94 is the largest n whose rule the operator's cost limit admits (src/reconcilers/placement/cel.ts). */
export const RULE_AT_COST_LIMIT = 94;

const policy = (name: string, spec: Record<string, unknown>): KubeObject =>
  ({ apiVersion: CANOPY, kind: 'PlacementPolicy', metadata: { name }, spec }) as KubeObject;

/** A PlacementPolicy and the PropagatedObject pinned to it, on which its verdict shows. */
function governed(c: MakerContext, what: string, spec: Record<string, unknown>): Omit<HostileCase, 'id'> {
  const name = dnsLabel(c.id, 30);
  const witness = dnsLabel(`${c.id}-po`, 30);
  return {
    kind: 'PlacementPolicy',
    what,
    support: [],
    objects: [
      { object: policy(name, spec), verdictOn: { kind: 'PropagatedObject', name: witness, namespace: c.w.workspace } },
      { object: propagatedObject(witness, c.w.workspace, { template: configMapTemplate(witness), placementRef: { name } }) },
    ],
  };
}

const POLICY_MAKERS: Maker[] = [
  (c) =>
    governed(c, 'selectors matching every ConfigMap, Secret and Deployment anywhere, tolerating every taint, at top priority', {
      priority: 1000,
      resourceSelectors: [
        { apiVersion: 'v1', kind: 'ConfigMap' },
        { apiVersion: 'apps/v1', kind: 'Deployment' },
        { apiVersion: 'v1', kind: 'Secret', labelSelector: {} },
      ],
      tolerations: [{ operator: 'Exists' }],
      replicas: { strategy: 'Duplicate' },
      deselectionGraceSeconds: 0,
    }),
  (c) => {
    // At the cost limit (admitted), one step past it, 16 rules at it (over the policy's total), and the
    // kind of rule 4096 characters allow without a limit: three nested loops, a million steps.
    const variant = pick(c.r, ['at-limit', 'past-limit', 'sixteen-at-limit', 'million'] as const);
    const expressions =
      variant === 'at-limit'
        ? [heavyRule(RULE_AT_COST_LIMIT), ...Array.from({ length: 15 }, (_, i) => `cluster.metadata.name != 'x${i}'`)]
        : variant === 'past-limit'
          ? [heavyRule(RULE_AT_COST_LIMIT + 1)]
          : variant === 'sixteen-at-limit'
            ? Array.from({ length: 16 }, () => heavyRule(RULE_AT_COST_LIMIT))
            : [`[${digits(100)}].all(a, [${digits(100)}].all(b, [${digits(100)}].all(d, a + b + d >= 0)))`];
    return governed(c, `CEL rules: ${variant} of the cost limit`, {
      resourceSelectors: [
        { apiVersion: 'v1', kind: 'ConfigMap', namespaces: [c.w.workspace], labelSelector: { matchLabels: { 'hostile.example.com/none': 'x' } } },
      ],
      rules: expressions.map((expression, i) => ({ name: `heavy-${i}`, expression, message: unicodeString(c.r, 100) })),
    });
  },
  (c) =>
    governed(c, 'a CEL rule that fails at run time on every cluster', {
      resourceSelectors: [
        { apiVersion: 'v1', kind: 'ConfigMap', namespaces: [c.w.workspace], labelSelector: { matchLabels: { 'hostile.example.com/none': 'x' } } },
      ],
      rules: [{ expression: "object.metadata.labels['no-such-label'] == 'x' && 1 / 0 == 1" }],
    }),
  (c) =>
    governed(c, 'a CEL rule that does not compile', {
      resourceSelectors: [
        { apiVersion: 'v1', kind: 'ConfigMap', namespaces: [c.w.workspace], labelSelector: { matchLabels: { 'hostile.example.com/none': 'x' } } },
      ],
      rules: [{ expression: `cluster.metadata.labels[ ${'('.repeat(200)}` }],
    }),
  (c) =>
    governed(c, 'a spread over a billion groups, 64 weights for clusters that do not exist, 32 preferences', {
      resourceSelectors: [
        { apiVersion: 'v1', kind: 'ConfigMap', namespaces: [c.w.workspace], labelSelector: { matchLabels: { 'hostile.example.com/none': 'x' } } },
      ],
      spread: { topologyKey: 'hostile.example.com/zone', minGroups: 1_000_000_000 },
      replicas: {
        strategy: 'Divide',
        weights: Array.from({ length: 64 }, (_, i) => ({ cluster: dnsLabel(`ghost${i}`, 63), weight: 10000 })),
        minPerCluster: 2147483647,
      },
      preferences: Array.from({ length: 32 }, (_, i) => ({ weight: 100, clusterSelector: { matchExpressions: [{ key: `k${i}`, operator: 'Exists' }] } })),
    }),
  (c) =>
    governed(c, 'a policy engine that never answers, fail closed', {
      resourceSelectors: [
        { apiVersion: 'v1', kind: 'ConfigMap', namespaces: [c.w.workspace], labelSelector: { matchLabels: { 'hostile.example.com/none': 'x' } } },
      ],
      policyEngine: { url: 'http://127.0.0.1:1/v1/data/canopy', timeoutSeconds: 30, failurePolicy: 'Fail' },
    }),
  (c) =>
    governed(c, 'priority one past the maximum', {
      priority: 1001,
      resourceSelectors: [{ apiVersion: 'v1', kind: 'ConfigMap', namespaces: [c.w.workspace] }],
    }),
];

const PROPAGATED_OBJECT_MAKERS: Maker[] = [
  ({ r, w, id }) => {
    const keys = int(r, 500, 2000);
    const name = dnsLabel(id, 63);
    const data = Object.fromEntries(Array.from({ length: keys }, (_, i) => [`k${i}`, unicodeString(r, 50)]));
    // Every override patches every key, then some paths that do not exist.
    const overrides = Array.from({ length: 32 }, (_, o) => ({
      ...(o % 2 === 0 ? { clusters: [w.member] } : { clusterSelector: {} }),
      patches: Array.from({ length: 64 }, (_, p) =>
        p === 63
          ? { op: 'remove', path: `/data/does-not-exist-${o}` }
          : { op: pick(r, ['add', 'replace'] as const), path: `/data/k${(o * 64 + p) % keys}`, value: unicodeString(r, 20) },
      ),
    }));
    return {
      kind: 'PropagatedObject',
      what: `a ConfigMap of ${keys} unicode keys and 32 overrides of 64 patches each, the last removing a missing path`,
      support: [],
      objects: [{ object: propagatedObject(name, w.workspace, { template: configMapTemplate(name, data), overrides }) }],
    };
  },
  ({ w, id }) => ({
    kind: 'PropagatedObject',
    what: 'an override that rewrites metadata.name',
    support: [],
    objects: [
      {
        object: propagatedObject(dnsLabel(id, 20), w.workspace, {
          template: configMapTemplate('x'),
          overrides: [{ patches: [{ op: 'replace', path: '/metadata/name', value: 'y' }] }],
        }),
      },
    ],
  }),
  ({ w, id }) => ({
    kind: 'PropagatedObject',
    what: 'a template of a kind no cluster serves',
    support: [],
    objects: [
      {
        object: propagatedObject(dnsLabel(id, 20), w.workspace, {
          template: { apiVersion: 'hostile.example.com/v1', kind: 'Widget', metadata: { name: 'w' }, spec: { size: 1e308 } },
        }),
      },
    ],
  }),
  ({ w, id }) => ({
    kind: 'PropagatedObject',
    what: 'a template that is a canopy.dev Workspace',
    support: [],
    objects: [
      {
        object: propagatedObject(dnsLabel(id, 20), w.workspace, {
          template: { apiVersion: CANOPY, kind: 'Workspace', metadata: { name: 'escape' }, spec: {} },
        }),
      },
    ],
  }),
  ({ w, id }) => ({
    kind: 'PropagatedObject',
    what: 'a privileged Deployment template that also mounts the host root',
    support: [],
    objects: [
      {
        object: propagatedObject(dnsLabel(id, 20), w.workspace, {
          template: {
            apiVersion: 'apps/v1',
            kind: 'Deployment',
            metadata: { name: 'root' },
            spec: {
              replicas: 2147483647,
              selector: { matchLabels: { a: 'b' } },
              template: {
                metadata: { labels: { a: 'b' } },
                spec: {
                  hostNetwork: true,
                  containers: [{ name: 'c', image: 'evil.example.com/x', securityContext: { privileged: true } }],
                  volumes: [{ name: 'r', hostPath: { path: '/' } }],
                },
              },
            },
          },
        }),
      },
    ],
  }),
  ({ w, id }) => ({
    kind: 'PropagatedObject',
    what: 'a placementRef to a policy that does not exist',
    support: [],
    objects: [
      {
        object: propagatedObject(dnsLabel(id, 20), w.workspace, { template: configMapTemplate('ghost'), placementRef: { name: dnsLabel(`${id}-ghost`, 40) } }),
      },
    ],
  }),
];

const MAKERS: Readonly<Record<HostileKind, readonly Maker[]>> = {
  Workspace: WORKSPACE_MAKERS,
  LogicalCluster: LOGICAL_CLUSTER_MAKERS,
  Cluster: CLUSTER_MAKERS,
  PlacementPolicy: POLICY_MAKERS,
  PropagatedObject: PROPAGATED_OBJECT_MAKERS,
};

/**
 * The whole plan: the deep chain first (each link a case, so a refusal part
 * way down is judged like any other answer), then the random cases, every
 * maker at least once, then the flood of PropagatedObjects in one namespace.
 */
export function hostilePlan(seed: number, sizes: HostileSizes, w: HostileWorld): HostilePlan {
  const r = mulberry32(seed);
  const cases: HostileCase[] = [];
  let parent = w.workspace;
  for (let i = 0; i < sizes.treeDepth; i++) {
    const name = dnsLabel(`deep${i}`, 12);
    cases.push({
      id: `deep-${i}`,
      kind: 'Workspace',
      what: `link ${i + 1} of a ${sizes.treeDepth}-deep workspace chain`,
      support: [],
      objects: [{ object: workspace(name, { parent }) }],
    });
    parent = name;
  }
  const all = HOSTILE_KINDS.flatMap((kind) => MAKERS[kind].map((maker, index) => ({ kind, maker, index })));
  for (let i = 0; i < Math.max(sizes.randomCases, all.length); i++) {
    // Every maker once, then at random.
    const { kind, maker, index } = i < all.length ? all[i]! : pick(r, all);
    const id = `h${i}-${kind.toLowerCase().slice(0, 3)}${index}`;
    cases.push({ id, ...maker({ r, w, id }) });
  }
  for (let i = 0; i < sizes.floodPropagatedObjects; i++) {
    const name = `flood-${i}`;
    cases.push({
      id: name,
      kind: 'PropagatedObject',
      what: `PropagatedObject ${i + 1} of ${sizes.floodPropagatedObjects} in one namespace`,
      support: [],
      objects: [{ object: propagatedObject(name, w.workspace, { template: configMapTemplate(name, { i: String(i) }) }) }],
    });
  }
  return { seed, sizes, cases };
}
