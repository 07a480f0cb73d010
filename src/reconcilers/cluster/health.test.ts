import { expect } from 'chai';
import type { Cluster } from '../../crds/cluster.js';
import type { Condition } from '../../crds/common.js';
import { allocatable, classifyProbeFailure, desiredTaints, msUntilTaint, readyConditionUpdate } from './health.js';

const server = 'https://127.0.0.1:6443';
const cluster = (spec: Partial<Cluster['spec']> = {}): Pick<Cluster, 'spec'> => ({
  spec: { kubeconfigSecretRef: { name: 'x', namespace: 'canopy-system' }, region: 'eu-1', ...spec },
});
const ready = (status: Condition['status'], since: string): Condition => ({
  type: 'Ready',
  status,
  reason: status === 'True' ? 'Ready' : 'Unreachable',
  message: '',
  lastTransitionTime: since,
});

describe('cluster health: probe classification', () => {
  const cases: [string, Parameters<typeof classifyProbeFailure>[1], string, RegExp][] = [
    [
      'connection refused',
      { code: 'ECONNREFUSED', message: 'connect ECONNREFUSED' },
      'Unreachable',
      /cannot reach .*ECONNREFUSED.*address in the kubeconfig Secret/,
    ],
    ['unknown host', { code: 'ENOTFOUND', message: 'getaddrinfo ENOTFOUND' }, 'Unreachable', /cannot reach/],
    [
      'wrong CA',
      { code: 'SELF_SIGNED_CERT_IN_CHAIN', message: 'self-signed certificate in certificate chain' },
      'CertificateInvalid',
      /certificate-authority-data .* does not match/,
    ],
    ['name mismatch', { code: 'ERR_TLS_CERT_ALTNAME_INVALID', message: 'altname' }, 'CertificateInvalid', /TLS to/],
    ['timeout', { code: 'ETIMEDOUT', message: 'no answer within 5s' }, 'ProbeTimeout', /did not answer/],
    ['bad token', { status: 401, body: '' }, 'Unauthorized', /rejected the credentials/],
    ['no rights', { status: 403, body: '' }, 'Forbidden', /nonResourceURLs/],
    ['not ready', { status: 500, body: '[+]ping ok\n[-]etcd failed: reason withheld\nreadyz check failed' }, 'NotReady', /failing checks: etcd/],
  ];
  for (const [name, failure, reason, message] of cases) {
    it(`${name} → ${reason}`, () => {
      const outcome = classifyProbeFailure(server, failure);
      expect(outcome.ok).to.equal(false);
      if (outcome.ok) return;
      expect(outcome.reason).to.equal(reason);
      expect(outcome.message).to.match(message);
    });
  }

  it('turns outcomes into a Ready condition', () => {
    expect(readyConditionUpdate({ ok: true, version: 'v1.35.4' })).to.include({ status: 'True', reason: 'Ready' });
    expect(readyConditionUpdate({ ok: false, reason: 'Unreachable', message: 'm' })).to.include({ status: 'False', reason: 'Unreachable', message: 'm' });
  });
});

describe('cluster health: the unreachable taint', () => {
  const now = new Date('2026-01-01T00:01:00Z');

  it('is not added before failoverAfterSeconds have passed', () => {
    const taints = desiredTaints(cluster({ failoverAfterSeconds: 90 }), ready('False', '2026-01-01T00:00:00Z'), now);
    expect(taints).to.deep.equal([]);
    expect(msUntilTaint(cluster({ failoverAfterSeconds: 90 }), ready('False', '2026-01-01T00:00:00Z'), now)).to.equal(30_000);
  });

  it('is added once NotReady has lasted failoverAfterSeconds, keeping the admin taints', () => {
    const admin = { key: 'dedicated', value: 'gpu', effect: 'NoSchedule' as const };
    const taints = desiredTaints(cluster({ failoverAfterSeconds: 60, taints: [admin] }), ready('False', '2026-01-01T00:00:00Z'), now);
    expect(taints).to.have.length(2);
    expect(taints[0]).to.deep.equal(admin);
    expect(taints[1]).to.include({ key: 'canopy.dev/unreachable', effect: 'NoExecute' });
  });

  it('defaults to 30 seconds', () => {
    expect(desiredTaints(cluster(), ready('False', '2026-01-01T00:00:31Z'), now)).to.deep.equal([]);
    expect(desiredTaints(cluster(), ready('False', '2026-01-01T00:00:30Z'), now)).to.have.length(1);
  });

  it('stays (with its original timeAdded) while NotReady, and goes when Ready again', () => {
    const existing = { key: 'canopy.dev/unreachable', effect: 'NoExecute' as const, timeAdded: '2026-01-01T00:00:45Z' };
    expect(desiredTaints(cluster({ taints: [existing] }), ready('False', '2026-01-01T00:00:00Z'), now)).to.deep.equal([existing]);
    expect(desiredTaints(cluster({ taints: [existing] }), ready('True', '2026-01-01T00:00:59Z'), now)).to.deep.equal([]);
    expect(msUntilTaint(cluster({ taints: [existing] }), ready('False', '2026-01-01T00:00:00Z'), now)).to.equal(undefined);
  });
});

describe('cluster health: allocatable', () => {
  it('sums node allocatable exactly', () => {
    const nodes = [
      { status: { allocatable: { cpu: '3500m', memory: '7Gi', pods: '110' } } },
      { status: { allocatable: { cpu: '4', memory: '1Gi', pods: '110' } } },
    ];
    expect(allocatable(nodes, { cpu: '1' })).to.deep.equal({ cpu: '7500m', memory: '8Gi', pods: '220' });
  });

  it('falls back to spec.capacity on a cluster without nodes', () => {
    expect(allocatable([], { cpu: '64', memory: '256Gi' })).to.deep.equal({ cpu: '64', memory: '256Gi' });
  });
});
