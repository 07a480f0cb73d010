import { expect } from 'chai';
import { apply, Resources, type KubeObject } from '../../runtime/index.js';
import { uniqueName } from '../../../test/e2e/env.js';
import {
  client,
  condition,
  deleteIgnoringMissing,
  deployment,
  Deployments,
  eventually,
  PropagatedObjects,
  removeTenant,
  tenantNamespace,
  type PropagatedObjectView,
} from '../../../test/support/propagation.js';

type Excluded = { cluster: string; plugin?: string; reason: string; until?: string };
type DeploymentView = KubeObject & { status?: { readyReplicas?: number } };

const UNHEALTHY_SECONDS = 8;

/**
 * Application-level failover with the shared operator: a workload whose copy
 * on eu-1 never becomes Ready (an override gives it an image the test members
 * never make Ready, controlplane/launcher/kwok-stages.yaml) while eu-1 itself
 * is healthy is moved to us-1 after failover.unhealthySeconds, and eu-1 stays
 * excluded for it during the back-off: it does not come back.
 */
describe('propagation: application-level failover (e2e)', function () {
  this.timeout(300_000);
  let tenant: { namespace: string; workspace: string };
  let ns: string;
  const policy = uniqueName('app-fo');
  const name = uniqueName('flaky');

  const getPo = () => client('host').tryGet<PropagatedObjectView>(PropagatedObjects, name, ns);
  const clustersOf = (p: PropagatedObjectView | undefined) => (p?.status?.placement ?? []).map((e) => e.cluster).join(',');
  const excludedOf = (p: PropagatedObjectView | undefined, cluster: string) =>
    ((p?.status as { excluded?: Excluded[] } | undefined)?.excluded ?? []).find((e) => e.cluster === cluster);

  before(async () => {
    tenant = await tenantNamespace('afo');
    ns = tenant.namespace;
    await apply(client('host'), {
      apiVersion: 'canopy.dev/v1alpha1',
      kind: 'PlacementPolicy',
      metadata: { name: policy },
      spec: {
        resourceSelectors: [{ apiVersion: 'apps/v1', kind: 'Deployment', namespaces: [ns], labelSelector: { matchLabels: { app: name } } }],
        clusterSelector: { matchExpressions: [{ key: 'topology.kubernetes.io/region', operator: 'In', values: ['eu-1', 'us-1'] }] },
        preferences: [{ weight: 100, clusterSelector: { matchLabels: { 'topology.kubernetes.io/region': 'eu-1' } } }],
        replicas: { maxClusters: 1 },
        failover: { unhealthySeconds: UNHEALTHY_SECONDS, unhealthyBackoffSeconds: 600 },
      },
    } as KubeObject);
  });

  after(async () => {
    await deleteIgnoringMissing('host', PropagatedObjects, name, ns);
    await deleteIgnoringMissing('host', Resources.PlacementPolicy, policy);
    await removeTenant(tenant);
  });

  it('moves a copy that stays not Ready on a healthy cluster, make before break, and does not flap back', async () => {
    const template = deployment(name, 2, { app: name });
    await apply(client('host'), {
      apiVersion: 'canopy.dev/v1alpha1',
      kind: 'PropagatedObject',
      metadata: { name, namespace: ns },
      spec: {
        template,
        placementRef: { name: policy },
        // Only eu-1's copy is broken: the cluster is fine, the application there is not.
        overrides: [{ clusters: ['eu-1'], patches: [{ op: 'replace', path: '/spec/template/spec/containers/0/image', value: 'nginx:broken' }] }],
      },
    } as KubeObject);
    await eventually('placed on eu-1 first (preferred)', async () => (clustersOf(await getPo()) === 'eu-1' ? true : undefined), 90_000);
    const notReady = await eventually('the syncer reports the copy on eu-1 not Ready', async () => {
      const p = await getPo();
      const since = (p?.status?.clusters ?? []).find((c) => c.cluster === 'eu-1') as { notReadySince?: string } | undefined;
      return since?.notReadySince ? since.notReadySince : undefined;
    });

    const moved = await eventually(
      'moved to us-1 and Ready there',
      async () => {
        const p = await getPo();
        return clustersOf(p) === 'us-1' && condition(p, 'Ready')?.status === 'True' ? p : undefined;
      },
      120_000,
    );
    const excluded = excludedOf(moved, 'eu-1');
    expect(excluded?.plugin).to.equal('AppHealth');
    expect(excluded?.reason).to.match(new RegExp(`stayed not Ready for over ${UNHEALTHY_SECONDS}s`));
    // Moved no earlier than unhealthySeconds after the copy was first reported not Ready.
    const movedAt = Date.parse(excluded?.until ?? '') - 600_000;
    expect(movedAt - Date.parse(notReady)).to.be.at.least(UNHEALTHY_SECONDS * 1000);
    expect(Date.parse(excluded?.until ?? '') - Date.now(), 'backed off for about unhealthyBackoffSeconds').to.be.greaterThan(500_000);
    expect((await client('us-1').get<DeploymentView>(Deployments, name, ns)).status?.readyReplicas).to.equal(2);
    await eventually('the broken copy removed from eu-1 once us-1 took over', async () =>
      (await client('eu-1').tryGet(Deployments, name, ns)) ? undefined : true,
    );

    // No flapping: eu-1 is healthy and preferred, yet the object stays on us-1 through the back-off.
    for (let i = 0; i < 10; i++) {
      await new Promise((r) => setTimeout(r, 1_000));
      const p = await getPo();
      expect(clustersOf(p), `sample ${i}`).to.equal('us-1');
      expect(excludedOf(p, 'eu-1')?.until, `sample ${i}`).to.equal(excluded?.until);
    }
  });
});
