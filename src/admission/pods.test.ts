import { expect } from 'chai';
import { lc, MemoryTreeView, ws } from '../../test/support/memory-view.js';
import { imageAllowed, normalizeImage, PodRules, validateWorkload, type WorkloadLike } from './pods.js';
import type { AdmissionInput } from './request.js';
import { denialMessage, type Verdict } from './verdict.js';

const requester = { username: 'tenant', groups: [], admin: false };

function view(opts: { podSecurity?: string; lcPodSecurity?: string } = {}): MemoryTreeView {
  return new MemoryTreeView({
    workspaces: [
      ws('acme', {
        constraints: { allowedRegistries: ['registry.acme.io', 'docker.io/library'], ...(opts.podSecurity ? { podSecurity: opts.podSecurity } : {}) },
      }),
      ws('team-a', { parent: 'acme' }),
    ],
    logicalClusters: [lc('shop', { workspace: 'team-a', constraints: opts.lcPodSecurity ? { podSecurity: opts.lcPodSecurity } : {} })],
    namespaces: [
      { metadata: { name: 'shop', labels: { 'canopy.dev/workspace': 'team-a', 'canopy.dev/logical-cluster': 'shop' } } },
      { metadata: { name: 'plain' } },
      { metadata: { name: 'team-a', labels: { 'canopy.dev/workspace': 'team-a', 'canopy.dev/managed-by': 'canopy' } } },
    ],
  });
}

function pod(spec: Record<string, unknown>, namespace = 'shop'): AdmissionInput<WorkloadLike> {
  const object = {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name: 'p', namespace },
    spec: { containers: [{ name: 'app', image: 'registry.acme.io/app:1' }], ...spec },
  };
  return { operation: 'CREATE', object, oldObject: undefined, requester, namespace };
}

function container(extra: Record<string, unknown>): Record<string, unknown> {
  return { containers: [{ name: 'app', image: 'registry.acme.io/app:1', ...extra }] };
}

function message(verdict: Verdict): string {
  expect(verdict.allowed, 'expected a denial').to.equal(false);
  return verdict.allowed ? '' : denialMessage(verdict.denial);
}

const restrictedContainer = {
  securityContext: { allowPrivilegeEscalation: false, runAsNonRoot: true, capabilities: { drop: ['ALL'] }, seccompProfile: { type: 'RuntimeDefault' } },
};

describe('pod validator', () => {
  it('admits an ordinary pod and ignores namespaces outside logical clusters', () => {
    expect(validateWorkload(pod({}), view()).allowed).to.equal(true);
    expect(validateWorkload(pod({ hostNetwork: true }, 'plain'), view()).allowed).to.equal(true);
  });

  it('applies baseline when nobody set a level', () => {
    expect(message(validateWorkload(pod({ hostNetwork: true }), view()))).to.equal(
      'spec.hostNetwork: hostNetwork: true is not allowed in logical cluster "shop" (pod security level baseline, set by the default)',
    );
  });

  const baseline: [string, Record<string, unknown>, string][] = [
    ['hostPID', { hostPID: true }, 'spec.hostPID:'],
    ['hostIPC', { hostIPC: true }, 'spec.hostIPC:'],
    ['privileged', container({ securityContext: { privileged: true } }), 'spec.containers[0].securityContext.privileged: a privileged container'],
    ['hostPath', { volumes: [{ name: 'root', hostPath: { path: '/' } }] }, 'spec.volumes[0].hostPath: a hostPath volume'],
    ['hostPort', container({ ports: [{ containerPort: 80, hostPort: 80 }] }), 'spec.containers[0].ports[0].hostPort: hostPort 80'],
    ['SYS_ADMIN', container({ securityContext: { capabilities: { add: ['SYS_ADMIN'] } } }), 'adding capability SYS_ADMIN'],
  ];
  for (const [name, spec, expected] of baseline) {
    it(`denies ${name} at baseline`, () => {
      const verdict = validateWorkload(pod(spec), view({ podSecurity: 'baseline' }));
      expect(verdict.allowed || verdict.denial.rule).to.equal(PodRules.podSecurity);
      expect(message(verdict)).to.contain(expected).and.to.contain('set by workspace acme');
    });
  }

  it('lets a privileged level through (registries still apply)', () => {
    expect(
      validateWorkload(pod({ hostNetwork: true, ...container({ securityContext: { privileged: true } }) }), view({ podSecurity: 'privileged' })).allowed,
    ).to.equal(true);
    expect(message(validateWorkload(pod(container({ image: 'quay.io/x/y:1' })), view({ podSecurity: 'privileged' })))).to.contain('image "quay.io/x/y:1"');
  });

  it('enforces restricted, naming the logical cluster that set it', () => {
    expect(message(validateWorkload(pod({}), view({ lcPodSecurity: 'restricted' })))).to.equal(
      'spec.containers[0].securityContext.allowPrivilegeEscalation: a container without allowPrivilegeEscalation: false is not allowed in logical cluster "shop" (pod security level restricted, set by logical cluster shop)',
    );
    expect(validateWorkload(pod(container(restrictedContainer)), view({ podSecurity: 'restricted' })).allowed).to.equal(true);
    const rootUser = { securityContext: { ...restrictedContainer.securityContext, runAsNonRoot: false } };
    expect(message(validateWorkload(pod(container(rootUser)), view({ podSecurity: 'restricted' })))).to.contain('runAsNonRoot');
  });

  it('checks init and ephemeral containers too', () => {
    const spec = { initContainers: [{ name: 'init', image: 'registry.acme.io/init', securityContext: { privileged: true } }] };
    expect(message(validateWorkload(pod(spec), view()))).to.contain('spec.initContainers[0].securityContext.privileged');
  });

  it('denies images from registries the constraints do not allow', () => {
    expect(message(validateWorkload(pod(container({ image: 'evil.io/miner:latest' })), view()))).to.equal(
      'spec.containers[0].image: image "evil.io/miner:latest" is not from a registry allowed in logical cluster "shop" (allowed: registry.acme.io, docker.io/library, set by workspace acme)',
    );
    expect(validateWorkload(pod(container({ image: 'nginx:1.25' })), view()).allowed).to.equal(true);
  });

  it('finds pod templates in workload kinds', () => {
    const deployment: WorkloadLike = {
      kind: 'Deployment',
      metadata: { name: 'd', namespace: 'shop' },
      spec: { template: { spec: { hostNetwork: true, containers: [] } } },
    };
    const input = { operation: 'CREATE' as const, object: deployment, oldObject: undefined, requester };
    expect(message(validateWorkload(input, view()))).to.match(/^spec\.template\.spec\.hostNetwork:/);
    const cron: WorkloadLike = {
      kind: 'CronJob',
      metadata: { name: 'c', namespace: 'shop' },
      spec: { jobTemplate: { spec: { template: { spec: { containers: [{ name: 'x', image: 'ghcr.io/x' }] } } } } },
    };
    expect(message(validateWorkload({ ...input, object: cron }, view()))).to.match(/^spec\.jobTemplate\.spec\.template\.spec\.containers\[0\]\.image:/);
  });

  it('does not re-judge an unchanged pod spec on update (scaling, labels)', () => {
    const old: WorkloadLike = {
      kind: 'Deployment',
      metadata: { name: 'd', namespace: 'shop' },
      spec: { replicas: 1, template: { spec: { hostNetwork: true, containers: [] } } },
    };
    const scaled: WorkloadLike = { ...old, spec: { replicas: 3, template: { spec: { hostNetwork: true, containers: [] } } } };
    expect(validateWorkload({ operation: 'UPDATE', object: scaled, oldObject: old, requester }, view()).allowed).to.equal(true);
    const changed: WorkloadLike = { ...old, spec: { replicas: 1, template: { spec: { hostNetwork: true, hostPID: true, containers: [] } } } };
    expect(validateWorkload({ operation: 'UPDATE', object: changed, oldObject: old, requester }, view()).allowed).to.equal(false);
  });

  it('resolves short image names the way the runtime does', () => {
    expect(normalizeImage('nginx')).to.equal('docker.io/library/nginx');
    expect(normalizeImage('team/app:1')).to.equal('docker.io/team/app:1');
    expect(normalizeImage('localhost/app')).to.equal('localhost/app');
    expect(imageAllowed('registry.acme.io/app@sha256:abc', ['registry.acme.io'])).to.equal(true);
    expect(imageAllowed('registry.acme.io.evil.com/app', ['registry.acme.io'])).to.equal(false);
    expect(imageAllowed('registry.acme.io/team-a/app:2', ['registry.acme.io/team-a'])).to.equal(true);
    expect(imageAllowed('registry.acme.io/team-ab/app', ['registry.acme.io/team-a'])).to.equal(false);
  });

  it("applies the workspace's effective limits in its home namespace, with the same default level", () => {
    expect(message(validateWorkload(pod({ hostPID: true }, 'team-a'), view()))).to.equal(
      'spec.hostPID: hostPID: true is not allowed in the home namespace of workspace "team-a" (pod security level baseline, set by the default)',
    );
    expect(message(validateWorkload(pod(container({ image: 'evil.io/miner:1' }), 'team-a'), view()))).to.contain(
      'allowed: registry.acme.io, docker.io/library, set by workspace acme',
    );
    expect(message(validateWorkload(pod({}, 'team-a'), view({ podSecurity: 'restricted' })))).to.contain(
      'pod security level restricted, set by workspace acme',
    );
    // A logical cluster's own constraints never leak into the home namespace.
    expect(validateWorkload(pod({}, 'team-a'), view({ lcPodSecurity: 'restricted' })).allowed).to.equal(true);
  });
});
