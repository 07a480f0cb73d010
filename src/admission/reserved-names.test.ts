import { expect } from 'chai';
import { parseReservedNamespaces, ReservedNamespaces } from './reserved-names.js';

describe('reserved namespace names', () => {
  const reserved = new ReservedNamespaces({ operatorNamespace: 'platform-canopy', extra: parseReservedNamespaces(' monitoring, ,ingress-nginx ') });

  it("reserves Kubernetes' namespaces and every kube- name", () => {
    for (const name of ['default', 'kube-system', 'kube-public', 'kube-node-lease'])
      expect(reserved.reason(name)).to.equal(`namespace "${name}" is reserved for the system`);
    expect(reserved.reason('kube-foo')).to.equal('namespaces starting with "kube-" are reserved for Kubernetes, so "kube-foo" cannot be used');
  });

  it("reserves the operator's namespace (and the chart default) and the configured list", () => {
    expect(reserved.reason('platform-canopy')).to.equal('namespace "platform-canopy" is reserved for the Canopy operator');
    expect(reserved.reason('canopy-system')).to.contain('reserved for the Canopy operator');
    expect(reserved.reason('monitoring')).to.equal('namespace "monitoring" is reserved by this installation (CANOPY_RESERVED_NAMESPACES)');
    expect(reserved.reason('ingress-nginx')).to.contain('CANOPY_RESERVED_NAMESPACES');
  });

  it('leaves other names free', () => {
    expect(reserved.reason('shop')).to.equal(undefined);
    expect(reserved.reason('kubeflow')).to.equal(undefined);
    expect(parseReservedNamespaces(undefined)).to.deep.equal([]);
  });
});
