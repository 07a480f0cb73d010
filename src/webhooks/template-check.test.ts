import { expect } from 'chai';
import type { TargetCluster } from '../reconcilers/propagation/render.js';
import type { PodLimits } from '../admission/pods.js';
import { checkPropagatedTemplate, templateChanged, TemplateRules, type TemplatedObject } from './template-check.js';
import { denialMessage, type Verdict } from '../admission/verdict.js';

const restricted: PodLimits = {
  logicalCluster: 'shop',
  where: 'logical cluster "shop"',
  level: 'restricted',
  levelSetBy: 'workspace acme',
  registries: ['registry.acme.io'],
  registriesSetBy: 'workspace acme',
};

const safeContainer = {
  name: 'app',
  image: 'registry.acme.io/web:1',
  securityContext: { allowPrivilegeEscalation: false, runAsNonRoot: true, capabilities: { drop: ['ALL'] }, seccompProfile: { type: 'RuntimeDefault' } },
};

function deployment(pod: Record<string, unknown> = {}): TemplatedObject['spec'] & object {
  return {
    template: { apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'web' }, spec: { template: { spec: { containers: [safeContainer], ...pod } } } },
  };
}

const clusters: TargetCluster[] = [
  { name: 'eu-1', labels: { region: 'eu', 'compliance/pci': 'true' } },
  { name: 'us-1', labels: { region: 'us' } },
];

function message(verdict: Verdict): string {
  expect(verdict.allowed, 'expected a denial').to.equal(false);
  return verdict.allowed ? '' : denialMessage(verdict.denial);
}

describe('PropagatedObject template check', () => {
  it('admits a compliant template and objects without a pod spec', () => {
    expect(checkPropagatedTemplate({ spec: deployment() }, restricted, clusters).allowed).to.equal(true);
    const configMap = { template: { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'c' } } };
    expect(checkPropagatedTemplate({ spec: configMap }, restricted, clusters).allowed).to.equal(true);
    expect(checkPropagatedTemplate({ spec: {} }, restricted, clusters).allowed).to.equal(true);
  });

  it('refuses a privileged template with the field under spec.template', () => {
    const verdict = checkPropagatedTemplate({ spec: deployment({ hostNetwork: true, hostPID: true }) }, restricted, clusters);
    expect(verdict.allowed || verdict.denial.rule).to.equal(TemplateRules.podTemplate);
    expect(message(verdict)).to.equal(
      'spec.template.spec.template.spec.hostNetwork: hostNetwork: true is not allowed in logical cluster "shop" (pod security level restricted, set by workspace acme)',
    );
  });

  it('finds the pod spec of a CronJob and a bare Pod template', () => {
    const cron = {
      template: {
        apiVersion: 'batch/v1',
        kind: 'CronJob',
        metadata: { name: 'c' },
        spec: { jobTemplate: { spec: { template: { spec: { containers: [{ ...safeContainer, image: 'evil.io/x' }] } } } } },
      },
    };
    expect(message(checkPropagatedTemplate({ spec: cron }, restricted, clusters))).to.match(
      /^spec\.template\.spec\.jobTemplate\.spec\.template\.spec\.containers\[0\]\.image: image "evil\.io\/x"/,
    );
    const pod = { template: { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'p' }, spec: { hostPID: true, containers: [safeContainer] } } };
    expect(message(checkPropagatedTemplate({ spec: pod }, restricted, clusters))).to.match(/^spec\.template\.spec\.hostPID:/);
  });

  it('refuses an override that adds hostNetwork for one cluster, naming the override', () => {
    const overrides = [
      { clusters: ['us-1'], patches: [{ op: 'replace', path: '/spec/replicas', value: 3 }] },
      { clusters: ['eu-1'], patches: [{ op: 'add', path: '/spec/template/spec/hostNetwork', value: true }] },
    ];
    const verdict = checkPropagatedTemplate({ spec: { ...deployment(), overrides } }, restricted, clusters);
    expect(verdict.allowed || verdict.denial.rule).to.equal(TemplateRules.override);
    expect(message(verdict)).to.equal(
      'spec.overrides[1]: applied wherever it applies, it makes the placed object break a limit of this namespace: ' +
        'spec.template.spec.template.spec.hostNetwork: hostNetwork: true is not allowed in logical cluster "shop" (pod security level restricted, set by workspace acme)',
    );
  });

  it('refuses an override that swaps in a foreign image for clusters matched by a selector', () => {
    const overrides = [
      {
        clusterSelector: { matchLabels: { region: 'us' } },
        patches: [{ op: 'replace', path: '/spec/template/spec/containers/0/image', value: 'docker.io/evil/miner' }],
      },
    ];
    expect(message(checkPropagatedTemplate({ spec: { ...deployment(), overrides } }, restricted, clusters))).to.contain(
      'image "docker.io/evil/miner" is not from a registry allowed',
    );
  });

  it('catches a violation only the combination of two overrides produces on one cluster', () => {
    // The first override alone cannot apply (the path it tests does not exist yet); on eu-1 both apply in order.
    const overrides = [
      { clusters: ['eu-1'], patches: [{ op: 'add', path: '/spec/template/spec/containers/0/securityContext/capabilities/add', value: [] }] },
      { clusters: ['eu-1'], patches: [{ op: 'add', path: '/spec/template/spec/containers/0/securityContext/capabilities/add/-', value: 'SYS_ADMIN' }] },
    ];
    const verdict = checkPropagatedTemplate({ spec: { ...deployment(), overrides } }, restricted, clusters);
    expect(message(verdict)).to.match(/^spec\.overrides\[1\]: applied on cluster "eu-1", .*adding capability SYS_ADMIN/);
  });

  it('skips variants whose patches do not apply: the syncer cannot render them either', () => {
    const overrides = [
      {
        patches: [
          { op: 'test', path: '/spec/replicas', value: 99 },
          { op: 'add', path: '/spec/template/spec/hostPID', value: true },
        ],
      },
    ];
    expect(checkPropagatedTemplate({ spec: { ...deployment(), overrides } }, restricted, clusters).allowed).to.equal(true);
  });

  it('admits overrides that keep the template within the limits', () => {
    const overrides = [{ clusters: ['eu-1'], patches: [{ op: 'replace', path: '/spec/template/spec/containers/0/image', value: 'registry.acme.io/web:2' }] }];
    expect(checkPropagatedTemplate({ spec: { ...deployment(), overrides } }, restricted, clusters).allowed).to.equal(true);
  });

  it('tells whether the template or the overrides changed', () => {
    const a = { spec: deployment() };
    expect(templateChanged(undefined, a)).to.equal(true);
    expect(templateChanged(a, { spec: deployment() })).to.equal(false);
    expect(templateChanged(a, { spec: { ...deployment(), overrides: [{ patches: [] }] } })).to.equal(true);
  });
});
