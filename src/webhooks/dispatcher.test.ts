import { expect } from 'chai';
import { ADMISSION_API_VERSION, type AdmissionRequest } from './admission.js';
import { AdmissionDispatcher, type AdmissionBackend } from './dispatcher.js';
import { MemoryTreeView, ws } from './memory-view.js';
import type { Requester } from './request.js';

/** A backend over plain data: which users are admins is a fixed list, the view never changes. */
class Backend implements AdmissionBackend {
  readonly view = new MemoryTreeView({
    workspaces: [ws('acme', { owners: [{ kind: 'User', name: 'alice' }] })],
    namespaces: [{ metadata: { name: 'shop', labels: { 'canopy.dev/workspace': 'acme', 'canopy.dev/logical-cluster': 'shop' } } }],
  });
  readonly adminChecks: string[] = [];
  readonly ensured: string[] = [];

  constructor(private readonly admins: readonly string[] = []) {}

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
}

function request(kind: string, object: unknown, user: string, groups: string[] = [], namespace?: string): AdmissionRequest {
  return {
    uid: `uid-${kind}`,
    kind: { group: kind === 'Pod' ? '' : 'canopy.dev', version: kind === 'Pod' ? 'v1' : 'v1alpha1', kind },
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
      response: { uid: 'uid-Workspace', allowed: false, status: { code: 403, reason: 'Forbidden', message: 'spec.parent: parent workspace "nope" does not exist; create it first or choose an existing parent' } },
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
    expect((await new AdmissionDispatcher(backend).decide('workspaces', request('Workspace', rootWorkspace, 'kube-admin', ['system:masters']))).allowed).to.equal(true);
    expect(backend.adminChecks).to.deep.equal([]);
  });

  it('never lets admins past rules other than ownership', async () => {
    const backend = new Backend(['root-admin']);
    const verdict = await new AdmissionDispatcher(backend).decide('workspaces', request('Workspace', { ...rootWorkspace, metadata: { name: 'kube-x' } }, 'root-admin'));
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
    await dispatcher.review('placementpolicies', request('PlacementPolicy', { metadata: { name: 'p' }, spec: { resourceSelectors: [{ apiVersion: 'v1', kind: 'Node' }] } }, 'x'));
    expect(seen).to.deep.equal(['placementpolicies PlacementPolicy false']);
  });
});
