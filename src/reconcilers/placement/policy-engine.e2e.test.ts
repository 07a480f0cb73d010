import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { expect } from 'chai';
import { waitUntil } from '../../../controlplane/launcher/index.js';
import { testEnv, uniqueName } from '../../../test/e2e/env.js';
import { objectWhen } from '../../../test/e2e/wait.js';
import { ApiClient, Resources, type KubeObject } from '../../controllers/index.js';
import type { PropagatedObject } from '../../crds/propagatedobject.js';

const admin = () => ApiClient.for(testEnv().host.kubeConfig());
type PO = PropagatedObject & KubeObject;

/**
 * A real decision service on loopback speaking the OPA data API: it allows
 * the clusters whose region is in `allowedRegions` and weights eu-2 double.
 * It records every input it was asked, so the test can check what Canopy sends.
 */
function decisionService(allowedRegions: string[]): { server: Server; inputs: unknown[]; url: () => string } {
  const inputs: unknown[] = [];
  const server = createServer((req: IncomingMessage, res) => {
    let body = '';
    req.on('data', (c: Buffer) => (body += c.toString()));
    req.on('end', () => {
      const { input } = JSON.parse(body) as { input: { clusters: { metadata: { name: string }; spec: { region: string } }[] } };
      inputs.push(input);
      const clusters = Object.fromEntries(
        input.clusters.filter((c) => allowedRegions.includes(c.spec.region)).map((c) => [c.metadata.name, { weight: c.spec.region === 'eu-2' ? 2 : 1 }]),
      );
      res.setHeader('Content-Type', 'application/json');
      res.end(JSON.stringify({ result: { clusters } }));
    });
  });
  return { server, inputs, url: () => `http://127.0.0.1:${(server.address() as AddressInfo).port}/v1/data/canopy/placement` };
}

function poWhen(namespace: string, name: string, predicate: (po: PO) => boolean, what: string): Promise<PO> {
  return objectWhen<PO>(Resources.PropagatedObject, name, namespace, predicate, what);
}

const scheduled = (po: PO) => po.status?.conditions?.find((c) => c.type === 'Scheduled');

describe('placement: external policy engine (e2e)', () => {
  const id = uniqueName('opa');
  const namespace = `${id}-apps`;
  const service = decisionService(['eu-1', 'eu-2']);

  const policy = (name: string, url: string, failurePolicy: 'Fail' | 'Ignore', app: string) => ({
    apiVersion: 'canopy.dev/v1alpha1',
    kind: 'PlacementPolicy',
    metadata: { name },
    spec: {
      priority: 50,
      resourceSelectors: [{ apiVersion: 'v1', kind: 'ConfigMap', namespaces: [namespace], labelSelector: { matchLabels: { app } } }],
      clusterSelector: { matchExpressions: [{ key: 'canopy.dev/geo', operator: 'Exists' }] },
      policyEngine: { url, timeoutSeconds: 2, failurePolicy },
    },
  });
  const configMap = (name: string, app: string) => ({
    apiVersion: 'canopy.dev/v1alpha1',
    kind: 'PropagatedObject',
    metadata: { name, namespace },
    spec: { template: { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name, labels: { app } }, data: { k: 'v' } } },
  });

  before(async () => {
    await new Promise<void>((resolve) => service.server.listen(0, '127.0.0.1', resolve));
    await admin().create(Resources.Namespace, { apiVersion: 'v1', kind: 'Namespace', metadata: { name: namespace } });
  });

  after(async () => {
    for (const name of ['allowed', 'down-fail', 'down-ignore']) await admin().delete(Resources.PropagatedObject, name, namespace).catch(() => undefined);
    for (const name of [`${id}-engine`, `${id}-down-fail`, `${id}-down-ignore`]) await admin().delete(Resources.PlacementPolicy, name).catch(() => undefined);
    await waitUntil(30_000, 250, async () => (await admin().list(Resources.PropagatedObject, { namespace })).items.length === 0);
    await admin().delete(Resources.Namespace, namespace).catch(() => undefined);
    service.server.close();
  });

  it('places only where the engine allows, and sends it the object, the clusters and the workspace', async () => {
    await admin().create(Resources.PlacementPolicy, policy(`${id}-engine`, service.url(), 'Fail', 'engine'));
    await admin().create(Resources.PropagatedObject, configMap('allowed', 'engine'));
    const po = await poWhen(namespace, 'allowed', (p) => scheduled(p)?.status === 'True', 'scheduled');
    expect((po.status?.placement ?? []).map((p) => p.cluster).sort()).to.deep.equal(['eu-1', 'eu-2']);
    const us = (po.status?.excluded ?? []).find((e) => e.cluster === 'us-1');
    expect(us?.plugin).to.equal('PolicyEngine');
    const asked = service.inputs.at(-1) as { object: { kind: string }; clusters: { metadata: { name: string } }[]; workspace: unknown };
    expect(asked.object.kind).to.equal('ConfigMap');
    expect(asked.clusters.map((c) => c.metadata.name)).to.include.members(['eu-1', 'eu-2', 'us-1']);
    expect(asked).to.have.property('workspace');
  });

  it('fails closed by default: an unreachable engine leaves the object unscheduled and says so', async () => {
    const deadUrl = 'http://127.0.0.1:9/v1/data/canopy/placement';
    await admin().create(Resources.PlacementPolicy, policy(`${id}-down-fail`, deadUrl, 'Fail', 'down-fail'));
    await admin().create(Resources.PropagatedObject, configMap('down-fail', 'down-fail'));
    const po = await poWhen(namespace, 'down-fail', (p) => scheduled(p)?.reason === 'PolicyEngineFailed', 'failed closed');
    expect(scheduled(po)?.status).to.equal('False');
    expect(scheduled(po)?.message).to.contain(deadUrl);
    expect(po.status?.placement ?? []).to.deep.equal([]);
  });

  it('with failurePolicy Ignore, schedules without the engine', async () => {
    await admin().create(Resources.PlacementPolicy, policy(`${id}-down-ignore`, 'http://127.0.0.1:9/x', 'Ignore', 'down-ignore'));
    await admin().create(Resources.PropagatedObject, configMap('down-ignore', 'down-ignore'));
    const po = await poWhen(namespace, 'down-ignore', (p) => scheduled(p)?.status === 'True', 'scheduled');
    expect((po.status?.placement ?? []).map((p) => p.cluster).sort()).to.deep.equal(['eu-1', 'eu-2', 'us-1']);
  });
});
