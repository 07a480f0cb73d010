import { expect } from 'chai';
import { ApiClient, apply, Resources, type KubeObject, type ResourceRef } from '../../runtime/index.js';
import { testEnv, uniqueName } from '../../../test/e2e/env.js';
import {
  client,
  condition,
  deleteIgnoringMissing,
  eventually,
  PropagatedObjects,
  removeTenant,
  tenantNamespace,
  type PropagatedObjectView,
} from '../../../test/support/propagation.js';

const ClusterPropagatedObjects = Resources.ClusterPropagatedObject;
const CRDs = Resources.CustomResourceDefinition;
const StorageClasses: ResourceRef = { apiVersion: 'storage.k8s.io/v1', kind: 'StorageClass', plural: 'storageclasses', namespaced: false };
const MEMBERS = ['eu-1', 'us-1'] as const;

type CrdView = KubeObject & { status?: { conditions?: Array<{ type: string; status: string }> } };

/** One observation of a member: does the CRD exist, is it Established or being deleted, does the custom resource exist. */
interface Sample {
  readonly cluster: string;
  readonly crd: 'absent' | 'pending' | 'established' | 'deleting';
  readonly cr: boolean;
}

/**
 * Cluster-scoped placement with the shared operator: a ClusterPropagatedObject
 * places a CRD on two members and a PropagatedObject places a custom resource
 * of it. Arrival runs CRD first (the custom resource waits, Established
 * before it exists); removal runs in reverse (the CRD's deletion waits, with a
 * status saying why, until the custom resource is gone). A ClusterRole and a
 * StorageClass reach the members the same way. A tenant cannot create a
 * ClusterPropagatedObject: RBAC refuses it, and with a too-broad grant the
 * admission webhook still does; nothing reaches any member.
 */
describe('propagation: cluster-scoped placement with ClusterPropagatedObjects (e2e)', function () {
  this.timeout(300_000);
  const id = uniqueName('cs');
  const group = `${id}.example.com`;
  const plural = 'widgets';
  const crdName = `${plural}.${group}`;
  const policy = `${id}-fleet`;
  const crdObject = `${id}-crd`;
  const roleObject = `${id}-role`;
  const classObject = `${id}-class`;
  const roleName = `${id}-reader`;
  const className = `${id}-local`;
  const Widgets: ResourceRef = { apiVersion: `${group}/v1`, kind: 'Widget', plural, namespaced: true };
  let tenant: { namespace: string; workspace: string };
  let ns: string;
  const widgetPo = 'w1';
  const samples: Sample[] = [];
  let sampling = false;
  let sampler: Promise<void> | undefined;
  const cleanups: Array<() => Promise<void>> = [];

  const getCpo = (name: string) => client('host').tryGet<PropagatedObjectView>(ClusterPropagatedObjects, name);
  const getPo = () => client('host').tryGet<PropagatedObjectView>(PropagatedObjects, widgetPo, ns);

  async function sample(cluster: string): Promise<Sample> {
    const crd = await client(cluster).tryGet<CrdView>(CRDs, crdName);
    const established = crd?.status?.conditions?.some((c) => c.type === 'Established' && c.status === 'True') ?? false;
    const state: Sample['crd'] = !crd ? 'absent' : crd.metadata?.deletionTimestamp ? 'deleting' : established ? 'established' : 'pending';
    const cr =
      state === 'absent'
        ? false
        : (await client(cluster)
            .tryGet(Widgets, 'big', ns)
            .catch(() => undefined)) !== undefined;
    return { cluster, crd: state, cr };
  }

  function startSampling(): void {
    sampling = true;
    sampler = (async () => {
      while (sampling) {
        for (const c of MEMBERS) samples.push(await sample(c).catch(() => ({ cluster: c, crd: 'absent' as const, cr: false })));
        await new Promise((r) => setTimeout(r, 100));
      }
    })();
  }

  async function stopSampling(): Promise<void> {
    sampling = false;
    await sampler;
  }

  const crd = {
    apiVersion: 'apiextensions.k8s.io/v1',
    kind: 'CustomResourceDefinition',
    metadata: { name: crdName },
    spec: {
      group,
      scope: 'Namespaced',
      names: { plural, singular: 'widget', kind: 'Widget', listKind: 'WidgetList' },
      versions: [
        {
          name: 'v1',
          served: true,
          storage: true,
          schema: { openAPIV3Schema: { type: 'object', properties: { spec: { type: 'object', properties: { size: { type: 'integer' } } } } } },
        },
      ],
    },
  };
  const cpo = (name: string, template: Record<string, unknown>): KubeObject =>
    ({
      apiVersion: 'canopy.dev/v1alpha1',
      kind: 'ClusterPropagatedObject',
      metadata: { name },
      spec: { template, placementRef: { name: policy } },
    }) as KubeObject;

  before(async () => {
    tenant = await tenantNamespace('cs');
    ns = tenant.namespace;
    // Its resourceSelector is what a policy must have; ClusterPropagatedObjects name the policy themselves.
    await apply(client('host'), {
      apiVersion: 'canopy.dev/v1alpha1',
      kind: 'PlacementPolicy',
      metadata: { name: policy },
      spec: {
        resourceSelectors: [{ apiVersion: `${group}/v1`, kind: 'Widget', namespaces: [ns] }],
        clusterSelector: { matchExpressions: [{ key: 'topology.kubernetes.io/region', operator: 'In', values: [...MEMBERS] }] },
      },
    } as KubeObject);
  });

  after(async () => {
    await stopSampling();
    for (const cleanup of cleanups.reverse()) await cleanup().catch(() => undefined);
    for (const name of [crdObject, roleObject, classObject]) await deleteIgnoringMissing('host', ClusterPropagatedObjects, name);
    await deleteIgnoringMissing('host', PropagatedObjects, widgetPo, ns);
    await deleteIgnoringMissing('host', Resources.PlacementPolicy, policy);
    await removeTenant(tenant);
  });

  it('places a CRD before the custom resource that needs it, and removes them in reverse order', async () => {
    startSampling();
    // The custom resource first: no member serves its kind yet, so it waits, saying why.
    await apply(client('host'), {
      apiVersion: 'canopy.dev/v1alpha1',
      kind: 'PropagatedObject',
      metadata: { name: widgetPo, namespace: ns },
      spec: { template: { apiVersion: `${group}/v1`, kind: 'Widget', metadata: { name: 'big' }, spec: { size: 3 } }, placementRef: { name: policy } },
    } as KubeObject);
    const waiting = await eventually('the custom resource waits for its kind', async () => {
      const p = await getPo();
      const scheduled = condition(p, 'Scheduled');
      return scheduled?.status === 'False' && /does not serve/.test(scheduled.message) ? p : undefined;
    });
    expect(waiting.status?.placement ?? []).to.deep.equal([]);

    await apply(client('host'), cpo(crdObject, crd));
    const placed = await eventually(
      'CRD Ready on both members',
      async () => {
        const p = await getCpo(crdObject);
        return condition(p, 'Ready')?.status === 'True' && (p?.status?.placement ?? []).length === 2 ? p : undefined;
      },
      120_000,
    );
    expect((placed.status?.placement ?? []).map((p) => p.cluster).sort()).to.deep.equal([...MEMBERS]);
    const ready = await eventually(
      'the custom resource Ready on both members',
      async () => {
        const p = await getPo();
        return condition(p, 'Ready')?.status === 'True' && (p?.status?.clusters ?? []).length === 2 ? p : undefined;
      },
      120_000,
    );
    expect((ready.status?.placement ?? []).map((p) => p.cluster).sort()).to.deep.equal([...MEMBERS]);
    for (const c of MEMBERS) {
      const w = await client(c).get<KubeObject & { spec?: { size?: number } }>(Widgets, 'big', ns);
      expect(w.spec?.size, c).to.equal(3);
      const copy = await client(c).get(CRDs, crdName);
      expect(copy.metadata?.labels?.['canopy.dev/managed-by'], c).to.equal('canopy');
      expect(copy.metadata?.annotations?.['canopy.dev/propagated-object'], c).to.equal(`/${crdObject}`);
    }
    // Nothing leaked onto the member that was not chosen.
    expect(await client('eu-2').tryGet(CRDs, crdName)).to.equal(undefined);

    // Removal: the CRD's deletion waits while the custom resource Canopy placed is on the members.
    await client('host').delete(ClusterPropagatedObjects, crdObject);
    const held = await eventually('the CRD removal waits for the custom resources', async () => {
      const p = await getCpo(crdObject);
      const waits = (p?.status?.clusters ?? []).filter((c) => /removal waits: kept until the widgets/.test(c.message ?? ''));
      return waits.length === 2 ? p : undefined;
    });
    expect(condition(held, 'Synced')?.reason).to.equal('Deleting');
    for (const c of MEMBERS) {
      const s = await sample(c);
      expect(s, c).to.deep.equal({ cluster: c, crd: 'established', cr: true });
    }
    await client('host').delete(PropagatedObjects, widgetPo, ns);
    await eventually(
      'CRD and custom resource gone from both members, both objects released',
      async () => {
        for (const c of MEMBERS) {
          // Recorded too: a quick removal can fall between two of the sampler's rounds.
          const seen = await sample(c);
          samples.push(seen);
          if (seen.crd !== 'absent') return undefined;
        }
        return (await getCpo(crdObject)) || (await getPo()) ? undefined : true;
      },
      120_000,
    );
    await stopSampling();

    // At every sampled moment: a custom resource only with an Established CRD that is not being deleted.
    const broken = samples.filter((s) => s.cr && s.crd !== 'established');
    expect(broken, 'custom resource without an Established CRD').to.deep.equal([]);
    for (const c of MEMBERS) {
      const seen = samples.filter((s) => s.cluster === c);
      // What the member went through, repeated samples collapsed: for the assertion messages.
      const timeline = seen
        .map((s) => `${s.crd}${s.cr ? '+cr' : ''}`)
        .filter((v, i, all) => i === 0 || all[i - 1] !== v)
        .join(' > ');
      const firstEstablished = seen.findIndex((s) => s.crd === 'established');
      const firstCr = seen.findIndex((s) => s.cr);
      const lastCr = seen.map((s) => s.cr).lastIndexOf(true);
      // The first sample after arrival where the CRD is being deleted or gone.
      const firstDeleting = seen.findIndex((s, i) => i > firstEstablished && (s.crd === 'deleting' || s.crd === 'absent'));
      expect(firstEstablished, `${c}: CRD Established at some sample (${timeline})`).to.be.greaterThan(-1);
      expect(firstCr, `${c}: custom resource seen (${timeline})`).to.be.greaterThan(-1);
      expect(firstEstablished, `${c}: CRD Established before the custom resource existed (${timeline})`).to.be.at.most(firstCr);
      expect(firstDeleting, `${c}: CRD removal seen (${timeline})`).to.be.greaterThan(-1);
      expect(lastCr, `${c}: custom resource gone before the CRD's removal started (${timeline})`).to.be.lessThan(firstDeleting);
    }
  });

  it('places a ClusterRole and a StorageClass on the chosen members', async () => {
    await apply(
      client('host'),
      cpo(roleObject, {
        apiVersion: 'rbac.authorization.k8s.io/v1',
        kind: 'ClusterRole',
        metadata: { name: roleName, labels: { team: 'platform' } },
        rules: [{ apiGroups: [''], resources: ['configmaps'], verbs: ['get', 'list'] }],
      }),
    );
    await apply(
      client('host'),
      cpo(classObject, {
        apiVersion: 'storage.k8s.io/v1',
        kind: 'StorageClass',
        metadata: { name: className },
        provisioner: 'kubernetes.io/no-provisioner',
        volumeBindingMode: 'WaitForFirstConsumer',
      }),
    );
    for (const name of [roleObject, classObject]) {
      await eventually(`${name} Synced and Ready`, async () => {
        const p = await getCpo(name);
        return condition(p, 'Ready')?.status === 'True' && condition(p, 'Synced')?.status === 'True' ? true : undefined;
      });
    }
    for (const c of MEMBERS) {
      const role = await client(c).get<KubeObject & { rules?: Array<{ verbs?: string[] }> }>(Resources.ClusterRole, roleName);
      expect(role.metadata?.labels?.['team'], c).to.equal('platform');
      expect(role.rules?.[0]?.verbs, c).to.deep.equal(['get', 'list']);
      const sc = await client(c).get<KubeObject & { provisioner?: string }>(StorageClasses, className);
      expect(sc.provisioner, c).to.equal('kubernetes.io/no-provisioner');
    }
    expect(await client('eu-2').tryGet(Resources.ClusterRole, roleName)).to.equal(undefined);

    // Drift: a ClusterRole edited on a member is put back.
    await client('us-1').patch(Resources.ClusterRole, roleName, undefined, { rules: [{ apiGroups: ['*'], resources: ['*'], verbs: ['*'] }] }, 'merge');
    await eventually('the edited ClusterRole repaired', async () => {
      const role = await client('us-1').get<KubeObject & { rules?: Array<{ verbs?: string[] }> }>(Resources.ClusterRole, roleName);
      return JSON.stringify(role.rules?.[0]?.verbs) === '["get","list"]' ? true : undefined;
    });

    for (const name of [roleObject, classObject]) await client('host').delete(ClusterPropagatedObjects, name);
    await eventually('ClusterRole and StorageClass removed from the members', async () => {
      for (const c of MEMBERS) {
        if (await client(c).tryGet(Resources.ClusterRole, roleName)) return undefined;
        if (await client(c).tryGet(StorageClasses, className)) return undefined;
      }
      return (await getCpo(roleObject)) || (await getCpo(classObject)) ? undefined : true;
    });
  });

  it('refuses a namespaced template: a well-known namespaced kind (CEL) or any template with metadata.namespace (admission)', async () => {
    const refusal = (o: KubeObject) =>
      client('host')
        .create(ClusterPropagatedObjects, o)
        .then(
          () => 'created',
          (err: unknown) => (err as Error).message,
        );
    const deploymentTemplate = { apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'web' }, spec: {} };
    expect(await refusal(cpo(`${id}-ns-kind`, deploymentTemplate))).to.match(/spec.template is a namespaced kind: use a PropagatedObject for it/);
    const namespaced = { apiVersion: 'example.com/v1', kind: 'Gadget', metadata: { name: 'g', namespace: 'default' } };
    expect(await refusal(cpo(`${id}-ns-field`, namespaced))).to.match(/spec.template.metadata.namespace: must not be set/);
    expect(await getCpo(`${id}-ns-kind`)).to.equal(undefined);
    expect(await getCpo(`${id}-ns-field`)).to.equal(undefined);
  });

  it("refuses a tenant's ClusterPropagatedObject (RBAC, and admission behind a too-broad grant); nothing reaches a member", async () => {
    const workspace = `${id}-acme`;
    await apply(client('host'), {
      apiVersion: 'canopy.dev/v1alpha1',
      kind: 'Workspace',
      metadata: { name: workspace },
      spec: { owners: [{ kind: 'User', name: 'alice' }] },
    } as KubeObject);
    cleanups.push(() => deleteIgnoringMissing('host', Resources.Workspace, workspace));
    const alice = new ApiClient(testEnv().host.userKubeConfig('alice'));
    cleanups.push(async () => alice.close());
    const evilRole = `${id}-escalate`;
    const attempt = cpo(`${id}-tenant`, {
      apiVersion: 'rbac.authorization.k8s.io/v1',
      kind: 'ClusterRoleBinding',
      metadata: { name: evilRole },
      roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: 'cluster-admin' },
      subjects: [{ kind: 'User', name: 'alice', apiGroup: 'rbac.authorization.k8s.io' }],
    });
    // The workspace owner, as herself: RBAC grants her no ClusterPropagatedObjects.
    await eventually('alice owns her workspace', async () => ((await alice.tryGet(Resources.Workspace, workspace)) ? true : undefined));
    const refused = await alice.create(ClusterPropagatedObjects, attempt).then(
      () => undefined,
      (err: unknown) => err as Error & { code?: number },
    );
    expect(refused, 'RBAC refused the tenant').to.not.equal(undefined);
    expect(refused?.code).to.equal(403);
    expect(refused?.message).to.match(/cannot create resource "clusterpropagatedobjects"/);

    // A grant broader than intended still does not let her through: admission asks whether she is a cluster admin.
    const grant = `${id}-cpo-writer`;
    await apply(client('host'), {
      apiVersion: 'rbac.authorization.k8s.io/v1',
      kind: 'ClusterRole',
      metadata: { name: grant },
      rules: [{ apiGroups: ['canopy.dev'], resources: ['clusterpropagatedobjects'], verbs: ['create', 'get', 'list'] }],
    } as KubeObject);
    await apply(client('host'), {
      apiVersion: 'rbac.authorization.k8s.io/v1',
      kind: 'ClusterRoleBinding',
      metadata: { name: grant },
      roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: grant },
      subjects: [{ kind: 'User', name: 'alice', apiGroup: 'rbac.authorization.k8s.io' }],
    } as KubeObject);
    cleanups.push(() => deleteIgnoringMissing('host', Resources.ClusterRoleBinding, grant));
    cleanups.push(() => deleteIgnoringMissing('host', Resources.ClusterRole, grant));
    const denied = await eventually('admission refuses alice once RBAC would let her', async () => {
      const err = await alice.create(ClusterPropagatedObjects, attempt).then(
        () => new Error('created'),
        (e: unknown) => e as Error,
      );
      if (err.message === 'created') return err;
      return /denied the request/.test(err.message) ? err : undefined;
    });
    expect(denied.message).to.match(/user "alice" may not create a ClusterPropagatedObject/);
    expect(await getCpo(`${id}-tenant`), 'nothing stored on the host').to.equal(undefined);
    // Given the operator time it would need to act, nothing arrives on any member.
    await new Promise((r) => setTimeout(r, 3_000));
    for (const c of ['eu-1', 'eu-2', 'us-1']) expect(await client(c).tryGet(Resources.ClusterRoleBinding, evilRole), c).to.equal(undefined);
  });
});
