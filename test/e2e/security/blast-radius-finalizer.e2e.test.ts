import { expect } from 'chai';
import { ApiClient, apply, EventsV1, Resources, type EventV1, type KubeObject } from '../../../src/runtime/index.js';
import { waitForPhase } from '../../support/logicalcluster.js';
import { ANNOTATION_FORCE_FINALIZE } from '../../../src/runtime/finalizer-timeout.js';
import { Waiter } from '../../support/waiter.js';
import { testEnv, uniqueName } from '../env.js';

type Condition = { type: string; status: string; reason: string; message: string };
type PropagatedObjectView = KubeObject & { status?: { conditions?: Condition[] } };

/**
 * Attack 8 (blast radius), finalizers: a tenant's PropagatedObject deleted while the
 * only member holding its copy is down keeps its finalizer (nothing is left
 * behind by a short outage) but not for ever: the tenant's annotation
 * canopy.dev/force-finalize releases it at once, with a Warning Event that
 * names the cluster whose copy may remain. (The timeout without the
 * annotation is the same decision, unit-tested in finalizer-timeout.test.ts.)
 */
describe('security: finalizers do not wait for ever on an unreachable member (e2e)', function () {
  this.timeout(240_000);
  const owner = 'erin';
  const workspace = uniqueName('bf-ws');
  // The tenant's logical cluster: its namespace has the same name, where the tenant may write PropagatedObjects.
  const tenantCluster = uniqueName('bf-lc');
  const namespace = tenantCluster;
  const policy = uniqueName('bf-us');
  const name = uniqueName('solo');
  let admin: ApiClient;
  let tenant: ApiClient;
  const us1 = () => testEnv().cluster('us-1');

  const waiter = new Waiter();
  const until = <T>(what: string, probe: () => Promise<T | undefined>, timeoutMs?: number): Promise<T> => waiter.until(what, probe, timeoutMs);
  const po = () => admin.tryGet<PropagatedObjectView>(Resources.PropagatedObject, name, namespace);

  before(async () => {
    admin = new ApiClient(testEnv().host.kubeConfig());
    tenant = new ApiClient(testEnv().host.userKubeConfig(owner));
    await apply(admin, {
      apiVersion: 'canopy.dev/v1alpha1',
      kind: 'Workspace',
      metadata: { name: workspace },
      spec: { owners: [{ kind: 'User', name: owner }] },
    } as KubeObject);
    await apply(admin, {
      apiVersion: 'canopy.dev/v1alpha1',
      kind: 'PlacementPolicy',
      metadata: { name: policy },
      spec: {
        priority: 700,
        resourceSelectors: [{ apiVersion: 'apps/v1', kind: 'Deployment', workspace, labelSelector: { matchLabels: { tier: 'solo' } } }],
        clusterSelector: { matchLabels: { 'topology.kubernetes.io/region': 'us-1' } },
      },
    } as KubeObject);
    await apply(admin, {
      apiVersion: 'canopy.dev/v1alpha1',
      kind: 'LogicalCluster',
      metadata: { name: tenantCluster },
      spec: { workspace, owners: [{ kind: 'User', name: owner }], capabilities: { preset: 'developer' } },
    } as KubeObject);
    await waitForPhase(admin, tenantCluster, 'Ready');
  });

  after(async () => {
    if (!us1().apiServerRunning) await us1().startApiServer();
    // What the forced release left behind is the cluster administrator's to remove: here, the test's.
    await new ApiClient(us1().kubeConfig()).delete(Resources.Deployment, name, namespace).catch(() => undefined);
    await admin.delete(Resources.LogicalCluster, tenantCluster).catch(() => undefined);
    await admin.delete(Resources.PlacementPolicy, policy).catch(() => undefined);
    await admin.delete(Resources.Workspace, workspace).catch(() => undefined);
  });

  it('releases the finalizer at once on canopy.dev/force-finalize, with a Warning Event naming the cluster left behind', async () => {
    // The tenant writes a PropagatedObject the policy places on us-1 only.
    await waiter.whenAllowed('the tenant may create PropagatedObjects in its namespace', () =>
      tenant.create(Resources.PropagatedObject, {
        apiVersion: 'canopy.dev/v1alpha1',
        kind: 'PropagatedObject',
        metadata: { name, namespace },
        spec: {
          template: {
            apiVersion: 'apps/v1',
            kind: 'Deployment',
            metadata: { name, labels: { app: name, tier: 'solo' } },
            spec: {
              replicas: 1,
              selector: { matchLabels: { app: name } },
              template: { metadata: { labels: { app: name } }, spec: { containers: [{ name: 'app', image: 'nginx:1.27' }] } },
            },
          },
        },
      } as KubeObject),
    );
    await until('the copy on us-1', () => new ApiClient(us1().kubeConfig()).tryGet(Resources.Deployment, name, namespace), 90_000);

    await us1().stopApiServer();
    await tenant.delete(Resources.PropagatedObject, name, namespace);
    // Held: the copy on us-1 cannot be removed, and status says so.
    const held = await until('deletion pending on us-1', async () => {
      const p = await po();
      const synced = p?.status?.conditions?.find((c) => c.type === 'Synced');
      return p?.metadata?.deletionTimestamp && synced?.reason === 'Deleting' && /us-1/.test(synced.message) ? p : undefined;
    });
    expect(held.metadata?.finalizers).to.include('propagation.canopy.dev/cleanup');

    // The tenant gives up on us-1.
    await tenant.patch(Resources.PropagatedObject, name, namespace, { metadata: { annotations: { [ANNOTATION_FORCE_FINALIZE]: 'true' } } }, 'merge');
    await until('the PropagatedObject is gone', async () => ((await po()) ? undefined : true));
    const event = await until('a Warning Event about the forced release', async () => {
      const events = await admin.listAll<EventV1>(EventsV1, { namespace });
      return events.find((e) => e.reason === 'FinalizerForced' && e.regarding.kind === 'PropagatedObject' && e.regarding.uid === held.metadata?.uid);
    });
    expect(event.type).to.equal('Warning');
    expect(event.note).to.equal(
      `finalizer propagation.canopy.dev/cleanup released on annotation canopy.dev/force-finalize=true; the copy of PropagatedObject ${namespace}/${name} may remain on cluster us-1; check it once reachable and remove what is left`,
    );
  });
});
