import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ApiException, ApiextensionsV1Api, CoreV1Api, dumpYaml, KubernetesObjectApi, PatchStrategy, type KubernetesObject } from '@kubernetes/client-node';
import { expect } from 'chai';
import { parse, parseAllDocuments } from 'yaml';
import { repoRoot } from '../../controlplane/launcher/index.js';
import {
  API_VERSION,
  customResourceDefinitionManifests,
  FIELD_MANAGER,
  type Cluster,
  type LogicalCluster,
  type PlacementPolicy,
  type PropagatedObject,
} from '../../src/crds/index.js';
import { allCustomResourceDefinitions } from '../../src/crds/client-model.js';
import { testEnv, uniqueName } from './env.js';
import { hostAdmin } from './wait.js';
import { Resources, type KubeObject } from '../../src/runtime/index.js';

type Obj = KubernetesObject & { spec?: Record<string, unknown> };

/** The apiserver's message for a failed call (ApiException bodies are the Status JSON text). */
function failureMessage(error: unknown): string {
  if (!(error instanceof ApiException)) throw error;
  const body: unknown = error.body;
  if (typeof body === 'string') {
    try {
      return String((JSON.parse(body) as { message?: string }).message ?? body);
    } catch {
      return body;
    }
  }
  return JSON.stringify(body);
}

async function rejection(call: Promise<unknown>): Promise<{ code: number; message: string }> {
  const error = await call.then(
    () => undefined,
    (e: unknown) => e,
  );
  if (error === undefined) expect.fail('the apiserver accepted the object');
  return { code: (error as ApiException<unknown>).code, message: failureMessage(error) };
}

const objects = () => KubernetesObjectApi.makeApiClient(testEnv().host.kubeConfig());
/** Server-side dry run: full validation and defaulting, nothing stored, so names never collide. */
const dryRunCreate = <T extends KubernetesObject>(object: T) => objects().create(object, undefined, 'All');

const workspace = (spec: Record<string, unknown>, name = uniqueName('ws')): Obj => ({
  apiVersion: API_VERSION,
  kind: 'Workspace',
  metadata: { name },
  spec,
});
const logicalCluster = (spec: Record<string, unknown>, name = uniqueName('lc')): Obj => ({
  apiVersion: API_VERSION,
  kind: 'LogicalCluster',
  metadata: { name },
  spec: { workspace: 'team', ...spec },
});
const kubeconfigRef = { name: 'member-kubeconfig', namespace: 'canopy-system' };
const cluster = (spec: Record<string, unknown>): Obj => ({
  apiVersion: API_VERSION,
  kind: 'Cluster',
  metadata: { name: uniqueName('cl') },
  spec: { kubeconfigSecretRef: kubeconfigRef, region: 'eu-1', ...spec },
});
const deploymentSelector = { apiVersion: 'apps/v1', kind: 'Deployment' };
const placementPolicy = (spec: Record<string, unknown>): Obj => ({
  apiVersion: API_VERSION,
  kind: 'PlacementPolicy',
  metadata: { name: uniqueName('pp') },
  spec: { resourceSelectors: [deploymentSelector], ...spec },
});
const configMap = { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'settings' }, data: { a: 'b' } };
/** PropagatedObjects go into a namespace the suite creates (set in before()). */
let namespace = '';
const propagatedObject = (spec: Record<string, unknown>): Obj => ({
  apiVersion: API_VERSION,
  kind: 'PropagatedObject',
  metadata: { name: uniqueName('po'), namespace },
  spec,
});
const replacePatch = (patch: Record<string, unknown>) => ({ template: configMap, overrides: [{ patches: [patch] }] });

interface Malformed {
  title: string;
  object: () => Obj;
  message: string;
}

const longName = 'a'.repeat(40);

const MALFORMED: Malformed[] = [
  // Workspace
  {
    title: 'a Workspace that is its own parent',
    object: () => workspace({ parent: 'loop-ws' }, 'loop-ws'),
    message: 'a Workspace cannot be its own parent',
  },
  {
    title: 'a Workspace whose name cannot name a namespace',
    object: () => workspace({}, 'team.a'),
    message: 'metadata.name in body should match',
  },
  {
    title: 'a ServiceAccount owner without a namespace',
    object: () => workspace({ owners: [{ kind: 'ServiceAccount', name: 'deployer' }] }),
    message: 'a ServiceAccount subject requires a namespace',
  },
  {
    title: 'a User owner with a namespace',
    object: () => workspace({ owners: [{ kind: 'User', name: 'alice', namespace: 'team-a' }] }),
    message: 'namespace applies only to ServiceAccount subjects',
  },
  {
    title: 'an owner of an unknown kind',
    object: () => workspace({ owners: [{ kind: 'Robot', name: 'r2' }] }),
    message: 'Unsupported value: "Robot"',
  },
  {
    title: 'an unknown pod security level',
    object: () => workspace({ constraints: { podSecurity: 'strict' } }),
    message: 'Unsupported value: "strict"',
  },
  {
    title: 'a negative cost budget',
    object: () => workspace({ constraints: { costBudget: -1 } }),
    message: 'spec.constraints.costBudget in body should be greater than or equal to 0',
  },
  {
    title: 'a region listed twice',
    object: () => workspace({ constraints: { regions: ['eu-1', 'eu-1'] } }),
    message: 'Duplicate value: "eu-1"',
  },
  {
    title: 'a quota that is not a quantity',
    object: () => workspace({ constraints: { quota: { hard: { cpu: 'lots' } } } }),
    message: 'spec.constraints.quota.hard.cpu in body should match',
  },
  {
    title: 'an In selector without values',
    object: () => workspace({ constraints: { clusterSelector: { matchExpressions: [{ key: 'geo', operator: 'In' }] } } }),
    message: 'values must be non-empty for operators In and NotIn',
  },
  // LogicalCluster
  {
    title: 'a LogicalCluster without a workspace',
    object: () => ({ ...logicalCluster({}), spec: { mode: 'Namespace' } }),
    message: 'spec.workspace: Required value',
  },
  {
    title: 'an unknown mode',
    object: () => logicalCluster({ mode: 'VirtualMachine' }),
    message: 'Unsupported value: "VirtualMachine"',
  },
  {
    title: 'a clusterSelector in mode Namespace',
    object: () => logicalCluster({ clusterSelector: { matchLabels: { geo: 'eu' } } }),
    message: 'clusterSelector applies only to mode Cluster',
  },
  {
    title: 'a namespace suffix that is not a DNS label',
    object: () => logicalCluster({ namespaces: ['Bad_Suffix'] }),
    message: 'spec.namespaces[0] in body should match',
  },
  {
    title: 'a namespace suffix listed twice',
    object: () => logicalCluster({ namespaces: ['apps', 'apps'] }),
    message: 'Duplicate value: "apps"',
  },
  {
    title: 'a namespace name longer than 63 characters',
    object: () => logicalCluster({ namespaces: ['b'.repeat(30)] }, longName),
    message: 'every namespace name <name>-<suffix> must be at most 63 characters',
  },
  {
    title: 'an unknown capability preset',
    object: () => logicalCluster({ capabilities: { preset: 'root' } }),
    message: 'Unsupported value: "root"',
  },
  // Cluster
  {
    title: 'a Cluster without a kubeconfig Secret',
    object: () => ({ ...cluster({}), spec: { region: 'eu-1' } }),
    message: 'spec.kubeconfigSecretRef: Required value',
  },
  {
    title: 'a taint with an unknown effect',
    object: () => cluster({ taints: [{ key: 'gpu', effect: 'Evict' }] }),
    message: 'Unsupported value: "Evict"',
  },
  {
    title: 'a negative price',
    object: () => cluster({ pricing: { cpuHour: -0.5 } }),
    message: 'spec.pricing.cpuHour in body should be greater than or equal to 0',
  },
  {
    title: 'a negative failoverAfterSeconds',
    object: () => cluster({ failoverAfterSeconds: -1 }),
    message: 'spec.failoverAfterSeconds in body should be greater than or equal to 0',
  },
  {
    title: 'the same taint twice',
    object: () =>
      cluster({
        taints: [
          { key: 'gpu', effect: 'NoSchedule' },
          { key: 'gpu', effect: 'NoSchedule' },
        ],
      }),
    message: 'spec.taints[1]: Duplicate value',
  },
  // PlacementPolicy
  {
    title: 'a PlacementPolicy selecting nothing',
    object: () => placementPolicy({ resourceSelectors: [] }),
    message: 'spec.resourceSelectors in body should have at least 1 items',
  },
  {
    title: 'a priority out of range',
    object: () => placementPolicy({ priority: 5000 }),
    message: 'spec.priority in body should be less than or equal to 1000',
  },
  {
    title: 'a policy engine that is not http(s)',
    object: () => placementPolicy({ policyEngine: { url: 'ftp://opa.example/v1/data/canopy' } }),
    message: 'policyEngine.url must be an http:// or https:// URL',
  },
  {
    title: 'a policy engine timeout over 30 seconds',
    object: () => placementPolicy({ policyEngine: { url: 'https://opa.example', timeoutSeconds: 60 } }),
    message: 'spec.policyEngine.timeoutSeconds in body should be less than or equal to 30',
  },
  {
    title: 'an unknown failure policy',
    object: () => placementPolicy({ policyEngine: { url: 'https://opa.example', failurePolicy: 'Maybe' } }),
    message: 'Unsupported value: "Maybe"',
  },
  {
    title: 'an unknown cost strategy',
    object: () => placementPolicy({ cost: 'Cheapest' }),
    message: 'Unsupported value: "Cheapest"',
  },
  {
    title: 'spread over fewer than one group',
    object: () => placementPolicy({ spread: { topologyKey: 'region', minGroups: 0 } }),
    message: 'spec.spread.minGroups in body should be greater than or equal to 1',
  },
  {
    title: 'weights that name a cluster twice',
    object: () =>
      placementPolicy({
        replicas: {
          strategy: 'Divide',
          weights: [
            { cluster: 'eu-1', weight: 1 },
            { cluster: 'eu-1', weight: 2 },
          ],
        },
      }),
    message: 'spec.replicas.weights[1]: Duplicate value: {"cluster":"eu-1"}',
  },
  {
    title: 'a negative weight',
    object: () => placementPolicy({ replicas: { strategy: 'Divide', weights: [{ cluster: 'eu-1', weight: -1 }] } }),
    message: 'spec.replicas.weights[0].weight in body should be greater than or equal to 0',
  },
  {
    title: 'weights that are all zero',
    object: () => placementPolicy({ replicas: { strategy: 'Divide', weights: [{ cluster: 'eu-1', weight: 0 }] } }),
    message: 'at least one weight must be positive',
  },
  {
    title: 'weights with strategy Duplicate',
    object: () => placementPolicy({ replicas: { weights: [{ cluster: 'eu-1', weight: 1 }] } }),
    message: 'weights, byCapacity and minPerCluster apply only to strategy Divide',
  },
  {
    title: 'a negative minPerCluster',
    object: () => placementPolicy({ replicas: { strategy: 'Divide', minPerCluster: -1 } }),
    message: 'spec.replicas.minPerCluster in body should be greater than or equal to 0',
  },
  {
    title: 'a toleration with operator Exists and a value',
    object: () => placementPolicy({ tolerations: [{ key: 'gpu', operator: 'Exists', value: 'true' }] }),
    message: 'a toleration with operator Exists must not have a value',
  },
  {
    title: 'a toleration with an empty key and operator Equal',
    object: () => placementPolicy({ tolerations: [{ operator: 'Equal', value: 'true' }] }),
    message: 'a toleration with an empty key must use operator Exists',
  },
  // PropagatedObject
  {
    title: 'a PropagatedObject with neither template nor sourceRef',
    object: () => propagatedObject({ placementRef: { name: 'default' } }),
    message: 'exactly one of spec.template or spec.sourceRef is required',
  },
  {
    title: 'a PropagatedObject with both template and sourceRef',
    object: () => propagatedObject({ template: configMap, sourceRef: { apiVersion: 'v1', kind: 'ConfigMap', name: 'settings' } }),
    message: 'exactly one of spec.template or spec.sourceRef is required',
  },
  {
    title: 'a template without kind',
    object: () => propagatedObject({ template: { apiVersion: 'v1', metadata: { name: 'x' } } }),
    message: 'spec.template.kind: Required value',
  },
  {
    title: 'a template without a name',
    object: () => propagatedObject({ template: { apiVersion: 'v1', kind: 'ConfigMap', metadata: { labels: { a: 'b' } } } }),
    message: 'spec.template.metadata.name is required',
  },
  {
    title: 'a template that is itself a Canopy object',
    object: () => propagatedObject({ template: { apiVersion: API_VERSION, kind: 'Workspace', metadata: { name: 'x' } } }),
    message: 'spec.template cannot be a canopy.dev object',
  },
  {
    title: 'an override with an unknown op',
    object: () => propagatedObject(replacePatch({ op: 'move', path: '/data/a' })),
    message: 'Unsupported value: "move"',
  },
  {
    title: 'an override that renames the object',
    object: () => propagatedObject(replacePatch({ op: 'replace', path: '/metadata/name', value: 'other' })),
    message: 'overrides cannot change apiVersion, kind, metadata.name or metadata.namespace',
  },
  {
    title: 'an override path that is not a JSON pointer',
    object: () => propagatedObject(replacePatch({ op: 'replace', path: 'data.a', value: 'x' })),
    message: 'spec.overrides[0].patches[0].path in body should match',
  },
];

/** Every document in examples/<dir>/*.yaml. */
function examples(dir: string): Obj[] {
  const root = join(repoRoot, 'examples', dir);
  return readdirSync(root)
    .filter((f) => f.endsWith('.yaml'))
    .sort()
    .flatMap((f) => parseAllDocuments(readFileSync(join(root, f), 'utf8')).map((d) => d.toJSON() as Obj));
}

describe('canopy.dev CRDs on a real apiserver', function () {
  this.timeout(60_000);

  /**
   * What the examples and fixtures refer to, so the admission webhook (which
   * checks references the schema cannot) lets the schema's own answers through.
   */
  const prerequisites: { resource: (typeof Resources)[keyof typeof Resources]; object: KubeObject & Record<string, unknown> }[] = [
    ...examples('quickstart')
      .filter((o) => o.kind === 'Workspace' || o.kind === 'PlacementPolicy')
      .map((o) => ({ resource: o.kind === 'Workspace' ? Resources.Workspace : Resources.PlacementPolicy, object: o as KubeObject & Record<string, unknown> })),
    { resource: Resources.Workspace, object: { apiVersion: 'canopy.dev/v1alpha1', kind: 'Workspace', metadata: { name: 'team' }, spec: {} } },
  ];
  const createdPrerequisites: typeof prerequisites = [];

  before(async () => {
    namespace = uniqueName('crds');
    await testEnv()
      .host.kubeConfig()
      .makeApiClient(CoreV1Api)
      .createNamespace({ body: { metadata: { name: namespace } } });
    for (const item of prerequisites) {
      if (await hostAdmin().tryGet(item.resource, item.object.metadata!.name!)) continue;
      await hostAdmin().create(item.resource, item.object);
      createdPrerequisites.push(item);
    }
  });

  after(async () => {
    await testEnv().host.kubeConfig().makeApiClient(CoreV1Api).deleteNamespace({ name: namespace });
    for (const item of [...createdPrerequisites].reverse())
      await hostAdmin()
        .delete(item.resource, item.object.metadata!.name!)
        .catch(() => undefined);
  });

  it('accepts every generated CRD with a server-side dry-run apply', async () => {
    for (const crd of allCustomResourceDefinitions()) {
      const applied = await objects().patch(crd, undefined, 'All', FIELD_MANAGER, true, PatchStrategy.ServerSideApply);
      expect(applied.metadata?.name).to.equal(crd.metadata?.name);
    }
  });

  it('serves exactly the generated schemas, CEL rules, defaults and printer columns', async () => {
    const api = testEnv().host.kubeConfig().makeApiClient(ApiextensionsV1Api);
    for (const manifest of customResourceDefinitionManifests()) {
      const installed = parse(dumpYaml(await api.readCustomResourceDefinition({ name: manifest.metadata.name })));
      expect(installed.spec.names).to.deep.include(manifest.spec.names);
      expect(installed.spec.versions[0].schema).to.deep.equal(manifest.spec.versions[0]!.schema);
      expect(installed.spec.versions[0].additionalPrinterColumns).to.deep.equal(manifest.spec.versions[0]!.additionalPrinterColumns);
    }
  });

  for (const dir of ['quickstart', 'register-cluster', 'policy-engine'])
    describe(`examples/${dir}`, () => {
      for (const example of examples(dir)) {
        it(`accepts ${example.kind} ${example.metadata?.name}`, async () => {
          // A unique name, since the shared environment may hold objects of the same name (e.g. Cluster eu-1);
          // namespaced examples go into the suite's namespace.
          const name = uniqueName(example.metadata?.name ?? 'example');
          const metadata = { ...example.metadata, name, ...(example.metadata?.namespace ? { namespace } : {}) };
          const created = await dryRunCreate({ ...example, metadata });
          expect(created.metadata?.name).to.equal(name);
          expect(created.spec).to.deep.include(example.spec ?? {});
        });
      }
    });

  describe('defaults', () => {
    it('gives a LogicalCluster mode Namespace', async () => {
      const created = (await dryRunCreate(logicalCluster({}))) as unknown as LogicalCluster;
      expect(created.spec.mode).to.equal('Namespace');
    });

    it('gives a Cluster failoverAfterSeconds 30, a probe interval and the kubeconfig key', async () => {
      const created = (await dryRunCreate(cluster({}))) as unknown as Cluster;
      expect(created.spec.failoverAfterSeconds).to.equal(30);
      expect(created.spec.probeIntervalSeconds).to.equal(10);
      expect(created.spec.kubeconfigSecretRef.key).to.equal('kubeconfig');
    });

    it('gives a PlacementPolicy priority 0, strategy Duplicate, failover on and a fail-closed policy engine', async () => {
      const created = (await dryRunCreate(placementPolicy({ policyEngine: { url: 'https://opa.example/v1/data/canopy' } }))) as unknown as PlacementPolicy;
      expect(created.spec.priority).to.equal(0);
      expect(created.spec.replicas?.strategy).to.equal('Duplicate');
      expect(created.spec.failover?.enabled).to.equal(true);
      expect(created.spec.policyEngine?.failurePolicy).to.equal('Fail');
      expect(created.spec.policyEngine?.timeoutSeconds).to.equal(5);
    });

    it('keeps every field of a PropagatedObject template', async () => {
      const template = { ...configMap, metadata: { name: 'settings', labels: { tier: 'web' } }, data: { a: 'b', nested: 'x' } };
      const created = (await dryRunCreate(propagatedObject({ template }))) as unknown as PropagatedObject;
      expect(created.spec.template).to.deep.include({ data: template.data });
      expect(created.spec.template?.metadata.labels).to.deep.equal({ tier: 'web' });
    });
  });

  describe('rejects malformed objects', () => {
    for (const { title, object, message } of MALFORMED) {
      it(`rejects ${title}`, async () => {
        const failure = await rejection(dryRunCreate(object()));
        expect(failure.code, failure.message).to.equal(422);
        expect(failure.message).to.contain(message);
      });
    }
  });

  describe('immutable fields', () => {
    /**
     * A JSON merge patch of spec: unlike a replace it carries no resourceVersion,
     * so controllers touching the object meanwhile cannot turn it into a conflict.
     */
    const patchSpec = (object: KubernetesObject, spec: Record<string, unknown>) =>
      objects().patch(
        { apiVersion: object.apiVersion, kind: object.kind, metadata: { name: object.metadata?.name, namespace: object.metadata?.namespace }, spec },
        undefined,
        undefined,
        undefined,
        undefined,
        PatchStrategy.MergePatch,
      );

    async function updateRejected(object: Obj, spec: Record<string, unknown>, message: string) {
      const created = await objects().create(object);
      try {
        const failure = await rejection(patchSpec(created, spec));
        expect(failure.code, failure.message).to.equal(422);
        expect(failure.message).to.contain(message);
      } finally {
        await objects().delete(created);
      }
    }

    it('keeps a LogicalCluster in its workspace', () => updateRejected(logicalCluster({}), { workspace: 'other-team' }, 'spec.workspace is immutable'));

    it('keeps a LogicalCluster in its mode', () => updateRejected(logicalCluster({}), { mode: 'Cluster' }, 'spec.mode is immutable'));

    it('keeps a PropagatedObject placing the same object', () =>
      updateRejected(
        propagatedObject({ template: configMap }),
        { template: { kind: 'Secret' } },
        'spec.template apiVersion, kind and metadata.name are immutable',
      ));

    it('still accepts ordinary updates of the same objects', async () => {
      const created = await objects().create(propagatedObject({ template: configMap }));
      try {
        const updated = (await patchSpec(created, { template: { data: { a: 'changed' } } })) as unknown as PropagatedObject;
        expect(updated.spec.template?.data).to.deep.equal({ a: 'changed' });
      } finally {
        await objects().delete(created);
      }
    });
  });
});
