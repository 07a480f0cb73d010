import { expect } from 'chai';
import { KubeConfig } from '@kubernetes/client-node';
import { apply, Manager, Resources, silentLogger, type KubeObject, type ReconcileContext } from '../../runtime/index.js';
import { testEnv, uniqueName } from '../../../test/e2e/env.js';
import { ANNOTATION_DESELECTED_SINCE, ANNOTATION_DESELECTION_GRACE } from '../placement/deselection.js';
import { Generator, type PolicyObject } from './generator.js';
import type { PropagatedObjectLike } from './host.js';
import {
  client,
  deleteIgnoringMissing,
  deployment,
  Deployments,
  eventually,
  PropagatedObjects,
  removeTenant,
  tenantNamespace,
  type PropagatedObjectView,
} from '../../../test/support/propagation.js';

/**
 * Plain objects in a tenant namespace that a PlacementPolicy selects get a
 * generated PropagatedObject that follows them; one that stops being
 * selected loses it.
 */
describe('propagation: PropagatedObjects for plain objects (e2e)', function () {
  this.timeout(120_000);
  let namespace: string;
  let workspace: string;
  let policy: string;

  before(async () => {
    ({ namespace, workspace } = await tenantNamespace('gen'));
    policy = uniqueName('web-policy');
    await apply(client('host'), {
      apiVersion: 'canopy.dev/v1alpha1',
      kind: 'PlacementPolicy',
      metadata: { name: policy },
      spec: {
        priority: 500,
        resourceSelectors: [{ apiVersion: 'apps/v1', kind: 'Deployment', workspace, labelSelector: { matchLabels: { tier: 'web' } } }],
        clusterSelector: { matchLabels: { 'canopy.dev/geo': 'nowhere' } },
        deselectionGraceSeconds: 2,
      },
    } as KubeObject);
  });

  after(async () => {
    await deleteIgnoringMissing('host', Resources.PlacementPolicy, policy);
    await removeTenant({ namespace, workspace });
  });

  it('creates a PropagatedObject owned by a selected Deployment and keeps its template in step with edits', async () => {
    const name = uniqueName('web');
    const created: KubeObject = await apply(client('host'), {
      ...deployment(name, 3, { tier: 'web' }),
      metadata: { name, namespace, labels: { app: name, tier: 'web' } },
    });
    const po = await eventually('a generated PropagatedObject', () =>
      client('host').tryGet<PropagatedObjectView>(PropagatedObjects, `${name}-deployment`, namespace),
    );
    expect(po.metadata?.ownerReferences?.map((r) => [r.kind, r.name, r.uid])).to.deep.equal([['Deployment', name, created.metadata?.uid]]);
    expect(po.metadata?.labels).to.include({ 'canopy.dev/managed-by': 'canopy', 'canopy.dev/workspace': workspace });
    expect(po.spec?.template?.spec?.replicas).to.equal(3);
    expect(po.spec?.template?.metadata).to.not.have.property('uid');
    expect(po.spec?.template).to.not.have.property('status');

    await apply(client('host'), { ...deployment(name, 5, { tier: 'web' }, 'nginx:1.28'), metadata: { name, namespace, labels: { app: name, tier: 'web' } } });
    const edited = await eventually('the template follows the edit', async () => {
      const p = await client('host').tryGet<PropagatedObjectView>(PropagatedObjects, `${name}-deployment`, namespace);
      return p?.spec?.template?.spec?.replicas === 5 ? p : undefined;
    });
    expect(edited.spec?.template?.spec?.template?.spec?.containers?.[0]?.image).to.equal('nginx:1.28');
  });

  it("marks the generated PropagatedObject when the object stops matching the policy, and removes it after the policy's grace", async () => {
    const name = uniqueName('web');
    await apply(client('host'), { ...deployment(name, 1), metadata: { name, namespace, labels: { app: name, tier: 'web' } } });
    const po = await eventually('a generated PropagatedObject', () => client('host').tryGet(PropagatedObjects, `${name}-deployment`, namespace));
    expect(po.metadata?.annotations?.[ANNOTATION_DESELECTION_GRACE]).to.equal('2');
    await client('host').patch(Deployments, name, namespace, { metadata: { labels: { tier: 'batch' } } }, 'merge');
    const marked = await eventually('the PropagatedObject is marked deselected', async () => {
      const p = await client('host').tryGet(PropagatedObjects, `${name}-deployment`, namespace);
      return p?.metadata?.annotations?.[ANNOTATION_DESELECTED_SINCE] ? p : undefined;
    });
    expect(marked.metadata?.uid).to.equal(po.metadata?.uid);
    await eventually('the PropagatedObject is gone', async () =>
      (await client('host').tryGet(PropagatedObjects, `${name}-deployment`, namespace)) ? undefined : true,
    );
  });

  it('leaves objects no policy selects alone', async () => {
    const name = uniqueName('other');
    await apply(client('host'), { ...deployment(name, 1), metadata: { name, namespace, labels: { app: name, tier: 'batch' } } });
    // A selected object created afterwards gets its PropagatedObject, so the generator has looked at both by then.
    const marker = uniqueName('web');
    await apply(client('host'), { ...deployment(marker, 1), metadata: { name: marker, namespace, labels: { app: marker, tier: 'web' } } });
    await eventually('the selected object is handled', () => client('host').tryGet(PropagatedObjects, `${marker}-deployment`, namespace));
    expect(await client('host').tryGet(PropagatedObjects, `${name}-deployment`, namespace)).to.equal(undefined);
  });

  it("after a restart, keeps a generated PropagatedObject whose source is looked at before any policy request started its kind's cache", async () => {
    const name = uniqueName('web');
    await apply(client('host'), { ...deployment(name, 1), metadata: { name, namespace, labels: { app: name, tier: 'web' } } });
    const po = await eventually('a generated PropagatedObject', () => client('host').tryGet(PropagatedObjects, `${name}-deployment`, namespace));

    // A new process: its caches of policies, PropagatedObjects and namespaces synced, none of Deployments yet.
    // The generated PropagatedObject's event wakes its source first, as it may in a real start.
    const kubeConfig = new KubeConfig();
    kubeConfig.loadFromString(testEnv().host.kubeConfig().exportConfig());
    const manager = new Manager({ kubeConfig, leaderElection: false, metricsPort: false, healthPort: false, logger: silentLogger() });
    const policies = manager.informer<PolicyObject>(Resources.PlacementPolicy);
    const pos = manager.informer<PropagatedObjectLike>(Resources.PropagatedObject);
    const namespaces = manager.informer(Resources.Namespace);
    await manager.start();
    try {
      const signal = new AbortController().signal;
      await Promise.all([policies.waitForSync(signal), pos.waitForSync(signal), namespaces.waitForSync(signal)]);
      const generator = new Generator(manager, policies, pos, namespaces, silentLogger());
      const ctx: ReconcileContext = {
        signal,
        logger: silentLogger(),
        events: manager.events,
        controller: 'propagation-generator',
        reconcileId: 'restart',
        retries: 0,
      };
      await generator.reconcile({ namespace, name: `apps/v1/Deployment/${name}` }, ctx);
    } finally {
      await manager.stop();
    }
    const after = await client('host').tryGet(PropagatedObjects, `${name}-deployment`, namespace);
    expect(after?.metadata?.uid, 'the PropagatedObject was deleted as if its source were gone').to.equal(po.metadata?.uid);
    expect(after?.metadata?.deletionTimestamp).to.equal(undefined);
  });
});
