import { expect } from 'chai';
import { ADMISSION_API_VERSION, type AdmissionRequest } from './admission.js';
import type { KubeObject } from '../runtime/index.js';
import { guessPlural, type AccessAttributes } from '../admission/author-access.js';
import { AdmissionDispatcher, type AdmissionBackend, type PlacedResource } from './dispatcher.js';
import { MemoryTreeView, ws } from '../../test/support/memory-view.js';
import type { Requester } from '../admission/request.js';
import { denialMessage } from '../admission/verdict.js';

/**
 * A backend over plain data: which users are admins is a fixed list, what the
 * authorizer allows is a fixed set of `user verb group/resource namespace/name`
 * grants, the view never changes.
 */
class Backend implements AdmissionBackend {
  readonly view = new MemoryTreeView({
    workspaces: [ws('acme', { owners: [{ kind: 'User', name: 'alice' }], constraints: { podSecurity: 'baseline', allowedRegistries: ['registry.acme.io'] } })],
    namespaces: [
      { metadata: { name: 'shop', labels: { 'canopy.dev/workspace': 'acme', 'canopy.dev/logical-cluster': 'shop' } } },
      { metadata: { name: 'acme', labels: { 'canopy.dev/workspace': 'acme' } } },
    ],
    clusters: [{ metadata: { name: 'eu-1', labels: { region: 'eu' } } }, { metadata: { name: 'us-1', labels: { region: 'us' } } }],
    placementPolicies: [
      { metadata: { name: 'web' }, spec: { resourceSelectors: [{ apiVersion: 'apps/v1', kind: 'Deployment' }] } },
      { metadata: { name: 'pci' }, spec: { resourceSelectors: [{ apiVersion: 'v1', kind: 'ConfigMap' }], tolerations: [{ key: 'pci', operator: 'Exists' }] } },
    ],
  });
  readonly adminChecks: string[] = [];
  readonly ensured: string[] = [];
  readonly asked: string[] = [];
  readonly operatorUsername = 'system:serviceaccount:canopy-system:canopy-operator';
  failing = false;
  /** Objects a sourceRef may name, by `namespace/name`. */
  readonly sources = new Map<string, KubeObject>();

  constructor(
    private readonly admins: readonly string[] = [],
    private readonly grants: readonly string[] = [],
  ) {}

  async ensureWorkspaces(names: readonly string[]): Promise<void> {
    this.ensured.push(...names.map((n) => `workspace/${n}`));
  }

  async ensureNamespace(name: string): Promise<void> {
    this.ensured.push(`namespace/${name}`);
  }

  async isAdmin(requester: Pick<Requester, 'username' | 'groups'>): Promise<boolean> {
    this.adminChecks.push(requester.username);
    return this.admins.includes(requester.username);
  }

  async canI(requester: Requester, a: AccessAttributes): Promise<boolean> {
    if (this.failing) throw new Error('connect ECONNREFUSED 10.0.0.1:443 token=abc');
    const question = `${requester.username} ${a.verb} ${a.group}/${a.resource} ${a.namespace ?? ''}/${a.name ?? ''}`;
    this.asked.push(question);
    return this.grants.includes(question);
  }

  async resourceOf(apiVersion: string, kind: string): Promise<PlacedResource> {
    const group = apiVersion.includes('/') ? apiVersion.split('/')[0]! : '';
    return { group, resource: guessPlural(kind), namespaced: true };
  }

  async readObject(_apiVersion: string, _kind: string, namespace: string, name: string): Promise<KubeObject | undefined> {
    return this.sources.get(`${namespace}/${name}`);
  }
}

function request(kind: string, object: unknown, user: string, groups: string[] = [], namespace?: string): AdmissionRequest {
  return {
    uid: `uid-${kind}`,
    kind: { group: kind === 'Pod' || kind === 'Deployment' ? '' : 'canopy.dev', version: kind === 'Pod' ? 'v1' : 'v1alpha1', kind },
    resource: { group: '', version: 'v1', resource: kind.toLowerCase() },
    operation: 'CREATE',
    userInfo: { username: user, groups },
    object,
    ...(namespace ? { namespace } : {}),
  };
}

const rootWorkspace = { apiVersion: 'canopy.dev/v1alpha1', kind: 'Workspace', metadata: { name: 'newco' }, spec: {} };

describe('admission dispatcher', () => {
  it('answers with the request uid and the denial sentence', async () => {
    const backend = new Backend();
    const review = await new AdmissionDispatcher(backend).review('workspaces', request('Workspace', { ...rootWorkspace, spec: { parent: 'nope' } }, 'alice'));
    expect(review).to.deep.equal({
      apiVersion: ADMISSION_API_VERSION,
      kind: 'AdmissionReview',
      response: {
        uid: 'uid-Workspace',
        allowed: false,
        status: {
          code: 403,
          reason: 'Forbidden',
          message: 'spec.parent: parent workspace "nope" does not exist; create it first or choose an existing parent',
        },
      },
    });
    expect(backend.ensured).to.deep.equal(['workspace/nope']);
  });

  it('asks whether the requester is an admin only when an ownership rule denied', async () => {
    const backend = new Backend(['root-admin']);
    const dispatcher = new AdmissionDispatcher(backend);
    expect((await dispatcher.decide('workspaces', request('Workspace', { ...rootWorkspace, spec: { parent: 'acme' } }, 'alice'))).allowed).to.equal(true);
    expect(backend.adminChecks).to.deep.equal([]);
    expect((await dispatcher.decide('workspaces', request('Workspace', rootWorkspace, 'root-admin'))).allowed).to.equal(true);
    expect((await dispatcher.decide('workspaces', request('Workspace', rootWorkspace, 'mallory'))).allowed).to.equal(false);
    expect(backend.adminChecks).to.deep.equal(['root-admin', 'mallory']);
  });

  it('treats system:masters as admin without asking', async () => {
    const backend = new Backend();
    expect(
      (await new AdmissionDispatcher(backend).decide('workspaces', request('Workspace', rootWorkspace, 'kube-admin', ['system:masters']))).allowed,
    ).to.equal(true);
    expect(backend.adminChecks).to.deep.equal([]);
  });

  it('never lets admins past rules other than ownership', async () => {
    const backend = new Backend(['root-admin']);
    const verdict = await new AdmissionDispatcher(backend).decide(
      'workspaces',
      request('Workspace', { ...rootWorkspace, metadata: { name: 'kube-x' } }, 'root-admin'),
    );
    expect(verdict.allowed || verdict.denial.rule).to.equal('workspace/reserved-name');
  });

  it('routes pods to the pod checks with the kind from the request', async () => {
    const backend = new Backend();
    const pod = { metadata: { name: 'p', namespace: 'shop' }, spec: { hostPID: true, containers: [] } };
    const verdict = await new AdmissionDispatcher(backend).decide('pods', request('Pod', pod, 'tenant', [], 'shop'));
    expect(verdict.allowed || verdict.denial.rule).to.equal('pod/pod-security');
    expect(backend.ensured).to.deep.equal(['namespace/shop']);
  });

  it('reports every verdict', async () => {
    const seen: string[] = [];
    const dispatcher = new AdmissionDispatcher(new Backend(), (r) => seen.push(`${r.webhook} ${r.kind} ${r.verdict.allowed}`));
    await dispatcher.review(
      'placementpolicies',
      request('PlacementPolicy', { metadata: { name: 'p' }, spec: { resourceSelectors: [{ apiVersion: 'v1', kind: 'Node' }] } }, 'x'),
    );
    expect(seen).to.deep.equal(['placementpolicies PlacementPolicy false']);
  });
  it('routes Deployments in a workspace home namespace to the pod checks', async () => {
    const deployment = { metadata: { name: 'd', namespace: 'acme' }, spec: { template: { spec: { hostPID: true, containers: [] } } } };
    const verdict = await new AdmissionDispatcher(new Backend()).decide('pods', request('Deployment', deployment, 'alice', [], 'acme'));
    expect(verdict.allowed ? '' : denialMessage(verdict.denial)).to.equal(
      'spec.template.spec.hostPID: hostPID: true is not allowed in the home namespace of workspace "acme" (pod security level baseline, set by workspace acme)',
    );
  });
});

const dev = (extra: Record<string, unknown> = {}) => ({
  apiVersion: 'apps/v1',
  kind: 'Deployment',
  metadata: { name: 'web' },
  spec: { template: { spec: { containers: [{ name: 'app', image: 'registry.acme.io/web:1' }] } }, ...extra },
});

function po(spec: Record<string, unknown>, name = 'web'): Record<string, unknown> {
  return { apiVersion: 'canopy.dev/v1alpha1', kind: 'PropagatedObject', metadata: { name, namespace: 'shop' }, spec };
}

const ALICE_DEPLOYS = 'alice create apps/deployments shop/';

describe('admission dispatcher: PropagatedObjects', () => {
  async function decide(backend: Backend, object: unknown, user = 'alice', groups: string[] = []): Promise<string> {
    const verdict = await new AdmissionDispatcher(backend).decide('propagatedobjects', request('PropagatedObject', object, user, groups, 'shop'));
    return verdict.allowed ? 'allowed' : denialMessage(verdict.denial);
  }

  it("checks the template against the namespace's pod rules before asking the authorizer anything", async () => {
    const backend = new Backend([], [ALICE_DEPLOYS]);
    const privileged = dev();
    (privileged.spec.template.spec as Record<string, unknown>)['hostNetwork'] = true;
    expect(await decide(backend, po({ template: privileged }))).to.equal(
      'spec.template.spec.template.spec.hostNetwork: hostNetwork: true is not allowed in logical cluster "shop" (pod security level baseline, set by workspace acme)',
    );
    expect(backend.asked).to.deep.equal([]);
  });

  it("checks each cluster's rendering of the template", async () => {
    const backend = new Backend([], [ALICE_DEPLOYS]);
    const overrides = [{ clusters: ['eu-1'], patches: [{ op: 'replace', path: '/spec/template/spec/containers/0/image', value: 'evil.io/miner:1' }] }];
    expect(await decide(backend, po({ template: dev(), overrides }))).to.match(
      /^spec\.overrides\[0\]: applied wherever it applies, .*image "evil\.io\/miner:1" is not from a registry allowed/,
    );
  });

  it('asks whether the author may create the kind in the namespace, and says who may not', async () => {
    expect(await decide(new Backend([], [ALICE_DEPLOYS]), po({ template: dev() }))).to.equal('allowed');
    expect(await decide(new Backend(), po({ template: dev() }))).to.equal(
      'spec.template.kind: user "alice" may not create deployments.apps in namespace "shop", so a PropagatedObject may not place one there either',
    );
  });

  it('asks for bind on the referenced role before a RoleBinding is placed', async () => {
    const binding = {
      apiVersion: 'rbac.authorization.k8s.io/v1',
      kind: 'RoleBinding',
      metadata: { name: 'b' },
      roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: 'cluster-admin' },
      subjects: [],
    };
    const backend = new Backend([], ['alice create rbac.authorization.k8s.io/rolebindings shop/']);
    expect(await decide(backend, po({ template: binding }))).to.equal(
      'spec.template.roleRef: user "alice" may not bind clusterrole "cluster-admin" in namespace "shop" (RBAC verb bind on clusterroles.rbac.authorization.k8s.io), so a PropagatedObject may not place a RoleBinding to it',
    );
    expect(backend.asked).to.include('alice bind rbac.authorization.k8s.io/clusterroles shop/cluster-admin');
  });

  it('reads a sourceRef RoleBinding to check bind on its role, and refuses one that does not exist yet', async () => {
    const ref = { sourceRef: { apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'RoleBinding', name: 'ops' } };
    const backend = new Backend([], ['alice create rbac.authorization.k8s.io/rolebindings shop/']);
    expect(await decide(backend, po(ref))).to.equal(
      'spec.sourceRef.name: RoleBinding "ops" does not exist in namespace "shop"; create it before the PropagatedObject that places it, so the role it binds can be checked',
    );
    backend.sources.set('shop/ops', {
      apiVersion: 'rbac.authorization.k8s.io/v1',
      kind: 'RoleBinding',
      metadata: { name: 'ops' },
      roleRef: { kind: 'Role', name: 'operator' },
    } as KubeObject);
    expect(await decide(backend, po(ref))).to.match(/^spec\.sourceRef\.name: user "alice" may not bind role "operator" in namespace "shop"/);
    const granted = new Backend([], ['alice create rbac.authorization.k8s.io/rolebindings shop/', 'alice bind rbac.authorization.k8s.io/roles shop/operator']);
    granted.sources.set('shop/ops', backend.sources.get('shop/ops')!);
    expect(await decide(granted, po(ref))).to.equal('allowed');
  });

  it('lets admins, system:masters and the operator through without the author checks', async () => {
    expect(await decide(new Backend(['root']), po({ template: dev() }), 'root')).to.equal('allowed');
    const masters = new Backend();
    expect(await decide(masters, po({ template: dev() }), 'kube-admin', ['system:masters'])).to.equal('allowed');
    const operator = new Backend();
    expect(await decide(operator, po({ template: dev() }), operator.operatorUsername)).to.equal('allowed');
    expect([...masters.asked, ...operator.asked]).to.deep.equal([]);
  });

  it('fails closed, without the cause, when the authorizer cannot be asked', async () => {
    const backend = new Backend();
    backend.failing = true;
    const message = await decide(backend, po({ template: dev() }));
    expect(message).to.equal(
      'spec.template.kind: Canopy could not confirm with the authorizer that the author may create deployments.apps in namespace "shop", so the request is refused; try again in a moment',
    );
    expect(message).not.to.contain('token');
  });

  it('lets a placementRef name a policy that selects the object, and asks for use otherwise', async () => {
    expect(await decide(new Backend([], [ALICE_DEPLOYS]), po({ template: dev(), placementRef: { name: 'web' } }))).to.equal('allowed');
    expect(await decide(new Backend([], [ALICE_DEPLOYS]), po({ template: dev(), placementRef: { name: 'pci' } }))).to.match(
      /^spec\.placementRef\.name: PlacementPolicy "pci" does not select this Deployment and user "alice" may not use it; .*grant the verb "use" on placementpolicies\.canopy\.dev "pci"$/,
    );
    expect(
      await decide(new Backend([], [ALICE_DEPLOYS, 'alice use canopy.dev/placementpolicies /pci']), po({ template: dev(), placementRef: { name: 'pci' } })),
    ).to.equal('allowed');
  });

  it('does not re-ask on an update that leaves the spec alone', async () => {
    const backend = new Backend();
    const object = po({ template: dev() });
    const update: AdmissionRequest = { ...request('PropagatedObject', object, 'alice', [], 'shop'), operation: 'UPDATE', oldObject: object };
    expect((await new AdmissionDispatcher(backend).decide('propagatedobjects', update)).allowed).to.equal(true);
    expect(backend.asked).to.deep.equal([]);
  });
});
