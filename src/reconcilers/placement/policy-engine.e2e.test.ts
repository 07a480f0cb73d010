import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { expect } from 'chai';
import { parse } from 'yaml';
import { repoRoot, waitUntil } from '../../../controlplane/launcher/index.js';
import { testEnv, uniqueName } from '../../../test/e2e/env.js';
import { OpaServer } from '../../../test/e2e/opa.js';
import { objectWhen } from '../../../test/e2e/wait.js';
import { ApiClient, Resources, type KubeObject } from '../../runtime/index.js';
import type { PropagatedObject } from '../../crds/propagatedobject.js';

const admin = () => ApiClient.for(testEnv().host.kubeConfig());
type PO = PropagatedObject & KubeObject;

const example = join(repoRoot, 'examples', 'policy-engine');
const exampleYaml = <T>(file: string): T => parse(readFileSync(join(example, file), 'utf8')) as T;

interface ExamplePolicy {
  metadata: { name: string };
  spec: { resourceSelectors: unknown[]; policyEngine: { url: string; timeoutSeconds?: number; failurePolicy?: string } } & Record<string, unknown>;
}
interface ExampleObject {
  metadata: { name: string; namespace: string };
  spec: { template: { metadata: { name: string; labels: Record<string, string> } } & Record<string, unknown> };
}

function poWhen(namespace: string, name: string, predicate: (po: PO) => boolean, what: string): Promise<PO> {
  return objectWhen<PO>(Resources.PropagatedObject, name, namespace, predicate, what);
}

const scheduled = (po: PO) => po.status?.conditions?.find((c) => c.type === 'Scheduled');
const placed = (po: PO) => (po.status?.placement ?? []).map((p) => p.cluster).sort();

/**
 * The external policy engine end to end: a real OPA server on loopback runs
 * the customer-jurisdiction policy of examples/policy-engine (its Rego and
 * data), the example's PlacementPolicy calls it, and what Canopy asked shows
 * up in OPA's own decision log.
 */
describe('placement: external policy engine, a real OPA (e2e)', () => {
  const id = uniqueName('opa');
  const namespace = `${id}-apps`;
  let opa: OpaServer;
  const objects: string[] = [];

  /** The example's PlacementPolicy, scoped to this test's namespace and pointed at this OPA. */
  const policy = (name: string, url: string, failurePolicy: 'Fail' | 'Ignore', app: string) => {
    const p = exampleYaml<ExamplePolicy>('placementpolicy.yaml');
    return {
      ...p,
      metadata: { name },
      spec: {
        ...p.spec,
        resourceSelectors: [{ apiVersion: 'apps/v1', kind: 'Deployment', namespaces: [namespace], labelSelector: { matchLabels: { app } } }],
        clusterSelector: { matchExpressions: [{ key: 'canopy.dev/geo', operator: 'Exists' }] },
        policyEngine: { ...p.spec.policyEngine, url, failurePolicy },
      },
    };
  };
  /** The example's Deployment (customer acme) in this test's namespace, with other labels where given. */
  const deployment = (name: string, app: string, labels: Record<string, string | undefined> = {}) => {
    const o = exampleYaml<ExampleObject>('deployment.yaml');
    const merged = Object.fromEntries(
      Object.entries({ ...o.spec.template.metadata.labels, app, ...labels }).filter((e): e is [string, string] => e[1] !== undefined),
    );
    objects.push(name);
    return { ...o, metadata: { name, namespace }, spec: { ...o.spec, template: { ...o.spec.template, metadata: { name, labels: merged } } } };
  };

  before(async function () {
    this.timeout(10 * 60_000); // opa is built on first use
    opa = await OpaServer.start(join(example, 'policy'), testEnv().stateDir);
    await admin().create(Resources.Namespace, { apiVersion: 'v1', kind: 'Namespace', metadata: { name: namespace } });
  });

  after(async () => {
    for (const name of objects)
      await admin()
        .delete(Resources.PropagatedObject, name, namespace)
        .catch(() => undefined);
    for (const name of [`${id}-engine`, `${id}-down-fail`, `${id}-down-ignore`])
      await admin()
        .delete(Resources.PlacementPolicy, name)
        .catch(() => undefined);
    await waitUntil(30_000, 250, async () => (await admin().list(Resources.PropagatedObject, { namespace })).items.length === 0);
    await admin()
      .delete(Resources.Namespace, namespace)
      .catch(() => undefined);
    await opa?.stop();
  });

  it('runs a real OPA server that answers /health', async () => {
    expect(opa.running).to.equal(true);
    expect(await opa.health()).to.equal(200);
  });

  it("places by the customer's jurisdiction: low criticality on the EU's PCI site and public cloud, anything else on the PCI site only", async () => {
    const url = `${opa.url}/v1/data/canopy/placement`;
    await admin().create(Resources.PlacementPolicy, policy(`${id}-engine`, url, 'Fail', 'engine'));
    await admin().create(Resources.PropagatedObject, deployment('low', 'engine'));
    await admin().create(Resources.PropagatedObject, deployment('critical', 'engine', { criticality: undefined }));

    const low = await poWhen(namespace, 'low', (p) => scheduled(p)?.status === 'True', 'scheduled');
    expect(placed(low)).to.deep.equal(['eu-1', 'eu-2']);
    expect((low.status?.excluded ?? []).find((e) => e.cluster === 'us-1')?.plugin).to.equal('PolicyEngine');
    const critical = await poWhen(namespace, 'critical', (p) => scheduled(p)?.status === 'True', 'scheduled');
    expect(placed(critical)).to.deep.equal(['eu-1']);
    expect(
      (critical.status?.excluded ?? [])
        .filter((e) => e.plugin === 'PolicyEngine')
        .map((e) => e.cluster)
        .sort(),
    ).to.include.members(['eu-2', 'us-1']);

    // OPA's own decision log holds the queries: the path, what Canopy sent, and the answer.
    const decisions = opa.decisions().filter((d) => d.path === 'canopy/placement');
    const about = (name: string) => decisions.filter((d) => (d.input as { object?: { metadata?: { name?: string } } }).object?.metadata?.name === name).at(-1);
    const asked = about('low');
    expect(asked, 'a decision about "low" in the decision log').to.not.equal(undefined);
    const input = asked!.input as {
      object: { kind: string; metadata: { labels: Record<string, string> } };
      clusters: { metadata: { name: string } }[];
      workspace: unknown;
    };
    expect(input.object.kind).to.equal('Deployment');
    expect(input.object.metadata.labels).to.include({ customer: 'acme', criticality: 'low' });
    expect(input.clusters.map((c) => c.metadata.name)).to.include.members(['eu-1', 'eu-2', 'us-1']);
    expect(input).to.have.property('workspace');
    expect((asked!.result as { clusters: Record<string, unknown> }).clusters).to.have.all.keys('eu-1', 'eu-2');
    expect(Object.keys((about('critical')!.result as { clusters: Record<string, unknown> }).clusters)).to.deep.equal(['eu-1']);
  });

  it('places nothing for a customer the policy does not know', async () => {
    await admin().create(Resources.PropagatedObject, deployment('stranger', 'engine', { customer: 'unknown-customer' }));
    const po = await poWhen(namespace, 'stranger', (p) => scheduled(p)?.status === 'False' && (p.status?.excluded ?? []).length > 0, 'unschedulable');
    expect(po.status?.placement ?? []).to.deep.equal([]);
    expect((po.status?.excluded ?? []).filter((e) => e.plugin === 'PolicyEngine').map((e) => e.cluster)).to.include.members(['eu-1', 'eu-2', 'us-1']);
  });

  it('fails closed by default: an unreachable engine leaves the object unscheduled and says so', async () => {
    const deadUrl = 'http://127.0.0.1:9/v1/data/canopy/placement';
    await admin().create(Resources.PlacementPolicy, policy(`${id}-down-fail`, deadUrl, 'Fail', 'down-fail'));
    await admin().create(Resources.PropagatedObject, deployment('down-fail', 'down-fail'));
    const po = await poWhen(namespace, 'down-fail', (p) => scheduled(p)?.reason === 'PolicyEngineFailed', 'failed closed');
    expect(scheduled(po)?.status).to.equal('False');
    expect(scheduled(po)?.message).to.contain(deadUrl);
    expect(po.status?.placement ?? []).to.deep.equal([]);
  });

  it('with failurePolicy Ignore, schedules without the engine', async () => {
    await admin().create(Resources.PlacementPolicy, policy(`${id}-down-ignore`, 'http://127.0.0.1:9/x', 'Ignore', 'down-ignore'));
    await admin().create(Resources.PropagatedObject, deployment('down-ignore', 'down-ignore'));
    const po = await poWhen(namespace, 'down-ignore', (p) => scheduled(p)?.status === 'True', 'scheduled');
    expect(placed(po)).to.deep.equal(['eu-1', 'eu-2', 'us-1']);
  });
});
