import { expect } from 'chai';
import { summarizeMember } from './member-status.js';

describe('propagation/member-status', () => {
  it('summarises a Deployment by its replica counts', () => {
    const live = {
      kind: 'Deployment',
      metadata: { generation: 2 },
      spec: { replicas: 6 },
      status: { observedGeneration: 2, replicas: 6, readyReplicas: 6, availableReplicas: 6 },
    };
    const s = summarizeMember(live, 6);
    expect(s).to.include({ replicas: 6, readyReplicas: 6, availableReplicas: 6, observedGeneration: 2, ready: true });
  });

  it('is not ready while fewer replicas are ready than asked for', () => {
    const live = { kind: 'Deployment', metadata: { generation: 2 }, spec: { replicas: 6 }, status: { observedGeneration: 2, replicas: 6 } };
    const s = summarizeMember(live, 6);
    expect(s.ready).to.equal(false);
    expect(s.readyReplicas).to.equal(0);
    expect(s.message).to.equal('0/6 ready, 0 available');
  });

  it('does not trust a status the controller wrote for an older generation', () => {
    const live = {
      kind: 'Deployment',
      metadata: { generation: 3 },
      spec: { replicas: 2 },
      status: { observedGeneration: 2, replicas: 2, readyReplicas: 2, availableReplicas: 2 },
    };
    const s = summarizeMember(live, 2);
    expect(s.ready).to.equal(false);
    expect(s.message).to.match(/has not observed generation 3/);
  });

  it('is not ready while a scale-down still has extra replicas running', () => {
    const live = {
      kind: 'Deployment',
      metadata: { generation: 3 },
      spec: { replicas: 3 },
      status: { observedGeneration: 3, replicas: 4, readyReplicas: 4, availableReplicas: 4 },
    };
    const s = summarizeMember(live, 3);
    expect(s).to.include({ ready: false, message: '4/3 ready, 4 available, scaling down from 4' });
    const done = summarizeMember({ ...live, status: { observedGeneration: 3, replicas: 3, readyReplicas: 3, availableReplicas: 3 } }, 3);
    expect(done.ready).to.equal(true);
  });

  it('counts StatefulSet ready replicas as available when it reports no availability', () => {
    const live = { kind: 'StatefulSet', metadata: { generation: 1 }, spec: { replicas: 2 }, status: { observedGeneration: 1, replicas: 2, readyReplicas: 2 } };
    expect(summarizeMember(live, 2)).to.include({ ready: true, availableReplicas: 2 });
  });

  it('reports DaemonSets by nodes and Jobs by completion', () => {
    expect(summarizeMember({ kind: 'DaemonSet', status: { desiredNumberScheduled: 3, numberReady: 2 } }, undefined).ready).to.equal(false);
    expect(summarizeMember({ kind: 'Job', status: { conditions: [{ type: 'Complete', status: 'True' }] } }, undefined).ready).to.equal(true);
    const failed = summarizeMember({ kind: 'Job', status: { conditions: [{ type: 'Failed', status: 'True', message: 'BackoffLimitExceeded' }] } }, undefined);
    expect(failed).to.include({ ready: false, message: 'Job failed: BackoffLimitExceeded' });
  });

  it('uses a generic Ready or Available condition, and treats objects without one as ready once present', () => {
    expect(summarizeMember({ kind: 'Certificate', status: { conditions: [{ type: 'Ready', status: 'False', message: 'issuing' }] } }, undefined)).to.include({
      ready: false,
      message: 'Ready=False: issuing',
    });
    expect(summarizeMember({ kind: 'Thing', status: { conditions: [{ type: 'Available', status: 'True' }] } }, undefined).ready).to.equal(true);
    expect(summarizeMember({ kind: 'ConfigMap' }, undefined)).to.include({ ready: true, message: 'present' });
  });
});
